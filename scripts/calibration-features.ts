// Other confidences than the engine's, tried on the same offered fixes (issue 26 point 7): a study, not
// the product. Reads a calibration run (--suite calibration: its JSON and its generations file), scores
// every offered fix again with the shipped model and prints, per feature, the best precision any
// threshold reaches on the calibration split with at least 5 offered fixes, and the held-out precision
// and canonical share offered there.
//   npx tsx scripts/calibration-features.ts RUN.json GENERATIONS.jsonl [--model DIR]
// Features: margin (the engine's: log P(fix) - log P(original) over the edited lines, given markers);
// margin per token (the same over the edited window's tokens); mean token log-probability of the
// fixed code where it parts from the original (scoreCandidates, over the edited window's tokens); margin after the marker list the model
// writes itself (TREASURE_RANK_MARKERS=model); the edit's size in changed characters (smaller first).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../language-server/src/engine';
import { lineEditWindow } from '../language-server/src/repair/rank';
import { bodyLine, buggyDocument, canonicalDocument, LANGUAGE_ID, loadProblems, type HepLanguage, type Problem } from '../eval/humanevalpack';
import { problemIndex } from '../eval/suites/calibration';
import type { FixRecord } from '../eval/suites/humanevalfix';

const [runFile, genFile] = process.argv.slice(2);
const modelDir = process.argv.includes('--model') ? process.argv[process.argv.indexOf('--model') + 1] : undefined;
if (!runFile || !genFile) throw new Error('usage: npx tsx scripts/calibration-features.ts RUN.json GENERATIONS.jsonl [--model DIR]');
const run = JSON.parse(readFileSync(runFile, 'utf8'));
const records: FixRecord[] = run.suites.find((s: { suite: string }) => s.suite === 'calibration').records;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const fixedBySha = new Map<string, string>();
for (const line of readFileSync(genFile, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const e = JSON.parse(line);
  if (e.op === 'fix' && e.request.minConfidence === 0 && e.result?.fixed) fixedBySha.set(e.request.textSha256, e.result.fixed);
}
const limit = Number(run.meta.limit ?? 80);
const split = Math.ceil(limit / 2);

interface Row { r: FixRecord; f: Record<string, number> }

async function main(): Promise<void> {
  const engine = await Engine.load({ modelDir, device: 'cpu' });
  const problems = new Map<string, Problem>();
  for (const l of [...new Set(records.map((r) => r.language))]) for (const p of loadProblems(join(__dirname, '../eval/data/humanevalpack'), l as HepLanguage, limit)) problems.set(p.taskId, p);
  const rows: Row[] = [];
  for (const r of records.filter((x) => x.fixReturned)) {
    const p = problems.get(r.taskId)!;
    const text = r.variant === 'canonical' ? canonicalDocument(p) : buggyDocument(p);
    const fixed = fixedBySha.get(sha(text));
    if (!fixed) continue;
    const req = { text, languageId: LANGUAGE_ID[p.language], line: r.variant === 'canonical' ? bodyLine({ ...p, buggy: p.canonical }) : bodyLine(p) };
    const edits = await engine.scoreFunctionFixes(req, [fixed], 'edits');
    // with the original beside it: a lone candidate's tokens would all be the shared prefix, scored 0
    const region = await engine.scoreFunctionFixes(req, [fixed, text], 'region');
    process.env.TREASURE_RANK_MARKERS = 'model';
    const own = await engine.scoreFunctionFixes(req, [fixed], 'edits');
    delete process.env.TREASURE_RANK_MARKERS;
    const a = text.split(/\r?\n/);
    const b = fixed.split(/\r?\n/);
    const w = lineEditWindow(a, b, edits!.fromLine - 1, edits!.toLine - 1)!;
    const windowText = b.slice(w.first, w.stop + 1).join('\n');
    let changed = 0;
    for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) changed += Math.max((a[i] ?? '').length, (b[i] ?? '').length);
    rows.push({ r, f: {
      margin: edits!.scores[0]!,
      marginPerToken: edits!.scores[0]! / Math.max(1, engine.tokenizer.encodeText('\n' + windowText).length),
      meanTokenLogProb: region!.scores[0]! / Math.max(1, engine.tokenizer.encodeText('\n' + windowText).length),
      marginOwnMarkers: own!.scores[0]!,
      smallEdit: -changed,
    } });
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const cal = rows.filter((x) => x.r.variant === 'plain' && problemIndex(x.r.taskId) < split);
  const held = rows.filter((x) => x.r.variant === 'plain' && problemIndex(x.r.taskId) >= split);
  const canon = rows.filter((x) => x.r.variant === 'canonical');
  const nProblems = (v: string, lo: number, hi: number) => records.filter((x) => x.variant === v && problemIndex(x.taskId) >= lo && problemIndex(x.taskId) < hi).length;
  const out = [`offered fixes: calibration ${cal.length} (of ${nProblems('plain', 0, split)} problems), held out ${held.length} (of ${nProblems('plain', split, limit)}), canonical ${canon.length} (of ${nProblems('canonical', 0, limit)})`, '',
    '| feature | best calibration precision (>= 5 offered) | at threshold | calibration correct/offered | held out correct/offered | canonical offered |', '|---|---:|---:|---:|---:|---:|'];
  for (const k of Object.keys(rows[0]!.f)) {
    const ts = [...new Set(cal.map((x) => x.f[k]!))].sort((x, y) => x - y);
    let best: { t: number; prec: number; c: number; o: number } | undefined;
    for (const t of ts) {
      const o = cal.filter((x) => x.f[k]! >= t);
      if (o.length < 5) continue;
      const c = o.filter((x) => x.r.pass).length;
      if (!best || c / o.length > best.prec) best = { t, prec: c / o.length, c, o: o.length };
    }
    if (!best) { out.push(`| ${k} | – | – | – | – | – |`); continue; }
    const h = held.filter((x) => x.f[k]! >= best!.t);
    out.push(`| ${k} | ${(100 * best.prec).toFixed(1)}% | ${best.t.toFixed(3)} | ${best.c}/${best.o} | ${h.filter((x) => x.r.pass).length}/${h.length} | ${canon.filter((x) => x.f[k]! >= best!.t).length}/${nProblems('canonical', 0, limit)} |`);
  }
  console.log(out.join('\n'));
}

void main();
