// How much the tests say about one fix (issue 26: plausible-but-wrong fixes). A replay
// (differential.ts replayBehaviour) of the fix (candidate 0) and the buggy original (candidate 1) on the
// tests' own calls and their mutants tells: on how many distinct calls the tests check the function, on
// how many of them the fix changed the answer (what the failing tests saw), and what else it changed.
import type { Replay } from './differential';

export interface FixEvidence {
  /** Distinct calls the tests made to the function. */
  calls: number;
  /** Of those, the ones where the fix answers differently from the original (the examples it fixed). */
  changedCalls: number;
  /** Mutated inputs where both returned normally, and where the fix answers differently there. */
  mutants: number;
  changedMutants: number;
  /** Mutated inputs where the original returned and the fix raises or loops (a fix should not add crashes). */
  newFailures: number;
}

const failed = (o: string | undefined) => o === undefined || o.startsWith('!');

/** The evidence of candidate 0 (the fix) against candidate 1 (the original) in `replay`. */
export function replayEvidence(replay: Pick<Replay, 'calls' | 'inputs' | 'outcomes'>): FixEvidence {
  const [fix, orig] = replay.outcomes as [string[], string[]];
  const n = replay.inputs.length;
  const calls = Math.min(replay.calls, n);
  let changedCalls = 0;
  let mutants = 0;
  let changedMutants = 0;
  let newFailures = 0;
  for (let j = 0; j < n; j++) {
    if (j < calls) {
      if (fix[j] !== orig[j]) changedCalls++;
      continue;
    }
    if (!failed(orig[j]) && failed(fix[j])) newFailures++;
    if (failed(orig[j]) || failed(fix[j])) continue;
    mutants++;
    if (fix[j] !== orig[j]) changedMutants++;
  }
  return { calls, changedCalls, mutants, changedMutants, newFailures };
}

/** How many times an example test calls `entry` (the study's count of asserts; not the product's). */
export function exampleCallCount(exampleTest: string, entry: string): number {
  const body = exampleTest.replace(/def check\(.*\):|function check\(.*\)|check\(\w+\)\s*;?\s*$/gm, '');
  return (body.match(new RegExp(`\\b${entry}\\s*\\(`, 'g')) ?? []).length;
}

export interface Rivals {
  /** Other candidates that answer every recorded call as the fix does (the tests cannot tell them apart). */
  rivals: number[];
  /** Of those, the ones that answer some mutated input differently (where both return normally). */
  contested: number[];
  /** An input where the fix and a contested rival differ ("f(3) -> 4 | 5"). */
  example?: string;
}

/** The rivals of candidate `ref` (default 0) in a screened replay (differential.ts `screen`: candidates that missed a recorded call were skipped), as indices into its outcomes. */
export function rivalsOf(replay: Pick<Replay, 'calls' | 'inputs' | 'outcomes'>, ref = 0): Rivals {
  const fix = replay.outcomes[ref]!;
  const calls = Math.min(replay.calls, replay.inputs.length);
  const rivals: number[] = [];
  const contested: number[] = [];
  let example: string | undefined;
  replay.outcomes.forEach((o, i) => {
    if (i === ref) return;
    for (let j = 0; j < calls; j++) if (o[j] !== fix[j] || o[j]!.startsWith('!load')) return;
    rivals.push(i);
    for (let j = calls; j < replay.inputs.length; j++) {
      if (failed(o[j]) || failed(fix[j]) || o[j] === fix[j]) continue;
      contested.push(i);
      example ??= `${replay.inputs[j]} -> ${fix[j]!.slice(0, 40)} | ${o[j]!.slice(0, 40)}`;
      return;
    }
  });
  return { rivals, contested, ...(example ? { example } : {}) };
}
