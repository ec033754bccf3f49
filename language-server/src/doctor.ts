// `treasure doctor [--device auto|cpu|gpu] [--model DIR] [--json]`: the execution providers this
// machine offers, the ones tried for the model, the one chosen and why (language-server/src/device.ts).
// Exit status: 0 the model starts on some provider, 2 it does not ('gpu' with no working GPU provider,
// no model, no onnxruntime-node).
import { resolve } from 'node:path';
import type { CudaFacts, HostInfo } from './device';
import { CUDA_PROVIDER, PROVIDER_LABELS } from './device';
import { defaultModelDir } from './engine';
import type { Device, DeviceStatus } from './protocol';
import { hostInfo, ModelError, OrtModel } from './runtime';

export interface DoctorReport {
  platform: string;
  node: string;
  onnxruntime: string | null;
  host: HostInfo | null;
  modelDir: string;
  device: DeviceStatus | null;
  error: string | null;
}

export async function doctorReport(opts: { modelDir?: string; device?: Device }): Promise<DoctorReport> {
  const modelDir = resolve(opts.modelDir || defaultModelDir());
  const report: DoctorReport = { platform: `${process.platform}/${process.arch}`, node: process.version, onnxruntime: null, host: null, modelDir, device: null, error: null };
  try {
    report.host = hostInfo();
    const ort = require('onnxruntime-node') as { env?: { versions?: Record<string, string> } };
    report.onnxruntime = ort.env?.versions?.node ?? ort.env?.versions?.common ?? null;
  } catch (e) {
    report.error = (e as Error).message;
    return report;
  }
  try {
    const model = await OrtModel.load(modelDir, opts.device ?? 'auto');
    report.device = model.deviceReport;
    await model.release();
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    report.error = e.message;
    const dev = (e as ModelError & { report?: DeviceStatus }).report;
    if (dev) report.device = dev;
  }
  return report;
}

export function formatDoctor(r: DoctorReport, requested: Device): string {
  const out: string[] = [];
  const row = (k: string, v: string) => out.push(`${k.padEnd(16)}${v}`);
  row('platform', `${r.platform}, node ${r.node}, onnxruntime-node ${r.onnxruntime ?? '(not loaded)'}`);
  const h = r.host;
  if (h) {
    const bundled = h.backends.filter((b) => b.bundled).map((b) => b.name);
    const extra = h.backends.filter((b) => !b.bundled).map((b) => b.name);
    row('providers', `${bundled.join(', ') || 'none'} built in${extra.length ? `; ${extra.join(', ')} need separately installed libraries` : ''}`);
    if (h.platform === 'linux') {
      const drivers = (h.vulkanDrivers ?? []).map((d) => `${d.file} -> ${d.library}${d.software ? ' (software)' : ''}`);
      row('vulkan loader', h.vulkanLoader ? 'libvulkan.so.1 found' : 'libvulkan.so.1 not found (Debian/Ubuntu: apt install libvulkan1)');
      row('vulkan drivers', drivers.length ? drivers[0]! : 'none found (VK_DRIVER_FILES names a driver manifest)');
      for (const d of drivers.slice(1)) row('', d);
      row('gpu devices', `${(h.gpuDeviceNodes ?? []).join(' ') || 'none'}${h.nvidiaDriver ? `; ${h.nvidiaDriver}` : ''}`);
      if (h.cuda) row('cuda provider', cudaLine(h.cuda));
    }
  }
  row('model', r.modelDir);
  row('device setting', requested);
  const d = r.device;
  if (d) {
    d.tried.forEach((t, i) => {
      const state = t.ok ? 'ok' : t.skipped ? 'skipped' : 'failed';
      row(i === 0 ? 'tried' : '', `${t.provider.padEnd(8)} ${state.padEnd(8)} ${t.ms !== undefined ? `${t.ms} ms`.padEnd(9) : ''.padEnd(9)} ${t.reason}`);
    });
    if (d.provider !== 'none') {
      row('chosen', `${d.provider} — ${d.gpu ? `GPU (${PROVIDER_LABELS[d.provider] ?? d.provider}${d.adapter ? `, ${d.adapter}` : ''})` : 'CPU'}${d.fallback ? ' (fallback)' : ''}`);
      row('why', d.reason);
      if (d.placement) row('placement', d.placement);
    }
  }
  if (r.error) row('error', r.error);
  return out.join('\n');
}

/** onnxruntime-node's CUDA provider libraries, in one line (device.ts probeCuda). */
export function cudaLine(c: CudaFacts): string {
  if (!c.provider) return `${CUDA_PROVIDER} not installed (docs/GPU.md)`;
  const version = c.versionMatch === true ? `onnxruntime ${c.ortVersion}'s` : c.versionMatch === false ? `not onnxruntime ${c.ortVersion}'s: not loaded` : 'version not checked';
  const parts = [`${CUDA_PROVIDER} (${version})`];
  if (!c.shared) parts.push('libonnxruntime_providers_shared.so missing');
  if (c.needs?.length) parts.push(`needs ${c.needs.join(' ')}`);
  if (c.missing) parts.push(c.missing.length ? `not found: ${c.missing.join(' ')}` : 'all found');
  return parts.join('; ');
}

/** The CLI command; returns the exit status. */
export async function doctor(opts: { modelDir?: string; device?: Device; json: boolean }): Promise<number> {
  const r = await doctorReport(opts);
  process.stdout.write((opts.json ? JSON.stringify(r) : formatDoctor(r, opts.device ?? 'auto')) + '\n');
  return r.error ? 2 : 0;
}
