// The harness checks itself: canonical solutions must pass, buggy solutions must fail. Both rates are
// printed next to every result, so a harness bug cannot pass for a model result.
import { buggyDocument, canonicalDocument, type HepLanguage, type Problem } from './humanevalpack.js';
import { programFor, runPrograms, type ErrorKind, type RunLimits, defaultLimits } from './runner.js';

export interface SelfCheckRecord { taskId: string; canonicalPass: boolean; canonicalKind?: ErrorKind; buggyPass: boolean; buggyKind?: ErrorKind; detail?: string }
export interface SelfCheckSummary {
  language: HepLanguage; n: number;
  canonicalPass: number; buggyFail: number; infra: number;
  /** task ids whose canonical solution failed / buggy solution passed */
  canonicalFailures: string[]; buggyPasses: string[];
}

/** Expected rates (shared/data/README.md names python 164/164 canonical; all canonical must pass, all buggy fail). */
export const EXPECTED = { canonicalPassRate: 1, buggyFailRate: 1 };

export async function selfCheck(problems: Problem[], opts: { limits?: RunLimits; jobs: number }): Promise<{ records: Map<string, SelfCheckRecord>; summaries: SelfCheckSummary[] }> {
  const limits = opts.limits ?? defaultLimits;
  const jobs = problems.flatMap((p) => [{ p, which: 'canonical' as const }, { p, which: 'buggy' as const }]);
  const results = await runPrograms(jobs.map(({ p, which }) => programFor(p, which === 'canonical' ? canonicalDocument(p) : buggyDocument(p))), limits, opts.jobs);
  const records = new Map<string, SelfCheckRecord>();
  jobs.forEach(({ p, which }, i) => {
    const r = results[i]!;
    const rec = records.get(p.taskId) ?? { taskId: p.taskId, canonicalPass: false, buggyPass: false };
    if (which === 'canonical') { rec.canonicalPass = r.pass; rec.canonicalKind = r.kind; if (!r.pass) rec.detail = r.detail; }
    else { rec.buggyPass = r.pass; rec.buggyKind = r.kind; }
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
    byLang.set(p.language, s);
  }
  return { records, summaries: [...byLang.values()] };
}
