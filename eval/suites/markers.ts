// Suite 4, marker inference: on the held-out test split, no markers given, how often the model's own
// markers match the labels, per category (task, code_type, domain, length_bucket, error_type), with a
// confusion table for task. CodeFix examples go through engine.fix, CodeGeneration through engine.generate;
// CodeExplanation has no Engine API call and is counted as skipped.
// A category the engine gave (instead of letting the model infer it) is counted as "given", not scored.
import type { EvalEngine, MarkerMap } from '../engine-adapter.js';
import { fixInput, languageIdFor, sampleTasks, type TaskExample } from '../tasks-data.js';
import { engineMap, groupBy, pct, progress, rate, table, type Rate, type SuiteContext, type SuiteResult } from './common.js';

export const SCORED = ['task', 'code_type', 'domain', 'length_bucket', 'error_type'] as const;

export interface MarkerRecord {
  task: string;
  codeType: string;
  truth: MarkerMap;
  given: MarkerMap;
  inferred: MarkerMap;
  latencyMs: number;
  skipped?: string;
  error?: string;
  /** why the engine answered without a model call (then no marker was written) */
  noModelCall?: string;
}

/** Markers are decoded before the answer: the engine stops when the list is closed (markersOnly), and
 * the list fits this budget. The answer after it cannot change a greedy list, so it is not decoded. */
const MARKER_BUDGET = 64;

export async function inferMarkers(engine: EvalEngine, ex: TaskExample, maxTokens = MARKER_BUDGET): Promise<MarkerRecord> {
  const codeType = ex.markers.code_type ?? '?';
  const base = { task: ex.task, codeType, truth: ex.markers, given: {}, inferred: {}, latencyMs: 0 };
  const languageId = languageIdFor(codeType);
  try {
    if (ex.task === 'CodeFix') {
      const input = fixInput(ex);
      const r = await engine.fix({ text: input.text, languageId, line: input.line, mode: 'none', diagnostic: ex.diagnostic, maxTokens, markersOnly: true });
      const rec: MarkerRecord = { ...base, given: r.given, inferred: r.inferred, latencyMs: r.latencyMs };
      if (Object.keys(r.inferred).length === 0 && Object.keys(r.given).length === 0 && r.reason) rec.noModelCall = r.reason;
      return rec;
    }
    if (ex.task === 'CodeGeneration') {
      const r = await engine.generate({ languageId, prompt: ex.code, mode: 'none', maxTokens, markersOnly: true });
      return { ...base, given: r.given, inferred: r.inferred, latencyMs: r.latencyMs };
    }
    return { ...base, skipped: `no Engine API call for ${ex.task}` };
  } catch (e) {
    return { ...base, error: (e as Error).message };
  }
}

export interface CategoryScore { scored: number; correct: number; accuracy: Rate; given: number; missing: number }

export function scoreMarkers(records: MarkerRecord[]): Record<string, CategoryScore> {
  const out: Record<string, CategoryScore> = {};
  const live = records.filter((r) => !r.skipped && !r.error);
  for (const c of SCORED) {
    const withTruth = live.filter((r) => r.truth[c] !== undefined);
    const given = withTruth.filter((r) => r.given[c] !== undefined).length;
    const inferred = withTruth.filter((r) => r.given[c] === undefined && r.inferred[c] !== undefined);
    const missing = withTruth.length - given - inferred.length;
    const correct = inferred.filter((r) => r.inferred[c] === r.truth[c]).length;
    // Accuracy over every example the model had to infer it for: a missing marker counts as wrong.
    out[c] = { scored: inferred.length, correct, accuracy: rate(correct, inferred.length + missing), given, missing };
  }
  return out;
}

export function taskConfusion(records: MarkerRecord[]): { labels: string[]; rows: Record<string, Record<string, number>> } {
  const rows: Record<string, Record<string, number>> = {};
  const labels = new Set<string>();
  for (const r of records) {
    if (r.skipped || r.error) continue;
    const pred = r.given.task !== undefined ? `given:${r.given.task}` : r.inferred.task ?? '(none)';
    labels.add(pred);
    rows[r.task] ??= {};
    rows[r.task]![pred] = (rows[r.task]![pred] ?? 0) + 1;
  }
  return { labels: [...labels].sort(), rows };
}

/** The engine's reasons for answering without a model call (its markers then count as not written). */
export function noModelCallLines(records: MarkerRecord[]): string[] {
  const why = new Map<string, string[]>();
  for (const r of records) {
    if (!r.noModelCall) continue;
    const reason = r.noModelCall.replace(/\d+/g, 'N'); // one row per kind of reason, not per line number
    why.set(reason, [...(why.get(reason) ?? []), r.codeType]);
  }
  if (why.size === 0) return [];
  return ['', 'Answered without a model call (no markers written; counted as wrong above):', '',
    table(['engine reason', 'examples', 'languages'], [...why].map(([k, v]) => [k, String(v.length), [...new Set(v)].sort().join(', ')]))];
}

export async function runMarkers(ctx: SuiteContext, opts: { perBucket: number }): Promise<SuiteResult> {
  const t0 = Date.now();
  const notes: string[] = [];
  const buckets = await sampleTasks(ctx.tasksDir, 'test', (e) => `${e.task}/${e.markers.code_type ?? '?'}`, opts.perBucket);
  const examples = [...buckets.values()].flat();
  if (examples.length === 0) {
    notes.push(`no held-out examples in ${ctx.tasksDir} (test-*.jsonl.xz): run npm run data`);
    return { suite: 'markers', summary: { examples: 0 }, records: [], markdown: `## Marker inference\n\nNo held-out data in \`${ctx.tasksDir}\`.`, notes };
  }
  const engine = await ctx.engine();
  ctx.log(`markers: ${examples.length} held-out examples (${engine.kind})`);
  const tick = progress(ctx.log, 'markers', examples.length);
  const records: MarkerRecord[] = await engineMap(ctx, examples, (ex) => inferMarkers(engine, ex), tick);
  const scores = scoreMarkers(records);
  const byTask = Object.fromEntries([...groupBy(records, (r) => r.task)].map(([t, rs]) => [t, scoreMarkers(rs)]));
  const conf = taskConfusion(records);
  const skipped = records.filter((r) => r.skipped).length;
  const errors = records.filter((r) => r.error).length;
  const md = [
    '## Marker inference on the held-out split (no markers given)', '',
    table(['category', 'accuracy (inferred = label)', 'inferred', 'given by the engine (not scored)', 'not written'],
      SCORED.map((c) => [c, pct(scores[c]!.accuracy), String(scores[c]!.scored), String(scores[c]!.given), String(scores[c]!.missing)])),
    '', 'Task confusion (rows: label, columns: the model\'s task marker):', '',
    table(['label \\ predicted', ...conf.labels], Object.entries(conf.rows).map(([t, row]) => [t, ...conf.labels.map((l) => String(row[l] ?? 0))])),
    '', `${records.length} examples (${opts.perBucket} per task and language at most); ${skipped} skipped (no Engine API call for the task), ${errors} engine errors.`,
    ...noModelCallLines(records),
  ].join('\n');
  if (Object.values(scores).some((s) => s.given > 0)) {
    notes.push('the engine gave some markers from context although none were asked for: those categories are not scored (see engine-adapter.ts)');
  }
  return {
    suite: 'markers', summary: { examples: records.length, skipped, errors, scores, byTask, taskConfusion: conf }, records, markdown: md, notes,
    seconds: (Date.now() - t0) / 1000,
  };
}
