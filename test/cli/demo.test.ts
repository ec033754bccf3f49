// `npm run demo` as a new user sees it: two fixes of the shipped model, in plain words: a syntax error
// proven by the parser, and a behaviour bug found from a failing pytest test and proven by the tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../language-server/src/paths';

const hasPytest = spawnSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0;

test('the demo says what was wrong, what changed, what proved it and how long it took, for both examples', () => {
  const r = spawnSync(process.execPath, [join(repoRoot(), 'scripts/demo.mjs')], { cwd: repoRoot(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = r.stdout;
  assert.match(out, /^What was wrong +line 4, `def circle_area\(radius\)`, has no colon/m);
  assert.match(out, /^What changed +line 4: added ":" at its end$/m);
  assert.match(out, /^ +now reads: def circle_area\(radius\):$/m);
  // honest about the check: a parse (tree-sitter's, or the language's own parser the engine names), not a run
  assert.match(out, /^What proved it +the fixed file parses \((tree-sitter finds no syntax error in it|[^)]+)\)( \(\d+ candidates tried\))?; the code was not run\.$/m);
  assert.match(out, /^How long +\d+\.\d s to write and check the fix, \d+\.\d s for the whole command/m);
  if (hasPytest) {
    // the second example: the failing test names the bug, the tests prove the fix (the one right edit)
    assert.match(out, /^What was wrong +the test `test_back_to_zero_is_not_below` fails/m);
    assert.match(out, /^Where it looked +the lines of test\/fixtures\/demo\/bank\/bank\.py the failing test runs .*: `below_zero`; \d+ candidate edits tried there\.$/m);
    assert.match(out, /^What changed +test\/fixtures\/demo\/bank\/bank\.py line 14: replaced "<=" with "<"/m);
    assert.match(out, /^ +now reads: if total < 0:$/m);
    assert.match(out, /^What proved it +pytest: 6\/6 tests pass \(test_back_to_zero_is_not_below fixed\)/m);
  } else assert.match(out, /needs pytest/);
  // no marker jargon a new user cannot read
  assert.doesNotMatch(out, /quality_bucket|source=|length_tokens/);
});
