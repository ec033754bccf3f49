// The real-fix pairs (collect.ts) against the product's ranking (issue 28): for each buggy function, the
// candidate set the tested path proposes (propose-semantic.ts at every line of the function, screened by
// the language's parser, as eval/suites/ranking.ts does), whether it contains the real fix (the same
// code tokens, and the same text), and -- for up to --score of the pairs whose fix is in the set -- the
// shipped model's rank of it by the model's score and by the product's (score + prior), with the same
// Engine.scoreFunctionFixes call the ranking suite makes. Writes ranking examples in rank_train.py's
// layout (models/data/ranking/build.ts): doc 0 = the real fix (in the operator set or not), K other
// candidates as negatives; split by package (--valid of packages to valid). Outputs under --out:
// rank-train.jsonl.xz, rank-valid.jsonl.xz (written first), rank.json (the counts and ranks per source/language),
// rank-records.jsonl (each pair), rank-scores.jsonl (each scored pair's ranks).
//   npx tsx models/data/realfix/rank.ts [--pairs build/realfix/pairs.jsonl.xz[,build/realfix/pairs-debian.jsonl.xz]] [--out build/realfix] [--negatives 7] [--score 200] [--per-package 60] [--valid 0.1] [--max-doc-chars 60000] [--model models/treasure]
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { codeTokens, productOrder, rankOf } from '../../../eval/suites/ranking';
import { splitLines } from '../../../language-server/src/context';
import { Engine, languageOrThrow } from '../../../language-server/src/engine';
import { proposeSemanticEdits } from '../../../language-server/src/repair/propose-semantic';
import { disposeProvers, proverFor } from '../../../language-server/src/repair/prove';
import { exampleGroups, pickNegatives } from '../ranking/example';
import { Rng, unit } from '../tasks/rng';

export interface PairRecord {
  package: string; from: string; to: string; licence: string; language: string; path: string; test: boolean; source?: 'debian';
  startLine: number; endLine: number; hunkLine: number; removed: number; added: number; before: string; after: string; doc: string;
}

interface Args { pairs: string; out: string; negatives: number; score: number; perPackage: number; valid: number; model: string; seed: number; maxDocChars: number }

function parseArgs(argv: string[]): Args {
  const a: Args = { pairs: resolve('build/realfix/pairs.jsonl.xz'), out: resolve('build/realfix'), negatives: 7, score: 200, perPackage: 60, valid: 0.1, model: resolve('models/treasure'), seed: 28, maxDocChars: 60_000 };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i] ?? '';
    switch (argv[i]) {
      case '--pairs': a.pairs = resolve(v()); break;
      case '--out': a.out = resolve(v()); break;
      case '--negatives': a.negatives = Number(v()); break;
      case '--score': a.score = Number(v()); break;
      case '--per-package': a.perPackage = Number(v()); break;
      case '--valid': a.valid = Number(v()); break;
      case '--model': a.model = resolve(v()); break;
      case '--seed': a.seed = Number(v()); break;
      case '--max-doc-chars': a.maxDocChars = Number(v()); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return a;
}

/** The old file (its line breaks normalised) and the same file with the function replaced by its new text. */
export function buggyAndFixed(p: Pick<PairRecord, 'doc' | 'startLine' | 'endLine' | 'after'>): { buggy: string; fixed: string } {
  const lines = splitLines(p.doc);
  const fixed = [...lines.slice(0, p.startLine), ...splitLines(p.after), ...lines.slice(p.endLine + 1)];
  return { buggy: lines.join('\n'), fixed: fixed.join('\n') };
}

/** The package's split: a seeded hash of its name (never by file: a package's fixes stay together). */
export const splitOf = (pkg: string, valid: number, seed: number): 'train' | 'valid' => (unit('realfix-split', seed, pkg) < valid ? 'valid' : 'train');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rand = new Rng('realfix-rank', args.seed);
  const t0 = Date.now();
  const log = (m: string) => console.error(`[${Math.round((Date.now() - t0) / 1000)} s] ${m}`);
  const pairs = args.pairs.split(',').flatMap((f) => execFileSync('xz', ['-dc', f], { maxBuffer: 2 ** 31 }).toString('utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as PairRecord));
  // a few packages give most pairs: at most --per-package of each (a seeded choice)
  const byPkg = new Map<string, PairRecord[]>();
  for (const p of rand.shuffle(pairs)) { const l = byPkg.get(p.package) ?? []; if (l.length < args.perPackage) l.push(p); byPkg.set(p.package, l); }
  const used = [...byPkg.values()].flat();
  log(`${pairs.length} pairs, ${used.length} after the per-package cap (${byPkg.size} packages)`);
  const engine = await Engine.load({ modelDir: args.model, device: 'cpu' });
  mkdirSync(args.out, { recursive: true });
  const files = { train: join(args.out, 'rank-train.jsonl'), valid: join(args.out, 'rank-valid.jsonl'), records: join(args.out, 'rank-records.jsonl') };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const stats: Record<string, { pairs: number; candidatesMean: number; inSet: number; inSetExact: number; scored: number; model: number[]; product: number[]; examples: { train: number; valid: number }; noFunction: number; fewNegatives: number; fixFamilies: Record<string, number> }> = {};
  // the product's candidates for a pair's buggy function, and where the real fix is among them
  const candidatesFor = async (p: PairRecord) => {
    const lang = languageOrThrow(p.language);
    const { buggy, fixed } = buggyAndFixed(p);
    const req = { text: buggy, languageId: p.language, line: p.hunkLine, path: p.path };
    const region = await engine.scoreFunctionFixes(req, []).catch(() => null);
    if (!region || region.fromLine !== p.startLine + 1 || region.toLine !== p.endLine + 1) return null;
    let cands = proposeSemanticEdits(buggy, lang.codeType, { fromLine: region.fromLine, toLine: region.toLine });
    const proposed = cands.length;
    const prover = await proverFor(lang.codeType).catch(() => undefined);
    if (prover && cands.length) {
      // screened only where the parser accepts the old file (a C file whose headers are not here fails them all)
      const ok = await prover.parse([buggy, ...cands.map((c) => c.fixed)], { path: p.path }).then((v) => v.map((x) => x.ok)).catch(() => null);
      if (ok?.[0]) cands = cands.filter((_, k) => ok[k + 1]);
    }
    const want = codeTokens(fixed, lang.codeType);
    const hit = cands.findIndex((c) => codeTokens(c.fixed, lang.codeType) === want);
    return { lang, buggy, fixed, req, cands, proposed, want, hit };
  };
  const inSetPairs: { p: PairRecord; key: string }[] = [];
  let tooLarge = 0;
  for (const [i, p] of used.entries()) {
    const source = p.source ?? 'npm';
    const key = `${source}/${p.language}`;
    const st = (stats[key] ??= { pairs: 0, candidatesMean: 0, inSet: 0, inSetExact: 0, scored: 0, model: [], product: [], examples: { train: 0, valid: 0 }, noFunction: 0, fewNegatives: 0, fixFamilies: {} });
    // a big file costs many analyses and lexings of every candidate copy (minutes for a 200 KB C file)
    if (p.doc.length > args.maxDocChars) { tooLarge++; continue; }
    st.pairs++;
    const c = await candidatesFor(p);
    if (!c) { st.noFunction++; continue; }
    const { lang, buggy, fixed, req, cands, proposed, want, hit } = c;
    st.candidatesMean += cands.length;
    const rec: Record<string, unknown> = { source, package: p.package, from: p.from, to: p.to, path: p.path, language: p.language, test: p.test, proposed, candidates: cands.length, inSet: hit >= 0 };
    if (hit >= 0) {
      st.inSet++;
      if (cands[hit]!.fixed === fixed) st.inSetExact++;
      rec.family = cands[hit]!.family;
      rec.label = cands[hit]!.label;
      st.fixFamilies[cands[hit]!.family] = (st.fixFamilies[cands[hit]!.family] ?? 0) + 1;
      inSetPairs.push({ p, key });
    }
    // the ranking example: the real fix first, K other candidates of the buggy function
    const others = cands.filter((x) => x.fixed !== buggy && codeTokens(x.fixed, lang.codeType) !== want);
    const negs = pickNegatives(others, p.hunkLine + 1, args.negatives, rand);
    if (negs.length < 2) { st.fewNegatives++; appendFileSync(files.records, JSON.stringify(rec) + '\n'); continue; }
    const plan = await engine.editScoringPlan(req, [fixed, ...negs.map((x) => x.fixed)]).catch(() => null);
    const groups = plan?.groups ?? [];
    if (!groups.some((g) => g.members.some((m) => m.doc === 0))) { st.noFunction++; appendFileSync(files.records, JSON.stringify(rec) + '\n'); continue; }
    const split = splitOf(p.package, args.valid, args.seed);
    appendFileSync(files[split], JSON.stringify({
      lang: p.language, family: 'realfix', bugFamily: 'realfix', source, package: p.package, versions: `${p.from}->${p.to}`, inSet: hit >= 0, ...exampleGroups(groups),
    }) + '\n');
    st.examples[split]++;
    rec.split = split;
    appendFileSync(files.records, JSON.stringify(rec) + '\n');
    if ((i + 1) % 100 === 0) log(`${i + 1}/${used.length}: ${JSON.stringify(Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, { pairs: v.pairs, inSet: v.inSet, examples: v.examples }])))}`);
  }
  for (const f of [files.train, files.valid]) execFileSync('xz', ['-f', '-6', f]);
  const writeReport = () => {
    const summary = Object.fromEntries(Object.entries(stats).map(([k, s]) => {
      const m = (r: number[]) => (r.length ? { top1: r.filter((x) => x === 1).length, top5: r.filter((x) => x <= 5).length, mrr: Math.round((1000 * r.reduce((a, x) => a + 1 / x, 0)) / r.length) / 1000 } : null);
      return [k, { ...s, candidatesMean: Math.round(s.candidatesMean / Math.max(1, s.pairs - s.noFunction)), model: m(s.model), product: m(s.product) }];
    }));
    const report = { command: `npx tsx models/data/realfix/rank.ts ${process.argv.slice(2).join(' ')}`.trim(), seconds: Math.round((Date.now() - t0) / 1000), pairsIn: pairs.length, pairsUsed: used.length, tooLarge, packages: byPkg.size, inSetScoredOf: `${Math.min(args.score, inSetPairs.length)} of ${inSetPairs.length}`, summary };
    writeFileSync(join(args.out, 'rank.json'), JSON.stringify(report, null, 1) + '\n');
    return report;
  };
  writeReport();
  log(`examples written; scoring ${Math.min(args.score, inSetPairs.length)} of ${inSetPairs.length} pairs whose real fix is in the set`);
  // the shipped model's rank of the real fix: the ranking suite's scoring (every candidate's edit window, one batch; model / model + prior)
  const scoresFile = join(args.out, 'rank-scores.jsonl');
  writeFileSync(scoresFile, '');
  for (const { p, key } of inSetPairs.slice(0, args.score)) {
    const c = (await candidatesFor(p))!;
    const st = stats[key]!;
    const tS = performance.now();
    const s = (await engine.scoreFunctionFixes(c.req, c.cands.map((x) => x.fixed), 'edits'))!.scores;
    const n = c.cands.length;
    const model = rankOf(n, c.hit, (a, b) => s[b]! - s[a]!);
    const product = rankOf(n, c.hit, productOrder(s, c.cands));
    const best = s.indexOf(Math.max(...s));
    st.scored++; st.model.push(model); st.product.push(product);
    appendFileSync(scoresFile, JSON.stringify({ package: p.package, from: p.from, to: p.to, path: p.path, language: p.language, candidates: n, family: c.cands[c.hit]!.family, label: c.cands[c.hit]!.label, rank: { prior: c.hit + 1, model, product }, modelTop: c.cands[best]?.label, scoreMs: Math.round(performance.now() - tS) }) + '\n');
    writeReport();
  }
  await disposeProvers();
  log(JSON.stringify(writeReport(), null, 1));
}

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
