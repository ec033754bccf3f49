// "Fix this function" with no tests through the real language server over stdio (the dist/ bundle) and
// the shipped model (issue 26 point 7): HumanEvalPack's correct sort_even, which the model would break
// with a high confidence, in a trusted workspace without tests. At treasure.unverified.minConfidence 0
// the guess is offered titled "unverified" with its confidence and is not the preferred fix; at 1 it
// is held back and the message says why, with both numbers.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { canonicalDocument, loadProblems } from '../../eval/humanevalpack';
import { repoRoot } from '../../language-server/src/paths';
import { fixThisFunctionOverLsp } from './lsp-fix-function';

const root = repoRoot();
const text = canonicalDocument(loadProblems(join(root, 'eval/data/humanevalpack'), 'python').find((p) => p.taskId === 'Python/37')!);
const lsp = fixThisFunctionOverLsp('treasure-lsp-unverified-');
after(() => lsp.dispose());

const fixThisFunction = (minConfidence: number | 'never') =>
  lsp.run({ files: { 'sort_even.py': text }, open: 'sort_even.py', section: { unverified: { minConfidence } }, line: 1, character: 4 });

test('minConfidence 0: the guess is offered, titled unverified with its confidence, never preferred', async () => {
  const { action, messages } = await fixThisFunction(0);
  assert.ok(action.edit, messages.join('\n'));
  assert.match(action.title, /^Fix this function with Treasure — unverified: .*\(the model's guess, confidence 0\.\d\d; nothing ran or parsed it\)/);
  assert.equal(action.isPreferred, false);
});

test('minConfidence 1: no edit, and the message says the guess is below the threshold', async () => {
  const { action, messages } = await fixThisFunction(1);
  assert.equal(action.edit, undefined);
  assert.ok(messages.some((m) => /^Treasure: no fix proven; the best unverified guess is below the confidence threshold \(0\.\d\d < 1\.00\); not proven because the workspace has no Python tests/.test(m)), messages.join('\n'));
});
