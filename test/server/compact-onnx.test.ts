// The compact graph (models/train/compact.py: the same weights with onnxruntime's fused ops) against the
// graph it was made from, on the tiny fixtures: test/fixtures/tiny-model-compact/ is
// test/fixtures/tiny-model-caller/ rewritten by compact.py (float activations, so the two should agree
// to float precision). Same contract, same logits, same greedy tokens through the decoder.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Decoder } from '../../language-server/src/decode';
import { repoRoot } from '../../language-server/src/paths';
import { buildPrompt } from '../../language-server/src/prompt';
import { OrtModel } from '../../language-server/src/runtime';
import { TreasureTokenizer } from '../../language-server/src/tokenizer';
import { maxDiff } from './helpers';

const callerDir = join(repoRoot(), 'test/fixtures/tiny-model-caller');
const compactDir = join(repoRoot(), 'test/fixtures/tiny-model-compact');
const tok = TreasureTokenizer.fromFile(join(callerDir, 'tokenizer.json'));

const argmax = (a: Float32Array) => a.reduce((best, v, i) => (v > a[best]! ? i : best), 0);

let caller: OrtModel;
let compact: OrtModel;
before(async () => {
  caller = await OrtModel.load(callerDir, 'cpu');
  compact = await OrtModel.load(compactDir, 'cpu');
});
after(async () => {
  await caller?.release();
  await compact?.release();
});

test('compact graph: every prompt row, greedy steps, a multi-token feed on the cache and a rollback give the logits of the original graph', async () => {
  const ids = tok.encode(buildPrompt({ task: 'CodeFix', code: 'def add(a, b):\n    return a - b' }), true);
  const a = caller.start();
  const b = compact.start();
  let worst = 0;
  const ra = await a.feedAll!(ids);
  const rb = await b.feedAll!(ids);
  ra.forEach((r, t) => (worst = Math.max(worst, maxDiff(r, rb[t]!))));
  let la = ra[ra.length - 1]!;
  let lb = rb[rb.length - 1]!;
  for (let i = 0; i < 12; i++) {
    assert.equal(argmax(lb), argmax(la), `step ${i}`);
    const next = argmax(la);
    la = await a.feed([next]);
    lb = await b.feed([next]);
    worst = Math.max(worst, maxDiff(la, lb));
  }
  const four = [5, 6, 7, 8];
  const fa = await a.feedAll!(four);
  const fb = await b.feedAll!(four);
  fa.forEach((r, t) => (worst = Math.max(worst, maxDiff(r, fb[t]!))));
  a.truncate!(ids.length + 3);
  b.truncate!(ids.length + 3);
  worst = Math.max(worst, maxDiff(await a.feed([9]), await b.feed([9])));
  a.dispose();
  b.dispose();
  assert.ok(worst < 1e-4, `max |compact - original| = ${worst}`);
});

test('compact graph: the decoder writes the same tokens on both graphs', async () => {
  for (const code of ['def add(a, b):\n    return a - b', 'function square(x) {\n  return x * x + x * x;\n}']) {
    const promptIds = tok.encode(buildPrompt({ task: 'CodeFix', code }), true);
    const req = { promptIds, given: { task: 'CodeFix' }, maxTokens: 60, original: code };
    const x = await new Decoder(caller, tok).run(req);
    const y = await new Decoder(compact, tok).run(req);
    assert.deepEqual(y.ids, x.ids);
    assert.equal(y.stop, x.stop);
  }
});
