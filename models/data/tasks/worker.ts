// A worker thread of the tasks build: corpus lines in, one temp file per (chunk, task) out.
// Each line of a temp file is `<stats json>\t<example json>`; the stats feed the data card.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { processFile, type CorpusRecord } from './examples.js';
import type { Settings } from './settings.js';

export interface ChunkMsg { id: number; split: string; lines: string[] }
export interface ChunkDone { id: number; counts: Record<string, number>; errors: number; notLanguage: number; files: number; ms: number }

const { seed, settings, tmpDir } = workerData as { seed: number; settings: Settings; tmpDir: string };

export function statsOf(ex: { task: string; markers: Record<string, string>; code: string; answer: string; diagnostic?: string }, meta: { kind: string; op?: string; withDoc?: boolean }): unknown[] {
  const m = ex.markers;
  return [m.code_type, m.domain ?? '', m.error_type ?? '', m.length_bucket, m.quality_bucket ?? '', m.source, ex.code.length + ex.answer.length + (ex.diagnostic?.length ?? 0), ex.answer.length, meta.kind, meta.op ?? '', meta.withDoc ? 1 : 0];
}

parentPort!.on('message', async (msg: ChunkMsg) => {
  const t0 = Date.now();
  const out: Record<string, string[]> = {};
  let errors = 0;
  let notLanguage = 0;
  for (const line of msg.lines) {
    try {
      const rec = JSON.parse(line) as CorpusRecord;
      const { examples, meta, notLanguage: dropped } = await processFile(rec, msg.split, seed, settings);
      if (dropped) notLanguage++;
      for (let i = 0; i < examples.length; i++) {
        const ex = examples[i]!;
        (out[ex.task] ??= []).push(JSON.stringify(statsOf(ex, meta[i]!)) + '\t' + JSON.stringify(ex));
      }
    } catch {
      errors++;
    }
  }
  const counts: Record<string, number> = {};
  for (const [task, lines] of Object.entries(out)) {
    counts[task] = lines.length;
    writeFileSync(join(tmpDir, `${msg.id}.${task}.tsv`), lines.join('\n') + '\n');
  }
  const done: ChunkDone = { id: msg.id, counts, errors, notLanguage, files: msg.lines.length, ms: Date.now() - t0 };
  parentPort!.postMessage(done);
});
