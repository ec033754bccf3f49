// Prompt-lookup speculative decoding (language-server/src/decode.ts) on a fake model with every
// position's logits and a KV cache that rolls back (ReplayLogits): the output must be plain greedy
// decoding's, token for token, with forced markers, blocked tokens, limits, branches and cancellation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeAbortedError, Decoder, PromptLookup, speculateFromEnv, type DecodeRequest, type DecodeResult } from '../../language-server/src/decode';
import { Engine } from '../../language-server/src/engine';
import { serialize, type Markers } from '../../language-server/src/markers';
import { buildPrompt } from '../../language-server/src/prompt';
import { truncatePositions } from '../../language-server/src/runtime';
import { ReplayLogits, tinyTokenizer } from './helpers';

const tok = tinyTokenizer();
const buggy = 'def below_zero(operations):\n    balance = 0\n    for op in operations:\n        balance += op\n        if balance == 0:\n            return True\n    return False';
const fixed = buggy.replace('balance == 0', 'balance < 0');
const list = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'wrong_comparison', length_bucket: 'medium' });
const scripts: Record<string, string> = {
  // the usual CodeFix answer: the function copied with one change
  fix: `${list}\n${fixed}<|end|>`,
  // copied unchanged: copy points (branches) all along
  copy: `${list}\n${buggy}<|end|>`,
  // copies the start, then writes something else, then copies again
  mixed: `${list}\n${buggy.slice(0, 60)}    total = sum(operations)\n${buggy.slice(60, 140)}\n    return None<|end|>`,
  // nothing from the prompt, but lines that repeat (drafts from the text written so far)
  repeat: `${list}\nprint("hello world")\nprint("hello world")\nprint("hello world")\nprint("hello")<|end|>`,
  // a format token the answer may not contain (blocked: the decoder writes the runner-up)
  blocked: `${list}\n${buggy.slice(0, 50)}<|prompt|>${buggy.slice(50)}<|end|>`,
};

function promptFor(given: Markers): number[] {
  return tok.encode(buildPrompt({ task: 'CodeFix', code: buggy, given }));
}

function same(spec: DecodeResult, plain: DecodeResult, what: string): void {
  assert.deepEqual(spec.ids, plain.ids, `${what}: tokens`);
  assert.equal(spec.stop, plain.stop, `${what}: stop`);
  assert.equal(spec.answer, plain.answer, `${what}: answer`);
  assert.equal(spec.markerText, plain.markerText, `${what}: marker list`);
  assert.deepEqual(spec.branches, plain.branches, `${what}: branches (runner-ups and margins at the copy points)`);
}

async function both(model: ReplayLogits, req: DecodeRequest, maxDraft = 16): Promise<{ plain: DecodeResult; spec: DecodeResult; specCalls: number; plainCalls: number }> {
  const c0 = model.calls;
  const plain = await new Decoder(model, tok, { speculate: false }).run(req);
  const c1 = model.calls;
  const spec = await new Decoder(model, tok, { speculate: true, maxDraft }).run(req);
  return { plain, spec, plainCalls: c1 - c0, specCalls: model.calls - c1 };
}

test('speculative decoding writes what plain greedy decoding writes, in fewer model calls', async () => {
  const model = new ReplayLogits(tok, scripts.fix!);
  const promptIds = promptFor({ task: 'CodeFix', code_type: 'python' });
  const { plain, spec, plainCalls, specCalls } = await both(model, { promptIds, given: { task: 'CodeFix', code_type: 'python' }, maxTokens: 500, original: buggy });
  same(spec, plain, 'fix');
  assert.equal(plain.stop, 'end');
  assert.equal(plain.answer, fixed);
  assert.equal(plain.speculation, undefined);
  assert.ok(spec.speculation, 'speculation ran');
  assert.equal(spec.steps, specCalls);
  assert.equal(plain.steps, plainCalls);
  const { drafted, accepted } = spec.speculation;
  // the copied parts are accepted; the fix (" < " for " == ") is where a draft is rejected
  assert.ok(accepted > 0.7 * tok.encode(fixed).length, `${accepted} of ${drafted} drafted tokens accepted`);
  assert.ok(drafted > accepted, 'some drafted tokens were rejected');
  assert.ok(model.truncations.length > 0, 'the KV cache was rolled back');
  assert.ok(specCalls * 2 < plainCalls, `${specCalls} model calls with speculation, ${plainCalls} without`);
});

test('identical to plain greedy: every script, given markers or not, token limits, context sizes, draft lengths', async () => {
  let runs = 0;
  let rolledBack = 0;
  let accepted = 0;
  for (const [name, script] of Object.entries(scripts)) {
    for (const given of [{}, { code_type: 'python', error_type: 'operator_misuse' }] as Markers[]) {
      const promptIds = promptFor(given);
      for (const contextLength of [4096, promptIds.length + 90, promptIds.length + 41]) {
        for (const maxTokens of [1, 3, 20, 41, 57, 90, 500]) {
          for (const maxDraft of [1, 3, 16]) {
            const model = new ReplayLogits(tok, script, contextLength);
            const req: DecodeRequest = { promptIds, given, maxTokens, original: buggy };
            const { plain, spec } = await both(model, req, maxDraft);
            same(spec, plain, `${name} given=${JSON.stringify(given)} context=${contextLength} max=${maxTokens} draft=${maxDraft}`);
            assert.ok(spec.ids.length <= maxTokens);
            runs++;
            rolledBack += model.truncations.length;
            accepted += spec.speculation?.accepted ?? 0;
          }
        }
      }
    }
  }
  assert.equal(runs, 5 * 2 * 3 * 7 * 3);
  assert.ok(rolledBack > 100 && accepted > 1000, `${rolledBack} rollbacks, ${accepted} accepted tokens`);
});

test('blocked tokens: where the model wants <|prompt|>, both decoders write the same runner-up', async () => {
  const model = new ReplayLogits(tok, scripts.blocked!);
  const promptIds = promptFor({});
  const { plain, spec } = await both(model, { promptIds, given: {}, maxTokens: 120, original: buggy });
  same(spec, plain, 'blocked');
  assert.ok(!plain.ids.includes(tok.id('<|prompt|>')));
});

test('branches: decoding again from a recorded copy point (answer prefix) is identical too', async () => {
  const model = new ReplayLogits(tok, scripts.copy!);
  const promptIds = promptFor({ task: 'CodeFix' });
  const first = await both(model, { promptIds, given: { task: 'CodeFix' }, maxTokens: 400, original: buggy });
  same(first.spec, first.plain, 'copy');
  assert.equal(first.plain.answer, buggy);
  const branches = first.plain.branches!;
  assert.equal(branches.length, 8);
  for (const b of branches) {
    for (const maxTokens of [400, 60]) {
      const { plain, spec } = await both(model, { promptIds, given: { task: 'CodeFix' }, maxTokens, answerPrefix: b.prefix });
      same(spec, plain, `branch ${tok.decode(b.prefix).length} chars, max ${maxTokens}`);
      assert.ok(spec.steps <= plain.steps);
    }
  }
});

test('retries feed the first run\'s marker list with the prompt (markerPrefix): the same answers, fewer model calls', async () => {
  const model = new ReplayLogits(tok, scripts.copy!);
  const given: Markers = { task: 'CodeFix' };
  const promptIds = promptFor(given);
  const first = await new Decoder(model, tok, { speculate: false }).run({ promptIds, given, maxTokens: 400, original: buggy });
  const markerPrefix = first.markerPrefix!;
  assert.ok(markerPrefix, 'a closed marker list is reported');
  assert.equal(tok.decode(markerPrefix).trim(), list.trim(), 'the list through </MARKER_LIST>');
  for (const speculate of [false, true]) {
    for (const b of first.branches!) {
      const dec = new Decoder(model, tok, { speculate });
      const c0 = model.calls;
      const again = await dec.run({ promptIds, given, maxTokens: 400, answerPrefix: b.prefix });
      const c1 = model.calls;
      const reused = await dec.run({ promptIds, given, maxTokens: 400, answerPrefix: b.prefix, markerPrefix });
      same(reused, again, `speculate=${speculate}, branch ${tok.decode(b.prefix).length} chars`);
      assert.equal(reused.steps, model.calls - c1);
      assert.ok(reused.steps < c1 - c0, `fewer calls: ${reused.steps} vs ${c1 - c0}`);
    }
  }
  // a prefix that is not a closed list (cut by the token limit) is not reused: the list is decoded
  const cut = await new Decoder(model, tok).run({ promptIds, given, maxTokens: 400, markerPrefix: markerPrefix.slice(0, -1) });
  const plain = await new Decoder(model, tok).run({ promptIds, given, maxTokens: 400 });
  same(cut, plain, 'unclosed prefix');
});

test('the marker list: a token that needs no decision is fed with the next step, not alone', async () => {
  // the model writes code_type, error_type and length_bucket itself (task is given): each value is a few
  // tokens, but only the first needs the model's choice; the rest go with the close tag in one step.
  // Calls: prompt, list start, the given task (tag, value, close), then per written category its tag (with
  // a leading space the value must have) and its value + close (2 each), </MARKER_LIST>, and the answer's
  // line break before <|end|>: 1 + 1 + 1 + 3 x 2 + 1 + 1 = 11 (43 with every token fed alone: this tokenizer spells values letter by letter)
  const model = new ReplayLogits(tok, `${list}\n<|end|>`);
  const given: Markers = { task: 'CodeFix' };
  for (const speculate of [false, true]) {
    const c0 = model.calls;
    const r = await new Decoder(model, tok, { speculate }).run({ promptIds: promptFor(given), given, maxTokens: 200 });
    assert.equal(r.markerText.trim(), list.trim());
    assert.equal(r.answer, '');
    assert.equal(model.calls - c0, 11, `speculate=${speculate}`);
  }
});

test('cancellation: both decoders stop at the next token after the abort, with no further model call', async () => {
  const promptIds = promptFor({});
  for (const speculate of [false, true]) {
    for (const at of [1, 2, 4, 7, 12, 20]) {
      const ac = new AbortController();
      const model = new ReplayLogits(tok, scripts.fix!, 4096, { onCall: (n) => { if (n === at) ac.abort(); } });
      await assert.rejects(new Decoder(model, tok, { speculate }).run({ promptIds, given: {}, maxTokens: 500, original: buggy, signal: ac.signal }), DecodeAbortedError);
      assert.equal(model.calls, at, `speculate=${speculate}: aborted at call ${at}`);
    }
  }
});

test('a model with the last position\'s logits only: no speculation, the same model calls as before', async () => {
  const promptIds = promptFor({});
  const old = new ReplayLogits(tok, scripts.fix!, 4096, { multi: false });
  const { plain, spec, plainCalls, specCalls } = await both(old, { promptIds, given: {}, maxTokens: 500, original: buggy });
  same(spec, plain, 'old model');
  assert.equal(spec.speculation, undefined);
  assert.equal(specCalls, plainCalls);
  assert.equal(spec.steps, plain.steps);
  // and a forced answer prefix is still fed one token at a time there
  const prefix = plain.branches![0]!.prefix;
  const a = await new Decoder(old, tok, { speculate: true }).run({ promptIds, given: {}, maxTokens: 500, answerPrefix: prefix });
  const b = await new Decoder(old, tok, { speculate: false }).run({ promptIds, given: {}, maxTokens: 500, answerPrefix: prefix });
  assert.deepEqual(a.ids, b.ids);
  assert.equal(a.steps, b.steps);
});

test('speculation switch: TREASURE_SPECULATE=0 turns it off, the engine option too', async () => {
  assert.equal(speculateFromEnv({}), true);
  assert.equal(speculateFromEnv({ TREASURE_SPECULATE: '1' }), true);
  for (const off of ['0', 'false', 'off', 'no']) assert.equal(speculateFromEnv({ TREASURE_SPECULATE: off }), false);
  const model = new ReplayLogits(tok, scripts.fix!);
  assert.equal((await Engine.load({ logits: model, tokenizer: tok, speculate: false })).speculate, false);
  assert.equal((await Engine.load({ logits: model, tokenizer: tok, speculate: true })).speculate, true);
  const saved = process.env.TREASURE_SPECULATE;
  try {
    process.env.TREASURE_SPECULATE = '0';
    assert.equal((await Engine.load({ logits: model, tokenizer: tok })).speculate, false);
    assert.equal(new Decoder(model, tok).speculate, false);
  } finally {
    if (saved === undefined) delete process.env.TREASURE_SPECULATE;
    else process.env.TREASURE_SPECULATE = saved;
  }
});

test('engine: the same fix (and the same branch tries) with and without speculation', async () => {
  const text = `import math\n\n\n${buggy}\n`;
  for (const script of [scripts.fix!, scripts.copy!, scripts.mixed!]) {
    const outcomes = [];
    for (const speculate of [false, true]) {
      const model = new ReplayLogits(tok, script);
      const engine = await Engine.load({ logits: model, tokenizer: tok, speculate });
      const o = await engine.fixDetailed({ text, languageId: 'python', line: 7 });
      outcomes.push({ fix: o.fix?.fixed ?? null, edits: o.fix?.edits, reason: o.reason, completion: o.completion, tokens: o.tokens?.completion, calls: model.calls });
    }
    const [plain, spec] = outcomes as [typeof outcomes[0], typeof outcomes[0]];
    assert.deepEqual({ ...spec, calls: 0 }, { ...plain, calls: 0 });
    assert.ok(spec.calls < plain.calls, `${spec.calls} model calls with speculation, ${plain.calls} without`);
  }
});

test('prompt lookup: the longest n-gram wins, a copy moves forward, the text written so far is a second source', () => {
  const l = new PromptLookup([1, 2, 3, 4, 5, 6]);
  assert.deepEqual(l.draft([9, 2], 3), [3, 4, 5]);
  assert.deepEqual(l.draft([9, 6], 3), [], 'nothing follows the last token');
  assert.deepEqual(l.draft([9, 7], 3), [], 'not in the prompt');
  assert.deepEqual(l.draft([], 3), []);
  assert.deepEqual(l.draft([2], 0), []);
  // [7, 2] matches 2 tokens at position 4; [2] alone would match at 1 too
  const m = new PromptLookup([1, 2, 3, 7, 2, 8, 9]);
  assert.deepEqual(m.draft([7, 2], 4), [8, 9]);
  assert.deepEqual(m.draft([5, 2], 4), [3, 7, 2, 8], 'one token: the first match');
  // equal matches: the one at or after the last draft's place
  const c = new PromptLookup([5, 1, 5, 2, 5, 3]);
  assert.deepEqual(c.draft([5], 1), [1]);
  assert.deepEqual(c.draft([5, 1, 5], 1), [2], 'moves forward');
  assert.deepEqual(c.draft([5, 1, 5, 2, 5], 1), [3]);
  // a loop in the text written so far: a longer match there than in the prompt
  const h = new PromptLookup([1, 8, 2]);
  assert.deepEqual(h.draft([8, 9, 8, 9, 8], 4), [9, 8]);
  assert.deepEqual(h.draft([4, 8], 4), [2], 'the prompt when the text written so far has no longer match');
});

test('KV truncation keeps each head\'s first positions', () => {
  const data = Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => i); // [1, 2 heads, 3 positions, 2]
  assert.deepEqual([...truncatePositions(data, [1, 2, 3, 2], 2)], [0, 1, 2, 3, 6, 7, 8, 9]);
  assert.deepEqual([...truncatePositions(data, [1, 2, 3, 2], 3)], [...data]);
  assert.deepEqual([...truncatePositions(data, [1, 2, 3, 2], 0)], []);
  assert.throws(() => truncatePositions(data, [1, 2, 3, 2], 4));
});

test('a decoder that served other requests first decodes a request exactly as a fresh one (no state carried between requests)', async () => {
  const otherGiven: Markers = { task: 'CodeFix', code_type: 'python', error_type: 'missing_logic', length_bucket: 'concise' };
  for (const given of [{}, { task: 'CodeFix', code_type: 'python' }] as Markers[]) {
    const promptIds = promptFor(given);
    for (const maxTokens of [9, 41, 500]) {
      const model = new ReplayLogits(tok, scripts.fix!);
      const req: DecodeRequest = { promptIds, given, maxTokens, original: buggy };
      const fresh = await new Decoder(model, tok, { speculate: true }).run(req);
      const used = new Decoder(model, tok, { speculate: true });
      // first other requests: other given markers, another budget
      await used.run({ promptIds: promptFor(otherGiven), given: otherGiven, maxTokens: 500, original: buggy });
      await used.run({ ...req, maxTokens: 500 });
      const c0 = model.calls;
      const again = await used.run(req);
      same(again, fresh, `maxTokens ${maxTokens}`);
      assert.equal(again.steps, model.calls - c0, 'every step a model call: nothing answered from an earlier request');
    }
  }
});
