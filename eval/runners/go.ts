// Go: GOPATH mode over Debian's gocode, one import block as goimports would make it; go test -c in batches.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../paths.js';
import { runProc, type ProcResult } from '../proc.js';
import { compileFailure, runOutcome, tail } from './outcome.js';
import type { ExecResult, LangRunner, Program, RunLimits } from './types.js';

// --- Go

export const GOPATH = process.env.TREASURE_GOPATH ?? '/usr/share/gocode';

/** Standard-library packages a solution may use without importing them in the document (goimports adds them). */
const GO_STD: Record<string, string> = {
  math: 'math', strings: 'strings', strconv: 'strconv', sort: 'sort', fmt: 'fmt', bytes: 'bytes', unicode: 'unicode',
  regexp: 'regexp', rand: 'math/rand', md5: 'crypto/md5', hex: 'encoding/hex', reflect: 'reflect', utf8: 'unicode/utf8',
  bits: 'math/bits', big: 'math/big', errors: 'errors', time: 'time', slices: 'slices',
};

interface GoImport { name: string; path: string; alias?: string }

function goImportsIn(text: string): { rest: string; imports: GoImport[] } {
  const imports: GoImport[] = [];
  const add = (spec: string) => {
    const m = /^\s*([A-Za-z_.][\w]*)?\s*"([^"]+)"/.exec(spec);
    if (!m) return;
    const path = m[2]!;
    const alias = m[1];
    imports.push({ path, alias, name: alias ?? path.split('/').pop()! });
  };
  let rest = text.replace(/^[ \t]*package\s+\w+[ \t]*$/gm, '');
  rest = rest.replace(/^[ \t]*import\s*\(([^)]*)\)/gm, (_all, body: string) => {
    for (const line of body.split('\n')) add(line.replace(/\/\/.*$/, ''));
    return '';
  });
  rest = rest.replace(/^[ \t]*import\s+((?:[A-Za-z_.]\w*\s+)?"[^"]+")[ \t]*$/gm, (_all, spec: string) => { add(spec); return ''; });
  return { rest, imports };
}

/** Text without string literals and comments, to look for `pkg.` uses. */
function goCodeOnly(text: string): string {
  return text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:\\.|[^"\\\n])*"|`[^`]*`|'(?:\\.|[^'\\\n])+'/g, ' ');
}

/** One Go test file: package main, one import block with exactly the packages used, then code and test. */
export function assembleGo(prog: Program): string {
  // Helpers the problem's prompt defines (and the document lacks), unless the code defines them itself.
  const helpers = [...(prog.goHelpers ?? '').matchAll(/^func\s+(\w+)[\s\S]*?^\}[ \t]*$/gm)]
    .filter((m) => !new RegExp(`^func\\s+${m[1]}\\s*\\(`, 'm').test(prog.code)).map((m) => m[0]).join('\n\n');
  const parts = [prog.goTestSetup ?? '', prog.goImport ?? '', helpers, prog.code, prog.test].map(goImportsIn);
  const body = parts.map((p) => p.rest).join('\n');
  const code = goCodeOnly(body);
  const used = (name: string) => name === '_' || name === '.' || new RegExp(`(^|[^\\w.])${name.replace('.', '\\.')}\\.`).test(code);
  const byPath = new Map<string, GoImport>();
  for (const p of parts) for (const imp of p.imports) if (!byPath.has(imp.path) && used(imp.name)) byPath.set(imp.path, imp);
  const names = new Set([...byPath.values()].map((i) => i.name));
  for (const [name, path] of Object.entries(GO_STD)) {
    if (!names.has(name) && !byPath.has(path) && used(name) && !new RegExp(`\\b${name}\\s*:?=|\\bvar\\s+${name}\\b|\\b${name}\\s+[\\w\\[\\]*]+\\s*[,)]`).test(code)) {
      byPath.set(path, { name, path });
      names.add(name);
    }
  }
  const specs = [...byPath.values()].map((i) => `    ${i.alias ? i.alias + ' ' : ''}"${i.path}"`).join('\n');
  return `package main\n\nimport (\n${specs}\n)\n\n${body.replace(/^\n+/, '')}\n`;
}

function goEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOTOOLCHAIN: 'local', GOPROXY: 'off',
    GOCACHE: join(cacheDir(), 'gocache'), CGO_ENABLED: '0',
  };
}

export const runGo: LangRunner = async (prog, dir, limits) => {
  writeFileSync(join(dir, 'main_test.go'), assembleGo(prog));
  const env = goEnv();
  // -s -w: no symbol table or DWARF (panics still print function names and lines from pclntab); the link
  // is most of a compile here and they make it about a fifth cheaper.
  const c = await runProc('go', ['test', '-c', '-vet=off', '-ldflags=-s -w', '-o', 'prog.test', '.'], { cwd: dir, timeoutMs: limits.compileTimeoutMs, env });
  const cf = compileFailure(c);
  if (cf) return cf;
  const r = await runProc('./prog.test', ['-test.timeout', `${Math.ceil(limits.runTimeoutMs / 1000) + 5}s`], { cwd: dir, timeoutMs: limits.runTimeoutMs, env });
  return goOutcome(r);
};

function goOutcome(r: ProcResult): ExecResult {
  const out = r.stderr + '\n' + r.stdout;
  if (!r.timedOut && r.code !== 0 && /^panic: /m.test(out) && !/panic: test timed out/.test(out)) return { pass: false, kind: 'runtime_error', ms: r.ms, detail: tail(out) };
  return runOutcome(r, (o) => /--- FAIL/.test(o));
}

// --- Go batches
// `go test -c` costs ~0.9 s a program here, mostly the go command and the link, not the compile: many
// programs share one package (one file each), one compile and one link, and each program's run selects
// its own test (-test.run). Exact only while the programs cannot see each other: a batch never holds two
// programs declaring the same top-level name, a program that uses a name another member declares (and
// it does not) runs alone, and so does one whose top level this scan cannot list (grouped or indented
// declarations, init/main, package variables set at start-up: every run of a shared binary would run
// them). Files the compiler blames leave the batch and compile alone, so a compile error reads the same.

const GO_BATCH = 40;

export interface GoCompiled { binary: string; testName: string; compileMs: number }
interface GoMember { i: number; src: string; testName: string; names: Set<string> }

/** Top-level names a Go file declares, or undefined when this simple scan cannot list them all. */
export function goTopLevelNames(src: string): Set<string> | undefined {
  if (/^[ \t]+func\s+\w+\s*\(/m.test(src)) return undefined; // a named func is top level wherever it is indented
  if (/^(?:var|const|type)\s*\(/m.test(src)) return undefined; // grouped declarations
  if (/^func\s+(?:init|main|TestMain)\s*\(/m.test(src)) return undefined;
  if (/^var\s[^\n]*=/m.test(src)) return undefined; // package state set at start-up
  return new Set([...src.matchAll(/^(?:func|type|var|const)\s+(\w+)/gm)].map((m) => m[1]!));
}

/** Batches of programs that may share a package (see above); the rest compile alone. */
export function goBatches(items: { i: number; src: string; test: string }[]): GoMember[][] {
  const batches: { members: GoMember[]; names: Set<string> }[] = [];
  for (const it of items) {
    const tests = [...it.test.matchAll(/^func\s+(Test\w+)\s*\(/gm)].map((m) => m[1]!);
    const names = goTopLevelNames(it.src);
    if (tests.length !== 1 || !names) continue;
    const b = batches.find((x) => x.members.length < GO_BATCH && ![...names].some((n) => x.names.has(n)));
    const m: GoMember = { i: it.i, src: it.src, testName: tests[0]!, names };
    if (b) { b.members.push(m); for (const n of names) b.names.add(n); } else batches.push({ members: [m], names: new Set(names) });
  }
  return batches.filter((b) => b.members.length > 1).map((b) => b.members);
}

export async function compileGoBatch(members: GoMember[], limits: RunLimits): Promise<{ dir: string; compiled: Map<number, GoCompiled> }> {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-gobatch-'));
  const compiled = new Map<number, GoCompiled>();
  let live = members.map((_, k) => k);
  for (let attempt = 0; attempt < 2 && live.length > 1; attempt++) {
    const pkg = join(dir, `b${attempt}`);
    mkdirSync(pkg);
    for (const k of live) writeFileSync(join(pkg, `p${k}_test.go`), members[k]!.src);
    const t0 = Date.now();
    const c = await runProc('go', ['test', '-c', '-vet=off', '-gcflags=-e', '-ldflags=-s -w', '-o', 'batch.test', '.'],
      { cwd: pkg, timeoutMs: limits.compileTimeoutMs * 4, env: goEnv(), maxOutput: 4 << 20 });
    if (c.code === 0 && !c.timedOut) {
      const each = Math.round((Date.now() - t0) / live.length);
      for (const k of live) {
        // a name this program uses, declares not, and another member declares: it might compile here only
        const own = members[k]!.names;
        const used = new Set(goCodeOnly(members[k]!.src).match(/[A-Za-z_]\w*/g) ?? []);
        const borrowed = live.some((o) => o !== k && [...members[o]!.names].some((n) => used.has(n) && !own.has(n)));
        if (!borrowed) compiled.set(members[k]!.i, { binary: join(pkg, 'batch.test'), testName: members[k]!.testName, compileMs: each });
      }
      break;
    }
    if (c.timedOut || c.spawnError) break;
    const blamed = new Set([...(c.stderr + c.stdout).matchAll(/\bp(\d+)_test\.go:\d+/g)].map((m) => Number(m[1])));
    if (blamed.size === 0) break; // an error the compiler pinned on no file: each compiles alone
    live = live.filter((k) => !blamed.has(k));
  }
  return { dir, compiled };
}

export async function runGoCompiled(pre: GoCompiled, dir: string, limits: RunLimits): Promise<ExecResult> {
  const r = await runProc(pre.binary, ['-test.run', `^${pre.testName}$`, '-test.v', '-test.timeout', `${Math.ceil(limits.runTimeoutMs / 1000) + 5}s`],
    { cwd: dir, timeoutMs: limits.runTimeoutMs, env: goEnv() });
  const res = goOutcome(r);
  // a pass must be this program's test having run and passed
  if (res.pass && !new RegExp(`^--- PASS: ${pre.testName} `, 'm').test(r.stdout)) return { pass: false, kind: 'infra', ms: r.ms, detail: `${pre.testName} did not run` };
  return res;
}
