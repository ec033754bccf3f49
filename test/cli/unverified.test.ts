// "Fix this function" with no tests (issue 26 point 7), bin/treasure as a user runs it (the dist/ bundle)
// with the shipped model: HumanEvalPack's correct sort_even, which the model "fixes" by breaking it
// (extend -> append) with a high confidence. The guess comes with its confidence, unverified; a
// threshold above that confidence holds it back and says why; the default threshold decides the same way.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { canonicalDocument, loadProblems } from '../../eval/humanevalpack';
import { repoRoot } from '../../language-server/src/paths';
import { DEFAULT_MIN_CONFIDENCE, offeredAt } from '../../language-server/src/repair/confidence';

const root = repoRoot();
const dir = mkdtempSync(join(tmpdir(), 'treasure-unverified-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'sort_even.py');
writeFileSync(file, canonicalDocument(loadProblems(join(root, 'eval/data/humanevalpack'), 'python').find((p) => p.taskId === 'Python/37')!));

function treasure(...args: string[]): { status: number; json: Record<string, unknown>; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/treasure'), 'fix', file, '--line', '2', '--no-tests', ...args], { encoding: 'utf8', cwd: root });
  return { status: r.status ?? -1, json: args.includes('--json') ? JSON.parse(r.stdout) : {}, stderr: r.stderr, stdout: r.stdout };
}

test('an unverified guess comes with its confidence; a threshold above it holds it back and says why; the default decides alike', () => {
  const all = treasure('--min-confidence', '0', '--json');
  assert.equal(all.status, 0, all.stderr);
  assert.equal(all.json.verified, false);
  const c = all.json.confidence as number;
  assert.ok(typeof c === 'number' && c > 0 && c < 1, String(c));
  const held = treasure('--min-confidence', '1', '--json');
  assert.equal(held.status, 1);
  assert.equal(held.json.fixed, null);
  assert.equal(held.json.confidence, c);
  assert.match(String(held.json.reason), /^no fix proven; the best unverified guess is below the confidence threshold \(0\.\d\d < 1\.00\)$/);
  const never = treasure('--min-confidence', 'never');
  assert.equal(never.status, 1);
  assert.match(never.stderr, /no fix: no fix proven; unverified guesses are not offered/);
  const byDefault = treasure('--json');
  assert.equal(byDefault.json.fixed !== null, offeredAt(c, DEFAULT_MIN_CONFIDENCE), JSON.stringify(byDefault.json.reason));
  const text = treasure('--min-confidence', '0');
  assert.match(text.stdout, /unverified: .*the model's confidence 0\.\d\d, not a proof/);
  assert.match(treasure('--min-confidence', '1.5').stderr, /--min-confidence expects a number from 0 to 1 or never/);
});
