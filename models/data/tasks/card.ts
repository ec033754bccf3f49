// The tasks build's part of the data card: models/data/tasks-card.json and models/data/TASKS.md.
// Tokens are estimated as characters / CHARS_PER_TOKEN (the trainer counts real tokens).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from './settings.js';
import { enumValues, TASKS_DIR } from './taxonomy.js';

export const CHARS_PER_TOKEN = 3.5;
type Cell = { examples: number; chars: number };
type Table = Record<string, Record<string, Cell>>;

function add(t: Table, row: string, col: string, chars: number) {
  const r = (t[row] ??= {});
  const c = (r[col] ??= { examples: 0, chars: 0 });
  c.examples++;
  c.chars += chars;
}

export class CardStats {
  total: Table = {}; // task -> {all}
  language: Table = {}; // task -> code_type
  split: Table = {};
  marker: Record<string, Table> = { domain: {}, error_type: {}, length_bucket: {}, quality_bucket: {}, source: {} };
  kind: Table = {}; // task -> generation kind
  fixLanguage: Table = {}; // error_type -> code_type
  ops: Record<string, number> = {};
  /** task -> code_type -> category -> value -> cell */
  cube: Record<string, Record<string, Record<string, Record<string, Cell>>>> = {};
  fixWithDoc = 0;
  fixWithDiagnostic = 0;

  /** s = [code_type, domain, error_type, length_bucket, quality_bucket, source, chars, answerChars, kind, op, withDoc] */
  add(task: string, split: string, s: unknown[]) {
    const [codeType, domain, errorType, lengthBucket, quality, source, chars, , kind, op, withDoc] = s as [string, string, string, string, string, string, number, number, string, string, number];
    add(this.total, task, 'all', chars);
    add(this.language, task, codeType, chars);
    add(this.split, task, split, chars);
    add(this.marker.domain!, task, domain, chars);
    add(this.marker.length_bucket!, task, lengthBucket, chars);
    add(this.marker.quality_bucket!, task, quality || '-', chars);
    add(this.marker.source!, task, source, chars);
    add(this.kind, task, kind, chars);
    const byLang = ((this.cube[task] ??= {})[codeType] ??= {});
    for (const [cat, v] of [['domain', domain], ['error_type', errorType], ['length_bucket', lengthBucket], ['quality_bucket', quality], ['source', source]] as const) {
      if (!v) continue;
      const c = ((byLang[cat] ??= {})[v] ??= { examples: 0, chars: 0 });
      c.examples++;
      c.chars += chars;
    }
    if (task === 'CodeFix') {
      add(this.marker.error_type!, task, errorType, chars);
      add(this.fixLanguage, errorType, codeType, chars);
      this.ops[op] = (this.ops[op] ?? 0) + 1;
      if (withDoc) this.fixWithDoc++;
      if (errorType === 'syntax_error') this.fixWithDiagnostic++;
    }
  }
}

const tok = (chars: number) => Math.round(chars / CHARS_PER_TOKEN);
const fmt = (n: number) => n.toLocaleString('en-US');

function mdTable(t: Table, cols: string[], rowsLabel: string): string {
  const rows = Object.keys(t);
  const head = `| ${rowsLabel} | ${cols.map((c) => `${c} (ex / ~tok)`).join(' | ')} | total |`;
  const sep = `|${'---|'.repeat(cols.length + 2)}`;
  const body = rows.map((r) => {
    const cells = cols.map((c) => {
      const x = t[r]![c];
      return x ? `${fmt(x.examples)} / ${fmt(tok(x.chars))}` : '0';
    });
    const tot = Object.values(t[r]!).reduce((a, x) => ({ examples: a.examples + x.examples, chars: a.chars + x.chars }), { examples: 0, chars: 0 });
    return `| ${r} | ${cells.join(' | ')} | ${fmt(tot.examples)} / ${fmt(tok(tot.chars))} |`;
  });
  return [head, sep, ...body].join('\n');
}

/** Columns: taxonomy values in order, then any others seen. */
function colsOf(t: Table, category?: string): string[] {
  const seen = new Set<string>();
  for (const r of Object.values(t)) for (const c of Object.keys(r)) seen.add(c);
  const order = category ? enumValues(category) : [];
  return [...order.filter((v) => seen.has(v)), ...[...seen].filter((v) => !order.includes(v)).sort()];
}

export function writeCard(dir: string, st: CardStats, info: { seed: number; small: boolean; settings: Settings; rates: Record<string, number>; result: { candidates: Record<string, number>; written: Record<string, number>; shards: string[]; files: number; errors: number; notLanguage?: number; seconds: number }; corpusDir: string }) {
  const json = {
    generated_by: 'models/data/tasks (buildTasks)',
    seed: info.seed,
    small: info.small,
    corpus_files: info.result.files,
    corpus_errors: info.result.errors,
    corpus_not_language: info.result.notLanguage ?? 0,
    seconds: Math.round(info.result.seconds),
    mix_target: info.settings.mix,
    keep_rates: info.rates,
    candidates: info.result.candidates,
    written: info.result.written,
    shards: info.result.shards.length,
    chars_per_token_estimate: CHARS_PER_TOKEN,
    task_language_marker: st.cube,
    tables: { total: st.total, language: st.language, split: st.split, kind: st.kind, markers: st.marker, fix_error_type_by_language: st.fixLanguage },
    fix_operators: Object.fromEntries(Object.entries(st.ops).sort((a, b) => b[1] - a[1])),
    fix_with_doc: st.fixWithDoc,
    fix_with_diagnostic: st.fixWithDiagnostic,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tasks-card.json'), JSON.stringify(json, null, 1) + '\n');
  const total = Object.values(info.result.written).reduce((a, b) => a + b, 0);
  const share = (t: string) => (total ? (((info.result.written[t] ?? 0) / total) * 100).toFixed(1) + '%' : '-');
  const langCols = colsOf(st.language, 'code_type');
  const intro = readFileSync(join(TASKS_DIR, 'card-intro.md'), 'utf8').trimEnd();
  const md = [
    intro,
    '',
    '### This build',
    '',
    `Generated by \`buildTasks\` (seed ${info.seed}${info.small ? ', small build' : ''}) from ${fmt(info.result.files)} corpus files in ${Math.round(info.result.seconds)} s; ${fmt(info.result.notLanguage ?? 0)} of them gave no examples: their grammar could not read most of their text (not in their label's language; maxErrorShare).`,
    `Examples: ${Object.entries(info.result.written).map(([t, n]) => `${t} ${fmt(n)} (${share(t)})`).join(', ')}; target mix ${JSON.stringify(info.settings.mix)} (models/data/tasks/manifest.json).`,
    `Candidates before the mix: ${JSON.stringify(info.result.candidates)}. Token counts (~tok) are estimates, characters / ${CHARS_PER_TOKEN}, of prompt code + answer.`,
    '',
    '### Task × language',
    '',
    mdTable(st.language, langCols, 'task'),
    '',
    '### Task × split',
    '',
    mdTable(st.split, ['train', 'valid', 'test'], 'task'),
    '',
    '### CodeGeneration / CodeExplanation kinds',
    '',
    mdTable(st.kind, colsOf(st.kind), 'task'),
    '',
    ...['error_type', 'domain', 'length_bucket', 'quality_bucket', 'source'].flatMap((cat) => [`### Task × ${cat}`, '', mdTable(st.marker[cat]!, colsOf(st.marker[cat]!, cat), 'task'), '']),
    ...Object.keys(st.cube).flatMap((task) => {
      const t: Table = {};
      for (const [lang, cats] of Object.entries(st.cube[task]!)) t[lang] = cats.length_bucket ?? {};
      return [`### ${task}: language × length_bucket`, '', mdTable(t, colsOf(t, 'length_bucket'), 'code_type'), ''];
    }),
    '### CodeFix: error_type × language',
    '',
    mdTable(st.fixLanguage, langCols, 'error_type'),
    '',
    `CodeFix examples with the docstring / doc comment kept: ${fmt(st.fixWithDoc)}; with a diagnostic (syntax_error): ${fmt(st.fixWithDiagnostic)}.`,
    '',
    '### CodeFix operators',
    '',
    '| operator | examples |',
    '|---|---|',
    ...Object.entries(st.ops).sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${k} | ${fmt(v)} |`),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'TASKS.md'), md);
}
