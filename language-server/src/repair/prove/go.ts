// Go: `gofmt -e` (go/parser with every error reported) over a whole batch of candidate files in one
// call. gofmt only parses and prints; -l keeps the formatted text off stdout.
import {
  DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT_MS, byteToUtf16Column, findTool, lineStartsOf, runShort, verdict, type Prover, type ProverOptions,
} from './common';
import type { ParseError } from '../types';
import { fileIndex, fileProver, runTool } from './files';

/** `path:line:col: message` lines of gofmt's stderr, by file index (line and byte column 1-based). */
export function gofmtErrors(stderr: string, texts: readonly string[]): ParseError[][] {
  const out: ParseError[][] = texts.map(() => []);
  const starts = new Map<number, number[]>();
  for (const raw of stderr.split('\n')) {
    const m = /^(.*?\.go):(\d+):(\d+): (.*)$/.exec(raw);
    if (!m) continue;
    const i = fileIndex(m[1]!, '.go');
    if (i < 0 || i >= texts.length) continue;
    if (!starts.has(i)) starts.set(i, lineStartsOf(texts[i]!));
    const line = Number(m[2]) - 1;
    out[i]!.push({ line, column: byteToUtf16Column(texts[i]!, starts.get(i)!, line, Number(m[3]) - 1), message: m[4]! });
  }
  return out;
}

export async function goProver(opts: ProverOptions = {}): Promise<Prover | null> {
  const gofmt = findTool('gofmt');
  if (!gofmt) return null;
  const go = findTool('go');
  const v = go ? await runShort(go, ['version']) : { code: 1, out: '' };
  const ver = /go version go(\S+)/.exec(v.out)?.[1];
  const name = ver ? `gofmt -e (go ${ver})` : 'gofmt -e';
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  return fileProver({ name, firstErrorOnly: false, precision: 'column', batchExact: true, ext: '.go', scratchTag: 'go', maxChars }, async (batch, { dir, files }, o) => {
    const r = await runTool(gofmt, ['-e', '-l', ...files], { cwd: dir, timeoutMs, signal: o.signal, label: name });
    const errs = gofmtErrors(r.stderr, batch);
    if (r.code !== 0 && errs.every((e) => e.length === 0)) {
      throw new Error(`${name} failed without a parse error: ${r.stderr.trim().slice(0, 300)}`);
    }
    return errs.map(verdict);
  });
}
