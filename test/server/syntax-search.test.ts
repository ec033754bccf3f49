// The syntax repair search: lexing broken code, token-edit candidates, the search proven by the
// language's own parser (python3), candidate scoring in one model step (tiny ONNX model), and the engine's path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { lex, tokenStream } from '../../language-server/src/repair/lex';
import { hintsFromMessage, proposeTokenEdits } from '../../language-server/src/repair/propose-syntax';
import { blockEndLine, searchSyntaxFix, spanEdit, topLevelBlock } from '../../language-server/src/repair/syntax';
import { commonPrefix, scoreAnswers } from '../../language-server/src/repair/rank';
import { disposeProvers, proverFor } from '../../language-server/src/repair/prove';
import { scoringRegion } from '../../language-server/src/engine';
import { OrtModel } from '../../language-server/src/runtime';
import { repoRoot } from '../../language-server/src/paths';

test.after(() => disposeProvers());

test('lex: a broken line keeps its tokens; strings, comments and operators are whole', () => {
  const toks = lex('def f(x)\n    s = "a # b" + f\'{x}\'  # note\n    return x **2 //3', 'python');
  assert.deepEqual(toks.filter((t) => t.kind !== 'newline').map((t) => t.text), ['def', 'f', '(', 'x', ')', 's', '=', '"a # b"', '+', "f'{x}'", '# note', 'return', 'x', '**', '2', '//', '3']);
  assert.deepEqual(lex('let s = "unterminated\nx;', 'javascript').filter((t) => t.kind === 'string').map((t) => t.text), ['"unterminated']);
  assert.deepEqual(lex("fn f<'a>(c: char) { let x = 'x'; }", 'rust').filter((t) => t.kind === 'string').map((t) => t.text), ["'x'"]);
  assert.deepEqual(tokenStream('a  =  b # c', 'python'), tokenStream('a=b', 'python'));
});

test('hints from parser messages name the token to insert or remove', () => {
  assert.deepEqual(hintsFromMessage("expected ':'").hints, [':']);
  assert.deepEqual(hintsFromMessage("'(' was never closed").hints, [')']);
  assert.deepEqual(hintsFromMessage('invalid syntax. Perhaps you forgot a comma?').hints, [',']);
  assert.deepEqual(hintsFromMessage("unmatched ')'").extra, [')']);
  assert.deepEqual(hintsFromMessage("closing parenthesis ']' does not match opening parenthesis '('"), { hints: [')'], extra: [']'] });
});

test('proposeTokenEdits: the hinted token at the error comes first; spacing is kept', () => {
  const text = 'def f(x)\n    return x\n';
  const c = proposeTokenEdits(text, 'python', [{ offset: 8, hints: [':'] }]);
  assert.equal(c[0]!.fixed, 'def f(x):\n    return x\n');
  assert.equal(c[0]!.label, "insert ':' at line 1");
  // a deleted token between two spaces goes back between them
  const d = proposeTokenEdits('x  1\n', 'python', [{ offset: 2, hints: [] }]);
  assert.ok(d.some((k) => k.fixed === 'x = 1\n'));
  // no duplicates: every candidate is a different document
  assert.equal(new Set(c.map((k) => k.fixed)).size, c.length);
});

test('topLevelBlock and blockEndLine follow indentation', () => {
  const lines = ['import x', '', 'def f():', '    a = [', '        1,', '    b = 2', 'def g():', '    pass'];
  assert.deepEqual(topLevelBlock(lines, 4), { start: 2, end: 5 });
  assert.equal(blockEndLine(lines, 3), 4);
  assert.deepEqual(spanEdit('abc def', 'abc, def'), { start: 3, end: 3, newText: ',' });
});

test('searchSyntaxFix: python3 proves the fix; the model is not needed when the message names the token', async () => {
  const prover = await proverFor('python');
  const text = 'import math\n\n\ndef area(r)\n    return math.pi * r ** 2\n';
  const r = await searchSyntaxFix({ text, codeType: 'python', target: { offset: text.indexOf('(r)') + 3, message: 'Syntax error' }, prover });
  assert.ok(r.fix, r.reason);
  assert.equal(r.fix.fixed, text.replace('area(r)', 'area(r):'));
  assert.equal(r.fix.provenBy, prover.name);
  assert.ok(r.tried >= 1 && r.accepted >= 1);
  // a missing bracket far from its opener: the closer goes where the indentation falls back
  const list = '__all__ = [\n    "a",\n    "b"\n\nx = 1\n';
  const l = await searchSyntaxFix({ text: list, codeType: 'python', target: { offset: 10, message: '' }, prover });
  assert.ok(l.fix, l.reason);
  assert.deepEqual(tokenStream(l.fix.fixed, 'python'), tokenStream('__all__ = [\n    "a",\n    "b"]\n\nx = 1\n', 'python'));
});

test('searchSyntaxFix: a file the parser accepts has nothing to prove; a hopeless one says how many were tried', async () => {
  const prover = await proverFor('python');
  const ok = await searchSyntaxFix({ text: 'x = 1\n', codeType: 'python', target: { offset: 0 }, prover });
  assert.equal(ok.fix, null);
  assert.equal(ok.parserAcceptsOriginal, true);
  const bad = await searchSyntaxFix({ text: 'x = = = = 1 ) ) (\n', codeType: 'python', target: { offset: 4 }, prover, limits: { stage1: 30, stage2: 30, pairSeeds: 1, pairsPerSeed: 10 } });
  assert.equal(bad.fix, null);
  assert.match(bad.reason!, /\d+ candidates tried/);
});

test('the ranking model decides between proven candidates (scores given as a callback)', async () => {
  const prover = await proverFor('python');
  const text = 'def f(a b):\n    return a\n';
  const seen: string[][] = [];
  const rank = async (docs: string[]) => { seen.push(docs); return docs.map((d) => (d.includes('(a, b)') ? 0 : -50)); };
  // every candidate within the model's reach (by default only those near the cheap terms' leader are: syntax-latency.test.ts)
  const r = await searchSyntaxFix({ text, codeType: 'python', target: { offset: 8 }, prover, rank, limits: { modelWithin: Infinity } });
  assert.ok(r.fix, r.reason);
  assert.equal(r.fix.fixed, 'def f(a, b):\n    return a\n');
  assert.ok(r.ranked >= 2 && seen.length === 1, 'the model scored the accepted candidates in one call');
});

test('the model is asked even when the message names a token (the stray word may be what is wrong)', async () => {
  const prover = await proverFor('python');
  const text = 'def f(x, y):\n    return max(x y)\n';
  let asked = 0;
  // the message names ',' (a prior lead of 3): the model prefers the stray 'y' deleted
  const rank = async (docs: string[]) => { asked++; return docs.map((d) => (/max\(x\s*\)/.test(d) ? 0 : -50)); };
  const r = await searchSyntaxFix({ text, codeType: 'python', target: { offset: text.indexOf('x y') + 2, message: "invalid syntax. Perhaps you forgot a comma?" }, prover, rank, limits: { modelWithin: Infinity } });
  assert.ok(r.fix, r.reason);
  assert.equal(asked, 1);
  assert.deepEqual(tokenStream(r.fix.fixed, 'python'), tokenStream('def f(x, y):\n    return max(x)\n', 'python'));
});

test('scoreAnswers: candidates scored in one step (tree attention) equal scoring them one by one', async () => {
  const model = await OrtModel.load(join(repoRoot(), 'test/fixtures/tiny-model-compact'), 'cpu');
  const prompt = [1, 5, 9, 14, 3];
  const answers = [[7, 8, 9, 2], [7, 8, 11], [7, 12, 13, 14, 2]];
  const tree = await scoreAnswers(model, prompt, answers);
  const oneByOne = { vocabSize: model.vocabSize, contextLength: model.contextLength, start: () => { const s = model.start(); return { feed: s.feed.bind(s), get length() { return s.length; }, dispose: s.dispose.bind(s) }; } };
  const seq = await scoreAnswers(oneByOne, prompt, answers);
  tree.forEach((x, i) => assert.ok(Math.abs(x - seq[i]!) < 1e-3, `answer ${i}: ${x} vs ${seq[i]}`));
  assert.equal(commonPrefix(answers), 1);
});

test('scoringRegion: a long region is cut to the lines around the edits', () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
  const doc = [...lines];
  doc[70] = 'line 70 changed';
  assert.deepEqual(scoringRegion(lines, { startLine: 0, endLine: 99 }, [doc.join('\n')]), { startLine: 37, endLine: 76 });
  assert.deepEqual(scoringRegion(lines, { startLine: 10, endLine: 20 }, [doc.join('\n')]), { startLine: 10, endLine: 20 });
});
