// Where the indentation says a block ends but no '}' ends it: a place to look for a lost closer.
// A parser that misses a '}' often reports it only at the end of the file ("expected ';', found 'EOF'",
// "this file contains an unclosed delimiter"), hundreds of lines from where it was lost; the layout a
// person wrote still shows the place: the first line indented less than the body of a block that is
// still open (not a '}' and not a label). The closer belongs at the end of the code line before it.
import { lex, type Token } from './lex';
import type { ErrorAnchor } from './propose-syntax';

/** Messages that say the file ended (or a block stayed open) before the parser was done. */
const OPEN_AT_END = /\bEOF\b|end of (?:input|file)|unclosed delimiter|'}' expected|expected '}'/i;

/** Whether a parser's message says a block stayed open (then layoutAnchors may find where). */
export function saysBlockOpen(message: string | undefined): boolean {
  return !!message && OPEN_AT_END.test(message);
}

/** The columns a line's leading whitespace takes, tab stops every 8. */
function width(lead: string): number {
  let w = 0;
  for (const ch of lead) w = ch === '\t' ? (Math.floor(w / 8) + 1) * 8 : w + 1;
  return w;
}

/** Line labels that sit at their block's own indentation (switch cases, goto labels, preprocessor lines). */
const isLabelLine = (first: Token, second: Token | undefined) =>
  first.text === 'case' || first.text === 'default' || first.text === '#' || first.text.startsWith('#') || (first.kind === 'word' && second?.text === ':' );

/**
 * Places where a '}' is missing by the layout (brace languages; none for Python), at most `max`, first
 * in the file first: anchors at the end of the code line before the line that shows it, hinting '}'.
 */
export function layoutAnchors(text: string, codeType: string, max = 2): ErrorAnchor[] {
  if (codeType === 'python') return [];
  const toks = lex(text, codeType);
  // code tokens by line, with each line's indentation (tab stops every 8 columns: files mix tabs and spaces)
  const lines: { indent: number; toks: Token[] }[] = [];
  let line = 0;
  let lineStart = 0;
  for (const t of toks) {
    if (t.kind === 'newline') { line++; lineStart = t.end; continue; }
    if (t.kind !== 'comment') {
      const l = (lines[line] ??= { indent: width(text.slice(lineStart, t.start)), toks: [] });
      l.toks.push(t);
    }
    // a comment or string over several lines moves the line on
    const breaks = (t.text.match(/\n/g) ?? []).length;
    if (breaks) { line += breaks; lineStart = t.start + t.text.lastIndexOf('\n') + 1; }
  }
  // open blocks: the indentation of their body (the first code line after the '{' line that is no label)
  const open: { line: number; body?: number }[] = [];
  const out: ErrorAnchor[] = [];
  let prevEnd = -1;
  for (const [n, l] of lines.entries()) {
    if (!l) continue;
    const first = l.toks[0]!;
    const closer = first.text === '}' || first.text === ')' || first.text === ']';
    if (!closer && !isLabelLine(first, l.toks[1])) {
      // a line less deep than an open block's body comes after that block's end
      while (open.length && out.length < max) {
        const top = open[open.length - 1]!;
        if (top.line >= n) break;
        if (top.body === undefined) { top.body = l.indent; break; }
        if (l.indent >= top.body) break;
        if (prevEnd >= 0) out.push({ offset: prevEnd, hints: ['}'] });
        open.pop();
      }
    }
    if (out.length >= max) break;
    for (const t of l.toks) {
      if (t.text === '{') open.push({ line: n });
      else if (t.text === '}') open.pop();
    }
    prevEnd = l.toks[l.toks.length - 1]!.end;
  }
  return out;
}
