// Candidates for a name merged with its neighbour: a lost sign between two names (`Record<string` ->
// `Recordstring`), or a sign typed over as a name that runs into the one before or after it
// (`INVALID)` -> `INVALIDcapstone`, `warn(` -> `warndoc`). No single-token edit of the broken file
// restores these: the merged word has to be split. A split is proposed only where its parts are words
// the file uses elsewhere (the part a sign was typed over as, or both parts around a lost sign).
import { applyOffsetEdits, lineStarts, positionAt } from './text';
import { filePairs, pairGainOf } from './file-ngrams';
import { lex, type Token } from './lex';
import { baseTokens, type ErrorAnchor, type TokenEditCandidate } from './propose-syntax';

const NAME = /^[A-Za-z_$][\w$]*$/;
/** Lines from an anchor a merged word is looked for in. */
const NEAR_LINES = 1;
/** Nats of prior per token pair of the edit's window the file has seen elsewhere (as proposeTokenEdits' pairWeight). */
const PAIR_WEIGHT = 1;

/** Split edits of the words near the anchors, best prior first. */
export function proposeSplits(text: string, codeType: string, anchors: ErrorAnchor[]): TokenEditCandidate[] {
  if (anchors.length === 0) return [];
  const all = lex(text, codeType);
  const code = all.filter((t) => t.kind !== 'comment' && t.kind !== 'newline');
  const uses = new Map<string, number>();
  for (const t of code) if (t.kind === 'word' || t.kind === 'number') uses.set(t.text, (uses.get(t.text) ?? 0) + 1);
  const starts = lineStarts(text);
  const lineOf = (off: number) => positionAt(starts, off).line;
  const anchorLines = anchors.map((a) => lineOf(a.offset));
  const hints = new Set(anchors.flatMap((a) => a.hints));
  // a generic's opening '<' too (`Record<string`): few of the base vocabularies insert it alone
  const signs = [...new Set([...hints, ...baseTokens(codeType), '<'])].filter((s) => !/^\w/.test(s));
  const known = (w: string) => w.length >= 2 && (uses.get(w) ?? 0) > 0;
  let gain: ((e: { start: number; end: number; newText: string }) => number) | undefined;
  const out = new Map<string, TokenEditCandidate>();
  const add = (t: Token, newText: string, label: string, prior: number) => {
    const edit = { start: t.start, end: t.end, newText };
    gain ??= pairGainOf(text, codeType, filePairs(text, codeType, all), all);
    const familiarity = gain(edit);
    const fixed = applyOffsetEdits(text, [edit]);
    const p = prior + PAIR_WEIGHT * familiarity;
    const have = out.get(fixed);
    if (have && have.prior >= p) return;
    out.set(fixed, { edits: [edit], fixed, label, origin: 'token', size: 1, prior: p, familiarity });
  };
  const lo = starts[Math.max(0, Math.min(...anchorLines) - NEAR_LINES)] ?? 0;
  const hi = starts[Math.max(...anchorLines) + NEAR_LINES + 1] ?? text.length;
  for (const t of code) {
    if (t.start < lo || t.start >= hi || t.kind !== 'word' || t.text.length < 3 || !NAME.test(t.text)) continue;
    const line = lineOf(t.start);
    const d = Math.min(...anchorLines.map((l) => Math.abs(l - line)));
    if (d > NEAR_LINES) continue;
    const w = t.text;
    const ln = line + 1;
    for (let i = 1; i < w.length; i++) {
      const a = w.slice(0, i);
      const b = w.slice(i);
      const aName = NAME.test(a);
      const bName = NAME.test(b) || /^\d+$/.test(b);
      for (const s of signs) {
        const hinted = hints.has(s) ? 2 : 0;
        // a sign lost between two names the file knows
        if (aName && bName && known(a) && known(b)) add(t, `${a}${s}${b}`, `split '${w}' as '${a}${s}${b}' at line ${ln}`, -0.8 * d - 1 + hinted);
        // a sign typed over as a name the file knows, run into the name before it, or after it
        if (aName && known(b)) add(t, `${a}${s}`, `replace '${b}' in '${w}' with '${s}' at line ${ln}`, -0.8 * d - 1.5 + hinted);
        if (NAME.test(b) && known(a)) add(t, `${s}${b}`, `replace '${a}' in '${w}' with '${s}' at line ${ln}`, -0.8 * d - 1.5 + hinted);
      }
    }
  }
  return [...out.values()].sort((x, y) => y.prior - x.prior);
}
