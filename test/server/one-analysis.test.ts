// One analysis per document version (issue #27): a quick fix analyses the document once, and each
// candidate answer's check analyses the patched text once; nothing analyses or chooses the target again.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analysisCounter, analyze, functionTarget } from '../../language-server/src/context';
import { Engine, markerLayers } from '../../language-server/src/engine';
import { resolveLanguage } from '../../language-server/src/grammars';
import { serialize } from '../../language-server/src/markers';
import { repoRoot } from '../../language-server/src/paths';
import { checkCounter } from '../../language-server/src/repair/check';
import { ScriptedLogits, tinyTokenizer } from './helpers';

const tok = tinyTokenizer();
const text = readFileSync(join(repoRoot(), 'test/fixtures/samples/below_zero.py'), 'utf8');
const fn = text.split('\n').slice(3, 15).join('\n');
const python = resolveLanguage('python')!;

function counting(): () => { analyses: number; checks: number } {
  const a0 = analysisCounter.count;
  const c0 = checkCounter.count;
  return () => ({ analyses: analysisCounter.count - a0, checks: checkCounter.count - c0 });
}

test('fixAt: the caller analyses once; the engine analyses only each candidate it checks', async () => {
  const engine = await Engine.load({ logits: new ScriptedLogits(tok, serialize({ task: 'CodeFix', code_type: 'python' }) + '\n' + fn.replace('balance == 0', 'balance < 0') + '<|end|>'), tokenizer: tok });
  const count = counting();
  const a = await analyze(text, python);
  const o = await engine.fixAt({ analysis: a, target: functionTarget(a, 12), line: 12, markers: markerLayers(undefined, {}), minConfidence: 0 });
  assert.ok(o.fix, o.reason);
  assert.deepEqual(count(), { analyses: 2, checks: 1 });
});

test('fixAt: an answer that fails its check is retried; still one analysis per candidate and one for the document', async () => {
  // the answer breaks the syntax: the first try and the second (fewer markers) are both checked
  const engine = await Engine.load({ logits: new ScriptedLogits(tok, serialize({ task: 'CodeFix' }) + '\n' + fn.replace('for op in operations:', 'for op in operations') + '<|end|>'), tokenizer: tok });
  const count = counting();
  const a = await analyze(text, python);
  const o = await engine.fixAt({ analysis: a, target: functionTarget(a, 12), line: 12 });
  assert.equal(o.fix, null);
  const { analyses, checks } = count();
  assert.ok(checks >= 2, `${checks} candidates checked`);
  assert.equal(analyses, 1 + checks);
});

test("fixDetailed (the CLI's wrapper) analyses the text once, then fixAt", async () => {
  const engine = await Engine.load({ logits: new ScriptedLogits(tok, serialize({ task: 'CodeFix', code_type: 'python' }) + '\n' + fn.replace('balance == 0', 'balance < 0') + '<|end|>'), tokenizer: tok });
  const count = counting();
  const o = await engine.fixDetailed({ text, languageId: 'python', line: 12, minConfidence: 0 });
  assert.ok(o.fix, o.reason);
  assert.deepEqual(count(), { analyses: 2, checks: 1 });
});
