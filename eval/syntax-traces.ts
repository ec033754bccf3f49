// npx tsx eval/syntax-traces.ts [--per-language N] [--seed N] [--languages L,L] --out F.jsonl
// npx tsx eval/syntax-traces.ts --compare A.jsonl B.jsonl
// What each one-token search of the syntax suite's cases did, one line a case: a digest of the candidates
// it read (label, prior, familiarity, edits), the candidates the parser accepted, the first 8 of the
// order with the model's scores, what it skipped, left outranked or kept out, and the fix. Two trees'
// files compared say whether a change (a faster search) kept every search the same; the times beside them
// are each case's milliseconds through the engine (a shared machine: upper bounds).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../language-server/src/engine';
import { analyze, targetAt } from '../language-server/src/context';
import { resolveLanguage } from '../language-server/src/grammars';
import { disposeProvers } from '../language-server/src/repair/prove';
import { syntaxStudy, type SyntaxSearchTrace } from '../language-server/src/repair/syntax';
import { repoRoot } from './paths.js';
import { buildCases, quantile, sampleFiles, SYNTAX_LANGUAGES } from './suites/syntax';

const args = process.argv.slice(2);
const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };

function digest(t: SyntaxSearchTrace) {
  const read = t.proposed.map((p) => `${p.label}|${p.prior}|${p.familiarity ?? ''}|${p.edits.map((e) => `${e.start}:${e.end}:${e.newText}`).join(',')}`).join('\n');
  return {
    read: t.proposed.length, readHash: createHash('sha1').update(read).digest('hex').slice(0, 12),
    accepted: t.accepted.map((x) => `${x.c.label}|${x.clean}`), order: t.order.slice(0, 8).map((x) => `${x.label}|${x.score ?? ''}`),
    skipped: t.skipped, outranked: t.outranked, stage: t.stage, screen: t.screen, rank: t.rankNote,
  };
}

async function write(out: string): Promise<void> {
  const perLanguage = Number(opt('--per-language') ?? 15);
  const seed = Number(opt('--seed') ?? 1);
  const languages = opt('--languages')?.split(',') ?? [...SYNTAX_LANGUAGES];
  const engine = await Engine.load({ device: 'cpu' });
  const files = await sampleFiles(join(repoRoot, 'build/data/corpus'), languages, perLanguage, seed);
  const lines: string[] = [];
  try {
    for (const language of languages) {
      const lang = resolveLanguage(language)!;
      for (const c of (await buildCases(language, files.get(language) ?? [], perLanguage, seed)).filter((x) => x.kind !== 'two')) {
        const searches: ReturnType<typeof digest>[] = [];
        syntaxStudy.trace = (t) => searches.push(digest(t));
        const a = await analyze(c.broken, lang);
        const t0 = performance.now();
        const r = await engine.fixAt({ analysis: a, target: targetAt(a, {}), since: t0 });
        const ms = Math.round(performance.now() - t0);
        lines.push(JSON.stringify({ id: c.id, fix: r.fix?.label ?? null, equal: r.fix?.fixed === c.original, reason: r.fix ? undefined : r.reason, ms, searches }));
      }
    }
  } finally {
    syntaxStudy.trace = undefined;
    await disposeProvers();
  }
  writeFileSync(out, lines.join('\n') + '\n');
  console.log(`${lines.length} cases -> ${out}`);
}

function compare(fa: string, fb: string): void {
  const read = (f: string) => new Map(readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; ms: number }).map((r) => [r.id, r]));
  const a = read(fa);
  const b = read(fb);
  const same = (x: object, y: object) => JSON.stringify({ ...x, ms: 0 }) === JSON.stringify({ ...y, ms: 0 });
  const differ = [...a.keys()].filter((id) => !b.has(id) || !same(a.get(id)!, b.get(id)!));
  const ms = (m: Map<string, { ms: number }>) => [...m.values()].map((r) => r.ms);
  const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5)} / p95 ${quantile(xs, 0.95)} ms`;
  console.log(`same searches: ${a.size - differ.length} of ${a.size}${b.size !== a.size ? ` (B: ${b.size} cases)` : ''}; A ${fmt(ms(a))}, B ${fmt(ms(b))}`);
  for (const id of differ) console.log(`differs: ${id}\n  A ${JSON.stringify(a.get(id)).slice(0, 400)}\n  B ${JSON.stringify(b.get(id) ?? null).slice(0, 400)}`);
}

const cmp = args.indexOf('--compare');
if (cmp >= 0) compare(args[cmp + 1]!, args[cmp + 2]!);
else write(opt('--out') ?? 'build/eval/syntax-traces.jsonl').then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
