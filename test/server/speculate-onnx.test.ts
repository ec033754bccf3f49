// Speculative decoding on a real ONNX model with logits for every input position ([1, T, vocab]), in
// both KV-cache contracts (docs/CONTRACTS.md): test/fixtures/tiny-model/ (random weights, 4-bit like the
// shipped export, the model returning the whole cache: 'present') and test/fixtures/tiny-model-caller/
// (the same weights bit for bit in the current graph, the runtime keeping the cache: 'caller'; made by
// models/train/recontract.py). The runtime's feedAll and KV rollback (truncate) against plain feeds,
// then the decoder and the engine with and without speculation; and the two contracts give the same
// logits and the same tokens.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Decoder, type DecodeResult } from '../../language-server/src/decode';
import { Engine } from '../../language-server/src/engine';
import { repoRoot } from '../../language-server/src/paths';
import { buildPrompt } from '../../language-server/src/prompt';
import { OrtModel } from '../../language-server/src/runtime';
import { TreasureTokenizer } from '../../language-server/src/tokenizer';
import { maxDiff } from './helpers';

const presentDir = join(repoRoot(), 'test/fixtures/tiny-model');
const callerDir = join(repoRoot(), 'test/fixtures/tiny-model-caller');
const tok = TreasureTokenizer.fromFile(join(presentDir, 'tokenizer.json'));

const prompt = () => tok.encode(buildPrompt({ task: 'CodeFix', code: 'def add(a, b):\n    return a - b' }), true);

const codes = [
  'def add(a, b):\n    return a - b',
  'def below_zero(operations):\n    balance = 0\n    for op in operations:\n        balance += op\n        if balance == 0:\n            return True\n    return False',
  'function square(x) {\n  return x * x + x * x;\n}',
  'for i in range(10):\n    for j in range(10):\n        print(i, j)\n',
];

for (const [contract, dir] of [['present', presentDir], ['caller', callerDir]] as const) {
  let model: OrtModel;
  before(async () => {
    model = await OrtModel.load(dir, 'cpu');
  });
  after(async () => {
    await model?.release();
  });

  test(`${contract} cache: the model says it returns every position's logits; feedAll rows are what feeding one token at a time gives`, async () => {
    assert.equal(model.allPositions, true, 'from the output metadata ([1, T, vocab])');
    const ids = prompt();
    const s = model.start();
    assert.equal(s.multiLogits, true);
    const rows = await s.feedAll!(ids);
    assert.equal(rows.length, ids.length);
    assert.equal(s.length, ids.length);
    const one = model.start();
    let worst = 0;
    for (let t = 0; t < ids.length; t++) worst = Math.max(worst, maxDiff(rows[t]!, await one.feed([ids[t]!])));
    assert.ok(worst < 1e-4, `max |batched - one at a time| = ${worst}`);
    // feed() of several tokens gives the last row
    const last = await model.start().feed(ids);
    assert.ok(maxDiff(last, rows[rows.length - 1]!) < 1e-5);
    s.dispose();
    one.dispose();
  });

  test(`${contract} cache: KV rollback: after truncate, logits equal a fresh session fed the same accepted tokens (within 1e-5)`, async () => {
    const ids = prompt();
    const draft = tok.encode('    return a + b\n    pass');
    const x = tok.encode(' c')[0]!;
    for (const accepted of [0, 1, 3, draft.length - 1]) {
      const s = model.start();
      await s.feed(ids);
      await s.feedAll!(draft); // the drafted tokens go into the cache ...
      s.truncate!(ids.length + accepted); // ... and those after the accepted ones come out
      assert.equal(s.length, ids.length + accepted);
      const rolled = await s.feedAll!([x, draft[0]!]);
      // the same steps without the rejected tokens
      const fresh = model.start();
      await fresh.feed(ids);
      if (accepted > 0) await fresh.feedAll!(draft.slice(0, accepted));
      const ref = await fresh.feedAll!([x, draft[0]!]);
      for (let i = 0; i < 2; i++) {
        const d = maxDiff(rolled[i]!, ref[i]!);
        assert.ok(d < 1e-5, `accepted ${accepted}: row ${i} differs by ${d}`);
      }
      s.dispose();
      fresh.dispose();
    }
    // down to the prompt, twice in a row, and to nothing
    const s = model.start();
    const base = await s.feedAll!(ids);
    await s.feedAll!(draft);
    s.truncate!(ids.length + 2);
    s.truncate!(ids.length);
    assert.ok(maxDiff(await s.feed([draft[0]!]), (await (async () => { const f = model.start(); await f.feed(ids); return f.feed([draft[0]!]); })())) < 1e-5);
    s.truncate!(0);
    assert.equal(s.length, 0);
    assert.ok(maxDiff((await s.feedAll!(ids))[3]!, base[3]!) < 1e-5);
    assert.throws(() => s.truncate!(ids.length + 1), /cannot keep/);
    s.dispose();
  });

  test(`${contract} cache: the decoder: speculative and plain greedy decoding write the same tokens (random model: accepted, partly accepted and rejected drafts)`, async () => {
    let drafted = 0;
    let accepted = 0;
    let fewer = 0;
    // one decoder across all requests: it must decode each one as a fresh decoder does (no state between requests)
    const shared = new Decoder(model, tok, { speculate: true });
    for (const code of codes) {
      for (const given of [{ task: 'CodeFix', code_type: 'python' }, {}]) {
        const promptIds = tok.encode(buildPrompt({ task: 'CodeFix', code, given }), true);
        for (const maxTokens of [300, 47]) {
          const req = { promptIds, given, maxTokens, original: code };
          const plain: DecodeResult = await new Decoder(model, tok, { speculate: false }).run(req);
          const spec: DecodeResult = await new Decoder(model, tok, { speculate: true }).run(req);
          const what = `${JSON.stringify(code.slice(0, 20))} given ${JSON.stringify(given)} max ${maxTokens}`;
          assert.deepEqual(spec.ids, plain.ids, what);
          assert.equal(spec.stop, plain.stop, what);
          assert.deepEqual(spec.branches, plain.branches, what);
          const again = await shared.run(req);
          assert.deepEqual([again.ids, again.stop, again.branches], [spec.ids, spec.stop, spec.branches], `${what} (a decoder used before)`);
          assert.equal(plain.speculation, undefined);
          assert.ok(spec.speculation, what);
          drafted += spec.speculation.drafted;
          accepted += spec.speculation.accepted;
          if (spec.steps < plain.steps) fewer++;
        }
      }
    }
    // the fixture's greedy text falls into loops that vary: drafts are taken whole, in part, or not at all
    assert.ok(accepted > 500 && drafted - accepted > 50, `${accepted} of ${drafted} drafted tokens accepted`);
    assert.ok(fewer >= 8, `${fewer} of 16 decodes took fewer model calls`);
  });

  test(`${contract} cache: the engine on the tiny model: the same outcome with and without speculation`, async () => {
    const text = readFileSync(join(repoRoot(), 'test/fixtures/samples/below_zero.py'), 'utf8');
    const out = [];
    for (const speculate of [false, true]) {
      const engine = await Engine.load({ modelDir: dir, device: 'cpu', speculate });
      const o = await engine.fixDetailed({ text, languageId: 'python', line: 12, mode: 'function' });
      out.push({ fix: o.fix?.fixed ?? null, reason: o.reason, completion: o.completion, tokens: o.tokens?.completion });
      await (engine.model as OrtModel).release();
    }
    assert.ok(out[0]!.completion && out[0]!.completion.length > 0);
    assert.deepEqual(out[1], out[0]);
  });
}

test('the two KV-cache contracts, the same weights: the same logits (within 1e-4) and the same greedy tokens, with and without speculation', async () => {
  const present = await OrtModel.load(presentDir, 'cpu');
  const caller = await OrtModel.load(callerDir, 'cpu');
  assert.equal(present.config.kv_cache, 'present');
  assert.equal(caller.config.kv_cache, 'caller');
  const ids = prompt();
  const a = present.start();
  const b = caller.start();
  let worst = 0;
  const rowsA = await a.feedAll!(ids);
  const rowsB = await b.feedAll!(ids);
  for (let t = 0; t < ids.length; t++) worst = Math.max(worst, maxDiff(rowsA[t]!, rowsB[t]!));
  for (const x of tok.encode('    return a + b')) worst = Math.max(worst, maxDiff(await a.feed([x]), await b.feed([x])));
  assert.ok(worst < 1e-4, `max |present - caller| = ${worst}`);
  a.dispose();
  b.dispose();
  for (const code of codes) {
    const given = { task: 'CodeFix', code_type: 'python' };
    const req = { promptIds: tok.encode(buildPrompt({ task: 'CodeFix', code, given }), true), given, maxTokens: 120, original: code };
    for (const speculate of [false, true]) {
      const x = await new Decoder(present, tok, { speculate }).run(req);
      const y = await new Decoder(caller, tok, { speculate }).run(req);
      assert.deepEqual(y.ids, x.ids, `${JSON.stringify(code.slice(0, 20))} speculate ${speculate}`);
    }
  }
  await present.release();
  await caller.release();
});
