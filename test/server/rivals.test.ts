// The rivals of a fix that passed the tests (repair/rivals.ts, tests/evidence.ts, the differential
// driver's screen) and what the tested search does with them: real python3 + pytest and node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRivals, checkRivalsOnTestMutants, type RivalCandidate } from '../../language-server/src/repair/rivals';
import { searchSemanticFix } from '../../language-server/src/repair/semantic';
import { findTests, hasPytest } from '../../language-server/src/repair/tests';
import { replayBehaviour } from '../../language-server/src/repair/tests/differential';
import { exampleCallCount, replayEvidence, rivalsOf } from '../../language-server/src/repair/tests/evidence';
import { fixTitle } from '../../language-server/src/lsp/titles';

const noPytest = !hasPytest('python3') && 'no pytest';
const BUGGY = 'def count_big(xs):\n    n = 0\n    for x in xs:\n        if x > 6:\n            n += 1\n    return n\n';
const RIGHT = BUGGY.replace('x > 6', 'x >= 5');
const LOOSE = BUGGY.replace('x > 6', 'x > 0');
const SAME = BUGGY.replace('x > 6', 'x > 4');
const WEAK_TEST = 'from big import count_big\n\ndef test_two():\n    assert count_big([5, 6]) == 2\n';
const STRONG_TEST = WEAK_TEST + '\ndef test_none():\n    assert count_big([1, 4]) == 0\n\ndef test_mixed():\n    assert count_big([3, 5, 7, 0]) == 2\n';

function pyWorkspace(testText: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-rivals-'));
  writeFileSync(join(dir, 'big.py'), BUGGY);
  writeFileSync(join(dir, 'test_big.py'), testText);
  return dir;
}

test('rivalsOf: a rival answers every recorded call alike; it is contested where it answers a mutant differently', () => {
  const replay = {
    calls: 2,
    inputs: ['f(1)', 'f(2)', 'f(3)', 'f(4)'],
    outcomes: [
      ['1', '2', '3', '!raise ValueError'],
      ['1', '2', '3', '9'], // a rival that agrees where both return
      ['1', '2', '4', '4'], // a contested rival
      ['1', '5', '!skip', '!skip'], // no rival: the second call differs
      ['!load', '!load', '!load', '!load'],
    ],
  };
  const r = rivalsOf(replay);
  assert.deepEqual(r.rivals, [1, 2]);
  assert.deepEqual(r.contested, [2]);
  assert.equal(r.example, 'f(3) -> 3 | 4');
});

test('replayEvidence: the calls the fix changed, the mutants it changed, the crashes it added', () => {
  const e = replayEvidence({ calls: 2, inputs: ['f(1)', 'f(2)', 'f(3)', 'f(4)', 'f(5)'], outcomes: [['1', '2', '3', '!timeout', '5'], ['1', '3', '3', '4', '6']] });
  assert.deepEqual(e, { calls: 2, changedCalls: 1, mutants: 2, changedMutants: 1, newFailures: 1 });
  assert.equal(exampleCallCount('def check(f):\n    assert f(1) == 2\n    assert f(2) == 3\ncheck(f)\n', 'f'), 2);
});

test('replayBehaviour with screen: a candidate that answers a recorded call unlike the first is skipped; rivals run on the mutants', { skip: noPytest }, async () => {
  const dir = pyWorkspace(WEAK_TEST);
  try {
    const plan = findTests(join(dir, 'big.py'), dir, { trusted: true, functionName: 'count_big' });
    assert.ok('kind' in plan);
    const got = await replayBehaviour(plan, { trusted: true, functionName: 'count_big', candidates: [RIGHT, LOOSE, BUGGY, SAME], screen: true });
    assert.ok(!('note' in got), JSON.stringify(got));
    assert.equal(got.calls, 1);
    assert.equal(got.outcomes[0]![0], '2');
    // the buggy original answers the recorded call with 0: skipped after it
    assert.equal(got.outcomes[2]![0], '0');
    assert.ok(got.outcomes[2]!.slice(1).every((o) => o === '!skip'));
    const r = rivalsOf(got);
    assert.deepEqual(r.rivals, [1, 3]);
    assert.deepEqual(r.contested, [1], r.example); // x > 0 differs from x >= 5 on mutants such as [4, 6]; x > 4 never on integers
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replayBehaviour with screen: node --test workspaces too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-rivals-js-'));
  try {
    const mod = (cond: string) => `function countBig(xs) { let n = 0; for (const x of xs) if (${cond}) n++; return n; }\nmodule.exports = { countBig };\n`;
    writeFileSync(join(dir, 'big.js'), mod('x > 6'));
    writeFileSync(join(dir, 'big.test.js'), "const { test } = require('node:test');\nconst assert = require('node:assert');\nconst { countBig } = require('./big.js');\ntest('two', () => { assert.equal(countBig([5, 6]), 2); });\n");
    const plan = findTests(join(dir, 'big.js'), dir, { trusted: true, functionName: 'countBig' });
    assert.ok('kind' in plan);
    const got = await replayBehaviour(plan, { trusted: true, functionName: 'countBig', candidates: [mod('x >= 5'), mod('x > 0'), mod('x > 6')], screen: true });
    assert.ok(!('note' in got), JSON.stringify(got));
    const r = rivalsOf(got);
    assert.deepEqual(r.rivals, [1]);
    assert.deepEqual(r.contested, [1]);
    assert.ok(got.outcomes[2]!.slice(1).every((o) => o === '!skip'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkRivals: the model prefers a contested rival, the tests prove it, it replaces the fix', { skip: noPytest }, async () => {
  const dir = pyWorkspace(WEAK_TEST);
  try {
    const plan = findTests(join(dir, 'big.py'), dir, { trusted: true, functionName: 'count_big' });
    assert.ok('kind' in plan);
    const c = (fixed: string, label: string): RivalCandidate => ({ fixed, label, prior: 0 });
    const loose = c(LOOSE, 'x > 0');
    const right = c(RIGHT, 'x >= 5');
    const proved: string[] = [];
    // a real proof: pytest on a copy holding the candidate
    const prove = async (x: RivalCandidate) => {
      proved.push(x.label);
      const d = mkdtempSync(join(tmpdir(), 'treasure-rivals-prove-'));
      writeFileSync(join(d, 'big.py'), x.fixed);
      writeFileSync(join(d, 'test_big.py'), WEAK_TEST);
      const r = spawnSync('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider'], { cwd: d, encoding: 'utf8' });
      rmSync(d, { recursive: true, force: true });
      return r.status === 0;
    };
    const r = await checkRivals({ plan, functionName: 'count_big', pick: loose, pool: [c(BUGGY, 'none'), right, c(SAME, 'x > 4')], prove, score: async (xs) => xs.map((x) => (x === right ? 1 : 0)) });
    assert.equal(r.pick, right);
    assert.equal(r.replaced, loose);
    assert.deepEqual(proved, ['x >= 5']);
    assert.equal(r.rivals, 2); // x > 0 and x > 4 answer [5, 6] as x >= 5 does
    assert.deepEqual(r.contested.map((x) => x.label), ['x > 0']);
    // without the model the fix stays, contested
    const kept = await checkRivals({ plan, functionName: 'count_big', pick: loose, pool: [right], prove });
    assert.equal(kept.pick, loose);
    assert.equal(kept.replaced, undefined);
    assert.deepEqual(kept.contested, [right]);
    // a neighbour (an edit of the fix itself) contests it as the pool does, but never replaces it, even when the model prefers it
    proved.length = 0;
    const near = await checkRivals({ plan, functionName: 'count_big', pick: loose, pool: [c(BUGGY, 'none')], neighbours: [right, c(SAME, 'x > 4')], prove, score: async (xs) => xs.map((x) => (x === right ? 1 : 0)) });
    assert.equal(near.pick, loose);
    assert.equal(near.replaced, undefined);
    assert.deepEqual(proved, [], 'nothing to prove: no pool rival is contested');
    assert.deepEqual(near.contested.map((x) => x.label), ['x >= 5', 'x > 4']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('searchSemanticFix: one weak test passes a fix that rivals contest: offered, not "proven"; abstain withholds it; strong tests decide', { skip: noPytest }, async () => {
  for (const [testText, contested] of [[WEAK_TEST, true], [STRONG_TEST, false]] as const) {
    const dir = pyWorkspace(testText);
    try {
      const base = { text: BUGGY, codeType: 'python', file: join(dir, 'big.py'), root: dir, trusted: true, fromLine: 1, toLine: 6, functionName: 'count_big' };
      const r = await searchSemanticFix(base);
      assert.equal(r.outcome, 'proven', r.reason);
      assert.ok(r.rivals && r.rivals.pool > 10, JSON.stringify(r.rivals));
      if (contested) {
        assert.ok((r.fix!.contested ?? 0) >= 1, JSON.stringify(r.rivals));
        assert.match(r.fix!.provenBy, /^pytest: 1\/1 tests pass \(test_two fixed\); the tests do not decide it: \d+ other edits? answers? their calls alike and behaves? differently \(count_big\(/);
        const title = fixTitle('fix', { verified: true, verifiedBy: r.fix!.provenBy, label: r.fix!.label, target: 'function', region: { start: { line: 0, character: 0 }, end: { line: 5, character: 0 } }, markers: { given: {}, inferred: {} }, contested: r.fix!.contested });
        assert.match(title, /\(passes the tests, not proven: pytest/);
        const a = await searchSemanticFix({ ...base, limits: { ambiguous: 'abstain' } });
        assert.equal(a.outcome, 'no_fix');
        assert.match(a.reason!, /disagree beyond the tests/);
      } else {
        assert.equal(r.fix!.contested, undefined, r.fix!.provenBy);
        // the fix that the three tests leave is right on inputs they never made
        const check = spawnSync('python3', ['-c', 'exec(open(0).read()); assert count_big([4, 5, 5.5, 10]) == 3'], { input: r.fix!.fixed, encoding: 'utf8' });
        assert.equal(check.status, 0, r.fix!.fixed);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('checkRivalsOnTestMutants: a neighbour of the fix that answers a mutant differently contests it and never replaces it; a pool rival the model prefers does', async () => {
  const c = (fixed: string, label: string): RivalCandidate => ({ fixed, label, prior: 0 });
  const fix = c('fix', 'the fix');
  const poolSame = c('same', 'an equal rewrite');
  const nearOther = c('near', 'a neighbour');
  // signatures by document: the fix and the equal rewrite agree on every mutant, the neighbour does not
  const sig: Record<string, string> = { fix: 'm0 3', same: 'm0 3', near: 'm0 4', pool: 'm0 5' };
  const compare = async (docs: string[]) => ({ signatures: docs.map((d) => sig[d]!) });
  const proved: string[] = [];
  const prove = async (x: RivalCandidate) => (proved.push(x.label), true);
  const preferNear = async (xs: RivalCandidate[]) => xs.map((x) => (x === nearOther ? 1 : 0));
  const r = await checkRivalsOnTestMutants({ pick: fix, pool: [poolSame], neighbours: [nearOther, fix], compare, prove, score: preferNear });
  assert.equal(r.pick, fix);
  assert.equal(r.replaced, undefined);
  assert.deepEqual(proved, []);
  assert.deepEqual(r.contested.map((x) => x.label), ['a neighbour']);
  assert.equal(r.rivals, 2, 'the fix itself is no neighbour of its own');
  // no neighbours: the equal rewrite leaves the fix uncontested
  assert.deepEqual((await checkRivalsOnTestMutants({ pick: fix, pool: [poolSame], compare, prove })).contested, []);
  // a pool rival the model prefers is proven and replaces the fix; the first fix's neighbours then do not count
  const poolOther = c('pool', 'a pool rival');
  const w = await checkRivalsOnTestMutants({ pick: fix, pool: [poolOther], neighbours: [nearOther], compare, prove, score: async (xs) => xs.map((x) => (x === poolOther ? 1 : 0)) });
  assert.equal(w.pick, poolOther);
  assert.equal(w.replaced, fix);
  assert.deepEqual(w.contested.map((x) => x.label), ['the fix']);
});
