// The harness end to end without the shipped model: the product's Engine on a scripted stand-in model
// (test/server/helpers.ts), and the oracle/null stand-ins, through the suites and the CLI's run().
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine } from '../../language-server/src/engine';
import { serialize } from '../../language-server/src/markers';
import { ScriptedLogits, tinyTokenizer } from '../server/helpers';
import { wrapEngine, type EvalEngine } from '../../eval/engine-adapter.js';
import { bodyLine, buggyDocument, loadProblems, parseLanguages } from '../../eval/humanevalpack.js';
import { parseArgs, run } from '../../eval/main.js';
import { humanEvalPackDir } from '../../eval/paths.js';
import { headlineTable, selfCheckMarkdown, selfCheckOk } from '../../eval/report.js';
import { selfCheck } from '../../eval/selfcheck.js';
import type { RunLimits } from '../../eval/runner.js';
import { nullEngine, oracleEngine } from '../../eval/stand-ins.js';
import type { SuiteContext } from '../../eval/suites/common.js';
import { abstained, fixOne, fixProgram, judgeFix, runHumanEvalFix, type FixRecord } from '../../eval/suites/humanevalfix.js';
import { runSynthesis } from '../../eval/suites/synthesis.js';

const limits: RunLimits = { runTimeoutMs: 10_000, compileTimeoutMs: 120_000, cache: false };
const dataDir = humanEvalPackDir();

function ctxWith(engine: EvalEngine, languages = parseLanguages('python,js'), limit = 2): SuiteContext {
  return { engine: async () => engine, languages, limit, dataDir, tasksDir: '/nonexistent', limits, jobs: 2, log: () => {} };
}

test('the real Engine (scripted model) fixes Python/0 through the adapter; the fix passes the tests', async () => {
  const p = loadProblems(dataDir, 'python', 1)[0]!;
  // The function as the region the engine rewrites: from `def` to the end, with the canonical body.
  const fixedFn = (p.declaration.slice(p.declaration.indexOf('def ')) + p.canonical).replace(/\s+$/, '');
  const tok = tinyTokenizer();
  const script = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'missing_logic', length_bucket: 'concise' }) + '\n' + fixedFn + '<|end|>';
  const engine = wrapEngine(await Engine.load({ logits: new ScriptedLogits(tok, script), tokenizer: tok }));
  const f = await fixOne(engine, p, 'context', 'plain', {});
  assert.ok(f.fixed, f.reason);
  assert.equal(f.given.task, 'CodeFix');
  assert.equal(f.given.code_type, 'python');
  assert.equal(f.markersHonored, true);
  assert.notEqual(f.fixed, buggyDocument(p));
  const j = await judgeFix(p, 'plain', f.fixed, { limits });
  assert.equal(j.pass, true, j.detail);
  // "tests" variant: the same fix with the tests in the document; the tests stay and still pass
  const ft = await fixOne(engine, p, 'context', 'tests', {});
  assert.ok(ft.fixed?.includes(p.test.trim()));
  // the "tests" document still ends with the tests: the same program as the plain variant's (run once)
  assert.deepEqual(fixProgram(p, 'tests', ft.fixed), fixProgram(p, 'plain', f.fixed));
  assert.equal((await judgeFix(p, 'tests', ft.fixed, { limits })).pass, true);
  // the line the harness points at is inside the function body
  assert.match(buggyDocument(p).split('\n')[bodyLine(p)]!, /^\s+for idx, elem in enumerate/);
});

test('variant "canonical": correct code in; a model that writes it back unchanged abstains and the code still passes', async () => {
  const p = loadProblems(dataDir, 'python', 1)[0]!;
  const fn = (p.declaration.slice(p.declaration.indexOf('def ')) + p.canonical).replace(/\s+$/, '');
  const tok = tinyTokenizer();
  const script = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'none' }) + '\n' + fn + '<|end|>';
  const engine = wrapEngine(await Engine.load({ logits: new ScriptedLogits(tok, script), tokenizer: tok, branchTries: 0 }));
  const f = await fixOne(engine, p, 'context', 'canonical', {});
  assert.equal(f.fixed, null);
  assert.ok(abstained({ fixReturned: f.fixReturned, reason: f.reason }), f.reason);
  assert.equal((await judgeFix(p, 'canonical', f.fixed, { limits })).pass, true);
  // no fix on correct code: the program run is the code as it stands (a buggy document with no fix is no_fix)
  assert.ok('language' in fixProgram(p, 'canonical', null));
  assert.deepEqual(fixProgram(p, 'plain', null), { pass: false, errorKind: 'no_fix' });
});

test('mode "none" gives the model no markers; the baseline engine decodes none at all; both fixes pass', async () => {
  const p = loadProblems(dataDir, 'python', 1)[0]!;
  const fixedFn = (p.declaration.slice(p.declaration.indexOf('def ')) + p.canonical).replace(/\s+$/, '');
  const tok = tinyTokenizer();
  const script = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'missing_logic' }) + '\n' + fixedFn + '<|end|>';
  const engine = wrapEngine(await Engine.load({ logits: new ScriptedLogits(tok, script), tokenizer: tok }));
  const f = await fixOne(engine, p, 'none', 'plain', {});
  assert.deepEqual(f.given, {});
  assert.deepEqual(f.inferred, { task: 'CodeFix', code_type: 'python', error_type: 'missing_logic' });
  assert.equal(f.markersHonored, true);
  assert.equal((await judgeFix(p, 'plain', f.fixed, { limits })).pass, true);
  // mode "bugtype": the true error_type is given on top of the context markers
  const b = await fixOne(engine, p, 'bugtype', 'plain', {});
  assert.equal(b.given.error_type, 'missing_logic');
  // --given: workspace-style markers on top of every marker mode, never for the baseline
  const q = await fixOne(engine, p, 'none', 'plain', { given: { quality_bucket: '1' } });
  assert.deepEqual(q.given, { quality_bucket: '1' });
  const qb = await fixOne(engine, p, 'bugtype', 'plain', { given: { quality_bucket: '1' } });
  assert.deepEqual([qb.given.quality_bucket, qb.given.error_type, qb.given.task], ['1', 'missing_logic', 'CodeFix']);
  const baseline = wrapEngine(await Engine.load({ logits: new ScriptedLogits(tok, fixedFn + '<|end|>'), tokenizer: tok, markers: false }), { baseline: true });
  const g = await fixOne(baseline, p, 'baseline', 'plain', { given: { quality_bucket: '1' } });
  assert.deepEqual([g.given, g.inferred, g.markersHonored], [{}, {}, true]);
  assert.equal((await judgeFix(p, 'plain', g.fixed, { limits })).pass, true, g.reason);
});

test('oracle stand-in: pass@1 equals the canonical rate; null stand-in: every problem fails as no_fix', async () => {
  const problems = [...loadProblems(dataDir, 'python', 2), ...loadProblems(dataDir, 'js', 2)];
  const good = await runHumanEvalFix(ctxWith(oracleEngine(problems)), { modes: ['context'], variants: ['plain', 'tests'] });
  const recs = good.records as FixRecord[];
  assert.equal(recs.length, 8);
  assert.ok(recs.every((r) => r.pass), JSON.stringify(recs.filter((r) => !r.pass)));
  assert.match(good.markdown, /\| context\/plain \| 100\.0% \(4\/4\)/);
  const none = await runHumanEvalFix(ctxWith(nullEngine()), { modes: ['none'], variants: ['plain'] });
  assert.ok((none.records as FixRecord[]).every((r) => !r.pass && r.errorKind === 'no_fix'));
  const gen = await runSynthesis(ctxWith(oracleEngine(problems)), { modes: ['context'] });
  assert.deepEqual((gen.summary as { context: { pass: { k: number; n: number } } }).context.pass, { n: 4, k: 4, rate: 1 });
});

test('a fix that edits the given tests counts as test_modified', async () => {
  const p = loadProblems(dataDir, 'python', 1)[0]!;
  const j = await judgeFix(p, 'tests', p.declaration + p.canonical + '\nprint("tests removed")\n', { limits });
  assert.deepEqual(j, { pass: false, errorKind: 'test_modified' });
});

test('CLI: --limit and --languages make a smoke run a one-liner; JSON and Markdown are written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-cli-'));
  try {
    const o = parseArgs(['--suite', 'humanevalfix', '--languages', 'python,js', '--limit', '2', '--engine', 'oracle', '--out', join(dir, 'r.json'), '--no-cache', '--modes', 'context', '--variants', 'plain']);
    assert.deepEqual(o.languages, ['python', 'js']);
    assert.equal(o.limit, 2);
    const { results, exitCode, out } = await run(o, () => {});
    assert.equal(exitCode, 0);
    assert.equal(out, join(dir, 'r.json'));
    const json = JSON.parse(readFileSync(out, 'utf8')) as typeof results;
    assert.equal(json.selfCheck.length, 2);
    assert.ok(json.selfCheck.every((s) => s.canonicalPass === 2 && s.buggyFail === 2));
    assert.equal(json.suites[0]!.suite, 'humanevalfix');
    assert.equal(json.suites[0]!.records.length, 4);
    assert.ok(existsSync(join(dir, 'r.md')));
    const md = readFileSync(join(dir, 'r.md'), 'utf8');
    assert.match(md, /## Harness self-check/);
    assert.match(md, /\| python \| 100\.0% \(2\/2\) \| 100% \| 100\.0% \(2\/2\) \| 100% \|/);
    assert.match(md, /## HumanEvalFix \(pass@1\)/);
    const head = headlineTable(json);
    assert.match(head, /Code repair, HumanEvalFix pass@1/);
    assert.match(head, /0\.216 → 0\.246/);
    assert.match(head, /npm run eval -- --suite humanevalfix .*--languages python,js --limit 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI without a model: the self-check still runs and is reported, the suite fails with exit status 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-nomodel-'));
  try {
    const o = parseArgs(['--suite', 'humanevalfix', '--languages', 'python', '--limit', '1', '--model', join(dir, 'no-model'), '--out', join(dir, 'r.json'), '--no-cache']);
    const { results, exitCode } = await run(o, () => {});
    assert.equal(exitCode, 2);
    assert.equal(results.selfCheck[0]!.canonicalPass, 1);
    assert.match(results.errors[0]!.message, /no model at/);
    assert.match(readFileSync(join(dir, 'r.md'), 'utf8'), /\*\*humanevalfix failed:\*\* .*no model at/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI arguments are checked', () => {
  assert.throws(() => parseArgs(['--suite', 'nope']), /unknown suite/);
  assert.throws(() => parseArgs(['--languages', 'cobol']), /unknown language/);
  assert.throws(() => parseArgs(['--modes', 'context,weird']), /unknown "weird"/);
  assert.throws(() => parseArgs(['--limit']), /needs a value/);
  assert.equal(parseArgs(['--limit=5']).limit, 5);
  assert.deepEqual(parseArgs(['--languages', 'javascript,rust']).languages, ['js', 'rust']);
});

test('self-check: a program that gives both verdicts over reruns counts as meant and is listed as flaky; one wrong every run still fails the check', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-flaky-'));
  try {
    const counter = join(dir, 'runs');
    // passes from its second run on (a stand-in for Go/95, whose canonical solution depends on map order)
    const flakyCanonical = `import os\ndef f():\n    n = int(open(${JSON.stringify(counter)}).read()) if os.path.exists(${JSON.stringify(counter)}) else 0\n    open(${JSON.stringify(counter)}, 'w').write(str(n + 1))\n    return n > 0\n`;
    const base = { language: 'python' as const, index: 0, prompt: '', declaration: '', test: 'assert f()\n', entryPoint: 'f', bugType: 'value_misuse' };
    const problems = [
      { ...base, taskId: 'Python/flaky', canonical: flakyCanonical, buggy: 'def f():\n    return False\n' },
      { ...base, taskId: 'Python/wrong', canonical: 'def f():\n    return False\n', buggy: 'def f():\n    return False\n' },
    ];
    const { records, summaries } = await selfCheck(problems, { limits, jobs: 1 });
    assert.deepEqual(records.get('Python/flaky')!.flaky, { which: 'canonical', passes: 1, runs: 2 });
    assert.equal(records.get('Python/flaky')!.canonicalPass, true);
    assert.equal(records.get('Python/wrong')!.canonicalPass, false);
    assert.equal(records.get('Python/wrong')!.flaky, undefined, 'failed every one of its runs: not flaky, wrong');
    assert.equal(summaries[0]!.canonicalPass, 1);
    assert.deepEqual(summaries[0]!.flaky, ['Python/flaky (canonical passed 1 of 2 runs)']);
    assert.equal(selfCheckOk(summaries), false);
    assert.match(selfCheckMarkdown(summaries), /Flaky \(both verdicts over reruns.*\): Python\/flaky \(canonical passed 1 of 2 runs\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
