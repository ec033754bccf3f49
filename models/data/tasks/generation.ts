// CodeGeneration examples: signature + docstring/comment -> body, and plain file continuation.
import type { FnInfo } from './functions.js';
import type { Rng } from './rng.js';
import type { Settings } from './settings.js';

export interface Pair { code: string; answer: string; kind: string }

const lineCount = (s: string) => s.split('\n').length;

/** Signature (+ docstring for python; doc comment above otherwise) -> the body. */
export function docToBody(info: FnInfo, s: Settings): Pair | null {
  if (!info.doc || info.bodyStart === null) return null;
  const g = s.generation;
  let head = info.text.slice(0, info.bodyStart);
  let answer = info.text.slice(info.bodyStart);
  if (info.span.grammar === 'python') {
    if (!info.docstring) return null;
  } else {
    if (!info.commentText) return null;
    // `{` must end its line: the answer starts at the next line
    const nl = answer.indexOf('\n');
    if (nl < 0 || answer.slice(0, nl).trim()) return null;
    answer = answer.slice(nl + 1);
    head = info.commentText + '\n' + head;
  }
  head = head.replace(/\n$/, '');
  if (!answer.trim() || lineCount(answer) < 1 || lineCount(answer) > g.maxBodyLines || answer.length > g.maxBodyChars) return null;
  if (head.length + answer.length > s.maxExampleChars) return null;
  return { code: head, answer, kind: 'doc_to_body' };
}

/** File prefix (up to maxPromptChars, from a line start) -> the next 5..60 lines (<= maxAnswerChars). */
export function continuations(text: string, rng: Rng, s: Settings): Pair[] {
  const g = s.generation;
  const starts: number[] = [0];
  for (let i = text.indexOf('\n'); i >= 0 && i < text.length - 1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const nLines = starts.length;
  if (nLines < g.minAnswerLines + 2) return [];
  const want = Math.min(g.maxContinuationsPerFile, Math.max(1, Math.round(nLines / g.continuationEveryLines)));
  const out: Pair[] = [];
  const used = new Set<number>();
  for (let attempt = 0; attempt < want * 4 && out.length < want; attempt++) {
    // cut somewhere after the first line, at a non-blank line
    const cut = 1 + rng.int(nLines - g.minAnswerLines);
    if (used.has(cut)) continue;
    const first = text.slice(starts[cut]!, (starts[cut + 1] ?? text.length));
    if (!first.trim()) continue;
    const r = rng.next();
    let k = g.minAnswerLines + Math.floor(r * r * (g.maxAnswerLines - g.minAnswerLines + 1));
    k = Math.min(k, nLines - cut);
    let end = starts[cut + k] ?? text.length;
    // respect the character budget, at a line boundary
    while (k > 1 && end - starts[cut]! > g.maxAnswerChars) {
      k--;
      end = starts[cut + k] ?? text.length;
    }
    if (k < Math.min(3, g.minAnswerLines) || end - starts[cut]! > g.maxAnswerChars) continue;
    let answer = text.slice(starts[cut]!, end);
    if (answer.split('\n').filter((l) => l.trim()).length < 2) continue;
    answer = answer.replace(/\n$/, '');
    let from = Math.max(0, starts[cut]! - g.maxPromptChars);
    if (from > 0) from = text.indexOf('\n', from) + 1;
    const code = text.slice(from, starts[cut]!).replace(/\n$/, '');
    if (!code.trim()) continue;
    if (code.length + answer.length > s.maxExampleChars) continue;
    used.add(cut);
    out.push({ code, answer, kind: 'continuation' });
  }
  return out;
}
