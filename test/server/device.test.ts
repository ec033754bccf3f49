// Device choice (language-server/src/device.ts) without a GPU: provider order per setting and
// platform, CPU fallback with reasons, 'gpu' failing loudly, 'cpu' never trying a GPU, software
// Vulkan adapters and CPU-placed heavy ops refused; then the real onnxruntime-node on this machine.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import {
  chooseProvider,
  DeviceError,
  describeDevice,
  judgePlacement,
  linuxLibraryFound,
  placementFromLog,
  placementFromProfile,
  preflight,
  probeCuda,
  providerOrder,
  shortError,
  vulkanDrivers,
  type CudaFacts,
  type HostInfo,
  type SessionOpener,
} from '../../language-server/src/device';
import { cudaLine } from '../../language-server/src/doctor';
import { elfNeeded, elfSectionIncludes } from '../../language-server/src/elf';
import { repoRoot } from '../../language-server/src/paths';
import { executionProviders, ModelError, OrtModel } from '../../language-server/src/runtime';

test('provider order per device setting and platform', () => {
  assert.deepEqual(providerOrder('auto', 'linux', 'x64'), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(providerOrder('gpu', 'linux', 'x64'), ['cuda', 'webgpu']);
  assert.deepEqual(providerOrder('cpu', 'linux', 'x64'), ['cpu']);
  assert.deepEqual(providerOrder('auto', 'win32', 'x64'), ['dml', 'webgpu', 'cpu']);
  assert.deepEqual(providerOrder('auto', 'darwin', 'arm64'), ['webgpu', 'coreml', 'cpu']);
  assert.deepEqual(providerOrder('gpu', 'linux', 'arm64'), []);
  assert.deepEqual(providerOrder('auto', 'linux', 'arm64'), ['cpu']);
  assert.deepEqual(executionProviders('cpu'), [['cpu']]);
});

// ---- a fake host and fake sessions ---------------------------------------------------------------

const emptyDir = mkdtempSync(join(tmpdir(), 'treasure-device-test-'));

function linuxHost(over: Partial<HostInfo> = {}): HostInfo {
  return {
    platform: 'linux', arch: 'x64', bindingDir: emptyDir,
    backends: [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }, { name: 'cuda', bundled: false }, { name: 'tensorrt', bundled: false }],
    vulkanLoader: true,
    vulkanDrivers: [{ file: '/usr/share/vulkan/icd.d/nvidia_icd.json', library: 'libGLX_nvidia.so.0', software: false }],
    gpuDeviceNodes: ['/dev/nvidia0'],
    ...over,
  };
}

/** A profile of one step: MatMulNBits nodes on `heavy`, shape ops on the CPU. */
function profile(heavy: string): unknown[] {
  const ev = (name: string, op: string, provider: string, i: number) => ({ cat: 'Node', name: `${name}_kernel_time`, dur: 10, args: { op_name: op, provider, node_index: String(i) } });
  return [
    { cat: 'Session', name: 'model_loading_uri', args: {} },
    ev('/q_proj/MatMul_Q4', 'MatMulNBits', heavy, 1),
    ev('/k_proj/MatMul_Q4', 'MatMulNBits', heavy, 2),
    ev('/lm_head/MatMul_Q4', 'MatMulNBits', heavy, 3),
    ev('/Shape', 'Shape', 'CPUExecutionProvider', 4),
  ];
}

class FakeOpener implements SessionOpener<string> {
  opened: string[] = [];
  closed: string[] = [];
  constructor(private readonly behaviour: Record<string, { fail?: string; profile?: unknown[] | Error }>) {}
  async open(provider: string, opts: { profile: boolean }): Promise<string> {
    this.opened.push(provider);
    const b = this.behaviour[provider];
    if (!b) throw new Error(`unexpected provider ${provider}`);
    if (b.fail) throw new Error(b.fail);
    assert.equal(opts.profile, provider !== 'cpu', 'GPU sessions are profiled, the CPU one is not');
    return `session:${provider}`;
  }
  async profile(session: string): Promise<unknown> {
    const b = this.behaviour[session.slice('session:'.length)]!;
    if (b.profile instanceof Error) throw b.profile;
    return b.profile;
  }
  async close(session: string): Promise<void> {
    this.closed.push(session);
  }
}

const ADAPTER_ERROR = '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(...) adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters';

test('auto: the GPU provider fails to start -> CPU, with the reason (CUDA skipped: its libraries are not installed)', async () => {
  const opener = new FakeOpener({ webgpu: { fail: ADAPTER_ERROR }, cpu: {} });
  const { session, report } = await chooseProvider('auto', opener, linuxHost({ vulkanLoader: true }));
  assert.equal(session, 'session:cpu');
  assert.deepEqual(opener.opened, ['webgpu', 'cpu']);
  assert.equal(report.provider, 'cpu');
  assert.equal(report.gpu, false);
  assert.equal(report.fallback, true);
  assert.deepEqual(report.tried.map((t) => [t.provider, t.ok, !!t.skipped]), [['cuda', false, true], ['webgpu', false, false], ['cpu', true, false]]);
  assert.match(report.tried[0]!.reason, /libonnxruntime_providers_cuda\.so/);
  assert.equal(report.tried[1]!.reason.startsWith('Failed to get a WebGPU adapter: No supported adapters'), true);
  assert.match(report.reason, /^no GPU provider works: cuda: .*; webgpu: Failed to get a WebGPU adapter/);
  assert.match(describeDevice(report), /^CPU: no GPU provider works/);
});

test('auto without the Vulkan loader: WebGPU is skipped before any session starts (no Dawn warnings), with the package to install', async () => {
  const opener = new FakeOpener({ webgpu: { fail: ADAPTER_ERROR }, cpu: {} });
  const { session, report } = await chooseProvider('auto', opener, linuxHost({ vulkanLoader: false }));
  assert.equal(session, 'session:cpu');
  assert.deepEqual(opener.opened, ['cpu']);
  assert.deepEqual(report.tried.map((t) => [t.provider, t.ok, !!t.skipped]), [['cuda', false, true], ['webgpu', false, true], ['cpu', true, false]]);
  assert.match(report.tried[1]!.reason, /libvulkan\.so\.1 is not installed \(Debian\/Ubuntu package libvulkan1\)/);
  assert.match(report.reason, /webgpu: the Vulkan loader libvulkan\.so\.1 is not installed/);
});

test('cpu never tries a GPU provider', async () => {
  const opener = new FakeOpener({ cpu: {} });
  const { report } = await chooseProvider('cpu', opener, linuxHost());
  assert.deepEqual(opener.opened, ['cpu']);
  assert.deepEqual(report.tried.map((t) => t.provider), ['cpu']);
  assert.equal(report.fallback, false);
  assert.equal(report.reason, 'treasure.device is "cpu"');
});

test('gpu fails loudly when no GPU provider works, and never starts the CPU', async () => {
  const opener = new FakeOpener({ webgpu: { fail: ADAPTER_ERROR } });
  await assert.rejects(chooseProvider('gpu', opener, linuxHost()), (e: unknown) => {
    assert.ok(e instanceof DeviceError);
    assert.match(e.message, /treasure\.device is "gpu" but no GPU provider works here: cuda: .*; webgpu: Failed to get a WebGPU adapter/);
    assert.equal(e.report.provider, 'none');
    assert.deepEqual(e.report.tried.map((t) => t.provider), ['cuda', 'webgpu']);
    return true;
  });
  assert.deepEqual(opener.opened, ['webgpu']);
  const arm = new FakeOpener({});
  await assert.rejects(chooseProvider('gpu', arm, linuxHost({ arch: 'arm64' })), /no GPU provider for linux\/arm64/);
  assert.deepEqual(arm.opened, []);
});

test('a GPU provider that works, on a real GPU, with the heavy ops on it, is chosen', async () => {
  const opener = new FakeOpener({ webgpu: { profile: profile('WebGpuExecutionProvider') }, cpu: {} });
  const { session, report } = await chooseProvider('auto', opener, linuxHost({ nvidiaDriver: 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024' }));
  assert.equal(session, 'session:webgpu');
  assert.deepEqual(opener.opened, ['webgpu']);
  assert.equal(report.gpu, true);
  assert.equal(report.provider, 'webgpu');
  assert.equal(report.fallback, false);
  assert.equal(report.adapter, 'NVIDIA (Vulkan, driver 550.54.15)');
  assert.match(report.placement!, /^MatMulNBits 3\/3 on WebGpuExecutionProvider; 1 nodes on CPUExecutionProvider/);
  assert.match(report.reason, /^WebGPU is the first GPU provider that works \(cuda: its provider libraries/);
});

test('WebGPU on a software Vulkan driver (lavapipe) is not reported as a GPU: auto falls back, gpu fails', async () => {
  const lavapipe = linuxHost({ vulkanDrivers: [{ file: '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', library: '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so', software: true }], gpuDeviceNodes: [] });
  const opener = new FakeOpener({ webgpu: { profile: profile('WebGpuExecutionProvider') }, cpu: {} });
  const { report } = await chooseProvider('auto', opener, lavapipe);
  assert.equal(report.provider, 'cpu');
  assert.equal(report.gpu, false);
  assert.match(report.tried[1]!.reason, /software renderers \(\/usr\/lib\/x86_64-linux-gnu\/libvulkan_lvp\.so\): not a GPU/);
  assert.deepEqual(opener.closed, ['session:webgpu']);
  // a hardware driver manifest but no GPU device node: still no GPU
  const noNode = new FakeOpener({ webgpu: { profile: profile('WebGpuExecutionProvider') } });
  await assert.rejects(chooseProvider('gpu', noNode, linuxHost({ gpuDeviceNodes: [] })), /no GPU device node/);
});

test('heavy ops placed on the CPU: the GPU provider is refused', async () => {
  const opener = new FakeOpener({ webgpu: { profile: profile('CPUExecutionProvider') }, cpu: {} });
  const { report } = await chooseProvider('auto', opener, linuxHost());
  assert.equal(report.provider, 'cpu');
  assert.match(report.tried[1]!.reason, /^heavy ops would run on the CPU: MatMulNBits 0\/3 on WebGpuExecutionProvider/);
  assert.deepEqual(opener.closed, ['session:webgpu']);
});

test('a profile that cannot be taken leaves the GPU provider in use, marked unverified', async () => {
  const opener = new FakeOpener({ webgpu: { profile: new Error('onnxruntime wrote no profile') } });
  const { report } = await chooseProvider('gpu', opener, linuxHost());
  assert.equal(report.provider, 'webgpu');
  assert.equal(report.placement, 'placement not verified: onnxruntime wrote no profile');
});

// ---- CUDA: onnxruntime-node's separately installed provider libraries --------------------------

/** A Linux host whose onnxruntime-node bin folder holds a CUDA provider that fits, CUDA libraries found. */
function cudaHost(cuda: Partial<CudaFacts> = {}, over: Partial<HostInfo> = {}): HostInfo {
  return linuxHost({
    cuda: { provider: true, shared: true, ortVersion: '1.29.0', versionMatch: true, needs: ['libcublasLt.so.13', 'libcublas.so.13', 'libcurand.so.10', 'libcudart.so.13', 'libcuda.so.1', 'libcudnn.so.9'], missing: [], ...cuda },
    ...over,
  });
}

test('CUDA preflight: each missing piece is named, and a provider library of another onnxruntime version is never loaded', () => {
  assert.equal(preflight('cuda', cudaHost()), undefined);
  assert.match(preflight('cuda', cudaHost({ provider: false }))!, /its provider libraries are not installed \(libonnxruntime_providers_cuda\.so is not in onnxruntime-node's bin folder.*docs\/GPU\.md\)/);
  assert.match(preflight('cuda', cudaHost({ shared: false }))!, /^libonnxruntime_providers_shared\.so is missing beside libonnxruntime_providers_cuda\.so/);
  assert.match(preflight('cuda', cudaHost({ versionMatch: false, ortVersion: '1.30.0' }))!, /libonnxruntime_providers_cuda\.so is not onnxruntime 1\.30\.0's .*can crash the process, so it is not loaded/);
  // the version is checked before anything else is said about the libraries
  assert.match(preflight('cuda', cudaHost({ versionMatch: false, missing: ['libcudnn.so.9'] }))!, /not onnxruntime/);
  assert.equal(preflight('cuda', cudaHost({ versionMatch: undefined })), undefined, 'a version that could not be read does not block');
  assert.match(preflight('cuda', cudaHost({}, { gpuDeviceNodes: ['/dev/dri/renderD128'] }))!, /^no NVIDIA GPU device node/);
  assert.equal(preflight('cuda', cudaHost({}, { gpuDeviceNodes: ['/dev/dxg'] })), undefined, 'WSL');
  assert.equal(
    preflight('cuda', cudaHost({ missing: ['libcublasLt.so.13', 'libcudnn.so.9'] })),
    "CUDA libraries not found: libcublasLt.so.13, libcudnn.so.9 (its provider needs the CUDA 13 runtime and cuDNN 9, e.g. the lib folders of PyTorch's nvidia-* packages, site-packages/nvidia/*/lib, on LD_LIBRARY_PATH)",
  );
  // hosts without CUDA facts (hand-made, other platforms): only the provider library's presence is checked
  assert.match(preflight('cuda', linuxHost())!, /its provider libraries are not installed/);
});

test('auto with a CUDA provider that fits: CUDA is tried first and chosen when the heavy ops run on it', async () => {
  const opener = new FakeOpener({ cuda: { profile: profile('CUDAExecutionProvider') }, webgpu: { profile: profile('WebGpuExecutionProvider') }, cpu: {} });
  const { session, report } = await chooseProvider('auto', opener, cudaHost());
  assert.equal(session, 'session:cuda');
  assert.deepEqual(opener.opened, ['cuda']);
  assert.equal(report.provider, 'cuda');
  assert.equal(report.gpu, true);
  assert.equal(report.reason, 'CUDA is the first GPU provider that works');
  assert.match(report.placement!, /^MatMulNBits 3\/3 on CUDAExecutionProvider/);
  assert.equal(describeDevice(report), 'GPU (CUDA) (CUDA is the first GPU provider that works)');
});

test('a CUDA provider that fails to start (a library onnxruntime could not load, no device): WebGPU next, with a short reason', async () => {
  const loadError = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';
  const deviceError = "/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:154 std::conditional_t<THRW, void, onnxruntime::common::Status> onnxruntime::CudaCall(...) CUDA failure 100: no CUDA-capable device is detected ; GPU=-1 ; hostname=vm ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_execution_provider.cc ; line=345 ; expr=cudaSetDevice(info_.device_id); ";
  assert.equal(shortError(loadError, 'cuda'), "Failed to load shared library (onnxruntime's error log above names the library that did not load)");
  assert.equal(shortError(deviceError, 'cuda'), 'CUDA failure 100: no CUDA-capable device is detected');
  const opener = new FakeOpener({ cuda: { fail: deviceError }, webgpu: { profile: profile('WebGpuExecutionProvider') }, cpu: {} });
  const { report } = await chooseProvider('auto', opener, cudaHost());
  assert.equal(report.provider, 'webgpu');
  assert.deepEqual(opener.opened, ['cuda', 'webgpu']);
  assert.match(report.reason, /^WebGPU is the first GPU provider that works \(cuda: CUDA failure 100: no CUDA-capable device is detected\)$/);
});

test('treasure doctor: the CUDA provider line', () => {
  assert.equal(cudaLine({ provider: false, shared: false }), 'libonnxruntime_providers_cuda.so not installed (docs/GPU.md)');
  assert.equal(
    cudaLine({ provider: true, shared: true, ortVersion: '1.29.0', versionMatch: true, needs: ['libcudart.so.13', 'libcudnn.so.9'], missing: ['libcudnn.so.9'] }),
    "libonnxruntime_providers_cuda.so (onnxruntime 1.29.0's); needs libcudart.so.13 libcudnn.so.9; not found: libcudnn.so.9",
  );
  assert.equal(cudaLine({ provider: true, shared: false, ortVersion: '1.30.0', versionMatch: false, needs: [], missing: [] }), "libonnxruntime_providers_cuda.so (not onnxruntime 1.30.0's: not loaded); libonnxruntime_providers_shared.so missing; all found");
});

test('probeCuda reads the provider library without loading it: its version string and the CUDA libraries it needs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-cuda-probe-'));
  assert.deepEqual(probeCuda(dir, '1.30.0'), { provider: false, shared: false, ortVersion: '1.30.0' });
  assert.deepEqual(probeCuda(undefined, '1.30.0'), { provider: false, shared: false, ortVersion: '1.30.0' });
  if (process.platform !== 'linux') return;
  // stand-in for a provider library: onnxruntime-node's own core (an ELF file with onnxruntime's version
  // in .rodata and no CUDA library among its DT_NEEDED entries)
  const req = createRequire(join(repoRoot(), 'package.json'));
  const ort = req('onnxruntime-node') as { env: { versions: { node: string } } };
  const core = join(dirname(req.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', 'linux', process.arch, 'libonnxruntime.so.1');
  symlinkSync(core, join(dir, 'libonnxruntime_providers_cuda.so'));
  const libs = mkdtempSync(join(tmpdir(), 'treasure-cuda-libs-'));
  writeFileSync(join(libs, 'libcudnn.so.9'), '');
  const facts = probeCuda(dir, ort.env.versions.node, { LD_LIBRARY_PATH: libs });
  assert.deepEqual(facts, { provider: true, shared: false, ortVersion: ort.env.versions.node, versionMatch: true, needs: ['libcudnn.so.9'], missing: [] });
  assert.equal(probeCuda(dir, '0.0.1').versionMatch, false);
  assert.ok(linuxLibraryFound('libcudnn.so.9', { LD_LIBRARY_PATH: libs }));
  assert.equal(linuxLibraryFound('libtreasure-no-such-library.so.7', { LD_LIBRARY_PATH: libs }), false);
  // elf.ts on this very node binary (a dynamically linked program) and on files that are no ELF
  assert.ok(elfNeeded(process.execPath)!.includes('libc.so.6'));
  assert.equal(elfNeeded(join(libs, 'libcudnn.so.9')), undefined);
  assert.equal(elfNeeded(join(libs, 'none.so')), undefined);
  assert.equal(elfSectionIncludes(core, '.rodata', Buffer.from(`\0${ort.env.versions.node}\0`, 'latin1')), true);
  assert.equal(elfSectionIncludes(core, '.no-such-section', Buffer.from('x')), false);
});

test('providers missing from the build are skipped with the reason; Windows tries DirectML first', async () => {
  const win: HostInfo = { platform: 'win32', arch: 'x64', backends: [{ name: 'cpu', bundled: true }, { name: 'webgpu', bundled: true }] };
  const opener = new FakeOpener({ webgpu: { fail: 'Failed to get a WebGPU adapter: No supported adapters' }, cpu: {} });
  const { report } = await chooseProvider('auto', opener, win);
  assert.deepEqual(report.tried.map((t) => [t.provider, t.skipped ?? false]), [['dml', true], ['webgpu', false], ['cpu', false]]);
  assert.equal(report.tried[0]!.reason, 'not in this onnxruntime-node build for win32/x64');
  const winDml = new FakeOpener({ dml: { profile: profile('DmlExecutionProvider') } });
  const chosen = await chooseProvider('auto', winDml, { ...win, backends: [...win.backends, { name: 'dml', bundled: true }] });
  assert.equal(chosen.report.provider, 'dml');
  assert.equal(chosen.report.adapter, undefined);
});

test('Vulkan driver manifests: VK_DRIVER_FILES replaces the search; lavapipe is software', () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-icd-'));
  mkdirSync(join(dir, 'icd.d'));
  writeFileSync(join(dir, 'icd.d', 'lvp_icd.x86_64.json'), JSON.stringify({ ICD: { library_path: '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so' } }));
  writeFileSync(join(dir, 'nvidia_icd.json'), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: 'libGLX_nvidia.so.0', api_version: '1.3.277' } }));
  writeFileSync(join(dir, 'icd.d', 'broken.json'), '{');
  const drivers = vulkanDrivers({ VK_DRIVER_FILES: `${join(dir, 'icd.d')}:${join(dir, 'nvidia_icd.json')}` });
  assert.deepEqual(drivers.map((d) => [d.library, d.software]), [['/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so', true], ['libGLX_nvidia.so.0', false]]);
});

test('placement from the verbose log and from a profile', () => {
  const log = [
    '2026-01-01 00:00:00.1 [V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] Node placements',
    '2026-01-01 00:00:00.1 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 3',
    '2026-01-01 00:00:00.1 [V:onnxruntime:, session_state.cc:1384 VerifyEachNodeIsAssignedToAnEp]   MatMulNBits (/q_proj/MatMul_Q4)',
    '2026-01-01 00:00:00.1 [V:onnxruntime:, session_state.cc:1384 VerifyEachNodeIsAssignedToAnEp]   MatMulNBits (/lm_head/MatMul_Q4)',
    '2026-01-01 00:00:00.1 [V:onnxruntime:, session_state.cc:1384 VerifyEachNodeIsAssignedToAnEp]   Softmax (/Softmax)',
    '2026-01-01 00:00:00.1 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2',
    '2026-01-01 00:00:00.1 [V:onnxruntime:, session_state.cc:1384 VerifyEachNodeIsAssignedToAnEp]   Shape (/Shape)',
    '2026-01-01 00:00:00.1 [V:onnxruntime:, session_state.cc:1384 VerifyEachNodeIsAssignedToAnEp]   MatMul (/rope/MatMul)',
    '2026-01-01 00:00:00.1 [V:onnxruntime:, session_state.cc:186 CreateGraphInfo] SaveMLValueNameIndexMapping',
  ].join('\n');
  const p = placementFromLog(log);
  assert.deepEqual(p.nodes, { WebGpuExecutionProvider: 3, CPUExecutionProvider: 2 });
  assert.deepEqual(p.byOp.MatMulNBits, { WebGpuExecutionProvider: 2 });
  const v = judgePlacement(p, 'webgpu');
  assert.equal(v.ok, false);
  assert.equal(v.heavyTotal, 3);
  assert.equal(v.heavyOnProvider, 2);
  assert.match(v.summary, /^MatMul 0\/1, MatMulNBits 2\/2 on WebGpuExecutionProvider; 2 nodes on CPUExecutionProvider/);
  const all = placementFromLog('x [V:onnxruntime:, a] Node placements\ny [V:onnxruntime:, a]  All nodes placed on [CPUExecutionProvider]. Number of nodes: 166\n');
  assert.equal(all.all, 'CPUExecutionProvider');
  assert.equal(judgePlacement(all, 'cpu').ok, true);
  assert.equal(judgePlacement(all, 'webgpu').ok, false);
  assert.equal(judgePlacement(placementFromProfile(profile('WebGpuExecutionProvider')), 'webgpu').ok, true);
  assert.deepEqual(placementFromProfile({ not: 'a profile' }), { byOp: {}, nodes: {}, kernelUs: {} });
});

// ---- the real onnxruntime-node on this machine ---------------------------------------------------

/** Protocol-buffer writer for a tiny ONNX model with the contract's I/O (docs/CONTRACTS.md). */
function onnxModel(vocab: number): Uint8Array {
  const varint = (n: number) => { const b: number[] = []; do { let x = n & 0x7f; n = Math.floor(n / 128); if (n) x |= 0x80; b.push(x); } while (n); return b; };
  const key = (f: number, w: number) => varint(f * 8 + w);
  const bytes = (f: number, v: number[] | string) => { const d = typeof v === 'string' ? [...Buffer.from(v)] : v; return [...key(f, 2), ...varint(d.length), ...d]; };
  const int = (f: number, v: number) => [...key(f, 0), ...varint(v)];
  const dim = (d: number | string) => bytes(1, typeof d === 'number' ? int(1, d) : bytes(2, d));
  const value = (name: string, elem: number, dims: (number | string)[]) => bytes(1, name).concat(bytes(2, bytes(1, [...int(1, elem), ...bytes(2, dims.flatMap(dim))])));
  const attr = (name: string, v: number | number[]) => typeof v === 'number' ? [...bytes(1, name), ...int(3, v), ...int(20, 2)] : [...bytes(1, name), ...v.flatMap((x) => int(8, x)), ...int(20, 7)];
  const node = (op: string, ins: string[], outs: string[], attrs: number[][] = []) => [...ins.flatMap((i) => bytes(1, i)), ...outs.flatMap((o) => bytes(2, o)), ...bytes(3, outs[0]!), ...bytes(4, op), ...attrs.flatMap((a) => bytes(5, a))];
  const i64 = (name: string, v: number[]) => [...int(1, v.length), ...int(2, 7), ...bytes(8, name), ...bytes(9, [...Buffer.from(new BigInt64Array(v.map(BigInt)).buffer)])];
  const f32 = (name: string, dims: number[], v: number[]) => [...dims.flatMap((d) => int(1, d)), ...int(2, 1), ...bytes(8, name), ...bytes(9, [...Buffer.from(new Float32Array(v).buffer)])];
  const graph = [
    ...bytes(1, node('Cast', ['input_ids'], ['ids_f'], [attr('to', 1)])),
    ...bytes(1, node('Reshape', ['ids_f', 'kv_shape'], ['kv_new'])),
    ...bytes(1, node('Concat', ['past_key_values.0.key', 'kv_new'], ['present.0.key'], [attr('axis', 2)])),
    ...bytes(1, node('Concat', ['past_key_values.0.value', 'kv_new'], ['present.0.value'], [attr('axis', 2)])),
    ...bytes(1, node('ReduceMax', ['ids_f'], ['last'], [attr('axes', [1]), attr('keepdims', 1)])),
    ...bytes(1, node('MatMul', ['last', 'w'], ['logits'])),
    ...bytes(2, 'tiny'),
    ...bytes(5, i64('kv_shape', [1, 1, -1, 1])),
    ...bytes(5, f32('w', [1, vocab], Array.from({ length: vocab }, (_, i) => i))),
    ...bytes(11, value('input_ids', 7, [1, 'T'])),
    ...bytes(11, value('position_ids', 7, [1, 'T'])),
    ...bytes(11, value('past_key_values.0.key', 1, [1, 1, 'P', 1])),
    ...bytes(11, value('past_key_values.0.value', 1, [1, 1, 'P', 1])),
    ...bytes(12, value('logits', 1, [1, vocab])),
    ...bytes(12, value('present.0.key', 1, [1, 1, 'PT', 1])),
    ...bytes(12, value('present.0.value', 1, [1, 1, 'PT', 1])),
  ];
  return new Uint8Array([...int(1, 8), ...bytes(8, [...bytes(1, ''), ...int(2, 17)]), ...bytes(7, graph)]);
}

function tinyModelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-tiny-onnx-'));
  writeFileSync(join(dir, 'model.onnx'), onnxModel(8));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ n_layer: 1, n_head: 1, n_kv_head: 1, head_dim: 1, d_model: 1, vocab_size: 8, context_length: 64, eos_token: '<|end|>', dtype: 'float32' }));
  return dir;
}

test('real onnxruntime-node: cpu runs the model; auto says why it is (or is not) on a GPU; gpu never falls back', async () => {
  const dir = tinyModelDir();
  const cpu = await OrtModel.load(dir, 'cpu');
  assert.equal(cpu.device, 'cpu');
  assert.deepEqual(cpu.deviceReport.tried.map((t) => t.provider), ['cpu']);
  const s = cpu.start();
  const logits = await s.feed([3, 5]);
  assert.deepEqual([...logits], [0, 5, 10, 15, 20, 25, 30, 35]); // max id (5) times w
  assert.deepEqual([...(await s.feed([2]))], [0, 2, 4, 6, 8, 10, 12, 14]);
  assert.equal(s.length, 3);
  await cpu.release();

  const auto = await OrtModel.load(dir, 'auto');
  const r = auto.deviceReport;
  assert.deepEqual(r.tried.map((t) => t.provider).slice(-1), [r.provider]);
  if (r.gpu) {
    // a machine with a GPU: it was verified (an adapter that is no software renderer, the MatMul on it)
    assert.ok(r.placement && /MatMul 1\/1/.test(r.placement), r.placement);
  } else {
    // this repository's CI and dev machine: no Vulkan GPU. WebGPU throws at session creation
    // ("Failed to get a WebGPU adapter: No supported adapters"); auto falls back and says so.
    assert.equal(r.provider, 'cpu');
    assert.equal(r.fallback, process.platform === 'linux' || process.platform === 'win32' || process.platform === 'darwin');
    if (process.platform === 'linux' && process.arch === 'x64') {
      const web = r.tried.find((t) => t.provider === 'webgpu')!;
      assert.equal(web.ok, false);
      assert.match(web.reason, /WebGPU adapter|software renderers|no GPU device node|heavy ops|libvulkan\.so\.1 is not installed/);
      assert.match(r.reason, /^no GPU provider works: .*webgpu: /);
    }
  }
  await auto.release();

  if (!r.gpu) {
    await assert.rejects(OrtModel.load(dir, 'gpu'), (e: unknown) => {
      assert.ok(e instanceof ModelError);
      assert.match(e.message, /treasure\.device is "gpu" but (no GPU provider works here|onnxruntime-node has no GPU provider)/);
      assert.doesNotMatch(e.message, /cpu: /);
      return true;
    });
  }
});
