// From a failing test to a proven fix of the code it exercises (issue 26), shared by the LSP action
// (lsp/fix-test.ts) and the CLI (`treasure fix-test`): examine the test (repair/tests/failing-test.ts:
// does it fail, which function of which file), then the engine's tested repair of that function with
// the test's file among the tests; the fix counts only when the proof names the test among those it
// fixed. The caller supplies the engine, the source's text (an editor's open version) and the parser.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze } from '../context';
import type { FixOutcome, FixRequest, FixResult } from '../engine';
import { languageForPath } from '../grammars';
import { examineFailingTest, isInside, isTheTest, testLabel, type SourceFunction, type TestAtCursor } from './tests/failing-test';
import type { TestFailure } from './tests/report';
import { undecidedLimits, type Undecided } from '../settings';

export interface FixFailingTestInput {
  root: string;
  /** The test file, workspace-relative, and the test in it. */
  testFile: string;
  test: TestAtCursor;
  trusted: boolean;
  fixDetailed: (req: FixRequest) => Promise<FixOutcome>;
  /** The functions of a file (default: tree-sitter in this thread). */
  functionsOf?: (rel: string, text: string) => Promise<SourceFunction[]>;
  /** The source's text to fix (default: the file on disk); `{ refuse }` stops with that reason. */
  sourceText?: (absPath: string) => { text: string } | { refuse: string };
  settingsMarkers?: Record<string, string>;
  maxTokens?: number;
  /** treasure.verify.undecided: 'withhold' returns no fix where other edits pass the test too and behave differently. */
  undecided?: Undecided;
  signal?: AbortSignal;
  /** Progress in words ("test_x fails (...); proving fixes of f in a.py"). */
  progress?: (message: string) => void;
}

export type FixFailingTestResult =
  | {
      status: 'fixed';
      /** "test_dips" (pytest) or "'adds two numbers'" (node). */
      test: string;
      failure: TestFailure;
      /** The code under test: workspace-relative, absolute, the text the fix was made on. */
      source: string;
      sourcePath: string;
      sourceText: string;
      functionName: string;
      fix: FixResult & { tests: NonNullable<FixResult['tests']> };
      /** "Fix with Treasure — test_dips passes, 3/3 tests pass" */
      title: string;
      candidates?: number;
      ms: number;
    }
  | {
      /** passes: nothing to fix; no_fix: no candidate passes; cannot: no test run, no source, untrusted... */
      status: 'passes' | 'no_fix' | 'cannot';
      test: string;
      reason: string;
      failure?: TestFailure;
      source?: string;
      candidates?: number;
      ms: number;
    };

const readDisk = (p: string) => ({ text: readFileSync(p, 'utf8') });

export async function fixFailingTest(input: FixFailingTestInput): Promise<FixFailingTestResult> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const t = input.test;
  const label = testLabel(t);
  const root = resolve(input.root);
  if (!input.trusted) return { status: 'cannot', test: label, reason: 'the workspace is not trusted, so Treasure runs none of its tests (trust the folder to have a fix proven by this test)', ms: ms() };
  const functionsOf = input.functionsOf ?? (async (rel: string, text: string) => {
    const lang = languageForPath(rel);
    return lang?.grammar ? (await analyze(text, lang, join(root, rel))).functions : [];
  });
  let finding: Awaited<ReturnType<typeof examineFailingTest>>;
  try {
    finding = await examineFailingTest({ root, testFile: input.testFile, test: t, trusted: true, signal: input.signal, functionsOf });
  } catch (e) {
    if (input.signal?.aborted) throw e;
    // a workspace too large to copy, a runner that cannot start: say so instead of failing the request
    return { status: 'cannot', test: label, reason: `the tests could not run: ${(e as Error).message}`, ms: ms() };
  }
  if (finding.status === 'passes') return { status: 'passes', test: label, reason: `${label} passes (${finding.report.summary}): nothing to fix`, ms: ms() };
  if (finding.status === 'none') return { status: 'cannot', test: label, reason: `cannot fix the code ${label} exercises: ${finding.reason}`, ms: ms() };
  const sourcePath = resolve(root, finding.source);
  const base = { test: label, failure: finding.failure, source: finding.source };
  if (!isInside(sourcePath, root)) return { ...base, status: 'cannot', reason: `${finding.source} is outside the workspace`, ms: ms() };
  const got = (input.sourceText ?? readDisk)(sourcePath);
  if ('refuse' in got) return { ...base, status: 'cannot', reason: got.refuse, ms: ms() };
  const text = got.text;
  const lang = languageForPath(sourcePath);
  if (!lang?.grammar) return { ...base, status: 'cannot', reason: `no grammar ships for ${finding.source}`, ms: ms() };
  const fnName = finding.fn.name ?? `the function at line ${finding.fn.startLine + 1}`;
  input.progress?.(`${label} fails (${finding.failure.message.split('\n')[0]!.slice(0, 80)}); proving fixes of ${fnName} in ${finding.source}`);
  const outcome = await input.fixDetailed({
    text, languageId: lang.languageId, line: finding.fn.startLine, mode: 'function', path: sourcePath,
    settingsMarkers: input.settingsMarkers, maxTokens: input.maxTokens,
    verify: { root, trusted: true, testFiles: [input.testFile], ...(input.undecided ? { limits: undecidedLimits(input.undecided) } : {}) },
    signal: input.signal,
  });
  const fix = outcome.fix;
  const candidates = outcome.candidates;
  if (!fix || !fix.verified || !fix.tests) {
    const reason = fix ? `only an unverified rewrite of ${fnName} was found (${fix.unverified ?? 'no test proved it'})` : (outcome.reason ?? `no fix passes ${label}`);
    return { ...base, status: 'no_fix', reason, candidates, ms: ms() };
  }
  if (!fix.tests.fixed.some((id) => isTheTest(id, t, input.testFile))) {
    return { ...base, status: 'no_fix', reason: `the fix Treasure proved (${fix.verifiedBy}) does not name ${label} among the tests it fixed: is ${label} flaky?`, candidates, ms: ms() };
  }
  // other edits pass too and behave differently (repair/rivals.ts): the tests do not decide this one
  const title = `Fix with Treasure — ${label} passes, ${fix.tests.passed}/${fix.tests.total} tests pass${fix.contested ? ' (not proven: other edits pass and behave differently)' : ''}`;
  return { ...base, status: 'fixed', sourcePath, sourceText: text, functionName: fnName, fix: fix as FixResult & { tests: NonNullable<FixResult['tests']> }, title, candidates, ms: ms() };
}
