// Batched decoding (OrtModel.batched): several sessions' single-token steps in one model call, on the
// tiny 'caller'-cache model (test/fixtures/tiny-model-caller). The same tokens as decoding each request
// alone, with and without speculation, while the requests really share calls.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Decoder } from '../../language-server/src/decode';
import { Engine } from '../../language-server/src/engine';
import { repoRoot } from '../../language-server/src/paths';
import { buildPrompt } from '../../language-server/src/prompt';
import { OrtModel } from '../../language-server/src/runtime';
import { TreasureTokenizer } from '../../language-server/src/tokenizer';

const dir = join(repoRoot(), 'test/fixtures/tiny-model-caller');
const tok = TreasureTokenizer.fromFile(join(dir, 'tokenizer.json'));
let model: OrtModel;
before(async () => { model = await OrtModel.load(dir, 'cpu'); });
after(async () => { await model?.release(); });

const codes = [
  'def add(a, b):\n    return a - b',
  'function square(x) {\n  return x * x + x * x;\n}',
  'for i in range(10):\n    for j in range(10):\n        print(i, j)\n',
  'def below_zero(operations):\n    balance = 0\n    for op in operations:\n        balance += op\n        if balance == 0:\n            return True\n    return False',
  'int main() { return 1 }',
];

for (const speculate of [false, true]) {
  test(`batched rows (speculate ${speculate}): the same tokens as each request decoded alone, in shared model calls`, async () => {
    const reqs = codes.map((code, i) => {
      const given = i % 2 ? {} : { task: 'CodeFix', code_type: 'python' };
      return { promptIds: tok.encode(buildPrompt({ task: 'CodeFix', code, given }), true), given, maxTokens: 60 + 37 * i, original: code };
    });
    const alone: Awaited<ReturnType<Decoder["run"]>>[] = [];
    for (const r of reqs) alone.push(await new Decoder(model, tok, { speculate }).run(r));
    const source = model.batched(4);
    const decoder = new Decoder(source, tok, { speculate });
    // five requests, four rows: the fifth starts when a row is free
    const first = await Promise.all(reqs.slice(0, 4).map((r) => decoder.run(r)));
    const last = await decoder.run(reqs[4]!);
    [...first, last].forEach((r, i) => assert.deepEqual(r.ids, alone[i]!.ids, `request ${i}`));
    const s = source.stats;
    assert.ok(s.batchedCalls > 0 && s.rowSteps / s.batchedCalls > 1.5, `rows per batched call: ${s.rowSteps} / ${s.batchedCalls}`);
    assert.equal(s.aloneCalls >= reqs.length, true, 'each prompt is fed alone');
  });
}

test('batched rows: a session more than the rows is refused clearly; a disposed row is free again', () => {
  const source = model.batched(2);
  const a = source.start();
  const b = source.start();
  assert.throws(() => source.start(), /all 2 rows of the batched model are in use/);
  a.dispose();
  source.start().dispose();
  b.dispose();
});

test('batched decoding needs a caller-cache model: a present-cache model says so', async () => {
  const old = await OrtModel.load(join(repoRoot(), 'test/fixtures/tiny-model'), 'cpu');
  assert.throws(() => old.batched(4), /kv_cache "caller"/);
  await old.release();
});

test('the engine with rows: the same fix outcome as the engine without', async () => {
  const text = 'def below_zero(operations):\n    balance = 0\n    for op in operations:\n        balance += op\n        if balance == 0:\n            return True\n    return False\n';
  const out = [];
  for (const rows of [1, 3]) {
    const engine = await Engine.load({ modelDir: dir, device: 'cpu', rows });
    const all = await Promise.all([2, 4, 5].map((line) => engine.fixDetailed({ text, languageId: 'python', line, mode: 'function' })));
    out.push(all.map((o) => ({ fix: o.fix?.fixed ?? null, reason: o.reason, completion: o.completion })));
    await (engine.model as OrtModel).release();
  }
  assert.deepEqual(out[1], out[0]);
});
