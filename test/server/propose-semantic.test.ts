// The behaviour-bug candidates (language-server/src/repair/propose-semantic.ts): the known fix of each
// small bug is among the candidates, near the top when its line is the suspicious one; labels say
// what the edit does; the signature is never edited.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../../language-server/src/paths';
import { proposeSemanticEdits } from '../../language-server/src/repair/propose-semantic';

const ws = join(repoRoot(), 'test/fixtures/workspaces');

describe('proposeSemanticEdits', () => {
  test('python: the off-by-one comparison of the fixture is the best candidate at its line', () => {
    const text = readFileSync(join(ws, 'py-classify/classify.py'), 'utf8');
    const cands = proposeSemanticEdits(text, 'python', { fromLine: 1, toLine: 9, lines: [{ line: 7, score: 1 }, { line: 3, score: 0.5 }] });
    const fix = text.replace('if n < 10:', 'if n <= 10:');
    const i = cands.findIndex((c) => c.fixed === fix);
    assert.ok(i >= 0 && i < 3, `the fix is at rank ${i}`);
    assert.equal(cands[i]!.label, "replace '<' with '<=' at line 7");
    assert.equal(cands[i]!.family, 'comparison');
    // only the suspicious lines are edited, the best one first
    assert.ok(cands.every((c) => c.line === 7 || c.line === 3));
    assert.equal(cands[0]!.line, 7);
  });

  test('python: the edit kinds a person gets wrong', () => {
    const text = 'def f(xs, n):\n    total = 0\n    for i in range(1, len(xs)):\n        total = total - xs[i] * n\n    return total\n';
    const cands = proposeSemanticEdits(text, 'python', { fromLine: 1, toLine: 5 });
    const has = (from: string, to: string, label: RegExp) => {
      const c = cands.find((x) => x.fixed === text.replace(from, to));
      assert.ok(c, `missing: ${from} -> ${to}`);
      assert.match(c.label, label);
    };
    has('total - xs', 'total + xs', /^replace '-' with '\+' at line 4$/);
    has('range(1, len(xs))', 'range(0, len(xs))', /replace '1' with '0'/);
    has('range(1, len(xs))', 'range(1, len(xs) - 1)', /with 'len\(xs\) - 1'/);
    has('range(1, len(xs))', 'range(len(xs))', /drop the argument '1' of range/);
    has('xs[i] * n', 'xs[i]', /delete '\* n'/);
    has('xs[i] * n', 'xs[i + 1] * n', /'i \+ 1'/);
    has('total = 0', 'total = 1', /replace '0' with '1' at line 2/);
    has('return total', 'return n', /replace 'total' with 'n' at line 5/);
    // the signature's names are never edited
    assert.ok(cands.every((c) => c.fixed.startsWith('def f(xs, n):\n')));
    // every candidate differs from the text, once
    assert.equal(new Set(cands.map((c) => c.fixed)).size, cands.length);
    assert.ok(!cands.some((c) => c.fixed === text));
  });

  test('python: conditions negated or narrowed, a statement deleted, every boolean flipped', () => {
    const text = 'def g(a, b):\n    if a > 0 and b > 0:\n        a += 1\n        b += 1\n        return True\n    return False\n';
    const cands = proposeSemanticEdits(text, 'python', { fromLine: 1, toLine: 6 });
    const labels = new Map(cands.map((c) => [c.fixed, c.label]));
    assert.match(labels.get(text.replace('if a > 0 and b > 0:', 'if not (a > 0 and b > 0):'))!, /negate the condition at line 2/);
    assert.match(labels.get(text.replace('if a > 0 and b > 0:', 'if a > 0:'))!, /drop 'b > 0' from the 'and' condition/);
    assert.match(labels.get(text.replace('        a += 1\n', ''))!, /delete the statement 'a \+= 1' at line 3/);
    assert.match(labels.get(text.replace('True', 'X').replace('False', 'True').replace('X', 'False'))!, /swap every true and false/);
  });

  test('javascript: the clamp fixture returns the wrong bound; its fix is a name swap', () => {
    const text = readFileSync(join(ws, 'js-clamp/lib/clamp.js'), 'utf8');
    const cands = proposeSemanticEdits(text, 'javascript', { fromLine: 3, toLine: 11, lines: [{ line: 8, score: 1 }] });
    const c = cands.find((x) => x.fixed === text.replace('if (x > hi) {\n    return lo;', 'if (x > hi) {\n    return hi;'));
    assert.ok(c, 'return hi is a candidate');
    assert.equal(c.label, "replace 'lo' with 'hi' at line 8");
    assert.ok(cands.every((x) => x.line === 8), 'only the suspicious line is edited');
  });

  test('compiled languages: ++/--, Rust ranges, the language\'s abs; type names are not swapped in for variables', () => {
    const go = 'func F(xs []int, n int) int {\n    s := 0\n    for i := 0; i < len(xs); i-- {\n        s += xs[i] - n\n    }\n    return s\n}\n';
    const g = proposeSemanticEdits(go, 'go', { fromLine: 1, toLine: 7 });
    assert.ok(g.some((c) => c.fixed === go.replace('i--', 'i++') && c.family === 'arithmetic'));
    assert.ok(g.some((c) => c.fixed.includes('math.Abs(xs[i] - n)')));
    assert.ok(!g.some((c) => /\bint\b/.test(c.label)), 'int is a type, not a name');
    const rs = 'fn f(v: Vec<i32>, n: usize) -> i32 {\n    let mut s = 0;\n    for i in 0..n {\n        s += v[i];\n    }\n    for j in 1..=n {\n        s -= j as i32;\n    }\n    s\n}\n';
    const r = proposeSemanticEdits(rs, 'rust', { fromLine: 1, toLine: 10 });
    assert.ok(r.some((c) => c.fixed === rs.replace('0..n', '0..=n') && c.label === "replace '..' with '..=' at line 3"));
    assert.ok(r.some((c) => c.fixed === rs.replace('1..=n', '1..n') && c.label === "replace '..=' with '..' at line 6"));
    assert.ok(!r.some((c) => /'(usize|i32)'/.test(c.label.replace(/^replace '[^']*' with /, ''))), 'no type name put in');
    const cpp = 'int f(vector<int> v){\n    int d=v[0]-v[1];\n    return d;\n}\n';
    assert.ok(proposeSemanticEdits(cpp, 'cpp', { fromLine: 1, toLine: 4 }).some((c) => c.fixed.includes('abs(v[0] - v[1])') && !c.fixed.includes('Math.abs')));
  });

  test('a missing break or return: after the last statement of an if block in a loop; the function\'s last statement as its result', () => {
    const py = 'def first_neg(xs):\n    idx = -1\n    for i, x in enumerate(xs):\n        if x < 0:\n            idx = i\n    return idx\n';
    const p = proposeSemanticEdits(py, 'python', { fromLine: 1, toLine: 6 });
    const brk = p.find((c) => c.fixed === py.replace('idx = i\n', 'idx = i\n            break\n'));
    assert.equal(brk?.label, "insert 'break' after the statement at line 5");
    assert.equal(brk?.family, 'missing');
    assert.ok(p.some((c) => c.fixed === py.replace('idx = i\n', 'idx = i\n            return idx\n')));
    const noRet = 'def uniq(l):\n    out = sorted(set(l))\n';
    assert.ok(proposeSemanticEdits(noRet, 'python', { fromLine: 1, toLine: 2 }).some((c) => c.fixed === noRet + '    return out\n'));
    const expr = 'def srt(l):\n    sorted(l)\n';
    assert.ok(proposeSemanticEdits(expr, 'python', { fromLine: 1, toLine: 2 }).some((c) => c.fixed === 'def srt(l):\n    return sorted(l)\n'));
    // nothing after a statement that is not the last of its block, nor outside a loop's if
    assert.ok(!proposeSemanticEdits('def f(x):\n    if x:\n        y = 1\n        z = 2\n    return 0\n', 'python', { fromLine: 1, toLine: 5 }).some((c) => c.family === 'missing'));
    const java = 'class S {\n    int first(int[] a) {\n        int k = -1;\n        for (int i = 0; i < a.length; i++) {\n            if (a[i] < 0) {\n                k = i;\n            }\n        }\n        return k;\n    }\n}\n';
    const j = proposeSemanticEdits(java, 'java', { fromLine: 2, toLine: 10 });
    assert.ok(j.some((c) => c.fixed === java.replace('k = i;\n', 'k = i;\n                break;\n')));
    const go = 'func First(a []int) int {\n    k := -1\n    for i := 0; i < len(a); i++ {\n        if a[i] < 0 {\n            k = i\n        }\n    }\n    return k\n}\n';
    assert.ok(proposeSemanticEdits(go, 'go', { fromLine: 1, toLine: 9 }).some((c) => c.fixed === go.replace('k = i\n', 'k = i\n            break\n')));
    // the study switch leaves the family out (and only it)
    process.env.TREASURE_SEMANTIC_OFF = 'missing';
    try {
      const without = proposeSemanticEdits(py, 'python', { fromLine: 1, toLine: 6 });
      assert.ok(!without.some((c) => c.family === 'missing'));
      assert.equal(without.length, p.filter((c) => c.family !== 'missing').length);
    } finally {
      delete process.env.TREASURE_SEMANTIC_OFF;
    }
  });

  test('names that are Object.prototype members are ordinary names', () => {
    const text = 'function h(constructor, toString) {\n  return constructor < toString;\n}\n';
    const cands = proposeSemanticEdits(text, 'javascript', { fromLine: 1, toLine: 3 });
    assert.ok(cands.some((c) => c.fixed.includes('constructor <= toString')));
  });
});
