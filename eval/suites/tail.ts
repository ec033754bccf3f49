// Suite 5, the long tail: on the held-out split, fix and generation quality per language, head languages
// (markers.json code_type.head) against tail languages — the paper's long-tail claim.
//   fix        — CodeFix examples with source Synthetic (our injected bugs): the engine fixes the function
//                (markers from context, as the editor); exact match of the fixed function with the answer
//                (whitespace-normalized), and the share of requests that got a fix at all.
//   generation — CodeGeneration examples: the continuation against the answer: exact match, first line
//                exact, character edit similarity.
// These examples have no tests; match metrics are what can be measured for every language.
import type { EvalEngine } from '../engine-adapter.js';
import { fixInput, isHeadLanguage, languageIdFor, sampleTasks, type TaskExample } from '../tasks-data.js';
import { engineMap, groupBy, mean, num, pct, progress, rate, table, type Rate, type SuiteContext, type SuiteResult } from './common.js';

export interface TailRecord {
  kind: 'fix' | 'generation';
  codeType: string;
  head: boolean;
  exact: boolean;
  firstLine?: boolean;
  similarity: number;
  answered: boolean;
  latencyMs: number;
  reason?: string;
  /** made by the no-marker baseline (--baseline), not the marker model */
  baseline?: boolean;
}

/** Whitespace-insensitive at line ends and around the text; blank lines dropped. */
export function normalizeCode(s: string): string {
  return s.replace(/\r\n/g, '\n').split('\n').map((l) => l.replace(/\s+$/, '')).filter((l) => l !== '').join('\n');
}

/** 1 - Levenshtein distance / longer length (texts capped at 4000 characters). */
export function editSimilarity(a: string, b: string): number {
  a = a.slice(0, 4000);
  b = b.slice(0, 4000);
  if (a === b) return 1;
  if (!a.length || !b.length) return 0;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return 1 - prev[b.length]! / Math.max(a.length, b.length);
}

const firstLine = (s: string) => normalizeCode(s).split('\n')[0] ?? '';

export async function tailOne(engine: EvalEngine, ex: TaskExample, maxTokens?: number): Promise<TailRecord> {
  const codeType = ex.markers.code_type ?? '?';
  const head = isHeadLanguage(codeType);
  const languageId = languageIdFor(codeType);
  try {
    if (ex.task === 'CodeFix') {
      const input = fixInput(ex);
      const r = await engine.fix({ text: input.text, languageId, line: input.line, mode: 'context', diagnostic: ex.diagnostic, maxTokens });
      const out = r.fixed !== null ? input.unwrap(r.fixed) : '';
      return { kind: 'fix', codeType, head, answered: r.fixed !== null, exact: r.fixed !== null && normalizeCode(out) === normalizeCode(ex.answer), similarity: r.fixed !== null ? editSimilarity(normalizeCode(out), normalizeCode(ex.answer)) : 0, latencyMs: r.latencyMs, reason: r.reason };
    }
    const g = await engine.generate({ languageId, prompt: ex.code, mode: 'context', maxTokens });
    return {
      kind: 'generation', codeType, head, answered: g.text.trim() !== '', exact: normalizeCode(g.text) === normalizeCode(ex.answer),
      firstLine: firstLine(g.text) === firstLine(ex.answer), similarity: editSimilarity(normalizeCode(g.text), normalizeCode(ex.answer)), latencyMs: g.latencyMs,
    };
  } catch (e) {
    return { kind: ex.task === 'CodeFix' ? 'fix' : 'generation', codeType, head, answered: false, exact: false, similarity: 0, latencyMs: 0, reason: `engine error: ${(e as Error).message}` };
  }
}

export function summarizeTail(rs: TailRecord[]) {
  return {
    n: rs.length,
    exact: rate(rs.filter((r) => r.exact).length, rs.length) as Rate,
    answered: rate(rs.filter((r) => r.answered).length, rs.length) as Rate,
    firstLine: rate(rs.filter((r) => r.firstLine).length, rs.filter((r) => r.firstLine !== undefined).length) as Rate,
    similarity: mean(rs.map((r) => r.similarity)),
  };
}

/** Head vs tail: pooled over examples, and the mean over languages (each language counts once). */
export function headTail(rs: TailRecord[]) {
  const out: Record<string, unknown> = {};
  for (const [grp, xs] of [['head', rs.filter((r) => r.head)], ['tail', rs.filter((r) => !r.head)]] as const) {
    const perLang = [...groupBy(xs, (r) => r.codeType).values()].map(summarizeTail);
    out[grp] = { pooled: summarizeTail(xs), languages: perLang.length, macroExact: mean(perLang.map((s) => s.exact.rate)), macroSimilarity: mean(perLang.map((s) => s.similarity)) };
  }
  return out as { head: { pooled: ReturnType<typeof summarizeTail>; languages: number; macroExact: number; macroSimilarity: number }; tail: { pooled: ReturnType<typeof summarizeTail>; languages: number; macroExact: number; macroSimilarity: number } };
}

export async function runTail(ctx: SuiteContext, opts: { perLanguage: number }): Promise<SuiteResult> {
  const t0 = Date.now();
  const notes: string[] = [];
  const buckets = await sampleTasks(ctx.tasksDir, 'test', (e) => {
    if (e.task === 'CodeFix' && e.markers.source === 'Synthetic') return `fix/${e.markers.code_type}`;
    if (e.task === 'CodeGeneration') return `generation/${e.markers.code_type}`;
    return undefined;
  }, opts.perLanguage);
  const examples = [...buckets.values()].flat();
  if (examples.length === 0) {
    notes.push(`no held-out examples in ${ctx.tasksDir}: run npm run data`);
    return { suite: 'tail', summary: { examples: 0 }, records: [], markdown: `## Long tail\n\nNo held-out data in \`${ctx.tasksDir}\`.`, notes };
  }
  const engine = await ctx.engine();
  ctx.log(`tail: ${examples.length} held-out examples (${engine.kind})`);
  const records: TailRecord[] = await engineMap(ctx, examples, (ex) => tailOne(engine, ex, ctx.maxTokens), progress(ctx.log, 'tail', examples.length));
  // The paper's claim is about the gap to a model trained without markers: the same examples on it.
  let baseline: TailRecord[] | undefined;
  if (ctx.baseline) {
    const b = await ctx.baseline();
    baseline = await engineMap(ctx, examples, (ex) => tailOne(b, ex, ctx.maxTokens), progress(ctx.log, 'tail baseline', examples.length));
  } else notes.push('no --baseline DIR: the no-marker baseline was not run');
  const summary: Record<string, unknown> = {};
  const md: string[] = ['## Long tail: head vs tail languages (held-out split)', ''];
  const ours = [...groupBy(records, (r) => r.kind)].map(([kind, rs]) => ({ kind, rs, ht: headTail(rs) }));
  if (baseline) {
    const theirs = new Map([...groupBy(baseline, (r) => r.kind)].map(([k, rs]) => [k, headTail(rs)]));
    summary.baseline = Object.fromEntries(theirs);
    const cell = (s: { macroExact: number; macroSimilarity: number }) => `${num(100 * s.macroExact, 1)}% (${num(s.macroSimilarity, 3)})`;
    md.push('Marker model (context markers) vs the no-marker baseline, exact match, mean over languages (edit similarity):', '');
    md.push(table(['task', 'group', 'languages', 'markers', 'baseline'], ours.flatMap(({ kind, ht }) => {
      const b = theirs.get(kind) ?? headTail([]);
      return (['head', 'tail'] as const).map((g) => [kind, g, String(ht[g].languages), cell(ht[g]), cell(b[g])]);
    })), '', 'The marker model alone, in detail:', '');
  }
  for (const { kind, rs, ht } of ours) {
    const byLang = [...groupBy(rs, (r) => r.codeType)].sort(([a], [b]) => a.localeCompare(b));
    summary[kind] = { ...ht, byLanguage: Object.fromEntries(byLang.map(([l, x]) => [l, summarizeTail(x)])) };
    const label = kind === 'fix' ? 'Fix (synthetic bugs): exact match of the fixed function' : 'Generation: exact match of the continuation';
    md.push(`${label}.`, '');
    md.push(table(['group', 'languages', 'examples', 'exact (pooled)', 'exact (mean over languages)', 'edit similarity (mean over languages)', kind === 'fix' ? 'got a fix' : 'first line exact'], (['head', 'tail'] as const).map((g) => {
      const s = ht[g];
      return [g, String(s.languages), String(s.pooled.n), pct(s.pooled.exact), num(100 * s.macroExact, 1) + '%', num(s.macroSimilarity, 3), kind === 'fix' ? pct(s.pooled.answered) : pct(s.pooled.firstLine)];
    })));
    md.push('', table(['language', 'head/tail', 'examples', 'exact', 'edit similarity', kind === 'fix' ? 'got a fix' : 'first line exact'], byLang.map(([l, x]) => {
      const s = summarizeTail(x);
      return [l, isHeadLanguage(l) ? 'head' : 'tail', String(s.n), pct(s.exact), num(s.similarity, 3), kind === 'fix' ? pct(s.answered) : pct(s.firstLine)];
    })), '');
  }
  return { suite: 'tail', summary, records: baseline ? [...records, ...baseline.map((r) => ({ ...r, baseline: true }))] : records, markdown: md.join('\n'), notes, seconds: (Date.now() - t0) / 1000 };
}
