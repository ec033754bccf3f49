// npm run eval -- --suite humanevalfix|synthesis|length|markers|tail|all|selfcheck [options]
// Measures what a user gets, through the product's engine (language-server/src/engine.ts), and writes a
// JSON file (every record + summaries) and a Markdown report beside it. Every run first runs the harness
// self-check (canonical solutions pass, buggy solutions fail) for the languages and problems it uses.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { loadEngine, type EvalEngine } from './engine-adapter.js';
import { HEP_LANGUAGES, loadProblems, parseLanguages, type Problem } from './humanevalpack.js';
import { defaultModelDir, humanEvalPackDir, repoRoot, tasksDir } from './paths.js';
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
import { readFileSync, existsSync } from 'node:fs';

export const SUITES = ['humanevalfix', 'synthesis', 'length', 'markers', 'tail'] as const;

const HELP = `Usage: npm run eval -- [options]
  --suite S            humanevalfix | synthesis | length | markers | tail | all | selfcheck   (default all)
  --languages L,L      HumanEvalPack languages: ${HEP_LANGUAGES.join(',')} (default all)
  --limit N            first N problems per language (markers/tail: N examples per task and language)
  --model DIR          model folder (default models/treasure)
  --baseline DIR       the no-marker baseline model (enables the baseline mode/conditions)
  --out FILE.json      results (default build/eval/<suite>.json); the Markdown report goes beside it (.md)
  --modes M,M          humanevalfix modes: ${FIX_MODES.join(',')} (default none,context[,baseline])
  --variants V,V       humanevalfix variants: ${FIX_VARIANTS.join(',')} (default: plain for every mode, tests for context)
  --gen-modes M,M      synthesis modes: ${GEN_MODES.join(',')} (default none,context[,baseline])
  --length-conditions  ${LENGTH_CONDITIONS.join(',')} (default marker,text[,baseline-text],none)
  --length-unit U      lines | tokens (default lines)
  --length-tests       also run the length suite's outputs against the tests (pass@1)
  --per-bucket N       markers/tail: examples per task and language (default: --limit, else 20)
  --max-tokens N       answer budget passed to the engine
  --device D           cpu | gpu | auto (default cpu)
  --engine E           engine (default) | oracle | null: stand-ins that check the harness itself
  --data DIR           HumanEvalPack folder (default ../shared/data/humanevalpack, env TREASURE_HUMANEVALPACK)
  --tasks DIR          held-out task shards (default build/data/tasks, env TREASURE_TASKS)
  --jobs N             parallel test executions (default: CPU count)
  --timeout S          seconds per test execution (default 10)
  --no-cache           do not read/write build/eval-cache/results
  --headline FILE.json print the README headline table of an earlier run and exit
Exit status: 0 ok; 2 a suite could not run (e.g. no model); 3 the self-check failed (results not trustworthy).`;

export interface Options {
  suite: string;
  languages: string[];
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
      case '--languages': o.languages = parseLanguages(val()); break;
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
      case '--device': { const d = val(); if (!['cpu', 'gpu', 'auto'].includes(d)) throw new Error('--device is cpu, gpu or auto'); o.device = d as Options['device']; break; }
      case '--engine': { const e = val(); if (!['engine', 'oracle', 'null'].includes(e)) throw new Error('--engine is engine, oracle or null'); o.engine = e as Options['engine']; break; }
      case '--data': o.data = val(); break;
      case '--tasks': o.tasks = val(); break;
      case '--jobs': o.jobs = Math.max(1, int(flag, val())); break;
      case '--timeout': o.timeoutS = Math.max(1, int(flag, val())); break;
      case '--no-cache': o.cache = false; break;
      case '--headline': o.headline = val(); break;
      case '-h': case '--help': o.help = true; break;
      default: throw new Error(`unknown argument "${a}" (see --help)`);
    }
  }
  if (![...SUITES, 'all', 'selfcheck'].includes(o.suite)) throw new Error(`unknown suite "${o.suite}" (${[...SUITES, 'all', 'selfcheck'].join(', ')})`);
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
  try { return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return undefined; }
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

  const once = (f: () => Promise<EvalEngine>) => { let p: Promise<EvalEngine> | undefined; return () => (p ??= f()); };
  const modelDir = o.model ? resolve(o.model) : defaultModelDir;
  const engine = once(async () => {
    if (o.engine === 'oracle') return oracleEngine(problems);
    if (o.engine === 'null') return nullEngine();
    log(`loading the engine on ${modelDir}`);
    return loadEngine({ modelDir, device: o.device });
  });
  const baseline = o.baseline ? once(() => (o.engine === 'engine' ? loadEngine({ modelDir: resolve(o.baseline!), device: o.device, baseline: true }) : engine())) : undefined;
  const ctx: SuiteContext = {
    engine, baseline, languages, limit: o.limit, dataDir, tasksDir: tasksDir(o.tasks), limits, jobs: o.jobs, maxTokens: o.maxTokens, log,
  };

  // 1. The harness checks itself.
  log(`self-check: ${problems.length} problems x (canonical, buggy) in ${languages.join(', ')}`);
  const unavailable: string[] = [];
  for (const l of languages) { const t = await toolchain(l); if (!t.ok) unavailable.push(`${l}: ${t.why}`); }
  const sc = await selfCheck(problems, { limits, jobs: o.jobs });
  log(selfCheckMarkdown(sc.summaries));

  // 2. The suites.
  const withBaseline = (xs: string[]) => (o.baseline ? xs : xs.filter((x) => !x.startsWith('baseline')));
  const results: SuiteResult[] = [];
  const errors: { suite: string; message: string }[] = [];
  for (const s of suites) {
    log(`suite ${s}`);
    try {
      if (s === 'humanevalfix') {
        results.push(await runHumanEvalFix(ctx, {
          modes: (o.modes ?? withBaseline(['none', 'context', 'baseline'])) as FixMode[],
          variants: (o.variants ?? ['plain', 'tests']) as FixVariant[],
          // by default the "tests" variant is measured with the editor's markers only (time budget)
          testsModes: o.variants ? undefined : ['context'],
        }));
      } else if (s === 'synthesis') {
        results.push(await runSynthesis(ctx, { modes: (o.genModes ?? withBaseline(['none', 'context', 'baseline'])) as GenMode[] }));
      } else if (s === 'length') {
        results.push(await runLength(ctx, { conditions: (o.lengthConditions ?? withBaseline(['marker', 'text', 'baseline-text', 'none'])) as LengthCondition[], unit: o.lengthUnit, runTests: o.lengthTests }));
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
  }
  const eng = await engine().then((e) => e.kind, () => 'engine (not loaded)');
  const out = resolve(repoRoot, o.out ?? join('build', 'eval', `${o.suite}.json`));
  const res: RunResults = {
    meta: {
      command: `npm run eval -- ${process.argv.slice(2).join(' ')}`.trim(),
      args: process.argv.slice(2),
      startedAt: new Date(t0).toISOString(),
      seconds: (Date.now() - t0) / 1000,
      gitCommit: gitCommit(),
      engine: o.engine === 'engine' ? (suites.length ? eng : 'none (self-check only)') : eng,
      model: o.engine === 'engine' ? modelDir : undefined,
      baseline: o.baseline ? resolve(o.baseline) : undefined,
      languages,
      limit: o.limit,
      machine: { cpus: availableParallelism(), platform: `${process.platform}-${process.arch}`, node: process.version },
    },
    selfCheck: sc.summaries,
    suites: results,
    errors: [...errors, ...unavailable.map((m) => ({ suite: 'toolchain', message: m }))],
  };
  writeJson(out, res);
  writeMarkdown(markdownPathFor(out), res);
  const exitCode = !selfCheckOk(sc.summaries) ? 3 : errors.length ? 2 : 0;
  return { results: res, exitCode, out };
}

async function main(): Promise<void> {
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
