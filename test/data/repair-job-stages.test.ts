// `npm run data -- --stage failcond|ranking|syntax-ranking|realfix` (models/data/build.ts, issue 28): the
// repair job's data built by the data build's own command. The small corpus end to end through the
// failcond stage (real python3 sandbox) and the ranking stage (the shipped model's token ids); the full
// build's plan; a stage without a corpus says what to run first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, parseArgs, repairJobCommands, REPAIR_JOB_STAGES } from '../../models/data/build';

const root = join(__dirname, '../..');

test('parseArgs takes every repair-job stage and names them all for a bad one', () => {
  for (const s of REPAIR_JOB_STAGES) assert.equal(parseArgs(['--stage', s]).stage, s);
  assert.equal(parseArgs(['--stage=failcond']).stage, 'failcond');
  assert.throws(() => parseArgs(['--stage', 'rank']), /bad --stage rank \(one of corpus, tasks, all, failcond, ranking, syntax-ranking, realfix\)/);
});

test('the full build: ranking trains on shards 0-4 and validates on shard 5; syntax-ranking and failcond read the corpus; realfix has no small build', () => {
  const o = { ...parseArgs([]), out: '/data', cache: '/cache' };
  const shards = Array.from({ length: 14 }, (_, i) => `train-${String(i).padStart(5, '0')}.jsonl.xz`);
  const [train, valid] = repairJobCommands('ranking', o, shards);
  assert.equal(train![train!.indexOf('--corpus') + 1], [0, 1, 2, 3, 4].map((i) => `/data/corpus/${shards[i]}`).join(','));
  assert.equal(valid![valid!.indexOf('--corpus') + 1], `/data/corpus/${shards[5]}`);
  const [syntax] = repairJobCommands('syntax-ranking', o, shards);
  assert.deepEqual(syntax!.slice(syntax!.indexOf('--corpus'), syntax!.indexOf('--corpus') + 4), ['--corpus', '/data/corpus', '--out', '/data/syntax-ranking']);
  assert.equal(repairJobCommands('failcond', o, shards).length, 3);
  assert.equal(repairJobCommands('realfix', o, shards)[0]![3], 'models/data/realfix/collect.ts');
  assert.throws(() => repairJobCommands('realfix', { ...o, small: true }, shards), /no --small build/);
});

test('a stage without the corpus says to build it first', async () => {
  const out = mkdtempSync(join(tmpdir(), 'repair-job-none-'));
  try {
    await assert.rejects(build({ ...parseArgs(['--small', '--stage', 'failcond']), out }), /needs the corpus: .* has no training shards \(npm run data -- --stage corpus --small first\)/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the small corpus through the failcond and ranking stages', async () => {
  const out = mkdtempSync(join(tmpdir(), 'repair-job-small-'));
  try {
    await build({ ...parseArgs(['--small', '--stage', 'corpus']), out });
    await build({ ...parseArgs(['--small', '--stage', 'failcond']), out });
    const exec = spawnSync('xz', ['-dc', join(out, 'failcond/exec.jsonl.xz')], { encoding: 'utf8' });
    assert.equal(exec.status, 0);
    const examples = exec.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { task: string; code: string; answer: string; diagnostic: string; origin: string; markers: Record<string, string> });
    assert.ok(examples.length > 0, 'a pure function of the small corpus gives failure-conditioned examples');
    for (const e of examples) {
      assert.equal(e.task, 'CodeFix');
      assert.equal(e.origin, 'exec');
      assert.notEqual(e.code, e.answer, 'the prompt holds the mutant, the answer the original');
      assert.match(e.diagnostic, /^failing test: /);
      assert.ok(e.markers.error_type && e.markers.error_type !== 'none', JSON.stringify(e.markers));
    }
    await build({ ...parseArgs(['--small', '--stage', 'ranking']), out });
    for (const split of ['train', 'valid']) {
      const f = join(out, `ranking/${split}.jsonl`);
      assert.ok(existsSync(f), f);
      const rows = readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { groups?: unknown[] });
      assert.ok(rows.length > 0, `${split}: ranking examples from the small corpus`);
      assert.ok(rows.every((r) => Array.isArray(r.groups) && r.groups.length > 0), 'each example holds the ranker\'s token ids');
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
