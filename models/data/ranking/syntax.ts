// Syntax-repair ranking examples for the fine-tune of issues 25/28 (models/train/rank_train.py): a corpus
// file (train or valid split, never test: the syntax eval reads that) broken by one token as the syntax
// suite breaks its cases (eval/suites/syntax.ts mutate: deleted, inserted or replaced, kept where the
// language's parser rejects it), run through the product's own syntax search (Engine.fixDetailed ->
// repairSyntax: propose, screen, prove). The example keeps the accepted candidate that restores the file
// (doc 0) and up to K other accepted ones, the first by the search's cheap order (those the model must
// beat), as the token ids the product's syntax ranker scores (Engine.candidateScoringPlan: the CodeFix
// prompt and marker list, then each candidate's answer lines). One group whose base is one empty window:
// a doc's score is its answer's log-probability, the product's syntax score (no original subtracted).
// During the search the model's scores are zeros (the accepted set does not depend on them and the order
// the trace shows is then the cheap order) and the model's own rewrite is not asked for (a case without
// candidates is dropped anyway); the model's tokens are computed once, for the example's docs together.
//   npx tsx models/data/ranking/syntax.ts [--corpus DIR] [--out DIR] [--train N] [--valid N] [--negatives K]
//     [--seed S] [--minutes M] [--shards N] [--per-shard N] [--languages L,L]
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { breakOneToken, eligibleFiles, rng, SYNTAX_LANGUAGES, type CorpusFile } from '../../../eval/suites/syntax';
import type { Analysis, FixTarget } from '../../../language-server/src/context';
import { Engine } from '../../../language-server/src/engine';
import { resolveLanguage } from '../../../language-server/src/grammars';
import type { Markers } from '../../../language-server/src/markers';
import { lex, tokenStream } from '../../../language-server/src/repair/lex';
import { disposeProvers, hasSyntaxError, proverFor } from '../../../language-server/src/repair/prove';
import { syntaxStudy, type SyntaxSearchTrace } from '../../../language-server/src/repair/syntax';

interface Args { corpus: string; out: string; train: number; valid: number; negatives: number; seed: number; minutes: number; shards: number; perShard: number; languages: string[]; model: string }

function parseArgs(argv: string[]): Args {
  const a: Args = { corpus: resolve('build/data/corpus'), out: resolve('build/rank/carry-syntax'), train: 3000, valid: 300, negatives: 7, seed: 25, minutes: 60, shards: 6, perShard: 150, languages: [...SYNTAX_LANGUAGES], model: resolve('models/treasure') };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i] ?? '';
    switch (argv[i]) {
      case '--corpus': a.corpus = resolve(v()); break;
      case '--out': a.out = resolve(v()); break;
      case '--train': a.train = Number(v()); break;
      case '--valid': a.valid = Number(v()); break;
      case '--negatives': a.negatives = Number(v()); break;
      case '--seed': a.seed = Number(v()); break;
      case '--minutes': a.minutes = Number(v()); break;
      case '--shards': a.shards = Number(v()); break;
      case '--per-shard': a.perShard = Number(v()); break;
      case '--languages': a.languages = v().split(','); break;
      case '--model': a.model = resolve(v()); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return a;
}

/** Up to `cap` files per language of one shard (the files the syntax suite may break), a seeded reservoir. */
async function sampleShard(file: string, languages: string[], cap: number, r: () => number): Promise<Map<string, CorpusFile[]>> {
  const pools = new Map<string, CorpusFile[]>(languages.map((l) => [l, []]));
  const seen = new Map<string, number>();
  for await (const { language, file: f } of eligibleFiles(file, new Set(languages))) {
    const pool = pools.get(language)!;
    const k = (seen.get(language) ?? 0) + 1;
    seen.set(language, k);
    if (pool.length < cap) pool.push(f);
    else { const j = Math.floor(r() * k); if (j < cap) pool[j] = f; }
  }
  return pools;
}

/** The split's shards (at most `most`, spread over them), every language's files shuffled. */
async function splitFiles(dir: string, split: string, languages: string[], most: number, cap: number, r: () => number): Promise<Map<string, CorpusFile[]>> {
  const all = readdirSync(dir).filter((f) => new RegExp(`^${split}-\\d+\\.jsonl\\.xz$`).test(f)).sort();
  if (all.length === 0) throw new Error(`no ${split} shards in ${dir}`);
  const step = Math.max(1, all.length / most);
  const shards = [...new Set(Array.from({ length: Math.min(most, all.length) }, (_, i) => all[Math.floor(i * step)]!))];
  const out = new Map<string, CorpusFile[]>(languages.map((l) => [l, []]));
  for (const s of shards) for (const [l, fs] of await sampleShard(join(dir, s), languages, cap, r)) out.get(l)!.push(...fs);
  for (const pool of out.values()) for (let i = pool.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [pool[i], pool[j]] = [pool[j]!, pool[i]!]; }
  return out;
}

/** A one-token case of a file as the syntax suite makes them (buildCases' single-token loop), or why there is none. */
async function breakFile(language: string, f: CorpusFile, r: () => number): Promise<{ kind: string; mutation: string; broken: string } | string> {
  const prover = await proverFor(language);
  const [ok] = await prover.parse([f.text]);
  if (hasSyntaxError(ok!, prover)) return 'the parser rejects the file as it is';
  const one = await breakOneToken(f.text, lex(f.text, language), prover, r);
  return one ? { kind: one.kind, mutation: one.m.what, broken: one.m.text } : 'no mutant the parser rejects';
}

/** rank_train.py's layout: one group, one empty base window every doc shares (score = the answer's log-probability). */
export function syntaxExample(head: number[], answers: number[][]): { prefix: number[]; groups: { plen: number; answers: number[][]; bases: number[][]; members: number[][] }[] } {
  return { prefix: head, groups: [{ plen: head.length, answers, bases: [[]], members: answers.map((_, i) => [i, i, 0]) }] };
}

interface Scoring { a: Analysis; target: FixTarget; docs: readonly string[]; given: Markers; maxLines?: number }

export interface SyntaxRankExample extends ReturnType<typeof syntaxExample> {
  lang: string;
  stage?: number;
  /** Per doc: the search's label, parser-clean or not, prior, place in the cheap order, among the docs the
   * product's model reads, and its cheap terms (nats, what the product adds the model's score to; null: not ranked). */
  labels: string[];
  clean: boolean[];
  priors: number[];
  cheapRank: number[];
  modelAsked: boolean[];
  cheap: (number | null)[];
}

/**
 * The engine set up for data building (its instance's model scores answer zeros and are recorded; no
 * rewrite), and a function that runs the product's syntax search on one broken file: the example, or why none.
 */
export function syntaxExampleMaker(engine: Engine, negatives: number): (language: string, original: string, broken: string) => Promise<SyntaxRankExample | string> {
  let asked: Scoring[] = [];
  engine.scoreCandidates = async (a, target, docs, given, _signal, maxLines) => { asked.push({ a, target, docs, given, maxLines }); return docs.map(() => 0); };
  engine.fixTarget = async () => ({ fix: null, reason: 'no rewrite while building data', latencyMs: 0 });
  return async (language, original, broken) => {
    const want = tokenStream(original, language).join('\u0000');
    const same = (doc: string) => doc === original || tokenStream(doc, language).join('\u0000') === want;
    let trace: SyntaxSearchTrace | undefined;
    asked = [];
    syntaxStudy.scoreAll = true; // every accepted candidate goes through scoreCandidates once (its a, target, markers)
    syntaxStudy.trace = (t) => { trace ??= t; };
    try {
      await engine.fixDetailed({ text: broken, languageId: resolveLanguage(language)!.languageId });
    } catch (e) {
      return `search failed: ${(e as Error).message.slice(0, 60)}`;
    } finally {
      syntaxStudy.trace = undefined;
      syntaxStudy.scoreAll = undefined;
    }
    const tr = trace as SyntaxSearchTrace | undefined;
    if (!tr || tr.accepted.length === 0) return 'nothing accepted';
    const pos = tr.order.find((x) => x.fixed === original) ?? tr.order.find((x) => same(x.fixed));
    if (!pos) return tr.proposed.some((x) => same(x.fixed)) ? 'original proposed, not accepted' : 'original not proposed';
    const seen = new Set([pos.fixed]);
    const negs = tr.order.filter((x) => !same(x.fixed) && !seen.has(x.fixed) && seen.add(x.fixed)).slice(0, negatives);
    if (negs.length === 0) return 'only the original accepted';
    const s = asked[0];
    if (!s) return 'the model was not asked';
    // the plan of the docs together; a negative whose answer ids are another's (its edit lies outside the
    // lines the model reads: the same ids as the original's) cannot be told apart: left out, and planned again
    let docs = [pos, ...negs];
    const key = (ids: number[]) => ids.join(',');
    for (;;) {
      const plan = await engine.candidateScoringPlan(s.a, s.target, docs.map((x) => x.fixed), s.given, s.maxLines).catch((e: Error) => e);
      if (plan instanceof Error) return `plan: ${plan.message.slice(0, 40)}`;
      const keep = docs.filter((_, i) => !plan.answers.slice(0, i).some((x) => key(x) === key(plan.answers[i]!)));
      if (keep.length < 2) return 'every other candidate reads as the original';
      if (keep.length < docs.length) { docs = keep; continue; }
      return exampleRecord(tr, docs, plan, new Set(asked[1]?.docs ?? []), language);
    }
  };
}

/** The example's record: the docs' labels and where the search put them, with the plan's ids. */
function exampleRecord(tr: SyntaxSearchTrace, docs: SyntaxSearchTrace['order'], plan: { head: number[]; answers: number[][] }, modelSet: Set<string>, language: string): SyntaxRankExample {
  const clean = new Map(tr.accepted.map((x) => [x.c.fixed, x.clean]));
  return {
    lang: language, stage: tr.stage,
    labels: docs.map((x) => x.label), clean: docs.map((x) => clean.get(x.fixed) ?? false), priors: docs.map((x) => Math.round(x.prior * 1000) / 1000),
    cheapRank: docs.map((x) => tr.order.indexOf(x)), modelAsked: docs.map((x) => modelSet.has(x.fixed)),
    cheap: docs.map((x) => { const v = tr.cheap?.get(x); return v === undefined ? null : Math.round(v * 1000) / 1000; }),
    ...syntaxExample(plan.head, plan.answers),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  const deadline = t0 + args.minutes * 60_000;
  mkdirSync(args.out, { recursive: true });
  const engine = await Engine.load({ modelDir: args.model, device: 'cpu' });
  const exampleOf = syntaxExampleMaker(engine, args.negatives);
  const card = {
    command: `npx tsx models/data/ranking/syntax.ts ${process.argv.slice(2).join(' ')}`.trim(),
    notes: [
      'doc 0 = the accepted candidate with the original file\'s tokens; docs 1.. = other accepted candidates, first by the search\'s cheap order (its model scores set to zero while searching)',
      'one group, bases = [[]] shared by every doc: score = log-probability of the answer ids (Engine.candidateScoringPlan, SYNTAX_SCORING_LINES narrowing), computed for the example\'s docs together',
      'proof as in the product: the language\'s parser (tree-sitter screens first where screen-policy.ts says)',
    ],
    seconds: 0, cases: 0, secondsPerCase: 0,
    splits: {} as Record<string, { examples: number; perLanguage: Record<string, number>; perKind: Record<string, number>; docs: number; dropped: Record<string, number>; overTokens1024: number; files: string }>,
  };
  const writeCard = () => { card.seconds = Math.round((Date.now() - t0) / 1000); card.secondsPerCase = Math.round((card.seconds / Math.max(1, card.cases)) * 100) / 100; writeFileSync(join(args.out, 'card.json'), JSON.stringify(card, null, 1) + '\n'); };
  const r = rng(args.seed);
  for (const [split, want] of [['valid', args.valid], ['train', args.train]] as const) {
    if (want <= 0 || Date.now() > deadline) continue;
    const files = await splitFiles(args.corpus, split, args.languages, split === 'valid' ? 1 : args.shards, split === 'valid' ? 400 : args.perShard, r);
    const stat = { examples: 0, perLanguage: {} as Record<string, number>, perKind: {} as Record<string, number>, docs: 0, dropped: {} as Record<string, number>, overTokens1024: 0, files: `${split}.jsonl.xz` };
    card.splits[split] = stat;
    const drop = (why: string) => { stat.dropped[why] = (stat.dropped[why] ?? 0) + 1; };
    const outFile = join(args.out, `${split}.jsonl`);
    writeFileSync(outFile, '');
    // a language's share and half again (C++ files the parser reads alone are few: the others fill in)
    const perLang = Math.ceil((1.5 * want) / args.languages.length);
    const next = new Map(args.languages.map((l) => [l, 0]));
    // round robin over the languages, so that a run cut short keeps them all
    while (stat.examples < want && Date.now() < deadline) {
      const open = args.languages.filter((l) => (stat.perLanguage[l] ?? 0) < perLang && next.get(l)! < files.get(l)!.length);
      if (open.length === 0) break;
      for (const language of open) {
        if (stat.examples >= want || Date.now() >= deadline) break;
        const f = files.get(language)![next.get(language)!]!;
        next.set(language, next.get(language)! + 1);
        // a failure of the machine (a full disk, a parser that died) loses the case, not the run
        const c = await breakFile(language, f, r).catch((e: Error) => `error: ${e.message.slice(0, 50)}`);
        if (typeof c === 'string') { drop(c); continue; }
        card.cases++;
        const made = await exampleOf(language, f.text, c.broken).catch((e: Error) => `error: ${e.message.slice(0, 50)}`);
        if (typeof made === 'string') { drop(made); continue; }
        const ex = { ...made, kind: c.kind, mutation: c.mutation, path: `${f.package}/${f.path}` };
        const { answers } = ex.groups[0]!;
        appendFileSync(outFile, JSON.stringify(ex) + '\n');
        stat.examples++;
        stat.docs += answers.length;
        stat.perLanguage[language] = (stat.perLanguage[language] ?? 0) + 1;
        stat.perKind[c.kind] = (stat.perKind[c.kind] ?? 0) + 1;
        if (ex.prefix.length + Math.max(...answers.map((x) => x.length)) > 1024) stat.overTokens1024++;
        if (card.cases % 20 === 0) { writeCard(); console.error(`${split} ${stat.examples}/${want} examples, ${card.cases} cases, ${card.secondsPerCase} s/case`); }
      }
    }
    writeCard();
    // compressed beside the plain file (the plain one is what a run cut short leaves)
    if (existsSync(`${outFile}.xz`)) rmSync(`${outFile}.xz`);
    spawnSync('xz', ['-k', '-6', outFile], { stdio: 'inherit' });
  }
  writeCard();
  await disposeProvers();
  console.error(JSON.stringify(card));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(__filename)) main().catch((e) => { console.error(e); process.exit(1); });
