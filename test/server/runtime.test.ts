// The runtime on the real shipped model (models/treasure/): tokenizer.json through
// @huggingface/tokenizers, and the ONNX session with its KV cache.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { Decoder, MarkerVocab } from '../../language-server/src/decode';
import { markerOrder, taxonomy } from '../../language-server/src/markers';
import { repoRoot } from '../../language-server/src/paths';
import { buildPrompt } from '../../language-server/src/prompt';
import { OrtModel, readModelConfig } from '../../language-server/src/runtime';
import { TreasureTokenizer } from '../../language-server/src/tokenizer';

const dir = join(repoRoot(), 'models/treasure');
let tok: TreasureTokenizer;

before(() => {
  assert.ok(existsSync(join(dir, 'model.onnx')), 'the shipped model models/treasure/ is missing');
  tok = TreasureTokenizer.fromFile(join(dir, 'tokenizer.json'));
});

test('the shipped tokenizer: format tokens and marker tags are single tokens; code round-trips', () => {
  const t = taxonomy();
  for (const s of [t.format.prompt_open, t.format.completion_open, t.format.end, t.serialization.open, t.serialization.close, ...markerOrder().flatMap((k) => [`<${k}>`, `</${k}>`])]) {
    assert.equal(tok.encode(s).length, 1, s);
  }
  const code = 'def héllo(x):\n\treturn x ** 2  # ≥ 0 😀\n';
  assert.equal(tok.decode(tok.encode(code)), code);
  const v = new MarkerVocab(tok);
  assert.equal(tok.decode(v.valueTokens('task', 'CodeFix')), ' CodeFix ');
});

test('the ONNX session: one prefill equals token-by-token decoding with the KV cache', async () => {
  const cfg = readModelConfig(dir);
  const model = await OrtModel.load(dir, 'cpu');
  assert.equal(model.vocabSize, cfg.vocab_size);
  const ids = tok.encode(buildPrompt({ task: 'CodeFix', code: 'def add(a, b):\n    return a - b' }), true);
  const full = await model.start().feed(ids);
  const s = model.start();
  let step = await s.feed(ids.slice(0, ids.length - 4));
  for (const id of ids.slice(ids.length - 4)) step = await s.feed([id]);
  assert.equal(s.length, ids.length);
  let maxDiff = 0;
  let am1 = 0;
  let am2 = 0;
  for (let i = 0; i < full.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(full[i]! - step[i]!));
    if (full[i]! > full[am1]!) am1 = i;
    if (step[i]! > step[am2]!) am2 = i;
  }
  assert.equal(am1, am2);
  // With int8 activations (MatMulNBits accuracy_level 4, models/train/compute_level.py) a 4-token step and
  // single-token steps round the activations in different kernels: the logits agree to about 0.1, not 1e-5
  // (the greedy token above must still agree); with float activations they agree to well under 1e-2.
  const level = (JSON.parse(readFileSync(join(dir, 'export.json'), 'utf8')) as { quantized?: { accuracy_level?: number } }).quantized?.accuracy_level ?? 0;
  const tolerance = level === 4 ? 0.5 : 1e-2;
  assert.ok(maxDiff < tolerance, `max logit difference ${maxDiff} (accuracy_level ${level})`);
  await model.release();
});

test('a model exported with the last position\'s logits only ([1, vocab], before 2026-11-22): no feedAll, no speculation, decoding as before', async () => {
  // test/fixtures/make-tiny-model.py --last-only: the older export, so such models keep working
  const model = await OrtModel.load(join(repoRoot(), 'test/fixtures/tiny-model-last'), 'cpu');
  assert.equal(model.allPositions, false, 'from the output metadata');
  const code = 'def add(a, b):\n    return a - b';
  const ids = tok.encode(buildPrompt({ task: 'CodeFix', code }), true);
  const s = model.start();
  assert.equal(s.multiLogits, false);
  await assert.rejects(s.feedAll!(ids), /last position's logits only/);
  s.dispose();
  const given = { task: 'CodeFix', code_type: 'python' };
  const promptIds = tok.encode(buildPrompt({ task: 'CodeFix', code, given }), true);
  const req = { promptIds, given, maxTokens: 40, original: code };
  const plain = await new Decoder(model, tok, { speculate: false }).run(req);
  const spec = await new Decoder(model, tok, { speculate: true }).run(req);
  assert.equal(spec.speculation, undefined, 'speculation never starts');
  assert.deepEqual(spec.ids, plain.ids);
  assert.equal(spec.steps, plain.steps);
  assert.deepEqual(spec.branches, plain.branches);
  assert.equal(plain.ids.length, 40);
  await model.release();
});

test('config.json kv_cache: "caller" or "present" (absent: present); anything else, or a graph that does not match it, is refused clearly', async () => {
  const { mkdtempSync, writeFileSync, copyFileSync, rmSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tmp = mkdtempSync(join(tmpdir(), 'treasure-kvcache-'));
  try {
    const base = JSON.parse(readFileSync(join(repoRoot(), 'test/fixtures/tiny-model-caller/config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(tmp, 'config.json'), JSON.stringify({ ...base, kv_cache: 'gpu' }));
    assert.throws(() => readModelConfig(tmp), /kv_cache "gpu" is not "caller" or "present"/);
    const { kv_cache: _, ...older } = base;
    writeFileSync(join(tmp, 'config.json'), JSON.stringify(older));
    assert.equal(readModelConfig(tmp).kv_cache, 'present');
    // the caller graph with a config that says nothing of it: the runtime would feed the wrong inputs
    copyFileSync(join(repoRoot(), 'test/fixtures/tiny-model-caller/model.onnx'), join(tmp, 'model.onnx'));
    await assert.rejects(OrtModel.load(tmp, 'cpu'), /no output present\.0\.key|takes attention_bias/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
