import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze, chooseTarget, functionTarget } from '../../language-server/src/context';
import { checkFix } from '../../language-server/src/repair/check';
import { languageForPath, resolveLanguage } from '../../language-server/src/grammars';
import { repoRoot } from '../../language-server/src/paths';
import { applyTextEdits, cleanAnswer, diffLines, minimalEdits, applyOffsetEdits } from '../../language-server/src/repair/text';

test('line diff hunks', () => {
  assert.deepEqual(diffLines(['a', 'b', 'c'], ['a', 'B', 'c']), [{ a0: 1, a1: 2, b0: 1, b1: 2 }]);
  assert.deepEqual(diffLines(['a', 'c'], ['a', 'b', 'c']), [{ a0: 1, a1: 1, b0: 1, b1: 2 }]);
  assert.deepEqual(diffLines(['a', 'b', 'c'], ['a', 'c']), [{ a0: 1, a1: 2, b0: 1, b1: 1 }]);
  assert.deepEqual(diffLines(['x'], ['x']), []);
});

test('minimal edits: a missing colon is one inserted character', () => {
  const old = 'def f(x)\n    return x';
  const edits = minimalEdits(old, 'def f(x):\n    return x', '\n');
  assert.deepEqual(edits, [{ start: 8, end: 8, newText: ':' }]);
});

test('minimal edits: separate hunks, inserted and deleted lines, last-line changes', () => {
  const cases: [string, string][] = [
    ['a\nb\nc\nd\ne', 'a\nB\nc\nd\nE'],
    ['a\nc', 'a\nb\nc'],
    ['a\nb\nc', 'a\nc'],
    ['a\nb', 'a'],
    ['a', 'a\nb'],
    ['a\nb', 'b'],
    ['if x == 0:\n    return True', 'if x < 0:\n    return True'],
    ['one', 'two\nthree'],
  ];
  for (const [o, n] of cases) {
    const edits = minimalEdits(o, n, '\n');
    assert.equal(applyOffsetEdits(o, edits), n, JSON.stringify([o, n]));
  }
  const two = minimalEdits('a\nb\nc\nd\ne', 'a\nB\nc\nd\nE', '\n');
  assert.equal(two.length, 2);
  const cmp = minimalEdits('if x == 0:\n    return True', 'if x < 0:\n    return True', '\n');
  assert.deepEqual(cmp, [{ start: 5, end: 7, newText: '<' }]);
});

test('CRLF documents keep CRLF', () => {
  assert.equal(cleanAnswer('a\nb\n', '\r\n'), 'a\r\nb');
  const edits = minimalEdits('a\r\nb', 'a\r\nB', '\r\n');
  assert.equal(applyOffsetEdits('a\r\nb', edits), 'a\r\nB');
});

test('answers: fences and trailing space are dropped', () => {
  assert.equal(cleanAnswer('```python\ndef f():\n    pass\n```\n', '\n'), 'def f():\n    pass');
  assert.equal(cleanAnswer('\n\ndef f():\n    pass   \n\n', '\n'), 'def f():\n    pass');
});

const samples = join(repoRoot(), 'test/fixtures/samples');

test('the fix check: accepts a real fix, refuses empty, unchanged and broken answers', async () => {
  const p = join(samples, 'missing_colon.py');
  const text = readFileSync(p, 'utf8');
  const a = await analyze(text, languageForPath(p)!, p);
  const t = chooseTarget(a, {})!;
  const good = 'def circle_area(radius):\n    """Area of a circle of the given radius."""\n    return math.pi * radius ** 2\n';
  const ok = await checkFix(a, t, good);
  assert.ok(ok.ok);
  if (ok.ok) {
    assert.equal(ok.edits.length, 1);
    assert.deepEqual(ok.edits[0], { range: { start: { line: 3, character: 23 }, end: { line: 3, character: 23 } }, newText: ':' });
    assert.equal(applyTextEdits(text, ok.edits), ok.fixed);
    assert.equal(ok.fixed, text.replace('def circle_area(radius)', 'def circle_area(radius):'));
  }
  assert.deepEqual(await checkFix(a, t, '   \n'), { ok: false, reason: 'the model wrote an empty answer' });
  const same = await checkFix(a, t, 'def circle_area(radius)\n    """Area of a circle of the given radius."""\n    return math.pi * radius ** 2');
  assert.equal(same.ok, false);
  const stillBroken = await checkFix(a, t, 'def circle_area(radius)\n    return math.pi * radius ** 2');
  assert.equal(stillBroken.ok, false);
  const worse = await checkFix(a, t, 'def circle_area(radius):\n    return (math.pi * radius ** 2\n');
  assert.equal(worse.ok, false);
});

test('the fix check on a function rewrite: adds no syntax error, minimal edit', async () => {
  const text = 'def below_zero(ops):\n    balance = 0\n    for op in ops:\n        balance += op\n        if balance == 0:\n            return True\n    return False\n';
  const a = await analyze(text, resolveLanguage('python')!);
  const t = functionTarget(a, 4)!;
  const r = await checkFix(a, t, text.replace('balance == 0', 'balance < 0'));
  assert.ok(r.ok);
  if (r.ok) assert.deepEqual(r.edits, [{ range: { start: { line: 4, character: 19 }, end: { line: 4, character: 21 } }, newText: '<' }]);
  const broken = await checkFix(a, t, text.replace('balance == 0:', 'balance < 0'));
  assert.equal(broken.ok, false);
});

test('the fix check refuses an answer that changes only comments or docstrings (it fixes no behaviour)', async () => {
  const py = 'def below_zero(ops):\n    """True if the balance falls below zero.\n    >>> below_zero([1, 2, -4, 5])\n    True\n    """\n    balance = 0  # running total\n    for op in ops:\n        # add the next operation\n        balance += op\n        if balance == 0:\n            return True\n    return False\n';
  const a = await analyze(py, resolveLanguage('python')!);
  assert.deepEqual([...a.docRows!].sort((x, y) => x - y), [1, 2, 3, 4, 7]);
  const t = functionTarget(a, 9)!;
  const doc = await checkFix(a, t, py.replace('[1, 2, -4, 5]', '[1, 2, -4]'));
  assert.deepEqual(doc, { ok: false, reason: 'the fix changes only comments or documentation' });
  const comment = await checkFix(a, t, py.replace('# add the next operation', '# add the next op'));
  assert.deepEqual(comment, { ok: false, reason: 'the fix changes only comments or documentation' });
  // a line with code and a trailing comment is code: changing it is a real edit
  assert.ok((await checkFix(a, t, py.replace('balance = 0  # running total', 'balance = 1  # running total'))).ok);
  // a real fix plus a docstring edit is still a fix
  assert.ok((await checkFix(a, t, py.replace('balance == 0', 'balance < 0').replace('[1, 2, -4, 5]', '[1, 2, -4]'))).ok);
  const js = 'function add(a, b) {\n  // sum of a and b\n  return a - b;\n}\n';
  const j = await analyze(js, resolveLanguage('javascript')!);
  const jt = functionTarget(j, 2)!;
  assert.deepEqual(await checkFix(j, jt, js.replace('sum of', 'the sum of')), { ok: false, reason: 'the fix changes only comments or documentation' });
  assert.ok((await checkFix(j, jt, js.replace('a - b', 'a + b'))).ok);
});
