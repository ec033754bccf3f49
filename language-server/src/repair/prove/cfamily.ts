// C and C++: gcc / g++ -fsyntax-only over a batch of candidate files. The compiler reports semantic
// errors too (an undeclared name, a type mismatch) and stops at an #include it cannot find, so:
//  - an #include the compiler cannot find (checked once per set of includes with -M -MG) is blanked
//    out (spaces of the same length: every position stays) in every text of the batch, the original
//    included, so the rest of the file is still checked;
//  - a verdict lists every error, syntax or not: `ok` means the file compiles to the end of
//    -fsyntax-only. Whether a candidate fixes a syntax error is decided by comparing its errors
//    with the original document's (judge.ts): the target error gone and no error that was not there.
//    Where the document has errors of names or types as it is (a header not found), a syntax repair
//    reads its syntax errors alone (gccSyntaxError, common.ts syntaxView).
// C++ headers are slow to parse (<iostream> alone ~0.3 s), so when a text's #includes all come
// first, its leading <system> includes are compiled once into a precompiled header (cached in the OS
// temp dir) and the text is checked with -include of it and those lines blanked; gcc parses the
// header text itself when the .gch does not fit, so the verdict is the same either way.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import {
  DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT_MS, byteToUtf16Column, checkSizes, findTool, inBatches, lineStartsOf,
  makeScratch, removeScratch, runShort, verdict, type Prover, type ProverOptions,
} from './common';
import type { ParseError, ParseVerdict } from '../types';
import { fileIndex, removeBatch, runTool, writeBatch } from './files';

const INCLUDE = /^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\r\n]+)[>"][^\r\n]*/gm;
/** Lines that may come before and between the includes of a precompiled prefix. */
const PREFIX_LINE = /^[ \t]*(?:#[ \t]*include[ \t]*[<"][^>"]+[>"][ \t]*(?:\/\/.*)?|#[ \t]*pragma[ \t]+once[ \t]*|\/\/.*|)$/;

export type CLang = 'c' | 'cpp';

/** Plain ASCII quotes in messages, whatever the user's locale (messages are compared across texts). */
const C_LOCALE = { ...process.env, LC_ALL: 'C' };
/** Texts per compiler batch (shared among the cores). */
const C_BATCH_TEXTS = 16;

interface Compiler { exe: string; version: string; lang: CLang }

/** gcc-style diagnostics `path:line:col: error: msg` (and `fatal error:`), by file index. */
export function gccErrors(stderr: string, texts: readonly string[], ext: string): ParseError[][] {
  const out: ParseError[][] = texts.map(() => []);
  for (const raw of stderr.split('\n')) {
    const m = /^(.*?):(\d+):(\d+): (?:fatal )?error: (.*)$/.exec(raw);
    if (!m) continue;
    const i = fileIndex(m[1]!, ext);
    if (i < 0 || i >= texts.length) continue;
    const line = Number(m[2]) - 1;
    const text = texts[i]!;
    out[i]!.push({ line, column: byteToUtf16Column(text, lineStartsOf(text), line, Number(m[3]) - 1), message: m[4]! });
  }
  return out;
}

/**
 * gcc's and g++'s messages of a syntax error (what its parser and preprocessor reject: "expected ';' before
 * 'return'", "stray '#' in program", "missing terminating \" character"), not those of names and types
 * ("'Foo' does not name a type", "'x' was not declared in this scope", "unknown type name"), which a header
 * it cannot find produces all over a file that is well formed.
 */
const GCC_SYNTAX = /^expected |^stray |missing terminating|unterminated|without a previous|#\w+ without #|invalid preprocessing directive|#include expects|macro names must be identifiers|empty character constant|at end of input|is not allowed here|too many decimal points|invalid suffix|exponent has no digits|^extra |unbalanced/;
export function gccSyntaxError(message: string): boolean {
  return GCC_SYNTAX.test(message);
}

/** Replaces [start, end) with spaces (line breaks kept), so positions do not move. */
function blank(text: string, start: number, end: number): string {
  return text.slice(0, start) + text.slice(start, end).replace(/[^\r\n]/g, ' ') + text.slice(end);
}

interface IncludeLine { start: number; end: number; spec: string; line: string }

function includeLines(text: string): IncludeLine[] {
  const out: IncludeLine[] = [];
  for (const m of text.matchAll(INCLUDE)) {
    out.push({ start: m.index!, end: m.index! + m[0].length, spec: `${m[1]}${m[2]}${m[1] === '<' ? '>' : '"'}`, line: m[0] });
  }
  return out;
}

/** The include lines of a text's head (before its first line of code), or null when code comes first. */
function prefixIncludes(text: string, incs: IncludeLine[]): IncludeLine[] | null {
  if (incs.length === 0) return null;
  const last = incs[incs.length - 1]!;
  const head = text.slice(0, last.end);
  if (head.includes('/*')) return null;
  if (!head.split(/\r\n|\r|\n/).every((l) => PREFIX_LINE.test(l))) return null;
  return incs;
}

function mostCommon(xs: string[]): string | undefined {
  const n = new Map<string, number>();
  let best: string | undefined;
  for (const x of xs) {
    n.set(x, (n.get(x) ?? 0) + 1);
    if (best === undefined || n.get(x)! > n.get(best)!) best = x;
  }
  return best;
}

export async function cfamilyProver(lang: CLang, opts: ProverOptions = {}): Promise<Prover | null> {
  const exe = findTool(lang === 'c' ? 'gcc' : 'g++');
  if (!exe) return null;
  const v = await runShort(exe, ['--version']);
  // only GCC's flags and output are read here (a "gcc" that is clang falls back to tree-sitter)
  if (v.code !== 0 || !/Free Software Foundation|\bGCC\b/.test(v.out)) return null;
  const version = (await runShort(exe, ['-dumpfullversion'])).out.trim() || '?';
  const major = Number(version.split('.')[0]);
  if (!(major >= 11)) return null; // -fdiagnostics-plain-output and -fdiagnostics-column-unit came in GCC 11
  const compiler: Compiler = { exe, version, lang };
  const name = `${lang === 'c' ? 'gcc' : 'g++'} ${version} -fsyntax-only`;
  // a C++ file costs 50-200 ms even with its headers precompiled: small batches (so cancellation
  // stops soon) and a longer limit per batch
  const timeoutMs = opts.timeoutMs ?? 3 * DEFAULT_TIMEOUT_MS;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const ext = lang === 'c' ? '.c' : '.cpp';
  const missingCache = new Map<string, Promise<Set<string>>>();
  let scratch: string | undefined;

  const baseFlags = (docDir: string | undefined) => [
    '-x', lang === 'c' ? 'c' : 'c++',
    '-w', '-fdiagnostics-plain-output', '-fdiagnostics-column-unit=byte', '-fno-diagnostics-show-caret', '-fmax-errors=100',
    ...(docDir ? ['-iquote', docDir] : []),
  ];

  /** Header specs (`<x.h>`, `"y.h"`) the compiler cannot find, from one -M -MG run. */
  const missingHeaders = (specs: string[], docDir: string | undefined, cwd: string): Promise<Set<string>> => {
    const key = `${docDir ?? ''}\n${specs.join('\n')}`;
    let p = missingCache.get(key);
    if (!p) {
      p = (async () => {
        const src = join(cwd, `deps${ext}`);
        writeFileSync(src, specs.map((s) => `#include ${s}\n`).join(''));
        const r = await runTool(exe, [...baseFlags(docDir), '-M', '-MG', src], { cwd, env: C_LOCALE, timeoutMs, label: name });
        const deps = new Set(r.stdout.replace(/\\\r?\n/g, ' ').split(/\s+/));
        return new Set(specs.filter((s) => deps.has(s.slice(1, -1))));
      })();
      missingCache.set(key, p);
      p.catch(() => missingCache.delete(key));
    }
    return p;
  };

  return {
    name,
    kind: 'native',
    firstErrorOnly: false,
    precision: 'column',
    syntaxError: gccSyntaxError,
    async parse(texts, o = {}) {
      checkSizes(texts, maxChars, name);
      scratch ??= makeScratch(lang);
      const dir0 = scratch;
      const docDir = o.path && isAbsolute(o.path) && existsSync(dirname(o.path)) ? dirname(o.path) : undefined;
      return inBatches(texts, o.signal, async (batch) => {
        const incs = batch.map(includeLines);
        const specs = [...new Set(incs.flat().map((i) => i.spec))].sort();
        const missing = specs.length > 0 ? await missingHeaders(specs, docDir, dir0) : new Set<string>();
        // what each file is compiled as: its text with unfound (and precompiled) includes blanked
        const heads = batch.map((text, i) => {
          // the leading <system> includes only: a "local" header may change under a cached .gch
          const head = prefixIncludes(text, incs[i]!)?.filter((inc) => !missing.has(inc.spec)) ?? [];
          const quoted = head.findIndex((inc) => inc.spec.startsWith('"'));
          const found = quoted < 0 ? head : head.slice(0, quoted);
          return { found, pch: found.length > 0 ? found.map((inc) => inc.line.trim()).join('\n') + '\n' : undefined };
        });
        // one header is precompiled per batch: the include block most texts share (the original's);
        // a candidate that edits its includes is compiled with them as they are
        const usual = mostCommon(heads.map((h) => h.pch).filter((x): x is string => x !== undefined));
        const prepared = batch.map((text, i) => {
          let t = text;
          for (const inc of incs[i]!) if (missing.has(inc.spec)) t = blank(t, inc.start, inc.end);
          const { found, pch } = heads[i]!;
          if (pch === undefined || pch !== usual) return { text: t, pch: undefined };
          for (const inc of found) t = blank(t, inc.start, inc.end);
          return { text: t, pch };
        });
        const { dir, files } = writeBatch(dir0, prepared.map((p) => p.text), ext);
        try {
          // one compiler call per (precompiled header, share of the cores)
          const groups = new Map<string, number[]>();
          prepared.forEach((p, i) => {
            const k = p.pch ?? '';
            groups.set(k, [...(groups.get(k) ?? []), i]);
          });
          const cores = Math.max(1, Math.min(4, availableParallelism()));
          const runs: Promise<string>[] = [];
          for (const [pchText, idx] of groups) {
            const flags = baseFlags(docDir);
            if (pchText) flags.push('-include', await precompiled(compiler, pchText, flags, timeoutMs));
            const per = Math.ceil(idx.length / cores);
            for (let k = 0; k < idx.length; k += per) {
              const part = idx.slice(k, k + per).map((i) => files[i]!);
              runs.push(runTool(exe, ['-fsyntax-only', ...flags, ...part], { cwd: dir, env: C_LOCALE, timeoutMs, signal: o.signal, label: name }).then((r) => r.stderr));
            }
          }
          const stderr = (await Promise.all(runs)).join('\n');
          return gccErrors(stderr, batch, ext).map((e): ParseVerdict => verdict(e));
        } finally {
          removeBatch(dir);
        }
      }, C_BATCH_TEXTS);
    },
    dispose() {
      if (scratch) removeScratch(scratch);
      scratch = undefined;
      missingCache.clear();
    },
  };
}

const pchBuilds = new Map<string, Promise<string>>();

/**
 * A header holding `includes`, precompiled once (by compiler, flags and text) under the OS temp dir;
 * resolves with the header's path (gcc finds the .gch next to it). When the build fails the header is
 * still returned: gcc then reads its text, which is slower but gives the same verdict.
 */
function precompiled(c: Compiler, includes: string, flags: string[], timeoutMs: number): Promise<string> {
  const key = createHash('sha256').update(`${c.exe}\n${c.version}\n${flags.join(' ')}\n${includes}`).digest('hex').slice(0, 20);
  let p = pchBuilds.get(key);
  if (!p) {
    p = (async () => {
      const root = join(tmpdir(), 'treasure-provers');
      const dir = join(root, `pch-${key}`);
      const header = join(dir, 'prefix.h');
      if (existsSync(`${header}.gch`)) return header;
      mkdirSync(root, { recursive: true });
      const work = mkdtempSync(join(root, 'pch-build-'));
      writeFileSync(join(work, 'prefix.h'), includes);
      const hflags = flags.map((f) => (f === 'c++' ? 'c++-header' : f === 'c' ? 'c-header' : f));
      const r = await runTool(c.exe, [...hflags, join(work, 'prefix.h'), '-o', join(work, 'prefix.h.gch')], { cwd: work, env: C_LOCALE, timeoutMs: Math.max(timeoutMs, 60_000), label: 'precompiled header' }).catch(() => null);
      if (!r || r.code !== 0) rmSync(join(work, 'prefix.h.gch'), { force: true });
      try {
        renameSync(work, dir);
      } catch {
        rmSync(work, { recursive: true, force: true }); // built by another process meanwhile
      }
      return header;
    })();
    pchBuilds.set(key, p);
  }
  return p;
}
