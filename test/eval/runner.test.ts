// The test runner of the eval harness: real executions in scratch folders. python3 and node are always
// there; java/cpp/go/rust cases run where their toolchains are installed (scripts/install-eval-toolchains.sh)
// and are skipped otherwise.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buggyDocument, canonicalDocument, HEP_LANGUAGES, loadProblems } from '../../eval/humanevalpack.js';
import { humanEvalPackDir } from '../../eval/paths.js';
import { assembleGo, cppPrelude, goBatches, programFor, runProgram, runPrograms, toolchain, type Program, type RunLimits } from '../../eval/runner.js';

const noCache: RunLimits = { runTimeoutMs: 10_000, compileTimeoutMs: 120_000, cache: false };
const short: RunLimits = { ...noCache, runTimeoutMs: 1500 };
const py = (code: string, t = ''): Program => ({ language: 'python', code, test: t });
const js = (code: string, t = ''): Program => ({ language: 'js', code, test: t });

test('a planted infinite loop is a timeout failure, and the harness goes on', async () => {
  const r = await runProgram(py('def f():\n    while True:\n        pass\n', 'f()\n'), short);
  assert.equal(r.pass, false);
  assert.equal(r.kind, 'timeout');
  const j = await runProgram(js('function f() { for (;;) {} }\n', 'f()\n'), short);
  assert.equal(j.pass, false);
  assert.equal(j.kind, 'timeout');
  // a child process left looping in the background is killed with its group
  const bg = await runProgram(py('import subprocess, sys\nsubprocess.Popen([sys.executable, "-c", "while True: pass"])\nwhile True: pass\n'), short);
  assert.equal(bg.kind, 'timeout');
  // and the next program runs normally
  assert.equal((await runProgram(py('x = 1\n', 'assert x == 1\n'), short)).pass, true);
});

test('JS console.assert failures are caught (Node would only print them)', async () => {
  assert.equal((await runProgram(js('const f = (x) => x + 1\n', 'console.assert(f(1) === 2)\n'), noCache)).pass, true);
  const bad = await runProgram(js('const f = (x) => x + 2\n', 'const t = () => { console.assert(f(1) === 2) }\nt()\n'), noCache);
  assert.equal(bad.pass, false);
  assert.equal(bad.kind, 'assertion');
  // even when the test swallows the exception
  const swallowed = await runProgram(js('const f = (x) => x + 2\n', 'try { console.assert(f(1) === 2) } catch (e) {}\n'), noCache);
  assert.equal(swallowed.pass, false);
  assert.equal(swallowed.kind, 'assertion');
});

test('failures are classified: syntax error, runtime error, assertion', async () => {
  assert.equal((await runProgram(py('def f(:\n    pass\n'), noCache)).kind, 'compile_error');
  assert.equal((await runProgram(py('def f():\n    return 1 / 0\n', 'f()\n'), noCache)).kind, 'runtime_error');
  assert.equal((await runProgram(py('def f():\n    return 1\n', 'assert f() == 2\n'), noCache)).kind, 'assertion');
  assert.equal((await runProgram(js('const f = () => {\n', 'f()\n'), noCache)).kind, 'compile_error');
  assert.equal((await runProgram(js('const f = () => null.x\n', 'f()\n'), noCache)).kind, 'runtime_error');
});

test('tests run in a scratch folder that is removed afterwards, never in the workspace', async () => {
  const before = readdirSync(tmpdir()).filter((f) => f.startsWith('treasure-eval-python-')).length;
  const r = await runProgram(py('import os\n', 'assert os.getcwd().startswith(__import__("tempfile").gettempdir())\nopen("junk.txt", "w").write("x")\n'), noCache);
  assert.equal(r.pass, true, r.detail);
  assert.equal(readdirSync(tmpdir()).filter((f) => f.startsWith('treasure-eval-python-')).length, before);
});

test('results are cached by content hash (timeouts are not)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-cache-test-'));
  const saved = process.env.TREASURE_EVAL_CACHE;
  process.env.TREASURE_EVAL_CACHE = dir;
  try {
    const limits = { ...short, cache: true };
    const prog = py('def f():\n    return 3\n', 'assert f() == 3\n');
    const a = await runProgram(prog, limits);
    const b = await runProgram(prog, limits);
    assert.equal(a.pass, true);
    assert.equal(a.cached, undefined);
    assert.equal(b.cached, true);
    assert.equal(b.pass, true);
    const loop = py('while True: pass\n');
    assert.equal((await runProgram(loop, limits)).kind, 'timeout');
    assert.equal((await runProgram(loop, limits)).cached, undefined);
  } finally {
    if (saved === undefined) delete process.env.TREASURE_EVAL_CACHE; else process.env.TREASURE_EVAL_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a program given twice in one call runs once (a timeout runs again)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-runs-'));
  try {
    const counter = join(dir, 'runs');
    const once = py(`open(${JSON.stringify(counter)}, 'a').write('x')\n`, 'assert True\n');
    const rs = await runPrograms([once, { ...once }, py('x = 2\n', 'assert x == 2\n')], noCache, 2);
    assert.deepEqual(rs.map((r) => r.pass), [true, true, true]);
    assert.equal(readFileSync(counter, 'utf8'), 'x');
    const loop = py(`open(${JSON.stringify(counter)}, 'a').write('y')\nwhile True: pass\n`);
    const ts = await runPrograms([loop, { ...loop }], short, 2);
    assert.deepEqual(ts.map((r) => r.kind), ['timeout', 'timeout']);
    assert.equal(readFileSync(counter, 'utf8'), 'xyy');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('go: one import block with the packages used, helpers from the prompt unless the code has them', () => {
  const src = assembleGo({
    language: 'go',
    goTestSetup: 'package main\n\nimport (\n    "testing"\n    "math"\n    "github.com/stretchr/testify/assert"\n)\n',
    goImport: 'import (\n    "strings"\n)\n',
    goHelpers: 'func Helper(s string) string {\n    return s\n}',
    code: '\nfunc F(s string) int {\n    return len(strings.TrimSpace(Helper(s))) + int(math.Sqrt(4)) + len(fmt.Sprint(1))\n}\n',
    test: 'func TestF(t *testing.T) {\n    assert := assert.New(t)\n    assert.Equal(3, F("a"))\n}\n',
  });
  assert.match(src, /^package main\n\nimport \(\n/);
  assert.equal((src.match(/^import/gm) ?? []).length, 1);
  for (const p of ['"testing"', '"math"', '"strings"', '"fmt"', '"github.com/stretchr/testify/assert"']) assert.ok(src.includes(p), p);
  assert.match(src, /func Helper\(s string\)/);
  const unused = assembleGo({ language: 'go', goTestSetup: 'package main\nimport (\n    "math"\n    "testing"\n)\n', code: 'func G() int { return 1 }\n', test: 'func TestG(t *testing.T) {}\n', goHelpers: 'func G() int {\n    return 2\n}' });
  assert.ok(!unused.includes('"math"'));
  assert.equal((unused.match(/func G\(/g) ?? []).length, 1);
});

for (const lang of HEP_LANGUAGES) {
  test(`${lang}: canonical solutions pass and buggy ones fail (first problems of HumanEvalPack)`, async (t) => {
    const tc = await toolchain(lang);
    if (!tc.ok) { t.skip(tc.why); return; }
    for (const p of loadProblems(humanEvalPackDir(), lang, 2)) {
      const good = await runProgram(programFor(p, canonicalDocument(p)), noCache);
      assert.equal(good.pass, true, `${p.taskId} canonical: ${good.kind} ${good.detail}`);
      const bad = await runProgram(programFor(p, buggyDocument(p)), noCache);
      assert.equal(bad.pass, false, `${p.taskId} buggy passed`);
      assert.notEqual(bad.kind, 'infra', `${p.taskId} buggy: ${bad.detail}`);
    }
  });
}

test('the traps: JS/162 needs js-md5, CPP/162 openssl, Rust/32 rand 0.7 calls, Go/10 a prompt helper', async (t) => {
  const cases: [(typeof HEP_LANGUAGES)[number], number][] = [['js', 162], ['cpp', 162], ['cpp', 22], ['rust', 32], ['go', 10]];
  for (const [lang, i] of cases) {
    const tc = await toolchain(lang);
    if (!tc.ok) { t.diagnostic(`${lang} skipped: ${tc.why}`); continue; }
    const p = loadProblems(humanEvalPackDir(), lang)[i]!;
    const r = await runProgram(programFor(p, canonicalDocument(p)), noCache);
    assert.equal(r.pass, true, `${p.taskId}: ${r.kind} ${r.detail}`);
  }
});

test('java: programs compiled in one javac batch get the same verdicts as one by one (errors pinned to their file)', async (t) => {
  const tc = await toolchain('java');
  if (!tc.ok) { t.skip(tc.why); return; }
  const ps = loadProblems(humanEvalPackDir(), 'java', 2);
  const progs: Program[] = [
    programFor(ps[0]!, canonicalDocument(ps[0]!)),
    programFor(ps[0]!, buggyDocument(ps[0]!)),
    programFor(ps[1]!, canonicalDocument(ps[1]!).replace('return', 'retrun')), // compile error
    programFor(ps[1]!, canonicalDocument(ps[1]!)),
    programFor(ps[1]!, canonicalDocument(ps[1]!).replace(/(public [^\n]*\{\n)/, '$1        int z = 0; while (z == 0) {}\n')), // loops forever
  ];
  const rs = await runPrograms(progs, short, 2);
  assert.deepEqual(rs.map((r) => [r.pass, r.kind]), [[true, undefined], [false, 'assertion'], [false, 'compile_error'], [true, undefined], [false, 'timeout']]);
  assert.match(rs[2]!.detail!, /Main\.java:\d+: error/);
});

test('go: programs that share a package in one `go test -c` get the verdicts they get alone; programs that could see each other do not share', async (t) => {
  const ps = loadProblems(humanEvalPackDir(), 'go', 5);
  const doc = (i: number) => canonicalDocument(ps[i]!);
  const progs: Program[] = [
    programFor(ps[0]!, doc(0)),
    programFor(ps[0]!, buggyDocument(ps[0]!)), // the same names as the one before: another batch
    programFor(ps[1]!, doc(1).replace('return', 'retrun')), // compile error
    programFor(ps[1]!, doc(1)),
    programFor(ps[2]!, doc(2).replace(/(func \w+\([^\n]*\{\n)/, '$1    for {}\n')), // loops forever
    programFor(ps[3]!, doc(3).replace(/(func \w+\([^\n]*\{\n)/, '$1    var a []int\n    _ = a[3]\n')), // panics
    programFor(ps[4]!, doc(4).replace(/(func \w+\([^\n]*\{\n)/, '$1    _ = HasCloseElements\n')), // another problem's function: undefined alone
    programFor(ps[2]!, doc(2)),
    programFor(ps[3]!, doc(3)),
  ];
  const items = progs.map((p, i) => ({ i, src: assembleGo(p), test: p.test }));
  const batches = goBatches(items);
  assert.ok(batches.some((b) => b.length >= 4), 'programs were batched');
  for (const b of batches) assert.equal(new Set(b.map((m) => m.testName)).size, b.length, 'no two programs with the same names share a package');
  assert.equal(goBatches([...items, { i: 99, src: items[7]!.src.replace('package main', 'package main\n\nfunc init() {}'), test: progs[7]!.test }]).flat().some((m) => m.i === 99), false);
  const tc = await toolchain('go');
  if (!tc.ok) { t.skip(tc.why); return; }
  const batched = await runPrograms(progs, short, 2);
  const alone = await Promise.all(progs.map((p) => runProgram(p, short)));
  assert.deepEqual(batched.map((r) => [r.pass, r.kind]), alone.map((r) => [r.pass, r.kind]));
  assert.deepEqual(batched.map((r) => [r.pass, r.kind]), [[true, undefined], [false, 'assertion'], [false, 'compile_error'], [true, undefined], [false, 'timeout'], [false, 'runtime_error'], [false, 'compile_error'], [true, undefined], [true, undefined]]);
  const noTmp = (d?: string) => d?.replace(/treasure-eval-go-\w+/g, 'DIR');
  assert.equal(noTmp(batched[2]!.detail), noTmp(alone[2]!.detail)); // a compile error reads the same: compiled alone
});

test('rust: programs compiled as modules of one crate get the verdicts they get alone', async (t) => {
  const tc = await toolchain('rust');
  if (!tc.ok) { t.skip(tc.why); return; }
  const ps = loadProblems(humanEvalPackDir(), 'rust', 4);
  const doc = (i: number) => canonicalDocument(ps[i]!);
  const first = (i: number, add: string) => doc(i).replace(/(fn \w+\([^\n]*\{\n)/, `$1${add}`);
  const progs: Program[] = [
    programFor(ps[0]!, doc(0)),
    programFor(ps[0]!, buggyDocument(ps[0]!)),
    programFor(ps[1]!, doc(1).replace(/return/, 'retrun')), // compile error
    programFor(ps[1]!, doc(1)),
    programFor(ps[2]!, first(2, '    loop {}\n')), // loops forever
    programFor(ps[3]!, first(3, '    let v: Vec<i32> = vec![];\n    let _ = v[3];\n')), // panics (not an assertion)
    programFor(ps[2]!, '#![allow(unused)]\n' + doc(2)), // a crate attribute: compiled alone
    programFor(ps[3]!, doc(3)),
  ];
  const batched = await runPrograms(progs, short, 2);
  const alone = await Promise.all(progs.map((p) => runProgram(p, short)));
  assert.deepEqual(batched.map((r) => [r.pass, r.kind]), alone.map((r) => [r.pass, r.kind]));
  assert.deepEqual(batched.map((r) => [r.pass, r.kind]), [[true, undefined], [false, 'assertion'], [false, 'compile_error'], [true, undefined], [false, 'timeout'], [false, 'runtime_error'], [true, undefined], [true, undefined]]);
  const noTmp = (d?: string) => d?.replace(/treasure-eval-rust-\w+/g, 'DIR');
  assert.equal(noTmp(batched[2]!.detail), noTmp(alone[2]!.detail));
});

test('cpp: the precompiled header is the program’s own leading includes, so a header it lacks stays missing', async (t) => {
  const src = '#include<stdio.h>\n\n#include<math.h>\nusing namespace std;\n#include<algorithm>\nint f(){ return 1; }\n#include<string>\n';
  assert.equal(cppPrelude(src), '#include<stdio.h>\n\n#include<math.h>\nusing namespace std;\n#include<algorithm>\n');
  assert.equal(cppPrelude('int main(){}\n#include<stdio.h>\n'), undefined);
  assert.equal(cppPrelude('#include "local.h"\nint x;\n'), undefined); // only <system> headers
  const tc = await toolchain('cpp');
  if (!tc.ok) { t.skip(tc.why); return; }
  const cpp = (code: string): Program => ({ language: 'cpp', code, test: 'int main(){ assert(f() == 3); }\n' });
  const body = 'int f(){ std::vector<int> v{1, 2}; return v[0] + v[1]; }\n';
  // the same prelude twice: the second compile reuses the PCH the first one built
  assert.deepEqual([(await runProgram(cpp('#include<assert.h>\n#include<vector>\n' + body), noCache)).pass,
    (await runProgram(cpp('#include<assert.h>\n#include<vector>\n' + body.replace('v[1]', 'v[1] + 0')), noCache)).pass], [true, true]);
  const missing = await runProgram(cpp('#include<assert.h>\n' + body), noCache); // <vector> not included: the PCH must not supply it
  assert.equal(missing.kind, 'compile_error');
});
