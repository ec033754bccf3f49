// The calibration of the confidence threshold for unverified fixes (issue 26 point 7): HumanEvalFix
// without tests, "Fix this function" as the editor asks it (mode context), every unverified guess
// offered with its confidence (minConfidence 0), judged by the hidden tests. The buggy functions of the
// first half of the problems per language (the calibration split) give precision vs coverage per
// threshold and the default: the lowest threshold whose offered fixes are correct at least half of the
// time (and at least MIN_OFFERED of them). The second half (held out) and the canonical (correct)
// solutions of all problems are then measured at that threshold: precision, coverage, share offered.
import { offeredAt } from '../../language-server/src/repair/confidence.js';
import { groupBy, pct, rate, table, type Rate, type SuiteContext, type SuiteResult } from './common.js';
import { runHumanEvalFix, type FixRecord } from './humanevalfix.js';

/** Precision wanted of the offered unverified fixes (the issue: >= 50%). */
export const TARGET_PRECISION = 0.5;
/** Fewest offered fixes a threshold's precision is trusted on (1 of 1 correct is no evidence). */
export const MIN_OFFERED = 5;
/** Thresholds tried: 0.00, 0.01, ... 1.00. */
export const THRESHOLDS = Array.from({ length: 101 }, (_, i) => i / 100);
/** Rows shown in the report's table. */
const SHOWN = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

/** The problem's number in its language (HumanEvalPack task ids: "Python/12"). */
export function problemIndex(taskId: string): number {
  return Number(taskId.slice(taskId.lastIndexOf('/') + 1));
}

export interface ThresholdPoint {
  threshold: number;
  /** problems (buggy functions) in the split */
  problems: number;
  /** fixes offered at this threshold */
  offered: number;
  /** offered fixes that pass the hidden tests */
  correct: number;
  /** correct / offered */
  precision: number | null;
  /** offered / problems */
  coverage: number;
}

/** A fix offered at threshold t: the engine returned one (offered to the user at minConfidence 0) and its confidence reaches t. */
export function offeredRecord(r: Pick<FixRecord, 'fixReturned' | 'confidence'>, t: number): boolean {
  return r.fixReturned && r.confidence !== undefined && offeredAt(r.confidence, t);
}

export function pointAt(records: readonly FixRecord[], t: number): ThresholdPoint {
  const offered = records.filter((r) => offeredRecord(r, t));
  const correct = offered.filter((r) => r.pass).length;
  return { threshold: t, problems: records.length, offered: offered.length, correct, precision: offered.length ? correct / offered.length : null, coverage: records.length ? offered.length / records.length : 0 };
}

/** The lowest threshold with precision >= target on at least minOffered offered fixes; null: none reaches it. */
export function chooseThreshold(records: readonly FixRecord[], opts: { target?: number; minOffered?: number; thresholds?: readonly number[] } = {}): ThresholdPoint | null {
  const target = opts.target ?? TARGET_PRECISION;
  const minOffered = opts.minOffered ?? MIN_OFFERED;
  for (const t of opts.thresholds ?? THRESHOLDS) {
    const p = pointAt(records, t);
    if (p.offered >= minOffered && p.precision !== null && p.precision >= target) return p;
  }
  return null;
}

export interface CalibrationSummary {
  calibrationProblems: string;
  heldOutProblems: string;
  /** null: no threshold reached the target precision: unverified semantic fixes are never offered by default */
  chosen: number | null;
  calibration: ThresholdPoint[];
  calibrationByLanguage: Record<string, ThresholdPoint | null>;
  heldOut: { all: ThresholdPoint | null; byLanguage: Record<string, ThresholdPoint | null> };
  canonical: { all: Rate | null; broke: Rate | null; byLanguage: Record<string, Rate | null>; offeredWithoutThreshold: Rate };
}

const p1 = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
const pointRow = (label: string, p: ThresholdPoint | null) => (p ? [label, String(p.problems), `${p.correct}/${p.offered}`, p1(p.precision), `${p.offered}/${p.problems} (${p1(p.coverage)})`, `${p.correct}/${p.problems} (${p1(p.problems ? p.correct / p.problems : 0)})`] : [label, '–', '–', '–', '–', '–']);

/** The analysis of a calibration run's records (buggy: variant plain; correct: variant canonical). */
export function analyzeCalibration(records: readonly FixRecord[], split: number): { summary: CalibrationSummary; markdown: string } {
  const buggy = records.filter((r) => r.variant === 'plain');
  const canon = records.filter((r) => r.variant === 'canonical');
  const cal = buggy.filter((r) => problemIndex(r.taskId) < split);
  const held = buggy.filter((r) => problemIndex(r.taskId) >= split);
  const langs = [...new Set(records.map((r) => r.language))];
  const chosenPoint = chooseThreshold(cal);
  const chosen = chosenPoint?.threshold ?? null;
  const calibration = THRESHOLDS.map((t) => pointAt(cal, t));
  const byLang = <T>(rs: readonly FixRecord[], f: (x: FixRecord[]) => T) => Object.fromEntries(langs.map((l) => [l, f(rs.filter((r) => r.language === l))]));
  const at = (rs: FixRecord[]) => (chosen === null ? null : pointAt(rs, chosen));
  const canonShare = (rs: FixRecord[]) => (chosen === null ? null : rate(rs.filter((r) => offeredRecord(r, chosen)).length, rs.length));
  const summary: CalibrationSummary = {
    calibrationProblems: `0-${split - 1}`,
    heldOutProblems: `${split}-`,
    chosen,
    calibration,
    calibrationByLanguage: byLang(cal, at),
    heldOut: { all: at(held), byLanguage: byLang(held, at) },
    canonical: {
      all: canonShare(canon),
      broke: chosen === null ? null : rate(canon.filter((r) => offeredRecord(r, chosen) && !r.pass).length, canon.length),
      byLanguage: byLang(canon, canonShare),
      offeredWithoutThreshold: rate(canon.filter((r) => r.fixReturned).length, canon.length),
    },
  };
  const head = ['', 'problems', 'correct/offered', 'precision', 'coverage (offered)', 'fixed'];
  const out: string[] = ['## Calibration of the unverified-fix threshold (HumanEvalFix without tests)', ''];
  out.push(`Calibration split: problems ${summary.calibrationProblems} of each language (buggy functions, no tests; every unverified guess offered with its confidence, judged by the hidden tests). Precision: offered fixes that pass / fixes offered; coverage: fixes offered / problems; fixed: fixes that pass / problems. A fix is offered at threshold t when its confidence is >= t.`, '');
  out.push(table(['threshold', ...head.slice(1)], SHOWN.map((t) => pointRow(t.toFixed(2), pointAt(cal, t)).slice(0))));
  out.push('');
  out.push(chosen === null
    ? `**No threshold reaches ${p1(TARGET_PRECISION)} precision on at least ${MIN_OFFERED} offered fixes of the calibration split: the default is to never offer an unverified semantic fix.**`
    : `**Chosen default: ${chosen.toFixed(2)}**, the lowest threshold (steps of 0.01) with precision >= ${p1(TARGET_PRECISION)} on at least ${MIN_OFFERED} offered fixes of the calibration split (${chosenPoint!.correct}/${chosenPoint!.offered}).`);
  // per language at the chosen threshold; with none chosen, at 0 (every guess): what 'never' gives up
  const shownAt = chosen ?? 0;
  out.push('', chosen === null ? 'Per language at 0.00 (every guess offered; the default offers none of them):' : `At ${chosen.toFixed(2)}, per language:`, '');
  out.push(table(['split / language', ...head.slice(1)], [
    pointRow('calibration, all', pointAt(cal, shownAt)), ...langs.map((l) => pointRow(`calibration, ${l}`, pointAt(cal.filter((r) => r.language === l), shownAt))),
    pointRow(`held out (problems ${split}+), all`, pointAt(held, shownAt)), ...langs.map((l) => pointRow(`held out, ${l}`, pointAt(held.filter((r) => r.language === l), shownAt))),
  ]));
  out.push('', `Held out (problems ${split}+), the same thresholds:`, '');
  out.push(table(['threshold', ...head.slice(1)], SHOWN.map((t) => pointRow(t.toFixed(2), pointAt(held, t)))));
  out.push('', 'Correct code (canonical solutions of every problem run, no tests): the share offered a fix (the goal: <= 10%).', '');
  const byCanon = groupBy(canon, (r) => r.language);
  out.push(table(['language', 'problems', 'offered without a threshold', chosen === null ? 'offered by default (never)' : `offered at ${chosen.toFixed(2)}`, 'of which broke it'], [
    ...langs.map((l) => { const rs = byCanon.get(l) ?? []; const s = summary.canonical.byLanguage[l]; return [l, String(rs.length), pct(rate(rs.filter((r) => r.fixReturned).length, rs.length)), chosen === null ? pct(rate(0, rs.length)) : pct(s ?? undefined), chosen === null ? '0' : String(rs.filter((r) => offeredRecord(r, chosen) && !r.pass).length)]; }),
    ['all', String(canon.length), pct(summary.canonical.offeredWithoutThreshold), chosen === null ? pct(rate(0, canon.length)) : pct(summary.canonical.all ?? undefined), chosen === null ? '0' : String(summary.canonical.broke?.k ?? 0)],
  ]));
  out.push('', 'Correct code, share offered a fix by threshold (all languages):', '');
  out.push(table(['threshold', 'offered', 'of which broke it'], SHOWN.map((t) => {
    const off = canon.filter((r) => offeredRecord(r, t));
    return [t.toFixed(2), pct(rate(off.length, canon.length)), String(off.filter((r) => !r.pass).length)];
  })));
  return { summary, markdown: out.join('\n') };
}

/** Runs the engine on the buggy and the canonical functions (mode context, no tests, minConfidence 0) and analyses them. */
export async function runCalibration(ctx: SuiteContext): Promise<SuiteResult> {
  const limit = ctx.limit ?? 80;
  const split = Math.ceil(limit / 2);
  const fix = await runHumanEvalFix({ ...ctx, limit, minConfidence: 0 }, { modes: ['context'], variants: ['plain', 'canonical'] });
  const records = fix.records as FixRecord[];
  const { summary, markdown } = analyzeCalibration(records, split);
  const notes = [...fix.notes, 'calibration: unverified fixes were offered with minConfidence 0 (every guess, with its confidence); the thresholds are applied afterwards to the recorded confidences'];
  return { suite: 'calibration', summary: { ...summary, humanevalfix: fix.summary }, records, markdown: `${markdown}\n\n${fix.markdown.replace(/^## /, '### ')}`, notes, seconds: fix.seconds };
}
