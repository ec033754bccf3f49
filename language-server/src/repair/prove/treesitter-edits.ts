// Tree-sitter as a screen in front of the language's parser (syntax.ts runScreened), reading each candidate
// as an edit of the original: the original's tree is parsed once and every candidate is reparsed
// incrementally from a copy of it (tree.edit + parse(text, oldTree)), which tree-sitter makes give
// the same acceptance as a fresh parse (a rejected candidate's errors may lie elsewhere: Java) at a
// fraction of the cost (a fresh parse of a 10 KB file is a few ms; hundreds of candidates under load
// used up the search's whole time budget).
import type { Edit, Point, Tree } from 'web-tree-sitter';
import { DecodeAbortedError } from '../../decode';
import { getParser, syntaxIssues } from '../../parsing';
import { lineStarts, positionAt, type OffsetEdit } from '../text';
import type { ParseVerdict } from '../types';
import { verdict } from './common';

export interface EditedText {
  fixed: string;
  edits: readonly OffsetEdit[];
}

/** Verdicts of candidates that edit `original`, tree-sitter's (grammar) as a fresh parse would give them. */
export async function parseEdited(grammar: string, original: string, cands: readonly EditedText[], signal?: AbortSignal): Promise<ParseVerdict[]> {
  const screen = editedScreen(grammar);
  try {
    return await screen.parse(original, cands, signal);
  } finally {
    screen.dispose();
  }
}

/** parseEdited for one search: the original's tree is parsed once and kept for every chunk of candidates
 * (a search screens its candidates a chunk at a time, and a fresh parse of the original per chunk cost
 * more than the chunk's own incremental parses in small files); dispose() frees it. */
export interface EditedScreen {
  /** With `rejects`: a candidate it rejects on its errors other than Python's empty blocks gets the verdict
   * without them (finding them walks every block of the tree; more errors could only reject it again). */
  parse(original: string, cands: readonly EditedText[], signal?: AbortSignal, rejects?: Rejects): Promise<ParseVerdict[]>;
  dispose(): void;
}

/** Whether the candidate `k` is rejected on these errors (any more errors keep it rejected). */
export type Rejects = (k: number, v: ParseVerdict) => boolean;

const verdictOf = (tree: Tree, emptyBlocks = true) => verdict(syntaxIssues(tree, { emptyBlocks }).map((x) => ({ line: x.start.row, column: x.start.column, message: x.message })));

export function editedScreen(grammar: string): EditedScreen {
  let kept: { original: string; tree: Tree; starts: number[] } | undefined;
  const dispose = () => { kept?.tree.delete(); kept = undefined; };
  return {
    dispose,
    async parse(original, cands, signal, rejects) {
      const parser = await getParser(grammar);
      if (kept?.original !== original) {
        dispose();
        const tree = parser.parse(original);
        if (!tree) throw new Error(`tree-sitter could not parse the ${grammar} text`);
        kept = { original, tree, starts: lineStarts(original) };
      }
      const { tree: base, starts } = kept;
      const point = (s: number[], off: number): Point => { const p = positionAt(s, off); return { row: p.line, column: p.character }; };
      const out: ParseVerdict[] = [];
      for (const [i, c] of cands.entries()) {
        if (signal?.aborted) throw new DecodeAbortedError();
        if (i % 32 === 31) {
          await new Promise((r) => setImmediate(r)); // let other requests in
          if (kept?.tree !== base) throw new Error('the screen was disposed while it read candidates');
        }
        // the edits as one span: from the first one's start to the last one's end
        const start = Math.min(...c.edits.map((e) => e.start));
        const oldEnd = Math.max(...c.edits.map((e) => e.end));
        const newEnd = oldEnd + c.fixed.length - original.length;
        const copy: Tree = base.copy();
        let tree: Tree | null = null;
        try {
          copy.edit({ startIndex: start, oldEndIndex: oldEnd, newEndIndex: newEnd, startPosition: point(starts, start), oldEndPosition: point(starts, oldEnd), newEndPosition: endPoint(point(starts, start), c.fixed, start, newEnd) } as Edit);
          tree = parser.parse(c.fixed, copy);
          if (!tree) throw new Error(`tree-sitter could not parse a ${grammar} candidate`);
          const partial = rejects && grammar === 'python' ? verdictOf(tree, false) : undefined;
          out.push(partial && rejects!(i, partial) ? partial : verdictOf(tree));
        } finally {
          tree?.delete();
          copy.delete();
        }
      }
      return out;
    },
  };
}

/** Where text[from, to) ends, given where it starts (the candidate's own line starts are not computed: a search reads hundreds). */
export function endPoint(at: Point, text: string, from: number, to: number): Point {
  let row = at.row;
  let lineStart = from - at.column;
  for (let i = from; i < to; i++) {
    if (text.charCodeAt(i) === 10) { row++; lineStart = i + 1; } // rows as lineStarts and tree-sitter count them: at \n
  }
  return { row, column: to - lineStart };
}
