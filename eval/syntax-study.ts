// npx tsx eval/syntax-study.ts [--per-language N] [--seed N] [--ids python/6,go/4] [--languages L,L] [--two] [--dump F [--alt]] [--seeds] [--model-within NATS] [--scoring-lines N] [--no-screen L,L]
// Where the syntax search loses the original: for each case of the syntax suite (the same seed and
// cases as `npm run eval -- --suite syntax`), whether the original was proposed, accepted by the
// parser, and where the ranking put it; with the search's time per stage. Cases are kept in
// build/eval/syntax-cases-<seed>-<N>.json so that reruns skip reading the corpus.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Engine } from '../language-server/src/engine';
import { resolveLanguage } from '../language-server/src/grammars';
import { tokenStream } from '../language-server/src/repair/lex';
import { disposeProvers } from '../language-server/src/repair/prove';
import { syntaxStudy, type SyntaxSearchTrace } from '../language-server/src/repair/syntax';
import { screenStudy } from '../language-server/src/repair/screen-policy';
import { repoRoot } from './paths.js';
import { buildCases, sampleFiles, SYNTAX_LANGUAGES, type SyntaxCase } from './suites/syntax';

const args = process.argv.slice(2);
const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const perLanguage = Number(opt('--per-language') ?? 15);
const seed = Number(opt('--seed') ?? 1);
const ids = opt('--ids')?.split(',');
const languages = opt('--languages')?.split(',') ?? [...SYNTAX_LANGUAGES];

async function cases(): Promise<SyntaxCase[]> {
  const file = join(repoRoot, 'build/eval', `syntax-cases-${seed}-${perLanguage}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SyntaxCase[];
  const files = await sampleFiles(join(repoRoot, 'build/data/corpus'), [...SYNTAX_LANGUAGES], perLanguage, seed);
  const all: SyntaxCase[] = [];
  for (const l of SYNTAX_LANGUAGES) all.push(...(await buildCases(l, files.get(l) ?? [], perLanguage, seed)));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(all));
  return all;
}

async function main(): Promise<void> {
  const all = (await cases()).filter((c) => (ids ? ids.includes(c.id) : languages.includes(c.language) && (args.includes('--two') ? true : c.kind !== 'two')));
  const engine = await Engine.load({ device: 'cpu' });
  const dump = opt('--dump');
  syntaxStudy.scoreAll = !!dump;
  syntaxStudy.scoreAlt = args.includes('--alt');
  if (opt('--no-screen')) screenStudy.off = opt('--no-screen')!.split(',');
  if (opt('--scoring-lines')) syntaxStudy.scoringLines = Number(opt('--scoring-lines'));
  if (opt('--model-within')) syntaxStudy.limits = { modelWithin: Number(opt('--model-within')) };
  const dumped: unknown[] = [];
  let equal = 0;
  const stageMs: Record<string, number[]> = {};
  const totals: number[] = [];
  for (const c of all) {
    const same = (doc: string) => doc === c.original || tokenStream(doc, c.language).join('\u0000') === tokenStream(c.original, c.language).join('\u0000');
    let trace: SyntaxSearchTrace | undefined;
    syntaxStudy.trace = (t) => { trace ??= t; };
    const t0 = performance.now();
    const out = await engine.fixDetailed({ text: c.broken, languageId: resolveLanguage(c.language)!.languageId });
    const ms = performance.now() - t0;
    totals.push(ms);
    const ok = !!out.fix && same(out.fix.fixed);
    if (ok) equal++;
    const p = trace ? trace.proposed.findIndex((x) => same(x.fixed)) : -2;
    const acc = trace ? trace.accepted.findIndex((x) => same(x.c.fixed)) : -2;
    const ord = trace ? trace.order.findIndex((x) => same(x.fixed)) : -2;
    const want = trace?.order[ord];
    const won = trace?.order[0];
    for (const [k, v] of Object.entries(trace?.timings ?? {})) (stageMs[k] ??= []).push(v);
    if (dump && trace?.scores) {
      const sc = trace.scores;
      dumped.push({ id: c.id, mutation: c.mutation, won: out.fix?.label, errorOffset: trace.errorOffset, stage: trace.stage, candidates: sc.of.map((x, i) => ({ label: x.c.label, edits: x.c.edits, prior: x.c.prior, clean: x.clean, whole: sc.whole[i], alt: sc.alt[i], familiarity: x.c.familiarity ?? 0, correct: same(x.c.fixed) })) });
    }
    if (args.includes('--seeds') && trace?.seeds) console.log(`   seeds: ${trace.seeds.join(' | ')}`);
    const f = (x?: number) => (x === undefined ? '-' : x.toFixed(1));
    console.log(`${ok ? 'OK ' : '-- '}${c.id} [${c.mutation}] fix=${out.fix?.label ?? 'none'} | proposed#${p}/${trace?.proposed.length ?? '-'} accepted#${acc}/${trace?.accepted.length ?? '-'} (clean ${trace?.accepted.filter((x) => x.clean).length ?? '-'}) order#${ord}` +
      ` want(prior ${f(want?.prior)} score ${f(want?.score)}) won(${won?.label} prior ${f(won?.prior)} score ${f(won?.score)}) ${Math.round(ms)} ms ${JSON.stringify(Object.fromEntries(Object.entries(trace?.timings ?? {}).map(([k, v]) => [k, Math.round(v)])))}`);
  }
  if (dump) writeFileSync(dump, JSON.stringify(dumped));
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
  console.log(`equal ${equal}/${all.length}; p50 ${Math.round(q(totals, 0.5))} ms p95 ${Math.round(q(totals, 0.95))} ms; stages p50: ${Object.entries(stageMs).map(([k, v]) => `${k} ${Math.round(q(v, 0.5))}`).join(', ')}`);
  await disposeProvers();
}

void main();
