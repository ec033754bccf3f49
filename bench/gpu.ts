// CPU and GPU side by side in one run: model load, time to first token (prompt prefill), decode
// time per token, quick-fix latency p50/p95 over HumanEvalFix functions (declaration +
// buggy_solution through engine.fixDetailed), CPU/GPU parity, and where the model's nodes run
// (onnxruntime's verbose "Node placements" log from a child process, plus the runtime's own
// profile check). Prints a table and writes JSON. Asserts nothing about speed.
//
//   npm run build && node dist/bench.js [--model DIR] [--data DIR] [--n 30] [--languages python]
//                                       [--devices cpu,gpu] [--decode 64] [--out FILE]
//   (or: npx tsx bench/gpu.ts ...)   bench/gpu-device.sh runs it on a GPU machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { judgePlacement, placementFromLog, PROVIDER_LABELS, type PlacementVerdict } from '../language-server/src/device';
import { defaultModelDir, Engine } from '../language-server/src/engine';
import { repoRoot } from '../language-server/src/paths';
import { buildPrompt } from '../language-server/src/prompt';
import type { Device, DeviceStatus } from '../language-server/src/protocol';
import { OrtModel } from '../language-server/src/runtime';
import { humanEvalPackDir, repoRelative } from '../eval/paths';

const LANGUAGE_ID: Record<string, [string, string]> = {
  python: ['python', 'py'], js: ['javascript', 'js'], java: ['java', 'java'], go: ['go', 'go'], cpp: ['cpp', 'cpp'], rust: ['rust', 'rs'],
};

interface Options {
  model: string;
  data: string;
  n: number;
  languages: string[];
  devices: Device[];
  decode: number;
  reps: number;
  out: string;
  maxTokens?: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    model: process.env.TREASURE_MODEL_DIR || defaultModelDir(),
    data: humanEvalPackDir(),
    n: 30,
    languages: ['python'],
    devices: ['cpu', 'gpu'],
    decode: 64,
    reps: 3,
    out: process.env.OUT ? join(process.env.OUT, 'bench-gpu.json') : join(repoRoot(), 'build', 'bench', 'gpu.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    switch (a) {
      case '--model': o.model = v(); break;
      case '--data': o.data = humanEvalPackDir(v()); break;
      case '--n': o.n = Number(v()); break;
      case '--languages': o.languages = v().split(',').filter(Boolean); break;
      case '--devices': o.devices = v().split(',').filter(Boolean) as Device[]; break;
      case '--decode': o.decode = Number(v()); break;
      case '--reps': o.reps = Number(v()); break;
      case '--out': o.out = v(); break;
      case '--max-tokens': o.maxTokens = Number(v()); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  o.model = resolve(o.model);
  return o;
}

interface FixCase { id: string; languageId: string; path: string; text: string; line: number }

function loadCases(o: Options): FixCase[] {
  const cases: FixCase[] = [];
  for (const lang of o.languages) {
    const [languageId, ext] = LANGUAGE_ID[lang] ?? [lang, lang];
    const rows = readFileSync(join(o.data, `${lang}.jsonl`), 'utf8').split('\n').filter((l) => l.trim()).slice(0, o.n);
    for (const l of rows) {
      const r = JSON.parse(l) as Record<string, string>;
      const decl = r.declaration!;
      const buggy = r.buggy_solution!;
      const first = Math.max(0, buggy.split('\n').findIndex((x) => x.trim() !== ''));
      cases.push({ id: r.task_id!, languageId, path: `bench.${ext}`, text: decl + buggy, line: decl.split('\n').length - 1 + first });
    }
  }
  return cases;
}

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}
const argmax = (a: Float32Array) => {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[k]!) k = i;
  return k;
};

interface DeviceRun {
  device: Device;
  error?: string;
  deviceInfo?: DeviceStatus;
  name?: string;
  kvOnGpu?: boolean;
  loadMs?: number;
  promptTokens?: number;
  ttftMs?: number;
  decodeMsPerToken?: number;
  decodeTokensPerS?: number;
  greedy?: number[];
  firstLogits?: Float32Array;
  fix?: { n: number; p50: number; p95: number; mean: number; found: number; tokensMean: number; msPerCompletionToken: number };
  fixes?: { id: string; ms: number; fixed: string | null; tokens: number; reason?: string }[];
  placementLog?: PlacementVerdict & { provider: string; error?: string };
}

function gpuName(): string | undefined {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10000 }).trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

async function runDevice(device: Device, o: Options, cases: FixCase[]): Promise<DeviceRun> {
  const run: DeviceRun = { device };
  const t0 = performance.now();
  let engine: Engine;
  try {
    engine = await Engine.load({ modelDir: o.model, device });
  } catch (e) {
    run.error = (e as Error).message;
    return run;
  }
  run.loadMs = performance.now() - t0;
  run.deviceInfo = engine.deviceInfo;
  const provider = engine.device;
  run.kvOnGpu = engine.model instanceof OrtModel && engine.model.kvOnDevice;
  run.name = provider === 'cpu' ? `CPU: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} threads)` : `${PROVIDER_LABELS[provider] ?? provider}: ${gpuName() ?? engine.deviceInfo?.adapter ?? 'GPU'}`;
  log(`${device}: loaded on ${provider} in ${Math.round(run.loadMs)} ms — ${engine.deviceInfo?.reason ?? ''}`);

  // Prefill and decode on the raw model (greedy, no constraints): the first case's fix prompt.
  const prompt = buildPrompt({ task: 'CodeFix', code: cases[0]!.text });
  const ids = engine.tokenizer.encode(prompt, true);
  run.promptTokens = ids.length;
  const ttfts: number[] = [];
  const steps: number[] = [];
  for (let r = 0; r <= o.reps; r++) {
    const s = engine.model.start();
    const a = performance.now();
    let logits = await s.feed(ids);
    const ttft = performance.now() - a;
    if (r === 0) run.firstLogits = logits.slice();
    const greedy: number[] = [];
    for (let k = 0; k < o.decode && s.length < engine.contextLength; k++) {
      const next = argmax(logits);
      greedy.push(next);
      const b = performance.now();
      logits = await s.feed([next]);
      if (r > 0) steps.push(performance.now() - b);
    }
    s.dispose();
    if (r === 0) run.greedy = greedy; // r = 0 warms up (shader compilation, allocator)
    else ttfts.push(ttft);
  }
  run.ttftMs = median(ttfts);
  run.decodeMsPerToken = median(steps);
  run.decodeTokensPerS = 1000 / run.decodeMsPerToken;
  log(`${device}: prompt ${ids.length} tokens, TTFT ${run.ttftMs.toFixed(1)} ms, decode ${run.decodeMsPerToken.toFixed(2)} ms/token`);

  // Quick fixes: one warm-up, then every case.
  await engine.fixDetailed({ text: cases[0]!.text, languageId: cases[0]!.languageId, path: cases[0]!.path, line: cases[0]!.line, maxTokens: o.maxTokens });
  run.fixes = [];
  for (const c of cases) {
    const a = performance.now();
    const out = await engine.fixDetailed({ text: c.text, languageId: c.languageId, path: c.path, line: c.line, maxTokens: o.maxTokens });
    const ms = performance.now() - a;
    run.fixes.push({ id: c.id, ms, fixed: out.fix?.fixed ?? null, tokens: out.tokens?.completion ?? 0, reason: out.fix ? undefined : out.reason });
  }
  const lat = run.fixes.map((f) => f.ms);
  const toks = run.fixes.reduce((a, f) => a + f.tokens, 0);
  run.fix = {
    n: lat.length, p50: quantile(lat, 0.5), p95: quantile(lat, 0.95), mean: lat.reduce((a, b) => a + b, 0) / lat.length,
    found: run.fixes.filter((f) => f.fixed !== null).length, tokensMean: toks / lat.length, msPerCompletionToken: lat.reduce((a, b) => a + b, 0) / Math.max(1, toks),
  };
  log(`${device}: quick fix p50 ${run.fix.p50.toFixed(0)} ms, p95 ${run.fix.p95.toFixed(0)} ms over ${run.fix.n} functions (${run.fix.found} fixes)`);
  await (engine.model as { release?: () => Promise<void> }).release?.();
  return run;
}

/** The verbose placement log of a session on `provider` (a child process: the log goes to its stderr). */
function placementByLog(provider: string, model: string): PlacementVerdict & { provider: string; error?: string } {
  const self = process.argv[1]!;
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--placement-child', provider, join(model, 'model.onnx')], { encoding: 'utf8', timeout: 300_000, maxBuffer: 256 * 1024 * 1024 });
  const placement = placementFromLog(r.stderr ?? '');
  const verdict = judgePlacement(placement, provider);
  return { ...verdict, provider, ...(r.status !== 0 ? { error: (r.stdout || r.stderr || '').trim().split('\n').slice(-3).join(' | ') } : {}) };
}

async function placementChild(provider: string, file: string): Promise<void> {
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  try {
    const s = await ort.InferenceSession.create(file, { executionProviders: [provider], graphOptimizationLevel: 'all', logSeverityLevel: 0 });
    await s.release();
  } catch (e) {
    process.stdout.write(`session on ${provider} failed: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

function log(s: string): void {
  process.stderr.write(`bench: ${s}\n`);
}

const fmt = (x: number | undefined, d = 1) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));

function table(runs: DeviceRun[], parity: Record<string, unknown>): string {
  const rows: [string, ...string[]][] = [
    ['', ...runs.map((r) => (r.deviceInfo ? `${r.device} → ${r.deviceInfo.provider}` : r.device))],
    ['hardware', ...runs.map((r) => r.name ?? `error: ${(r.error ?? '').slice(0, 60)}… (see above)`)],
    ['model load ms', ...runs.map((r) => fmt(r.loadMs, 0))],
    [`time to first token ms (${runs[0]?.promptTokens ?? '?'}-token prompt)`, ...runs.map((r) => fmt(r.ttftMs))],
    ['decode ms/token', ...runs.map((r) => fmt(r.decodeMsPerToken, 2))],
    ['decode tokens/s', ...runs.map((r) => fmt(r.decodeTokensPerS, 0))],
    [`quick fix p50 ms (n=${runs.find((r) => r.fix)?.fix?.n ?? '?'})`, ...runs.map((r) => fmt(r.fix?.p50, 0))],
    ['quick fix p95 ms', ...runs.map((r) => fmt(r.fix?.p95, 0))],
    ['fixes found', ...runs.map((r) => (r.fix ? `${r.fix.found}/${r.fix.n}` : '—'))],
    ['completion tokens/fix (mean)', ...runs.map((r) => fmt(r.fix?.tokensMean, 0))],
    ['heavy ops on the provider (log)', ...runs.map((r) => (!r.placementLog ? '—' : r.placementLog.heavyTotal > 0 ? `${r.placementLog.heavyOnProvider}/${r.placementLog.heavyTotal}` : r.placementLog.summary))],
  ];
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const lines = rows.map((r) => r.map((cell, c) => (cell ?? '').padEnd(w[c]!)).join('  ').trimEnd());
  lines.splice(1, 0, w.map((n) => '-'.repeat(n)).join('  '));
  for (const [k, v] of Object.entries(parity)) lines.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--placement-child') return placementChild(argv[1]!, argv[2]!);
  const o = parseArgs(argv);
  if (!existsSync(join(o.model, 'model.onnx'))) throw new Error(`no model at ${o.model} (model.onnx)`);
  const cases = loadCases(o);
  if (!cases.length) throw new Error(`no HumanEvalFix functions in ${o.data}`);
  log(`model ${o.model}; ${cases.length} HumanEvalFix functions (${o.languages.join(', ')}) from ${o.data}`);
  const runs: DeviceRun[] = [];
  for (const d of o.devices) {
    let r: DeviceRun;
    try {
      r = await runDevice(d, o, cases);
    } catch (e) {
      r = { device: d, error: (e as Error).stack ?? String(e) };
    }
    if (r.error) log(`${d}: ${r.error}`);
    if (r.deviceInfo) {
      r.placementLog = placementByLog(r.deviceInfo.provider, o.model);
      log(`${d}: placement (verbose log) ${r.placementLog.summary}${r.placementLog.error ? ` [${r.placementLog.error}]` : ''}`);
      if (r.deviceInfo.placement) log(`${d}: placement (runtime profile) ${r.deviceInfo.placement}`);
    }
    runs.push(r);
    save(o, cases.length, runs, {}); // partial results survive a crash of a later device
  }
  const cpu = runs.find((r) => r.deviceInfo && !r.deviceInfo.gpu && r.decodeMsPerToken);
  const gpu = runs.find((r) => r.deviceInfo?.gpu && r.decodeMsPerToken);
  const parity: Record<string, unknown> = {};
  if (cpu && gpu) {
    let maxDiff = 0;
    for (let i = 0; i < cpu.firstLogits!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(cpu.firstLogits![i]! - gpu.firstLogits![i]!));
    const same = cpu.greedy!.findIndex((t, i) => gpu.greedy![i] !== t);
    parity['prefill logits max |CPU - GPU|'] = maxDiff.toExponential(2);
    parity['greedy tokens identical'] = same < 0 ? `all ${cpu.greedy!.length}` : `first ${same} of ${cpu.greedy!.length}`;
    parity['same quick fix as CPU'] = `${cpu.fixes!.filter((f, i) => f.fixed === gpu.fixes![i]?.fixed).length}/${cpu.fixes!.length}`;
    parity['GPU decode speed-up over CPU'] = `${(cpu.decodeMsPerToken! / gpu.decodeMsPerToken!).toFixed(1)}x (target >= 5x)`;
    parity['GPU quick fix p50'] = `${gpu.fix!.p50.toFixed(0)} ms (target <= 60 ms)`;
    parity['KV cache on the GPU'] = gpu.kvOnGpu ? 'yes (TREASURE_GPU_KV=0 turns it off)' : 'no';
  }
  const text = table(runs, parity);
  process.stdout.write(text + '\n');
  save(o, cases.length, runs, parity);
  writeFileSync(o.out.replace(/\.json$/, '') + '.txt', text + '\n');
  log(`wrote ${o.out}`);
}

function save(o: Options, n: number, runs: DeviceRun[], parity: Record<string, unknown>): void {
  mkdirSync(dirname(o.out), { recursive: true });
  const json = {
    date: new Date().toISOString(), model: repoRelative(o.model), data: repoRelative(o.data), languages: o.languages, n, decodeTokens: o.decode, reps: o.reps,
    node: process.version, cpu: cpus()[0]?.model, threads: cpus().length, gpu: gpuName() ?? null,
    runs: runs.map(({ firstLogits: _l, greedy: _g, ...r }) => r), parity,
  };
  writeFileSync(o.out, JSON.stringify(json, null, 1) + '\n');
}

main().catch((e: unknown) => {
  // the message, not a stack trace: what went wrong is in it (TREASURE_DEBUG=1 prints the stack)
  process.stderr.write(`bench: ${process.env.TREASURE_DEBUG ? (e as Error).stack : (e as Error).message ?? String(e)}\n`);
  process.exitCode = 2;
});
