// Do the fixes that pass the tests behave alike? Weak tests let several edits pass ("plausible"
// patches), and most of them are wrong (patch overfitting). The calls the tests make to the function
// are recorded (running the tests on the first passing candidate, which makes every call), mutated
// (numbers +-1, 0, negated, doubled; strings and lists shortened, reversed, grown, a string's last character
// made a digit, a sign or a capital; booleans flipped), and
// every passing candidate is called on them. Candidates that return different values on an input
// where all of them return normally disagree: the tests do not say which fix is meant. Inputs where a
// candidate raises or loops are left out (outside the function's domain they prove nothing).
// Python (pytest workspaces) and JavaScript (node --test) only; in a scratch copy, trusted workspaces only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTrust, testEnv } from './env';
import type { TestPlan } from './plan';
import { runProcess } from './process';
import { Scratch } from './scratch';

export interface BehaviourResult {
  /** Inputs every candidate was called on (recorded calls and their mutants), and those that count. */
  inputs: number;
  evidence: number;
  /** Candidate indices grouped by behaviour on the inputs that count (one group: they agree). */
  groups: number[][];
  /** An input where they differ, with each group's answer ("f(3) -> 4 | 5"). */
  example?: string;
  /** Why nothing was compared (the recording failed, no calls recorded ...). */
  note?: string;
  ms: number;
}

const PY_DRIVER = String.raw`
import sys, os, json, copy, types, signal, io, contextlib, random, math
cfg = json.load(open(sys.argv[1]))
fn, modfile, tests = cfg['function'], cfg['module'], cfg['tests']
root = os.getcwd()
sys.path.insert(0, os.path.join(root, os.path.dirname(modfile)) or root)
sys.path.insert(0, root)
sys.dont_write_bytecode = True
modname = os.path.splitext(os.path.basename(modfile))[0]
import importlib
mod = importlib.import_module(modname)
orig = getattr(mod, fn)
calls = []
def rec(*a, **k):
    if len(calls) < 300:
        try: calls.append(copy.deepcopy((a, k)))
        except Exception: pass
    return orig(*a, **k)
setattr(mod, fn, rec)
try:
    import pytest
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(['-q', '-p', 'no:cacheprovider', '-p', 'no:randomly', *tests])
except BaseException as e:
    pass
setattr(mod, fn, orig)
def key(v):
    try: return repr(v)
    except Exception: return str(id(v))
def mutants(v, depth=0):
    out = []
    if isinstance(v, bool): out = [not v]
    elif isinstance(v, int): out = [v + 1, v - 1, 0, -v, v * 2, v + 2, v + 5]
    elif isinstance(v, float): out = [v + 0.5, v - 0.5, -v, v * 2, 0.0, v + 1.0]
    elif isinstance(v, str): out = [v[1:], v[:-1], v[::-1], v + v[:1], v[:1] + v, v.upper(), v.swapcase(), '', v + ' ', v.replace(' ', '', 1), v[:-1] + '7', v[:-1] + '?', v[:-1] + 'Z']
    elif isinstance(v, (list, tuple)):
        l = list(v)
        outl = [l[1:], l[:-1], l[::-1], l + l[:1], l[:1] + l, [], l + l[-1:], sorted(l, key=key)]
        if depth < 1:
            for i in range(min(len(l), 4)):
                for m in mutants(l[i], depth + 1)[:3]: outl.append(l[:i] + [m] + l[i + 1:])
        out = [type(v)(x) if isinstance(v, tuple) else x for x in outl]
    return out
seen, inputs = set(), []
def add(a, k):
    s = key((a, k))
    if s not in seen:
        seen.add(s); inputs.append((a, k))
for a, k in calls: add(a, k)
ncalls = len(inputs)
# boundary values: the candidates' integer constants and their neighbours (where fixes of a bound differ)
import ast
consts = set()
for text in cfg['candidates']:
    try:
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < 10**6: consts.update([node.value - 1, node.value, node.value + 1])
    except Exception: pass
rnd = random.Random(7)
for a, k in calls[:40]:
    for i, v in enumerate(a):
        ms = mutants(v)
        rnd.shuffle(ms)
        if type(v) is int: ms = sorted(consts)[:12] + ms
        for m in ms[:8 + (12 if type(v) is int else 5 if type(v) is str else 0)]: add(a[:i] + (m,) + a[i + 1:], k)
inputs = inputs[:cfg.get('maxInputs', 200)]
class Slow(Exception): pass
def alarm(*_): raise Slow()
signal.signal(signal.SIGALRM, alarm)
def norm(v, d=0):
    if d > 20: return '...'
    if isinstance(v, float):
        if math.isnan(v): return 'nan'
        return round(v, 6)
    if isinstance(v, (list, tuple)): return [type(v).__name__] + [norm(x, d + 1) for x in v]
    if isinstance(v, dict): return ['dict'] + sorted([[key(k), norm(x, d + 1)] for k, x in v.items()], key=key)
    if isinstance(v, set): return ['set'] + sorted(key(x) for x in v)
    if isinstance(v, (int, str, bool)) or v is None: return v
    return key(v)
out = []
for text in cfg['candidates']:
    m = types.ModuleType(modname)
    m.__file__ = os.path.join(root, modfile)
    res = []
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(text, m.__file__, 'exec'), m.__dict__)
        f = m.__dict__[fn]
    except BaseException as e:
        out.append(['!load ' + type(e).__name__] * len(inputs)); continue
    slow = 0
    for j, (a, k) in enumerate(inputs):
        # screen: a candidate that answers a recorded call unlike the first one is no rival of it (the rest skipped)
        if (cfg.get('screen') and out and 0 < j <= ncalls and res[j - 1] != out[0][j - 1]) or slow >= 3:
            res.extend(['!skip'] * (len(inputs) - j)); break
        try:
            a2, k2 = copy.deepcopy((a, k))
            signal.setitimer(signal.ITIMER_REAL, cfg.get('callS', 0.2))
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    r = f(*a2, **k2)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            res.append(json.dumps(norm(r), default=str)[:400])
        except Slow: res.append('!timeout'); slow += 1
        except RecursionError: res.append('!raise RecursionError')
        except BaseException as e: res.append('!raise ' + type(e).__name__)
    out.append(res)
shown = [ (fn + '(' + ', '.join([key(x)[:60] for x in a] + [k2 + '=' + key(v)[:60] for k2, v in k.items()]) + ')') for a, k in inputs]
sys.__stdout__.write('\n@@DIFF@@' + json.dumps({'recorded': len(calls), 'calls': ncalls, 'inputs': shown, 'outcomes': out}) + '\n')
`;

const JS_DRIVER = String.raw`
'use strict';
const fs = require('node:fs'); const path = require('node:path'); const Module = require('node:module'); const vm = require('node:vm');
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const root = process.cwd(); const modPath = path.join(root, cfg.module);
const calls = [];
const clone = (v) => { try { return structuredClone(v); } catch { return undefined; } };
// record: wrap the function in the module's exports before the tests require it
const mod = require(modPath);
const orig = mod[cfg.function];
if (typeof orig === 'function') mod[cfg.function] = function (...a) { if (calls.length < 300) { const c = clone(a); if (c) calls.push(c); } return orig.apply(this, a); };
const key = (v) => { try { return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? String(x) : x === undefined ? '__undef' : Number.isNaN(x) ? '__nan' : x)); } catch { return String(v); } };
async function record() {
  // the tests run in this process with node:test's test() replaced by a queue, so that they require
  // the wrapped module (node 20's run() has no in-process mode)
  const nt = require('node:test');
  const queue = [];
  const fnOf = (...xs) => xs.find((x) => typeof x === 'function');
  const fake = (...xs) => { const fn = fnOf(...xs); if (fn) queue.push(fn); return Promise.resolve(); };
  const group = (...xs) => { const fn = fnOf(...xs); try { if (fn) fn(); } catch {} };
  for (const k of ['test', 'it']) nt[k] = fake;
  for (const k of ['describe', 'suite']) nt[k] = group;
  for (const k of ['before', 'after', 'beforeEach', 'afterEach']) nt[k] = () => {};
  const ctx = { test: fake, it: fake, skip() {}, todo() {}, diagnostic() {}, plan() {}, mock: nt.mock, assert: require('node:assert'), signal: new AbortController().signal };
  for (const t of cfg.tests) { try { require(path.join(root, t)); } catch {} }
  for (const fn of queue) { try { await fn(ctx); } catch {} }
}
function mutants(v, depth = 0) {
  if (typeof v === 'boolean') return [!v];
  if (typeof v === 'number') return Number.isInteger(v) ? [v + 1, v - 1, 0, -v, v * 2, v + 2, v + 5] : [v + 0.5, v - 0.5, -v, v * 2, 0, v + 1];
  if (typeof v === 'string') return [v.slice(1), v.slice(0, -1), [...v].reverse().join(''), v + v.slice(0, 1), v.slice(0, 1) + v, v.toUpperCase(), '', v + ' ', v.replace(' ', ''), v.slice(0, -1) + '7', v.slice(0, -1) + '?', v.slice(0, -1) + 'Z'];
  if (Array.isArray(v)) {
    const out = [v.slice(1), v.slice(0, -1), [...v].reverse(), [...v, ...v.slice(0, 1)], [...v.slice(0, 1), ...v], [], [...v].sort()];
    if (depth < 1) for (let i = 0; i < Math.min(v.length, 4); i++) for (const m of mutants(v[i], depth + 1).slice(0, 3)) out.push([...v.slice(0, i), m, ...v.slice(i + 1)]);
    return out;
  }
  return [];
}
function rand(seed) { return () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }; }
(async () => {
  await record();
  if (typeof orig === 'function') mod[cfg.function] = orig;
  const seen = new Set(); const inputs = [];
  const add = (a) => { const k = key(a); if (!seen.has(k)) { seen.add(k); inputs.push(a); } };
  for (const a of calls) add(a);
  const ncalls = inputs.length;
  // boundary values: the candidates' integer constants and their neighbours (where fixes of a bound differ)
  const consts = [...new Set(cfg.candidates.flatMap((t) => (t.match(/(?<![\w.])\d{1,6}(?![\w.])/g) ?? []).flatMap((x) => [Number(x) - 1, Number(x), Number(x) + 1])))].slice(0, 12);
  const r = rand(7);
  for (const a of calls.slice(0, 40)) a.forEach((v, i) => {
    const ms = mutants(v).sort(() => r() - 0.5).slice(0, typeof v === 'string' ? 12 : 8);
    if (Number.isInteger(v)) ms.unshift(...consts);
    for (const m of ms) add([...a.slice(0, i), m, ...a.slice(i + 1)]);
  });
  inputs.splice(cfg.maxInputs ?? 200);
  const outcomes = [];
  for (const text of cfg.candidates) {
    const res = [];
    let f;
    try {
      const m = new Module(modPath, null); m.filename = modPath; m.paths = Module._nodeModulePaths(path.dirname(modPath));
      m._compile(text, modPath);
      f = m.exports[cfg.function];
      if (typeof f !== 'function') throw new Error('no function');
    } catch (e) { outcomes.push(inputs.map(() => '!load')); continue; }
    let slow = 0;
    for (const [j, a] of inputs.entries()) {
      // screen: a candidate that answers a recorded call unlike the first one is no rival of it (the rest skipped)
      if ((cfg.screen && outcomes.length && j > 0 && j <= ncalls && res[j - 1] !== outcomes[0][j - 1]) || slow >= 3) { while (res.length < inputs.length) res.push('!skip'); break; }
      // a loop is caught by running each call in a context with a time limit
      try {
        const ctx = vm.createContext({ f, args: clone(a) });
        const v = vm.runInContext('f(...args)', ctx, { timeout: cfg.callMs ?? 200 });
        res.push(key(typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v).slice(0, 400));
      } catch (e) { const t = /timed out/.test(String(e && e.message)); if (t) slow++; res.push(t ? '!timeout' : '!raise ' + (e && e.name)); }
    }
    outcomes.push(res);
  }
  const shown = inputs.map((a) => cfg.function + '(' + a.map((x) => key(x).slice(0, 60)).join(', ') + ')');
  process.stdout.write('\n@@DIFF@@' + JSON.stringify({ recorded: calls.length, calls: ncalls, inputs: shown, outcomes }) + '\n');
  process.exit(0);
})();
`;

export interface BehaviourOptions {
  trusted: boolean;
  /** Whole-file texts of the module under repair (plan.file); the first one is run under the tests to record the calls. */
  candidates: string[];
  functionName: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  maxInputs?: number;
  /** Candidates after the first are called on the mutants only when they answer the recorded calls as the first does (rivals: rivalsOf). */
  screen?: boolean;
}

/** Whether `plan` is one whose calls can be recorded and replayed here. */
export function canCompareBehaviour(plan: TestPlan): boolean {
  return (plan.kind === 'pytest' && /\.py$/.test(plan.file)) || (plan.kind === 'node' && /\.[cm]?js$/.test(plan.file));
}

/** What every candidate returned on each input (recorded calls first, then mutants); or why nothing ran. */
export interface Replay {
  /** Calls the tests made, and how many of them differ (the first `calls` inputs; then their mutants). */
  recorded: number;
  calls: number;
  inputs: string[];
  /** outcomes[candidate][input]: the value as JSON, or '!raise X' / '!timeout' / '!load'. */
  outcomes: string[][];
}

/** Records the tests' calls on the first candidate and calls every candidate on them and their mutants (see the top of the file). */
export async function replayBehaviour(plan: TestPlan, opts: BehaviourOptions): Promise<Replay | { note: string }> {
  requireTrust(opts.trusted, 'running tests');
  if (opts.candidates.length < 1 || !canCompareBehaviour(plan)) return { note: 'nothing to compare' };
  const scratch = Scratch.create(plan.root);
  const tmp = mkdtempSync(join(tmpdir(), 'treasure-diff-'));
  try {
    scratch.write(plan.file, opts.candidates[0]!);
    const cfgPath = join(tmp, 'cfg.json');
    writeFileSync(cfgPath, JSON.stringify({ function: opts.functionName, module: plan.file, tests: plan.testFiles, candidates: opts.candidates, maxInputs: opts.maxInputs ?? 200, screen: !!opts.screen }));
    const python = plan.kind === 'pytest';
    const driver = join(tmp, python ? 'diff_driver.py' : 'diff_driver.js');
    writeFileSync(driver, python ? PY_DRIVER : JS_DRIVER);
    const argv = python ? [plan.python ?? 'python3', '-I', '-B', driver, cfgPath] : [process.execPath, driver, cfgPath];
    // -I drops the script's folder from sys.path; the driver adds the scratch copy's
    const cwd = join(scratch.root, plan.cwd ?? '');
    const r = await runProcess(argv, { cwd: python ? scratch.root : cwd, env: testEnv(), timeoutMs: opts.timeoutMs ?? 15000, signal: opts.signal });
    const at = r.output.lastIndexOf('@@DIFF@@');
    if (at < 0) return { note: r.timedOut ? 'the comparison timed out' : `the comparison did not run: ${r.output.slice(-200)}` };
    return JSON.parse(r.output.slice(at + 8).split('\n')[0]!) as Replay;
  } finally {
    scratch.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Groups the candidates by what they return on the tests' calls and their mutants (see the top of the file). */
export async function compareBehaviour(plan: TestPlan, opts: BehaviourOptions): Promise<BehaviourResult> {
  requireTrust(opts.trusted, 'running tests');
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const all = opts.candidates.map((_, i) => i);
  if (opts.candidates.length < 2 || !canCompareBehaviour(plan)) return { inputs: 0, evidence: 0, groups: [all], note: 'nothing to compare', ms: ms() };
  const got = await replayBehaviour(plan, opts);
  if ('note' in got) return { inputs: 0, evidence: 0, groups: [all], note: got.note, ms: ms() };
  return { ...groupByBehaviour(got.inputs, got.outcomes), ms: ms(), ...(got.recorded === 0 ? { note: 'no call of the function was recorded' } : {}) };
}

/** Groups candidates by their outcomes on the inputs where every candidate returned normally. */
export function groupByBehaviour(inputs: string[], outcomes: string[][]): Omit<BehaviourResult, 'ms'> {
  const normal = inputs.map((_, j) => outcomes.every((o) => o[j] !== undefined && !o[j]!.startsWith('!')));
  const evidence = normal.filter(Boolean).length;
  const sig = outcomes.map((o) => o.filter((_, j) => normal[j]).join('\u0001'));
  const groups = new Map<string, number[]>();
  sig.forEach((s, i) => groups.set(s, [...(groups.get(s) ?? []), i]));
  const list = [...groups.values()];
  let example: string | undefined;
  if (list.length > 1) {
    const j = inputs.findIndex((_, k) => normal[k] && new Set(outcomes.map((o) => o[k])).size > 1);
    if (j >= 0) example = `${inputs[j]} -> ${[...new Set(outcomes.map((o) => o[j]!.slice(0, 40)))].join(' | ')}`;
  }
  return { inputs: inputs.length, evidence, groups: list, example };
}
