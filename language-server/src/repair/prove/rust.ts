// Rust: rustfmt parses a file with rustc's own parser before formatting it; one `rustfmt --check`
// call reads a whole batch of candidate files (in the scratch folder) and reports each file's parse
// errors on stderr. An empty rustfmt.toml in the batch folder keeps any other
// configuration out. `mod x;` makes rustfmt open x.rs (and fail before parsing when it is missing),
// so it is read as `use x;`: same length, same positions, no file look-up.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT_MS, codePointToUtf16Column, findTool, lineStartsOf, runShort, verdict, type Prover, type ProverOptions,
} from './common';
import type { ParseError } from '../types';
import { fileIndex, fileProver, runShares, runTool, type ToolRun } from './files';

const OUTLINE_MOD = /\bmod(\s+(?:r#)?[A-Za-z_][A-Za-z0-9_]*\s*;)/g;

/** `mod name;` -> `use name;` (same length): rustfmt then opens no other file. */
export function withoutModuleFiles(text: string): string {
  return text.replace(OUTLINE_MOD, 'use$1');
}

/** rustc-style diagnostics (`error: msg` then ` --> path:line:col`), by file index; columns in chars. */
export function rustfmtErrors(stderr: string, texts: readonly string[]): ParseError[][] {
  const out: ParseError[][] = texts.map(() => []);
  const lines = stderr.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const head = /^error(\[[A-Za-z0-9]+\])?: (.*)$/.exec(lines[k]!);
    if (!head || head[1] === '[internal]') continue; // rustfmt's own formatting complaints are not syntax errors
    for (let j = k + 1; j < Math.min(lines.length, k + 4); j++) {
      const at = /^\s*--> (.*?\.rs):(\d+):(\d+)\s*$/.exec(lines[j]!);
      if (!at) continue;
      const i = fileIndex(at[1]!, '.rs');
      if (i < 0 || i >= texts.length) break;
      const line = Number(at[2]) - 1;
      const column = codePointToUtf16Column(texts[i]!, lineStartsOf(texts[i]!), line, Number(at[3]) - 1);
      const related = labelledSpans(lines, j + 1, texts[i]!).filter((r) => r.line !== line || r.column !== column);
      out[i]!.push({ line, column, message: `${head[1] ? `error${head[1]}: ` : ''}${head[2]}`, ...(related.length ? { related } : {}) });
      break;
    }
  }
  return out;
}

/**
 * The labelled spans of one rustc diagnostic (from `from` to its end): a source line `NN | code` and,
 * under it, `| - label` or `| ^ label`. rustc names the opener of an unclosed or mismatched delimiter
 * only there ("unclosed delimiter", "missing open `(` for this delimiter"), often far from the first
 * error. Columns: rustc shows a tab as 4 columns; mapped back to characters of the line.
 */
export function labelledSpans(lines: readonly string[], from: number, text: string): { line: number; column: number; message: string }[] {
  const out: { line: number; column: number; message: string }[] = [];
  const src = text.split('\n');
  let at: { line: number; codeStart: number } | undefined;
  for (let k = from; k < lines.length; k++) {
    const l = lines[k]!;
    if (/^(error|warning)/.test(l)) break;
    const code = /^\s*(\d+) \|/.exec(l);
    if (code) { at = { line: Number(code[1]) - 1, codeStart: code[0].length + 1 }; continue; }
    const mark = /^(\s*\| ?)(\s*)([-^]+)\s*(.*)$/.exec(l);
    if (!mark || !at) continue;
    const display = mark[1]!.length + mark[2]!.length - at.codeStart;
    const source = src[at.line] ?? '';
    let col = 0;
    for (let w = 0; col < source.length && w < display; col++) w += source[col] === '\t' ? 4 : 1;
    out.push({ line: at.line, column: col, message: mark[4]!.trim() });
  }
  return out;
}

/**
 * Runs rustfmt over a share until every file was read: on a fatal lexer error (an unterminated string)
 * it reports that file and stops with exit code 101, and the files after it were never parsed (they
 * would read as passing). Those are run again, from the file after the last one it reported.
 */
export async function runWhole(share: string[], run: (files: string[]) => Promise<ToolRun>, errorsOf: (stderr: string) => ParseError[][]): Promise<ToolRun> {
  const stderrs: string[] = [];
  let rest = share;
  let last: ToolRun = { code: 0, stdout: '', stderr: '' };
  while (rest.length > 0) {
    last = await run(rest);
    stderrs.push(last.stderr);
    if (last.code !== 101) break;
    const errs = errorsOf(last.stderr);
    const reported = rest.map((f) => fileIndex(f, '.rs')).filter((i) => (errs[i]?.length ?? 0) > 0);
    if (reported.length === 0) throw new Error(`rustfmt stopped (exit 101) without naming a file: ${last.stderr.trim().slice(0, 300)}`);
    const stop = rest.findIndex((f) => fileIndex(f, '.rs') === reported[reported.length - 1]);
    rest = rest.slice(stop + 1);
  }
  return { ...last, stderr: stderrs.join('\n') };
}

export async function rustProver(opts: ProverOptions = {}, edition = '2021'): Promise<Prover | null> {
  const rustfmt = findTool('rustfmt');
  if (!rustfmt) return null;
  const v = await runShort(rustfmt, ['--version']);
  const ver = /rustfmt (\S+)/.exec(v.out)?.[1];
  if (v.code !== 0 || !ver) return null; // a rustup proxy with no toolchain installed
  const name = `rustfmt ${ver} (edition ${edition})`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  return fileProver({ name, firstErrorOnly: false, precision: 'column', ext: '.rs', scratchTag: 'rust', maxChars }, async (batch, { dir, files }, o) => {
    writeFileSync(join(dir, 'rustfmt.toml'), '');
    // --check: diffs on stdout (ignored) instead of rewriting the files, which is faster
    const run = (share: string[]) => runTool(rustfmt, ['--check', '--edition', edition, '--color', 'never', ...share], { cwd: dir, timeoutMs, signal: o.signal, label: name });
    const runs = await runShares(files, 4, (share) => runWhole(share, run, (stderr) => rustfmtErrors(stderr, batch)));
    const stderr = runs.map((x) => x.stderr).join('\n');
    const errs = rustfmtErrors(stderr, batch);
    // exit 1 also means "would reformat": only an error message no file owns is the tool's failure
    if (errs.every((e) => e.length === 0) && /(^|\n)(error(?!\[internal\])|Error )/.test(stderr)) {
      throw new Error(`${name} failed without a parse error: ${stderr.trim().slice(0, 300)}`);
    }
    return errs.map(verdict);
  }, withoutModuleFiles);
}
