// Suite 3, length control: HumanEval generation requests with a limit of N (N = the canonical solution's
// length), asked for in two ways:
//   marker        — our model, the length marker the command palette sends (length_lines / length_tokens N),
//                   through the product's engine with its length guard (answers cut after N lines);
//   marker-raw    — the same request with the guard off: the model's own length control;
//   text          — our model, the same request in plain text ("in at most N lines") on top of the prompt;
//   baseline-text — the no-marker baseline with the plain-text request (the paper's comparison), with --baseline;
//   none          — our model, no limit at all (how long answers are anyway).
// Violation rate = share of outputs over N; closeness = mean |length - N| and mean length / N.
// Empty outputs are counted (they meet any limit); with --length-tests the outputs also run against the tests.
import type { EvalEngine } from '../engine-adapter.js';
import { type Problem } from '../humanevalpack.js';
import { answerLines } from '../truncate.js';
import { engineMap, groupBy, mean, num, pct, progress, rate, table, type Rate, type SuiteContext, type SuiteResult, runnableProblems } from './common.js';
import { generateOne, judgeGenerations } from './synthesis.js';

export const LENGTH_CONDITIONS = ['marker', 'marker-raw', 'text', 'baseline-text', 'none'] as const;
export type LengthCondition = (typeof LENGTH_CONDITIONS)[number];
export type LengthUnit = 'lines' | 'tokens';

export interface LengthRecord {
  language: string;
  taskId: string;
  condition: LengthCondition;
  unit: LengthUnit;
  target: number;
  length: number;
  violation: boolean;
  given: Record<string, string>;
  latencyMs: number;
  /** nothing written (meets any limit) */
  empty: boolean;
  /** the engine's length guard cut the model's answer (it went past the limit) */
  cut?: boolean;
  /** pass@1 of the output, with --length-tests */
  pass?: boolean;
  reason?: string;
}

/** The plain-text form of the request, as a comment line on top of the prompt. */
export function textInstruction(p: Problem, n: number, unit: LengthUnit): string {
  const c = p.language === 'python' ? '#' : '//';
  return `${c} Complete the function in at most ${n} ${unit}.\n`;
}

export function summarizeLength(rs: LengthRecord[]) {
  return {
    violations: rate(rs.filter((r) => r.violation).length, rs.length) as Rate,
    meanAbsError: mean(rs.map((r) => Math.abs(r.length - r.target))),
    meanRatio: mean(rs.filter((r) => r.target > 0).map((r) => r.length / r.target)),
    pass: rs.some((r) => r.pass !== undefined) ? (rate(rs.filter((r) => r.pass).length, rs.length) as Rate) : undefined,
    empty: rs.filter((r) => r.empty).length,
    cut: rs.filter((r) => r.cut).length,
    meanTarget: mean(rs.map((r) => r.target)),
    meanLength: mean(rs.map((r) => r.length)),
  };
}

export async function runLength(ctx: SuiteContext, opts: { conditions: LengthCondition[]; unit: LengthUnit; runTests?: boolean }): Promise<SuiteResult> {
  const t0 = Date.now();
  const notes: string[] = [];
  const problems = await runnableProblems(ctx, notes);
  const records: LengthRecord[] = [];
  const ours = await ctx.engine();
  const measure = (engine: EvalEngine, text: string): number | undefined =>
    opts.unit === 'lines' ? answerLines(text) : engine.countTokens?.(text.replace(/\s+$/, ''));
  for (const condition of opts.conditions) {
    let engine: EvalEngine = ours;
    if (condition === 'baseline-text') {
      if (!ctx.baseline) { notes.push('baseline-text skipped: no --baseline DIR'); continue; }
      engine = await ctx.baseline();
    }
    if (opts.unit === 'tokens' && !ours.countTokens) { notes.push(`length in tokens needs the model's tokenizer (${ours.kind} has none)`); break; }
    ctx.log(`length ${condition} (${opts.unit}): ${problems.length} requests (${engine.kind})`);
    const tick = progress(ctx.log, `length ${condition}`, problems.length);
    const outs = await engineMap(ctx, problems, async (p) => {
      // N is measured with our model's tokenizer for both models, so the targets are the same.
      const target = Math.max(1, measure(ours, p.canonical) ?? 1);
      const marker: Record<string, string> = opts.unit === 'lines' ? { length_lines: String(target) } : { length_tokens: String(target) };
      const prompt = condition === 'text' || condition === 'baseline-text' ? textInstruction(p, target, opts.unit) + p.prompt : p.prompt;
      const mode = condition === 'baseline-text' ? 'baseline' : 'context';
      const withMarker = condition === 'marker' || condition === 'marker-raw';
      const g = await generateOne(engine, p, mode, ctx, prompt, withMarker ? marker : undefined, condition === 'marker-raw' ? { lengthGuard: false } : {});
      const length = measure(ours, g.completion) ?? 0;
      const rec: LengthRecord = {
        language: p.language, taskId: p.taskId, condition, unit: opts.unit, target, length, violation: length > target,
        empty: g.completion.trim() === '', given: g.given, latencyMs: g.latencyMs, reason: g.reason,
      };
      if (g.cutAtLines) rec.cut = true;
      return { rec, completion: g.completion };
    }, tick);
    const recs = outs.map((o) => o.rec);
    const completions = outs.map((o) => o.completion);
    if (opts.runTests) {
      const judged = await judgeGenerations(problems.map((p, i) => ({ p, completion: completions[i]! })), ctx);
      recs.forEach((r, i) => { r.pass = judged[i]!.pass; });
    }
    records.push(...recs);
  }
  const summary: Record<string, unknown> = { unit: opts.unit };
  const rows: string[][] = [];
  const langs = [...new Set(records.map((r) => r.language))];
  for (const [c, rs] of groupBy(records, (r) => r.condition)) {
    const s = summarizeLength(rs);
    const byLang = groupBy(rs, (r) => r.language);
    summary[c] = { ...s, byLanguage: Object.fromEntries([...byLang].map(([l, x]) => [l, summarizeLength(x)])) };
    rows.push([c, pct(s.violations), num(s.meanAbsError, 1), num(s.meanRatio, 2), num(s.meanLength, 1), num(s.meanTarget, 1), String(s.empty), String(s.cut), pct(s.pass),
      ...langs.map((l) => pct(summarizeLength(byLang.get(l) ?? []).violations))]);
  }
  const md = [
    `## Length control (limit N ${opts.unit} = the canonical solution's length)`, '',
    table(['condition', 'violations (> N)', 'mean |len − N|', 'mean len / N', `mean len (${opts.unit})`, 'mean N', 'empty', 'cut by the guard', 'pass@1', ...langs.map((l) => `violations ${l}`)], rows),
  ].join('\n');
  return { suite: 'length', summary, records, markdown: md, notes, seconds: (Date.now() - t0) / 1000 };
}
