// npx tsx eval/syntax-weights.ts --dump build/eval/dump-s1.json --cases build/eval/syntax-cases-1-15.json [--held DUMP --held-cases CASES] [--local | --grow] [--near-lines N] [--refam] [--raw-literals]
// How the ranking of proven syntax candidates would do with other weights, offline: reads the scores of
// every proven candidate (eval/syntax-study.ts --dump) and counts the cases whose original would be
// offered first, for a grid of weights over the ranking's terms (repair/syntax-rank.ts). The best
// weights on one sample are then counted unchanged on another (--held): a gain there is not tuning.
import { readFileSync } from 'node:fs';
import { rankFeatures, type RankFeatures } from '../language-server/src/repair/syntax-rank';
import { filePairs, ngramStudy, pairGainOf } from '../language-server/src/repair/file-ngrams';
import { lex } from '../language-server/src/repair/lex';

interface DumpCand { label: string; edits: { start: number; end: number; newText: string }[]; prior: number; clean: boolean; whole: number; familiarity: number; correct: boolean }
interface DumpCase { id: string; mutation: string; errorOffset?: number; candidates: DumpCand[] }
interface Case { id: string; broken: string; language: string; kind: string }

const args = process.argv.slice(2);
const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };

interface Row { id: string; cands: (DumpCand & { f: RankFeatures })[] }

function load(dumpFile: string, casesFile: string): Row[] {
  const dump = JSON.parse(readFileSync(dumpFile, 'utf8')) as DumpCase[];
  const cases = new Map((JSON.parse(readFileSync(casesFile, 'utf8')) as Case[]).map((c) => [c.id, c]));
  return dump.filter((d) => cases.get(d.id)?.kind !== 'two').map((d) => {
    const c = cases.get(d.id)!;
    // --refam: the pairs' familiarity read again with today's file-ngrams.ts (its nats in the prior too)
    const toks = lex(c.broken, c.language);
    const gain = args.includes('--refam') ? pairGainOf(c.broken, c.language, filePairs(c.broken, c.language, toks), toks) : undefined;
    const refam = (x: DumpCand) => {
      if (!gain || x.edits.length !== 1) return x;
      const familiarity = gain(x.edits[0]!);
      return { ...x, prior: x.prior - x.familiarity + familiarity, familiarity };
    };
    const feats = rankFeatures(c.broken, c.language, d.errorOffset, opt('--near-lines') ? Number(opt('--near-lines')) : undefined);
    return { id: d.id, cands: d.candidates.map((x) => ({ ...refam(x), f: feats(x.edits) })) };
  });
}

type W = { prior: number; fam: number; restore: number; chars: number; atError: number; tri: number; near: number; drop: number; binds: number; grow: number };
const TOP = 16;
const PRIOR = [0, 0.25, 0.5, 0.75, 1, 1.5];
const FAM = [0, 1, 1.5, 2, 2.5, 3, 4, 5, 6];
const RESTORE = [0, 0.5, 1, 1.5, 2, 3];
const CHARS = [0, 0.1, 0.2, 0.3, 0.5, 0.75, 1];
const AT_ERROR = [0, 0.5, 1, 2];
const TRI = [0, 0.5, 1, 2, 3, 4, 6];
const NEAR = [0, 0.5, 1, 2, 3, 4, 6];
const DROP = [0, 0.5, 1, 2, 3, 4, 6];
const BINDS = [0, 2, 4, 6, 8, 10, 14];
const GROW = [-1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4];
// --local: the search's prior, pairs and triples (prior 0.5, pairs 2.5, triples 2-4) with the neighbourhood's
// terms (near, drop) beside them; else the six older terms (near and drop 0)
// --grow: the search's weights (prior 0.5, pairs 2.5, triples 3, near 4, drop 6) with a bound name (binds)
// and the tokens an edit adds (grow: against the model's liking for the shorter document) beside them
const local = args.includes('--local');
const growing = args.includes('--grow');
if (args.includes('--raw-literals')) ngramStudy.rawLiterals = true;
const grid0 = growing
  ? { prior: [0.5], fam: [2.5], restore: [0], chars: [0], atError: [0], tri: [3], near: [4], drop: [6], binds: BINDS, grow: GROW }
  : local
  ? { prior: [0.5], fam: [2.5], restore: [0], chars: [0], atError: [0], tri: [2, 3, 4], near: NEAR, drop: DROP, binds: [0], grow: [0] }
  : { prior: PRIOR, fam: FAM, restore: RESTORE, chars: CHARS, atError: AT_ERROR, tri: TRI, near: [0], drop: [0], binds: [0], grow: [0] };

/** The candidate offered first: the TOP best clean ones by prior (as the search scores them), by total. */
function firstOf(r: Row, w: W): DumpCand & { f: RankFeatures } {
  const sorted = [...r.cands].sort((a, b) => Number(b.clean) - Number(a.clean) || b.prior - a.prior);
  const clean = sorted.filter((x) => x.clean).length || sorted.length;
  const top = sorted.slice(0, Math.min(clean, TOP));
  if (top.length <= 1) return sorted[0]!;
  const total = (x: DumpCand & { f: RankFeatures }) => x.whole + w.prior * x.prior + w.fam * x.familiarity + w.restore * x.f.restore + w.chars * x.f.newChars + w.atError * x.f.atError + w.tri * x.f.tri + w.near * x.f.near - w.drop * x.f.drop + w.binds * x.f.binds + w.grow * x.f.grows;
  return top.reduce((a, b) => (total(b) > total(a) ? b : a));
}

const count = (rows: Row[], w: W) => rows.filter((r) => firstOf(r, w).correct).length;

function main(): void {
  const rows = load(opt('--dump')!, opt('--cases')!);
  const reachable = rows.filter((r) => r.cands.some((c) => c.correct)).length;
  const base: W = growing
    ? { prior: 0.5, fam: 2.5, restore: 0, chars: 0, atError: 0, tri: 3, near: 4, drop: 6, binds: 0, grow: 0 }
    : { prior: 0.5, fam: 2.5, restore: 0, chars: 0, atError: 0, tri: 3, near: 0, drop: 0, binds: 0, grow: 0 };
  const inTop = rows.filter((r) => [...r.cands].sort((a, b) => Number(b.clean) - Number(a.clean) || b.prior - a.prior).slice(0, TOP).some((c) => c.correct)).length;
  console.log(`cases with proven candidates ${rows.length}; original proven ${reachable}, among the ${TOP} scored ${inTop}; first with the current weights ${count(rows, base)}`);
  const grid: W[] = [];
  for (const prior of grid0.prior)
    for (const fam of grid0.fam)
      for (const restore of grid0.restore)
        for (const chars of grid0.chars)
          for (const atError of grid0.atError) for (const tri of grid0.tri) for (const near of grid0.near) for (const drop of grid0.drop)
            for (const binds of grid0.binds) for (const grow of grid0.grow) grid.push({ prior, fam, restore, chars, atError, tri, near, drop, binds, grow });
  const counted = new Map(grid.map((w) => [JSON.stringify(w), count(rows, w)]));
  // a weighting whose neighbours (one grid step in any one term) do as well is less likely tuned to noise
  const steps: Record<keyof W, number[]> = grid0;
  const smooth = (w: W) => {
    const ns: number[] = [];
    for (const k of Object.keys(steps) as (keyof W)[]) {
      const i = steps[k].indexOf(w[k]);
      for (const j of [i - 1, i + 1]) if (j >= 0 && j < steps[k].length) ns.push(counted.get(JSON.stringify({ ...w, [k]: steps[k][j] }))!);
    }
    return counted.get(JSON.stringify(w))! + ns.reduce((a, b) => a + b, 0) / ns.length;
  };
  const scored = grid.map((w) => ({ w, n: counted.get(JSON.stringify(w))!, s: smooth(w) })).sort((a, b) => b.n - a.n || b.s - a.s);
  const best = scored[0]!.n;
  console.log(`best ${best}; ${scored.filter((s) => s.n === best).length} weightings reach it; by smoothness (count + neighbours' mean):`);
  for (const s of scored.filter((s) => s.n === best).slice(0, 8)) console.log('  ', JSON.stringify(s.w), s.s.toFixed(2));
  const smoothest = [...scored].sort((a, b) => b.s - a.s).slice(0, 8);
  console.log('smoothest:');
  for (const s of smoothest) console.log('  ', JSON.stringify(s.w), s.n, s.s.toFixed(2));
  // one term at a time beside the current weights: what each adds alone
  for (const k of growing ? (['binds', 'grow'] as const) : local ? (['near', 'drop'] as const) : (['restore', 'chars', 'atError', 'tri'] as const)) {
    const alone = grid.filter((w) => w.prior === base.prior && w.fam === base.fam && (Object.keys(w) as (keyof W)[]).every((q) => q === k || q === 'prior' || q === 'fam' || (growing ? w[q] === base[q] : local && q === 'tri' ? w[q] === base.tri : w[q] === 0)));
    console.log(`  ${k} alone (prior 0.5, fam 2.5): ${alone.map((w) => `${w[k]}->${count(rows, w)}`).join(' ')}`);
  }
  // the three terms the search had (prior, pairs) with the triples alone: the simplest combination
  const simple = scored.filter((s) => s.w.restore === 0 && s.w.chars === 0 && s.w.atError === 0);
  console.log(`prior, pairs and triples only: best ${simple[0]!.n}: ${simple.slice(0, 5).map((s) => `${JSON.stringify(s.w)} ${s.n} ${s.s.toFixed(2)}`).join('; ')}`);
  const pick = opt('--weights') ? (JSON.parse(opt('--weights')!) as W) : undefined;
  if (pick) console.log(`chosen ${JSON.stringify(pick)}: ${count(rows, pick)}`);
  const held = opt('--held');
  if (held) {
    const hrows = load(held, opt('--held-cases')!);
    console.log(`held out: ${hrows.length} cases, original proven ${hrows.filter((r) => r.cands.some((c) => c.correct)).length}; current ${count(hrows, base)}${pick ? `; chosen ${count(hrows, pick)}` : ''}; best-on-sample (first 8): ${scored.filter((s) => s.n === best).slice(0, 8).map((s) => count(hrows, s.w)).join(' ')}`);
  }
  if (args.includes('--misses')) {
    const w = pick ?? base;
    for (const r of rows) {
      const f = firstOf(r, w);
      const want = r.cands.find((c) => c.correct);
      if (!f.correct && want) console.log(`${r.id}: won ${f.label} (${f.whole.toFixed(1)} p${f.prior.toFixed(1)} fam${f.familiarity} ${JSON.stringify(f.f)}) want ${want.label} (${want.whole.toFixed(1)} p${want.prior.toFixed(1)} fam${want.familiarity} ${JSON.stringify(want.f)})`);
    }
  }
}

main();
