// Syntax repair beyond one token (issue #25): merged names split (propose-split.ts), the token-triple
// term of the ranking (syntax-rank.ts), and the progressive two-token search (syntax.ts stage 3), each
// proven by the language's own parser (python3, node --check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenStream } from '../../language-server/src/repair/lex';
import { proposeSplits } from '../../language-server/src/repair/propose-split';
import { rankFeatures } from '../../language-server/src/repair/syntax-rank';
import { bothEdits, pairSeeds, progressStep, searchSyntaxFix, syntaxStudy, type Progress } from '../../language-server/src/repair/syntax';
import { applyOffsetEdits } from '../../language-server/src/repair/text';
import { disposeProvers, judgeCandidate, proverFor } from '../../language-server/src/repair/prove';

test.after(() => disposeProvers());

// `show(items)` with its ')' typed over as `length`, a name the file uses: `show(itemslength`
const merged = 'const items = [1, 2];\nconst n = items.length;\nfunction show(x) { return x; }\nshow(itemslength;\n';
const original = merged.replace('itemslength', 'items)');

test('proposeSplits: a sign typed over as a name the file knows is put back; a lost sign between two known names too', () => {
  const at = merged.indexOf('itemslength');
  const c = proposeSplits(merged, 'javascript', [{ offset: at, hints: [')'] }]);
  const back = c.find((x) => x.fixed === original);
  assert.ok(back, c.slice(0, 5).map((x) => x.label).join(' | '));
  assert.equal(back.label, "replace 'length' in 'itemslength' with ')' at line 4");
  // a lost '.' between two names the file uses
  assert.ok(c.some((x) => x.fixed === merged.replace('itemslength', 'items.length')));
  // no split into a part the file never uses alone ('ite' + 'mslength')
  assert.ok(!c.some((x) => /ite\W+mslength/.test(x.fixed)));
  // every candidate is a different document, best prior first
  assert.equal(new Set(c.map((x) => x.fixed)).size, c.length);
  assert.ok(c.every((x, i) => i === 0 || c[i - 1]!.prior >= x.prior));
});

test('searchSyntaxFix: node --check proves the split, and the model callback can choose it', async () => {
  const prover = await proverFor('javascript');
  let accepted: string[] = [];
  syntaxStudy.trace = (t) => { accepted = t.accepted.map((x) => x.c.fixed); };
  try {
    const rank = async (docs: string[]) => docs.map((d) => (d === original ? 0 : -30));
    const r = await searchSyntaxFix({ text: merged, codeType: 'javascript', target: { offset: merged.indexOf('itemslength') + 11, message: "missing ) after argument list" }, prover, rank });
    assert.ok(r.fix, r.reason);
    assert.ok(accepted.includes(original), 'node accepted the split');
    assert.equal(r.fix.fixed, original);
    assert.equal((await prover.parse([r.fix.fixed]))[0]!.ok, true);
  } finally {
    syntaxStudy.trace = undefined;
  }
});

test('rankFeatures.tri: the same token at the place the file has seen it beats it one token off', () => {
  // `rows[i]` everywhere else; the broken line lost its ']'
  const text = 'total += rows[i] * 2;\ncount += rows[i] * 3;\nlast += rows[i * 4;\n';
  const f = rankFeatures(text, 'javascript', text.indexOf('* 4'));
  const i = text.indexOf('rows[i * 4') + 'rows[i'.length;
  const right = f([{ start: i, end: i, newText: ']' }]);
  const off = f([{ start: i + 4, end: i + 4, newText: ']' }]);
  assert.ok(right.tri > off.tri, `right ${right.tri} vs one off ${off.tri}`);
  // right before the token the parser blamed ('*') is at the error; past '4' is two tokens off
  assert.equal(right.atError, 1);
  assert.equal(off.atError, 0);
  // a name the file uses elsewhere is a restore; its characters are counted
  const name = f([{ start: i, end: i, newText: 'rows' }]);
  assert.ok(name.restore > 0 && name.newChars === 4);
});

test('progressStep and pairSeeds: a first edit that fixed the parser\'s error outranks one that only moved it', async () => {
  const prover = await proverFor('python');
  // two broken tokens: the ':' after the signature and a stray '+' in the body
  const text = 'def f(x)\n    return x +\n';
  const [orig] = await prover.parse([text]);
  const target = orig!.errors[0]!;
  const colon = { fixed: 'def f(x):\n    return x +\n', edits: [{ start: 8, end: 8, newText: ':' }] };
  const [v] = await prover.parse([colon.fixed]);
  assert.equal(v!.ok, false, 'one edit is not enough');
  const j = judgeCandidate({ original: text, originalVerdict: orig!, target, candidate: colon, candidateVerdict: v!, prover });
  assert.equal(progressStep(j, v!, target), 2);
  const moved: Progress = { c: { ...colon, label: 'moved', origin: 'token', size: 1, prior: 5 }, v: v!, step: 1 };
  const fixed: Progress = { c: { ...colon, label: 'fixed', origin: 'token', size: 1, prior: 0 }, v: v!, step: 2 };
  assert.deepEqual(pairSeeds([moved, fixed], 2).map((s) => s.c.label), ['fixed', 'moved']);
  assert.deepEqual(pairSeeds([moved, fixed], 1).map((s) => s.c.label), ['fixed']);
});

test('searchSyntaxFix: two broken tokens are found by a second edit from the first, proven by python3 as a whole', async () => {
  const prover = await proverFor('python');
  const text = 'def f(x)\n    return x +\n';
  const r = await searchSyntaxFix({ text, codeType: 'python', target: { offset: 8, message: "expected ':'" }, prover });
  assert.ok(r.fix, r.reason);
  assert.equal(r.stage, 3);
  assert.equal(r.fix.size, 2);
  assert.match(r.fix.label, /^insert ':' at line 1; delete '\+' at line 2$/);
  assert.deepEqual(tokenStream(r.fix.fixed, 'python'), tokenStream('def f(x):\n    return x\n', 'python'));
  assert.equal((await prover.parse([r.fix.fixed]))[0]!.ok, true);
  // bounded: with no time for pairs the search stops and says so
  const none = await searchSyntaxFix({ text, codeType: 'python', target: { offset: 8 }, prover, limits: { budgetMs: 0, pairBudgetMs: 0 } });
  assert.equal(none.fix, null);
  assert.match(none.reason!, /stopped after/);
});

test('searchSyntaxFix: cancellation stops the two-token stage', async () => {
  const real = await proverFor('python');
  const text = 'def f(x)\n    return x +\n';
  const pair = 'def f(x):\n    return x\n';
  const ac = new AbortController();
  let pairsParsed = false;
  // the real parser; the request is cancelled while it reads the two-token candidates (no single edit makes `pair`)
  const prover = { ...real, parse: async (docs: string[], o?: { signal?: AbortSignal }) => {
    if (docs.some((d) => tokenStream(d, 'python').join(' ') === tokenStream(pair, 'python').join(' '))) { pairsParsed = true; ac.abort(); }
    return real.parse(docs, o);
  } };
  await assert.rejects(searchSyntaxFix({ text, codeType: 'python', target: { offset: 8 }, prover, signal: ac.signal }), /abort/i);
  assert.ok(pairsParsed, 'the search reached the two-token stage');
});

test('bothEdits: a first edit and a second one of its result become two edits of the original, in order', () => {
  const text = 'a(b c\nd = = e\n';
  const cand = (fixed: string, start: number, end: number, newText: string) => ({ fixed, edits: [{ start, end, newText }], label: '', origin: 'token' as const, size: 1, prior: 0 });
  const first = cand('a(b, c\nd = = e\n', 3, 3, ',');
  // the second edit, in the first one's result: delete the second '=' (offsets moved on by one)
  const second = cand('a(b, c\nd = e\n', 11, 13, '');
  const both = bothEdits(text, first, second);
  assert.deepEqual(both, [{ start: 3, end: 3, newText: ',' }, { start: 10, end: 12, newText: '' }]);
  assert.equal(applyOffsetEdits(text, both), second.fixed);
  // a second edit before the first keeps its offsets
  const before = cand('(b, c\nd = = e\n', 0, 1, '');
  assert.deepEqual(bothEdits(text, first, before), [{ start: 0, end: 1, newText: '' }, { start: 3, end: 3, newText: ',' }]);
  // touching edits are one span
  const touching = cand('a(b,, c\nd = = e\n', 4, 4, ',');
  assert.equal(bothEdits(text, first, touching).length, 1);
});
