// What every suite gets, what it returns, and the summary arithmetic they share.
import type { EvalEngine } from '../engine-adapter.js';
import { loadProblems, type HepLanguage, type Problem } from '../humanevalpack.js';
import { pool } from '../proc.js';
import { toolchain, type RunLimits } from '../runner.js';

export interface SuiteContext {
  /** the product's engine on the model under test (loaded on first use) */
  engine: () => Promise<EvalEngine>;
  /** the no-marker baseline model, when --baseline DIR was given */
  baseline?: () => Promise<EvalEngine>;
  languages: HepLanguage[];
  /** problems per language (HumanEvalPack suites); examples per task and language (held-out suites) */
  limit?: number;
  dataDir: string;
  tasksDir: string;
  limits: RunLimits;
  jobs: number;
  maxTokens?: number;
  /** markers given with every HumanEvalFix request of a marker mode (--given; baseline: never) */
  given?: Record<string, string>;
  /** FixRequest.minConfidence of every HumanEvalFix request (--min-confidence; absent: the product's default) */
  minConfidence?: number | 'never';
  log: (msg: string) => void;
  /** engine requests a suite keeps in flight (the generation workers, --gen-workers N); default 1 */
  engineJobs?: number;
  /** --generate-only: make the engine calls and nothing else (no toolchain checks, no test executions) */
  generateOnly?: boolean;
}

export interface SuiteResult {
  suite: string;
  summary: Record<string, unknown>;
  records: object[];
  /** Markdown section (starts with a level-2 heading) */
  markdown: string;
  /** caveats that must travel with the numbers */
  notes: string[];
  seconds?: number;
}

/**
 * The HumanEvalPack problems of the languages whose toolchain is here; a skipped language becomes a note.
 * With --generate-only every language's problems (nothing runs here: the tests run where the toolchains are).
 */
export async function runnableProblems(ctx: SuiteContext, notes: string[], suite?: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const lang of ctx.languages) {
    if (ctx.generateOnly) { problems.push(...loadProblems(ctx.dataDir, lang, ctx.limit)); continue; }
    const tc = await toolchain(lang);
    if (!tc.ok) {
      notes.push(`${lang} skipped: ${tc.why}`);
      if (suite) ctx.log(`${suite}: ${lang} skipped: ${tc.why}`);
      continue;
    }
    problems.push(...loadProblems(ctx.dataDir, lang, ctx.limit));
  }
  return problems;
}

/** The engine a mode runs on: the baseline model for 'baseline' (undefined, with a note, when none was given). */
export async function engineForMode(ctx: SuiteContext, mode: string, notes: string[]): Promise<EvalEngine | undefined> {
  if (mode !== 'baseline') return ctx.engine();
  if (!ctx.baseline) { notes.push('mode baseline skipped: no --baseline DIR'); return undefined; }
  return ctx.baseline();
}

/**
 * A suite's engine calls over its items, ctx.engineJobs at a time (1: one after the other, as before);
 * results in the items' order, `tick` after each.
 */
export async function engineMap<T, R>(ctx: Pick<SuiteContext, 'engineJobs'>, items: readonly T[], fn: (item: T, index: number) => Promise<R>, tick?: (done: number) => void): Promise<R[]> {
  let done = 0;
  return pool(items, Math.max(1, ctx.engineJobs ?? 1), async (item, i) => {
    const r = await fn(item, i);
    tick?.(++done);
    return r;
  });
}

/** What a test execution gives back under --generate-only (nothing ran). */
export const NOT_RUN = { pass: false, detail: 'not run (--generate-only)' } as const;

export interface Rate { n: number; k: number; rate: number }
export const rate = (k: number, n: number): Rate => ({ n, k, rate: n === 0 ? 0 : k / n });
export const pct = (r: Rate | undefined): string => (r && r.n > 0 ? `${(100 * r.rate).toFixed(1)}% (${r.k}/${r.n})` : '–');
export const num = (x: number | undefined, digits = 2): string => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits));

export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const a = m.get(k);
    if (a) a.push(it); else m.set(k, [it]);
  }
  return m;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A Markdown table; cells are escaped for pipes and newlines. */
export function table(header: string[], rows: (string | number)[][]): string {
  const esc = (c: string | number) => String(c).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
  return lines.join('\n');
}

export function counts<T>(items: readonly T[], key: (t: T) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) {
    const k = key(it);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Progress lines every `every` items, with the rate so far. */
export function progress(log: (m: string) => void, label: string, total: number, minEvery = 25): (done: number) => void {
  const every = Math.max(minEvery, Math.ceil(total / 10));
  const t0 = Date.now();
  return (done) => {
    if (done % every !== 0 && done !== total) return;
    const s = (Date.now() - t0) / 1000;
    log(`  ${label}: ${done}/${total} (${s.toFixed(0)} s, ${(s / Math.max(1, done)).toFixed(2)} s each)`);
  };
}
