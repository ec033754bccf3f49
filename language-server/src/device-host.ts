// The host as the device choice sees it: onnxruntime-node's providers, Vulkan drivers (a software one is
// no GPU), CUDA's provider libraries and whether they fit this binding; the checks before a provider is
// tried (preflight, checkAdapter) and a provider error in short words. Pure functions over injected facts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { elfNeeded, elfSectionIncludes } from './elf';


export interface VulkanDriver {
  /** the ICD manifest (json) */
  file: string;
  library: string;
  /** a CPU implementation (lavapipe/llvmpipe, SwiftShader): not a GPU */
  software: boolean;
}

export interface HostInfo {
  platform: string;
  arch: string;
  /** onnxruntime-node's listSupportedBackends() */
  backends: { name: string; bundled: boolean }[];
  /** bin/napi-v6/<platform>/<arch> of onnxruntime-node (provider libraries live there) */
  bindingDir?: string;
  /** linux: is libvulkan.so.1 findable */
  vulkanLoader?: boolean;
  vulkanDrivers?: VulkanDriver[];
  /** linux: GPU device nodes (/dev/nvidia0, /dev/dri/renderD128, /dev/dxg) */
  gpuDeviceNodes?: string[];
  /** linux: /proc/driver/nvidia/version's first line */
  nvidiaDriver?: string;
  /** linux/x64: onnxruntime-node's CUDA provider libraries and what they need (probeCuda) */
  cuda?: CudaFacts;
}

/**
 * onnxruntime-node's CUDA provider, as found in its bin folder. onnxruntime loads
 * libonnxruntime_providers_cuda.so (through libonnxruntime_providers_shared.so) from the folder of
 * its own libonnxruntime.so.1; the provider calls back into that core through a C++ interface that
 * changes between onnxruntime releases, with no version check: a provider library of another
 * version can crash the process. Its CUDA libraries are found by the dynamic loader
 * (LD_LIBRARY_PATH, ld.so.cache); cuDNN it opens itself (libcudnn.so.9) when the provider starts.
 */
export interface CudaFacts {
  /** libonnxruntime_providers_cuda.so is in the bin folder */
  provider: boolean;
  /** libonnxruntime_providers_shared.so is beside it */
  shared: boolean;
  /** onnxruntime-node's version (env.versions.node) */
  ortVersion?: string;
  /** the provider library carries that version string (false: another onnxruntime's; undefined: not checked) */
  versionMatch?: boolean;
  /** the CUDA/cuDNN libraries it needs: its DT_NEEDED entries of CUDA, and cuDNN */
  needs?: string[];
  /** the ones the dynamic loader would not find */
  missing?: string[];
}

const SOFTWARE_ICD = /lvp|lavapipe|llvmpipe|swiftshader|softpipe/i;

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The Vulkan ICD manifests the loader would read (VK_DRIVER_FILES/VK_ICD_FILENAMES replace the search). */
export function vulkanDrivers(env: NodeJS.ProcessEnv = process.env): VulkanDriver[] {
  const files: string[] = [];
  const addPath = (p: string) => {
    if (p.endsWith('.json')) files.push(p);
    else for (const f of listDir(p).sort()) if (f.endsWith('.json')) files.push(join(p, f));
  };
  const override = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  if (override) override.split(':').filter(Boolean).forEach(addPath);
  else {
    const home = env.HOME || homedir();
    const config = [env.XDG_CONFIG_HOME || join(home, '.config'), ...(env.XDG_CONFIG_DIRS || '/etc/xdg').split(':'), '/etc'];
    const data = [env.XDG_DATA_HOME || join(home, '.local/share'), ...(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':')];
    for (const d of [...config, ...data]) if (d) addPath(join(d, 'vulkan/icd.d'));
  }
  if (env.VK_ADD_DRIVER_FILES) env.VK_ADD_DRIVER_FILES.split(':').filter(Boolean).forEach(addPath);
  const out: VulkanDriver[] = [];
  for (const file of [...new Set(files)]) {
    let library = '';
    try {
      library = String((JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path ?? '');
    } catch {
      continue;
    }
    out.push({ file, library, software: SOFTWARE_ICD.test(library) || SOFTWARE_ICD.test(file) });
  }
  return out;
}

let ldCache: Buffer | null | undefined;

/** Would the dynamic loader find a library by this name (LD_LIBRARY_PATH, the usual folders, ld.so.cache)? */
export function linuxLibraryFound(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/usr/lib', '/usr/local/lib'];
  if (dirs.some((d) => existsSync(join(d, name)))) return true;
  if (ldCache === undefined) {
    try {
      ldCache = readFileSync('/etc/ld.so.cache');
    } catch {
      ldCache = null;
    }
  }
  return ldCache !== null && ldCache.includes(`${name}\0`);
}

export const CUDA_PROVIDER = 'libonnxruntime_providers_cuda.so';
const SHARED_PROVIDER = 'libonnxruntime_providers_shared.so';
/** cuDNN, which onnxruntime's CUDA provider (1.19 and later) opens itself instead of naming it as needed */
const CUDNN = 'libcudnn.so.9';

/** provider file, size, mtime, onnxruntime version -> does the provider carry that version (a 26 MB read) */
const versionChecks = new Map<string, boolean | undefined>();

/**
 * onnxruntime-node's CUDA provider libraries in its bin folder: present, of its own version, and with
 * the CUDA libraries they need findable. Cheap unless the provider library is there: then its ELF
 * headers are read, and its .rodata (~26 MB) once per file and version.
 */
export function probeCuda(bindingDir: string | undefined, ortVersion: string | undefined, env: NodeJS.ProcessEnv = process.env): CudaFacts {
  const file = bindingDir ? join(bindingDir, CUDA_PROVIDER) : undefined;
  const facts: CudaFacts = { provider: !!file && existsSync(file), shared: !!bindingDir && existsSync(join(bindingDir, SHARED_PROVIDER)), ortVersion };
  if (!facts.provider || !file) return facts;
  if (ortVersion) {
    const check = () => elfSectionIncludes(file, '.rodata', Buffer.from(`\0${ortVersion}\0`, 'latin1'));
    let key: string | undefined;
    try {
      const st = statSync(file);
      key = `${file}\0${st.size}\0${st.mtimeMs}\0${ortVersion}`;
    } catch {
      /* not cached: a file that cannot be stat'ed has no identity to cache under */
    }
    if (key === undefined) facts.versionMatch = check();
    else {
      if (!versionChecks.has(key)) versionChecks.set(key, check());
      facts.versionMatch = versionChecks.get(key);
    }
  }
  const needed = elfNeeded(file);
  if (needed) {
    const cuda = needed.filter((n) => /^lib(cuda|cudart|cublas|cublasLt|curand|cufft|cudnn|nvrtc|nvJitLink)\.so/.test(n));
    facts.needs = cuda.some((n) => n.startsWith('libcudnn')) ? cuda : [...cuda, CUDNN];
    facts.missing = facts.needs.filter((n) => !linuxLibraryFound(n, env));
  }
  return facts;
}

/** Facts about this machine (cheap: a few stat/readdir calls). */
export function probeHost(ort: { listSupportedBackends?: () => { name: string; bundled: boolean }[]; env?: { versions?: Record<string, string> } }, bindingDir?: string, env: NodeJS.ProcessEnv = process.env): HostInfo {
  const host: HostInfo = { platform: process.platform, arch: process.arch, backends: [], bindingDir };
  try {
    host.backends = ort.listSupportedBackends?.() ?? [];
  } catch {
    host.backends = [];
  }
  if (process.platform === 'linux') {
    host.vulkanLoader = linuxLibraryFound('libvulkan.so.1', env);
    host.vulkanDrivers = vulkanDrivers(env);
    host.gpuDeviceNodes = [
      ...listDir('/dev').filter((f) => /^nvidia\d+$/.test(f) || f === 'dxg').map((f) => `/dev/${f}`),
      ...listDir('/dev/dri').filter((f) => f.startsWith('renderD')).map((f) => `/dev/dri/${f}`),
    ];
    try {
      host.nvidiaDriver = readFileSync('/proc/driver/nvidia/version', 'utf8').split('\n')[0]!.trim();
    } catch {
      /* no NVIDIA kernel driver */
    }
    if (process.arch === 'x64' && host.backends.some((b) => b.name === 'cuda' && !b.bundled)) {
      host.cuda = probeCuda(bindingDir, ort.env?.versions?.node, env);
    }
  }
  return host;
}

/** Why a provider is not even tried here (undefined: try it). */
export function preflight(provider: string, host: HostInfo): string | undefined {
  if (provider === 'cpu') return undefined;
  const b = host.backends.find((x) => x.name === provider);
  if (!b) return `not in this onnxruntime-node build for ${host.platform}/${host.arch}`;
  if (provider === 'cuda' && !b.bundled) {
    const lib = host.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : CUDA_PROVIDER;
    const c = host.cuda ?? { provider: !!host.bindingDir && existsSync(join(host.bindingDir, lib)), shared: true };
    if (!c.provider) {
      return `its provider libraries are not installed (${lib} is not in onnxruntime-node's bin folder: onnxruntime-node's install script downloads them, which this repository's .npmrc turns off; docs/GPU.md)`;
    }
    if (!c.shared) return `${SHARED_PROVIDER} is missing beside ${lib} (onnxruntime loads the provider through it)`;
    if (c.versionMatch === false) {
      return `${lib} is not onnxruntime ${c.ortVersion}'s (the installed onnxruntime-node): a provider library of another onnxruntime version can crash the process, so it is not loaded`;
    }
    const nodes = host.gpuDeviceNodes;
    if (host.platform === 'linux' && nodes && !nodes.some((n) => /^\/dev\/(nvidia\d+|dxg)$/.test(n))) {
      return 'no NVIDIA GPU device node (/dev/nvidia0, or /dev/dxg under WSL): CUDA has no GPU here';
    }
    if (c.missing?.length) {
      const major = /^libcudart\.so\.(\d+)/.exec(c.needs?.find((n) => n.startsWith('libcudart')) ?? '')?.[1];
      const runtime = major ? `CUDA ${major}` : 'CUDA';
      return `CUDA libraries not found: ${c.missing.join(', ')} (its provider needs the ${runtime} runtime and cuDNN 9, e.g. the lib folders of PyTorch's nvidia-* packages, site-packages/nvidia/*/lib, on LD_LIBRARY_PATH)`;
    }
  }
  // Linux WebGPU runs on Vulkan: without the loader it cannot find an adapter, and trying anyway costs
  // a session start and prints Dawn's warnings on the user's terminal.
  if (provider === 'webgpu' && host.platform === 'linux' && host.vulkanLoader === false) {
    return 'the Vulkan loader libvulkan.so.1 is not installed (Debian/Ubuntu package libvulkan1)';
  }
  return undefined;
}

/**
 * A GPU provider that started may still not be on a GPU: Dawn (WebGPU) can take a CPU Vulkan
 * implementation such as lavapipe. Returns the reason to refuse it, or undefined plus a label.
 */
export function checkAdapter(provider: string, host: HostInfo): { refuse?: string; adapter?: string } {
  if (provider !== 'webgpu' || host.platform !== 'linux') return { adapter: undefined };
  const drivers = host.vulkanDrivers ?? [];
  const hardware = drivers.filter((d) => !d.software);
  const nodes = host.gpuDeviceNodes ?? [];
  if (hardware.length === 0) {
    const soft = drivers.map((d) => d.library).join(', ');
    return { refuse: `the only Vulkan drivers are software renderers (${soft || 'none found'}): not a GPU` };
  }
  if (nodes.length === 0) return { refuse: `no GPU device node (/dev/nvidia*, /dev/dri/renderD*, /dev/dxg): the Vulkan adapter can only be a software one` };
  const names = hardware.map((d) => (/nvidia/i.test(d.library + d.file) ? 'NVIDIA' : /radeon|amd/i.test(d.library + d.file) ? 'AMD' : /intel/i.test(d.library + d.file) ? 'Intel' : d.library));
  return { adapter: `${[...new Set(names)].join('/')} (Vulkan${host.nvidiaDriver && names.includes('NVIDIA') ? `, ${host.nvidiaDriver.replace(/^.*Kernel Module\s+/, 'driver ').replace(/\s{2,}.*$/, '')}` : ''})` };
}

/** The useful line of an onnxruntime error ("Failed to get a WebGPU adapter: No supported adapters"). */
export function shortError(message: string, provider: string, host?: HostInfo): string {
  const m = (provider === 'cuda' && /(CUDA failure \d+: [^;\n]*)/.exec(message)) || /(Failed to [^\n]*)/.exec(message);
  let s = (m ? m[1]! : message.replace(/^\/onnxruntime_src\/\S+\s+/, '')).trim();
  if (s.length > 300) s = s.slice(0, 297) + '...';
  if (provider === 'cuda' && /Failed to load shared library/.test(s)) {
    s += " (onnxruntime's error log above names the library that did not load)";
  }
  if (provider === 'webgpu' && host?.platform === 'linux' && /adapter/i.test(s)) {
    // (a missing Vulkan loader never gets here: preflight skips WebGPU before a session starts)
    if ((host.vulkanDrivers ?? []).every((d) => d.software)) s += ' (no GPU Vulkan driver found: the GPU vendor\'s Vulkan ICD, e.g. NVIDIA\'s nvidia_icd.json)';
  }
  return s;
}
