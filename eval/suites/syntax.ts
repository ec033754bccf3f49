// npm run eval -- --suite syntax [--corpus DIR] [--per-language N] [--languages L,L] [--rank model|prior] [--cli N]
// Syntax repair on code the model never trained on: files of the corpus's held-out TEST split (never
// HumanEvalPack), each broken by one token (deleted, inserted or replaced at a seeded random place) or
// two (within three lines), kept only where the language's own parser rejects the result. Each broken
// file goes through the product's engine (as `bin/treasure fix FILE` with no line); the fix is judged
// against the original: exact, same tokens (spacing aside), parses but differs (wrong), no fix, and
// fixes the parser rejects (must be 0). Latency per fix through the engine, and through the CLI
// (process start and model load included) for the first few cases per language.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Engine } from '../../language-server/src/engine';
import { resolveLanguage } from '../../language-server/src/grammars';
import { lex, tokenStream, type Token } from '../../language-server/src/repair/lex';
import { disposeProvers, hasSyntaxError, proverFor, type Prover } from '../../language-server/src/repair/prove';
import { syntaxStudy } from '../../language-server/src/repair/syntax';
import { repoRoot } from '../paths.js';

export const SYNTAX_LANGUAGES = ['python', 'javascript', 'typescript', 'go', 'java', 'c', 'cpp', 'rust'] as const;
const EXT: Record<string, string> = { python: 'py', javascript: 'js', typescript: 'ts', go: 'go', java: 'java', c: 'c', cpp: 'cpp', rust: 'rs' };

export interface SyntaxOptions {
  corpus: string;
  perLanguage: number;
  languages: string[];
  rank: 'model' | 'prior';
  cliCases: number;
  seed: number;
  out: string;
  model?: string;
}

export type MutationKind = 'delete' | 'insert' | 'replace' | 'two';

export interface SyntaxCase {
  id: string;
  language: string;
  path: string;
  kind: MutationKind;
  /** What was done, e.g. "delete ')' at line 12". */
  mutation: string;
  /** The punctuation class of the issue's first measurement: one of : ) ] } , ; deleted. */
  punctuation: boolean;
  original: string;
  broken: string;
}

export interface SyntaxRecord {
  id: string;
  language: string;
  kind: MutationKind;
  punctuation: boolean;
  mutation: string;
  outcome: 'exact' | 'same_tokens' | 'wrong_parses' | 'rejected' | 'no_fix' | 'error';
  label?: string;
  verifiedBy?: string;
  reason?: string;
  candidates?: number;
  ms: number;
  cliMs?: number;
  /** The syntax search's milliseconds per stage (propose, screen, parse, rank, confirm), summed over its searches. */
  stages?: Record<string, number>;
  /** Each search's stage, candidates it left unparsed (the ranked set settled, or outranked by the cheap terms), what the screen kept out and the parser read after all, and how the model moved the cheap order. */
  search?: { stage?: number; skipped: number; outranked?: number; screen?: { keptOut: number; rescued: number }; rank?: { cheapFirst: string; cheapMargin: number; modelFirst: string } }[];
}

/** A small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PUNCT = new Set([':', ')', ']', '}', ',', ';']);

/** One mutation of a file's code tokens (comments and line breaks are never touched). */
export function mutate(text: string, toks: Token[], kind: Exclude<MutationKind, 'two'>, r: () => number): { text: string; what: string; punctuation: boolean } | null {
  const code = toks.filter((t) => t.kind !== 'newline' && t.kind !== 'comment');
  if (code.length < 3) return null;
  const pick = () => code[Math.floor(r() * code.length)]!;
  const line = (off: number) => text.slice(0, off).split('\n').length;
  const t = pick();
  if (kind === 'delete') {
    return { text: text.slice(0, t.start) + text.slice(t.end), what: `delete '${t.text.slice(0, 30)}' at line ${line(t.start)}`, punctuation: PUNCT.has(t.text) };
  }
  const o = pick();
  if (o.text === t.text || o.text.includes('\n')) return null;
  if (kind === 'insert') return { text: text.slice(0, t.start) + o.text + ' ' + text.slice(t.start), what: `insert '${o.text.slice(0, 30)}' at line ${line(t.start)}`, punctuation: false };
  return { text: text.slice(0, t.start) + o.text + text.slice(t.end), what: `replace '${t.text.slice(0, 30)}' with '${o.text.slice(0, 30)}' at line ${line(t.start)}`, punctuation: false };
}

export interface CorpusFile { text: string; path: string; package: string }

/** The files of one corpus shard the syntax cases may break (10-400 lines, at most 24 KB), with their language. */
export async function* eligibleFiles(shard: string, languages: ReadonlySet<string>): AsyncGenerator<{ language: string; file: CorpusFile }> {
  const xz = spawn('xz', ['-dc', shard], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: xz.stdout, crlfDelay: Infinity })) {
    if (!line) continue;
    const rec = JSON.parse(line) as { text: string; code_type: string; path: string; package: string };
    if (!languages.has(rec.code_type)) continue;
    const n = rec.text.split('\n').length;
    if (n < 10 || n > 400 || rec.text.length > 24_000) continue;
    yield { language: rec.code_type, file: { text: rec.text, path: rec.path, package: rec.package } };
  }
}

/** Up to `want` files per language from the corpus's test shards: 10-400 lines, at most 24 KB, a seeded sample. */
export async function sampleFiles(dir: string, languages: string[], want: number, seed: number): Promise<Map<string, CorpusFile[]>> {
  const shards = readdirSync(dir).filter((f) => /^test-\d+\.jsonl\.xz$/.test(f)).sort();
  if (shards.length === 0) throw new Error(`no test shards (test-NNNNN.jsonl.xz) in ${dir}: build the corpus with npm run data -- --stage corpus`);
  const pools = new Map<string, CorpusFile[]>(languages.map((l) => [l, []]));
  for (const shard of shards) for await (const { language, file } of eligibleFiles(join(dir, shard), new Set(languages))) pools.get(language)!.push(file);
  const r = rng(seed);
  const out = new Map<string, CorpusFile[]>();
  for (const [l, pool] of pools) {
    for (let i = pool.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [pool[i], pool[j]] = [pool[j]!, pool[i]!]; }
    out.set(l, pool.slice(0, want * 3)); // spares: a file the parser rejects as it is, or with no rejected mutant, is skipped
  }
  return out;
}

const ONE_TOKEN_KINDS: Exclude<MutationKind, 'two'>[] = ['delete', 'insert', 'replace'];

/** One token of `text` deleted, inserted or replaced (12 tries at most) such that the parser rejects the result. */
export async function breakOneToken(text: string, toks: Token[], prover: Prover, r: () => number): Promise<{ kind: Exclude<MutationKind, 'two'>; m: NonNullable<ReturnType<typeof mutate>> } | undefined> {
  for (let attempt = 0; attempt < 12; attempt++) {
    const kind = ONE_TOKEN_KINDS[Math.floor(r() * 3)]!;
    const m = mutate(text, toks, kind, r);
    if (!m) continue;
    const [v] = await prover.parse([m.text]);
    if (hasSyntaxError(v!, prover)) return { kind, m };
  }
  return undefined;
}

/** The cases of one language: single-token mutants of each file, and a two-token one for every other file. */
export async function buildCases(language: string, files: CorpusFile[], want: number, seed: number): Promise<SyntaxCase[]> {
  const prover = await proverFor(language);
  const r = rng(seed ^ language.length * 7919);
  const cases: SyntaxCase[] = [];
  for (const [fi, f] of files.entries()) {
    if (cases.filter((c) => c.kind !== 'two').length >= want) break;
    const [ok] = await prover.parse([f.text]);
    // only files the parser accepts as they are (gcc/g++: without a syntax error; a header it cannot find leaves names unknown)
    if (hasSyntaxError(ok!, prover)) continue;
    const toks = lex(f.text, language);
    const one = await breakOneToken(f.text, toks, prover, r);
    if (one) cases.push({ id: `${language}/${cases.length}`, language, path: `${f.package}/${f.path}`, kind: one.kind, mutation: one.m.what, punctuation: one.m.punctuation, original: f.text, broken: one.m.text });
    if (fi % 2 === 1) {
      for (let attempt = 0; attempt < 12; attempt++) {
        const m1 = mutate(f.text, toks, ONE_TOKEN_KINDS[Math.floor(r() * 3)]!, r);
        if (!m1) continue;
        const l1 = Number(/line (\d+)/.exec(m1.what)![1]);
        const toks2 = lex(m1.text, language).filter((t) => Math.abs(m1.text.slice(0, t.start).split('\n').length - l1) <= 3);
        const m2 = mutate(m1.text, toks2, ONE_TOKEN_KINDS[Math.floor(r() * 3)]!, r);
        if (!m2) continue;
        const [v] = await prover.parse([m2.text]);
        if (!hasSyntaxError(v!, prover)) continue;
        cases.push({ id: `${language}/${cases.length}`, language, path: `${f.package}/${f.path}`, kind: 'two', mutation: `${m1.what}; ${m2.what}`, punctuation: false, original: f.text, broken: m2.text });
        break;
      }
    }
  }
  return cases;
}

function pct(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`;
}

export function quantile(xs: number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

export function summarize(records: SyntaxRecord[]) {
  const groups = new Map<string, SyntaxRecord[]>();
  const add = (k: string, r: SyntaxRecord) => { if (!groups.has(k)) groups.set(k, []); groups.get(k)!.push(r); };
  for (const r of records) {
    const single = r.kind === 'two' ? 'two-token' : 'one-token';
    add(`${r.language}|${single}`, r);
    add(`all|${single}`, r);
    if (r.punctuation) add(`all|punctuation deleted`, r);
    if (r.kind !== 'two') add(`all|${r.kind}`, r);
  }
  const rows = [...groups.entries()].map(([k, rs]) => {
    const [language, set] = k.split('|') as [string, string];
    const count = (o: SyntaxRecord['outcome'][]) => rs.filter((r) => o.includes(r.outcome)).length;
    const ms = rs.map((r) => r.ms);
    const cli = rs.flatMap((r) => (r.cliMs === undefined ? [] : [r.cliMs]));
    return {
      language, set, cases: rs.length,
      equal: count(['exact', 'same_tokens']), exact: count(['exact']), wrongParses: count(['wrong_parses']), noFix: count(['no_fix', 'error']), rejected: count(['rejected']),
      rejectedProven: rs.filter((r) => r.outcome === 'rejected' && r.verifiedBy).length,
      stageP50ms: Object.fromEntries([...new Set(rs.flatMap((r) => Object.keys(r.stages ?? {})))].map((k) => [k, quantile(rs.map((r) => r.stages?.[k] ?? 0), 0.5)])),
      p50ms: quantile(ms, 0.5), p95ms: quantile(ms, 0.95), cliP50ms: quantile(cli, 0.5), cliCases: cli.length,
    };
  });
  return rows.sort((a, b) => (a.language === 'all' ? 1 : 0) - (b.language === 'all' ? 1 : 0) || a.language.localeCompare(b.language) || a.set.localeCompare(b.set));
}

/** The syntax search's time per stage (p50 over the cases, a stage a case skipped counting 0 ms). */
function stageLines(rows: ReturnType<typeof summarize>): string[] {
  const of = rows.filter((r) => r.language === 'all' && (r.set === 'one-token' || r.set === 'two-token'));
  if (of.every((r) => Object.keys(r.stageP50ms).length === 0)) return [];
  return [
    'Search stages, p50 ms per case (propose: token edits; screen: tree-sitter before a slow parser; parse: the language\'s parser; rank: the model; confirm: the winner parsed alone / whole):',
    '',
    ...of.map((r) => `- ${r.set}: ${Object.entries(r.stageP50ms).map(([k, v]) => `${k} ${v?.toFixed(0) ?? '-'}`).join(', ')}`),
    '',
  ];
}

export function syntaxMarkdown(rows: ReturnType<typeof summarize>, meta: Record<string, unknown>): string {
  const lines = [
    '## Syntax repair (held-out corpus files, one or two tokens broken)',
    '',
    `Command: \`${meta.command}\`; model ranking: ${meta.rank}; ${meta.seconds} s. Judged against the original file: equal = exact or the same tokens (spacing aside); wrong = the parser accepts the fix but it is not the original; rejected = a fix the language's parser rejects (must be 0).`,
    '',
    '| language | set | cases | equal | exact | wrong (parses) | no fix | rejected (proven) | p50 ms | p95 ms | CLI p50 ms (n) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.language} | ${r.set} | ${r.cases} | ${r.equal} (${pct(r.equal, r.cases)}) | ${r.exact} | ${r.wrongParses} (${pct(r.wrongParses, r.cases)}) | ${r.noFix} (${pct(r.noFix, r.cases)}) | ${r.rejected} (${r.rejectedProven}) | ${r.p50ms?.toFixed(0) ?? '-'} | ${r.p95ms?.toFixed(0) ?? '-'} | ${r.cliP50ms !== undefined ? `${r.cliP50ms.toFixed(0)} (${r.cliCases})` : '-'} |`),
    '',
    'Rejected (proven): of the fixes the parser rejects, those the engine called proven (verifiedBy); the others are the model\'s unverified rewrite, offered as such.',
    '',
    ...stageLines(rows),
  ];
  return lines.join('\n');
}

export async function runSyntaxSuite(o: SyntaxOptions, log: (m: string) => void = (m) => console.error(m)): Promise<{ rows: ReturnType<typeof summarize>; records: SyntaxRecord[] }> {
  const t0 = Date.now();
  const files = await sampleFiles(o.corpus, o.languages, o.perLanguage, o.seed);
  const engine = await Engine.load({ modelDir: o.model, device: 'cpu', syntaxRank: o.rank });
  const records: SyntaxRecord[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'treasure-syntax-'));
  try {
    for (const language of o.languages) {
      const cases = await buildCases(language, files.get(language) ?? [], o.perLanguage, o.seed);
      const prover = await proverFor(language);
      log(`syntax: ${language}: ${cases.length} cases (${prover.name})`);
      let cliLeft = o.cliCases;
      for (const c of cases) {
        const languageId = resolveLanguage(language)!.languageId;
        const t = performance.now();
        let rec: SyntaxRecord;
        const stages: Record<string, number> = {};
        const search: NonNullable<SyntaxRecord['search']> = [];
        syntaxStudy.trace = (tr) => {
          for (const [k, v] of Object.entries(tr.timings)) stages[k] = Math.round((stages[k] ?? 0) + v);
          search.push({ stage: tr.stage, skipped: tr.skipped ?? 0, ...(tr.outranked ? { outranked: tr.outranked } : {}), ...(tr.screen ? { screen: tr.screen } : {}), ...(tr.rankNote ? { rank: { ...tr.rankNote, cheapMargin: Math.round(tr.rankNote.cheapMargin * 100) / 100 } } : {}) });
        };
        try {
          let out = await engine.fixDetailed({ text: c.broken, languageId });
          // two broken tokens: a user who still sees an error asks again (one fix per error)
          if (c.kind === 'two' && out.fix && hasSyntaxError((await prover.parse([out.fix.fixed]))[0]!, prover)) {
            const again = await engine.fixDetailed({ text: out.fix.fixed, languageId });
            if (again.fix) out = { ...again, fix: { ...again.fix, label: `${out.fix.label}; then ${again.fix.label}` }, candidates: (out.candidates ?? 0) + (again.candidates ?? 0) };
          }
          const ms = performance.now() - t;
          const base = { id: c.id, language, kind: c.kind, punctuation: c.punctuation, mutation: c.mutation, ms, candidates: out.candidates, stages, search };
          if (!out.fix) rec = { ...base, outcome: 'no_fix', reason: out.reason };
          else {
            const f = out.fix;
            const [v] = await prover.parse([f.fixed]);
            const outcome = f.fixed === c.original ? 'exact' : tokenStream(f.fixed, language).join('\u0000') === tokenStream(c.original, language).join('\u0000') ? 'same_tokens' : !hasSyntaxError(v!, prover) ? 'wrong_parses' : 'rejected';
            rec = { ...base, outcome, label: f.label, verifiedBy: f.verifiedBy };
          }
        } catch (e) {
          rec = { id: c.id, language, kind: c.kind, punctuation: c.punctuation, mutation: c.mutation, ms: performance.now() - t, outcome: 'error', reason: (e as Error).message };
        }
        if (cliLeft > 0 && c.kind !== 'two') {
          cliLeft--;
          const file = join(scratch, `case.${EXT[language]}`);
          writeFileSync(file, c.broken);
          const ts = performance.now();
          spawnSync(process.execPath, [join(repoRoot, 'bin', 'treasure'), 'fix', file, '--json', ...(o.model ? ['--model', o.model] : [])], { encoding: 'utf8', timeout: 120_000 });
          rec.cliMs = performance.now() - ts;
        }
        records.push(rec);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await disposeProvers();
  }
  const rows = summarize(records);
  const meta = { command: `npm run eval -- ${process.argv.slice(2).join(' ')}`, rank: o.rank, seconds: Math.round((Date.now() - t0) / 1000), corpus: o.corpus, perLanguage: o.perLanguage, seed: o.seed };
  writeFileSync(o.out, JSON.stringify({ meta, rows, records }, null, 1) + '\n');
  writeFileSync(o.out.replace(/\.json$/, '.md'), syntaxMarkdown(rows, meta));
  log(syntaxMarkdown(rows, meta));
  log(`wrote ${o.out} and ${o.out.replace(/\.json$/, '.md')}`);
  return { rows, records };
}

export function parseSyntaxArgs(argv: string[]): SyntaxOptions {
  const o: SyntaxOptions = { corpus: resolve(repoRoot, 'build/data/corpus'), perLanguage: 30, languages: [...SYNTAX_LANGUAGES], rank: 'model', cliCases: 3, seed: 1, out: resolve(repoRoot, 'build/eval/syntax.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => { const x = argv[++i]; if (x === undefined) throw new Error(`${a} needs a value`); return x; };
    switch (a) {
      case '--suite': v(); break;
      case '--corpus': o.corpus = resolve(v()); break;
      case '--per-language': case '--limit': o.perLanguage = Number(v()); break;
      case '--languages': o.languages = v().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--rank': { const r = v(); if (r !== 'model' && r !== 'prior') throw new Error('--rank is model or prior'); o.rank = r; break; }
      case '--cli': o.cliCases = Number(v()); break;
      case '--seed': o.seed = Number(v()); break;
      case '--out': o.out = resolve(v()); break;
      case '--model': o.model = resolve(v()); break;
      default: throw new Error(`unknown option for the syntax suite: ${a}`);
    }
  }
  for (const l of o.languages) if (!SYNTAX_LANGUAGES.includes(l as (typeof SYNTAX_LANGUAGES)[number])) throw new Error(`--languages: ${l} is not one of ${SYNTAX_LANGUAGES.join(', ')}`);
  return o;
}
