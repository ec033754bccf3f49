// Checks on what a client sends before the server computes with it: positions, ranges, diagnostics,
// document size. A line number from the wire may be negative, fractional, a string or 1e10; nothing
// past these checks is.
import type { DiagnosticLike } from './context';

/** Documents larger than this get no analysis and no fixes (a clear message instead): the code
 * actions' tree-sitter parse runs on the server's thread, ~0.5 s per 250,000 characters on a 2-core
 * machine, once per edit; a multi-megabyte file would block the server and grow its memory. */
export const MAX_DOCUMENT_CHARS = 300_000;
/** A diagnostic's message is cut to this before it goes anywhere (the prompt keeps 300 characters). */
const MAX_MESSAGE_CHARS = 2_000;

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }

const isIndex = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** A position whose line is a line of the document (0 .. lineCount - 1) and whose character is an index. */
export function validPosition(p: unknown, lineCount: number): p is Position {
  if (!p || typeof p !== 'object') return false;
  const { line, character } = p as Record<string, unknown>;
  return isIndex(line) && line < lineCount && isIndex(character);
}

/** A range of the document, start not after end. */
export function validRange(r: unknown, lineCount: number): r is Range {
  if (!r || typeof r !== 'object') return false;
  const { start, end } = r as Record<string, unknown>;
  if (!validPosition(start, lineCount) || !validPosition(end, lineCount)) return false;
  return start.line < end.line || (start.line === end.line && start.character <= end.character);
}

/**
 * A range the client may send at the very end of a document (the line after the last line break, or
 * a stale end a keystroke ago): an end past the last line is clamped to it. The start must be a line
 * of the document; anything else (negative, fractional, not a number) is null.
 */
export function requestRange(r: unknown, lineCount: number): Range | null {
  if (!r || typeof r !== 'object') return null;
  const { start, end } = r as Record<string, unknown>;
  if (!validPosition(start, lineCount)) return null;
  const last = lineCount - 1;
  let e: Position = start;
  if (end && typeof end === 'object') {
    const { line, character } = end as Record<string, unknown>;
    if (isIndex(line) && isIndex(character)) e = line > last ? { line: last, character: Number.MAX_SAFE_INTEGER } : { line, character };
  }
  if (e.line < start.line || (e.line === start.line && e.character < start.character)) e = start;
  return { start: { line: start.line, character: start.character }, end: e };
}

/** A diagnostic from the client as the engine reads it, or null when its range is not in the document. */
export function cleanDiagnostic(d: unknown, lineCount: number): DiagnosticLike | null {
  if (!d || typeof d !== 'object') return null;
  const raw = d as Record<string, unknown>;
  if (!validRange(raw.range, lineCount)) return null;
  const m = raw.message;
  const message = typeof m === 'string' ? m : m && typeof m === 'object' && typeof (m as { value?: unknown }).value === 'string' ? (m as { value: string }).value : null;
  if (message === null) return null;
  const source = typeof raw.source === 'string' ? raw.source.slice(0, 200) : undefined;
  const code = typeof raw.code === 'string' ? raw.code.slice(0, 200) : typeof raw.code === 'number' && Number.isFinite(raw.code) ? raw.code : undefined;
  const range = raw.range as Range;
  return {
    range: { start: { line: range.start.line, character: range.start.character }, end: { line: range.end.line, character: range.end.character } },
    message: message.slice(0, MAX_MESSAGE_CHARS),
    source,
    code,
  };
}

/** A language id is a short plain name (`python`, `typescriptreact`), never a property of Object. */
export function validLanguageId(id: unknown): id is string {
  return typeof id === 'string' && /^[A-Za-z][\w.+#-]{0,63}$/.test(id) && !Object.prototype.hasOwnProperty.call(Object.prototype, id);
}
