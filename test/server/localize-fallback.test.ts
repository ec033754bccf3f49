// Localization without per-test coverage (go test, cargo test, a verify command): the traceback's lines
// of the range first, then every other line of it, so that the search can still edit the whole function.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findTests, localize, Scratch } from '../../language-server/src/repair/tests/index';

const dir = mkdtempSync(join(tmpdir(), 'treasure-loc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a failing verify command: every line of the range, later lines first, nothing outside it', async () => {
  writeFileSync(join(dir, 'f.c'), 'int f(int x) {\n  int y = x;\n  return y;\n}\nint g;\n');
  const plan = findTests('f.c', dir, { trusted: true, verifyCommand: 'exit 1' });
  assert.ok('kind' in plan);
  const s = Scratch.create(dir);
  try {
    const loc = await localize(plan, s, { trusted: true, file: 'f.c', fromLine: 2, toLine: 4 });
    assert.deepEqual(loc.report.failed.map((f) => f.name), ['verify command']);
    assert.deepEqual(loc.lines.map((l) => [l.line, l.score]), [[4, 0], [3, 0], [2, 0]]);
    assert.match(loc.note!, /no per-test coverage; traceback lines first/);
  } finally {
    s.dispose();
  }
});
