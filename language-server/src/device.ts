// Which onnxruntime execution provider runs the model (treasure.device: auto | cpu | gpu), and why.
// - the GPU providers onnxruntime-node can use on a platform, in the order they are tried;
// - each try's outcome with a short reason (not in this build, libraries missing, no adapter, a
//   software Vulkan driver that is no GPU, heavy ops placed on the CPU);
// - the placement check: the model's matrix ops must run on the chosen GPU provider (read from an
//   onnxruntime profile of one step, or from its verbose "Node placements" log).
// Pure functions over injected host facts, so that CI (no GPU) tests every branch. The host facts are in
// device-host.ts, the placement check in device-placement.ts; this file orders the providers and chooses.
import type { Device, DeviceStatus, ProviderTry } from './protocol';
import { checkAdapter, preflight, shortError, type HostInfo } from './device-host';
import { judgePlacement, placementFromProfile, type PlacementVerdict } from './device-placement';

export * from './device-host';
export * from './device-placement';

export type { DeviceStatus, ProviderTry };

/** A device choice that cannot be honoured ('gpu' with no working GPU provider). */
export class DeviceError extends Error {
  constructor(message: string, readonly report: DeviceStatus) {
    super(message);
  }
}

export const PROVIDER_LABELS: Record<string, string> = {
  cpu: 'CPU', cuda: 'CUDA', tensorrt: 'TensorRT', webgpu: 'WebGPU', dml: 'DirectML', coreml: 'CoreML',
};

/**
 * GPU providers to try on a platform, best first. onnxruntime-node 1.30's prebuilt binaries carry:
 * linux/x64 WebGPU (Vulkan) and CUDA only when its provider libraries were installed next to the
 * binding (and then only when they fit: probeCuda, preflight); win32 DirectML and WebGPU (D3D12);
 * darwin WebGPU (Metal) and CoreML. CoreML is last on macOS: it has no 4-bit MatMulNBits kernel, so
 * the placement check is what decides for it.
 */
export function gpuProviders(platform: string = process.platform, arch: string = process.arch): string[] {
  if (platform === 'linux') return arch === 'x64' ? ['cuda', 'webgpu'] : [];
  if (platform === 'win32') return ['dml', 'webgpu'];
  if (platform === 'darwin') return ['webgpu', 'coreml'];
  return [];
}

/** Providers tried for a device setting, in order: 'cpu' never tries a GPU; 'gpu' never the CPU. */
export function providerOrder(device: Device, platform: string = process.platform, arch: string = process.arch): string[] {
  if (device === 'cpu') return ['cpu'];
  const gpus = gpuProviders(platform, arch);
  return device === 'gpu' ? gpus : [...gpus, 'cpu'];
}

// ---- the choice ---------------------------------------------------------------------------------

/** How the runtime opens sessions: a real onnxruntime one, or a fake in tests. */
export interface SessionOpener<S> {
  /** Creates a session on one provider (profiling on: the placement check follows). */
  open(provider: string, opts: { profile: boolean }): Promise<S>;
  /** One short step, then the profile's node events (and profiling stops). */
  profile(session: S): Promise<unknown>;
  close(session: S): Promise<void>;
}

/**
 * Tries the providers for `device` in order and returns the first that works, with the report of
 * every try. A GPU provider works when its session starts, its adapter is a real GPU and the
 * model's heavy ops run on it. 'auto' ends on the CPU with the reasons; 'gpu' throws DeviceError.
 */
export async function chooseProvider<S>(device: Device, opener: SessionOpener<S>, host: HostInfo): Promise<{ session: S; report: DeviceStatus }> {
  const order = providerOrder(device, host.platform, host.arch);
  const tried: ProviderTry[] = [];
  for (const provider of order) {
    const skip = preflight(provider, host);
    if (skip) {
      tried.push({ provider, ok: false, skipped: true, reason: skip });
      continue;
    }
    const gpu = provider !== 'cpu';
    const t0 = performance.now();
    let session: S;
    try {
      session = await opener.open(provider, { profile: gpu });
    } catch (e) {
      tried.push({ provider, ok: false, ms: Math.round(performance.now() - t0), reason: shortError((e as Error).message ?? String(e), provider, host) });
      continue;
    }
    const ms = Math.round(performance.now() - t0);
    if (!gpu) {
      const gpuTries = tried.filter((t) => t.provider !== 'cpu');
      const reason = device === 'cpu'
        ? 'treasure.device is "cpu"'
        : gpuTries.length === 0
          ? `no GPU provider for ${host.platform}/${host.arch} in onnxruntime-node`
          : `no GPU provider works: ${gpuTries.map((t) => `${t.provider}: ${t.reason}`).join('; ')}`;
      tried.push({ provider, ok: true, ms, reason: 'started' });
      return { session, report: { requested: device, provider, gpu: false, fallback: device !== 'cpu', reason, tried } };
    }
    const adapter = checkAdapter(provider, host);
    if (adapter.refuse) {
      await opener.close(session).catch(() => undefined);
      tried.push({ provider, ok: false, ms, reason: adapter.refuse });
      continue;
    }
    let placement: PlacementVerdict | undefined;
    let unverified: string | undefined;
    try {
      placement = judgePlacement(placementFromProfile(await opener.profile(session)), provider);
    } catch (e) {
      unverified = `placement not verified: ${(e as Error).message}`;
    }
    if (placement && !placement.ok) {
      await opener.close(session).catch(() => undefined);
      tried.push({ provider, ok: false, ms, reason: `heavy ops would run on the CPU: ${placement.summary}` });
      continue;
    }
    tried.push({ provider, ok: true, ms, reason: placement ? 'started; heavy ops on the GPU' : unverified! });
    const reason = `${PROVIDER_LABELS[provider] ?? provider} is the first GPU provider that works${tried.length > 1 ? ` (${tried.filter((t) => !t.ok).map((t) => `${t.provider}: ${t.reason}`).join('; ')})` : ''}`;
    return {
      session,
      report: { requested: device, provider, gpu: true, fallback: false, adapter: adapter.adapter, reason, tried, placement: placement?.summary ?? unverified },
    };
  }
  const why = tried.map((t) => `${t.provider}: ${t.reason}`).join('; ');
  const report: DeviceStatus = { requested: device, provider: 'none', gpu: false, fallback: false, reason: why, tried };
  if (device === 'gpu') {
    throw new DeviceError(tried.length ? `treasure.device is "gpu" but no GPU provider works here: ${why}` : `treasure.device is "gpu" but onnxruntime-node has no GPU provider for ${host.platform}/${host.arch}`, report);
  }
  throw new DeviceError(`no execution provider works: ${why}`, report);
}

/** One line for logs and the status item. */
export function describeDevice(r: DeviceStatus): string {
  const name = r.gpu ? `GPU (${PROVIDER_LABELS[r.provider] ?? r.provider}${r.adapter ? `, ${r.adapter}` : ''})` : 'CPU';
  return r.fallback ? `${name}: ${r.reason}` : `${name} (${r.reason})`;
}
