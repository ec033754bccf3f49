// npm run eval -- --suite ranking [--languages python,js] [--limit N] [--skip N] [--lines all|localized] [--score edits,region|none] [--dump F.jsonl] [--out F]
// Is the true fix among the product's candidates, and does the model rank it first (issues 26 and 28)?
// For each HumanEvalFix buggy function: the tested path's candidate set (propose-semantic.ts at the
// function's lines, screened by the language's parser, as repair/semantic.ts does), whether the canonical
// solution is one of them (the same code tokens: comments, spacing and line breaks aside; Python's
// indentation counts), and its rank by the edit's prior (what the product proves first today), by the
// model's score alone (Engine.scoreFunctionFixes: the log-probability of the candidate's region as the
// CodeFix answer, all candidates in one batch) and by both (the product's pick among passing candidates:
// score + SEMANTIC_PRIOR_WEIGHT x prior). No test runs unless --lines localized (then the example tests
// run once per problem, to get the suspicious lines the product would edit).
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Engine } from '../../language-server/src/engine';
import { lex } from '../../language-server/src/repair/lex';
import { proposeSemanticEdits, type SemanticCandidate, type SuspectLine } from '../../language-server/src/repair/propose-semantic';
import { disposeProvers, proverFor } from '../../language-server/src/repair/prove';
import { SEMANTIC_PRIOR_WEIGHT } from '../../language-server/src/repair/semantic';
import { disposeWarmPools, TestSession } from '../../language-server/src/repair/tests';
import { bodyLine, buggyDocument, canonicalDocument, HEP_LANGUAGES, LANGUAGE_ID, loadProblems, type HepLanguage, type Problem } from '../humanevalpack.js';
import { humanEvalPackDir, repoRoot } from '../paths.js';
import { quantile } from './proof.js';

/** prior; model / product: the edit windows' scores (scoreEditCandidates) alone / with the prior; -region: the whole-region scores (scoreCandidates). */
export type Ranker = 'prior' | 'model' | 'product' | 'model-region' | 'product-region';
export type ScoreHow = 'edits' | 'region';
const rankersOf = (how: ScoreHow[]): Ranker[] => ['prior', ...how.flatMap((h): Ranker[] => (h === 'edits' ? ['model', 'product'] : ['model-region', 'product-region']))];
/** How many candidates the proof suite proves at most (its --prove): "in the first N" of each ranker. */
const PROVE_CAP = 30;

export interface RankingOptions {
  languages: HepLanguage[];
  limit?: number;
  skip: number;
  lines: 'all' | 'localized';
  /** Which model scores to compute (default edits). */
  score: ScoreHow[];
  out: string;
  model?: string;
  data?: string;
  /** Only render the report of the records in this .partial.jsonl (a run cut short). */
  report?: string;
  /** Also write each in-set problem's scoring plan (token ids, Engine.editScoringPlan) here, one JSON line each: what models/train/rank_train.py --eval scores. */
  dump?: string;
}

export interface RankingRecord {
  taskId: string;
  language: HepLanguage;
  bugType: string;
  /** Candidates proposed, and those the parser accepts (the set ranked). */
  proposed: number;
  candidates: number;
  /** Lines edited (all of the function's, or the localized ones). */
  lines: number;
  inSet: boolean;
  /** The true fix's family and label, when it is in the set. */
  family?: string;
  label?: string;
  /** 1-based rank of the true fix per ranker (absent when not in the set). */
  rank?: Partial<Record<Ranker, number>>;
  /** The model's top pick's label (what it prefers instead, when it is not the true fix). */
  modelTop?: string;
  scoreMs: number;
  /** With --score region too: the whole-region scoring's time. */
  regionMs?: number;
  error?: string;
}

/** The code tokens of a document as one string: comments and spacing aside, Python's indentation kept. */
export function codeTokens(text: string, codeType: string): string {
  const out: string[] = [];
  const python = codeType === 'python';
  let atLineStart = true;
  let depth = 0;
  for (const t of lex(text, codeType)) {
    if (t.kind === 'comment') continue;
    if (t.kind === 'newline') { atLineStart = true; continue; }
    if (atLineStart && python && depth === 0) {
      const ls = text.lastIndexOf('\n', t.start - 1) + 1;
      out.push(`\n${text.slice(ls, t.start).replace(/\t/g, '    ').length}`);
    }
    atLineStart = false;
    if ('([{'.includes(t.text)) depth++;
    else if (')]}'.includes(t.text)) depth = Math.max(0, depth - 1);
    out.push(t.text);
  }
  return out.join(' ');
}

/** The product's order of candidates: the model's score plus the edit's prior (repair/semantic.ts), then the smaller edit. */
export function productOrder(s: readonly number[], cands: readonly Pick<SemanticCandidate, 'prior' | 'size'>[]): (a: number, b: number) => number {
  return (a, b) => s[b]! + SEMANTIC_PRIOR_WEIGHT * cands[b]!.prior - (s[a]! + SEMANTIC_PRIOR_WEIGHT * cands[a]!.prior) || cands[a]!.size - cands[b]!.size;
}

/** 1-based rank of item `i` when `better` sorts the indices best first (ties: the earlier index). */
export function rankOf(n: number, i: number, better: (a: number, b: number) => number): number {
  const idx = Array.from({ length: n }, (_, k) => k).sort((a, b) => better(a, b) || a - b);
  return idx.indexOf(i) + 1;
}

/** The suspicious lines of the function from the example tests (pytest / node --test), as the product gets them. */
async function localizedLines(dir: string, file: string, fromLine: number, toLine: number, fnName: string): Promise<SuspectLine[] | undefined> {
  const opened = await TestSession.open(file, dir, { trusted: true, functionName: fnName, fromLine, toLine });
  if (!(opened instanceof TestSession)) return undefined;
  try {
    const inFn = opened.suspicious.filter((l) => l.line >= fromLine && l.line <= toLine);
    if (inFn.length === 0) return undefined;
    // the same cut as semantic.ts: the 8 most suspicious, more at a tie with the last
    const cut = inFn[Math.min(8, inFn.length) - 1]!.score;
    return inFn.filter((l, i) => i < 8 || l.score >= cut).map((l) => ({ line: l.line, score: l.score }));
  } finally {
    opened.dispose();
  }
}

export function summarizeRanking(records: RankingRecord[], rankers: Ranker[]) {
  const langs = [...new Set(records.map((r) => r.language))];
  return langs.map((language) => {
    const rs = records.filter((r) => r.language === language && !r.error);
    const inSet = rs.filter((r) => r.inSet);
    const per = Object.fromEntries(rankers.map((k) => {
      const ranks = inSet.map((r) => r.rank![k]!);
      const top = (n: number) => ranks.filter((x) => x <= n).length;
      return [k, { top1: top(1), top5: top(5), topCap: top(PROVE_CAP), mrr: ranks.length ? ranks.reduce((a, x) => a + 1 / x, 0) / ranks.length : 0, medianRank: quantile(ranks, 0.5) }];
    })) as Partial<Record<Ranker, { top1: number; top5: number; topCap: number; mrr: number; medianRank?: number }>>;
    const cands = rs.map((r) => r.candidates);
    return {
      language, problems: rs.length, errors: records.filter((r) => r.language === language && r.error).length, inSet: inSet.length,
      candidatesMean: cands.length ? cands.reduce((a, b) => a + b, 0) / cands.length : 0, candidatesP95: quantile(cands, 0.95),
      // scored problems only (those whose true fix is in the set)
      scoreP50ms: quantile(inSet.map((r) => r.scoreMs), 0.5), scoreP95ms: quantile(inSet.map((r) => r.scoreMs), 0.95),
      regionP50ms: quantile(inSet.flatMap((r) => (r.regionMs === undefined ? [] : [r.regionMs])), 0.5), per,
    };
  });
}

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '-');

export function rankingMarkdown(rows: ReturnType<typeof summarizeRanking>, records: RankingRecord[], meta: Record<string, unknown>, rankers: Ranker[]): string {
  const famRows: string[] = [];
  for (const row of rows) {
    const fams = new Map<string, RankingRecord[]>();
    for (const r of records) if (r.language === row.language && r.inSet) fams.set(r.family!, [...(fams.get(r.family!) ?? []), r]);
    for (const [f, rs] of [...fams].sort((a, b) => b[1].length - a[1].length)) {
      famRows.push(`| ${row.language} | ${f} | ${rs.length} | ${rankers.map((k) => rs.filter((r) => r.rank![k] === 1).length).join(' / ')} |`);
    }
  }
  // HumanEvalFix's own bug classes (issue 28 asks per language and bug type), every problem counted
  const bugRows: string[] = [];
  const languages = rows.map((r) => r.language);
  for (const language of [...languages, ...(languages.length > 1 ? ['all'] : [])]) {
    const bugs = new Map<string, RankingRecord[]>();
    for (const r of records) if (language === 'all' || r.language === language) bugs.set(r.bugType, [...(bugs.get(r.bugType) ?? []), r]);
    for (const [bug, rs] of [...bugs].sort((a, b) => a[0].localeCompare(b[0]))) {
      const inSet = rs.filter((r) => r.inSet);
      bugRows.push(`| ${language} | ${bug} | ${rs.length} | ${inSet.length} | ${rankers.map((k) => inSet.filter((r) => r.rank![k] === 1).length).join(' / ')} |`);
    }
  }
  return [
    '## Ranking: is the true fix among the candidates, and where does it rank (HumanEvalFix)',
    '',
    `Command: \`${meta.command}\`; ${meta.seconds} s. Candidates: propose-semantic.ts at ${meta.lines === 'all' ? "every line of the function (no localization)" : "the lines the example tests blame (the product's top 8 + ties)"}, screened by the language's parser. ` +
      'In set: a candidate has the canonical solution\'s code tokens. Rankers: prior = the edit\'s prior (the order the product proved in before ranking); model = the model\'s log-probability of the candidate\'s lines, from its first change to one line past its last, minus the original\'s over the same lines (Engine.scoreEditCandidates); product = model + prior (what the tested path ranks by); -region: the older whole-region score (Engine.scoreCandidates: every candidate\'s region up to the last line any candidate changes). ' +
      `top-k and MRR are over the problems whose true fix is in the set; "top ${PROVE_CAP}" = within the proof suite's --prove cap.`,
    '',
    '| language | problems | candidates mean / p95 | true fix in set | ranker | top-1 | top-5 | top 30 | MRR | median rank |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.flatMap((r) => rankers.map((k) => {
      const p = r.per[k]!;
      return `| ${r.language} | ${r.problems} | ${r.candidatesMean.toFixed(0)} / ${r.candidatesP95 ?? '-'} | ${r.inSet} (${pct(r.inSet, r.problems)}) | ${k} | ${p.top1} (${pct(p.top1, r.inSet)}) | ${p.top5} (${pct(p.top5, r.inSet)}) | ${p.topCap} (${pct(p.topCap, r.inSet)}) | ${p.mrr.toFixed(3)} | ${p.medianRank ?? '-'} |`;
    })),
    '',
    'Scoring time per scored problem (the model, all candidates, edit windows): ' + rows.map((r) => `${r.language} p50 ${((r.scoreP50ms ?? 0) / 1000).toFixed(1)} s, p95 ${((r.scoreP95ms ?? 0) / 1000).toFixed(1)} s${r.regionP50ms !== undefined ? ` (whole region: p50 ${(r.regionP50ms / 1000).toFixed(1)} s)` : ''}`).join('; ') + '.',
    '',
    'Top-1 by the true fix\'s operator family (prior / model / product):',
    '',
    '| language | family | in set | top-1 prior / model / product |',
    '|---|---|---|---|',
    ...famRows,
    '',
    `By HumanEvalFix's bug type: problems, true fix in the set, top-1 by ${rankers.join(' / ')}:`,
    '',
    '| language | bug type | problems | in set | top-1 |',
    '|---|---|---|---|---|',
    ...bugRows,
    '',
  ].join('\n');
}

export async function runRankingSuite(o: RankingOptions, log: (m: string) => void = (m) => console.error(m)) {
  if (o.report) {
    const records = readFileSync(o.report, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as RankingRecord);
    const rankers = rankersOf(o.score);
    const rows = summarizeRanking(records, rankers);
    const meta = { command: `npm run eval -- ${process.argv.slice(2).join(' ')} (the records of an earlier run: ${records.length} problems; seconds = the model's scoring time only)`, seconds: Math.round(records.reduce((a, r) => a + r.scoreMs, 0) / 1000), lines: o.lines };
    writeFileSync(o.out, JSON.stringify({ meta, rows, records }, null, 1) + '\n');
    writeFileSync(o.out.replace(/\.json$/, '.md'), rankingMarkdown(rows, records, meta, rankers));
    log(rankingMarkdown(rows, records, meta, rankers));
    return { rows, records };
  }
  const t0 = Date.now();
  const dataDir = humanEvalPackDir(o.data);
  const engine = await Engine.load({ modelDir: o.model, device: 'cpu' });
  const records: RankingRecord[] = [];
  mkdirSync(dirname(o.out), { recursive: true });
  const partial = o.out.replace(/\.json$/, '.partial.jsonl');
  writeFileSync(partial, '');
  if (o.dump) { mkdirSync(dirname(o.dump), { recursive: true }); writeFileSync(o.dump, ''); }
  try {
    for (const lang of o.languages) {
      const codeType = LANGUAGE_ID[lang];
      const prover = await proverFor(codeType).catch(() => undefined);
      const problems = loadProblems(dataDir, lang).slice(o.skip, o.limit !== undefined ? o.skip + o.limit : undefined);
      log(`ranking: ${lang}: ${problems.length} problems, lines ${o.lines}, parser ${prover?.name ?? 'none'}`);
      for (const p of problems) {
        const rec = await rankOne(engine, p, codeType, prover, o).catch((e: unknown): RankingRecord => ({ taskId: p.taskId, language: lang, bugType: p.bugType, proposed: 0, candidates: 0, lines: 0, inSet: false, scoreMs: 0, error: (e as Error).message }));
        records.push(rec);
        appendFileSync(partial, JSON.stringify(rec) + '\n');
        log(`ranking: ${p.taskId}: ${rec.error ? `error ${rec.error}` : rec.inSet ? `in set (${rec.candidates}), ranks ${Object.entries(rec.rank!).map(([k, v]) => `${k} ${v}`).join(', ')} — ${rec.label}` : `not in set (${rec.candidates})`}; model's top: ${rec.modelTop ?? '-'} [${(rec.scoreMs / 1000).toFixed(1)} s${rec.regionMs !== undefined ? `, region ${(rec.regionMs / 1000).toFixed(1)} s` : ''}]`);
      }
    }
  } finally {
    await disposeProvers();
    disposeWarmPools();
  }
  const rankers = rankersOf(o.score);
  const rows = summarizeRanking(records, rankers);
  const meta = { command: `npm run eval -- ${process.argv.slice(2).join(' ')}`, seconds: Math.round((Date.now() - t0) / 1000), lines: o.lines, skip: o.skip, limit: o.limit ?? null };
  writeFileSync(o.out, JSON.stringify({ meta, rows, records }, null, 1) + '\n');
  writeFileSync(o.out.replace(/\.json$/, '.md'), rankingMarkdown(rows, records, meta, rankers));
  log(rankingMarkdown(rows, records, meta, rankers));
  log(`wrote ${o.out} and ${o.out.replace(/\.json$/, '.md')}`);
  return { rows, records };
}

async function rankOne(engine: Engine, p: Problem, codeType: string, prover: Awaited<ReturnType<typeof proverFor>> | undefined, o: RankingOptions): Promise<RankingRecord> {
  // a Go file starts with its package clause (gofmt, the parser screen, rejects one without it)
  const buggy = buggyDocument(p);
  const goPackage = p.language === 'go' && !/^\s*package /m.test(buggy);
  const asFile = (doc: string) => (p.language === 'js' ? `${doc}\nmodule.exports = { ${p.entryPoint} };\n` : goPackage ? `package main\n\n${doc}` : doc);
  const text = asFile(buggy);
  const canonical = asFile(canonicalDocument(p));
  const req = { text, languageId: LANGUAGE_ID[p.language], line: bodyLine(p) + (goPackage ? 2 : 0) };
  const region = await engine.scoreFunctionFixes(req, []);
  if (!region) throw new Error('no function at the body line');
  let lines: SuspectLine[] | undefined;
  if (o.lines === 'localized') {
    const dir = mkdtempSync(join(tmpdir(), 'treasure-ranking-'));
    try {
      const { writeWorkspace } = await import('./proof.js');
      const ex = exampleTestOf(o, p);
      writeWorkspace(dir, p, ex);
      lines = await localizedLines(dir, join(dir, p.language === 'python' ? 'solution.py' : 'solution.js'), region.fromLine, region.toLine, p.entryPoint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  let cands: SemanticCandidate[] = proposeSemanticEdits(text, codeType, { fromLine: region.fromLine, toLine: region.toLine, lines });
  const proposed = cands.length;
  if (prover && cands.length) {
    const ok = (await prover.parse(cands.map((c) => c.fixed))).map((v) => v.ok);
    cands = cands.filter((_, i) => ok[i]);
  }
  const want = codeTokens(canonical, codeType);
  const hit = cands.findIndex((c) => codeTokens(c.fixed, codeType) === want);
  const base = { taskId: p.taskId, language: p.language, bugType: p.bugType, proposed, candidates: cands.length, lines: lines?.length ?? region.toLine - region.fromLine + 1 };
  // top-k and MRR count only problems whose true fix is in the set: the others are not scored (time)
  if (hit < 0) return { ...base, inSet: false, scoreMs: 0 };
  const docs = cands.map((c) => c.fixed);
  if (o.dump) {
    const plan = await engine.editScoringPlan(req, docs);
    if (plan) appendFileSync(o.dump, JSON.stringify({ taskId: p.taskId, language: p.language, bugType: p.bugType, family: cands[hit]!.family, hit, priors: cands.map((c) => c.prior), sizes: cands.map((c) => c.size), groups: plan.groups }) + '\n');
  }
  const timed = async (how: ScoreHow) => {
    const t = performance.now();
    const scored = docs.length ? (await engine.scoreFunctionFixes(req, docs, how))!.scores : [];
    return { s: scored, ms: Math.round(performance.now() - t) };
  };
  const edits = o.score.includes('edits') ? await timed('edits') : undefined;
  const whole = o.score.includes('region') ? await timed('region') : undefined;
  const main = edits ?? whole;
  if (!main) return { ...base, inSet: true, family: cands[hit]!.family, label: cands[hit]!.label, rank: { prior: hit + 1 }, scoreMs: 0 };
  const modelBest = main.s.length ? main.s.indexOf(Math.max(...main.s)) : -1;
  const modelTop = modelBest >= 0 ? cands[modelBest]!.label : undefined;
  const times = { scoreMs: main.ms, regionMs: edits && whole ? whole.ms : undefined };
  const n = cands.length;
  const byModel = (s: number[]) => rankOf(n, hit, (a, b) => s[b]! - s[a]!);
  const byProduct = (s: number[]) => rankOf(n, hit, productOrder(s, cands));
  const rank: Partial<Record<Ranker, number>> = { prior: hit + 1 }; // proposeSemanticEdits sorts by prior (then line): the order the product proved in
  if (edits) { rank.model = byModel(edits.s); rank.product = byProduct(edits.s); }
  if (whole) { rank['model-region'] = byModel(whole.s); rank['product-region'] = byProduct(whole.s); }
  return { ...base, inSet: true, family: cands[hit]!.family, label: cands[hit]!.label, rank, modelTop, ...times };
}

const exampleCache = new Map<string, Map<string, string>>();
function exampleTestOf(o: RankingOptions, p: Problem): string {
  const dir = humanEvalPackDir(o.data);
  let m = exampleCache.get(p.language);
  if (!m) {
    m = new Map();
    for (const l of readFileSync(join(dir, `${p.language}.jsonl`), 'utf8').split('\n')) {
      if (!l.trim()) continue;
      const r = JSON.parse(l) as Record<string, string>;
      m.set(r.task_id!, r.example_test ?? '');
    }
    exampleCache.set(p.language, m);
  }
  return m.get(p.taskId) ?? '';
}

export function parseRankingArgs(argv: string[]): RankingOptions {
  const o: RankingOptions = { languages: ['python', 'js'], skip: 0, lines: 'all', score: ['edits'], out: resolve(repoRoot, 'build/eval/ranking.json') };
  const num = (a: string, v: string) => { const n = Number(v); if (!Number.isFinite(n) || n < 0) throw new Error(`${a} expects a number, got "${v}"`); return n; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => { const x = argv[++i]; if (x === undefined) throw new Error(`${a} needs a value`); return x; };
    switch (a) {
      case '--suite': v(); break;
      case '--languages': o.languages = v().split(',').map((s) => (s.trim() === 'javascript' ? 'js' : s.trim())).filter(Boolean) as HepLanguage[]; break;
      case '--limit': o.limit = num(a, v()); break;
      case '--skip': o.skip = num(a, v()); break;
      case '--lines': { const l = v(); if (l !== 'all' && l !== 'localized') throw new Error('--lines: all or localized'); o.lines = l; break; }
      case '--dump': o.dump = resolve(v()); break;
      case '--score': { const sv = v(); o.score = sv === 'none' ? [] : sv.split(',').map((x) => x.trim()).filter((x): x is ScoreHow => { if (x !== 'edits' && x !== 'region') throw new Error('--score: edits and/or region, or none'); return true; }); break; }
      case '--report': o.report = resolve(v()); break;
      case '--out': o.out = resolve(v()); break;
      case '--model': o.model = resolve(v()); break;
      case '--data': o.data = resolve(v()); break;
      default: throw new Error(`unknown option for the ranking suite: ${a}`);
    }
  }
  for (const l of o.languages) if (!(HEP_LANGUAGES as readonly string[]).includes(l)) throw new Error(`--languages: unknown ${l}`);
  if (o.lines === 'localized') for (const l of o.languages) if (l !== 'python' && l !== 'js') throw new Error(`--lines localized: only python and js have example-test workspaces (${l})`);
  return o;
}
