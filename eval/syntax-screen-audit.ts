// npx tsx eval/syntax-screen-audit.ts [--per-language N] [--seed N] [--languages L,L] [--two]
// How often the tree-sitter screen (repair/screen-policy.ts) keeps out a candidate that the language's
// own parser accepts (a false reject), per language, on the syntax suite's cases (same seed and cases as
// `npm run eval -- --suite syntax`): every candidate the screen keeps out is parsed by the language's
// parser as well and judged as the search judges it. Also: whether the original (same tokens) was among
// the false rejects, and whether the fix equals the original. The audit parses everything twice, so
// its times say nothing; latency is measured by the eval.
import { join } from 'node:path';
import { Engine } from '../language-server/src/engine';
import { resolveLanguage } from '../language-server/src/grammars';
import { tokenStream } from '../language-server/src/repair/lex';
import { disposeProvers } from '../language-server/src/repair/prove';
import { syntaxStudy, type SyntaxSearchTrace } from '../language-server/src/repair/syntax';
import { repoRoot } from './paths.js';
import { buildCases, sampleFiles, SYNTAX_LANGUAGES } from './suites/syntax';

const args = process.argv.slice(2);
const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const perLanguage = Number(opt('--per-language') ?? 15);
const seed = Number(opt('--seed') ?? 1);
const languages = opt('--languages')?.split(',') ?? SYNTAX_LANGUAGES.filter((l) => l !== 'cpp');

async function main(): Promise<void> {
  const engine = await Engine.load({ device: 'cpu' });
  const files = await sampleFiles(join(repoRoot, 'build/data/corpus'), languages, perLanguage, seed);
  syntaxStudy.screenAudit = true;
  console.log('| language | cases | searches | kept out | false rejects (clean) | cases with one | original among them | equal | rescued searches |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const language of languages) {
    const cases = (await buildCases(language, files.get(language) ?? [], perLanguage, seed)).filter((c) => (args.includes('--two') ? c.kind === 'two' : c.kind !== 'two'));
    let searches = 0, keptOut = 0, falseRejects = 0, clean = 0, withOne = 0, origLost = 0, equal = 0, rescued = 0;
    for (const c of cases) {
      const same = (doc: string) => doc === c.original || tokenStream(doc, language).join('\u0000') === tokenStream(c.original, language).join('\u0000');
      const traces: SyntaxSearchTrace[] = [];
      syntaxStudy.trace = (t) => traces.push(t);
      const out = await engine.fixDetailed({ text: c.broken, languageId: resolveLanguage(language)!.languageId });
      if (out.fix && same(out.fix.fixed)) equal++;
      let one = false;
      for (const t of traces) {
        searches++;
        keptOut += t.screen?.keptOut ?? 0;
        if (t.screen?.rescued) rescued++;
        const fr = t.audit?.falseRejects ?? [];
        falseRejects += fr.length;
        clean += fr.filter((x) => x.clean).length;
        if (fr.length) one = true;
        const lost = fr.filter((x) => same(x.c.fixed));
        if (lost.length) { origLost++; console.log(`  ${c.id} [${c.mutation}]: the original kept out (${lost.map((x) => x.c.label).join('; ')}); fix: ${out.fix?.label ?? 'none'}`); }
        if (fr.length && args.includes('--list')) console.log(`  ${c.id}: false rejects ${fr.slice(0, 8).map((x) => `${x.c.label}${x.clean ? '' : ' (not clean)'}`).join('; ')}`);
      }
      if (one) withOne++;
    }
    console.log(`| ${language} | ${cases.length} | ${searches} | ${keptOut} | ${falseRejects} (${clean}) | ${withOne} | ${origLost} | ${equal} | ${rescued} |`);
  }
  syntaxStudy.trace = undefined;
  await disposeProvers();
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
