// The syntax search's latency cuts (repair/syntax.ts): parsing stops once the ranked set is settled
// (rankSettled), and the model scores only the best modelTop of it by the cheap terms. Proven by python3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankSettled, searchSyntaxFix, syntaxStudy, type SyntaxSearchTrace } from '../../language-server/src/repair/syntax';
import { disposeProvers, proverFor } from '../../language-server/src/repair/prove';
import type { TokenEditCandidate } from '../../language-server/src/repair/propose-syntax';

test.after(() => disposeProvers());

const cand = (prior: number): TokenEditCandidate => ({ fixed: `x${prior}`, edits: [], label: `insert 'x' (${prior})`, origin: 'token', prior, size: 1 });

test('rankSettled: enough clean accepted candidates above the next prior; rejected or tied ones do not count', () => {
  const ok = { ok: true, errors: [] };
  const bad = { ok: false, errors: [{ line: 0, column: 0, message: 'e' }] };
  const acc = [{ c: cand(5), v: ok }, { c: cand(4), v: ok }, { c: cand(3), v: bad }];
  assert.equal(rankSettled(acc, 2, 2), true);
  assert.equal(rankSettled(acc, 2, 3), false, 'the rejected one does not count');
  assert.equal(rankSettled(acc, 4, 2), false, 'a tie with the next prior could still enter');
});

test('searchSyntaxFix: the model scores at most modelTop candidates, and the search skips what could not be ranked', async () => {
  const prover = await proverFor('python');
  // a lost comma: many separators between `a` and `b` parse (`,`, `+`, `*`, `==`, ...)
  const text = 'def f(a, b):\n    return g(a b)\n';
  const seen: number[] = [];
  const rank = async (docs: string[]) => { seen.push(docs.length); return docs.map((d) => (d.includes('g(a, b)') ? 0 : -50)); };
  let trace: SyntaxSearchTrace | undefined;
  syntaxStudy.trace = (t) => { trace = t; };
  try {
    const all = await searchSyntaxFix({ text, codeType: 'python', target: { offset: text.indexOf('a b') + 1 }, prover, rank, limits: { rankTop: 4, modelTop: 3, modelWithin: Infinity } });
    assert.ok(all.fix, all.reason);
    assert.equal(all.fix.fixed, 'def f(a, b):\n    return g(a, b)\n');
    assert.deepEqual(seen, [3], 'one model call over the best three of the ranked four');
    assert.equal(all.ranked, 3);
    assert.ok((trace?.skipped ?? 0) > 0, 'candidates below the settled four were not parsed');
    // with room for every accepted candidate nothing is skipped, and the same fix wins
    const wide = await searchSyntaxFix({ text, codeType: 'python', target: { offset: text.indexOf('a b') + 1 }, prover, rank, limits: { rankTop: 10_000, modelTop: 10_000, modelWithin: Infinity } });
    assert.equal(wide.fix?.fixed, all.fix.fixed);
    assert.equal(trace?.skipped ?? 0, 0);
    assert.ok(wide.tried > all.tried, `fewer parsed when settled (${all.tried} < ${wide.tried})`);
  } finally {
    syntaxStudy.trace = undefined;
  }
});

test('searchSyntaxFix: the model is not asked when no other candidate is within modelWithin of the cheap leader', async () => {
  const prover = await proverFor('python');
  const text = 'def f(a, b):\n    return g(a b)\n';
  let asked = 0;
  const rank = async (docs: string[]) => { asked++; return docs.map(() => 0); };
  let trace: SyntaxSearchTrace | undefined;
  syntaxStudy.trace = (t) => { trace = t; };
  try {
    const r = await searchSyntaxFix({ text, codeType: 'python', target: { offset: text.indexOf('a b') + 1 }, prover, rank, limits: { modelWithin: -1 } });
    assert.ok(r.fix, r.reason);
    assert.equal(asked, 0);
    assert.equal(r.ranked, 0);
    // the cheap leader is offered, and the trace says so
    assert.equal(r.fix.label, trace?.rankNote?.cheapFirst);
    assert.ok(r.accepted >= 2, 'there was a choice');
    await searchSyntaxFix({ text, codeType: 'python', target: { offset: text.indexOf('a b') + 1 }, prover, rank, limits: { modelWithin: Infinity } });
    assert.equal(asked, 1, 'with every candidate in reach the model is asked once');
  } finally {
    syntaxStudy.trace = undefined;
  }
});
