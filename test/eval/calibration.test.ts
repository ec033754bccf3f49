// The calibration suite's analysis (eval/suites/calibration.ts) on records made up for the purpose:
// precision and coverage per threshold, the lowest threshold with enough precision on enough fixes,
// 'never' when none has it, the held-out and canonical figures at the chosen threshold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeCalibration, chooseThreshold, pointAt, problemIndex } from '../../eval/suites/calibration';
import type { FixRecord } from '../../eval/suites/humanevalfix';

let n = 0;
function rec(over: Partial<FixRecord>): FixRecord {
  return { language: 'python', taskId: `Python/${n++}`, bugType: 'value_misuse', mode: 'context', variant: 'plain', given: {}, inferred: {}, markersHonored: true, latencyMs: 1, fixReturned: true, pass: false, ...over };
}

test('problemIndex reads the number of a HumanEvalPack task id', () => {
  assert.equal(problemIndex('Python/12'), 12);
  assert.equal(problemIndex('JavaScript/0'), 0);
});

test('pointAt: offered = a fix returned with confidence >= t; precision and coverage', () => {
  const rs = [rec({ confidence: 0.9, pass: true }), rec({ confidence: 0.6 }), rec({ confidence: 0.2, pass: true }), rec({ fixReturned: false })];
  assert.deepEqual(pointAt(rs, 0), { threshold: 0, problems: 4, offered: 3, correct: 2, precision: 2 / 3, coverage: 0.75 });
  assert.deepEqual(pointAt(rs, 0.6), { threshold: 0.6, problems: 4, offered: 2, correct: 1, precision: 0.5, coverage: 0.5 });
  assert.equal(pointAt(rs, 0.95).precision, null);
});

test('chooseThreshold: the lowest threshold with precision >= target on at least minOffered fixes; null when none', () => {
  // 10 fixes: the 4 most confident right, the rest wrong
  const rs = Array.from({ length: 10 }, (_, i) => rec({ confidence: (i + 1) / 10, pass: i >= 6 }));
  const p = chooseThreshold(rs, { target: 0.5, minOffered: 3 })!;
  // at 0.5: 6 offered (0.5..1.0), 4 right: 66.7%; at 0.31..0.40: 7 offered, 4 right = 57%; at 0.21..0.30: 8, 50%
  assert.equal(p.threshold, 0.21);
  assert.equal(p.offered, 8);
  assert.equal(p.correct, 4);
  // at least 9 fixes: only thresholds up to 0.20 offer that many, and there 4 of 9 or 10 are right
  assert.equal(chooseThreshold(rs, { target: 0.5, minOffered: 9 }), null);
  assert.equal(chooseThreshold(rs, { target: 0.9, minOffered: 1 })!.threshold, 0.61);
  assert.equal(chooseThreshold(rs.map((r) => ({ ...r, pass: false })), { target: 0.5, minOffered: 1 }), null);
});

test('analyzeCalibration: calibration on the first half, held out and canonical measured at the chosen threshold', () => {
  const cal = Array.from({ length: 10 }, (_, i) => rec({ taskId: `Python/${i}`, confidence: (i + 1) / 10, pass: i >= 5 }));
  const held = [rec({ taskId: 'Python/10', confidence: 0.95, pass: true }), rec({ taskId: 'Python/11', confidence: 0.7 }), rec({ taskId: 'Python/12', confidence: 0.1 }), rec({ taskId: 'Python/13', fixReturned: false })];
  const canon = [rec({ taskId: 'Python/0', variant: 'canonical', confidence: 0.8, pass: true }), rec({ taskId: 'Python/1', variant: 'canonical', confidence: 0.3, pass: false }), rec({ taskId: 'Python/2', variant: 'canonical', fixReturned: false, pass: true })];
  const { summary, markdown } = analyzeCalibration([...cal, ...held, ...canon], 10);
  // at 0.01..0.10 all 10 offered, 5 right: 50% on 10 fixes
  assert.equal(summary.chosen, 0);
  const s2 = analyzeCalibration([...cal.map((r, i) => ({ ...r, pass: i >= 6 })), ...held, ...canon], 10).summary;
  assert.equal(s2.chosen, 0.21); // 8 offered (0.3..1.0), 4 right
  assert.deepEqual(s2.heldOut.all, { threshold: 0.21, problems: 4, offered: 2, correct: 1, precision: 0.5, coverage: 0.5 });
  assert.deepEqual(s2.canonical.all, { n: 3, k: 2, rate: 2 / 3 });
  assert.deepEqual(s2.canonical.broke, { n: 3, k: 1, rate: 1 / 3 });
  assert.match(markdown, /\*\*Chosen default: 0\.00\*\*/);
  const none = analyzeCalibration([...cal.map((r) => ({ ...r, pass: false })), ...canon], 10);
  assert.equal(none.summary.chosen, null);
  assert.equal(none.summary.canonical.all, null);
  assert.match(none.markdown, /the default is to never offer an unverified semantic fix/);
});
