// Does onnxruntime-node run the model on CUDA, and how fast is a decode step? Plain node, no build:
//
//   node bench/cuda-check.mjs [--model DIR] [--providers cpu,cuda] [--prompt 85] [--decode 64] [--out FILE]
//
// For each provider: start a session (profiling on for a GPU provider), run one token and read the
// profile: which provider ran each node (the model's MatMulNBits/MatMul must be on
// CUDAExecutionProvider); then time a prefill of --prompt tokens (TTFT) and --decode greedy steps with
// the KV cache fed back as the runtime does (language-server/src/runtime.ts: through the CPU; the
// Node binding has no CUDA output location). Last, CPU vs CUDA: the prefill logits' largest
// difference, greedy tokens in common and the decode speed ratio. onnxruntime-node is the one
// require() finds from here (the repository's node_modules), or ORT_NODE_DIR. Exit 0 when every
// provider asked for ran, 2 when one failed (its error is printed and written to --out).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const modelDir = resolve(opt('model', 'models/treasure'));
const providers = opt('providers', 'cpu,cuda').split(',').filter(Boolean);
const promptLen = Number(opt('prompt', '85'));
const decodeSteps = Number(opt('decode', '64'));
const outFile = opt('out', '');
const threads = Number(process.env.TREASURE_ORT_THREADS) || Math.max(1, Math.min(8, availableParallelism()));

const req = createRequire(join(process.cwd(), 'package.json'));
const ortMain = req.resolve(process.env.ORT_NODE_DIR || 'onnxruntime-node');
const ort = req(ortMain);
const bindingDir = join(dirname(ortMain), '..', 'bin', 'napi-v6', process.platform, process.arch);
const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
const { n_layer: L, n_kv_head: H, head_dim: D, vocab_size: V } = config;

const result = {
  onnxruntime: ort.env?.versions?.node ?? null,
  backends: ort.listSupportedBackends?.() ?? null,
  bindingDir,
  bindingFiles: existsSync(bindingDir) ? readdirSync(bindingDir) : [],
  ldLibraryPath: (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
  node: process.version,
  threads,
  model: modelDir,
  promptLen,
  decodeSteps,
  runs: {},
};
console.log(`onnxruntime-node ${result.onnxruntime}; backends ${JSON.stringify(result.backends)}`);
console.log(`binding folder ${bindingDir}: ${result.bindingFiles.join(' ')}`);

const HEAVY = new Set(['MatMulNBits', 'MatMul', 'FusedMatMul', 'Gemm', 'MatMulInteger', 'Attention', 'MultiHeadAttention', 'GroupQueryAttention']);

function emptyPast() {
  const past = {};
  for (let i = 0; i < L; i++) {
    past[`past_key_values.${i}.key`] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);
    past[`past_key_values.${i}.value`] = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);
  }
  return past;
}

async function step(session, past, ids, start) {
  const T = ids.length;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [1, T]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: T }, (_, t) => BigInt(start + t)), [1, T]),
    ...past,
  };
  const out = await session.run(feeds);
  const next = {};
  for (let i = 0; i < L; i++) {
    next[`past_key_values.${i}.key`] = out[`present.${i}.key`];
    next[`past_key_values.${i}.value`] = out[`present.${i}.value`];
  }
  const logits = out.logits.data;
  return { past: next, last: logits.subarray(logits.length - V) };
}

const argmax = (a) => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function placement(events) {
  const byOp = {};
  const nodes = {};
  const us = {};
  const seen = new Set();
  for (const e of events) {
    if (e?.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.provider) continue;
    const { provider, op_name: op } = e.args;
    us[provider] = (us[provider] ?? 0) + (e.dur ?? 0);
    const key = `${e.name}|${e.args.node_index ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    nodes[provider] = (nodes[provider] ?? 0) + 1;
    (byOp[op] ??= {})[provider] = (byOp[op][provider] ?? 0) + 1;
  }
  const heavy = Object.fromEntries(Object.entries(byOp).filter(([op]) => HEAVY.has(op)));
  return { nodes, heavy, kernelUs: us };
}

// the same prompt for every provider: token ids spread over the vocabulary
const prompt = Array.from({ length: promptLen }, (_, i) => (i * 7919 + 13) % V);
let failed = false;

for (const provider of providers) {
  const run = { provider };
  result.runs[provider] = run;
  console.log(`\n== ${provider}`);
  const gpu = provider !== 'cpu' || process.env.CHECK_PROFILE_CPU === '1'; // (the CPU's profile: a check of this script)
  const dir = gpu ? mkdtempSync(join(tmpdir(), 'cuda-check-')) : undefined;
  let session;
  try {
    const t0 = performance.now();
    session = await ort.InferenceSession.create(join(modelDir, 'model.onnx'), {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      ...(process.env.ORT_LOG ? { logSeverityLevel: Number(process.env.ORT_LOG) } : {}),
      ...(dir ? { enableProfiling: true, profileFilePrefix: join(dir, 'ort') } : {}),
    });
    run.loadMs = round(performance.now() - t0, 0);
    console.log(`session started in ${run.loadMs} ms`);
    if (dir) {
      await step(session, emptyPast(), [0], 0);
      session.endProfiling();
      const f = readdirSync(dir).find((n) => n.endsWith('.json'));
      const p = placement(f ? JSON.parse(readFileSync(join(dir, f), 'utf8')) : []);
      run.placement = p;
      const ortName = { cpu: 'CPUExecutionProvider', cuda: 'CUDAExecutionProvider', webgpu: 'WebGpuExecutionProvider', tensorrt: 'TensorrtExecutionProvider' }[provider] ?? provider;
      const total = Object.values(p.heavy).reduce((a, per) => a + Object.values(per).reduce((x, y) => x + y, 0), 0);
      const on = Object.values(p.heavy).reduce((a, per) => a + (per[ortName] ?? 0), 0);
      const allUs = Object.values(p.kernelUs).reduce((a, b) => a + b, 0) || 1;
      run.heavyOnProvider = `${on}/${total}`;
      run.ranOnProvider = on > 0 && on === total;
      console.log(`nodes per provider: ${JSON.stringify(p.nodes)}`);
      console.log(`heavy ops: ${JSON.stringify(p.heavy)} -> ${on}/${total} on ${ortName}`);
      console.log(`kernel time share on ${ortName}: ${Math.round((100 * (p.kernelUs[ortName] ?? 0)) / allUs)}%`);
      console.log(run.ranOnProvider ? `RAN ON ${provider.toUpperCase()}` : `NOT (all) ON ${provider.toUpperCase()}`);
    }
    // warm-up: one prefill and a few steps (first runs allocate, pick kernels, start cuBLAS/cuDNN)
    {
      let s = await step(session, emptyPast(), prompt, 0);
      for (let i = 0; i < 3; i++) s = await step(session, s.past, [argmax(s.last)], prompt.length + i);
    }
    const t1 = performance.now();
    let s = await step(session, emptyPast(), prompt, 0);
    run.ttftMs = round(performance.now() - t1);
    run.prefillLast = Array.from(s.last);
    const tokens = [argmax(s.last)];
    const times = [];
    for (let i = 0; i < decodeSteps; i++) {
      const t = performance.now();
      s = await step(session, s.past, [tokens[tokens.length - 1]], prompt.length + i);
      times.push(performance.now() - t);
      tokens.push(argmax(s.last));
    }
    run.tokens = tokens;
    run.decodeMsMean = round(times.reduce((a, b) => a + b, 0) / times.length);
    run.decodeMsP50 = round(quantile(times, 0.5));
    run.decodeMsP90 = round(quantile(times, 0.9));
    console.log(`TTFT (${promptLen}-token prefill) ${run.ttftMs} ms; decode ms/token mean ${run.decodeMsMean}, p50 ${run.decodeMsP50}, p90 ${run.decodeMsP90} (${decodeSteps} steps)`);
  } catch (e) {
    failed = true;
    run.error = String(e?.message ?? e);
    console.log(`FAILED: ${run.error}`);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (session) await session.release().catch(() => undefined);
  }
}

const cpu = result.runs.cpu;
for (const [p, r] of Object.entries(result.runs)) {
  if (p === 'cpu' || !cpu?.prefillLast || !r.prefillLast) continue;
  let maxDiff = 0;
  for (let i = 0; i < V; i++) maxDiff = Math.max(maxDiff, Math.abs(cpu.prefillLast[i] - r.prefillLast[i]));
  let same = 0;
  while (same < r.tokens.length && r.tokens[same] === cpu.tokens[same]) same++;
  r.parity = { prefillLogitsMaxAbsDiff: maxDiff, greedyTokensSameFromStart: `${same}/${r.tokens.length}` };
  r.decodeSpeedupVsCpu = round(cpu.decodeMsMean / r.decodeMsMean);
  r.ttftSpeedupVsCpu = round(cpu.ttftMs / r.ttftMs);
  console.log(`\n${p} vs cpu: prefill logits max |diff| ${maxDiff.toExponential(2)}; greedy tokens equal from the start ${same}/${r.tokens.length}; decode ${r.decodeSpeedupVsCpu}x the CPU's speed (target >= 5); TTFT ${r.ttftSpeedupVsCpu}x`);
}
for (const r of Object.values(result.runs)) delete r.prefillLast;
if (outFile) writeFileSync(outFile, JSON.stringify(result, null, 1));
process.exit(failed ? 2 : 0);
