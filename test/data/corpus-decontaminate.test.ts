// Decontamination against HumanEvalPack (models/data/corpus/decontaminate.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDecontamIndex, isContaminated, evalTexts } from '../../models/data/corpus/decontaminate';
import { humanEvalPackDir, repoRoot } from '../../eval/paths';

const fixtureSet = join(__dirname, 'fixtures/corpus/humanevalpack');
const realSet = humanEvalPackDir();

const unrelated = readFileSync(join(__dirname, 'fixtures/corpus/packages/gotool/main.go'), 'utf8');

test('a planted solution (fixture set) is detected, unrelated code is not', () => {
  const idx = loadDecontamIndex(fixtureSet, 13);
  const planted = readFileSync(join(__dirname, 'fixtures/corpus/packages/pyutil/src/pyutil/planted.py'), 'utf8');
  assert.ok(isContaminated(planted, idx));
  assert.ok(!isContaminated(unrelated, idx));
  // Whitespace and indentation changes do not hide a copy (n-grams are over whitespace-split words).
  const rec = JSON.parse(readFileSync(join(fixtureSet, 'python.jsonl'), 'utf8').split('\n')[0]!) as Record<string, string>;
  const reindented = `${rec.declaration}${rec.canonical_solution!.replace(/ {4}/g, '\t')}`;
  assert.ok(isContaminated(`import os\n\n${reindented}\n`, idx));
  // The buggy solution and the test are covered too.
  assert.ok(isContaminated(`${rec.declaration}${rec.buggy_solution}`, idx));
  assert.ok(isContaminated(rec.test!, idx));
});

test('the data build decontaminates against the same in-repo HumanEvalPack the evaluation reads', () => {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'models/data/manifest.json'), 'utf8')) as { decontamination: { dir: string } };
  assert.equal(resolve(repoRoot, manifest.decontamination.dir), realSet);
});

test('a planted HumanEvalPack solution is detected in every language of the real set', () => {
  const idx = loadDecontamIndex(realSet, 13);
  assert.ok(idx.keys.size > 10000);
  for (const lang of ['python', 'js', 'java', 'go', 'cpp', 'rust']) {
    const lines = readFileSync(join(realSet, `${lang}.jsonl`), 'utf8').split('\n').filter(Boolean);
    let missed = 0;
    for (const [i, line] of lines.entries()) {
      if (i % 8) continue;
      const r = JSON.parse(line) as Record<string, string>;
      // A file that contains the function as it would be written: declaration + canonical solution.
      const file = `// helpers\n\n${r.declaration}${r.canonical_solution}\n`;
      if (!isContaminated(file, idx)) missed++;
      assert.ok(evalTexts(r).length >= 5);
    }
    assert.equal(missed, 0, `${lang}: ${missed} planted solutions not detected`);
  }
  assert.ok(!isContaminated(unrelated, idx));
});
