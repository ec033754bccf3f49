// The test-running and localization layer of the repair pipeline (issue 26): find the tests that
// exercise a file, run them in a scratch copy, read their failures, rank suspicious lines, and prove
// candidates best-first. Every entry point takes `trusted` and refuses to run anything without it.
export { requireTrust, testEnv, UntrustedWorkspaceError } from './env';
export { defaultRoot, findTests, hasPytest, pythonOf, type FindOptions, type PlanResult, type TestPlan } from './plan';
export { killGroup, groupAlive, runProcess, type ProcessResult, type RunOptions } from './process';
export { isEnvironmental, summarize, WHOLE_RUN, type Frame, type RunnerKind, type TestFailure, type TestReport } from './report';
export { cargoTargetDir, runTests, substitute, type RunTestsOptions } from './run';
export { Scratch, ScratchTooLargeError, type ScratchOptions } from './scratch';
export { localize, ochiai, rankLines, v8LinesRun, type Localization, type LocalizeOptions, type SuspiciousLine } from './localize';
export { judge, proveCandidates, runTimeoutOf, testCandidatesOf, type CandidateResult, type ProveOptions, type ProveResult, type TestCandidate, type Verdict } from './prove';
export { PytestWorker, WarmPool, type WarmRunResult } from './warm';
export { disposeWarmPools, sharedWarmPool, TestSession, type SessionOptions } from './session';
export { schemaLanguageOf, screenCandidates, type ScreenOptions, type ScreenResult } from './screen';
export { buildSchema, type Schema, type SchemaLanguage } from './schema';
