// Speed of the tasks stage's per-file work (models/data/tasks/examples.ts processFile) on a corpus
// sample, in this one thread (what one build worker does), with a digest of every example so that
// a change can be checked to keep the output. CPU seconds are reported beside wall seconds because
// on a shared machine the wall time mostly measures the other jobs.
//   npx tsx bench/tasks.ts --sample DIR [--from build/data/corpus --every 130]   # make DIR first
//   npx tsx bench/tasks.ts DIR                                                    # time it
// The sample: every Nth line of every corpus shard (all languages in their corpus shares). The
// whole stage (with its single-threaded write phase) on the same sample, one worker:
//   node --import tsx models/data/tasks/cli.ts --corpus DIR --out /tmp/t --workers 1 --no-card
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { processFile, type CorpusRecord } from '../models/data/tasks/examples.js';
import { loadSettings } from '../models/data/tasks/settings.js';
import { loadAll } from '../models/data/tasks/parsers.js';

function makeSample(dir: string, from: string, every: number): void {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(from).filter((n) => /^(train|valid|test)-\d+\.jsonl\.xz$/.test(n)).sort()) {
    const lines = execFileSync('xz', ['-dc', join(from, f)], { maxBuffer: 1 << 30 }).toString('utf8').split('\n');
    writeFileSync(join(dir, f.replace(/\.xz$/, '')), lines.filter((l, i) => l && (i + 1) % every === 0).join('\n') + '\n');
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--sample') {
    const opt = (k: string, d: string) => (args.includes(k) ? args[args.indexOf(k) + 1]! : d);
    makeSample(args[1]!, opt('--from', 'build/data/corpus'), Number(opt('--every', '130')));
    return;
  }
  const dir = args[0] ?? 'build/bench/corpus';
  const settings = loadSettings();
  await loadAll();
  const recs: { rec: CorpusRecord; split: string }[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) {
    const split = f.split('-')[0]!;
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l) recs.push({ rec: JSON.parse(l) as CorpusRecord, split });
  }
  const bytes = recs.reduce((a, r) => a + Buffer.byteLength(r.rec.text), 0);
  const digest = createHash('sha256');
  const counts: Record<string, number> = {};
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const { rec, split } of recs) {
    const { examples } = await processFile(rec, split, 1234, settings);
    for (const ex of examples) {
      counts[ex.task] = (counts[ex.task] ?? 0) + 1;
      digest.update(JSON.stringify(ex) + '\n');
    }
  }
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(JSON.stringify({ files: recs.length, MB: +(bytes / 1e6).toFixed(2), wallS: +s.toFixed(2), cpuS: +cpu.toFixed(2), filesPerCpuS: +(recs.length / cpu).toFixed(1), MBPerCpuS: +(bytes / 1e6 / cpu).toFixed(3), load: loadavg().map((x) => +x.toFixed(2)), counts, digest: digest.digest('hex').slice(0, 16) }));
}

void main();
