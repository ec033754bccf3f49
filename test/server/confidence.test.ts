// The confidence threshold of unverified fixes (issue 26 point 7): the engine scores its own unverified
// function fix against the original (the tested path's ranking), offers it only at or above the
// threshold, says why when it holds one back, and never touches a proven fix; the title says
// "unverified" with the confidence; the setting is validated. The engine runs on a deterministic
// stand-in for the model (as engine.test.ts); the shipped model is exercised in lsp-unverified.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine, InputError } from '../../language-server/src/engine';
import { serialize } from '../../language-server/src/markers';
import { repoRoot } from '../../language-server/src/paths';
import { belowThresholdReason, confidenceOfMargin, DEFAULT_MIN_CONFIDENCE, offeredAt, validMinConfidence } from '../../language-server/src/repair/confidence';
import { fixTitle } from '../../language-server/src/lsp/titles';
import { DEFAULT_SETTINGS, minConfidenceOf, resolveSettings, type SettingProblem } from '../../language-server/src/settings';
import type { LogitsSource, LogitsSession } from '../../language-server/src/runtime';
import { ScriptedLogits, tinyTokenizer } from './helpers';

/** The scripted model with its logits scaled down: the same greedy answer, a margin short of certainty. */
class Softened implements LogitsSource {
  constructor(private readonly inner: LogitsSource, private readonly scale: number) {}
  get vocabSize() { return this.inner.vocabSize; }
  get contextLength() { return this.inner.contextLength; }
  start(): LogitsSession {
    const s = this.inner.start();
    const scale = this.scale;
    return { get length() { return s.length; }, async feed(ids) { return (await s.feed(ids)).map((x) => x * scale); }, dispose() { s.dispose(); } };
  }
}

const tok = tinyTokenizer();
const text = readFileSync(join(repoRoot(), 'test/fixtures/samples/below_zero.py'), 'utf8');
const fn = text.split('\n').slice(3, 15).join('\n');
const answer = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'wrong_comparison' }) + '\n' + fn.replace('balance == 0', 'balance < 0') + '<|end|>';
const engine = () => Engine.load({ logits: new Softened(new ScriptedLogits(tok, answer), 0.05), tokenizer: tok });

test('confidence of a margin: P(fix) / (P(fix) + P(original)), monotone, 0.5 at no margin', () => {
  assert.equal(confidenceOfMargin(0), 0.5);
  assert.ok(Math.abs(confidenceOfMargin(Math.log(3)) - 0.75) < 1e-12);
  assert.ok(Math.abs(confidenceOfMargin(-Math.log(3)) - 0.25) < 1e-12);
  assert.equal(confidenceOfMargin(-Infinity), 0);
  assert.equal(confidenceOfMargin(Infinity), 1);
  assert.equal(confidenceOfMargin(Number.NaN), 0);
});

test('thresholds: a number from 0 to 1 or never; offered at or above it; the reason names both numbers', () => {
  for (const ok of [0, 0.37, 1, 'never']) assert.equal(validMinConfidence(ok), true, String(ok));
  for (const bad of [-0.1, 1.5, Number.NaN, '0.5', 'always', null, undefined]) assert.equal(validMinConfidence(bad), false, String(bad));
  assert.equal(validMinConfidence(DEFAULT_MIN_CONFIDENCE), true);
  assert.equal(offeredAt(0.6, 0.6), true);
  assert.equal(offeredAt(0.59, 0.6), false);
  assert.equal(offeredAt(1, 'never'), false);
  assert.equal(offeredAt(0, 0), true);
  // rounded down: never "0.60 < 0.60"
  assert.equal(belowThresholdReason(0.5999, 0.6), 'no fix proven; the best unverified guess is below the confidence threshold (0.59 < 0.60)');
  assert.match(belowThresholdReason(0.9, 'never'), /^no fix proven; unverified guesses are not offered .*0\.90/);
});

test('the engine: an unverified function fix carries its confidence, the one its ranking gives it', async () => {
  const e = await engine();
  const o = await e.fixDetailed({ text, languageId: 'python', line: 12, mode: 'function', minConfidence: 0 });
  assert.ok(o.fix, o.reason);
  assert.equal(o.fix.verified, false);
  const c = o.fix.confidence!;
  assert.ok(c > 0 && c < 1, String(c));
  // the same number as the tested path's score of this candidate (its margin over the original)
  const scored = await e.scoreFunctionFixes({ text, languageId: 'python', line: 12 }, [o.fix.fixed]);
  assert.ok(Math.abs(confidenceOfMargin(scored!.scores[0]!) - c) < 1e-9);
});

test('the engine: below the threshold no fix, the reason says so with both numbers; never offers none; above it the fix', async () => {
  const e = await engine();
  const c = (await e.fixDetailed({ text, languageId: 'python', line: 12, mode: 'function', minConfidence: 0 })).fix!.confidence!;
  const above = await e.fixDetailed({ text, languageId: 'python', line: 12, mode: 'function', minConfidence: Math.floor(c * 100) / 100 });
  assert.ok(above.fix, above.reason);
  assert.equal(above.fix.confidence, c);
  const min = Math.min(1, Math.ceil(c * 100) / 100 + 0.01);
  const below = await e.fixDetailed({ text, languageId: 'python', line: 12, mode: 'function', minConfidence: min });
  assert.equal(below.fix, null);
  assert.equal(below.confidence, c);
  assert.equal(below.reason, belowThresholdReason(c, min));
  assert.match(below.reason!, /^no fix proven; the best unverified guess is below the confidence threshold \(\d\.\d\d < \d\.\d\d\)$/);
  const never = await e.fixDetailed({ text, languageId: 'python', line: 12, mode: 'function', minConfidence: 'never' });
  assert.equal(never.fix, null);
  assert.match(never.reason!, /unverified guesses are not offered/);
  await assert.rejects(e.fixDetailed({ text, languageId: 'python', line: 12, mode: 'function', minConfidence: 2 }), (x: Error) => x instanceof InputError && /minConfidence/.test(x.message));
});

test('a proven fix is never held back: a syntax error fixed by the parser-proven search passes at never', async () => {
  const e = await Engine.load({ logits: new ScriptedLogits(tok, serialize({ task: 'CodeFix', code_type: 'python' }) + '\nx<|end|>'), tokenizer: tok });
  const o = await e.fixDetailed({ text: readFileSync(join(repoRoot(), 'test/fixtures/samples/missing_colon.py'), 'utf8'), languageId: 'python', minConfidence: 'never' });
  assert.ok(o.fix, o.reason);
  assert.equal(o.fix.verified, true);
  assert.equal(o.fix.confidence, undefined);
});

test('titles: an unverified fix says so and shows its confidence; a proven one names its proof', () => {
  const base = { label: undefined, target: 'function' as const, region: { start: { line: 3, character: 0 }, end: { line: 14, character: 0 } }, markers: { given: { task: 'CodeFix' as const }, inferred: {} } };
  assert.equal(fixTitle('rewriteFunction', { ...base, verified: false, confidence: 0.734 }), "Fix this function with Treasure — unverified: rewrite lines 4-15 (the model's guess, confidence 0.73; nothing ran or parsed it) · CodeFix");
  assert.doesNotMatch(fixTitle('rewriteFunction', { ...base, verified: true, verifiedBy: 'pytest: 3 passed' }), /unverified|confidence/);
});

test('the setting treasure.unverified.minConfidence: number 0-1 or never, nested or flat; anything else is reported and left at the default', () => {
  assert.equal(DEFAULT_SETTINGS.unverified.minConfidence, DEFAULT_MIN_CONFIDENCE);
  assert.equal(resolveSettings({ unverified: { minConfidence: 0.3 } }).unverified.minConfidence, 0.3);
  assert.equal(resolveSettings({ 'unverified.minConfidence': 'never' }).unverified.minConfidence, 'never');
  assert.equal(resolveSettings({ unverified: { minConfidence: 2 } }).unverified.minConfidence, DEFAULT_MIN_CONFIDENCE);
  assert.equal(resolveSettings({}, { 'treasure.unverified.minConfidence': 0 }).unverified.minConfidence, 0);
  const problems: SettingProblem[] = [];
  assert.equal(minConfidenceOf(0.8, problems), 0.8);
  assert.equal(minConfidenceOf(undefined, problems), DEFAULT_MIN_CONFIDENCE);
  assert.equal(problems.length, 0);
  assert.equal(minConfidenceOf('sometimes', problems), DEFAULT_MIN_CONFIDENCE);
  assert.deepEqual(problems.map((p) => p.setting), ['treasure.unverified.minConfidence']);
  assert.match(problems[0]!.message, /a number from 0 to 1, or "never"/);
});
