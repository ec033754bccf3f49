// What one test run said, in one shape for every runner (pytest, node --test, go test, cargo test,
// a generic command). A generic command has one pseudo-test named after it: passed when it exits 0.

export type RunnerKind = 'pytest' | 'node' | 'npm' | 'go' | 'cargo' | 'command';

/** One frame of a failure's traceback: a workspace-relative path when the file is in the workspace. */
export interface Frame {
  file: string;
  /** 1-based. */
  line: number;
}

export interface TestFailure {
  /** The test's id, as the runner can select it again (pytest node id, "file > suite > name", TestX). */
  name: string;
  /** The exception or assertion, first lines ("AssertionError: assert 'large' == 'small'"). */
  message: string;
  /** From an equality assertion (assert a == b, assert.strictEqual, assertEqual, assert_eq!). */
  expected?: string;
  actual?: string;
  /** Innermost frame last. */
  traceback: Frame[];
  /** The run's time limit was reached while this test ran (an infinite loop?). */
  timedOut?: boolean;
}

export interface TestReport {
  runner: RunnerKind;
  passed: string[];
  failed: TestFailure[];
  skipped: string[];
  /** Problems outside any one test: a module that does not import, a runner that did not start. */
  errors: string[];
  timedOut: boolean;
  cancelled: boolean;
  exitCode: number | null;
  ms: number;
  /** The last few KB of the runner's output (capped). */
  outputTail: string;
  /** "pytest: 3 passed, 1 failed" */
  summary: string;
  /** Lines of the traced file run by each test (localization runs only; 1-based). */
  coverage?: Map<string, number[]>;
}

export function summarize(r: Pick<TestReport, 'runner' | 'passed' | 'failed' | 'skipped' | 'errors' | 'timedOut' | 'cancelled' | 'exitCode'>): string {
  const parts: string[] = [];
  if (r.passed.length) parts.push(`${r.passed.length} passed`);
  if (r.failed.length) parts.push(`${r.failed.length} failed`);
  if (r.skipped.length) parts.push(`${r.skipped.length} skipped`);
  if (r.errors.length) parts.push(`${r.errors.length} error${r.errors.length > 1 ? 's' : ''}`);
  if (r.timedOut) parts.push('timed out');
  if (r.cancelled) parts.push('cancelled');
  if (parts.length === 0) parts.push(`no tests ran (exit ${r.exitCode})`);
  return `${r.runner}: ${parts.join(', ')}`;
}

const TAIL = 8192;
export function tail(s: string, n = TAIL): string {
  return s.length > n ? s.slice(s.length - n) : s;
}

/** "AssertionError: 3 != 4" (unittest, Go's got/want are parsed by their runners) -> actual / expected. */
export function notEqualParts(message: string): { actual: string; expected: string } | undefined {
  const first = message.split('\n').find((l) => l.includes(' != '));
  const m = first?.match(/^(?:\w*Error: )?(.+?) != (.+)$/);
  return m ? { actual: m[1]!, expected: m[2]! } : undefined;
}

/**
 * The failure a run that timed out before any test was named as failing gets (cargo test and node --test
 * may not say which test was running): the buggy code hangs, and that is the failure to fix. A
 * candidate passes it when its run finishes with tests passed and none failed (prove.ts judge).
 */
export const WHOLE_RUN = 'the whole test run';

/** Failures that come from the environment, not the code (no network): they are no evidence either way. */
const ENVIRONMENTAL = /ConnectionError|ConnectionRefused|URLError|gaierror|Name or service not known|Temporary failure in name resolution|Network is unreachable|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ENETUNREACH|getaddrinfo|No route to host|dial tcp/;
export function isEnvironmental(f: TestFailure): boolean {
  return ENVIRONMENTAL.test(f.message);
}
