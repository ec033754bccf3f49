// The proof suite's summary of the rival check (eval/suites/proof.ts): contested fixes are still offered
// (the plausible-but-wrong of offered counts them) and left out of "offered as proven".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProofArgs, proofMarkdown, summarizeProof, type ProofRecord } from '../../eval/suites/proof';

test('summarizeProof: offered as proven leaves the contested fixes out; both figures are kept', () => {
  const r = (id: number, outcome: ProofRecord['outcome'], extra: Partial<ProofRecord> = {}): ProofRecord => ({ taskId: `Python/${id}`, language: 'python', variant: 'model', bugType: 'x', outcome, ms: 1000, ...extra });
  const records = [
    r(0, 'correct'), r(1, 'correct', { contested: 2 }), r(2, 'plausible_wrong', { contested: 1 }), r(3, 'plausible_wrong'),
    r(4, 'correct', { replaced: "replace '>' with '<' at line 3" }), r(5, 'no_fix'), r(6, 'examples_pass'),
  ];
  const [row] = summarizeProof(records);
  assert.equal(row!.offered, 5);
  assert.equal(row!.correct, 3);
  assert.equal(row!.plausibleWrong, 2);
  assert.equal(row!.plausibleWrongOfOffered, 40);
  assert.equal(row!.contestedCorrect, 1);
  assert.equal(row!.contestedWrong, 1);
  assert.equal(row!.provenOffered, 3);
  assert.equal(row!.provenCorrect, 2);
  assert.equal(row!.provenWrong, 1);
  assert.ok(Math.abs(row!.provenWrongOfProven - 100 / 3) < 1e-9);
  assert.equal(row!.replaced, 1);
  const md = proofMarkdown([row!], { command: 'x', seconds: 1, prove: 30, budgetS: 12 });
  assert.match(md, /\| python \| model \| 1 \| 1 \| 3 \| 2 \| 1 \(33\.3%\) \| 1 \|/);
});

test('parseProofArgs: --rivals on|off', () => {
  assert.equal(parseProofArgs(['--rivals', 'off']).rivals, false);
  assert.equal(parseProofArgs(['--rivals', 'on']).rivals, true);
  assert.equal(parseProofArgs([]).rivals, undefined);
  assert.throws(() => parseProofArgs(['--rivals', 'maybe']), /on or off/);
});
