// From the model's answer to a checked, minimal edit: the answer replaces the rewritten region;
// the edits are a line diff of region vs answer, each hunk trimmed to the characters that change.
// Checks: not empty, changes something, adds no syntax error (the patched document is re-parsed).

export interface Pos { line: number; character: number }
export interface TextEdit { range: { start: Pos; end: Pos }; newText: string }

/** Offsets of line starts in a text (lines end at \n; a \r before it belongs to the line break). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

export function positionAt(starts: number[], offset: number): Pos {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo]! };
}

export function offsetAt(text: string, starts: number[], p: Pos): number {
  const ls = starts[Math.min(p.line, starts.length - 1)] ?? 0;
  return Math.min(ls + p.character, text.length);
}

/** The text of lines [startLine, endLine] without the final line break, and its offsets. */
export function regionSpan(text: string, starts: number[], startLine: number, endLine: number): { start: number; end: number } {
  const start = starts[startLine] ?? text.length;
  let end = endLine + 1 < starts.length ? starts[endLine + 1]! - 1 : text.length;
  if (end > start && text.charCodeAt(end - 1) === 13 && endLine + 1 < starts.length) end--;
  return { start, end: Math.max(start, end) };
}

/**
 * Cleans the model's answer into the region's replacement: drops a Markdown fence around it,
 * trailing whitespace at the end, and uses the document's line breaks.
 */
export function cleanAnswer(answer: string, eol: string): string {
  let a = answer.replace(/\r\n/g, '\n');
  const fence = /^```[^\n]*\n([\s\S]*?)\n```\s*$/.exec(a.trim());
  if (fence) a = fence[1]!;
  a = a.replace(/\s+$/, '');
  // drop blank lines at the start (the region starts at a line with content)
  a = a.replace(/^(?:[ \t]*\n)+/, '');
  return eol === '\n' ? a : a.replace(/\n/g, eol);
}

interface Hunk { a0: number; a1: number; b0: number; b1: number }

/** Line diff (longest common subsequence) as hunks [a0,a1) -> [b0,b1). */
export function diffLines(a: string[], b: string[]): Hunk[] {
  // Common head and tail first: most fixes touch a few lines.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const A = a.slice(head, a.length - tail);
  const B = b.slice(head, b.length - tail);
  const n = A.length;
  const m = B.length;
  const hunks: Hunk[] = [];
  if (n === 0 && m === 0) return hunks;
  if (n * m > 4_000_000) return [{ a0: head, a1: head + n, b0: head, b1: head + m }];
  const L: Uint32Array[] = [];
  for (let i = 0; i <= n; i++) L.push(new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i]![j] = A[i] === B[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  let cur: Hunk | null = null;
  const flush = () => { if (cur) { hunks.push(cur); cur = null; } };
  while (i < n || j < m) {
    if (i < n && j < m && A[i] === B[j]) {
      flush();
      i++; j++;
    } else if (j < m && (i >= n || L[i]![j + 1]! >= L[i + 1]![j]!)) {
      cur ??= { a0: head + i, a1: head + i, b0: head + j, b1: head + j };
      j++;
      cur.b1 = head + j;
    } else {
      cur ??= { a0: head + i, a1: head + i, b0: head + j, b1: head + j };
      i++;
      cur.a1 = head + i;
    }
  }
  flush();
  return hunks;
}

/** Offset-based edit: replace text[start, end) by newText. */
export interface OffsetEdit { start: number; end: number; newText: string }

/**
 * Minimal edits turning `oldText` into `newText` (both whole-line texts joined by `eol`): a line
 * diff, each hunk narrowed to the characters that differ. Offsets are relative to oldText.
 */
export function minimalEdits(oldText: string, newText: string, eol: string): OffsetEdit[] {
  const a = oldText.split(eol);
  const b = newText.split(eol);
  const aStart: number[] = [];
  let off = 0;
  for (const line of a) { aStart.push(off); off += line.length + eol.length; }
  const lineEnd = (k: number) => aStart[k]! + a[k]!.length;
  const edits: OffsetEdit[] = [];
  for (const h of diffLines(a, b)) {
    let start: number;
    let end: number;
    let text: string;
    const newLines = b.slice(h.b0, h.b1).join(eol);
    if (h.a1 > h.a0 && h.b1 > h.b0) {
      start = aStart[h.a0]!; end = lineEnd(h.a1 - 1); text = newLines;
    } else if (h.a1 === h.a0) {
      // insertion of lines before line a0 (or after the last line)
      if (h.a0 < a.length) { start = end = aStart[h.a0]!; text = newLines + eol; }
      else { start = end = oldText.length; text = eol + newLines; }
    } else {
      // deletion of lines [a0, a1)
      if (h.a1 < a.length) { start = aStart[h.a0]!; end = aStart[h.a1]!; text = ''; }
      else if (h.a0 > 0) { start = lineEnd(h.a0 - 1); end = oldText.length; text = ''; }
      else { start = 0; end = oldText.length; text = ''; }
    }
    // narrow to the changed characters
    const old = oldText.slice(start, end);
    let p = 0;
    while (p < old.length && p < text.length && old[p] === text[p]) p++;
    let s = 0;
    while (s < old.length - p && s < text.length - p && old[old.length - 1 - s] === text[text.length - 1 - s]) s++;
    edits.push({ start: start + p, end: end - s, newText: text.slice(p, text.length - s) });
  }
  return edits;
}

export function applyOffsetEdits(text: string, edits: readonly OffsetEdit[]): string {
  const sorted = [...edits].sort((x, y) => y.start - x.start);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/**
 * A short key that two edits of `text` share exactly when their results are equal: the span where the
 * result differs from `text`, trimmed as spanEdit trims it (common start, then common end), with the
 * text written there. Deduplicating candidates by it spares building and hashing a copy of the whole
 * text per candidate (thousands a search). `undefined`: the edit changes nothing.
 */
export function resultKey(text: string, e: OffsetEdit): string | undefined {
  const n = text.length;
  const m = n - (e.end - e.start) + e.newText.length;
  // (before the edit both read alike; after it, the result reads text shifted by the edit's growth)
  let p = e.start;
  while (p < n && p < m && text.charCodeAt(p) === resultCharAt(text, e, p)) p++;
  if (p === n && n === m) return undefined;
  let s = Math.max(0, Math.min(n - e.end, n - p, m - p));
  while (s < n - p && s < m - p && text.charCodeAt(n - 1 - s) === resultCharAt(text, e, m - 1 - s)) s++;
  let mid = '';
  for (let i = p; i < m - s; i++) mid += String.fromCharCode(resultCharAt(text, e, i));
  return `${p}:${n - s}:${mid}`;
}

/** The character code at `i` of `text` with the edit applied (without building it). */
function resultCharAt(text: string, e: OffsetEdit, i: number): number {
  if (i < e.start) return text.charCodeAt(i);
  const nl = e.newText.length;
  return i < e.start + nl ? e.newText.charCodeAt(i - e.start) : text.charCodeAt(i - nl + e.end - e.start);
}

/** Applies LSP-style edits (non-overlapping) to a text. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = lineStarts(text);
  return applyOffsetEdits(
    text,
    edits.map((e) => ({ start: offsetAt(text, starts, e.range.start), end: offsetAt(text, starts, e.range.end), newText: e.newText })),
  );
}

export function toTextEdits(text: string, edits: readonly OffsetEdit[]): TextEdit[] {
  const starts = lineStarts(text);
  return edits.map((e) => ({ range: { start: positionAt(starts, e.start), end: positionAt(starts, e.end) }, newText: e.newText }));
}

export function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}
