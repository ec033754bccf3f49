// `npm run data` -- the training-data build, in two stages:
//   corpus: manifest.json -> filtered, deduplicated, decontaminated code corpus in OUT/corpus (models/data/corpus)
//   tasks:  corpus -> marker-annotated tasks in OUT/tasks (models/data/tasks, if present)
// Flags: --small (tiny offline build from test fixtures, for tests/CI), --stage corpus|tasks|all,
//        --out DIR (default build/data), --workers N (default 2), --cache DIR (default build/cache).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCorpus } from './corpus/index.js';

export interface BuildOptions { small: boolean; stage: 'corpus' | 'tasks' | 'all'; out: string; workers: number; cache?: string; root: string }

export function parseArgs(argv: string[]): BuildOptions {
  const root = resolve(__dirname, '../..');
  const o: BuildOptions = { small: false, stage: 'all', out: join(root, 'build/data'), workers: 2, root };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--small') o.small = true;
    else if (a === '--stage') { const v = val(); if (v !== 'corpus' && v !== 'tasks' && v !== 'all') throw new Error(`bad --stage ${v}`); o.stage = v; }
    else if (a.startsWith('--stage=')) { const v = a.slice(8); if (v !== 'corpus' && v !== 'tasks' && v !== 'all') throw new Error(`bad --stage ${v}`); o.stage = v; }
    else if (a === '--out') o.out = resolve(val());
    else if (a.startsWith('--out=')) o.out = resolve(a.slice(6));
    else if (a === '--workers') o.workers = Number(val());
    else if (a === '--cache') o.cache = resolve(val());
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

export async function build(o: BuildOptions): Promise<void> {
  const t0 = Date.now();
  if (o.stage === 'corpus' || o.stage === 'all') {
    console.log(`== stage corpus (${o.small ? 'small' : 'full'}) -> ${join(o.out, 'corpus')}`);
    await buildCorpus({ small: o.small, out: o.out, root: o.root, workers: o.workers, ...(o.cache ? { cache: o.cache } : {}) });
  }
  if (o.stage === 'tasks' || o.stage === 'all') {
    const tasksIndex = join(o.root, 'models/data/tasks/index.ts');
    if (!existsSync(tasksIndex)) {
      console.log('== stage tasks: skipped (models/data/tasks/index.ts does not exist yet)');
    } else {
      console.log(`== stage tasks (${o.small ? 'small' : 'full'}) -> ${join(o.out, 'tasks')}`);
      const mod = (await import(pathToFileURL(tasksIndex).href)) as { buildTasks?: (opts: Record<string, unknown>) => Promise<unknown> };
      if (typeof mod.buildTasks !== 'function') throw new Error('models/data/tasks/index.ts has no export buildTasks');
      // A --small build, or one into another --out (a held-out set), writes its cards next to its output,
      // never over the committed ones (those describe the full build in build/data).
      const ownCard = o.small || o.out !== join(o.root, 'build/data');
      await mod.buildTasks({ small: o.small, out: o.out, root: o.root, corpusDir: join(o.out, 'corpus'), workers: o.workers, ...(ownCard ? { cardDir: join(o.out, 'tasks') } : {}) });
    }
  }
  console.log(`== done in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
}

if (require.main === module) {
  build(parseArgs(process.argv.slice(2))).catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  });
}
