// A failing test as the start of a fix (repair/tests/failing-test.ts): the test at the cursor, the
// files it imports, and one real traced run (pytest, node --test) that says whether it fails and which
// function of the code under test to fix.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyze } from '../../language-server/src/context';
import { languageForPath } from '../../language-server/src/grammars';
import { examineFailingTest, functionNameOf, isTheTest, sourcesUnderTest, testAt, testFileRunner, type TestAtCursor } from '../../language-server/src/repair/tests/failing-test';
import { disposeWarmPools } from '../../language-server/src/repair/tests/index';
import { tempWorkspace } from './helpers';

process.env.PYTEST_DISABLE_PLUGIN_AUTOLOAD = '1';
const noPytest = spawnSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0 ? false : 'python3 -m pytest is not installed (scripts/install-repair-test-tools.sh)';

const temps: string[] = [];
after(() => {
  disposeWarmPools();
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const workspace = (files: Record<string, string>): string => tempWorkspace(temps, 'treasure-ft-test-', files);

const functionsOf = async (rel: string, text: string) => (await analyze(text, languageForPath(rel)!, rel)).functions;

const BANK = `from typing import List


def deposit_total(operations: List[int]) -> int:
    return sum(op for op in operations if op > 0)


def below_zero(operations: List[int]) -> bool:
    balance = 0
    for op in operations:
        balance += op
        if balance == 0:
            return True
    return False
`;

const BANK_TESTS = `from bank import below_zero, deposit_total


def test_empty():
    assert below_zero([]) is False


def test_dips():
    assert below_zero([1, 2, -4, 5]) is True


def test_deposits():
    assert deposit_total([1, -2, 3]) == 4


class TestMore:
    def test_back_to_zero(self):
        assert below_zero([1, -1, 2]) is False
`;

test('the test at the cursor: pytest functions (in a class too), node:test calls; not in other files', () => {
  const lines = BANK_TESTS.split('\n');
  const at = (l: number) => testAt(BANK_TESTS, 'tests/test_bank.py', l);
  assert.equal(at(lines.indexOf('def test_dips():'))?.name, 'test_dips');
  assert.equal(at(lines.indexOf('def test_dips():') + 1)?.name, 'test_dips');
  assert.equal(at(0), null); // the import line: no test there
  const inClass = at(lines.findIndex((l) => l.includes('assert below_zero([1, -1, 2])')));
  assert.deepEqual([inClass?.name, inClass?.className], ['test_back_to_zero', 'TestMore']);
  assert.equal(testAt(BANK_TESTS, 'bank.py', 8), null);
  const js = readFileSync(join(__dirname, '../fixtures/workspaces/js-clamp/test/clamp.test.js'), 'utf8');
  const jl = js.split('\n');
  assert.equal(testAt(js, 'test/clamp.test.js', jl.findIndex((l) => l.includes('clamp(-1, 0, 10)')))?.name, 'below the range');
  assert.equal(testAt(js, 'test/clamp.test.js', jl.findIndex((l) => l.includes('clamp(11, 0, 10)')))?.name, 'above the bound');
  assert.equal(testFileRunner('src/app.js'), null);
  assert.equal(testFileRunner('lib/x.spec.mjs'), 'node');
});

test('a report id is the test at the cursor (parametrized and class ids too)', () => {
  const t: TestAtCursor = { runner: 'pytest', name: 'test_dips', startLine: 0, endLine: 1, body: '' };
  assert.ok(isTheTest('tests/test_bank.py::test_dips', t, 'tests/test_bank.py'));
  assert.ok(isTheTest('tests/test_bank.py::test_dips[1-2]', t, 'tests/test_bank.py'));
  assert.ok(!isTheTest('tests/test_bank.py::test_dips_more', t, 'tests/test_bank.py'));
  assert.ok(!isTheTest('tests/test_other.py::test_dips', t, 'tests/test_bank.py'));
  const n: TestAtCursor = { runner: 'node', name: 'above the bound', startLine: 0, endLine: 1, body: '' };
  assert.ok(isTheTest('test/clamp.test.js > upper bound > above the bound', n, 'test/clamp.test.js'));
});

test('the code under test: the workspace files the test imports, not packages', () => {
  const ws = workspace({ 'bank.py': BANK, 'tests/test_bank.py': BANK_TESTS + 'import os, json\nfrom pkg import util\n', 'pkg/__init__.py': '', 'pkg/util.py': 'X = 1\n' });
  assert.deepEqual(sourcesUnderTest(readFileSync(join(ws, 'tests/test_bank.py'), 'utf8'), 'tests/test_bank.py', ws), ['bank.py', 'pkg/__init__.py', 'pkg/util.py']);
  const js = join(__dirname, '../fixtures/workspaces/js-clamp');
  assert.deepEqual(sourcesUnderTest(readFileSync(join(js, 'test/clamp.test.js'), 'utf8'), 'test/clamp.test.js', js), ['lib/clamp.js']);
  assert.equal(functionNameOf('def below_zero(operations):'), 'below_zero');
  assert.equal(functionNameOf('const clamp = (x, lo, hi) => {'), 'clamp');
});

test('pytest: a failing test leads to the function it exercises; a passing one says so', { skip: noPytest }, async () => {
  const ws = workspace({ 'bank.py': BANK, 'tests/test_bank.py': BANK_TESTS });
  const lines = BANK_TESTS.split('\n');
  const t = testAt(BANK_TESTS, 'tests/test_bank.py', lines.indexOf('def test_dips():') + 1)!;
  const r = await examineFailingTest({ root: ws, testFile: 'tests/test_bank.py', test: t, trusted: true, functionsOf });
  assert.equal(r.status, 'fails', JSON.stringify(r));
  if (r.status !== 'fails') return;
  assert.deepEqual(r.ids, ['tests/test_bank.py::test_dips']);
  assert.equal(r.source, 'bank.py');
  assert.equal(r.fn.name, 'below_zero');
  assert.equal(BANK.split('\n')[r.fn.startLine], 'def below_zero(operations: List[int]) -> bool:');
  assert.match(r.failure.message, /assert/);
  const ok = testAt(BANK_TESTS, 'tests/test_bank.py', lines.indexOf('def test_empty():'))!;
  const p = await examineFailingTest({ root: ws, testFile: 'tests/test_bank.py', test: ok, trusted: true, functionsOf });
  assert.equal(p.status, 'passes');
  await assert.rejects(examineFailingTest({ root: ws, testFile: 'tests/test_bank.py', test: t, trusted: false, functionsOf }), /not trusted/);
});

test('node --test: the failing test of js-clamp-like code leads to its function', async () => {
  const ws = workspace({
    'lib/clamp.js': "'use strict';\nfunction clamp(x, lo, hi) {\n  if (x < lo) return lo;\n  if (x > hi) return lo;\n  return x;\n}\nmodule.exports = { clamp };\n",
    'test/clamp.test.js': "'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert/strict');\nconst { clamp } = require('../lib/clamp');\n\ntest('inside', () => {\n  assert.equal(clamp(5, 0, 10), 5);\n});\n\ntest('above', () => {\n  assert.equal(clamp(11, 0, 10), 10);\n});\n",
  });
  const text = readFileSync(join(ws, 'test/clamp.test.js'), 'utf8');
  const t = testAt(text, 'test/clamp.test.js', 10)!;
  assert.equal(t.name, 'above');
  const r = await examineFailingTest({ root: ws, testFile: 'test/clamp.test.js', test: t, trusted: true, functionsOf });
  assert.equal(r.status, 'fails', JSON.stringify(r));
  if (r.status !== 'fails') return;
  assert.equal(r.source, 'lib/clamp.js');
  assert.equal(r.fn.name, 'clamp');
  assert.equal(r.lines[0]?.line, 4, JSON.stringify(r.lines)); // the line only the failing test runs
});

test('a test that imports no file of the workspace: nothing to fix there, and it says why (nothing runs)', async () => {
  const ws = workspace({ 'test_math.py': 'import math\n\n\ndef test_pi():\n    assert math.pi == 3\n' });
  const t = testAt(readFileSync(join(ws, 'test_math.py'), 'utf8'), 'test_math.py', 4)!;
  const r = await examineFailingTest({ root: ws, testFile: 'test_math.py', test: t, trusted: true, functionsOf });
  assert.equal(r.status, 'none');
  assert.match(r.status === 'none' ? r.reason : '', /^test_math\.py imports no file of the workspace: Treasure does not know which code test_pi tests$/);
});
