// The tested path's ranking and ambiguity pieces: edit windows (rank.ts lineEditWindow, scoreLineEdits)
// and behaviour comparison of the fixes that pass (tests/differential.ts), with the real tiny model,
// python3 + pytest and node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineEditPlan, lineEditWindow, scoreAnswers, scoreLineEdits } from '../../language-server/src/repair/rank';
import { compareBehaviour, groupByBehaviour } from '../../language-server/src/repair/tests/differential';
import { findTests, hasPytest } from '../../language-server/src/repair/tests';
import { OrtModel } from '../../language-server/src/runtime';
import { repoRoot } from '../../language-server/src/paths';
import { codeTokens } from '../../eval/suites/ranking';
import { proposeSemanticEdits } from '../../language-server/src/repair/propose-semantic';

test('lineEditWindow: a replaced, a deleted and an inserted line', () => {
  const orig = ['def f(x):', '    a = 1', '    b = 2', '    return a + b'];
  assert.deepEqual(lineEditWindow(orig, ['def f(x):', '    a = 2', '    b = 2', '    return a + b'], 0, 3), { first: 1, stop: 2, origStop: 2 });
  assert.deepEqual(lineEditWindow(orig, ['def f(x):', '    b = 2', '    return a + b'], 0, 3), { first: 1, stop: 1, origStop: 2 });
  assert.deepEqual(lineEditWindow(orig, ['def f(x):', '    a = 1', '    x = 0', '    b = 2', '    return a + b'], 0, 3), { first: 2, stop: 3, origStop: 2 });
  assert.deepEqual(lineEditWindow(orig, ['def f(x):', '    a = 1', '    b = 2', '    return a - b'], 0, 3), { first: 3, stop: 3, origStop: 3 });
  assert.equal(lineEditWindow(orig, orig, 0, 3), undefined);
});

test('scoreLineEdits: each candidate is its window\'s log-probability minus the original\'s over the same lines', async () => {
  const model = await OrtModel.load(join(repoRoot(), 'test/fixtures/tiny-model-compact'), 'cpu');
  // a toy tokenizer: one id per character (the tiny model's vocabulary is larger than 128)
  const encode = (s: string) => [...s].map((c) => c.charCodeAt(0) % 100 + 3);
  const tok = { encode, endId: 2 };
  const head = [1, 5, 9];
  const orig = ['ab', 'cd', 'ef'];
  const docs = [['ab', 'cx', 'ef'], ['ab', 'cd', 'ey'], ['ab', 'ef']];
  const got = await scoreLineEdits(model, head, orig, docs, { startLine: 0, endLine: 2 }, tok);
  // by hand: the shared lines fed, then the window of the candidate and of the original
  const ids = (lines: string[], to: number, last: number) => [...lines.slice(0, to + 1).flatMap((l) => encode('\n' + l)), ...(to >= last ? [2] : [])];
  // scoreAnswers leaves the answers' shared start out of both sums: a pair's difference is the windows'
  const diff = async (c: number[], o: number[]) => { const [x, y] = await scoreAnswers(model, head, [c, o]); return x! - y!; };
  const want0 = await diff(ids(docs[0]!, 2, 2), ids(orig, 2, 2));
  const want1 = await diff(ids(docs[1]!, 2, 2), ids(orig, 2, 2));
  const want2 = await diff(ids(docs[2]!, 1, 1), ids(orig, 2, 2));
  assert.ok(got.every((x) => x !== 0));
  [want0, want1, want2].forEach((w, i) => assert.ok(Math.abs(w - got[i]!) < 1e-2, `candidate ${i}: ${got[i]} vs ${w}`));
});

test('lineEditPlan: the token ids scoreLineEdits feeds (what the ranking dump and the fine-tune score): groups by first changed line, growing prefixes', () => {
  const encode = (s: string) => [...s].map((c) => c.charCodeAt(0) % 100 + 3);
  const tok = { encode, endId: 2 };
  const head = [1, 5, 9];
  const orig = ['ab', 'cd', 'ef'];
  const docs = [['ab', 'cx', 'ef'], ['ab', 'cd', 'ey'], ['ab', 'ef'], ['ab', 'cy', 'ef']];
  const plan = lineEditPlan(head, orig, docs, { startLine: 0, endLine: 2 }, tok);
  const line = (l: string) => encode('\n' + l);
  assert.equal(plan.length, 2); // first changed line 1 (docs 0, 2, 3) and 2 (doc 1)
  assert.deepEqual(plan[0]!.prefix, [...head, ...line('ab')]);
  assert.deepEqual(plan[1]!.prefix, [...head, ...line('ab'), ...line('cd')]);
  assert.deepEqual(plan[0]!.members.map((m) => m.doc), [0, 2, 3]);
  // doc 0: 'cx' then one line past it ('ef', the region's last: the end mark follows); the original's 'cd', 'ef' likewise
  const m0 = plan[0]!.members[0]!;
  assert.deepEqual(plan[0]!.answers[m0.answer], [...line('cx'), ...line('ef'), 2]);
  assert.deepEqual(plan[0]!.bases[m0.base], [...line('cd'), ...line('ef'), 2]);
  // docs 0, 2 (a line dropped: its window is the line after, the original's the dropped line and that one) and 3 share the original's window
  assert.deepEqual(plan[0]!.bases.length, 1);
  assert.deepEqual(plan[0]!.answers[plan[0]!.members[1]!.answer], [...line('ef'), 2]);
  assert.deepEqual(plan[1]!.answers[0], [...line('ey'), 2]);
});

test('groupByBehaviour: inputs where a candidate raises do not count; different answers split', () => {
  const r = groupByBehaviour(['f(1)', 'f(2)', 'f(-1)'], [['1', '2', '!raise ValueError'], ['1', '2', '0'], ['1', '3', '0']]);
  assert.equal(r.evidence, 2);
  assert.deepEqual(r.groups, [[0, 1], [2]]);
  assert.match(r.example!, /^f\(2\) -> 2 \| 3$/);
});

test('compareBehaviour: two fixes that pass a weak pytest test disagree on mutated inputs; two equal ones agree', { skip: !hasPytest('python3') && 'no pytest' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-diff-test-'));
  try {
    writeFileSync(join(dir, 'calc.py'), 'def clamp(x):\n    return x if x < 10 else 10\n');
    writeFileSync(join(dir, 'test_calc.py'), 'from calc import clamp\n\ndef test_small():\n    assert clamp(3) == 3\n\ndef test_big():\n    assert clamp(12) == 10\n');
    const plan = findTests(join(dir, 'calc.py'), dir, { trusted: true, functionName: 'clamp' });
    assert.ok('kind' in plan);
    const right = 'def clamp(x):\n    return x if x < 10 else 10\n';
    const wrong = 'def clamp(x):\n    return x if x < 9 else 10\n';
    const same = 'def clamp(x):\n    return min(x, 10)\n';
    const split = await compareBehaviour(plan, { trusted: true, functionName: 'clamp', candidates: [right, wrong, same] });
    assert.deepEqual(split.groups, [[0, 2], [1]], JSON.stringify(split));
    assert.match(split.example ?? '', /clamp\(9\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compareBehaviour: node --test workspaces too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-diff-test-'));
  try {
    writeFileSync(join(dir, 'calc.js'), 'function last(xs) { return xs[xs.length - 1]; }\nmodule.exports = { last };\n');
    writeFileSync(join(dir, 'calc.test.js'), "const { test } = require('node:test');\nconst assert = require('node:assert');\nconst { last } = require('./calc.js');\ntest('last', () => { assert.equal(last([1, 1]), 1); });\n");
    const plan = findTests(join(dir, 'calc.js'), dir, { trusted: true, functionName: 'last' });
    assert.ok('kind' in plan);
    const a = 'function last(xs) { return xs[xs.length - 1]; }\nmodule.exports = { last };\n';
    const b = 'function last(xs) { return xs[0]; }\nmodule.exports = { last };\n';
    const r = await compareBehaviour(plan, { trusted: true, functionName: 'last', candidates: [a, b] });
    assert.equal(r.groups.length, 2, JSON.stringify(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('codeTokens: comments and spacing aside, Python indentation kept', () => {
  assert.equal(codeTokens('def f(x):\n    return x+1  # one\n', 'python'), codeTokens('def f(x):\n    return x + 1\n', 'python'));
  assert.notEqual(codeTokens('if a:\n    b()\nc()\n', 'python'), codeTokens('if a:\n    b()\n    c()\n', 'python'));
});

test('proposeSemanticEdits: a distance for a difference, a separator string emptied', () => {
  const fixed = proposeSemanticEdits('def f(a, b):\n    d = a - b\n    return " ".join([d])\n', 'python', { fromLine: 1, toLine: 3 }).map((c) => c.fixed);
  assert.ok(fixed.includes('def f(a, b):\n    d = abs(a - b)\n    return " ".join([d])\n'));
  assert.ok(fixed.includes('def f(a, b):\n    d = a - b\n    return "".join([d])\n'));
  const js = proposeSemanticEdits('function f(a, b) {\n  return a - b;\n}\n', 'javascript', { fromLine: 1, toLine: 3 }).map((c) => c.fixed);
  assert.ok(js.includes('function f(a, b) {\n  return Math.abs(a - b);\n}\n'));
});
