// Worker thread: loads the decontamination index once, then processes packages it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { loadDecontamIndex } from './decontaminate.js';
import { processPackage, type ProcessConfig } from './process.js';
import type { FetchedPackage } from './types.js';

const { decontDir, ngram } = workerData as { decontDir: string; ngram: number };
const index = loadDecontamIndex(decontDir, ngram);

parentPort!.on('message', (msg: { id: number; pkg: FetchedPackage; cfg: ProcessConfig }) => {
  const res = processPackage(msg.pkg, msg.cfg, index);
  parentPort!.postMessage({ id: msg.id, res }, res.candidates.map((c) => c.sig.buffer as ArrayBuffer));
});
