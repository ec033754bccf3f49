// A failing test as the starting point of a fix (issue 26): the test under the cursor (pytest
// `def test_*`, node:test `test('...')` / `it('...')`), the workspace files it imports (the code under
// test), one traced run of its test file (does it fail? which lines of the code under test did the
// failing tests run that the passing ones did not?), and the function to fix. The fix itself is the
// tested repair search (repair/semantic.ts) on that function, with the test's file among the tests.
// Cheap to ask what is at the cursor (text only); nothing runs without trust.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { requireTrust } from './env';
import { localize, type SuspiciousLine } from './localize';
import { fileOf } from './node';
import { hasPytest, pythonOf, type TestPlan } from './plan';
import type { TestFailure, TestReport } from './report';
import { Scratch } from './scratch';
import { sharedWarmPool } from './session';

export type TestRunner = 'pytest' | 'node';

/** A test function in a test file (0-based lines, inclusive). */
export interface TestAtCursor {
  runner: TestRunner;
  /** pytest: the function's name ("test_ten"); node: the test's name ("adds two numbers"). */
  name: string;
  /** pytest: the enclosing class (TestCalc), if any. */
  className?: string;
  startLine: number;
  endLine: number;
  /** The test's source text (which functions it names). */
  body: string;
}

const PY_TEST_FILE = /^(test_.*|.*_test)\.py$/;
const JS_FILE = /\.(c|m)?js$/;
const JS_TEST_FILE = /\.(test|spec)\.(c|m)?js$/;

/** Which runner a workspace-relative file's tests are for, from its name; null: not a test file. */
export function testFileRunner(rel: string): TestRunner | null {
  if (PY_TEST_FILE.test(basename(rel))) return 'pytest';
  if (JS_FILE.test(rel) && (JS_TEST_FILE.test(rel) || rel.split(/[\\/]/).some((p) => p === 'test' || p === 'tests' || p === '__tests__'))) return 'node';
  return null;
}

const indentOf = (s: string) => s.length - s.trimStart().length;

/** The pytest test function around `line`, or null. */
function pytestAt(lines: string[], line: number): TestAtCursor | null {
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const m = /^(\s*)(?:async\s+)?def\s+(test\w*)\s*\(/.exec(lines[i]!);
    if (!m) continue;
    const ind = m[1]!.length;
    let end = i;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j]!;
      if (!l.trim()) continue;
      if (indentOf(l) <= ind && !/^\s*[)\]}]/.test(l)) break;
      end = j;
    }
    if (line > end) return null; // the cursor is below this test, outside any
    let className: string | undefined;
    if (ind > 0) {
      for (let k = i - 1; k >= 0; k--) {
        const c = /^(\s*)class\s+(\w+)/.exec(lines[k]!);
        if (c && c[1]!.length < ind) { className = c[2]; break; }
      }
    }
    return { runner: 'pytest', name: m[2]!, className, startLine: i, endLine: end, body: lines.slice(i, end + 1).join('\n') };
  }
  return null;
}

/** Where the call opened at `open` (an index of '(') closes, skipping strings and comments; -1: never. */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const e = text.indexOf('*/', i + 2);
      i = e < 0 ? text.length : e + 1;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The node:test `test('name', ...)` / `it('name', ...)` call around `line`, or null. */
function nodeTestAt(text: string, lines: string[], line: number): TestAtCursor | null {
  const starts: number[] = [0];
  for (let i = 0; i < lines.length; i++) starts.push(starts[i]! + lines[i]!.length + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const m = /^(\s*)(?:test|it)(?:\.(?:only|skip|todo|test|it))?\s*\(\s*(['"`])((?:\\.|(?!\2).)*)\2/.exec(lines[i]!);
    if (!m) continue;
    const open = starts[i]! + lines[i]!.indexOf('(');
    const close = closingParen(text, open);
    const end = close < 0 ? lines.length - 1 : lineOf(close);
    if (line > end) continue; // a test that ended above the cursor: an enclosing one may hold it
    return { runner: 'node', name: m[3]!.replace(/\\(.)/g, '$1'), startLine: i, endLine: end, body: lines.slice(i, end + 1).join('\n') };
  }
  return null;
}

/** The test at `line` (0-based) of a test file (workspace-relative `rel`), or null. */
export function testAt(text: string, rel: string, line: number): TestAtCursor | null {
  const runner = testFileRunner(rel);
  if (!runner) return null;
  const lines = text.split(/\r?\n/);
  if (line < 0 || line >= lines.length) return null;
  return runner === 'pytest' ? pytestAt(lines, line) : nodeTestAt(text, lines, line);
}

/** Whether a report's test id is this test (pytest: parametrized ids too). */
export function isTheTest(id: string, t: TestAtCursor, testRel: string): boolean {
  if (t.runner === 'pytest') {
    const parts = id.split('::');
    if (normalize(parts[0]!) !== normalize(testRel)) return false;
    const leaf = parts[parts.length - 1]!.replace(/\[.*\]$/, '');
    return leaf === t.name && (!t.className || parts.includes(t.className));
  }
  return normalize(fileOf(id)) === normalize(testRel) && id.split(' > ').pop() === t.name;
}

/** The workspace files a test file imports (workspace-relative, existing, not tests), in import order. */
export function sourcesUnderTest(testText: string, testRel: string, root: string): string[] {
  const runner = testFileRunner(testRel);
  const here = dirname(testRel);
  const found: string[] = [];
  const add = (rel: string | undefined) => {
    if (rel && !found.includes(rel) && rel !== testRel && !testFileRunner(rel) && !rel.startsWith('..')) found.push(rel);
  };
  const isFile = (rel: string) => existsSync(join(root, rel)) && !rel.split(sep).includes('node_modules');
  if (runner === 'pytest') {
    const mods: string[] = [];
    for (const m of testText.matchAll(/^\s*from\s+(\.*[\w.]*)\s+import\s+([^\n#]+)/gm)) {
      mods.push(m[1]!);
      // `from pkg import mod`: the names may be modules of the package
      for (const n of m[2]!.replace(/[()]/g, '').split(',')) {
        const name = n.trim().split(/\s+as\s+/)[0]!.trim();
        if (/^\w+$/.test(name)) mods.push(`${m[1]!}${m[1]!.endsWith('.') ? '' : '.'}${name}`);
      }
    }
    for (const m of testText.matchAll(/^\s*import\s+([^\n#]+)/gm)) for (const n of m[1]!.split(',')) mods.push(n.trim().split(/\s+as\s+/)[0]!.trim());
    for (const mod of mods) {
      const dots = /^\.*/.exec(mod)![0].length;
      const path = mod.slice(dots).split('.').filter(Boolean).join('/');
      if (!path) continue;
      // relative imports from the test's folder; absolute ones from the folders pytest puts on the path
      const bases = dots ? [join(here, ...Array(dots - 1).fill('..'))] : [here, '', 'src'];
      for (const b of bases) {
        const hit = [`${path}.py`, `${path}/__init__.py`].map((p) => normalize(join(b, p))).find(isFile);
        if (hit) { add(hit); break; }
      }
    }
  } else if (runner === 'node') {
    for (const m of testText.matchAll(/(?:require\(|from\s+|import\(|import\s+)\s*(['"])(\.{1,2}\/[^'"]+)\1/g)) {
      const base = normalize(join(here, m[2]!));
      add([base, `${base}.js`, `${base}.mjs`, `${base}.cjs`, join(base, 'index.js')].find((p) => JS_FILE.test(p) && isFile(p)));
    }
  }
  return found;
}

/** A function of a source file (0-based lines, inclusive). */
export interface SourceFunction {
  startLine: number;
  endLine: number;
}

export interface FailingTestInput {
  /** The workspace root (the user's folder: only copied, never written). */
  root: string;
  /** The test file, workspace-relative. */
  testFile: string;
  test: TestAtCursor;
  trusted: boolean;
  /** The functions of a source file (the caller parses: tree-sitter in the server). */
  functionsOf: (rel: string, text: string) => Promise<SourceFunction[]>;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Most source files traced (default 3). */
  maxSources?: number;
}

export type FailingTestFinding =
  | {
      status: 'fails';
      /** The test's ids in the report (a parametrized test has several). */
      ids: string[];
      failure: TestFailure;
      /** The code under test: a workspace-relative file and the function to fix in it. */
      source: string;
      fn: SourceFunction & { name?: string };
      /** The function's most suspicious lines (1-based), best first. */
      lines: SuspiciousLine[];
      report: TestReport;
      ms: number;
    }
  | { status: 'passes'; ids: string[]; report: TestReport; ms: number }
  | { status: 'none'; reason: string; report?: TestReport; ms: number };

/** "def below_zero(" / "function add(" / "const add = (" -> the name. */
export function functionNameOf(line: string): string | undefined {
  return /(?:def|function\*?|fn|func)\s+(\w+)|(\w+)\s*[=:]\s*(?:async\s*)?(?:function\b|\([^)]*\)\s*=>|\w+\s*=>)/.exec(line)?.slice(1).find(Boolean);
}

/**
 * Runs the test's file once (traced on each file the test imports, up to `maxSources`) in a scratch
 * copy and says whether the test fails, and where: the function of the code under test whose lines the
 * failing tests run most suspiciously (Ochiai over the file's tests; a tie goes to a function the test
 * names, then to the later line).
 */
export async function examineFailingTest(input: FailingTestInput): Promise<FailingTestFinding> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  requireTrust(input.trusted, 'running a test');
  const root = resolve(input.root);
  const t = input.test;
  const testText = readFileSync(join(root, input.testFile), 'utf8');
  const sources = sourcesUnderTest(testText, input.testFile, root).slice(0, input.maxSources ?? 3);
  if (sources.length === 0) return { status: 'none', reason: `${basename(input.testFile)} imports no file of the workspace: Treasure does not know which code ${t.name} tests`, ms: ms() };
  let python: string | undefined;
  if (t.runner === 'pytest') {
    python = pythonOf(root);
    if (!hasPytest(python)) return { status: 'none', reason: `pytest is not installed for ${python} (pip install pytest)`, ms: ms() };
  }
  const warm = python ? sharedWarmPool(python, true) : undefined;
  const scratch = Scratch.create(root);
  try {
    let report: TestReport | undefined;
    let best: { source: string; fn: SourceFunction & { name?: string }; score: number; named: boolean; line: number; lines: SuspiciousLine[] } | undefined;
    let ranAny = false;
    for (const source of sources) {
      if (extname(source) === '.py' ? t.runner !== 'pytest' : t.runner !== 'node') continue;
      const text = readFileSync(join(root, source), 'utf8');
      const n = text.split('\n').length;
      const plan: TestPlan = { kind: t.runner, root: scratch.source, file: source, testFiles: [input.testFile], python, describe: `${t.runner} ${input.testFile}` };
      const loc = await localize(plan, scratch, { trusted: true, file: source, fromLine: 1, toLine: n, signal: input.signal, timeoutMs: input.timeoutMs, warm });
      if (input.signal?.aborted) return { status: 'none', reason: 'cancelled', report: loc.report, ms: ms() };
      report ??= loc.report;
      const ids = [...report.passed, ...report.failed.map((f) => f.name)].filter((id) => isTheTest(id, t, input.testFile));
      if (ids.length === 0) {
        const why = report.errors[0]?.split('\n')[0] ?? `${report.summary}; no test named ${t.name}`;
        return { status: 'none', reason: `${t.name} did not run (${why})`, report, ms: ms() };
      }
      if (!report.failed.some((f) => ids.includes(f.name))) return { status: 'passes', ids, report, ms: ms() };
      if (loc.lines.length === 0) continue;
      ranAny = true;
      const fns = await input.functionsOf(source, text);
      const lines = text.split('\n');
      for (const l of loc.lines) {
        // the innermost function holding the line (0-based spans, 1-based lines)
        const fn = fns.filter((f) => f.startLine <= l.line - 1 && l.line - 1 <= f.endLine).sort((a, b) => a.endLine - a.startLine - (b.endLine - b.startLine))[0];
        if (!fn) continue;
        const name = functionNameOf(lines[fn.startLine] ?? '');
        const named = !!name && new RegExp(`\\b${name}\\b`).test(t.body);
        const better = !best || l.score > best.score || (l.score === best.score && named && !best.named);
        if (better) best = { source, fn: { ...fn, name }, score: l.score, named, line: l.line, lines: loc.lines.filter((x) => x.line - 1 >= fn.startLine && x.line - 1 <= fn.endLine) };
      }
    }
    if (!report) return { status: 'none', reason: `the files ${t.name} imports are not ${t.runner === 'pytest' ? 'Python' : 'JavaScript'}`, ms: ms() };
    const ids = [...report.passed, ...report.failed.map((f) => f.name)].filter((id) => isTheTest(id, t, input.testFile));
    const failure = report.failed.find((f) => ids.includes(f.name))!;
    if (!best) {
      const what = ranAny ? 'no function of' : 'none of the code in';
      return { status: 'none', reason: `${t.name} fails (${failure.message.split('\n')[0]}), but it runs ${what} ${sources.join(', ')}: nothing there to fix`, report, ms: ms() };
    }
    return { status: 'fails', ids, failure, source: best.source, fn: best.fn, lines: best.lines, report, ms: ms() };
  } finally {
    scratch.dispose();
  }
}

/** A test's name as a title shows it: "test_x", or "adds two numbers" in quotes for node. */
export function testLabel(t: Pick<TestAtCursor, 'runner' | 'name'>): string {
  return t.runner === 'pytest' ? t.name : `'${t.name}'`;
}

/** Whether a file path is inside a folder (both absolute). */
export function isInside(file: string, folder: string): boolean {
  const r = relative(folder, file);
  return !!r && !r.startsWith('..') && !r.startsWith(sep);
}
