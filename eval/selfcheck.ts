// The harness checks itself: canonical solutions must pass, buggy solutions must fail. Both rates are
// printed next to every result, so a harness bug cannot pass for a model result.
import { buggyDocument, canonicalDocument, type HepLanguage, type Problem } from './humanevalpack.js';
import { programFor, runPrograms, type ErrorKind, type RunLimits, defaultLimits } from './runner.js';

export interface SelfCheckRecord {
  taskId: string; canonicalPass: boolean; canonicalKind?: ErrorKind; buggyPass: boolean; buggyKind?: ErrorKind; detail?: string;
  /** the program gave both verdicts over its runs (see RERUNS): which one, and how many of the runs passed */
  flaky?: { which: 'canonical' | 'buggy'; passes: number; runs: number };
}
export interface SelfCheckSummary {
  language: HepLanguage; n: number;
  canonicalPass: number; buggyFail: number; infra: number;
  /** task ids whose canonical solution failed / buggy solution passed */
  canonicalFailures: string[]; buggyPasses: string[];
  /** task ids whose canonical or buggy program passed on some runs and failed on others (counted by the verdict it is meant to have) */
  flaky?: string[];
}

/**
 * A canonical solution that fails, or a buggy one that passes, runs again this many times with the result
 * cache off. Some HumanEvalPack programs are not deterministic (Go/95's canonical solution iterates a Go
 * map, whose order is random, and breaks out early): when a rerun gives the expected verdict, the program is
 * counted as meant and listed as flaky, so a real harness fault (every run wrong) still fails the check.
 */
export const RERUNS = 2;

/** Expected rates (eval/data/humanevalpack/README.md names python 164/164 canonical; all canonical must pass, all buggy fail). */
export const EXPECTED = { canonicalPassRate: 1, buggyFailRate: 1 };

export async function selfCheck(problems: Problem[], opts: { limits?: RunLimits; jobs: number }): Promise<{ records: Map<string, SelfCheckRecord>; summaries: SelfCheckSummary[] }> {
  const limits = opts.limits ?? defaultLimits;
  const jobs = problems.flatMap((p) => [{ p, which: 'canonical' as const }, { p, which: 'buggy' as const }]);
  const program = ({ p, which }: (typeof jobs)[number]) => programFor(p, which === 'canonical' ? canonicalDocument(p) : buggyDocument(p));
  const meant = (i: number) => jobs[i]!.which === 'canonical'; // the verdict the program should get
  const results = await runPrograms(jobs.map(program), limits, opts.jobs);
  let wrong = jobs.flatMap((_, i) => (results[i]!.kind !== 'infra' && results[i]!.pass !== meant(i) ? [i] : []));
  const runs = new Map(wrong.map((i) => [i, { passes: results[i]!.pass ? 1 : 0, runs: 1 }]));
  for (let k = 0; k < RERUNS && wrong.length; k++) {
    const again = await runPrograms(wrong.map((i) => program(jobs[i]!)), { ...limits, cache: false }, opts.jobs);
    wrong.forEach((i, w) => {
      const c = runs.get(i)!;
      c.runs++;
      if (again[w]!.pass) c.passes++;
      if (again[w]!.pass === meant(i)) results[i] = again[w]!;
    });
    wrong = wrong.filter((i) => results[i]!.pass !== meant(i)); // rerun only what is still wrong
  }
  const records = new Map<string, SelfCheckRecord>();
  jobs.forEach(({ p, which }, i) => {
    const r = results[i]!;
    const rec = records.get(p.taskId) ?? { taskId: p.taskId, canonicalPass: false, buggyPass: false };
    if (which === 'canonical') { rec.canonicalPass = r.pass; rec.canonicalKind = r.kind; if (!r.pass) rec.detail = r.detail; }
    else { rec.buggyPass = r.pass; rec.buggyKind = r.kind; }
    const c = runs.get(i);
    if (c && c.passes > 0 && c.passes < c.runs) rec.flaky = { which, ...c };
    records.set(p.taskId, rec);
  });
  const byLang = new Map<HepLanguage, SelfCheckSummary>();
  for (const p of problems) {
    const s = byLang.get(p.language) ?? { language: p.language, n: 0, canonicalPass: 0, buggyFail: 0, infra: 0, canonicalFailures: [], buggyPasses: [] };
    const rec = records.get(p.taskId)!;
    s.n++;
    if (rec.canonicalPass) s.canonicalPass++; else s.canonicalFailures.push(p.taskId);
    if (!rec.buggyPass) s.buggyFail++; else s.buggyPasses.push(p.taskId);
    if (rec.canonicalKind === 'infra' || rec.buggyKind === 'infra') s.infra++;
    if (rec.flaky) (s.flaky ??= []).push(`${p.taskId} (${rec.flaky.which} passed ${rec.flaky.passes} of ${rec.flaky.runs} runs)`);
    byLang.set(p.language, s);
  }
  return { records, summaries: [...byLang.values()] };
}
