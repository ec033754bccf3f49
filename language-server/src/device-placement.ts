// The placement check: the model's matrix ops must run on the chosen GPU provider, read from an
// onnxruntime profile of one step or from its verbose "Node placements" log.

/** onnxruntime's own names of the providers, as they appear in profiles and logs. */
export const ORT_PROVIDER_NAMES: Record<string, string> = {
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  tensorrt: 'TensorrtExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
  dml: 'DmlExecutionProvider',
  coreml: 'CoreMLExecutionProvider',
};


/** Ops that carry the model's arithmetic: the ones that must not fall back to the CPU. */
export const HEAVY_OPS = new Set(['MatMulNBits', 'MatMul', 'FusedMatMul', 'Gemm', 'MatMulInteger', 'Attention', 'MultiHeadAttention', 'GroupQueryAttention']);

export interface Placement {
  /** op type -> onnxruntime provider name -> nodes */
  byOp: Record<string, Record<string, number>>;
  /** provider name -> nodes */
  nodes: Record<string, number>;
  /** provider name -> kernel microseconds (profile only) */
  kernelUs?: Record<string, number>;
  /** the log said "All nodes placed on [X]" (it lists no op types then) */
  all?: string;
}

/** Node events of an onnxruntime profile (enableProfiling + endProfiling): which provider ran each node. */
export function placementFromProfile(events: unknown): Placement {
  const byOp: Placement['byOp'] = {};
  const nodes: Placement['nodes'] = {};
  const kernelUs: Record<string, number> = {};
  if (!Array.isArray(events)) return { byOp, nodes, kernelUs };
  const seen = new Set<string>();
  for (const e of events as { cat?: string; name?: string; dur?: number; args?: { op_name?: string; provider?: string; node_index?: string } }[]) {
    if (e?.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.provider || !e.args.op_name) continue;
    const { provider, op_name: op } = e.args;
    kernelUs[provider] = (kernelUs[provider] ?? 0) + (e.dur ?? 0);
    const key = `${e.name}\u0000${e.args.node_index ?? ''}`;
    if (seen.has(key)) continue; // a node run twice counts once
    seen.add(key);
    (byOp[op] ??= {})[provider] = (byOp[op]![provider] ?? 0) + 1;
    nodes[provider] = (nodes[provider] ?? 0) + 1;
  }
  return { byOp, nodes, kernelUs };
}

/**
 * onnxruntime's verbose log (session option logSeverityLevel: 0) lists the node placements:
 *   "Node placements" / " All nodes placed on [CPUExecutionProvider]. Number of nodes: 166"
 *   or " Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 120" then "  MatMulNBits (name)" lines.
 */
export function placementFromLog(log: string): Placement {
  const byOp: Placement['byOp'] = {};
  const nodes: Placement['nodes'] = {};
  const lines = log.split(/\r?\n/);
  const start = lines.findIndex((l) => l.includes('Node placements'));
  if (start < 0) return { byOp, nodes };
  let current: string | undefined;
  for (const line of lines.slice(start + 1)) {
    const all = /All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (all) {
      nodes[all[1]!] = Number(all[2]);
      return { byOp, nodes, all: all[1]! };
    }
    const head = /Node\(s\) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (head) {
      current = head[1]!;
      nodes[current] = Number(head[2]);
      continue;
    }
    const node = current && /^(?:.*\] )?\s+(\w+) \((.*)\)\s*$/.exec(line);
    if (node) {
      (byOp[node[1]!] ??= {})[current!] = (byOp[node[1]!]![current!] ?? 0) + 1;
      continue;
    }
    if (current && /\[[VIWEF]:onnxruntime/.test(line) && !/placed on|^\S*\s*$/.test(line)) break; // the next log record
  }
  return { byOp, nodes };
}

export interface PlacementVerdict {
  ok: boolean;
  heavyTotal: number;
  heavyOnProvider: number;
  /** "MatMulNBits 14/14, MatMul 2/2 on WebGpuExecutionProvider; 31 light nodes on CPUExecutionProvider" */
  summary: string;
}

/** Are all the heavy ops on `provider` (its short name: 'webgpu')? */
export function judgePlacement(p: Placement, provider: string): PlacementVerdict {
  const ortName = ORT_PROVIDER_NAMES[provider] ?? provider;
  let total = 0;
  let on = 0;
  const parts: string[] = [];
  for (const [op, per] of Object.entries(p.byOp).sort()) {
    if (!HEAVY_OPS.has(op)) continue;
    const n = Object.values(per).reduce((a, b) => a + b, 0);
    const k = per[ortName] ?? 0;
    total += n;
    on += k;
    parts.push(`${op} ${k}/${n}`);
  }
  const others = Object.entries(p.nodes).filter(([name]) => name !== ortName).map(([name, n]) => `${n} nodes on ${name}`);
  const share = p.kernelUs && Object.keys(p.kernelUs).length > 1
    ? `; kernel time ${Math.round((100 * (p.kernelUs[ortName] ?? 0)) / Object.values(p.kernelUs).reduce((a, b) => a + b, 0))}% on ${ortName}`
    : '';
  if (p.all) {
    const ok = p.all === ortName;
    return { ok, heavyTotal: NaN, heavyOnProvider: ok ? NaN : 0, summary: `all ${p.nodes[p.all] ?? '?'} nodes on ${p.all}` };
  }
  const summary = total === 0
    ? `no matrix ops seen (${Object.entries(p.nodes).map(([k, n]) => `${n} nodes on ${k}`).join(', ') || 'no nodes'})`
    : `${parts.join(', ')} on ${ortName}${others.length ? `; ${others.join(', ')}` : ''}${share}`;
  return { ok: total > 0 && on === total, heavyTotal: total, heavyOnProvider: on, summary };
}
