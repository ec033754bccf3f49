// npm run eval -- --suite humanevalfix|synthesis|length|markers|tail|all|selfcheck [options]
// Measures what a user gets, through the product's engine (language-server/src/engine.ts), and writes a
// JSON file (every record + summaries) and a Markdown report beside it. Every run first runs the harness
// self-check (canonical solutions pass, buggy solutions fail) for the languages and problems it uses.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseMarkerArgs } from '../language-server/src/markers';
import { intraOpThreads } from '../language-server/src/runtime';
import { TreasureTokenizer } from '../language-server/src/tokenizer';
import { loadEngine, type EvalEngine } from './engine-adapter.js';
import { cachedEngine, GenerationStore, kitInfo, modelIdentity, thisMachine, type ModelIdentity } from './generations.js';
import { HEP_LANGUAGES, loadProblems, parseLanguages, type Problem } from './humanevalpack.js';
import { defaultModelDir, humanEvalPackDir, repoRelative, repoRoot, tasksDir } from './paths.js';
import { headlineTable, markdownPathFor, renderMarkdown, selfCheckMarkdown, selfCheckOk, writeJson, writeMarkdown, type RunResults } from './report.js';
import { defaultLimits, toolchain } from './runner.js';
import { selfCheck } from './selfcheck.js';
import { nullEngine, oracleEngine } from './stand-ins.js';
import type { SuiteContext, SuiteResult } from './suites/common.js';
import { FIX_MODES, FIX_VARIANTS, runHumanEvalFix, type FixMode, type FixVariant } from './suites/humanevalfix.js';
import { LENGTH_CONDITIONS, runLength, type LengthCondition, type LengthUnit } from './suites/length.js';
import { runMarkers } from './suites/markers.js';
import { GEN_MODES, runSynthesis, type GenMode } from './suites/synthesis.js';
import { runTail } from './suites/tail.js';
import { parseSyntaxArgs, runSyntaxSuite } from './suites/syntax.js';
import { parseProofArgs, runProofSuite } from './suites/proof.js';
import { runCalibration } from './suites/calibration.js';
import { parseRankingArgs, runRankingSuite } from './suites/ranking.js';
import { startPool } from './workers.js';
import { readFileSync, existsSync } from 'node:fs';

export const SUITES = ['humanevalfix', 'synthesis', 'length', 'markers', 'tail'] as const;

const HELP = `Usage: npm run eval -- [options]
  --suite S            humanevalfix | synthesis | length | markers | tail | all | selfcheck   (default all)
                       | calibration (not in all: the unverified-fix threshold, HumanEvalFix without tests,
                       buggy + canonical, --limit N problems per language (default 80), first half calibrates, second half held out)
                       syntax: held-out corpus files broken by one or two tokens, repaired through the engine
                       (its options: --corpus DIR --per-language N --languages L,L --rank model|prior --cli N --seed N --out F)
                       proof: HumanEvalFix proven by example_test through the engine's tested path, judged by test
                       (its options: --languages python,js,go,rust,java,cpp --limit N --skip N --rank model,prior --prove N --budget S --out F)
                       ranking: is the true fix among the tested path's candidates, and its rank by prior / model (no tests run)
                       (its options: --languages python,js,... --limit N --skip N --lines all|localized --out F)
  --languages L,L      HumanEvalPack languages: ${HEP_LANGUAGES.join(',')} (default all)
  --limit N            first N problems per language (markers/tail: N examples per task and language)
  --model DIR          model folder (default models/treasure)
  --baseline DIR       the no-marker baseline model (enables the baseline mode/conditions)
  --out FILE.json      results (default build/eval/<suite>.json); the Markdown report goes beside it (.md)
  --modes M,M          humanevalfix modes: ${FIX_MODES.join(',')} (default none,context[,baseline])
  --variants V,V       humanevalfix variants: ${FIX_VARIANTS.join(',')} (default: plain for every mode, tests for context)
  --gen-modes M,M      synthesis modes: ${GEN_MODES.join(',')} (default none,context[,baseline])
  --length-conditions  ${LENGTH_CONDITIONS.join(',')} (default marker[,baseline-text],none: the issue's
                       comparison and how long answers are anyway; marker-raw and text on request)
  --length-unit U      lines | tokens (default lines)
  --length-tests       also run the length suite's outputs against the tests (pass@1)
  --per-bucket N       markers/tail: examples per task and language (default: --limit, else 20)
  --max-tokens N       answer budget passed to the engine
  --min-confidence X   humanevalfix: the least confidence (0-1, or never) of an unverified fix the engine offers
                       (default 0 in the harness: every guess, as before the threshold; the product's default is never)
  --branch-tries N     the engine's retries from its least-sure decoding points (default: the product's, 4);
                       a separate model identity in the generations file (a speed/quality trade-off study)
  --given K=V,K=V      humanevalfix: markers given with every request of the marker modes (none, context, bugtype),
                       as a workspace's default markers would be; the baseline gets none (a lever study)
  --device D           cpu | gpu | auto (default cpu)
  --engine E           engine (default) | oracle | null: stand-ins that check the harness itself
  --data DIR           HumanEvalPack folder (default eval/data/humanevalpack, in the repository)
  --tasks DIR          held-out task shards (default build/data/tasks, env TREASURE_TASKS)
  --jobs N             parallel test executions (default: CPU count)
  --timeout S          seconds per test execution (default 10)
  --no-cache           do not read/write build/eval-cache/results
  --generations FILE   engine outputs (JSON lines) keyed by model identity and request: read what is
                       there, run the engine only for what is missing, append it (eval/README.md)
  --generate-only      only the engine calls of the chosen suites/languages/limits, into --generations FILE:
                       no self-check, no tests, no toolchains needed (e.g. on a machine with many cores)
  --gen-workers N      N worker processes, each with its own engine (onnxruntime session), answer the
                       suites' requests side by side (default: one per CPU, 1 thread each: 1.6x one
                       engine with all threads on 2 cores; 0: one engine in this process)
  --threads K          intra-op threads per engine (default: CPU count / N with --gen-workers, else up to 8)
  --gen-label TEXT     names this machine in the generations file's entries (default $TREASURE_GEN_LABEL)
  --headline FILE.json print the README headline table of an earlier run and exit
Without --languages, a language whose toolchain is missing is left out (named in the log and the report).
Exit status: 0 ok; 2 a suite could not run (e.g. no model, or a language named in --languages has no toolchain);
3 the self-check failed (results not trustworthy).`;

export interface Options {
  suite: string;
  languages: string[];
  /** --languages was given: a language among them that cannot run is an error (exit 2), not a note */
  languagesGiven?: boolean;
  limit?: number;
  model?: string;
  baseline?: string;
  out?: string;
  modes?: string[];
  variants?: string[];
  genModes?: string[];
  lengthConditions?: string[];
  lengthUnit: LengthUnit;
  lengthTests?: boolean;
  perBucket?: number;
  maxTokens?: number;
  device: 'cpu' | 'gpu' | 'auto';
  engine: 'engine' | 'oracle' | 'null';
  data?: string;
  tasks?: string;
  jobs: number;
  timeoutS: number;
  cache: boolean;
  generations?: string;
  generateOnly?: boolean;
  genWorkers?: number;
  branchTries?: number;
  /** --given: markers given with every HumanEvalFix request of a marker mode (as a workspace's defaults) */
  given?: Record<string, string>;
  minConfidence?: number | 'never';
  threads?: number;
  genLabel?: string;
  headline?: string;
  help?: boolean;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { suite: 'all', languages: [...HEP_LANGUAGES], lengthUnit: 'lines', device: 'cpu', engine: 'engine', jobs: availableParallelism(), timeoutS: 10, cache: true };
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  const int = (name: string, v: string) => { const n = Number(v); if (!Number.isInteger(n) || n < 0) throw new Error(`${name} expects a whole number, got "${v}"`); return n; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const val = (): string => {
      if (a.startsWith('--') && eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--suite': o.suite = val(); break;
      case '--languages': o.languages = parseLanguages(val()); o.languagesGiven = true; break;
      case '--limit': o.limit = int(flag, val()); break;
      case '--model': o.model = val(); break;
      case '--baseline': o.baseline = val(); break;
      case '--out': o.out = val(); break;
      case '--modes': o.modes = list(val()); break;
      case '--variants': o.variants = list(val()); break;
      case '--gen-modes': o.genModes = list(val()); break;
      case '--length-conditions': o.lengthConditions = list(val()); break;
      case '--length-unit': { const u = val(); if (u !== 'lines' && u !== 'tokens') throw new Error('--length-unit is lines or tokens'); o.lengthUnit = u; break; }
      case '--length-tests': o.lengthTests = true; break;
      case '--per-bucket': o.perBucket = int(flag, val()); break;
      case '--max-tokens': o.maxTokens = int(flag, val()); break;
      case '--min-confidence': { const v = val(); const x = v === 'never' ? v : Number(v); if (x !== 'never' && !(x >= 0 && x <= 1)) throw new Error('--min-confidence is a number from 0 to 1 or never'); o.minConfidence = x; break; }
      case '--device': { const d = val(); if (!['cpu', 'gpu', 'auto'].includes(d)) throw new Error('--device is cpu, gpu or auto'); o.device = d as Options['device']; break; }
      case '--engine': { const e = val(); if (!['engine', 'oracle', 'null'].includes(e)) throw new Error('--engine is engine, oracle or null'); o.engine = e as Options['engine']; break; }
      case '--data': o.data = val(); break;
      case '--tasks': o.tasks = val(); break;
      case '--jobs': o.jobs = Math.max(1, int(flag, val())); break;
      case '--timeout': o.timeoutS = Math.max(1, int(flag, val())); break;
      case '--no-cache': o.cache = false; break;
      case '--generations': o.generations = val(); break;
      case '--generate-only': o.generateOnly = true; break;
      case '--gen-workers': o.genWorkers = Math.max(0, int(flag, val())); break;
      case '--branch-tries': o.branchTries = int(flag, val()); break;
      case '--given': o.given = { ...parseMarkerArgs(list(val())) } as Record<string, string>; break;
      case '--threads': o.threads = Math.max(1, int(flag, val())); break;
      case '--gen-label': o.genLabel = val(); break;
      case '--headline': o.headline = val(); break;
      case '-h': case '--help': o.help = true; break;
      default: throw new Error(`unknown argument "${a}" (see --help)`);
    }
  }
  if (![...SUITES, 'all', 'selfcheck', 'calibration'].includes(o.suite)) throw new Error(`unknown suite "${o.suite}" (${[...SUITES, 'all', 'selfcheck', 'calibration'].join(', ')})`);
  if (o.generateOnly && !o.generations) throw new Error('--generate-only needs --generations FILE (where the engine outputs go)');
  if (o.generateOnly && o.suite === 'selfcheck') throw new Error('--generate-only: the self-check makes no engine calls');
  const check = (name: string, vals: string[] | undefined, allowed: readonly string[]) => {
    for (const v of vals ?? []) if (!allowed.includes(v)) throw new Error(`${name}: unknown "${v}" (${allowed.join(', ')})`);
  };
  check('--modes', o.modes, FIX_MODES);
  check('--variants', o.variants, FIX_VARIANTS);
  check('--gen-modes', o.genModes, GEN_MODES);
  check('--length-conditions', o.lengthConditions, LENGTH_CONDITIONS);
  return o;
}

function gitCommit(): string | undefined {
  const kit = kitInfo(); // the bundle (make-device-kit.sh): the commit it was built from
  if (kit) return kit.gitCommit;
  try { return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return undefined; }
}

/** The generations part of a report, its paths repo-relative (a committed report names no folder of this machine). */
function recordedGenerations<S extends { file: string }, B>(summary: S, generateOnly: boolean, models: ModelIdentity[], bySuite: B) {
  return { ...summary, file: repoRelative(summary.file), generateOnly, models: models.map((m) => ({ ...m, modelDir: repoRelative(m.modelDir) })), bySuite };
}

export async function run(o: Options, log: (m: string) => void = (m) => console.error(m)): Promise<{ results: RunResults; exitCode: number; out: string }> {
  const t0 = Date.now();
  const dataDir = humanEvalPackDir(o.data);
  const limits = { ...defaultLimits, runTimeoutMs: o.timeoutS * 1000, cache: o.cache };
  const suites = o.suite === 'all' ? [...SUITES] : o.suite === 'selfcheck' ? [] : [o.suite];
  const languages = parseLanguages(o.languages.join(','));

  // Problems of the HumanEvalPack suites (also what the self-check runs).
  const problems: Problem[] = [];
  for (const l of languages) problems.push(...loadProblems(dataDir, l, o.limit));

  // The engines: loaded on first use; with --gen-workers N, N worker processes each with its own engine;
  // with --generations FILE, answered from the file where it has the request (the engine loads on a miss).
  const made: Promise<EvalEngine>[] = [];
  const once = (f: () => Promise<EvalEngine>) => {
    let p: Promise<EvalEngine> | undefined;
    return () => { if (!p) { p = f(); made.push(p); } return p; };
  };
  const modelDir = o.model ? resolve(o.model) : defaultModelDir;
  // batch-1 decoding uses a second thread poorly: one single-thread engine per CPU by default
  const workers = (o.genWorkers ?? (o.engine === 'engine' ? availableParallelism() : 0)) || undefined;
  const threads = o.threads ?? (workers ? Math.max(1, Math.floor(availableParallelism() / workers)) : intraOpThreads());
  if (o.threads && !workers) process.env.TREASURE_ORT_THREADS = String(o.threads);
  // Without a file, a memo of this run: a request asked twice (synthesis "context" is the length suite's
  // "none") is computed once.
  const store = o.generations ? GenerationStore.open(resolve(o.generations)) : o.engine === 'engine' ? GenerationStore.memory() : undefined;
  if (store?.file) log(`generations: ${store.size} entries in ${store.file}${store.stats.badLines ? ` (${store.stats.badLines} unreadable lines skipped)` : ''}`);
  const commit = gitCommit();
  const identities: ModelIdentity[] = [];
  const rawEngine = async (dir: string, baseline: boolean): Promise<EvalEngine> => {
    if (o.engine !== 'engine') {
      if (workers) return startPool({ engine: o.engine, dataDir, languages, limit: o.limit }, { workers, threads, log });
      return o.engine === 'oracle' ? oracleEngine(problems) : nullEngine();
    }
    log(`loading the engine on ${dir}${workers ? ` in ${workers} worker processes x ${threads} threads` : ''}`);
    if (workers) return startPool({ engine: 'engine', modelDir: dir, device: o.device, baseline, branchTries: o.branchTries }, { workers, threads, log });
    return loadEngine({ modelDir: dir, device: o.device, baseline, branchTries: o.branchTries });
  };
  const engineFor = (dir: string, baseline: boolean) => async (): Promise<EvalEngine> => {
    if (!store) return rawEngine(dir, baseline);
    let model: string;
    let kind: string;
    let countTokens: ((text: string) => number) | undefined;
    if (o.engine === 'engine') {
      const id = modelIdentity(dir, { baseline });
      if (!id) return rawEngine(dir, baseline); // a file is missing: the engine says which
      identities.push(id);
      // another retry budget is another engine: its outputs are kept apart
      model = o.branchTries === undefined ? id.id : `${id.id}+branchTries=${o.branchTries}`;
      kind = baseline ? 'engine (baseline)' : 'engine';
      let tok: TreasureTokenizer | undefined;
      countTokens = (text) => (tok ??= TreasureTokenizer.fromFile(join(dir, 'tokenizer.json'))).encode(text).length;
    } else {
      kind = (o.engine === 'oracle' ? oracleEngine([]) : nullEngine()).kind;
      model = `stand-in:${o.engine}`;
    }
    return cachedEngine({
      store, model, kind, modelDir: dir, countTokens,
      inner: () => rawEngine(dir, baseline),
      origin: (e) => ({ ...thisMachine({ label: o.genLabel ?? process.env.TREASURE_GEN_LABEL, workers: workers ?? 1, threads, gitCommit: commit }), provider: e.device }),
    });
  };
  const engine = once(engineFor(modelDir, false));
  const baseline = o.baseline ? (o.engine === 'engine' ? once(engineFor(resolve(o.baseline), true)) : engine) : undefined;
  const ctx: SuiteContext = {
    engine, baseline, languages, limit: o.limit, dataDir, tasksDir: tasksDir(o.tasks), limits, jobs: o.jobs, maxTokens: o.maxTokens, given: o.given, minConfidence: o.minConfidence, log,
    engineJobs: workers ?? 1, generateOnly: o.generateOnly,
  };

  // 1. The harness checks itself (not with --generate-only: nothing runs there, the scoring run checks).
  const unavailable: string[] = [];
  let sc: Awaited<ReturnType<typeof selfCheck>> = { records: new Map(), summaries: [] };
  if (!o.generateOnly) {
    const missing = new Set<string>();
    for (const l of languages) { const t = await toolchain(l); if (!t.ok) { unavailable.push(`${l}: ${t.why}`); missing.add(l); } }
    // A language whose toolchain is missing cannot be checked and the suites skip it: the self-check
    // leaves it out too, and says so, instead of failing the whole run on a machine that lacks it.
    if (missing.size) log(`self-check: ${[...missing].join(', ')} left out: ${unavailable.join('; ')}`);
    const checked = problems.filter((p) => !missing.has(p.language));
    log(`self-check: ${checked.length} problems x (canonical, buggy) in ${languages.filter((l) => !missing.has(l)).join(', ') || 'no language'}`);
    sc = await selfCheck(checked, { limits, jobs: o.jobs });
    log(selfCheckMarkdown(sc.summaries));
  }

  // 2. The suites.
  const withBaseline = (xs: string[]) => (o.baseline ? xs : xs.filter((x) => !x.startsWith('baseline')));
  const results: SuiteResult[] = [];
  const errors: { suite: string; message: string }[] = [];
  const bySuite: Record<string, { cached: number; computed: number; seconds: number; perSecond: number }> = {};
  try {
    for (const s of suites) {
      log(`suite ${s}${o.generateOnly ? ' (engine calls only)' : ''}`);
      const before = store ? { ...store.stats } : undefined;
      const ts = Date.now();
      try {
        if (s === 'humanevalfix') {
          results.push(await runHumanEvalFix(ctx, {
            modes: (o.modes ?? withBaseline(['none', 'context', 'baseline'])) as FixMode[],
            variants: (o.variants ?? ['plain', 'tests']) as FixVariant[],
            // by default the "tests" variant is measured with the editor's markers only (time budget)
            testsModes: o.variants ? undefined : ['context'],
          }));
        } else if (s === 'calibration') {
          results.push(await runCalibration(ctx));
        } else if (s === 'synthesis') {
          results.push(await runSynthesis(ctx, { modes: (o.genModes ?? withBaseline(['none', 'context', 'baseline'])) as GenMode[] }));
        } else if (s === 'length') {
          results.push(await runLength(ctx, { conditions: (o.lengthConditions ?? withBaseline(['marker', 'baseline-text', 'none'])) as LengthCondition[], unit: o.lengthUnit, runTests: o.lengthTests }));
        } else if (s === 'markers') {
          results.push(await runMarkers(ctx, { perBucket: o.perBucket ?? o.limit ?? 20 }));
        } else if (s === 'tail') {
          results.push(await runTail(ctx, { perLanguage: o.perBucket ?? o.limit ?? 20 }));
        }
      } catch (e) {
        const message = (e as Error).message;
        log(`suite ${s} failed: ${message}`);
        errors.push({ suite: s, message });
      }
      if (store && before) {
        const seconds = (Date.now() - ts) / 1000;
        const computed = store.stats.computed - before.computed;
        bySuite[s] = { cached: store.stats.cached - before.cached, computed, seconds, perSecond: computed / Math.max(seconds, 1e-3) };
        log(`  ${s}: ${bySuite[s]!.cached} engine calls from the file, ${computed} computed (${bySuite[s]!.perSecond.toFixed(2)}/s)`);
      }
    }
  } finally {
    for (const p of made) await (await p.catch(() => undefined))?.close?.();
  }
  const eng = await engine().then((e) => e.kind, () => 'engine (not loaded)');
  const out = resolve(repoRoot, o.out ?? join('build', 'eval', `${o.suite}${o.generateOnly ? '-generations' : ''}.json`));
  const res: RunResults = {
    meta: {
      command: `${kitInfo() ? 'node eval.js' : 'npm run eval --'} ${process.argv.slice(2).join(' ')}`.trim(),
      args: process.argv.slice(2),
      startedAt: new Date(t0).toISOString(),
      seconds: (Date.now() - t0) / 1000,
      gitCommit: commit,
      engine: o.engine === 'engine' ? (suites.length ? eng : 'none (self-check only)') : eng,
      model: o.engine === 'engine' ? repoRelative(modelDir) : undefined,
      baseline: o.baseline ? repoRelative(o.baseline) : undefined,
      languages,
      limit: o.limit,
      machine: { cpus: availableParallelism(), platform: `${process.platform}-${process.arch}`, node: process.version },
      engineProcesses: workers ? { workers, threads } : { workers: 0, threads },
      ...(o.branchTries !== undefined ? { branchTries: o.branchTries } : {}),
      ...(o.given ? { given: o.given } : {}),
      generations: store ? recordedGenerations(store.summary(), !!o.generateOnly, identities, bySuite) : undefined,
    },
    selfCheck: sc.summaries,
    // --generate-only: the suites' records hold no test results (the scoring run makes them)
    suites: o.generateOnly ? [] : results,
    errors: [...errors, ...unavailable.map((m) => ({ suite: 'toolchain', message: m }))],
  };
  writeJson(out, res);
  writeMarkdown(markdownPathFor(out), res);
  // a language asked for by name that cannot run, or none that can, is a suite that could not run
  const cannotRun = unavailable.length > 0 && (o.languagesGiven || unavailable.length === languages.length);
  const exitCode = !o.generateOnly && !selfCheckOk(sc.summaries) ? 3 : errors.length || cannotRun ? 2 : 0;
  return { results: res, exitCode, out };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const si = argv.indexOf('--suite');
  // the suites with their own options and report: syntax (the corpus's held-out files), ranking, proof
  const ownSuites: Record<string, () => Promise<unknown>> = {
    syntax: () => runSyntaxSuite(parseSyntaxArgs(argv)),
    ranking: () => runRankingSuite(parseRankingArgs(argv)),
    proof: () => runProofSuite(parseProofArgs(argv)),
  };
  const name = si >= 0 ? argv[si + 1] : undefined;
  const own = name !== undefined && Object.hasOwn(ownSuites, name) ? ownSuites[name] : undefined;
  if (own) {
    try {
      await own();
    } catch (e) {
      console.error(`eval: ${(e as Error).message}`);
      process.exitCode = 2;
    }
    return;
  }
  let o: Options;
  try { o = parseArgs(process.argv.slice(2)); } catch (e) { console.error(`eval: ${(e as Error).message}`); process.exit(2); }
  if (o.help) { console.log(HELP); return; }
  if (o.headline) {
    const p = resolve(o.headline);
    if (!existsSync(p)) { console.error(`eval: ${p} not found`); process.exit(2); }
    console.log(headlineTable(JSON.parse(readFileSync(p, 'utf8')) as RunResults));
    return;
  }
  const { results, exitCode, out } = await run(o);
  console.log(renderMarkdown(results));
  console.error(`wrote ${out} and ${markdownPathFor(out)}`);
  if (exitCode === 3) console.error('eval: the harness self-check FAILED (see the table above): results are not trustworthy');
  process.exitCode = exitCode;
}

if (require.main === module) void main();
