// The harness's outputs: one JSON file (every per-problem record, the summaries, the self-check, how it
// was run) and a Markdown report beside it; and the headline table for the README / model card
// (ours beside the paper's figures, D'souza et al. 2025, with the command that reproduces each number).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GenOrigin, ModelIdentity, StoreStats } from './generations.js';
import type { SelfCheckSummary } from './selfcheck.js';
import { num, pct, rate, table, type Rate, type SuiteResult } from './suites/common.js';

export interface RunMeta {
  command: string;
  /** argv after `npm run eval --` */
  args: string[];
  startedAt: string;
  seconds: number;
  gitCommit?: string;
  engine: string;
  model?: string;
  baseline?: string;
  languages: string[];
  limit?: number;
  machine: { cpus: number; platform: string; node: string };
  /** --gen-workers N (0: the engine in this process) and the intra-op threads of each engine */
  engineProcesses?: { workers: number; threads: number };
  /** --branch-tries N: the engine's retry budget when not the product's */
  branchTries?: number;
  /** --given: markers given with every HumanEvalFix request of a marker mode */
  given?: Record<string, string>;
  /** --generations FILE: how many engine calls came from the file, how many were computed, and where the file's entries came from */
  generations?: GenerationsMeta;
}

export interface GenerationsMeta extends StoreStats {
  file: string;
  entries: number;
  generateOnly: boolean;
  origins: (GenOrigin & { entries: number })[];
  models: ModelIdentity[];
  bySuite: Record<string, { cached: number; computed: number; seconds: number; perSecond: number }>;
}

export function generationsMarkdown(m: RunMeta): string {
  const g = m.generations;
  if (!g) return '';
  const w = m.engineProcesses?.workers || 1;
  const tries = m.branchTries !== undefined ? `, ${m.branchTries} branch tries` : '';
  const engines = m.engineProcesses ? ` (${w} engine${w > 1 ? 's' : ''} x ${m.engineProcesses.threads} threads${tries})` : '';
  const rows = Object.entries(g.bySuite);
  const suiteTable = (from: string) => table(['suite', from, 'computed', 'seconds', 'computed per second'], rows.map(([s, x]) => [s, String(x.cached), String(x.computed), num(x.seconds, 1), num(x.perSecond, 2)]));
  if (!g.file) {
    // the run's own memo (no --generations): only what it saved is worth a line
    return ['## Engine calls', '', `- ${g.computed} computed here${engines}; ${g.cached} answered from an identical request earlier in this run`,
      ...(rows.length ? ['', suiteTable('from earlier in the run')] : [])].join('\n');
  }
  const lines = [
    '## Engine outputs (--generations)', '',
    `- file: \`${g.file}\` (${g.entries} entries${g.badLines ? `, ${g.badLines} unreadable lines skipped` : ''})`,
    `- engine calls: ${g.cached} answered from the file, ${g.computed} computed here${g.computed ? engines : ''}${g.generateOnly ? '; --generate-only: no tests ran' : ''}`,
  ];
  for (const o of g.origins) {
    lines.push(`- ${o.entries} from ${o.label ? `${o.label}, ` : ''}${o.host} (${o.cpu}, ${o.cpus} CPUs, ${o.platform}, node ${o.node}${o.bundle ? ', bundle' : ''}): ${o.workers} worker${o.workers > 1 ? 's' : ''} x ${o.threads} threads on ${o.provider ?? '?'}${o.gitCommit ? `, commit ${o.gitCommit.slice(0, 10)}` : ''}`);
  }
  if (g.cached) lines.push(`- latencies in the tables below are those of the machine that made each output`);
  if (g.engineSourceMismatch) lines.push('', `**Warning:** ${g.engineSourceMismatch} engine outputs from the file were made by other engine sources (language-server/src, grammars, markers.json) than these: they measure that engine, not this one.`);
  if (rows.length) lines.push('', suiteTable('from the file'));
  if (g.generateOnly) lines.push('', 'Self-check and tests: not run here (--generate-only); run the same command without it, with `--generations FILE`, where the toolchains are.');
  return lines.join('\n');
}

export interface RunResults {
  meta: RunMeta;
  selfCheck: SelfCheckSummary[];
  suites: SuiteResult[];
  errors: { suite: string; message: string }[];
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function markdownPathFor(jsonPath: string): string {
  return jsonPath.replace(/\.json$/i, '') + '.md';
}

export function writeJson(path: string, results: RunResults): void {
  writeAtomic(path, JSON.stringify(results, null, 1) + '\n');
}

export function writeMarkdown(path: string, results: RunResults): void {
  writeAtomic(path, renderMarkdown(results));
}

export function selfCheckMarkdown(rows: SelfCheckSummary[]): string {
  const total = (f: (s: SelfCheckSummary) => number) => rows.reduce((a, s) => a + f(s), 0);
  const lines = [
    '## Harness self-check (canonical solutions must pass, buggy solutions must fail)', '',
    table(['language', 'canonical pass', 'expected', 'buggy fail', 'expected', 'not runnable (infra)', 'canonical failing', 'buggy passing'], [
      ...rows.map((s) => [s.language, pct(rate(s.canonicalPass, s.n)), '100%', pct(rate(s.buggyFail, s.n)), '100%', String(s.infra),
        s.canonicalFailures.slice(0, 6).join(' ') || '–', s.buggyPasses.slice(0, 6).join(' ') || '–']),
      ['all', pct(rate(total((s) => s.canonicalPass), total((s) => s.n))), '100%', pct(rate(total((s) => s.buggyFail), total((s) => s.n))), '100%', String(total((s) => s.infra)), '', ''],
    ]),
  ];
  const flaky = rows.flatMap((s) => s.flaky ?? []);
  if (flaky.length) lines.push('', `Flaky (both verdicts over reruns with the result cache off, counted as meant): ${flaky.join('; ')}`);
  if (!selfCheckOk(rows)) lines.push('', '**The self-check failed: the harness cannot be trusted on this machine for the languages above; model results below are not valid for them.**');
  return lines.join('\n');
}

export function selfCheckOk(rows: SelfCheckSummary[]): boolean {
  return rows.every((s) => s.canonicalPass === s.n && s.buggyFail === s.n);
}

export function renderMarkdown(r: RunResults): string {
  const m = r.meta;
  const out = [
    '# Treasure evaluation', '',
    `- command: \`${m.command}\``,
    `- engine: ${m.engine}${m.model ? `, model \`${m.model}\`` : ''}${m.baseline ? `, baseline \`${m.baseline}\`` : ''}${m.given ? `; given with every HumanEvalFix request of a marker mode: ${Object.entries(m.given).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`,
    `- languages: ${m.languages.join(', ')}${m.limit !== undefined ? `; first ${m.limit} problems per language` : ''}`,
    `- run: ${m.startedAt}, ${num(m.seconds / 60, 1)} min on ${m.machine.cpus} CPUs (${m.machine.platform}, node ${m.machine.node})${m.gitCommit ? `, commit ${m.gitCommit.slice(0, 10)}` : ''}`,
    '',
  ];
  if (m.generations) out.push(generationsMarkdown(m), '');
  if (!m.generations?.generateOnly) out.push(selfCheckMarkdown(r.selfCheck), '');
  for (const s of r.suites) {
    out.push(s.markdown, '');
    if (s.seconds !== undefined) out.push(`_${s.suite}: ${num(s.seconds / 60, 1)} min_`, '');
    for (const n of s.notes) out.push(`> note: ${n}`, '');
  }
  for (const e of r.errors) out.push(`**${e.suite} failed:** ${e.message}`, '');
  return out.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------
// Headline table (README / model card)

/** The paper's figures (D'souza et al. 2025, "Treasure Hunt", its Results section). */
export const PAPER = {
  repair: { baseline: 0.216, markers: 0.246, note: '+14.1% relative' },
  generation: { baseline: 0.406, markers: 0.419, note: '+3.2% relative' },
  length: { baseline: 0.366, markers: 0.0125, note: 'AlpacaEval-LI, words' },
  longTail: { note: '+9.1 win rate on domains under 5% of the data (vs +5.7 overall)' },
  inference: { domain: 0.75, task: 0.54, language: 0.99 },
};

type Summ = Record<string, { pass?: Rate; violations?: Rate } | undefined>;

const f3 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(3));
const rel = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || a === 0 ? '' : ` (${b >= a ? '+' : ''}${(100 * (b - a) / a).toFixed(1)}% relative)`);
const p1 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(x > 0 && x < 0.1 ? 2 : 1)}%`);

/** The command that reproduces a suite's numbers with this run's model/baseline/languages/limit. */
export function reproduceCommand(meta: RunMeta, suite: string): string {
  const parts = ['npm run eval --', '--suite', suite];
  if (meta.model && meta.engine === 'engine') parts.push('--model', meta.model);
  if (meta.baseline) parts.push('--baseline', meta.baseline);
  if (meta.languages.length && meta.languages.length < 6 && ['humanevalfix', 'synthesis', 'length'].includes(suite)) parts.push('--languages', meta.languages.join(','));
  if (meta.limit !== undefined) parts.push('--limit', String(meta.limit));
  return parts.join(' ');
}

export function headlineTable(r: RunResults): string {
  const get = (name: string) => r.suites.find((s) => s.suite === name)?.summary as Record<string, unknown> | undefined;
  const rows: string[][] = [];
  const fix = get('humanevalfix') as Summ | undefined;
  if (fix) {
    const ours = fix['context/plain']?.pass?.rate;
    const none = fix['none/plain']?.pass?.rate;
    const base = fix['baseline/plain']?.pass?.rate;
    const cmp = base !== undefined ? `baseline ${f3(base)} → markers ${f3(ours)}${rel(base, ours)}` : `markers ${f3(ours)}; no markers given ${f3(none)} (no baseline run)`;
    rows.push(['Code repair, HumanEvalFix pass@1 (6 languages, fixed markers)', `${PAPER.repair.baseline} → ${PAPER.repair.markers} (${PAPER.repair.note})`, cmp, `\`${reproduceCommand(r.meta, 'humanevalfix')}\``]);
  }
  const gen = get('synthesis') as Summ | undefined;
  if (gen) {
    const ours = gen.context?.pass?.rate;
    const base = gen.baseline?.pass?.rate;
    const cmp = base !== undefined ? `baseline ${f3(base)} → markers ${f3(ours)}${rel(base, ours)}` : `markers ${f3(ours)}; no markers given ${f3(gen.none?.pass?.rate)} (no baseline run)`;
    rows.push(['Code generation, HumanEval synthesis pass@1', `${PAPER.generation.baseline} → ${PAPER.generation.markers} (${PAPER.generation.note})`, cmp, `\`${reproduceCommand(r.meta, 'synthesis')}\``]);
  }
  const len = get('length') as (Summ & { unit?: string }) | undefined;
  if (len) {
    const marker = len.marker?.violations?.rate;
    const base = len['baseline-text']?.violations?.rate;
    const text = len.text?.violations?.rate;
    const cmp = base !== undefined ? `baseline + text ${p1(base)} → length marker ${p1(marker)}` : `text ${p1(text)} → length marker ${p1(marker)} (our model both; no baseline run)`;
    rows.push([`Length control, violations of "at most N ${len.unit ?? 'lines'}"`, `${p1(PAPER.length.baseline)} → ${p1(PAPER.length.markers)} (${PAPER.length.note})`, cmp, `\`${reproduceCommand(r.meta, 'length')}\``]);
  }
  const tail = get('tail') as Record<string, { head?: { macroExact: number }; tail?: { macroExact: number } }> | undefined;
  if (tail && (tail.fix || tail.generation)) {
    const fx = tail.fix;
    const gn = tail.generation;
    rows.push(['Long tail (held-out split, exact match, mean over languages)', PAPER.longTail.note,
      `fix: head ${p1(fx?.head?.macroExact)} / tail ${p1(fx?.tail?.macroExact)}; generation: head ${p1(gn?.head?.macroExact)} / tail ${p1(gn?.tail?.macroExact)}`,
      `\`${reproduceCommand(r.meta, 'tail')}\``]);
  }
  const mk = get('markers') as { scores?: Record<string, { accuracy: Rate; scored: number }> } | undefined;
  if (mk?.scores) {
    const a = (c: string) => (mk.scores![c] && mk.scores![c]!.accuracy.n > 0 ? p1(mk.scores![c]!.accuracy.rate) : 'not inferred');
    rows.push(['Marker inference (no markers given)', `domain ${p1(PAPER.inference.domain)}, task ${p1(PAPER.inference.task)}, language ${p1(PAPER.inference.language)}`,
      `domain ${a('domain')}, task ${a('task')}, language ${a('code_type')}`, `\`${reproduceCommand(r.meta, 'markers')}\``]);
  }
  const sc = r.selfCheck;
  const tot = (g: (s: SelfCheckSummary) => number) => sc.reduce((x, s) => x + g(s), 0);
  return [
    table(['claim', 'paper (7B, their data)', 'Treasure (this model)', 'reproduce'], rows), '',
    `Harness self-check in the same run: canonical solutions pass ${tot((s) => s.canonicalPass)}/${tot((s) => s.n)}, buggy solutions fail ${tot((s) => s.buggyFail)}/${tot((s) => s.n)}.`,
    `Engine: ${r.meta.engine}${r.meta.model ? ` (${r.meta.model})` : ''}; ${r.meta.startedAt.slice(0, 10)}.`,
  ].join('\n') + '\n';
}
