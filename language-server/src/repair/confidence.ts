// The model's confidence in a fix nothing proved (issue 26 point 7): how much likelier the model finds
// the edited lines than the original ones, as a probability. It is never a proof: a fix below the
// threshold is not offered, one above it is still titled "unverified" and never the preferred fix.
// The default threshold is calibrated on HumanEvalFix without tests (eval/suites/calibration.ts,
// results/eval/2026-12-07-s17-calibration.md).

/** The least confidence of an offered unverified fix: a number from 0 to 1, or 'never' (none is offered). */
export type MinConfidence = number | 'never';

/**
 * The calibrated default minimum confidence: the lowest threshold whose offered fixes were correct at
 * least half of the time on the calibration split; 'never' when no threshold reached that precision.
 * 'never' (2026-12-07, the shipped model): at no threshold were more than 15% of the offered guesses
 * correct (results/eval/2026-12-07-s17-calibration.md), so only proven fixes are offered by default.
 */
export const DEFAULT_MIN_CONFIDENCE: MinConfidence = 'never';

/** The confidence of a fix from the model's log-probability margin of its edited lines over the original's:
 * P(fix) / (P(fix) + P(original)) over the same window (repair/rank.ts scoreLineEdits). */
export function confidenceOfMargin(margin: number): number {
  if (!Number.isFinite(margin)) return margin > 0 ? 1 : 0;
  return 1 / (1 + Math.exp(-margin));
}

/** A threshold as a setting or a request gives it: a number from 0 to 1, or 'never'. */
export function validMinConfidence(x: unknown): x is MinConfidence {
  return x === 'never' || (typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1);
}

const two = (x: number) => (Math.floor(x * 100) / 100).toFixed(2);

/** Why an unverified guess is not offered (CLI and language server say the same). */
export function belowThresholdReason(confidence: number, min: MinConfidence): string {
  if (min === 'never') return `no fix proven; unverified guesses are not offered (the confidence threshold is 'never'; this one's confidence: ${two(confidence)})`;
  // rounded down, so the message never shows "0.50 < 0.50"
  return `no fix proven; the best unverified guess is below the confidence threshold (${two(confidence)} < ${min.toFixed(2)})`;
}

/** Whether an unverified fix of this confidence is offered at threshold `min`. */
export function offeredAt(confidence: number, min: MinConfidence): boolean {
  return min !== 'never' && confidence >= min;
}
