import { execFileSync } from 'node:child_process';
import { processFile } from './examples';
import { loadSettings } from './settings';
(async () => {
  const lines = execFileSync('xz', ['-dc', '/tmp/devcorpus/train-00000.jsonl.xz'], { maxBuffer: 1 << 30 }).toString().split('\n').filter(Boolean).slice(0, Number(process.argv[2] ?? 400));
  const s = loadSettings();
  const t0 = Date.now(); let chars = 0; const per: Record<string, [number, number, number]> = {};
  const counts: Record<string, number> = {};
  for (const l of lines) {
    const rec = JSON.parse(l); chars += rec.text.length;
    const t = Date.now();
    const { examples } = await processFile(rec, 'train', 1, s);
    const p = (per[rec.code_type] ??= [0, 0, 0]); p[0] += Date.now() - t; p[1] += rec.text.length; p[2]++;
    for (const e of examples) counts[e.task] = (counts[e.task] ?? 0) + 1;
  }
  const ms = Date.now() - t0;
  console.log(lines.length, 'files', (chars / 1e6).toFixed(1), 'MB', ms, 'ms', (chars / 1e3 / ms).toFixed(2), 'MB/s', counts);
  for (const [k, [t, c, n]] of Object.entries(per)) console.log(k, n, 'files', t, 'ms', (c / 1e3 / Math.max(t, 1)).toFixed(2), 'MB/s');
})();
