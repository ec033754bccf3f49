// Where a generation stops before its end token: after a line limit, or where it starts looping.

/** Shortest non-blank line block that counts as a loop: enough text that closing braces or `end`s never do. */
const REPEAT_MIN_CHARS = 8;
const REPEAT_MAX_BLOCK = 6;
const REPEAT_COPIES = 3;

/**
 * Where a generation stops under a limit of n lines: the end of its n-th line (leading line breaks
 * are not lines; blank lines inside are), once text has started a line after it; else undefined.
 * As the length suite counts (answerLines): an answer of exactly n lines and a line break is not cut.
 */
export function lineLimitCut(text: string, n: number): number | undefined {
  let end = /^\n*/.exec(text)![0].length - 1; // leading line breaks are not lines
  for (let i = 0; i < n; i++) {
    end = text.indexOf('\n', end + 1);
    if (end < 0) return undefined;
  }
  // the n lines end at `end`; cut only when something other than whitespace follows
  return /\S/.test(text.slice(end + 1)) ? end + 1 : undefined;
}

/**
 * Where a looping generation should end: when its complete lines end with REPEAT_COPIES copies in a row
 * of the same block of 1..REPEAT_MAX_BLOCK non-blank lines (blank lines between them ignored), the length
 * of the text up to the end of the first copy; otherwise undefined. A small model decoding greedily
 * falls into such loops (the same `if` over and over) and would run to the token limit; real code almost
 * never holds three identical blocks in a row.
 */
export function repeatCut(text: string): number | undefined {
  const lines: { text: string; end: number }[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    const line = text.slice(start, nl).replace(/\r$/, '');
    if (line.trim() !== '') lines.push({ text: line, end: nl + 1 });
    start = nl + 1;
  }
  for (let k = 1; k <= REPEAT_MAX_BLOCK; k++) {
    const n = lines.length;
    if (n < k * REPEAT_COPIES) break;
    const block = lines.slice(n - k);
    if (block.reduce((a, l) => a + l.text.trim().length, 0) < REPEAT_MIN_CHARS) continue;
    let same = true;
    for (let c = 1; c < REPEAT_COPIES && same; c++) {
      for (let i = 0; i < k; i++) {
        if (lines[n - k - c * k + i]!.text !== block[i]!.text) { same = false; break; }
      }
    }
    if (same) return lines[n - REPEAT_COPIES * k + k - 1]!.end;
  }
  return undefined;
}
