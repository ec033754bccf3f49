// The code actions' analysis (tree-sitter parse, functions, imports) in a thread of its own
// (dist/analysis-worker.js): a parse takes ~0.5 s per 250,000 characters on a 2-core machine, which on
// the server's thread would hold up every other request, cancellation included. In this thread where
// no worker is built (the TypeScript sources under tsx, TREASURE_ANALYSIS_WORKER=0).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { analyze, type Analysis } from './context';
import type { LanguageInfo } from './grammars';
import { lowerThreadPriority } from './worker-limits';
import { threadMemory } from './loop-monitor';

type Request = { id: number; text: string; language: LanguageInfo; path?: string } | { id: number; memory: true };
type Reply = { id: number; analysis?: Analysis; memory?: ThreadMemory; error?: string };
type ThreadMemory = ReturnType<typeof threadMemory>;

let worker: Worker | undefined;
let broken = false;
let next = 1;
const pending = new Map<number, { resolve: (a: Analysis) => void; reject: (e: Error) => void; memory?: (m: ThreadMemory) => void }>();

function workerFile(): string | undefined {
  if (broken || process.env.TREASURE_ANALYSIS_WORKER === '0' || typeof __dirname !== 'string') return undefined;
  const file = join(__dirname, 'analysis-worker.js');
  return existsSync(file) ? file : undefined;
}

function start(file: string): Worker {
  const w = new Worker(file, { workerData: { role: 'treasure-analysis' } });
  w.unref();
  w.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.memory) p?.memory?.(m.memory);
    else if (m.analysis) p?.resolve(m.analysis);
    else p?.reject(new Error(m.error ?? 'analysis failed'));
  });
  const stop = (why: string) => {
    worker = undefined;
    for (const p of pending.values()) p.reject(new Error(`the analysis thread stopped: ${why}`));
    pending.clear();
  };
  w.on('error', (e) => stop(e.message));
  w.on('exit', (code) => stop(`exit code ${code}`));
  return w;
}

/** Stops the analysis thread (before the process exits). */
export async function stopAnalysisThread(): Promise<void> {
  const w = worker;
  worker = undefined;
  await w?.terminate().catch(() => undefined);
}

/** The analysis thread's V8 heap after a full collection (the attack benchmark's soak); null when there is no thread. */
export function analysisThreadMemory(): Promise<ThreadMemory | null> {
  const w = worker;
  if (!w) return Promise.resolve(null);
  const id = next++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: () => resolve(null), reject, memory: resolve });
    w.postMessage({ id, memory: true } satisfies Request);
  });
}

/** `analyze` (context.ts), run in the analysis thread where there is one. */
export function analyzeOffThread(text: string, language: LanguageInfo, path?: string): Promise<Analysis> {
  const file = workerFile();
  if (!file) return analyze(text, language, path);
  try {
    worker ??= start(file);
  } catch {
    broken = true;
    return analyze(text, language, path);
  }
  const id = next++;
  const w = worker;
  return new Promise<Analysis>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, text, language, path } satisfies Request);
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'treasure-analysis' && parentPort) {
  const port = parentPort;
  lowerThreadPriority();
  port.on('message', (m: Request) => {
    if ('memory' in m) {
      port.postMessage({ id: m.id, memory: threadMemory() } satisfies Reply);
      return;
    }
    analyze(m.text, m.language, m.path).then(
      (analysis) => port.postMessage({ id: m.id, analysis } satisfies Reply),
      (e: unknown) => port.postMessage({ id: m.id, error: (e as Error)?.message ?? String(e) } satisfies Reply),
    );
  });
}
