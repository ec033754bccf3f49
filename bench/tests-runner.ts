// The test-running layer's costs on the fixture workspaces (test/fixtures/workspaces/):
//  - one full test run: pytest as a new process (cold), pytest in a warm worker, node --test;
//  - a scratch copy of the workspace;
//  - proveCandidates over 10 candidates (9 wrong, 1 right) with the right one ranked 1st and 10th;
//  - localize alone (pytest: one traced run; node: one run per test file with the coverage preload,
//    and for comparison one run per test);
//  - the layer's share of a whole fix: findTests + localize (its traced run is the baseline) +
//    proveCandidates with the right candidate at a random rank in 1..10, as p50 / p95 over --reps.
// Cold and warm runs alternate so machine load hits both alike. The machine's load average is printed:
// figures from a busy shared machine are upper bounds.
//
//   npx tsx bench/tests-runner.ts [--reps 10] [--parallel 2] [--no-plugins] [--out build/bench/tests-runner.json]
// --no-plugins: PYTEST_DISABLE_PLUGIN_AUTOLOAD=1, i.e. bare pytest (the installed plugins, such as
// hypothesis, cost a cold start ~1 s on this VM; the product loads them, as the user's pytest does).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '../language-server/src/paths';
import { findTests, localize, proveCandidates, runTests, Scratch, WarmPool, type TestCandidate, type TestPlan } from '../language-server/src/repair/tests/index';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const reps = Number(opt('reps', '10'));
const parallel = Number(opt('parallel', String(Math.min(4, availableParallelism()))));
const noPlugins = args.includes('--no-plugins');
if (noPlugins) process.env.PYTEST_DISABLE_PLUGIN_AUTOLOAD = '1';
const out = opt('out', join(repoRoot(), 'build', 'bench', `tests-runner${noPlugins ? '-no-plugins' : ''}.json`));

const FIX = join(repoRoot(), 'test', 'fixtures', 'workspaces');
const PY = join(FIX, 'py-classify');
const JS = join(FIX, 'js-clamp');

function plan(file: string, root: string): TestPlan {
  const p = findTests(file, root, { trusted: true });
  if (!('kind' in p)) throw new Error(p.none);
  return p;
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
};
const median = (xs: number[]) => pct(xs, 0.5);

async function time<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await f();
  return [performance.now() - t, r];
}

// 9 wrong candidates and the right one, per workspace
const pyText = readFileSync(join(PY, 'classify.py'), 'utf8');
const PY_WRONG = ['n > 10', 'n == 10', 'n < 100', 'n <= 9', 'n < 9', 'n >= 10', 'n != 10', 'n < 5', 'n <= 1'];
const pyCandidate = (cond: string, i: number): TestCandidate => ({ id: `${i}:${cond}`, files: new Map([['classify.py', pyText.replace('if n < 10:', `if ${cond}:`)]]) });
const jsText = readFileSync(join(JS, 'lib', 'clamp.js'), 'utf8');
const JS_WRONG = ['return x;', 'return lo - 1;', 'return lo + 1;', 'return 0;', 'return hi - 1;', 'return hi + 1;', 'return -hi;', 'return x + 1;', 'return lo * hi;'];
const jsCandidate = (line: string, i: number): TestCandidate => ({
  id: `${i}:${line}`,
  files: new Map([['lib/clamp.js', jsText.split('\n').map((l, k) => (k === 7 ? `    ${line}` : l)).join('\n')]]),
});
function ranked(wrong: string[], right: string, rank: number, make: (s: string, i: number) => TestCandidate): TestCandidate[] {
  const list = [...wrong];
  list.splice(rank - 1, 0, right);
  return list.map(make);
}

interface Setup {
  name: string;
  plan: TestPlan;
  file: string;
  from: number;
  to: number;
  wrong: string[];
  right: string;
  make: (s: string, i: number) => TestCandidate;
  warm?: WarmPool;
  nodeCoverage?: 'in-process' | 'per-test';
}

async function localizeOnce(s: Setup): Promise<number> {
  const scratch = Scratch.create(s.plan.root);
  try {
    const [ms, loc] = await time(() => localize(s.plan, scratch, { trusted: true, file: s.file, fromLine: s.from, toLine: s.to, warm: s.warm, nodeCoverage: s.nodeCoverage }));
    if (loc.lines.length === 0) throw new Error(`${s.name}: no spectrum`);
    return ms;
  } finally {
    scratch.dispose();
  }
}

async function runOnce(s: Setup): Promise<number> {
  const scratch = Scratch.create(s.plan.root);
  try {
    const [ms, r] = await time(() => runTests(s.plan, scratch, { trusted: true, warm: s.warm }));
    if (r.failed.length !== 1) throw new Error(`${s.name}: expected 1 failure, got ${r.summary}`);
    return ms;
  } finally {
    scratch.dispose();
  }
}

async function prove(s: Setup, rank: number): Promise<{ ms: number; tried: number }> {
  const scratch = Scratch.create(s.plan.root);
  const baseline = await runTests(s.plan, scratch, { trusted: true, warm: s.warm });
  scratch.dispose();
  const [ms, r] = await time(() => proveCandidates(s.plan, ranked(s.wrong, s.right, rank, s.make), baseline, { trusted: true, parallel, warm: s.warm }));
  if (!r.winner?.endsWith(s.right)) throw new Error(`${s.name}: winner ${r.winner} (${r.reason})`);
  return { ms, tried: r.tried };
}

/** findTests + localize (its run is the baseline) + proveCandidates, right one at `rank`. */
async function pipeline(s: Setup, rank: number): Promise<number> {
  const [ms] = await time(async () => {
    const p = plan(s.file, s.plan.root);
    const scratch = Scratch.create(p.root);
    const loc = await localize(p, scratch, { trusted: true, file: s.file, fromLine: s.from, toLine: s.to, warm: s.warm, nodeCoverage: s.nodeCoverage });
    scratch.dispose();
    const r = await proveCandidates(p, ranked(s.wrong, s.right, rank, s.make), loc.report, { trusted: true, parallel, warm: s.warm });
    if (!r.winner) throw new Error(`${s.name}: no winner (${r.reason})`);
  });
  return ms;
}

async function main() {
  const load0 = loadavg()[0]!;
  const pyPlan = plan('classify.py', PY);
  const pool = new WarmPool({ python: pyPlan.python ?? 'python3', size: parallel, trusted: true });
  pool.warmUp();
  const setups: Setup[] = [
    { name: 'pytest (new process)', plan: pyPlan, file: 'classify.py', from: 1, to: 9, wrong: PY_WRONG, right: 'n <= 10', make: pyCandidate },
    { name: 'pytest (warm worker)', plan: pyPlan, file: 'classify.py', from: 1, to: 9, wrong: PY_WRONG, right: 'n <= 10', make: pyCandidate, warm: pool },
    { name: 'node --test', plan: plan('lib/clamp.js', JS), file: 'lib/clamp.js', from: 3, to: 11, wrong: JS_WRONG, right: 'return hi;', make: jsCandidate },
    { name: 'node --test, a run per test', plan: plan('lib/clamp.js', JS), file: 'lib/clamp.js', from: 3, to: 11, wrong: JS_WRONG, right: 'return hi;', make: jsCandidate, nodeCoverage: 'per-test' },
  ];
  await runOnce(setups[1]!); // the warm workers' first run imports the test modules' dependencies

  const scratchMs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    Scratch.create(PY).dispose();
    scratchMs.push(performance.now() - t);
  }

  const rows: Record<string, Record<string, number | string>> = {};
  for (const s of setups) rows[s.name] = {};
  const once: Record<string, number[]> = {};
  const p1: Record<string, number[]> = {};
  const p10: Record<string, number[]> = {};
  const pipe: Record<string, number[]> = {};
  const loc: Record<string, number[]> = {};
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < reps; i++) {
    const rank = 1 + Math.floor(rand() * 10);
    for (const s of setups) {
      (loc[s.name] ??= []).push(await localizeOnce(s));
      if (s.nodeCoverage === 'per-test') continue; // only localization differs
      (once[s.name] ??= []).push(await runOnce(s));
      (p1[s.name] ??= []).push((await prove(s, 1)).ms);
      const r10 = await prove(s, 10);
      (p10[s.name] ??= []).push(r10.ms);
      rows[s.name]!.tried10 = r10.tried;
      (pipe[s.name] ??= []).push(await pipeline(s, rank));
    }
  }
  pool.dispose();
  for (const s of setups) {
    rows[s.name]!['localize p50'] = median(loc[s.name]!);
    if (s.nodeCoverage === 'per-test') continue;
    Object.assign(rows[s.name]!, {
      'one run p50': median(once[s.name]!),
      'prove, right 1st p50': median(p1[s.name]!),
      'prove, right 10th p50': median(p10[s.name]!),
      'localize+prove p50': median(pipe[s.name]!),
      'localize+prove p95': pct(pipe[s.name]!, 0.95),
    });
  }
  const result = {
    date: new Date().toISOString(),
    reps,
    parallel,
    pytestPlugins: noPlugins ? 'none (PYTEST_DISABLE_PLUGIN_AUTOLOAD=1)' : 'as installed',
    cores: availableParallelism(),
    loadavg: { start: Math.round(load0 * 100) / 100, end: Math.round(loadavg()[0]! * 100) / 100 },
    scratchCopyMsP50: median(scratchMs),
    ms: rows,
  };
  console.log(`tests-runner bench: ${reps} reps, parallel ${parallel}, pytest plugins ${result.pytestPlugins}, ${result.cores} cores, load average ${result.loadavg.start} -> ${result.loadavg.end}; scratch copy of py-classify p50 ${result.scratchCopyMsP50} ms`);
  console.table(rows);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
