// npx tsx eval/proof-split.ts RUN.json[.xz] [--at 82] [--part before|after] [--without-rivals] [--over RERUN.json[.xz]]
//   --over: a rerun of some of the problems (where a change can act) whose records replace the run's
//   --part: a results file holding two runs; --without-rivals: what a run with the rival check would have
//   offered without it (a replaced fix judged as the first one, no fix contested, the check's time taken off)
// A proof run's figures on two splits of the problems by number (issue 26: a rule chosen on problems
// 0-81 is reported on 82-163 as held out): correct, plausible-but-wrong of offered, and of offered as
// proven (the contested fixes of the rival check left out), no fix, time per fix.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { summarizeProof, type ProofRecord } from './suites/proof.js';

const args = process.argv.slice(2);
const file = args[0]!;
const at = Number(args[args.indexOf('--at') + 1] ?? 82) || 82;
const read = (f: string) => JSON.parse(f.endsWith('.xz') ? execFileSync('xz', ['-dc', f], { maxBuffer: 1 << 28 }).toString() : readFileSync(f, 'utf8')) as Record<string, { records: ProofRecord[] }> & { records?: ProofRecord[] };
const parsed = read(file);
const part = args.includes('--part') ? args[args.indexOf('--part') + 1]! : undefined;
const over = args.includes('--over') ? new Map(read(args[args.indexOf('--over') + 1]!).records!.map((r) => [`${r.taskId} ${r.variant}`, r])) : undefined;
const ran = (part ? parsed[part]!.records : parsed.records!).map((r) => over?.get(`${r.taskId} ${r.variant}`) ?? r);
const records = args.includes('--without-rivals')
  ? ran.map((r): ProofRecord => ({
    ...r, contested: undefined, replaced: undefined, ms: r.ms - (r.rivalsMs ?? 0),
    ...(r.replacedCorrect !== undefined ? { outcome: r.replacedCorrect ? 'correct' : 'plausible_wrong' } : {}),
  }))
  : ran;
const num = (r: ProofRecord) => Number(r.taskId.split('/')[1]);
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '-');
console.log('| split | problems | correct | plausible-but-wrong (of offered) | contested (correct / wrong) | plausible-but-wrong of offered as proven | no fix | examples pass | time per fix p50 / p95 s |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [name, keep] of [[`0-${at - 1}`, (r: ProofRecord) => num(r) < at], [`${at}-163`, (r: ProofRecord) => num(r) >= at], ['all', () => true]] as const) {
  const rs = records.filter(keep);
  if (!rs.length) continue;
  for (const r of summarizeProof(rs)) {
    const s = (x: number | undefined) => (x === undefined ? '-' : (x / 1000).toFixed(1));
    console.log(`| ${name} (${r.language}/${r.variant}) | ${r.problems} | ${r.correct} (${pct(r.correct, r.problems)}) | ${r.plausibleWrong} (${pct(r.plausibleWrong, r.offered)}) | ${r.contestedCorrect} / ${r.contestedWrong} | ${r.provenWrong} of ${r.provenOffered} (${pct(r.provenWrong, r.provenOffered)}) | ${r.noFix} | ${r.examplesPass} | ${s(r.fixP50ms)} / ${s(r.fixP95ms)} |`);
  }
}
