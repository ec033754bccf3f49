// The syntax search's shortcuts keep its results (issue #25, latency): candidates deduplicated by a short
// key of their result (text.ts resultKey), the screen's original tree kept between chunks
// (treesitter-edits.ts editedScreen), and the n-gram windows shared by the edits at one place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyOffsetEdits, resultKey } from '../../language-server/src/repair/text';
import { spanEdit } from '../../language-server/src/repair/syntax';
import { editedScreen } from '../../language-server/src/repair/prove/treesitter-edits';
import { treeSitterProver } from '../../language-server/src/repair/prove/treesitter';
import { proposeTokenEdits } from '../../language-server/src/repair/propose-syntax';
import { filePairs, pairGainOf } from '../../language-server/src/repair/file-ngrams';
import { rankFeatures } from '../../language-server/src/repair/syntax-rank';
import { lex } from '../../language-server/src/repair/lex';
import { rng } from '../../eval/suites/syntax';
import { lineStartsOf } from '../../language-server/src/repair/prove/common';

test('resultKey: two edits share a key exactly when their results are equal; none for an edit that changes nothing', () => {
  const random = rng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  // short texts of few letters, so that many different edits give the same result (runs, repeats)
  const texts = ['))))', 'a  b', 'f(x, y);\nf(x,, y);', '', 'aaa\n\naaa', "'é'; x == y", 'ab'.repeat(9)];
  const inserts = ['', ')', 'a', ' ', ', ', 'aa', 'b', '\n', 'é', 'ab'];
  let shared = 0;
  for (const text of texts) {
    const edits: { start: number; end: number; newText: string }[] = [];
    for (let k = 0; k < 300; k++) {
      const start = Math.floor(random() * (text.length + 1));
      const end = Math.min(text.length, start + Math.floor(random() * 3));
      edits.push({ start, end, newText: pick(inserts) });
    }
    for (const a of edits) {
      const fa = applyOffsetEdits(text, [a]);
      assert.equal(resultKey(text, a) === undefined, fa === text);
      // the key is the result's own: the trimmed span of the whole result gives it too
      if (fa !== text) assert.equal(resultKey(text, spanEdit(text, fa)), resultKey(text, a));
      for (const b of edits) {
        const same = fa === applyOffsetEdits(text, [b]);
        if (same && a !== b) shared++;
        assert.equal(resultKey(text, a) === resultKey(text, b), same, `${JSON.stringify(text)}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
  }
  assert.ok(shared > 100, `different edits with one result were compared (${shared})`);
});

test('editedScreen: the kept tree gives a fresh parse\'s verdicts chunk after chunk, and a new original is parsed anew', async () => {
  const fresh = treeSitterProver('python')!;
  const a = 'def f(a, b):\n    return g(a b)\n\nclass C:\n    def m(self):\n        pass\n';
  const b = 'x = [1, 2\ny = 3\n';
  const candsOf = (text: string) => proposeTokenEdits(text, 'python', [{ offset: text === a ? a.indexOf('a b)') + 1 : b.indexOf('\n'), hints: [']'] }]).slice(0, 90);
  const screen = editedScreen('python');
  try {
    for (const text of [a, a, b, a]) {
      const cands = candsOf(text);
      const chunks = [cands.slice(0, 16), cands.slice(16, 50), cands.slice(50)];
      const got: Awaited<ReturnType<typeof screen.parse>> = [];
      for (const c of chunks) got.push(...(await screen.parse(text, c)));
      assert.deepEqual(got, await fresh.parse(cands.map((c) => c.fixed)));
      assert.ok(got.some((v) => v.ok) && got.some((v) => !v.ok));
    }
  } finally {
    screen.dispose();
  }
});

test('pair and triple familiarity: the same values whether the edits at one place are read together or each alone', () => {
  const text = 'def a(params, x):\n    return params\n\ndef b(params, y):\n    return y\n\ndef c(, z):\n    return params.y\n';
  const at = text.indexOf('(, z)') + 1;
  const cands = proposeTokenEdits(text, 'python', [{ offset: at, hints: [')'] }], { fileWords: 4 }).slice(0, 400);
  const toks = lex(text, 'python');
  const shared = pairGainOf(text, 'python', filePairs(text, 'python', toks), toks);
  const features = rankFeatures(text, 'python', at);
  const both = cands.map((c) => [shared(c.edits[0]!), features(c.edits).tri]);
  const alone = cands.map((c) => [pairGainOf(text, 'python', filePairs(text, 'python', toks), toks)(c.edits[0]!), rankFeatures(text, 'python', at)(c.edits).tri]);
  assert.deepEqual(both, alone);
  assert.ok(new Set(both.map((x) => x.join())).size > 3, 'the edits differ in familiarity');
});

test('editedScreen with a rejecting check: Python\'s empty blocks are looked for only where the other errors did not reject', async () => {
  const fresh = treeSitterProver('python')!;
  const text = 'def f(a):\n    pass\n\nclass C:\n    def m(self):\n        return (1\n';
  const cands = proposeTokenEdits(text, 'python', [{ offset: text.indexOf('(1') + 2, hints: [')'] }, { offset: text.indexOf('pass'), hints: [] }]);
  const noPass = cands.findIndex((c) => c.label.startsWith("delete 'pass'"));
  const screen = editedScreen('python');
  try {
    const asked: number[] = [];
    // (deleting `pass` is let through: its empty block must then be found)
    const got = await screen.parse(text, cands, undefined, (k, v) => { asked.push(k); return !v.ok && k !== noPass; });
    const want = await fresh.parse(cands.map((c) => c.fixed));
    assert.equal(asked.length, cands.length, 'every candidate was checked on its other errors first');
    let partial = 0;
    got.forEach((v, k) => {
      if (v.ok || JSON.stringify(v) === JSON.stringify(want[k])) return assert.deepEqual(v, want[k]);
      // rejected on its other errors: the same verdict but for the empty blocks
      partial++;
      assert.equal(want[k]!.ok, false);
      assert.deepEqual(v.errors, want[k]!.errors.filter((e) => e.message !== 'missing indented block'));
    });
    // deleting `pass` leaves an empty block, found where the check does not reject on the other errors
    assert.ok(noPass >= 0 && want[noPass]!.errors.some((e) => e.message === 'missing indented block'));
    assert.deepEqual(got[noPass], want[noPass]);
    assert.ok(partial > 0, 'some rejected verdicts skipped the empty blocks');
  } finally {
    screen.dispose();
  }
});

test('lineStartsOf: the same line starts by the native search as by reading every character (\\n, \\r\\n, a lone \\r)', () => {
  const byChars = (text: string) => {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) starts.push(i + 1);
      else if (c === 13) { if (text.charCodeAt(i + 1) === 10) i++; starts.push(i + 1); }
    }
    return starts;
  };
  const random = rng(3);
  for (let k = 0; k < 400; k++) {
    const text = Array.from({ length: Math.floor(random() * 40) }, () => ['a', '\n', ' ', 'é', k % 2 ? '\r' : 'b', '\r\n'][Math.floor(random() * 6)]).join('');
    assert.deepEqual(lineStartsOf(text), byChars(text), JSON.stringify(text));
  }
});
