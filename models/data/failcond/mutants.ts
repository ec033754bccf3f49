// Mutants for the failure-conditioned examples (failcond.py): the product's own repair operators
// (language-server/src/repair/propose-semantic.ts) applied to a correct function give the slips it is
// built to undo (a comparison, an operator, a constant, a name...). Up to --per N mutants a function, of
// distinct families where it can, picked with a seeded generator.
//   npx tsx models/data/failcond/mutants.ts functions.jsonl mutants.jsonl [--per 3] [--seed 7]
import { readFileSync, writeFileSync } from 'node:fs';
import { proposeSemanticEdits } from '../../../language-server/src/repair/propose-semantic';

interface Fn { name: string; code: string; [k: string]: unknown }

/** mulberry32: a small seeded generator (the same mutants from the same input). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function mutantsOf(code: string, per: number, rand: () => number): { fixed: string; family: string; label: string }[] {
  const lines = code.split('\n').length;
  // the signature stays: a mutant of the header changes what is called, not how it behaves
  const cands = proposeSemanticEdits(code, 'python', { fromLine: 1, toLine: lines }).filter((c) => c.line > 1);
  const byFamily = new Map<string, typeof cands>();
  for (const c of cands) byFamily.set(c.family, [...(byFamily.get(c.family) ?? []), c]);
  const families = [...byFamily.keys()].sort(() => rand() - 0.5);
  const out: { fixed: string; family: string; label: string }[] = [];
  for (let round = 0; out.length < per && round < per; round++) {
    for (const f of families) {
      const list = byFamily.get(f)!;
      if (list.length === 0 || out.length >= per) continue;
      const c = list.splice(Math.floor(rand() * list.length), 1)[0]!;
      out.push({ fixed: c.fixed, family: c.family, label: c.label });
    }
  }
  return out;
}

function main(): void {
  const [inPath, outPath, ...rest] = process.argv.slice(2);
  if (!inPath || !outPath) throw new Error('usage: mutants.ts functions.jsonl mutants.jsonl [--per N] [--seed S]');
  const opt = (k: string, d: number) => { const i = rest.indexOf(k); return i >= 0 ? Number(rest[i + 1]) : d; };
  const per = opt('--per', 3);
  const rand = rng(opt('--seed', 7));
  const fns = readFileSync(inPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Fn);
  let n = 0;
  const lines = fns.map((f) => {
    const mutants = mutantsOf(f.code, per, rand);
    n += mutants.length;
    return JSON.stringify({ ...f, mutants });
  });
  writeFileSync(outPath, lines.join('\n') + '\n');
  console.log(`mutants: ${fns.length} functions -> ${n} mutants -> ${outPath}`);
}

main();
