// What every prover shares: the Prover interface (a SyntaxProver that says how far its errors can be
// trusted), input limits, cancellation, batching, position conversion, tool look-up and scratch folders.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { ParseError, ParseVerdict, SyntaxProver } from '../types';

export interface Prover extends SyntaxProver {
  /** 'native': the language's own tool; 'tree-sitter': the fallback grammar (its name says so). */
  readonly kind: 'native' | 'tree-sitter';
  /** The parser stops at its first error (Python, V8): errors after it were not visible before a fix. */
  readonly firstErrorOnly: boolean;
  /** 'line': errors carry a line but no column (bash -n). */
  readonly precision: 'column' | 'line';
  /** A text's verdict in a batch is the one it gets alone (gofmt reads each file on its own): a winner is not parsed again. */
  readonly batchExact?: boolean;
  /** A compiler that checks names and types too (gcc, g++): whether one of its messages reports a syntax
   * error. Absent: every error the prover reports is a syntax error. */
  readonly syntaxError?: (message: string) => boolean;
}

/** Whether a verdict holds a syntax error (for a compiler that checks names and types too, one of its syntax messages). */
export function hasSyntaxError(v: ParseVerdict, prover: Pick<Prover, 'syntaxError'>): boolean {
  return !v.ok && (!prover.syntaxError || v.errors.some((e) => prover.syntaxError!(e.message)));
}

/**
 * The prover as a syntax repair should read a document: where the compiler also reports errors of names or
 * types in the document as it is (a header it cannot find leaves names unknown all over a C++ file), those
 * errors leave every verdict, and a candidate's count only where their message is new (a name it wrote that
 * nothing declares): a fix is judged by the syntax it mends and the names it adds. Elsewhere (no such
 * errors, or a parser that checks syntax only) the prover as it is.
 */
export function syntaxView(prover: Prover, original: ParseVerdict): { prover: Prover; verdict: ParseVerdict; others: ParseError[] } {
  const isSyntax = prover.syntaxError;
  const others = isSyntax ? original.errors.filter((e) => !isSyntax(e.message)) : [];
  if (!isSyntax || others.length === 0) return { prover, verdict: original, others: [] };
  // an error of names or types counts only where it is new (by its message: `'patch' undeclared` after an
  // edit that wrote patch): the file's own, wherever they move, are the compiler's want of a header
  const known = new Set(others.map((e) => e.message));
  const only = (v: ParseVerdict) => verdict(v.errors.filter((e) => isSyntax(e.message) || !known.has(e.message)));
  const view: Prover = {
    name: prover.name, kind: prover.kind, firstErrorOnly: prover.firstErrorOnly, precision: prover.precision, batchExact: prover.batchExact,
    parse: async (texts, o) => (await prover.parse(texts, o)).map(only),
    // (the prover itself stays cached for others: the view owns nothing to dispose)
  };
  return { prover: view, verdict: only(original), others };
}

export interface ProverOptions {
  /** The workspace folder (TypeScript: its node_modules/typescript is preferred when present and trusted). */
  workspaceRoot?: string;
  /**
   * The user trusts the workspace (VS Code's workspace trust): only then is code from it loaded into
   * this process (its node_modules/typescript). Default false: Treasure's own typescript is used.
   */
  workspaceTrusted?: boolean;
  /** Most milliseconds one batch (one process call) may take; the worker is killed and restarted after. */
  timeoutMs?: number;
  /** Most characters in one document; a longer one is refused with a clear error, not parsed. */
  maxChars?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CHARS = 1_000_000;
/** Texts per process call: cancellation takes effect between batches. */
export const BATCH_TEXTS = 64;
/** Characters per process call (keeps a batch of large documents bounded in time and memory). */
export const BATCH_CHARS = 2_000_000;

/** A document over the size limit (nothing is parsed). */
export class ProverInputError extends Error {}
/** A tool that failed (crashed, timed out, unexpected output). */
export class ProverToolError extends Error {}

export function abortError(): Error {
  const e = new Error('the proof was cancelled');
  e.name = 'AbortError';
  return e;
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}

export function checkSizes(texts: readonly string[], maxChars: number, name: string): void {
  for (const t of texts) {
    if (t.length > maxChars) {
      throw new ProverInputError(
        `the document is too large for ${name} (${t.length.toLocaleString('en-US')} characters; the limit is ${maxChars.toLocaleString('en-US')})`,
      );
    }
  }
}

/** Splits texts into process-call batches: at most BATCH_TEXTS texts and about BATCH_CHARS characters each. */
export function batches<T extends string>(texts: readonly T[], maxTexts = BATCH_TEXTS, maxChars = BATCH_CHARS): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let chars = 0;
  for (const t of texts) {
    if (cur.length > 0 && (cur.length >= maxTexts || chars + t.length > maxChars)) {
      out.push(cur);
      cur = [];
      chars = 0;
    }
    cur.push(t);
    chars += t.length;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Runs fn over the batches in order, checking the signal before each one. */
export async function inBatches(
  texts: readonly string[],
  signal: AbortSignal | undefined,
  fn: (batch: string[]) => Promise<ParseVerdict[]>,
  maxTexts = BATCH_TEXTS,
): Promise<ParseVerdict[]> {
  const out: ParseVerdict[] = [];
  for (const b of batches(texts, maxTexts)) {
    throwIfAborted(signal);
    const v = await fn(b);
    if (v.length !== b.length) throw new ProverToolError(`the parser answered ${v.length} verdicts for ${b.length} texts`);
    out.push(...v);
  }
  throwIfAborted(signal);
  return out;
}

/** Resolves with p, or rejects with an AbortError as soon as the signal fires (p keeps running). */
export function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

/** Parses a worker's answer line; a line that is not JSON (a crash message) is the tool's error. */
export function parseAnswer<T>(line: string, label: string): T {
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new ProverToolError(`${label} answered something unexpected: ${line.slice(0, 200)}`);
  }
}

/**
 * Checks a fresh prover on a known-broken text: it must answer, and find the error. A worker that
 * cannot start (a node without --experimental-vm-modules, a broken JDK) makes the caller fall back.
 */
export async function probe(p: Prover, broken: string): Promise<Prover | null> {
  try {
    const [v] = await p.parse([broken]);
    if (v && !v.ok) return p;
  } catch {
    /* falls through */
  }
  p.dispose?.();
  return null;
}

export function verdict(errors: ParseError[]): ParseVerdict {
  return { ok: errors.length === 0, errors };
}

// ---- positions ---------------------------------------------------------------------------------

/** Offsets where lines start (\n, \r\n and a lone \r end a line, as LSP counts them). */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  // (most texts have no \r: the native search finds the line breaks several times faster; the judge
  // reads the line starts of every candidate a parser rejects)
  if (text.indexOf('\r') < 0) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    return starts;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

function lineEnd(text: string, starts: number[], line: number): number {
  const next = starts[line + 1];
  if (next === undefined) return text.length;
  let end = next;
  if (end > 0 && text.charCodeAt(end - 1) === 10) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 13) end--;
  return end;
}

/** 0-based line and UTF-16 column of an offset. */
export function positionOf(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, column: offset - starts[lo]! };
}

/** The offset of a 0-based line and UTF-16 column, clamped into the text. */
export function offsetOf(text: string, starts: number[], line: number, column: number): number {
  if (line < 0) return 0;
  if (line >= starts.length) return text.length;
  const s = starts[line]!;
  return Math.min(s + Math.max(0, column), lineEnd(text, starts, line));
}

/** UTF-16 column of a 0-based byte (UTF-8) column on a line. */
export function byteToUtf16Column(text: string, starts: number[], line: number, byteCol: number): number {
  const s = starts[line];
  if (s === undefined) return 0;
  const end = lineEnd(text, starts, line);
  let bytes = 0;
  let i = s;
  while (i < end && bytes < byteCol) {
    const cp = text.codePointAt(i)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp >= 0x10000 ? 2 : 1;
  }
  return i - s + Math.max(0, byteCol - bytes);
}

/** UTF-16 column of a 0-based column counted in code points (Unicode scalar values) on a line. */
export function codePointToUtf16Column(text: string, starts: number[], line: number, cpCol: number): number {
  const s = starts[line];
  if (s === undefined) return 0;
  const end = lineEnd(text, starts, line);
  let n = 0;
  let i = s;
  while (i < end && n < cpCol) {
    i += text.codePointAt(i)! >= 0x10000 ? 2 : 1;
    n++;
  }
  return i - s + Math.max(0, cpCol - n);
}

// ---- tools -------------------------------------------------------------------------------------

const toolPaths = new Map<string, string | null>();

/** Folders where toolchains install themselves outside PATH (an editor started from a desktop may lack them). */
function extraToolDirs(): string[] {
  const home = homedir();
  return [
    process.env.CARGO_HOME ? join(process.env.CARGO_HOME, 'bin') : join(home, '.cargo', 'bin'),
    '/usr/local/go/bin',
    '/usr/lib/go/bin',
  ];
}

/** The full path of an executable on PATH (or a usual toolchain folder), or null. */
export function findTool(name: string): string | null {
  if (toolPaths.has(name)) return toolPaths.get(name)!;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraToolDirs()];
  let found: string | null = null;
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      found = p;
      break;
    } catch {
      /* not here */
    }
  }
  toolPaths.set(name, found);
  return found;
}

/** For tests: forget what findTool found (PATH changed). */
export function forgetTools(): void {
  toolPaths.clear();
}

/** Runs a short command and returns stdout+stderr (for versions and availability checks). */
export function runShort(cmd: string, args: string[], timeoutMs = 10_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

// ---- scratch folders ---------------------------------------------------------------------------

const scratchDirs = new Set<string>();

/** A private folder under the OS temp dir for candidate files; removed by removeScratch or at exit. */
export function makeScratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `treasure-${prefix}-`));
  scratchDirs.add(dir);
  return dir;
}

export function removeScratch(dir: string): void {
  scratchDirs.delete(dir);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    /* already gone */
  }
}

process.once('exit', () => {
  for (const d of scratchDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort at exit */
    }
  }
});
