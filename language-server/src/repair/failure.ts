// A failing test as the model reads it: the prompt's Error line (docs/CONTRACTS.md layout,
// "Error: " + this + "\n") for the tested path's rewrite and ranking (issue 28). The training data's
// failure-conditioned examples (models/data/failcond/failcond.py, failure_text) are worded the same way:
//   an equality  "failing test: f(3, [1, 2]): expected 5, got 6"   (pytest names the call in its "where" line)
//   an exception "failing test: test_examples: IndexError: list index out of range"
//   a timeout    "failing test: test_examples: timed out"
import type { TestFailure } from './tests/report';

const cut = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 3)}...`);

/** The call an equality assertion failed on, from pytest's "+  where 6 = f(3, [1, 2])" line. */
export function failingCall(message: string): string | undefined {
  const m = /^\s*\+\s+where .+? = (.+\(.*\))\s*$/m.exec(message);
  // a function passed in (HumanEval's check(candidate)) is shown as its repr: its name is what the code calls
  return m ? m[1]!.replace(/<function (\w+) at 0x[0-9a-f]+>/g, '$1') : undefined;
}

export function failureDiagnostic(f: TestFailure): string {
  const name = f.name.split(/::| > /).pop()!;
  if (f.timedOut) return `failing test: ${name}: timed out`;
  if (f.expected !== undefined && f.actual !== undefined) {
    return `failing test: ${failingCall(f.message) ?? name}: expected ${cut(f.expected, 80)}, got ${cut(f.actual, 80)}`;
  }
  const first = f.message.split('\n').find((l) => l.trim()) ?? 'failed';
  return `failing test: ${name}: ${cut(first.trim(), 160)}`;
}
