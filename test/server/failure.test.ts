// The failing test as the model reads it (repair/failure.ts) and the training data's wording of the
// same failure (models/data/failcond/failcond.py, run by python3): one layout on both sides.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { failingCall, failureDiagnostic } from '../../language-server/src/repair/failure';
import { repoRoot } from '../../language-server/src/paths';

test('failureDiagnostic: an equality names the call (pytest\'s where line), an exception or a timeout the test', () => {
  // what the pytest plugin reports for `assert f(3, [1, 2]) == 5` inside HumanEval's check(candidate)
  const message = 'AssertionError: assert 6 == 5\n +  where 6 = <function f at 0x7fd09d05d260>(3, [1, 2])';
  assert.equal(failingCall(message), 'f(3, [1, 2])');
  assert.equal(failureDiagnostic({ name: 'test_solution.py::test_examples', message, expected: '5', actual: '6', traceback: [] }), 'failing test: f(3, [1, 2]): expected 5, got 6');
  assert.equal(failureDiagnostic({ name: 'test_solution.py::test_examples', message: 'AssertionError: 3 != 4', expected: '4', actual: '3', traceback: [] }), 'failing test: test_examples: expected 4, got 3');
  assert.equal(failureDiagnostic({ name: 't.py::test_g', message: 'IndexError: list index out of range\nmore', traceback: [] }), 'failing test: test_g: IndexError: list index out of range');
  assert.equal(failureDiagnostic({ name: 'file > suite > loops', message: 'test timed out after 100ms', timedOut: true, traceback: [] }), 'failing test: loops: timed out');
});

test('the training data words the same failures the same way (failcond.py failure_text)', () => {
  const script = join(repoRoot(), 'models/data/failcond');
  const py = `import sys, json; sys.path.insert(0, ${JSON.stringify(script)}); from failcond import failure_text as t
print(json.dumps([t('f', [3, [1, 2]], '5', ['value', '6']), t('g', [[]], '1', ['error', 'IndexError: list index out of range']), t('loops', [1], '2', ['timeout', ''])]))`;
  const [value, error, timeout] = JSON.parse(execFileSync('python3', ['-c', py], { encoding: 'utf8' })) as string[];
  const message = 'AssertionError: assert 6 == 5\n +  where 6 = f(3, [1, 2])';
  assert.equal(value, failureDiagnostic({ name: 'test_x.py::test_f', message, expected: '5', actual: '6', traceback: [] }));
  assert.equal(error, failureDiagnostic({ name: 'test_x.py::test_g', message: 'IndexError: list index out of range', traceback: [] }));
  assert.equal(timeout, failureDiagnostic({ name: 'test_x.py::test_loops', message: 'Timeout', timedOut: true, traceback: [] }));
});
