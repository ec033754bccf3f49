// Ranking examples for the fine-tune of issue 28 (models/train/rank_train.py): a function of the corpus
// (train split), a slip made in it by one of the product's own edit operators (the buggy function), and
// the candidate set the product proposes for the buggy function (repair/propose-semantic.ts at every
// line). The example keeps the true fix (the original, which one candidate restores) and K other
// candidates, as the token ids the product's ranker scores (Engine.editScoringPlan: the CodeFix prompt
// with the context markers, then each candidate's edit window and the original's). The fine-tune
// teaches the model to score the true fix above its neighbours, exactly as the tested path asks it to.
//   npx tsx models/data/ranking/build.ts --corpus SHARD.jsonl.xz[,SHARD...] --out F.jsonl [--per-lang N] [--negatives K] [--seed S] [--max-chars C] [--langs python,javascript]
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { analyze, functionTarget } from '../../../language-server/src/context';
import { Engine, languageOrThrow } from '../../../language-server/src/engine';
import { proposeSemanticEdits, type SemanticCandidate } from '../../../language-server/src/repair/propose-semantic';
import { Rng } from '../tasks/rng';
import { exampleGroups, pickNegatives } from './example';

/** The corpus's code_type -> the editor's language id (HumanEvalPack's six languages). */
const LANGS: Record<string, string> = { python: 'python', javascript: 'javascript', java: 'java', go: 'go', cpp: 'cpp', rust: 'rust' };

interface Args { corpus: string[]; out: string; perLang: number; negatives: number; seed: number; maxLines: number; maxChars: number; langs?: string[]; model: string }

function parseArgs(argv: string[]): Args {
  const a: Args = { corpus: [], out: '', perLang: 2000, negatives: 7, seed: 28, maxLines: 40, maxChars: 8000, model: resolve('models/treasure') };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i] ?? '';
    switch (argv[i]) {
      case '--corpus': a.corpus = v().split(','); break;
      case '--out': a.out = v(); break;
      case '--per-lang': a.perLang = Number(v()); break;
      case '--negatives': a.negatives = Number(v()); break;
      case '--seed': a.seed = Number(v()); break;
      case '--max-lines': a.maxLines = Number(v()); break;
      case '--langs': a.langs = v().split(','); break;
      case '--max-chars': a.maxChars = Number(v()); break;
      case '--model': a.model = resolve(v()); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (!a.corpus.length || !a.out) throw new Error('usage: --corpus SHARD.jsonl.xz[,...] --out F.jsonl');
  return a;
}

/** One candidate per family first (a slip of any kind, not mostly of the commonest operator). */
function pickBug(cands: SemanticCandidate[], rand: Rng): SemanticCandidate | undefined {
  const fams = [...new Set(cands.map((c) => c.family))];
  if (!fams.length) return undefined;
  const fam = rand.pick(fams);
  return rand.pick(cands.filter((c) => c.family === fam));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rand = new Rng('ranking', args.seed);
  const engine = await Engine.load({ modelDir: args.model, device: 'cpu' });
  writeFileSync(args.out, '');
  const made: Record<string, number> = {};
  const seen = { files: 0, functions: 0, notInSet: 0, tooLong: 0 };
  for (const shard of args.corpus) {
    const lines = execFileSync('xz', ['-dc', shard], { maxBuffer: 1 << 30 }).toString('utf8').split('\n');
    for (const l of lines) {
      if (!l.trim()) continue;
      const rec = JSON.parse(l) as { text: string; code_type: string };
      const languageId = LANGS[rec.code_type];
      if (!languageId || (args.langs && !args.langs.includes(languageId)) || (made[languageId] ?? 0) >= args.perLang || rec.text.length > args.maxChars) continue; // small files: three analyses of each
      seen.files++;
      const lang = languageOrThrow(languageId);
      const a = await analyze(rec.text, lang);
      // two functions of the file at most, of 3..maxLines lines
      const regions = new Map<number, { line: number; start: number; end: number }>();
      for (let t = 0; t < 8 && regions.size < 2; t++) {
        const line = rand.int(a.lines.length);
        const target = functionTarget(a, line);
        if (!target) continue;
        const { startLine, endLine } = target.region;
        if (endLine - startLine < 2 || endLine - startLine >= args.maxLines) continue;
        regions.set(startLine, { line, start: startLine, end: endLine });
      }
      for (const r of regions.values()) {
        seen.functions++;
        const fromLine = r.start + 1;
        const toLine = r.end + 1;
        const slips = proposeSemanticEdits(rec.text, lang.codeType, { fromLine, toLine }).filter((c) => c.line > fromLine);
        const bug = pickBug(slips, rand);
        if (!bug) continue;
        const buggy = bug.fixed;
        const ba = await analyze(buggy, lang);
        const bt = functionTarget(ba, r.line);
        if (!bt || bt.region.startLine !== r.start) continue;
        const cands = proposeSemanticEdits(buggy, lang.codeType, { fromLine, toLine: bt.region.endLine + 1 });
        const pos = cands.find((c) => c.fixed === rec.text);
        if (!pos) { seen.notInSet++; continue; }
        const others = cands.filter((c) => c !== pos && c.fixed !== buggy);
        const negs = pickNegatives(others, bug.line, args.negatives, rand);
        if (negs.length < 2) continue;
        const plan = await engine.editScoringPlan({ text: buggy, languageId, line: r.line }, [pos.fixed, ...negs.map((c) => c.fixed)]).catch(() => null);
        if (!plan || plan.groups.length === 0) { seen.tooLong++; continue; }
        appendFileSync(args.out, JSON.stringify({ lang: languageId, family: pos.family, bugFamily: bug.family, ...exampleGroups(plan.groups) }) + '\n');
        made[languageId] = (made[languageId] ?? 0) + 1;
      }
    }
  }
  console.error(JSON.stringify({ made, seen }));
}

main().catch((e) => { console.error(e); process.exit(1); });
