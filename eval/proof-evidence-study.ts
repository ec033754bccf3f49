// npx tsx eval/proof-evidence-study.ts RESULTS.json.xz [--language python|js] [--second-order N] [--out build/eval/evidence.json]
// Issue 26: what made the proof suite offer a plausible-but-wrong fix? For every fix a stored proof run
// offered (its per-problem records), the fix is rebuilt from its label (the operator edits over the whole
// function), and the evidence the product could have had is measured without the hidden test: the
// example test's calls recorded, the fix and the buggy original called on them and their mutants
// (repair/tests/differential.ts replayBehaviour), the model's margin of the fix over the original
// (Engine.scoreFunctionFixes). The record's outcome (correct / plausible_wrong) is printed beside them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Engine } from '../language-server/src/engine';
import { proposeSemanticEdits } from '../language-server/src/repair/propose-semantic';
import { replayBehaviour } from '../language-server/src/repair/tests/differential';
import type { TestPlan } from '../language-server/src/repair/tests/plan';
import { bodyLine, LANGUAGE_ID, loadProblems, type HepLanguage } from './humanevalpack.js';
import { humanEvalPackDir, repoRoot } from './paths.js';
import { type ProofRecord, writeWorkspace } from './suites/proof.js';
import { exampleCallCount, replayEvidence, rivalsOf } from '../language-server/src/repair/tests/evidence';

const args = process.argv.slice(2);
const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const file = args[0]!;
const language = (opt('--language') ?? 'python') as HepLanguage;
const out = resolve(repoRoot, opt('--out') ?? `build/eval/evidence-${language}.json`);
// --second-order N: also the rivals among the fix's own operator edits within N lines of its edit (-1: not measured)
const secondOrder = Number(opt('--second-order') ?? -1);

async function main(): Promise<void> {
  const stored = JSON.parse(execFileSync('xz', ['-dc', file], { maxBuffer: 1 << 28 }).toString()) as { records: ProofRecord[] };
  const records = stored.records.filter((r) => r.language === language && r.variant === 'model' && (r.outcome === 'correct' || r.outcome === 'plausible_wrong'));
  const dataDir = humanEvalPackDir();
  const problems = new Map(loadProblems(dataDir, language).map((p) => [p.taskId, p]));
  const examples = new Map<string, string>();
  for (const l of execFileSync('cat', [join(dataDir, `${language}.jsonl`)], { maxBuffer: 1 << 28 }).toString().split('\n')) if (l.trim()) { const r = JSON.parse(l) as Record<string, string>; examples.set(r.task_id!, r.example_test ?? ''); }
  const engine = await Engine.load({ device: 'cpu' });
  const rows: Record<string, unknown>[] = [];
  for (const r of records) {
    const p = problems.get(r.taskId)!;
    const dir = mkdtempSync(join(tmpdir(), 'treasure-study-'));
    try {
      const text = writeWorkspace(dir, p, examples.get(r.taskId) ?? '');
      const req = { text, languageId: LANGUAGE_ID[language], line: bodyLine(p), path: join(dir, language === 'python' ? 'solution.py' : 'solution.js') };
      const region = await engine.scoreFunctionFixes(req, []);
      if (!region) { rows.push({ taskId: r.taskId, outcome: r.outcome, note: 'no function' }); continue; }
      const cand = proposeSemanticEdits(text, language === 'python' ? 'python' : 'javascript', { fromLine: region.fromLine, toLine: region.toLine }).find((c) => c.label === r.label);
      if (!cand) { rows.push({ taskId: r.taskId, outcome: r.outcome, label: r.label, note: 'fix not rebuilt' }); continue; }
      const margin = (await engine.scoreFunctionFixes(req, [cand.fixed]))!.scores[0];
      const plan: TestPlan = language === 'python'
        ? { kind: 'pytest', root: dir, file: 'solution.py', testFiles: ['test_solution.py'], describe: 'pytest' }
        : { kind: 'node', root: dir, file: 'solution.js', testFiles: ['solution.test.js'], describe: 'node --test' };
      const replay = await replayBehaviour(plan, { trusted: true, candidates: [cand.fixed, text], functionName: p.entryPoint });
      const ev = 'note' in replay ? { note: replay.note } : replayEvidence(replay);
      // every operator edit of the function (not only those the search proved) that answers the tests' calls as the fix does
      const others = proposeSemanticEdits(text, language === 'python' ? 'python' : 'javascript', { fromLine: region.fromLine, toLine: region.toLine }).filter((c) => c.fixed !== cand.fixed);
      const t = performance.now();
      const rep2 = await replayBehaviour(plan, { trusted: true, candidates: [cand.fixed, ...others.map((c) => c.fixed)], functionName: p.entryPoint, screen: true, timeoutMs: 60000 });
      const riv = 'note' in rep2 ? { rivalNote: rep2.note } : (({ rivals, contested, example }) => ({ pool: others.length, rivals: rivals.length, contested: contested.length, example, rivalLabels: contested.slice(0, 4).map((i) => others[i - 1]!.label) }))(rivalsOf(rep2));
      Object.assign(ev, riv, { rivalMs: Math.round(performance.now() - t) });
      if (secondOrder >= 0) {
        // the operator edits of the fix itself within `secondOrder` lines of its edit: rivals two edits from the original
        const seen = new Set([text, cand.fixed, ...others.map((c) => c.fixed)]);
        const near = proposeSemanticEdits(cand.fixed, language === 'python' ? 'python' : 'javascript', { fromLine: region.fromLine, toLine: region.toLine }).filter((c) => Math.abs(c.line - cand.line) <= secondOrder && !seen.has(c.fixed));
        const rep3 = await replayBehaviour(plan, { trusted: true, candidates: [cand.fixed, ...near.map((c) => c.fixed)], functionName: p.entryPoint, screen: true, timeoutMs: 60000 });
        Object.assign(ev, 'note' in rep3 ? { secondNote: rep3.note } : (({ rivals, contested, example }) => ({ secondPool: near.length, secondRivals: rivals.length, secondContested: contested.length, secondExample: example, secondLabels: contested.slice(0, 4).map((i) => near[i - 1]!.label) }))(rivalsOf(rep3)));
      }
      rows.push({ taskId: r.taskId, outcome: r.outcome, label: r.label, plausible: r.plausible, behaviours: r.behaviours, asserts: exampleCallCount(examples.get(r.taskId) ?? '', p.entryPoint), margin, prior: cand.prior, ...ev });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const x = rows[rows.length - 1]!;
    console.log(JSON.stringify(x));
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(rows, null, 1) + '\n');
  console.error(`wrote ${out}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
