// The engine-output cache (--generations FILE, --generate-only) and the generation workers (--gen-workers):
// keys, the file, and the two-step round trip (engine calls only, then the tests from the file) giving the
// records a direct run gives; on the oracle stand-in and on the real Engine over a scripted stand-in model.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine } from '../../language-server/src/engine';
import { intraOpThreads } from '../../language-server/src/runtime';
import { serialize } from '../../language-server/src/markers';
import { ScriptedLogits, tinyTokenizer } from '../server/helpers';
import { wrapEngine, type EvalEngine, type EvalFixRequest } from '../../eval/engine-adapter.js';
import { cachedEngine, canonicalJson, GenerationStore, modelIdentity, requestKey, thisMachine } from '../../eval/generations.js';
import { loadProblems, parseLanguages } from '../../eval/humanevalpack.js';
import { parseArgs, run } from '../../eval/main.js';
import { humanEvalPackDir } from '../../eval/paths.js';
import type { RunLimits } from '../../eval/runner.js';
import { oracleEngine } from '../../eval/stand-ins.js';
import type { SuiteContext } from '../../eval/suites/common.js';
import { runHumanEvalFix, type FixRecord } from '../../eval/suites/humanevalfix.js';
import { startPool } from '../../eval/workers.js';

const limits: RunLimits = { runTimeoutMs: 10_000, compileTimeoutMs: 120_000, cache: false };
const dataDir = humanEvalPackDir();
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `treasure-gen-${name}-`));
const origin = () => thisMachine({ workers: 1, threads: 1 });
/** Records without what differs from run to run: timings and the scratch folders named in test output. */
const comparable = (rs: object[]) => rs.map((r) => { const { latencyMs: _l, execMs: _e, detail: _d, ...x } = r as FixRecord; return x; });

const fixReq: EvalFixRequest = { text: 'def f(x):\n    return x\n', languageId: 'python', line: 1, mode: 'context' };

test('keys: the same request in any key order is one key; another model, mode, marker or budget is another', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: undefined }], c: null } }), '{"a":{"c":null,"d":[1,{"y":2}]},"b":1}');
  const k = requestKey('m1', 'fix', fixReq);
  assert.equal(requestKey('m1', 'fix', { mode: 'context', line: 1, languageId: 'python', text: fixReq.text }), k);
  assert.notEqual(requestKey('m2', 'fix', fixReq), k);
  assert.notEqual(requestKey('m1', 'fix', { ...fixReq, mode: 'none' }), k);
  assert.notEqual(requestKey('m1', 'fix', { ...fixReq, markers: { error_type: 'missing_logic' } }), k);
  assert.notEqual(requestKey('m1', 'fix', { ...fixReq, maxTokens: 64 }), k);
  assert.notEqual(requestKey('m1', 'fix', { ...fixReq, text: fixReq.text + '\n' }), k);
  assert.notEqual(requestKey('m1', 'generate', { languageId: 'python', prompt: fixReq.text, mode: 'context' }), k);
});

test('model identity: the hash of model.onnx, config.json, tokenizer.json and the marker setting', () => {
  const dir = tmp('model');
  try {
    const put = (f: string, s: string) => writeFileSync(join(dir, f), s);
    assert.equal(modelIdentity(dir), undefined); // nothing there: the engine says what is missing
    put('model.onnx', 'weights'); put('config.json', '{"n_layer":1}'); put('tokenizer.json', '{}');
    const a = modelIdentity(dir)!;
    assert.match(a.id, /^[0-9a-f]{64}$/);
    assert.deepEqual(Object.keys(a.files), ['config.json', 'tokenizer.json', 'model.onnx']);
    assert.equal(modelIdentity(dir)!.id, a.id);
    assert.notEqual(modelIdentity(dir, { baseline: true })!.id, a.id);
    put('config.json', '{"n_layer":2}');
    assert.notEqual(modelIdentity(dir)!.id, a.id);
    put('config.json', '{"n_layer":1}'); put('model.onnx', 'other weights');
    assert.notEqual(modelIdentity(dir)!.id, a.id);
    put('model.onnx', 'weights'); put('model.onnx.data', 'external');
    assert.notEqual(modelIdentity(dir)!.id, a.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the cache: a miss calls the engine and appends; a hit does not; another model hash or markers miss; InputErrors are kept', async () => {
  const dir = tmp('store');
  try {
    const file = join(dir, 'g.jsonl');
    let calls = 0;
    const inner: EvalEngine = {
      kind: 'counting', modelDir: '(none)',
      async fix(req) {
        calls++;
        if (req.languageId === 'cobol') throw Object.assign(new Error('unsupported language "cobol"'), { name: 'InputError' });
        if (req.languageId === 'flaky') throw new Error('the model did not load');
        return { fixed: req.text.toUpperCase(), given: { ...req.markers }, inferred: { task: 'CodeFix' }, latencyMs: 5, markersHonored: true };
      },
      async generate(req) { calls++; return { text: `gen:${req.prompt}`, given: {}, inferred: {}, latencyMs: 1, markersHonored: true }; },
      async markersAt() { return {}; },
    };
    const open = (model: string) => { const store = GenerationStore.open(file); return { store, e: cachedEngine({ store, model, kind: 'counting', modelDir: '(none)', inner: async () => inner, origin }) }; };
    const a = open('model-A');
    const r1 = await a.e.fix(fixReq);
    assert.equal(calls, 1);
    assert.deepEqual(await a.e.fix(fixReq), r1);
    assert.equal(calls, 1);
    await a.e.generate({ languageId: 'python', prompt: 'def g():', mode: 'none' });
    await assert.rejects(a.e.fix({ ...fixReq, languageId: 'cobol' }), /unsupported language/);
    await assert.rejects(a.e.fix({ ...fixReq, languageId: 'flaky' }), /did not load/);
    assert.equal(calls, 4);
    assert.deepEqual({ cached: a.store.stats.cached, computed: a.store.stats.computed }, { cached: 1, computed: 3 }); // the flaky error is not stored
    // a second run reads the file: hits for model-A, the InputError again, the flaky request computed again
    const b = open('model-A');
    assert.equal(b.store.size, 3);
    assert.deepEqual(await b.e.fix(fixReq), r1);
    await assert.rejects(b.e.fix({ ...fixReq, languageId: 'cobol' }), (e: Error) => e.name === 'InputError');
    assert.equal(calls, 4);
    await assert.rejects(b.e.fix({ ...fixReq, languageId: 'flaky' }));
    assert.equal(calls, 5);
    await b.e.fix({ ...fixReq, markers: { error_type: 'missing_logic' } }); // other markers: a miss
    assert.equal(calls, 6);
    // another model hash: every request is a miss
    const c = open('model-B');
    await c.e.fix(fixReq);
    assert.equal(calls, 7);
    const s = c.store.summary();
    assert.equal(s.cached, 0);
    // the stored entry names the request without its text, and where it was made
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { request: Record<string, unknown>; origin: { host: string; engineSource: string } });
    assert.equal(lines[0]!.request.text, undefined);
    assert.match(String(lines[0]!.request.textSha256), /^[0-9a-f]{64}$/);
    assert.ok(lines[0]!.origin.host && /^[0-9a-f]{64}$/.test(lines[0]!.origin.engineSource));
    // a line cut off by a killed run is skipped, not fatal
    writeFileSync(file, readFileSync(file, 'utf8') + '{"v":1,"key":"abc","op":"fi');
    assert.equal(GenerationStore.open(file).stats.badLines, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('round trip on the real Engine (scripted model): engine calls only into a file, then the tests from the file = a direct run', async () => {
  const dir = tmp('engine');
  try {
    const problems = loadProblems(dataDir, 'python', 2);
    const p = problems[0]!;
    const fixedFn = (p.declaration.slice(p.declaration.indexOf('def ')) + p.canonical).replace(/\s+$/, '');
    const tok = tinyTokenizer();
    const script = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'missing_logic' }) + '\n' + fixedFn + '<|end|>';
    const real = async () => wrapEngine(await Engine.load({ logits: new ScriptedLogits(tok, script), tokenizer: tok }));
    const ctx = (engine: EvalEngine, extra: Partial<SuiteContext> = {}): SuiteContext => ({ engine: async () => engine, languages: parseLanguages('python'), limit: 2, dataDir, tasksDir: '/nonexistent', limits, jobs: 2, log: () => {}, ...extra });
    const opts = { modes: ['none', 'context', 'bugtype'] as const, variants: ['plain'] as const };
    const direct = await runHumanEvalFix(ctx(await real()), { modes: [...opts.modes], variants: [...opts.variants] });
    const file = join(dir, 'g.jsonl');
    const gen = GenerationStore.open(file);
    await runHumanEvalFix(ctx(cachedEngine({ store: gen, model: 'scripted', kind: 'engine', modelDir: '(test)', inner: real, origin }), { generateOnly: true, engineJobs: 2 }), { modes: [...opts.modes], variants: [...opts.variants] });
    assert.equal(gen.stats.computed, 6);
    const fromFile = GenerationStore.open(file);
    const noEngine = async (): Promise<EvalEngine> => { throw new Error('the engine must not be called when scoring from the file'); };
    const scored = await runHumanEvalFix(ctx(cachedEngine({ store: fromFile, model: 'scripted', kind: 'engine', modelDir: '(test)', inner: noEngine, origin })), { modes: [...opts.modes], variants: [...opts.variants] });
    assert.deepEqual({ cached: fromFile.stats.cached, computed: fromFile.stats.computed }, { cached: 6, computed: 0 });
    assert.deepEqual(comparable(scored.records), comparable(direct.records));
    assert.ok((scored.records as FixRecord[]).some((r) => r.pass), 'the scripted fix of Python/0 passes');
    // another model identity finds nothing in the file (and would have to compute)
    const other = GenerationStore.open(file);
    const missed = await runHumanEvalFix(ctx(cachedEngine({ store: other, model: 'another model', kind: 'engine', modelDir: '(test)', inner: noEngine, origin })), { modes: ['context'], variants: ['plain'] });
    assert.ok((missed.records as FixRecord[]).every((r) => r.reason?.includes('must not be called')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI round trip (oracle stand-in, 2 generation workers): --generate-only, then --generations FILE = a direct run', async () => {
  const dir = tmp('cli');
  try {
    const file = join(dir, 'g.jsonl');
    // 4 problems x (none, context) x (plain, tests) = 16 engine calls
    const common = ['--suite', 'humanevalfix', '--languages', 'python,js', '--limit', '2', '--engine', 'oracle', '--no-cache', '--modes', 'none,context', '--variants', 'plain,tests'];
    const direct = await run(parseArgs([...common, '--out', join(dir, 'direct.json')]), () => {});
    const gen = await run(parseArgs([...common, '--generate-only', '--generations', file, '--gen-workers', '2', '--threads', '1', '--gen-label', 'test box', '--out', join(dir, 'gen.json')]), () => {});
    assert.equal(gen.exitCode, 0);
    assert.deepEqual(gen.results.selfCheck, []); // nothing runs with --generate-only
    assert.deepEqual(gen.results.suites, []);
    assert.equal(gen.results.meta.generations?.computed, 16);
    assert.equal(gen.results.meta.generations?.generateOnly, true);
    assert.deepEqual(gen.results.meta.engineProcesses, { workers: 2, threads: 1 });
    const scored = await run(parseArgs([...common, '--generations', file, '--out', join(dir, 'scored.json')]), () => {});
    assert.equal(scored.exitCode, 0);
    const g = scored.results.meta.generations!;
    assert.deepEqual({ cached: g.cached, computed: g.computed }, { cached: 16, computed: 0 });
    assert.equal(g.origins.length, 1);
    assert.equal(g.origins[0]!.label, 'test box');
    assert.equal(g.origins[0]!.workers, 2);
    assert.equal(g.origins[0]!.entries, 16);
    assert.equal(g.engineSourceMismatch, 0);
    assert.deepEqual(comparable(scored.results.suites[0]!.records), comparable(direct.results.suites[0]!.records));
    assert.ok((scored.results.suites[0]!.records as FixRecord[]).every((r) => r.pass));
    assert.match(readFileSync(join(dir, 'scored.md'), 'utf8'), /16 answered from the file, 0 computed here/);
    assert.throws(() => parseArgs(['--generate-only']), /needs --generations FILE/);
    assert.equal(parseArgs(['--branch-tries', '0']).branchTries, 0);
    assert.equal(parseArgs([]).branchTries, undefined); // the product's retry budget unless asked
    assert.throws(() => parseArgs(['--branch-tries', '-1']), /whole number/);
    assert.deepEqual(parseArgs(['--given', 'quality_bucket=1,source=Human']).given, { quality_bucket: '1', source: 'Human' });
    assert.throws(() => parseArgs(['--given', 'quality_bucket=9']), /quality_bucket/); // checked against the taxonomy
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generation workers: answers in the suite\'s order from both workers; a worker that cannot load says why', async () => {
  const languages = parseLanguages('python,js');
  const pool = await startPool({ engine: 'oracle', dataDir, languages, limit: 3 }, { workers: 2, threads: 1 });
  try {
    const problems = languages.flatMap((l) => loadProblems(dataDir, l, 3));
    const here = oracleEngine(problems);
    const reqs = problems.map((p) => ({ languageId: p.language === 'js' ? 'javascript' : p.language, prompt: p.prompt, mode: 'context' as const }));
    const got = await Promise.all(reqs.map((r) => pool.generate(r)));
    assert.deepEqual(got, await Promise.all(reqs.map((r) => here.generate(r))));
    assert.equal(pool.answered.length, 2);
    assert.ok(pool.answered.every((n) => n > 0), `both workers answered: ${pool.answered.join(', ')}`);
  } finally {
    await pool.close();
  }
  const dir = tmp('nomodel');
  try {
    mkdirSync(join(dir, 'empty'));
    await assert.rejects(startPool({ engine: 'engine', modelDir: join(dir, 'empty'), device: 'cpu' }, { workers: 1, threads: 1 }), /incomplete|no model|missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--threads K reaches each engine as TREASURE_ORT_THREADS (intra-op threads of its session)', () => {
  assert.equal(intraOpThreads({ TREASURE_ORT_THREADS: '3' }), 3);
  const dflt = intraOpThreads({});
  assert.ok(dflt >= 1 && dflt <= 8);
  assert.equal(intraOpThreads({ TREASURE_ORT_THREADS: 'zero' }), dflt);
  assert.equal(parseArgs(['--gen-workers', '4', '--threads', '2']).threads, 2);
});
