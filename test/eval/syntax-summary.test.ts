// The syntax suite's report (eval/suites/syntax.ts): rejected fixes split by whether the engine called
// them proven, and the search's time per stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize, syntaxMarkdown, type SyntaxRecord } from '../../eval/suites/syntax';

const rec = (id: string, outcome: SyntaxRecord['outcome'], ms: number, extra: Partial<SyntaxRecord> = {}): SyntaxRecord =>
  ({ id, language: 'c', kind: 'delete', punctuation: false, mutation: 'delete x', outcome, ms, ...extra });

test('summarize: a rejected fix counts as proven only when it carries verifiedBy; stage p50s over the cases', () => {
  const rows = summarize([
    rec('c/0', 'rejected', 100, { stages: {} }),
    rec('c/1', 'rejected', 200, { verifiedBy: 'gcc', stages: { parse: 50, rank: 10 } }),
    rec('c/2', 'exact', 300, { verifiedBy: 'gcc', stages: { parse: 70, rank: 30 } }),
  ]);
  const c = rows.find((r) => r.language === 'c' && r.set === 'one-token')!;
  assert.equal(c.rejected, 2);
  assert.equal(c.rejectedProven, 1);
  assert.equal(c.stageP50ms.parse, 50); // 0 (skipped), 50, 70
  const md = syntaxMarkdown(rows, { command: 'x', rank: 'model', seconds: 1 });
  assert.match(md, /\| 2 \(1\) \|/);
  assert.match(md, /- one-token: parse 50, rank 10/);
});
