// What holds the model's answers to what was asked, outside the decoding loop: the region the ranking
// model reads, the branches tried first (near the error), the lines of a generation that parse, the
// prompt that fits the context, and the marker report (what was given, what the model wrote itself).
import type { LineRegion } from './context';
import type { DecodeResult } from './decode';
import type { MarkerReport } from './engine-api';
import type { LanguageInfo } from './grammars';
import { typedMarkers, type MarkerKey, type Markers } from './markers';
import { syntaxIssues, withTree } from './parsing';

/** Most lines of a region the ranking model reads; a longer one is cut to the lines around the edits. */
const SCORING_LINES = 40;

/** The target region, or at most SCORING_LINES of it around the lines the candidates change (most before them). */
export function scoringRegion(lines: readonly string[], region: LineRegion, docs: readonly string[], maxLines = SCORING_LINES): LineRegion {
  if (region.endLine - region.startLine + 1 <= maxLines) return region;
  let first = region.endLine;
  let last = region.startLine;
  for (const d of docs) {
    const dl = d.split(/\r?\n/);
    for (let i = region.startLine; i <= region.endLine; i++) if (dl[i] !== lines[i]) { first = Math.min(first, i); break; }
    for (let i = region.endLine; i >= region.startLine; i--) if (dl[i] !== lines[i]) { last = Math.max(last, i); break; }
  }
  if (first > last) return region;
  const after = Math.min(region.endLine, last + Math.min(6, Math.floor(maxLines / 4)));
  const before = Math.max(region.startLine, Math.min(first, after - maxLines + 1));
  return { startLine: before, endLine: after };
}

export function reportOf(given: Markers, decoded: DecodeResult): MarkerReport {
  const inferred: Markers = {};
  for (const [k, v] of Object.entries(decoded.markers) as [MarkerKey, string][]) {
    if (given[k] === undefined) inferred[k] = v;
  }
  return { given: typedMarkers({ ...given }), inferred: typedMarkers(inferred) };
}

/** Branches on the error's line, the line before it (a colon or bracket missing at a line's end is an
 * error where the next line begins) and the line after it first, each group in its given order. */
export function nearErrorFirst<T>(branches: T[], lineOf: (b: T) => number, errLine: number): T[] {
  // each branch's line computed once, not once per comparison
  const keyed = branches.map((b) => ({ b, far: Math.abs(lineOf(b) - errLine) <= 1 ? 0 : 1 }));
  return keyed.sort((x, y) => x.far - y.far).map((k) => k.b);
}

/**
 * The longest run of whole lines from the start of a generation that adds no syntax error to the
 * prompt it continues (tree-sitter issues counted before and after), and how many lines were left out.
 * Not monotonic in general (a later line can close what an earlier one opened), hence the scan from the end.
 */
export async function parseablePrefix(lang: LanguageInfo, prompt: string, text: string): Promise<{ text: string; dropped: number }> {
  const grammar = lang.grammar;
  if (!grammar || text.trim() === '') return { text, dropped: 0 };
  const head = prompt === '' || prompt.endsWith('\n') ? prompt : prompt + '\n';
  // Counted apart: errors, and Python blocks left empty. A prompt that ends in a header (`def f():`)
  // has an empty block the generation is meant to fill: that must not excuse an error it adds.
  const issues = (code: string) => withTree(grammar, head + code, (t) => {
    const all = syntaxIssues(t);
    const empty = all.filter((i) => i.kind === 'empty_block').length;
    return [all.length - empty, empty] as const;
  });
  const before = await issues('');
  const noWorse = ([errors, empty]: readonly [number, number]) => errors <= before[0] && empty <= before[1];
  const lines = text.split('\n');
  const content = lines.flatMap((l, i) => (l.trim() !== '' ? [i] : [])); // the non-blank lines
  // candidates: the whole text, then cuts after each non-blank line, longest first
  for (const n of [lines.length, ...content.map((i) => i + 1).filter((n) => n < lines.length).reverse()]) {
    const cand = lines.slice(0, n).join('\n');
    if (noWorse(await issues(cand))) return { text: cand + (n < lines.length ? '\n' : ''), dropped: content.filter((i) => i >= n).length };
  }
  return { text: '', dropped: content.length };
}

/**
 * The prompt of a Generate request whose code may be too long for the context: its last lines, the
 * fewest leading lines left out so that the prompt and `want` tokens of answer fit (the code nearest the
 * cursor matters most). leftOut: how many lines the model does not see.
 */
export function fitPrompt(code: string, encode: (code: string) => number[], contextLength: number, maxTokenChars: number, want: number): { promptIds: number[]; leftOut: number } {
  let codeLines = code.split('\n');
  // lines that cannot fit whatever their tokens are go before any encoding (the search below encodes
  // the prompt several times)
  let dropped = 0;
  for (let chars = code.length, cap = contextLength * maxTokenChars; chars > cap && dropped < codeLines.length - 1; dropped++) chars -= codeLines[dropped]!.length + 1;
  if (dropped > 0) codeLines = codeLines.slice(dropped);
  const encodeFrom = (line: number) => encode(codeLines.slice(line).join('\n'));
  const promptIds = encodeFrom(0);
  if (promptIds.length + want <= contextLength) return { promptIds, leftOut: dropped };
  // the fewest leading lines to leave out (binary search: fewer lines, fewer tokens); `fits` is hi's prompt
  let lo = 1;
  let hi = codeLines.length - 1;
  let fits = encodeFrom(hi);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const ids = encodeFrom(mid);
    if (ids.length + want <= contextLength) { hi = mid; fits = ids; } else lo = mid + 1;
  }
  return { promptIds: fits, leftOut: dropped + hi };
}
