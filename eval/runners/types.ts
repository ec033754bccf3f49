// What the runners share: a program, its limits and its result (eval/runner.ts runs them).
import type { HepLanguage, Problem } from '../humanevalpack.js';

/** Bump when assembling or classification changes, so cached results are not reused. */
export const RUNNER_VERSION = 6;

export type ErrorKind =
  | 'compile_error' // the program does not compile / parse
  | 'assertion'     // a test assertion failed
  | 'runtime_error' // crash, exception, panic other than an assertion
  | 'timeout'       // ran past the limit (infinite loop, …)
  | 'infra'         // the harness could not run it (toolchain missing, …): never a model result
  | 'no_fix'        // the engine returned nothing
  | 'test_modified'; // "tests" variant: the fix changed the given tests

export interface ExecResult {
  pass: boolean;
  kind?: ErrorKind;
  /** wall time of compile + run */
  ms: number;
  /** tail of the output that explains the failure */
  detail?: string;
  cached?: boolean;
}

export interface RunLimits {
  /** per test execution (default 10 s) */
  runTimeoutMs: number;
  /** per compilation (default 120 s) */
  compileTimeoutMs: number;
  /** use/write build/eval-cache/results */
  cache: boolean;
}
export const defaultLimits: RunLimits = { runTimeoutMs: 10_000, compileTimeoutMs: 120_000, cache: true };

/** A program to run: `code` is the whole solution document (declaration + body), `test` the problem's test. */
export interface Program {
  language: HepLanguage;
  code: string;
  test: string;
  /** go: the problem's `import` and `test_setup` fields */
  goImport?: string;
  goTestSetup?: string;
  goHelpers?: string;
}

export function programFor(p: Problem, code: string, test = p.test): Program {
  return { language: p.language, code, test, goImport: p.goImport, goTestSetup: p.goTestSetup, goHelpers: p.goHelpers };
}

/** Runs one program in `dir` (a scratch folder that the caller removes). */
export type LangRunner = (prog: Program, dir: string, limits: RunLimits) => Promise<ExecResult>;

export interface Toolchain { ok: boolean; why?: string }
