// Suite 1, HumanEvalFix: the document `declaration + buggy_solution` (variant "tests": followed by the
// problem's tests), the engine fixes the function around a line of its body, FixResult.fixed is run with
// the tests. pass@1 per mode, language and bug type. No fix = failed (counted as no_fix).
// Variant "canonical" (abstention, issue 28): the document `declaration + canonical_solution`, correct code:
// the right answer is no fix (the model returns the code unchanged); a fix offered is judged by the tests
// (still passing: a harmless rewrite; failing: a correct function broken). pass = the code passes after
// the engine's answer, abstained = no fix because the model returned the code unchanged.
import type { EvalEngine, MarkerMap, MarkerMode } from '../engine-adapter.js';
import { bodyLine, buggyDocument, canonicalDocument, LANGUAGE_ID, type Problem } from '../humanevalpack.js';
import { programFor, runProgram, runPrograms, type ErrorKind, type Program } from '../runner.js';
import { counts, engineForMode, engineMap, groupBy, mean, median, NOT_RUN, num, pct, progress, rate, table, type Rate, type SuiteContext, type SuiteResult, runnableProblems } from './common.js';

/** none: no markers (model infers all); context: as the editor sets them; bugtype: context + the true error_type; baseline: the no-marker model. */
export const FIX_MODES = ['none', 'context', 'bugtype', 'baseline'] as const;
export type FixMode = (typeof FIX_MODES)[number];
export const FIX_VARIANTS = ['plain', 'tests', 'canonical'] as const;
export type FixVariant = (typeof FIX_VARIANTS)[number];

export interface FixRecord {
  language: string;
  taskId: string;
  bugType: string;
  mode: FixMode;
  variant: FixVariant;
  given: MarkerMap;
  inferred: MarkerMap;
  markersHonored: boolean;
  latencyMs: number;
  fixReturned: boolean;
  reason?: string;
  pass: boolean;
  errorKind?: ErrorKind;
  detail?: string;
  execMs?: number;
  /** the engine's confidence in its unverified fix (--min-confidence runs; the calibration) */
  confidence?: number;
}

function inputDocument(p: Problem, variant: FixVariant): string {
  if (variant === 'canonical') return canonicalDocument(p);
  return variant === 'tests' ? buggyDocument(p) + '\n' + p.test : buggyDocument(p);
}

/** The line the request points at: the first body line of the function in the variant's document. */
function requestLine(p: Problem, variant: FixVariant): number {
  return variant === 'canonical' ? bodyLine({ ...p, buggy: p.canonical }) : bodyLine(p);
}

/** No fix for correct code because the model wrote it back unchanged: the engine's abstention. */
export function abstained(r: Pick<FixRecord, 'fixReturned' | 'reason'>): boolean {
  return !r.fixReturned && /returned the code unchanged|finds nothing to fix/.test(r.reason ?? '');
}

export async function fixOne(engine: EvalEngine, p: Problem, mode: FixMode, variant: FixVariant, ctx: Pick<SuiteContext, 'maxTokens' | 'given' | 'minConfidence'>): Promise<Omit<FixRecord, 'pass' | 'errorKind' | 'detail'> & { fixed: string | null }> {
  const base = { language: p.language, taskId: p.taskId, bugType: p.bugType, mode, variant };
  const explicit: MarkerMap = { ...ctx.given, ...(mode === 'bugtype' ? { error_type: p.bugType } : {}) };
  const markers: MarkerMap | undefined = Object.keys(explicit).length ? explicit : undefined;
  const engineMode: MarkerMode = mode === 'none' ? 'none' : mode === 'baseline' ? 'baseline' : 'context';
  try {
    const r = await engine.fix({ text: inputDocument(p, variant), languageId: LANGUAGE_ID[p.language], line: requestLine(p, variant), mode: engineMode, markers, maxTokens: ctx.maxTokens, minConfidence: ctx.minConfidence });
    return { ...base, given: r.given, inferred: r.inferred, markersHonored: r.markersHonored, latencyMs: r.latencyMs, fixReturned: r.fixed !== null, reason: r.reason, fixed: r.fixed, ...(r.confidence !== undefined ? { confidence: r.confidence } : {}) };
  } catch (e) {
    return { ...base, given: {}, inferred: {}, markersHonored: true, latencyMs: 0, fixReturned: false, reason: `engine error: ${(e as Error).message}`, fixed: null };
  }
}

/** The program to run for a fix: the fixed document + tests (variant "tests": the tests must still be in it, unchanged). */
export function fixProgram(p: Problem, variant: FixVariant, fixed: string | null): Program | { pass: false; errorKind: ErrorKind } {
  if (fixed === null) return variant === 'canonical' ? programFor(p, canonicalDocument(p)) : { pass: false, errorKind: 'no_fix' };
  if (variant === 'tests') {
    if (!fixed.includes(p.test.trim())) return { pass: false, errorKind: 'test_modified' };
    // the document still ends with the tests: the same file as the plain variant's program for this code
    const tests = '\n' + p.test;
    if (fixed.endsWith(tests)) return programFor(p, fixed.slice(0, -tests.length));
    return programFor(p, fixed, '');
  }
  return programFor(p, fixed);
}

/** Runs the fixes' programs (Java compiled in batches); one judgement per fix, in order. */
export async function judgeFixes(items: { p: Problem; variant: FixVariant; fixed: string | null }[], ctx: Pick<SuiteContext, 'limits' | 'jobs' | 'generateOnly'>): Promise<{ pass: boolean; errorKind?: ErrorKind; detail?: string; execMs?: number }[]> {
  if (ctx.generateOnly) return items.map(() => ({ ...NOT_RUN }));
  const progs = items.map((it) => fixProgram(it.p, it.variant, it.fixed));
  const runnable = progs.map((x, i) => ({ x, i })).filter((y): y is { x: Program; i: number } => 'language' in y.x);
  const rs = await runPrograms(runnable.map((y) => y.x), ctx.limits, ctx.jobs);
  const out: { pass: boolean; errorKind?: ErrorKind; detail?: string; execMs?: number }[] = progs.map((x) => ('language' in x ? { pass: false } : x));
  runnable.forEach((y, k) => { const r = rs[k]!; out[y.i] = { pass: r.pass, errorKind: r.kind, detail: r.detail, execMs: r.ms }; });
  return out;
}

export async function judgeFix(p: Problem, variant: FixVariant, fixed: string | null, ctx: Pick<SuiteContext, 'limits'>): Promise<{ pass: boolean; errorKind?: ErrorKind; detail?: string; execMs?: number }> {
  const prog = fixProgram(p, variant, fixed);
  if (!('language' in prog)) return prog;
  const r = await runProgram(prog, ctx.limits);
  return { pass: r.pass, errorKind: r.kind, detail: r.detail, execMs: r.ms };
}

export interface FixGroupSummary {
  pass: Rate;
  noFix: number;
  errorKinds: Record<string, number>;
  meanLatencyMs: number;
  medianLatencyMs: number;
  /** records where the engine gave markers the mode does not allow (mode not measured as specified) */
  markersNotHonored: number;
}

export function summarizeFix(records: FixRecord[]): FixGroupSummary {
  return {
    pass: rate(records.filter((r) => r.pass).length, records.length),
    noFix: records.filter((r) => !r.fixReturned).length,
    errorKinds: counts(records, (r) => r.errorKind),
    meanLatencyMs: Math.round(mean(records.filter((r) => r.fixReturned || r.latencyMs > 0).map((r) => r.latencyMs))),
    medianLatencyMs: Math.round(median(records.filter((r) => r.fixReturned || r.latencyMs > 0).map((r) => r.latencyMs))),
    markersNotHonored: records.filter((r) => !r.markersHonored).length,
  };
}

/** Exact two-sided McNemar (sign) test: the chance of a split at least this uneven among the
 * problems only one side fixed, were both sides equally good. */
export function mcnemarP(onlyA: number, onlyB: number): number {
  const n = onlyA + onlyB;
  if (n === 0) return 1;
  let logC = 0; // log C(n, k), built up term by term (C(984, k) overflows a double)
  let tail = 0;
  for (let k = 0; k <= Math.min(onlyA, onlyB); k++) {
    if (k > 0) logC += Math.log((n - k + 1) / k);
    tail += Math.exp(logC - n * Math.LN2);
  }
  return Math.min(1, 2 * tail);
}

export interface PairedComparison {
  condition: string; problems: number;
  both: number; onlyCondition: number; onlyBaseline: number;
  /** relative difference of pass@1 averaged over the languages: (mean of condition - mean of baseline) / mean of baseline */
  relativeOverLanguages: number | null;
  mcnemarP: number;
}

/** Each condition against the baseline of the same variant, problem by problem (the headline's comparison):
 * a relative gain is only as good as the split of the problems one side alone fixed. */
export function pairedVsBaseline(records: FixRecord[]): PairedComparison[] {
  const out: PairedComparison[] = [];
  for (const variant of new Set(records.map((r) => r.variant))) {
    const base = new Map(records.filter((r) => r.mode === 'baseline' && r.variant === variant).map((r) => [r.taskId, r]));
    if (!base.size) continue;
    for (const mode of new Set(records.filter((r) => r.mode !== 'baseline' && r.variant === variant).map((r) => r.mode))) {
      const pairs = records.filter((r) => r.mode === mode && r.variant === variant && base.has(r.taskId)).map((r) => [r, base.get(r.taskId)!] as const);
      const both = pairs.filter(([c, b]) => c.pass && b.pass).length;
      const onlyC = pairs.filter(([c, b]) => c.pass && !b.pass).length;
      const onlyB = pairs.filter(([c, b]) => !c.pass && b.pass).length;
      const byLang = [...groupBy(pairs, ([c]) => c.language).values()];
      const meanRate = (side: 0 | 1) => mean(byLang.map((ps) => ps.filter((p) => p[side].pass).length / ps.length));
      const mb = meanRate(1);
      out.push({ condition: `${mode}/${variant}`, problems: pairs.length, both, onlyCondition: onlyC, onlyBaseline: onlyB,
        relativeOverLanguages: mb > 0 ? (meanRate(0) - mb) / mb : null, mcnemarP: mcnemarP(onlyC, onlyB) });
    }
  }
  return out;
}

export function fixMarkdown(records: FixRecord[], title = 'HumanEvalFix (pass@1)'): string {
  const out: string[] = [`## ${title}`, ''];
  const conds = groupBy(records, (r) => `${r.mode}/${r.variant}`);
  const langs = [...new Set(records.map((r) => r.language))];
  const bugs = [...new Set(records.map((r) => r.bugType))].sort();
  out.push('By language (mode/variant rows):', '');
  out.push(table(['mode/variant', 'all', ...langs, 'no fix', 'median latency'], [...conds].map(([c, rs]) => {
    const s = summarizeFix(rs);
    const byLang = groupBy(rs, (r) => r.language);
    return [c, pct(s.pass), ...langs.map((l) => pct(summarizeFix(byLang.get(l) ?? []).pass)), String(s.noFix), `${num(s.medianLatencyMs, 0)} ms`];
  })));
  out.push('', 'By bug type:', '');
  out.push(table(['mode/variant', ...bugs], [...conds].map(([c, rs]) => {
    const byBug = groupBy(rs, (r) => r.bugType);
    return [c, ...bugs.map((b) => pct(summarizeFix(byBug.get(b) ?? []).pass))];
  })));
  out.push('', 'Failures by kind:', '');
  const kinds = ['no_fix', 'compile_error', 'assertion', 'runtime_error', 'timeout', 'test_modified', 'infra'];
  out.push(table(['mode/variant', ...kinds], [...conds].map(([c, rs]) => { const k = summarizeFix(rs).errorKinds; return [c, ...kinds.map((x) => String(k[x] ?? 0))]; })));
  const paired = pairedVsBaseline(records);
  if (paired.length) {
    out.push('', 'Paired against the no-marker baseline (the same problems; relative: pass@1 averaged over the languages; p: exact McNemar test on the problems one side alone fixed):', '');
    out.push(table(['condition', 'problems', 'fixed by both', 'only this condition', 'only the baseline', 'relative', 'p'], paired.map((c) =>
      [c.condition, String(c.problems), String(c.both), String(c.onlyCondition), String(c.onlyBaseline),
        c.relativeOverLanguages === null ? '–' : `${c.relativeOverLanguages >= 0 ? '+' : ''}${(100 * c.relativeOverLanguages).toFixed(1)}%`, c.mcnemarP.toFixed(3)])));
  }
  const canon = [...conds].filter(([c]) => c.endsWith('/canonical'));
  if (canon.length) {
    out.push('', 'Correct code in (variant canonical: `declaration + canonical_solution`; the right answer is no change):', '');
    out.push(table(['mode/variant', 'problems', 'abstained (returned unchanged)', 'other no fix', 'fix offered, still passes', 'fix offered, broke it'], canon.map(([c, rs]) => {
      const offered = rs.filter((r) => r.fixReturned);
      return [c, String(rs.length), pct(rate(rs.filter(abstained).length, rs.length)), String(rs.filter((r) => !r.fixReturned && !abstained(r)).length),
        String(offered.filter((r) => r.pass).length), String(offered.filter((r) => !r.pass).length)];
    })));
  }
  const bad = [...conds].filter(([, rs]) => summarizeFix(rs).markersNotHonored > 0);
  if (bad.length) {
    out.push('', ...bad.map(([c, rs]) => `**Warning:** ${c}: the engine gave markers this mode does not allow in ${summarizeFix(rs).markersNotHonored}/${rs.length} requests — these numbers do not measure "${c.split('/')[0]}" as specified (see eval/engine-adapter.ts).`));
  }
  return out.join('\n');
}

/** testsModes: the modes the "tests" variant runs for (default: all of `modes`). */
export async function runHumanEvalFix(ctx: SuiteContext, opts: { modes: FixMode[]; variants: FixVariant[]; testsModes?: FixMode[] }): Promise<SuiteResult> {
  const t0 = Date.now();
  const notes: string[] = [];
  const problems = await runnableProblems(ctx, notes, 'humanevalfix');
  const records: FixRecord[] = [];
  for (const mode of opts.modes) {
    const engine = await engineForMode(ctx, mode, notes);
    if (!engine) continue;
    const variants = opts.variants.filter((v) => v !== 'tests' || !opts.testsModes || opts.testsModes.includes(mode));
    if (!variants.length) continue;
    if (variants.length > 1) notes.push(`${mode}: the variants of a problem ran one after the other on one engine; where their prompts are the same function, the later one was answered from the engine's fix memo (its latency is the memo's, not a model's)`);
    const label = `${mode}/${variants.join('+')}`;
    ctx.log(`humanevalfix ${label}: ${problems.length} problems (${engine.kind})`);
    const tick = progress(ctx.log, `fix ${label}`, problems.length);
    // A problem's variants one after the other, on the engine that just answered it: the "tests"
    // variant's prompt is the same function, so the engine's fix memo answers it without the model.
    // ctx.engineJobs problems at a time (one engine: one); then the tests run on all cores.
    const fixes = await engineMap(ctx, problems, async (p) => {
      const out = [];
      for (const variant of variants) out.push(await fixOne(engine, p, mode, variant, ctx));
      return out;
    }, tick);
    const t1 = Date.now();
    const items = variants.flatMap((variant, v) => problems.map((p, i) => ({ p, variant, fix: fixes[i]![v]! })));
    const judged = await judgeFixes(items.map(({ p, variant, fix }) => ({ p, variant, fixed: fix.fixed })), ctx);
    ctx.log(`  tests ${label}: ${((Date.now() - t1) / 1000).toFixed(0)} s`);
    items.forEach(({ fix: { fixed: _fixed, ...rest } }, k) => records.push({ ...rest, ...judged[k]! }));
  }
  const summary: Record<string, unknown> = {};
  for (const [c, rs] of groupBy(records, (r) => `${r.mode}/${r.variant}`)) {
    summary[c] = {
      ...summarizeFix(rs),
      ...(c.endsWith('/canonical') ? { abstained: rate(rs.filter(abstained).length, rs.length), byLanguageAbstained: Object.fromEntries([...groupBy(rs, (r) => r.language)].map(([l, x]) => [l, rate(x.filter(abstained).length, x.length)])) } : {}),
      byLanguage: Object.fromEntries([...groupBy(rs, (r) => r.language)].map(([l, x]) => [l, summarizeFix(x)])),
      byBugType: Object.fromEntries([...groupBy(rs, (r) => r.bugType)].map(([b, x]) => [b, summarizeFix(x).pass])),
    };
  }
  return { suite: 'humanevalfix', summary, records, markdown: fixMarkdown(records), notes, seconds: (Date.now() - t0) / 1000 };
}
