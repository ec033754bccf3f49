// The runtime's prefix reuse (runtime.ts callerCache) on the tiny caller-cache ONNX model
// (test/fixtures/tiny-model-caller): runs of one scope (one engine request) start on the KV cache the
// scope's last run left, so the tokens a feed repeats are not computed again; other scopes, scope-less
// runs and TREASURE_PREFIX_CACHE=0 start empty. And markersOnly: the marker list a whole decode writes,
// without the answer.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Decoder } from '../../language-server/src/decode';
import { Engine } from '../../language-server/src/engine';
import { repoRoot } from '../../language-server/src/paths';
import { buildPrompt } from '../../language-server/src/prompt';
import { OrtModel, type LogitsSession, type LogitsSource } from '../../language-server/src/runtime';
import { TreasureTokenizer } from '../../language-server/src/tokenizer';
import { maxDiff } from './helpers';

const dir = join(repoRoot(), 'test/fixtures/tiny-model-caller');
const tok = TreasureTokenizer.fromFile(join(dir, 'tokenizer.json'));
const code = 'def below_zero(operations):\n    balance = 0\n    for op in operations:\n        balance += op\n        if balance == 0:\n            return True\n    return False';
const prompt = (c = code) => tok.encode(buildPrompt({ task: 'CodeFix', code: c }), true);

let model: OrtModel;
before(async () => {
  model = await OrtModel.load(dir, 'cpu');
});
after(async () => {
  await model?.release();
});

/** A fresh computation of ids (no scope: nothing reused), then n greedy-free steps of the given tokens. */
async function fresh(ids: number[], steps: number[] = []): Promise<Float32Array[]> {
  const s = model.start();
  const out = [(await s.feed(ids)).slice()];
  for (const t of steps) out.push((await s.feed([t])).slice());
  assert.equal(s.reused, 0);
  s.dispose();
  return out;
}

test('a second run of the same scope reuses every repeated token but the last, with the logits of a fresh computation', async () => {
  const ids = prompt();
  const scope = {};
  const a = model.start(scope);
  await a.feed(ids);
  for (const t of [5, 6, 7]) await a.feed([t]);
  a.dispose();
  const b = model.start(scope);
  const repeated = [...ids, 5, 6];
  const logits = await b.feed(repeated);
  assert.equal(b.reused, repeated.length - 1, 'all but the last token came from the cache');
  assert.equal(b.length, repeated.length);
  const step = await b.feed([9]);
  b.dispose();
  const [ref, refStep] = await fresh(repeated, [9]);
  assert.ok(maxDiff(logits, ref!) < 1e-4, `logits ${maxDiff(logits, ref!)}`);
  assert.ok(maxDiff(step, refStep!) < 1e-4, `next step ${maxDiff(step, refStep!)}`);
});

test('a feed that differs part way reuses the common prefix only; other scopes and scope-less runs reuse nothing', async () => {
  const ids = prompt();
  const other = prompt(code.replace('balance == 0', 'balance < 0'));
  let common = 0;
  while (ids[common] === other[common]) common++;
  assert.ok(common > 10 && common < other.length - 1);
  const scope = {};
  const a = model.start(scope);
  await a.feed(ids);
  a.dispose();
  const b = model.start(scope);
  const logits = await b.feed(other);
  assert.equal(b.reused, common);
  b.dispose();
  // the runtime keeps one set of slots, the last scoped run's: another scope, or none, starts empty
  const elsewhere = model.start({});
  await elsewhere.feed(other);
  assert.equal(elsewhere.reused, 0, 'another scope');
  elsewhere.dispose();
  const none = model.start();
  await none.feed(other);
  assert.equal(none.reused, 0, 'no scope');
  none.dispose();
  const [ref] = await fresh(other);
  assert.ok(maxDiff(logits, ref!) < 1e-4, `logits ${maxDiff(logits, ref!)}`);
});

test('within a run: a rollback (truncate) keeps the dropped slots for the same tokens fed again', async () => {
  const ids = prompt();
  const s = model.start({});
  await s.feed(ids);
  const tail = [11, 12, 13, 14];
  await s.feed(tail);
  s.truncate!(ids.length);
  const again = await s.feed(tail);
  assert.equal(s.reused, tail.length - 1);
  s.dispose();
  const [ref] = await fresh([...ids, ...tail]);
  assert.ok(maxDiff(again, ref!) < 1e-4);
});

test('TREASURE_PREFIX_CACHE=0 turns reuse off', async () => {
  process.env.TREASURE_PREFIX_CACHE = '0';
  const off = await OrtModel.load(dir, 'cpu');
  delete process.env.TREASURE_PREFIX_CACHE;
  try {
    assert.equal(off.prefixReuse, false);
    const scope = {};
    const a = off.start(scope);
    await a.feed(prompt());
    a.dispose();
    const b = off.start(scope);
    await b.feed(prompt());
    assert.equal(b.reused, 0);
    b.dispose();
  } finally {
    await off.release();
  }
});

/** The model behind a decoder, counting what its sessions reused. */
function counting(m: OrtModel): LogitsSource & { reused: number; sessions: number } {
  const c = {
    reused: 0, sessions: 0,
    get vocabSize() { return m.vocabSize; }, get contextLength() { return m.contextLength; }, get allPositions() { return m.allPositions; },
    start(scope?: object): LogitsSession {
      const s = m.start(scope);
      c.sessions++;
      return {
        get length() { return s.length; }, get multiLogits() { return s.multiLogits; }, get reused() { return s.reused; },
        feed: (ids) => s.feed(ids), feedAll: (ids) => s.feedAll!(ids), truncate: (k) => s.truncate!(k),
        dispose: () => { c.reused += s.reused ?? 0; s.dispose(); },
      };
    },
  };
  return c;
}

test('the decoder: a retry of the same scope (marker list and answer prefix fed) reuses the first run and decodes the same tokens', async () => {
  const src = counting(model);
  const decoder = new Decoder(src, tok, { speculate: true });
  const req = { promptIds: prompt(), given: { task: 'CodeFix', code_type: 'python' }, maxTokens: 40, original: code };
  const scope = {};
  const first = await decoder.run({ ...req, scope });
  assert.ok(first.markerPrefix && first.markerPrefix.length > 0);
  const answer = first.ids.slice(first.markerPrefix.length);
  const prefix = answer.slice(0, 6);
  const retry = { ...req, markerPrefix: first.markerPrefix, answerPrefix: prefix };
  const before = src.reused;
  const reused = await decoder.run({ ...retry, scope });
  assert.ok(src.reused - before >= req.promptIds.length + first.markerPrefix.length, `reused ${src.reused - before}`);
  const plain = await new Decoder(model, tok, { speculate: true }).run(retry);
  assert.deepEqual(reused.ids, plain.ids, 'the same tokens as a retry computed from scratch');
});

test('markersOnly: the marker list a whole decode writes, and nothing after it; the engine returns it without a fix', async () => {
  const decoder = new Decoder(model, tok, { speculate: false });
  const req = { promptIds: prompt(), given: { task: 'CodeFix' }, maxTokens: 80 };
  const whole = await decoder.run(req);
  const only = await decoder.run({ ...req, markersOnly: true });
  assert.equal(only.stop, 'markers');
  assert.equal(only.answer, '');
  assert.deepEqual(only.markers, whole.markers);
  assert.deepEqual(only.ids, whole.markerPrefix);
  assert.ok(only.steps < whole.steps);
  const engine = await Engine.load({ modelDir: dir, device: 'cpu' });
  const text = `${code}\n`;
  const full = await engine.fixDetailed({ text, languageId: 'python', line: 1, mode: 'function', contextMarkers: false });
  const markers = await engine.fixDetailed({ text, languageId: 'python', line: 1, mode: 'function', contextMarkers: false, markersOnly: true });
  assert.equal(markers.fix, null);
  assert.deepEqual(markers.markers, full.markers ?? full.fix?.markers);
  assert.ok(markers.tokens!.completion < full.tokens!.completion);
  const g = await engine.generate({ languageId: 'python', prompt: 'def add(a, b):\n', contextMarkers: false, markersOnly: true });
  const gFull = await engine.generate({ languageId: 'python', prompt: 'def add(a, b):\n', contextMarkers: false });
  assert.equal(g.text, '');
  assert.deepEqual(g.markers, gFull.markers);
});
