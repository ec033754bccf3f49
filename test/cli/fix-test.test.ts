// `treasure fix-test`: the failing-test fix without an editor (its proven fix is checked by the demo's
// test, test/cli/demo.test.ts); here what it refuses and a test that passes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../language-server/src/paths';

const root = repoRoot();
const BANK = join(root, 'test/fixtures/demo/bank');
const noPytest = spawnSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0 ? false : 'python3 -m pytest is not installed';
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/treasure'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' } });

test('fix-test refuses a file that is not a test file, a line in no test and a test that is not there', () => {
  const a = cli('fix-test', join(BANK, 'bank.py'), '--line', '3', '--root', BANK, '--json');
  assert.equal(a.status, 2);
  assert.match(JSON.parse(a.stdout).error, /not a test file/);
  const b = cli('fix-test', join(BANK, 'test_bank.py'), '--line', '1', '--root', BANK, '--json');
  assert.equal(b.status, 2);
  assert.match(JSON.parse(b.stdout).error, /line 1 of .* is in no test/);
  const c = cli('fix-test', join(BANK, 'test_bank.py'), '--test', 'test_nothing', '--root', BANK, '--json');
  assert.equal(c.status, 2);
  assert.match(JSON.parse(c.stdout).error, /no test named test_nothing/);
});

test('fix-test on a passing test: nothing to fix, no edit, exit 1', { skip: noPytest }, () => {
  const r = cli('fix-test', join(BANK, 'test_bank.py'), '--test', 'test_overdrawn_later', '--root', BANK, '--json');
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.status, 'passes');
  assert.equal(out.fixed, null);
  assert.match(out.reason, /^test_overdrawn_later passes \(pytest: 5 passed, 1 failed\): nothing to fix$/);
});
