// A stand-in corpus for developing and testing the tasks build: real source files from given
// directories written as corpus lines ({"text","code_type","package","path","license","domain",
// "quality_bucket","source_kind"}) into {split}-00000.jsonl(.xz).
//   node --import tsx models/data/tasks/devcorpus.ts OUT_DIR [max_per_language] [dir ...]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { hash32 } from './rng.js';

export const EXT: Record<string, string> = {
  '.py': 'python', '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascript', '.ts': 'typescript', '.tsx': 'typescript',
  '.java': 'java', '.go': 'go', '.rs': 'rust', '.c': 'c', '.h': 'c', '.cc': 'cpp', '.cpp': 'cpp', '.hpp': 'cpp', '.cs': 'csharp', '.php': 'php',
  '.rb': 'ruby', '.sh': 'shell', '.bash': 'shell', '.lua': 'lua', '.pl': 'perl', '.pm': 'perl', '.hs': 'haskell',
};

export function listFiles(dir: string, out: string[] = [], depth = 0): string[] {
  if (depth > 12) return out;
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    if (n === '.git' || n === 'node_modules' && depth > 0 && out.length > 50000) continue;
    const p = join(dir, n);
    let st;
    try { st = statSync(p); } catch { continue; }
    if (st.isDirectory()) listFiles(p, out, depth + 1);
    else if (st.isFile() && EXT[extname(n)] && !n.endsWith('.d.ts') && !n.endsWith('.min.js') && st.size > 200 && st.size < 200_000) out.push(p);
  }
  return out;
}

export interface DevRecord { text: string; code_type: string; package: string; path: string; license: string; domain: string; quality_bucket: string; source_kind: string }

export function recordsFrom(files: string[], maxPerLanguage: number): DevRecord[] {
  const per: Record<string, number> = {};
  const out: DevRecord[] = [];
  const domains = ['General', 'Web', 'Systems', 'Text', 'Data', 'DevTools', 'Networking', 'Science'];
  for (const f of files) {
    const ct = EXT[extname(f)]!;
    if ((per[ct] ?? 0) >= maxPerLanguage) continue;
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    if (text.includes('\u0000')) continue;
    per[ct] = (per[ct] ?? 0) + 1;
    const h = hash32(f);
    out.push({ text, code_type: ct, package: basename(join(f, '..')), path: f, license: 'various', domain: domains[h % domains.length]!, quality_bucket: String(1 + (h >> 8) % 4), source_kind: 'dev' });
  }
  return out;
}

/** Writes records into train/valid/test shards (about 90/5/5 by path hash). */
export function writeCorpus(outDir: string, recs: DevRecord[], xz = true) {
  mkdirSync(outDir, { recursive: true });
  const by: Record<string, string[]> = { train: [], valid: [], test: [] };
  for (const r of recs) {
    const h = hash32(r.path) % 20;
    by[h === 0 ? 'valid' : h === 1 ? 'test' : 'train']!.push(JSON.stringify(r));
  }
  for (const [split, lines] of Object.entries(by)) {
    if (!lines.length) continue;
    const p = join(outDir, `${split}-00000.jsonl`);
    writeFileSync(p, lines.join('\n') + '\n');
    if (xz) execFileSync('xz', ['-f', '-T2', p]);
  }
}

if (require.main === module) {
  const [out, max, ...dirs] = process.argv.slice(2);
  if (!out) throw new Error('usage: devcorpus.ts OUT_DIR [max_per_language] [dir ...]');
  const files = dirs.flatMap((d) => listFiles(d));
  const recs = recordsFrom(files, Number(max ?? 300));
  writeCorpus(out, recs);
  const per: Record<string, number> = {};
  for (const r of recs) per[r.code_type] = (per[r.code_type] ?? 0) + 1;
  console.log(out, recs.length, per);
}
