// The tested path end to end (language-server/src/repair/semantic.ts through the engine and
// bin/treasure): a pytest bug in a copy of test/fixtures/workspaces/py-classify is fixed and the
// output says what proved it; a verify command proves instead; tests that pass mean nothing to fix;
// an untrusted workspace runs nothing. Real pytest, node and the shipped model.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Engine } from '../../language-server/src/engine';
import { repoRoot } from '../../language-server/src/paths';
import { searchSemanticFix } from '../../language-server/src/repair/semantic';
import { disposeWarmPools } from '../../language-server/src/repair/tests';

const root = repoRoot();
const hasPytest = spawnSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0;
const noPytest = hasPytest ? false : 'python3 -m pytest is not installed (scripts/install-repair-test-tools.sh)';

function workspace(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-semantic-'));
  cpSync(join(root, 'test/fixtures/workspaces', name), dir, { recursive: true });
  return dir;
}

function treasure(...args: string[]): { status: number; json: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/treasure'), ...args, '--json'], { encoding: 'utf8', cwd: root, timeout: 180_000 });
  return { status: r.status ?? -1, json: JSON.parse(r.stdout || '{}') as Record<string, unknown>, stderr: r.stderr };
}

after(() => disposeWarmPools());

describe('treasure fix with tests', { skip: noPytest }, () => {
  test('a pytest bug: proven by the tests, and the JSON says which', () => {
    const ws = workspace('py-classify');
    const before = readFileSync(join(ws, 'classify.py'), 'utf8');
    const r = treasure('fix', join(ws, 'classify.py'), '--line', '7', '--root', ws);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.verified, true);
    assert.match(String(r.json.verifiedBy), /^pytest: 6\/6 tests pass \(test_ten_is_small fixed\)$/);
    assert.match(String(r.json.label), /at line 7$/);
    assert.ok(Number(r.json.candidates) >= 1);
    assert.ok(Number(r.json.verifyMs) > 0);
    // the fix is real: classify(10) is "small" now, and the user's file was not touched
    const check = spawnSync('python3', ['-c', `exec(open(0).read()); assert classify(10) == "small" and classify(11) == "large"`], { input: String(r.json.fixed), encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(readFileSync(join(ws, 'classify.py'), 'utf8'), before);
  });

  test('--verify CMD: the command proves the candidate (exit 0), in the scratch copy', () => {
    const ws = workspace('py-classify');
    const cmd = `python3 -c "from classify import classify; assert classify(10) == 'small'"`;
    const r = treasure('fix', join(ws, 'classify.py'), '--line', '7', '--root', ws, '--verify', cmd);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.verified, true);
    assert.match(String(r.json.verifiedBy), /^verify command: exits 0/);
  });

  test('tests that pass: nothing to fix (exit 1, the reason names the run)', () => {
    const ws = workspace('py-classify');
    writeFileSync(join(ws, 'classify.py'), readFileSync(join(ws, 'classify.py'), 'utf8').replace('if n < 10:', 'if n <= 10:'));
    const r = treasure('fix', join(ws, 'classify.py'), '--line', '7', '--root', ws);
    assert.equal(r.status, 1);
    assert.equal(r.json.fixed, null);
    assert.match(String(r.json.reason), /^the tests pass \(pytest: 6 passed\): nothing to fix$/);
  });
});

describe('a fix the tests do not decide', { skip: noPytest }, () => {
  // one weak test: `x > 0` and `x >= 5` both pass count_big([5, 6]) == 2 and differ on other inputs
  const BUGGY = 'def count_big(xs):\n    n = 0\n    for x in xs:\n        if x > 6:\n            n += 1\n    return n\n';
  const weak = () => {
    const ws = mkdtempSync(join(tmpdir(), 'treasure-semantic-undecided-'));
    writeFileSync(join(ws, 'big.py'), BUGGY);
    writeFileSync(join(ws, 'test_big.py'), 'from big import count_big\n\ndef test_two():\n    assert count_big([5, 6]) == 2\n');
    return ws;
  };

  test('offered by default as passing, not proven (JSON proven: false, contested); --undecided withhold gives none and names the input', () => {
    const ws = weak();
    const r = treasure('fix', join(ws, 'big.py'), '--line', '4', '--root', ws);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.verified, true, 'it passes the tests');
    assert.equal(r.json.proven, false);
    assert.ok(Number(r.json.contested) >= 1, JSON.stringify(r.json));
    assert.match(String(r.json.verifiedBy), /^pytest: 1\/1 tests pass \(test_two fixed\); the tests do not decide it: \d+ other edits? /);
    const w = treasure('fix', join(ws, 'big.py'), '--line', '4', '--root', ws, '--undecided', 'withhold');
    assert.equal(w.status, 1, w.stderr);
    assert.equal(w.json.fixed, null);
    assert.equal(w.json.proven, false);
    assert.match(String(w.json.reason), /^\d+ different fixes pass test_two and they disagree beyond the tests \(count_big\(.*\): unverified, not offered; the likeliest: /);
    const bad = spawnSync(process.execPath, [join(root, 'bin/treasure'), 'fix', join(ws, 'big.py'), '--undecided', 'never'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--undecided expects offer or withhold, got "never"/);
  });

  test('a proven fix: proven true in the JSON', () => {
    const ws = workspace('py-classify');
    const r = treasure('fix', join(ws, 'classify.py'), '--line', '7', '--root', ws, '--undecided', 'withhold');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.proven, true);
    assert.equal(r.json.contested, null);
  });
});

describe('an untrusted workspace', () => {
  test('the search runs nothing and says why', async () => {
    const ws = workspace('py-classify');
    const text = readFileSync(join(ws, 'classify.py'), 'utf8');
    const r = await searchSemanticFix({ text, codeType: 'python', file: join(ws, 'classify.py'), root: ws, trusted: false, fromLine: 1, toLine: 9 });
    assert.equal(r.outcome, 'untrusted');
    assert.equal(r.fix, null);
    assert.equal(r.tried, 0);
    assert.match(r.reason!, /not trusted: its tests were not run/);
  });

  test('the engine: the model rewrite, unverified, with the refusal as the reason', async () => {
    const ws = workspace('py-classify');
    const text = readFileSync(join(ws, 'classify.py'), 'utf8');
    const engine = await Engine.load();
    const o = await engine.fixDetailed({ text, languageId: 'python', line: 6, mode: 'function', path: join(ws, 'classify.py'), verify: { root: ws, trusted: false } });
    if (o.fix) {
      assert.equal(o.fix.verified, false);
      assert.match(o.fix.unverified!, /not trusted/);
    } else assert.match(o.reason!, /not trusted/);
    assert.equal(o.verifyMs, 0);
  });
});

describe('no tests', () => {
  test('a folder without tests: nothing is proven, and the reason says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'treasure-semantic-none-'));
    const text = 'def f(n):\n    return n - 1\n';
    writeFileSync(join(dir, 'f.py'), text);
    const r = await searchSemanticFix({ text, codeType: 'python', file: join(dir, 'f.py'), root: dir, trusted: true, fromLine: 1, toLine: 2 });
    assert.equal(r.outcome, 'no_tests');
    assert.equal(r.fix, null);
    assert.match(r.reason!, /test/);
  });
});

describe('node --test proves a JavaScript fix', () => {
  test('the clamp fixture: the wrong bound is replaced, proven by node', async () => {
    const ws = workspace('js-clamp');
    const file = join(ws, 'lib/clamp.js');
    const text = readFileSync(file, 'utf8');
    const r = await searchSemanticFix({ text, codeType: 'javascript', file, root: ws, trusted: true, fromLine: 3, toLine: 11 });
    assert.equal(r.outcome, 'proven', r.reason);
    assert.equal(r.fix!.fixed, text.replace('if (x > hi) {\n    return lo;', 'if (x > hi) {\n    return hi;'));
    assert.equal(r.fix!.label, "replace 'lo' with 'hi' at line 8");
    assert.match(r.fix!.provenBy, /^node: \d+\/\d+ tests pass/);
  });
});

const hasGpp = spawnSync('g++', ['--version'], { stdio: 'ignore' }).status === 0;
describe('treasure fix --verify CMD --verify-build CMD', { skip: hasGpp ? false : 'g++ is not installed' }, () => {
  test('c++: the candidates are built once into one program, the fix given is built and run alone', () => {
    const ws = mkdtempSync(join(tmpdir(), 'treasure-semantic-cpp-'));
    const src = '#include <vector>\nusing namespace std;\nint total(vector<int> v) {\n    int s = 0;\n    for (int i = 1; i < (int)v.size(); i++) s += v[i];\n    return s;\n}\n';
    writeFileSync(join(ws, 'solution.cpp'), src);
    writeFileSync(join(ws, 'examples.cpp'), '#include "solution.cpp"\n#include <cassert>\nint main() { assert(total({1, 2, 3}) == 6); assert(total({4}) == 4); }\n');
    const r = treasure('fix', join(ws, 'solution.cpp'), '--line', '4', '--root', ws, '--verify', './examples', '--verify-build', 'g++ -o examples examples.cpp');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.verified, true);
    assert.match(String(r.json.verifiedBy), /^verify command: exits 0/);
    assert.match(String(r.json.fixed), /int i = 0/);
    assert.equal(readFileSync(join(ws, 'solution.cpp'), 'utf8'), src, "the user's file is not touched");
  });
});
