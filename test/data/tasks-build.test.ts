// The small tasks build end to end: a corpus of real snippets in three splits -> xz shards of
// examples, deterministic for a seed, each example in its corpus file's split, and the card.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { buildTasks, keepRates } from '../../models/data/tasks/index';
import { EXT } from '../../models/data/tasks/devcorpus';
import { markerProblems } from '../../models/data/tasks/taxonomy';

const FIX = join(__dirname, '..', 'fixtures', 'tasks');

function makeCorpus(dir: string) {
  const files = readdirSync(FIX).filter((n) => EXT[extname(n)]).sort();
  const splits: Record<string, string[]> = { train: [], valid: [], test: [] };
  files.forEach((name, i) => {
    const rec = (copy: number) => JSON.stringify({ text: readFileSync(join(FIX, name), 'utf8'), code_type: EXT[extname(name)], package: `pkg${copy}`, path: `src/${copy}/${name}`, license: 'MIT', domain: 'Text', quality_bucket: String(1 + (i % 4)), source_kind: 'fixture' });
    splits.train!.push(rec(0), rec(1));
    splits[i % 2 ? 'valid' : 'test']!.push(rec(2));
  });
  for (const [split, lines] of Object.entries(splits)) {
    const p = join(dir, `${split}-00000.jsonl`);
    writeFileSync(p, lines.join('\n') + '\n');
    execFileSync('xz', ['-f', p]);
  }
}

function readShards(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.jsonl.xz')) out[f] = execFileSync('xz', ['-dc', join(dir, f)], { maxBuffer: 1 << 28 }).toString();
  return out;
}

test('keep rates: the scarcest task (for its share) is kept whole, the others sampled to the mix', () => {
  const r = keepRates({ CodeGeneration: 1000, CodeFix: 100, CodeExplanation: 500 }, { CodeGeneration: 0.75, CodeFix: 0.15, CodeExplanation: 0.1 });
  assert.equal(r.CodeFix, 1);
  assert.ok(Math.abs(r.CodeGeneration! * 1000 - 500) < 1e-6);
  assert.ok(Math.abs(r.CodeExplanation! * 500 - 66.6667) < 1e-3);
});

test('small build: shards per split, valid lines, deterministic for a seed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tasks-build-'));
  try {
    const corpus = join(root, 'corpus');
    execFileSync('mkdir', ['-p', corpus]);
    makeCorpus(corpus);
    const run = async (out: string, seed: number, workers = 2) => buildTasks({ corpusDir: corpus, outDir: join(root, out), small: true, seed, workers, cardDir: join(root), log: () => {} });
    const r1 = await run('a', 9);
    const r2 = await run('b', 9, 1);
    const r3 = await run('c', 10);
    const a = readShards(join(root, 'a'));
    const b = readShards(join(root, 'b'));
    assert.deepEqual(Object.keys(a), ['test-00000.jsonl.xz', 'train-00000.jsonl.xz', 'valid-00000.jsonl.xz']);
    assert.deepEqual(a, b, 'same seed, same shards (whatever the number of workers)');
    assert.notDeepEqual(a, readShards(join(root, 'c')), 'another seed, other examples');
    assert.deepEqual(r1.written, r2.written);
    assert.ok(r3.files === r1.files);
    const tasks: Record<string, number> = {};
    for (const [name, content] of Object.entries(a)) {
      const split = name.split('-')[0];
      for (const line of content.split('\n').filter(Boolean)) {
        const ex = JSON.parse(line);
        assert.equal(ex.split, split);
        assert.deepEqual(markerProblems(ex.markers), []);
        assert.equal(typeof ex.code, 'string');
        assert.equal(typeof ex.answer, 'string');
        assert.ok(ex.package.startsWith('pkg'));
        tasks[ex.task] = (tasks[ex.task] ?? 0) + 1;
      }
    }
    assert.ok(tasks.CodeGeneration! > 0 && tasks.CodeFix! > 0 && tasks.CodeExplanation! > 0, JSON.stringify(tasks));
    assert.deepEqual(tasks, r1.written);
    // the mix: the task that limits it is kept whole
    const total = Object.values(tasks).reduce((x, y) => x + y, 0);
    assert.ok(tasks.CodeGeneration! / total > 0.6, JSON.stringify(tasks));
    // no temp files left; the card
    assert.deepEqual(readdirSync(join(root, 'a')).filter((f) => !f.endsWith('.jsonl.xz')), []);
    const card = JSON.parse(readFileSync(join(root, 'tasks-card.json'), 'utf8'));
    assert.ok(card.tables.language.CodeFix.python.examples > 0);
    assert.ok(existsSync(join(root, 'TASKS.md')));
    assert.match(readFileSync(join(root, 'TASKS.md'), 'utf8'), /### CodeFix: error_type × language/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
