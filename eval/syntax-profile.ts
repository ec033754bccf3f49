// npx tsx eval/syntax-profile.ts [--per-language N] [--seed N] [--languages L,L] [--two] [--repeat N]
// Where a syntax fix's time goes, per language, on the syntax suite's cases (same seed and cases as
// `npm run eval -- --suite syntax`): the analysis (tree-sitter), the language parser on the original,
// the search's stages (propose, screen, parse, rank, confirm) and what is left (the rest of the
// engine's path). Times are p50 / p95 ms over the cases; the machine's load average is printed with
// them (a shared machine makes every figure an upper bound).
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../language-server/src/engine';
import { analyze, targetAt } from '../language-server/src/context';
import { resolveLanguage } from '../language-server/src/grammars';
import { disposeProvers, proverFor } from '../language-server/src/repair/prove';
import { syntaxStudy } from '../language-server/src/repair/syntax';
import { repoRoot } from './paths.js';
import { buildCases, sampleFiles, SYNTAX_LANGUAGES } from './suites/syntax';

const args = process.argv.slice(2);
const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const perLanguage = Number(opt('--per-language') ?? 15);
const seed = Number(opt('--seed') ?? 1);
const languages = opt('--languages')?.split(',') ?? SYNTAX_LANGUAGES.filter((l) => l !== 'cpp');

const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : 0; };
const fmt = (xs: number[]) => `${q(xs, 0.5).toFixed(0)} / ${q(xs, 0.95).toFixed(0)}`;

async function main(): Promise<void> {
  const engine = await Engine.load({ device: 'cpu' });
  const files = await sampleFiles(join(repoRoot, 'build/data/corpus'), languages, perLanguage, seed);
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log('| language | cases | total | analysis | parse original | propose | screen | parse | rank | confirm | rest |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const language of languages) {
    const cases = (await buildCases(language, files.get(language) ?? [], perLanguage, seed)).filter((c) => (args.includes('--two') ? c.kind === 'two' : c.kind !== 'two'));
    const lang = resolveLanguage(language)!;
    const prover = await proverFor(language);
    const cols: Record<string, number[]> = {};
    const add = (k: string, v: number) => (cols[k] ??= []).push(v);
    for (const c of cases) {
      const t0 = performance.now();
      const a = await analyze(c.broken, lang);
      const t1 = performance.now();
      await prover.parse([c.broken]);
      const t2 = performance.now();
      const stages: Record<string, number> = {};
      syntaxStudy.trace = (tr) => { for (const [k, v] of Object.entries(tr.timings)) stages[k] = (stages[k] ?? 0) + v; };
      const t3 = performance.now();
      await engine.fixAt({ analysis: a, target: targetAt(a, {}), since: t3 });
      const t4 = performance.now();
      const inSearch = Object.values(stages).reduce((x, y) => x + y, 0);
      add('total', t1 - t0 + t4 - t3);
      add('analysis', t1 - t0);
      add('parse original', t2 - t1);
      for (const k of ['propose', 'screen', 'parse', 'rank', 'confirm']) add(k, stages[k] ?? 0);
      add('rest', t4 - t3 - inSearch);
    }
    const k = ['total', 'analysis', 'parse original', 'propose', 'screen', 'parse', 'rank', 'confirm', 'rest'];
    console.log(`| ${language} | ${cases.length} | ${k.map((x) => fmt(cols[x] ?? [])).join(' | ')} |`);
  }
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  syntaxStudy.trace = undefined;
  await disposeProvers();
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
