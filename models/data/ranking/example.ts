// What the two ranking-data builds share (ranking/build.ts: our operators' slips; realfix/rank.ts: real
// fixes): the negatives drawn from the product's candidates, and the example's token layout for rank_train.py.
import type { LineEditGroup } from '../../../language-server/src/repair/rank';
import type { SemanticCandidate } from '../../../language-server/src/repair/propose-semantic';
import type { Rng } from '../tasks/rng';

/** K negatives: half within a line of `line` (where the product's localization points), the rest anywhere. */
export function pickNegatives(cands: SemanticCandidate[], line: number, k: number, rand: Rng): SemanticCandidate[] {
  const shuffled = rand.shuffle([...cands]);
  const near = shuffled.filter((c) => Math.abs(c.line - line) <= 1);
  const out = near.slice(0, Math.ceil(k / 2));
  for (const c of shuffled) if (out.length < k && !out.includes(c)) out.push(c);
  return out;
}

/** An editScoringPlan's groups as one example: the prefixes grow group by group, so the longest and each group's length. */
export function exampleGroups(groups: LineEditGroup[]): { prefix: number[]; groups: { plen: number; answers: number[][]; bases: number[][]; members: number[][] }[] } {
  return {
    prefix: groups[groups.length - 1]!.prefix,
    groups: groups.map((g) => ({ plen: g.prefix.length, answers: g.answers, bases: g.bases, members: g.members.map((m) => [m.doc, m.answer, m.base]) })),
  };
}
