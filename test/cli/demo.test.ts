// `npm run demo` as a new user sees it: one fix of the shipped model, in plain words.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../language-server/src/paths';

test('the demo says what was wrong, what changed, what proved it and how long it took', () => {
  const r = spawnSync(process.execPath, [join(repoRoot(), 'scripts/demo.mjs')], { cwd: repoRoot(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = r.stdout;
  assert.match(out, /^What was wrong +line 4, `def circle_area\(radius\)`, has no colon/m);
  assert.match(out, /^What changed +line 4: added ":" at its end$/m);
  assert.match(out, /^ +now reads: def circle_area\(radius\):$/m);
  // honest about the check: a parse (tree-sitter's, or the language's own parser the engine names), not a run
  assert.match(out, /^What proved it +the fixed file parses \((tree-sitter finds no syntax error in it|[^)]+)\)( \(\d+ candidates tried\))?; the code was not run\.$/m);
  assert.match(out, /^How long +\d+\.\d s to write and check the fix, \d+\.\d s for the whole command/m);
  // no marker jargon a new user cannot read
  assert.doesNotMatch(out, /quality_bucket|source=|length_tokens/);
});
