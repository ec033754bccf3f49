// CodeGeneration examples: signature + docstring/comment -> body, comment -> whole function (what
// "Treasure: Generate Code…" sends: the file so far and the request as a comment), and plain file continuation.
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

/** The first paragraph of a docstring as line comments (at most 3 lines), or null when there is none. */
function requestComment(doc: string, indent: string, token: string): string | null {
  const para = doc.trim().split(/\n\s*\n/)[0]!.split('\n').map((l) => l.trim()).filter((l) => l && !/^(>>>|[-=]{3,}|@|:param|Args:|Returns:)/.test(l));
  if (!para.length) return null;
  return para.slice(0, 3).map((l) => `${indent}${token} ${l}`).join('\n');
}

/**
 * The file before a documented function, then its comment -> the whole function. The comment is the
 * one above the function, or (python) the docstring's first paragraph written as `#` lines; the
 * function keeps its docstring. Some prompts have no file before the comment (a new file).
 */
export function docToFunction(info: FnInfo, text: string, rng: Rng, s: Settings): Pair | null {
  if (!info.doc) return null;
  const { span } = info;
  const g = s.generation;
  let before = text.slice(0, span.regionStart);
  let comment: string | null;
  if (span.comment && info.commentText) {
    // the comment above is the request: it ends the prompt, the answer starts at the signature
    const at = text.lastIndexOf('\n', span.comment.start) + 1;
    comment = text.slice(at, span.regionStart).replace(/\n$/, '');
    before = text.slice(0, at);
  } else if (span.grammar === 'python' && info.docstring) {
    comment = requestComment(info.doc, span.indent, '#');
  } else return null;
  const answer = info.text.replace(/\n+$/, '');
  if (!comment || !answer.trim()) return null;
  if (lineCount(answer) > g.maxBodyLines || answer.length > g.maxBodyChars) return null;
  let prefix = '';
  if (rng.next() >= 0.3) {
    let from = Math.max(0, before.length - Math.min(g.maxPromptChars, s.maxExampleChars - answer.length - comment.length - 2));
    if (from > 0) from = before.indexOf('\n', from) + 1; // from a line start (0: no line break after it, the whole file)
    prefix = before.slice(from);
  }
  const code = prefix + comment;
  if (code.length + answer.length > s.maxExampleChars) return null;
  return { code, answer, kind: 'doc_to_function' };
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
