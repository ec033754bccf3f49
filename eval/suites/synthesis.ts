// Suite 2, HumanEval synthesis (CodeGeneration) from the same data: the prompt (signature + docstring)
// is continued by engine.generate, cut where the function closes, and run as prompt + continuation + test.
// Modes: none (no markers), context (task/code_type as the editor sets them), baseline (no-marker model).
// The harness check: prompt + canonical_solution + test must pass.
import type { EvalEngine, EvalGenerateRequest, MarkerMode } from '../engine-adapter.js';
import { LANGUAGE_ID, type Problem } from '../humanevalpack.js';
import { programFor, runProgram, runPrograms, type ErrorKind } from '../runner.js';
import { truncateGeneration } from '../truncate.js';
import { counts, engineForMode, engineMap, groupBy, mean, median, NOT_RUN, num, pct, progress, rate, table, type Rate, type SuiteContext, type SuiteResult, runnableProblems } from './common.js';

export const GEN_MODES = ['none', 'context', 'baseline'] as const;
export type GenMode = (typeof GEN_MODES)[number];

export interface GenRecord {
  language: string;
  taskId: string;
  mode: GenMode;
  given: Record<string, string>;
  inferred: Record<string, string>;
  markersHonored: boolean;
  latencyMs: number;
  /** the continuation as run (after cutting at the end of the function) */
  completion: string;
  truncated: boolean;
  reason?: string;
  pass: boolean;
  errorKind?: ErrorKind;
  detail?: string;
}

export async function generateOne(engine: EvalEngine, p: Problem, mode: GenMode, ctx: Pick<SuiteContext, 'maxTokens'>, prompt = p.prompt, markers?: Record<string, string>, opts: { lengthGuard?: false } = {}) {
  const engineMode: MarkerMode = mode === 'none' ? 'none' : mode === 'baseline' ? 'baseline' : 'context';
  try {
    const req: EvalGenerateRequest = { languageId: LANGUAGE_ID[p.language], prompt, mode: engineMode, markers, maxTokens: ctx.maxTokens };
    if (opts.lengthGuard === false) req.lengthGuard = false;
    const g = await engine.generate(req);
    const t = truncateGeneration(p.language, prompt, g.text);
    return { given: g.given, inferred: g.inferred, markersHonored: g.markersHonored, latencyMs: g.latencyMs, completion: t.text, truncated: t.truncated, cutAtLines: g.cutAtLines, reason: undefined as string | undefined };
  } catch (e) {
    return { given: {}, inferred: {}, markersHonored: true, latencyMs: 0, completion: '', truncated: false, cutAtLines: undefined, reason: `engine error: ${(e as Error).message}` };
  }
}

/** Runs prompt + continuation + tests for many generations (Java compiled in batches); in order. */
export async function judgeGenerations(items: { p: Problem; completion: string }[], ctx: Pick<SuiteContext, 'limits' | 'jobs' | 'generateOnly'>): Promise<{ pass: boolean; errorKind?: ErrorKind; detail?: string }[]> {
  if (ctx.generateOnly) return items.map(() => ({ ...NOT_RUN }));
  const live = items.map((it, i) => ({ it, i })).filter((x) => x.it.completion.trim() !== '');
  const rs = await runPrograms(live.map((x) => programFor(x.it.p, x.it.p.prompt + x.it.completion)), ctx.limits, ctx.jobs);
  const out: { pass: boolean; errorKind?: ErrorKind; detail?: string }[] = items.map(() => ({ pass: false, errorKind: 'no_fix' as ErrorKind }));
  live.forEach((x, k) => { const r = rs[k]!; out[x.i] = { pass: r.pass, errorKind: r.kind, detail: r.detail }; });
  return out;
}

export async function judgeGeneration(p: Problem, completion: string, ctx: Pick<SuiteContext, 'limits'>): Promise<{ pass: boolean; errorKind?: ErrorKind; detail?: string }> {
  if (completion.trim() === '') return { pass: false, errorKind: 'no_fix' };
  const r = await runProgram(programFor(p, p.prompt + completion), ctx.limits);
  return { pass: r.pass, errorKind: r.kind, detail: r.detail };
}

function summarizeGen(rs: GenRecord[]) {
  const lat = rs.filter((r) => r.latencyMs > 0).map((r) => r.latencyMs);
  return {
    pass: rate(rs.filter((r) => r.pass).length, rs.length) as Rate,
    empty: rs.filter((r) => r.completion.trim() === '').length,
    errorKinds: counts(rs, (r) => r.errorKind),
    meanLatencyMs: Math.round(mean(lat)),
    medianLatencyMs: Math.round(median(lat)),
    markersNotHonored: rs.filter((r) => !r.markersHonored).length,
  };
}

export async function runSynthesis(ctx: SuiteContext, opts: { modes: GenMode[] }): Promise<SuiteResult> {
  const t0 = Date.now();
  const notes: string[] = [];
  const problems = await runnableProblems(ctx, notes);
  // Harness check: the canonical solution completes each prompt (not with --generate-only: nothing runs).
  const canon = ctx.generateOnly ? problems.map(() => ({ pass: false })) : await runPrograms(problems.map((p) => programFor(p, p.prompt + p.canonical)), ctx.limits, ctx.jobs);
  const canonical = Object.fromEntries([...groupBy(problems.map((p, i) => ({ p, ok: canon[i]!.pass })), (x) => x.p.language)]
    .map(([l, xs]) => [l, rate(xs.filter((x) => x.ok).length, xs.length)]));
  const canonicalFailures = problems.filter((_, i) => !canon[i]!.pass).map((p) => p.taskId);
  const records: GenRecord[] = [];
  for (const mode of opts.modes) {
    const engine = await engineForMode(ctx, mode, notes);
    if (!engine) continue;
    ctx.log(`synthesis ${mode}: ${problems.length} problems (${engine.kind})`);
    const tick = progress(ctx.log, `generate ${mode}`, problems.length);
    const gens = await engineMap(ctx, problems, (p) => generateOne(engine, p, mode, ctx), tick);
    const judged = await judgeGenerations(problems.map((p, i) => ({ p, completion: gens[i]!.completion })), ctx);
    problems.forEach((p, i) => records.push({ language: p.language, taskId: p.taskId, mode, ...gens[i]!, ...judged[i]! }));
  }
  const summary: Record<string, unknown> = { canonical, canonicalFailures };
  const langs = [...new Set(problems.map((p) => p.language))];
  const rows: string[][] = [];
  for (const [mode, rs] of groupBy(records, (r) => r.mode)) {
    const s = summarizeGen(rs);
    const byLang = groupBy(rs, (r) => r.language);
    summary[mode] = { ...s, byLanguage: Object.fromEntries([...byLang].map(([l, x]) => [l, summarizeGen(x)])) };
    rows.push([mode, pct(s.pass), ...langs.map((l) => pct(summarizeGen(byLang.get(l) ?? []).pass)), String(s.empty), `${num(s.medianLatencyMs, 0)} ms`]);
  }
  const md = [
    '## HumanEval synthesis (pass@1)', '',
    table(['mode', 'all', ...langs, 'empty', 'median latency'], rows), '',
    `Harness check, prompt + canonical solution: ${langs.map((l) => `${l} ${pct(canonical[l])}`).join(', ')}.`,
    ...[...groupBy(records, (r) => r.mode)].filter(([, rs]) => summarizeGen(rs).markersNotHonored > 0)
      .map(([m, rs]) => `\n**Warning:** ${m}: the engine gave markers this mode does not allow in ${summarizeGen(rs).markersNotHonored}/${rs.length} requests.`),
  ].join('\n');
  return { suite: 'synthesis', summary, records, markdown: md, notes, seconds: (Date.now() - t0) / 1000 };
}
