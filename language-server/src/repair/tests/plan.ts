// Which tests exercise a file, and how to run them. Cheap: a walk of the workspace's file names and a
// text search of candidate test files for the module's name; no test code runs here.
//   - treasure.verify.command (any language): a shell command, placeholders substituted at run time;
//   - Python: pytest over test_*.py / *_test.py files that import the module or are named after it;
//   - JavaScript: node --test over *.test.js / *.spec.js / test/ files that require or import it;
//     else the package's `npm test` script (exit status only);
//   - Go: `go test -json` of the file's package; Rust: `cargo test` of the crate.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { requireTrust } from './env';
import type { RunnerKind } from './report';
import { LINK_DIRS, SKIP_DIRS } from './scratch';

export interface TestPlan {
  kind: RunnerKind;
  /** The workspace root the scratch copies are made of (the user's folder; never written). */
  root: string;
  /** The file under repair, workspace-relative. */
  file: string;
  functionName?: string;
  /** Test files (workspace-relative) for pytest and node; empty for the others. */
  testFiles: string[];
  /** pytest: the interpreter (a workspace virtualenv's when there is one). */
  python?: string;
  /** Where the runner runs, workspace-relative ("" = the root): go.mod's, Cargo.toml's or package.json's folder. */
  cwd?: string;
  /** go: the package to test, relative to `cwd` ("./pkg"). */
  goPackage?: string;
  /** command / npm: the shell command, placeholders not yet substituted. */
  command?: string;
  /** command: the shell command that builds what `command` runs (treasure.verify.build), run first. */
  build?: string;
  /** Human-readable: "python3 -m pytest tests/test_calc.py". */
  describe: string;
}

export type PlanResult = TestPlan | { none: string };

export interface FindOptions {
  trusted: boolean;
  verifyCommand?: string;
  verifyBuild?: string;
  functionName?: string;
  /** Test files (workspace-relative) that must be among pytest's / node's, found or not (a failing test the user points at). */
  testFiles?: string[];
}

const PY_TEST = /^(test_.*|.*_test)\.py$/;
const JS_EXT = /\.(c|m)?js$/;
const JS_TEST = /\.(test|spec)\.(c|m)?js$/;
const MAX_WALK = 5000;

/** Workspace files (relative), skipping the folders a scratch copy skips or links. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let ents;
    try {
      ents = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      if (out.length >= MAX_WALK) return;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !LINK_DIRS.has(e.name) && e.name !== 'target' && !e.name.startsWith('.')) walk(join(dir, e.name));
      } else if (e.isFile()) out.push(relative(root, join(dir, e.name)));
    }
  };
  walk(root);
  return out;
}

function readSmall(p: string): string {
  try {
    return statSync(p).size < 1 << 20 ? readFileSync(p, 'utf8') : '';
  } catch {
    return '';
  }
}

/** The folder holding `marker` nearest above `file` (inside `root`), else undefined. */
function nearestWith(file: string, root: string, marker: string): string | undefined {
  let d = dirname(file);
  for (;;) {
    if (existsSync(join(d, marker))) return d;
    if (d === root || !d.startsWith(root)) return undefined;
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

const pythonOk = new Map<string, boolean>();
/** Whether `python -c 'import pytest'` works (cached per interpreter). */
export function hasPytest(python: string): boolean {
  let ok = pythonOk.get(python);
  if (ok === undefined) {
    const r = spawnSync(python, ['-c', 'import pytest'], { stdio: 'ignore', timeout: 10000 });
    ok = r.status === 0;
    pythonOk.set(python, ok);
  }
  return ok;
}

/** The workspace's virtualenv interpreter, else python3. */
export function pythonOf(root: string): string {
  for (const v of ['.venv', 'venv']) {
    const p = join(root, v, 'bin', 'python');
    if (existsSync(p)) return p;
  }
  return 'python3';
}

/** Module names a Python file can be imported as: "calc" and "pkg.calc" for pkg/calc.py. */
function pyModuleNames(rel: string): string[] {
  const noExt = rel.replace(/\.py$/, '');
  const parts = noExt.split(sep);
  if (parts[parts.length - 1] === '__init__') parts.pop();
  const names: string[] = [];
  for (let i = 0; i < parts.length; i++) names.push(parts.slice(i).join('.'));
  return names.filter(Boolean);
}

function planPython(root: string, rel: string, opts: FindOptions): PlanResult {
  const python = pythonOf(root);
  if (!hasPytest(python)) return { none: `pytest is not installed for ${python} (pip install pytest, or set treasure.verify.command)` };
  const mod = basename(rel, '.py');
  const names = pyModuleNames(rel);
  const importRe = new RegExp(`^\\s*(from\\s+(${names.map((n) => n.replace(/\./g, '\\.')).join('|')})\\s+import|import\\s+(${names.map((n) => n.replace(/\./g, '\\.')).join('|')})\\b|from\\s+[\\w.]*\\s+import\\s+[^\\n]*\\b${mod}\\b)`, 'm');
  const tests = listFiles(root).filter((f) => PY_TEST.test(basename(f)) && f !== rel);
  const hits = tests.filter((f) => basename(f) === `test_${mod}.py` || basename(f) === `${mod}_test.py` || importRe.test(readSmall(join(root, f))));
  if (hits.length === 0) return { none: tests.length ? `none of the ${tests.length} test files imports ${mod}` : 'the workspace has no Python tests (test_*.py)' };
  return { kind: 'pytest', root, file: rel, functionName: opts.functionName, testFiles: hits.sort(), python, describe: `${python} -m pytest ${hits.join(' ')}` };
}

function planNode(root: string, rel: string, opts: FindOptions): PlanResult {
  const stem = basename(rel).replace(JS_EXT, '');
  const files = listFiles(root);
  const isTestFile = (f: string) => JS_EXT.test(f) && (JS_TEST.test(f) || f.split(sep).some((p) => p === 'test' || p === 'tests' || p === '__tests__'));
  const refRe = new RegExp(`(require\\(|from\\s+|import\\()\\s*['"][^'"]*\\b${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.(c|m)?js)?['"]`);
  const hits = files.filter((f) => f !== rel && isTestFile(f)).filter((f) => {
    const text = readSmall(join(root, f));
    return /node:test|require\(['"]test['"]\)/.test(text) && refRe.test(text);
  });
  if (hits.length) return { kind: 'node', root, file: rel, functionName: opts.functionName, testFiles: hits.sort(), describe: `node --test ${hits.join(' ')}` };
  const pkgDir = nearestWith(join(root, rel), root, 'package.json');
  if (pkgDir) {
    try {
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
      const t = pkg.scripts?.test;
      if (t && !/no test specified/.test(t)) {
        const cd = relative(root, pkgDir);
        return { kind: 'npm', root, file: rel, functionName: opts.functionName, testFiles: [], cwd: cd, command: 'npm test --silent', describe: `npm test${cd ? ` (in ${cd})` : ''}: ${t}` };
      }
    } catch {
      /* a broken package.json: no npm plan */
    }
  }
  return { none: 'no node:test files require this module and package.json has no test script' };
}

/** A plan with `extra` test files added (a runner found no test of the module, but the user named one: that one). */
function withTestFiles(p: PlanResult, kind: 'pytest' | 'node', extra: string[] | undefined): PlanResult {
  if (!extra?.length) return p;
  if ('kind' in p) return p.kind === kind ? { ...p, testFiles: [...new Set([...p.testFiles, ...extra])].sort() } : p;
  return p;
}

/** The workspace root for a file outside any open folder (the CLI's default): its git root, else its folder. */
export function defaultRoot(file: string): string {
  const abs = resolve(file);
  let d = dirname(abs);
  for (;;) {
    if (existsSync(join(d, '.git'))) return d;
    const up = dirname(d);
    if (up === d) return dirname(abs);
    d = up;
  }
}

/**
 * The tests that exercise `file` (absolute, or relative to `root`) and how to run them, or why there
 * are none. `root` is the workspace folder (the caller's choice: the git root, else the file's folder).
 */
export function findTests(file: string, root: string, opts: FindOptions): PlanResult {
  requireTrust(opts.trusted, 'finding tests');
  const absRoot = existsSync(root) ? realpathSync(resolve(root)) : resolve(root);
  const given = resolve(root, file);
  const absFile = existsSync(given) ? realpathSync(given) : given;
  const rel = relative(absRoot, absFile);
  if (rel.startsWith('..')) return { none: `${file} is outside the workspace ${root}` };
  if (opts.verifyCommand?.trim()) {
    const build = opts.verifyBuild?.trim() || undefined;
    return { kind: 'command', root: absRoot, file: rel, functionName: opts.functionName, testFiles: [], command: opts.verifyCommand, ...(build ? { build } : {}), describe: build ? `${build} && ${opts.verifyCommand}` : opts.verifyCommand };
  }
  const ext = extname(rel);
  if (ext === '.py') return withTestFiles(planPython(absRoot, rel, opts), 'pytest', opts.testFiles);
  if (JS_EXT.test(ext)) return withTestFiles(planNode(absRoot, rel, opts), 'node', opts.testFiles);
  if (ext === '.go') {
    const mod = nearestWith(absFile, absRoot, 'go.mod');
    if (!mod) return { none: 'no go.mod above the file' };
    const pkgDir = relative(mod, dirname(absFile));
    const hasTests = readdirSync(dirname(absFile)).some((f) => f.endsWith('_test.go'));
    if (!hasTests) return { none: `the package ${pkgDir || '.'} has no _test.go files` };
    return { kind: 'go', root: absRoot, file: rel, functionName: opts.functionName, testFiles: [], cwd: relative(absRoot, mod), goPackage: `./${pkgDir}`, describe: `go test ./${pkgDir}` };
  }
  if (ext === '.rs') {
    const crate = nearestWith(absFile, absRoot, 'Cargo.toml');
    if (!crate) return { none: 'no Cargo.toml above the file' };
    return { kind: 'cargo', root: absRoot, file: rel, functionName: opts.functionName, testFiles: [], cwd: relative(absRoot, crate), describe: 'cargo test' };
  }
  if (ext === '.ts' || ext === '.tsx') {
    const p = planNode(absRoot, rel, opts);
    if ('kind' in p && p.kind === 'npm') return p;
    return { none: 'TypeScript tests run only through the package\'s npm test script, and there is none' };
  }
  return { none: `no test runner is known for ${ext || 'this file'} files: set treasure.verify.command` };
}
