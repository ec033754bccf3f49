// Shell: `bash -n` (reads the script, runs nothing) on each candidate file, all from one bash call.
// bash names only the line of an error (no column): the prover's precision is 'line'.
import {
  DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT_MS, findTool, runShort, verdict, type Prover, type ProverOptions,
} from './common';
import type { ParseError } from '../types';
import { fileIndex, fileProver, runShares, runTool } from './files';

/** `path: line N: message` lines of bash -n (the echoed code lines, starting with a backquote, skipped). */
export function bashErrors(stderr: string, texts: readonly string[]): ParseError[][] {
  const out: ParseError[][] = texts.map(() => []);
  for (const raw of stderr.split('\n')) {
    const m = /^(.*?\.sh): line (\d+): (.*)$/.exec(raw);
    if (!m || m[3]!.startsWith('`')) continue;
    const i = fileIndex(m[1]!, '.sh');
    if (i < 0 || i >= texts.length) continue;
    out[i]!.push({ line: Number(m[2]) - 1, column: 0, message: m[3]! });
  }
  return out;
}

export async function shellProver(opts: ProverOptions = {}): Promise<Prover | null> {
  const bash = findTool('bash');
  if (!bash) return null;
  const v = await runShort(bash, ['--version']);
  const ver = /version (\d+\.\d+)/.exec(v.out)?.[1];
  if (v.code !== 0 || !ver) return null;
  const name = `bash ${ver} -n`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  return fileProver({ name, firstErrorOnly: true, precision: 'line', ext: '.sh', scratchTag: 'sh', maxChars }, async (batch, { dir, files }, o) => {
    const loop = 'for f in "$@"; do "$0" -n "$f"; done';
    const runs = await runShares(files.map((f) => f.slice(dir.length + 1)), 4, (share) =>
      runTool(bash, ['-c', loop, bash, ...share], {
        cwd: dir, env: { PATH: process.env.PATH ?? '', LC_ALL: 'C' }, timeoutMs, signal: o.signal, label: name,
      }));
    return bashErrors(runs.map((r) => r.stderr).join('\n'), batch).map(verdict);
  });
}
