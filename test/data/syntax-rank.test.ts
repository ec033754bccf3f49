// The syntax ranking data (models/data/ranking/syntax.ts, issues 25/28) on the real shipped model: the
// token ids Engine.candidateScoringPlan gives are those scoreCandidates scores (through the engine's scorer,
// and fed one token at a time), and an example built by the product's syntax search
// reads through rank_train.py's own sequences_of (python3) with the original as doc 0.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { analyze, contextMarkers, regionForLine, type FixTarget } from '../../language-server/src/context';
import { Engine, languageOrThrow } from '../../language-server/src/engine';
import { mergeMarkers } from '../../language-server/src/markers';
import { repoRoot } from '../../language-server/src/paths';
import { disposeProvers } from '../../language-server/src/repair/prove';
import { commonPrefix, scoreAnswers } from '../../language-server/src/repair/rank';
import { logSoftmaxAt, OrtModel } from '../../language-server/src/runtime';
import { TreasureTokenizer } from '../../language-server/src/tokenizer';
import { syntaxExampleMaker } from '../../models/data/ranking/syntax';

const dir = join(repoRoot(), 'models/treasure');
const original = 'def top(a, b):\n    total = a + b\n    print(max(a, b))\n    return total\n';
const broken = original.replace('max(a, b))', 'max(a, b)');
let model: OrtModel;

before(async () => {
  assert.ok(existsSync(join(dir, 'model.onnx')), 'the shipped model models/treasure/ is missing');
  model = await OrtModel.load(dir, 'cpu');
});
after(async () => {
  await model?.release();
  await disposeProvers();
});

/** Sum of log-probabilities of `answer` after `head`, fed one token at a time in a fresh session. */
async function answerLogprob(head: number[], answer: number[]): Promise<number> {
  const s = model.start();
  try {
    let row = await s.feed(head);
    let sum = 0;
    for (const t of answer) {
      sum += logSoftmaxAt(row)(t);
      row = await s.feed([t]);
    }
    return sum;
  } finally {
    s.dispose();
  }
}

test('candidateScoringPlan: its ids give scoreCandidates\' scores (the answers\' shared start aside, which scoreAnswers leaves out)', async () => {
  const engine = await Engine.load({ modelDir: dir, device: 'cpu' });
  const a = await analyze(broken, languageOrThrow('python'));
  const target: FixTarget = { kind: 'syntax', line: 2, column: 20, region: regionForLine(a, 2), diagnostic: "Syntax error: '(' was never closed", errorType: 'syntax_error' };
  const given = mergeMarkers({ explicit: {}, settings: {}, context: contextMarkers(a, target, 'CodeFix') }).markers;
  const docs = [original, broken.replace('max(a, b)', 'max(a), b)'), broken.replace('    return total', '    )\n    return total'), broken.replace('print(max', 'print(max)(')];
  const scores = await engine.scoreCandidates(a, target, docs, given, undefined, 20);
  const plan = await engine.candidateScoringPlan(a, target, docs, given, 20);
  assert.equal(plan.answers.length, docs.length);
  // the same ids through the engine's own scorer (scoreAnswers, branch scoring): the same scores
  const again = await scoreAnswers(model, plan.head, plan.answers);
  for (const [i, x] of again.entries()) assert.ok(Math.abs(x - scores[i]!) < 1e-3, `doc ${i}: ${x} vs ${scores[i]}`);
  // and fed one token at a time: the same up to the 4-bit model's arithmetic (its int8 activations are
  // quantized per feed, so other shapes give other roundings: a few hundredths of a nat here)
  const shared = commonPrefix(plan.answers);
  const sharedLp = await answerLogprob(plan.head, plan.answers[0]!.slice(0, shared));
  for (const [i, ids] of plan.answers.entries()) {
    const full = await answerLogprob(plan.head, ids);
    assert.ok(Math.abs(full - (scores[i]! + sharedLp)) < 0.2, `doc ${i}: plan ${full.toFixed(4)} vs scoreCandidates ${scores[i]!.toFixed(4)} + shared ${sharedLp.toFixed(4)}`);
  }
  // the documents differ, and so do their scores
  assert.ok(new Set(scores.map((s) => s.toFixed(3))).size > 1);
});

test('an example of the product\'s syntax search: doc 0 is the original, and rank_train.py\'s sequences_of reads it as one answer per doc over one empty base', async () => {
  const engine = await Engine.load({ modelDir: dir, device: 'cpu' });
  const tok = TreasureTokenizer.fromFile(join(dir, 'tokenizer.json'));
  const ex = await syntaxExampleMaker(engine, 7)('python', original, broken);
  assert.ok(typeof ex !== 'string', `no example: ${String(ex)}`);
  const g = ex.groups[0]!;
  assert.ok(g.answers.length >= 2 && g.answers.length <= 8);
  assert.equal(ex.labels.length, g.answers.length);
  assert.match(ex.labels[0]!, /^insert '\)'/);
  // doc 0's answer is the original's lines; every other doc's differs
  assert.ok(tok.decode(g.answers[0]!).includes('print(max(a, b))'), tok.decode(g.answers[0]!));
  for (const ans of g.answers.slice(1)) assert.notDeepEqual(ans, g.answers[0]);
  // the cheap terms the product adds the model's score to: one per doc the ranking read, in the search's order
  assert.equal(ex.cheap.length, g.answers.length);
  assert.equal(typeof ex.cheap[0], 'number');
  const read = ex.cheap.flatMap((v, i) => (v === null ? [] : [{ v, rank: ex.cheapRank[i]! }])).sort((x, y) => x.rank - y.rank);
  for (let i = 1; i < read.length; i++) assert.ok(read[i - 1]!.v >= read[i]!.v, `the cheap order: ${JSON.stringify(read)}`);
  // rank_train.py's sequences_of, read from the trainer itself (its module imports torch: only the function is run)
  const py = [
    'import ast, json, sys',
    'src = open(sys.argv[1]).read()',
    "fn = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == 'sequences_of')",
    'ns = {}',
    'exec(ast.get_source_segment(src, fn), ns)',
    "fw = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == 'with_offsets')",
    'exec(ast.get_source_segment(src, fw), ns)',
    'ex = json.loads(sys.stdin.read())',
    'seqs, docs = ns["sequences_of"](ex)',
    'w = ns["with_offsets"](ex)',
    'print(json.dumps({"seqs": seqs, "docs": {str(k): v for k, v in docs.items()}, "offsets": w and w["offsets"], "wseqs": w and ns["sequences_of"](w)[0]}))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', py, join(repoRoot(), 'models/train/rank_train.py')], { input: JSON.stringify(ex), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const { seqs, docs, offsets, wseqs } = JSON.parse(run.stdout) as { seqs: [number[], number, number][]; docs: Record<string, [number, number]>; offsets: number[] | null; wseqs: [number[], number, number][] | null };
  // --cheap: the docs the product's model reads (the original first), each with its cheap terms
  const asked = ex.modelAsked.flatMap((m, i) => (m && ex.cheap[i] !== null ? [i] : []));
  if (asked[0] === 0 && asked.length >= 2) {
    assert.deepEqual(offsets, asked.map((i) => ex.cheap[i]));
    assert.deepEqual(wseqs!.filter((x) => x[2] > 0).map((x) => x[0]), asked.map((i) => [...ex.prefix, ...g.answers[i]!]));
  } else assert.equal(offsets, null);
  const n = g.answers.length;
  assert.deepEqual(Object.keys(docs).map(Number).sort((x, y) => x - y), [...Array(n).keys()]);
  for (let d = 0; d < n; d++) {
    const [ai, bi] = docs[String(d)]!;
    assert.deepEqual(seqs[ai], [[...ex.prefix, ...g.answers[d]!], ex.prefix.length, g.answers[d]!.length]);
    // the base: the prompt alone, a window of no tokens (its log-probability sums nothing: score = the answer's)
    assert.deepEqual(seqs[bi], [ex.prefix, ex.prefix.length, 0]);
  }
});
