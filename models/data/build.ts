// `npm run data` -- the training-data build, in two stages:
//   corpus: manifest.json -> filtered, deduplicated, decontaminated code corpus in OUT/corpus (models/data/corpus)
//   tasks:  corpus -> marker-annotated tasks in OUT/tasks (models/data/tasks, if present)
// and the data of the model's repair job (issue 28), each a stage of its own (`all` leaves them out: they
// need the built corpus, most of them the shipped model, and run for tens of minutes; DATA.md has each):
//   failcond:       pure Python functions of the corpus, mutants by the product's operators, run in a sandbox -> OUT/failcond
//   ranking:        slips of corpus functions among the tested path's candidates, as the ranker's token ids -> OUT/ranking
//   syntax-ranking: one-token slips of corpus files through the product's syntax search -> OUT/syntax-ranking
//   realfix:        real fixes: npm patch releases, Debian's DEP-3 fix patches, as ranking examples -> OUT/realfix
// Flags: --small (tiny offline build from test fixtures, for tests/CI), --stage corpus|tasks|all|<a repair-job stage>,
//        --out DIR (default build/data), --workers N (default 2), --cache DIR (default build/cache).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildCorpus } from './corpus/index.js';

export const REPAIR_JOB_STAGES = ['failcond', 'ranking', 'syntax-ranking', 'realfix'] as const;
export type RepairJobStage = (typeof REPAIR_JOB_STAGES)[number];
export type Stage = 'corpus' | 'tasks' | 'all' | RepairJobStage;
const STAGES: readonly Stage[] = ['corpus', 'tasks', 'all', ...REPAIR_JOB_STAGES];
export interface BuildOptions { small: boolean; stage: Stage; out: string; workers: number; cache?: string; root: string }

function stageOf(v: string): Stage {
  if (!STAGES.includes(v as Stage)) throw new Error(`bad --stage ${v} (one of ${STAGES.join(', ')})`);
  return v as Stage;
}

/**
 * The commands of a repair-job stage (argv lists, run in order from the repository root), with the
 * settings of the session that first built it (DATA.md). `shards`: the corpus's training shard names.
 */
export function repairJobCommands(stage: RepairJobStage, o: BuildOptions, shards: string[]): string[][] {
  const tsx = [process.execPath, '--import', 'tsx'];
  const corpus = join(o.out, 'corpus');
  const dir = join(o.out, stage);
  const shard = (i: number) => join(corpus, shards[i % shards.length]!);
  switch (stage) {
    case 'failcond':
      return [
        ['python3', 'models/data/failcond/failcond.py', 'extract', '--corpus', corpus, '--shards', 'train-*.jsonl.xz', '--out', join(dir, 'functions.jsonl'), ...(o.small ? ['--max-files', '200'] : [])],
        [...tsx, 'models/data/failcond/mutants.ts', join(dir, 'functions.jsonl'), join(dir, 'mutants.jsonl'), '--per', '5'],
        ['python3', 'models/data/failcond/failcond.py', 'run', '--mutants', join(dir, 'mutants.jsonl'), '--out', join(dir, 'exec.jsonl.xz'), '--workers', String(o.workers)],
      ];
    case 'ranking': {
      // session 17: shards 0-4 train, shard 5 valid (150 a language)
      const train = [0, 1, 2, 3, 4].slice(0, Math.max(1, shards.length - 1)).map(shard).join(',');
      return [
        [...tsx, 'models/data/ranking/build.ts', '--corpus', train, '--out', join(dir, 'train.jsonl'), ...(o.small ? ['--per-lang', '20'] : [])],
        [...tsx, 'models/data/ranking/build.ts', '--corpus', shard(Math.min(5, shards.length - 1)), '--out', join(dir, 'valid.jsonl'), '--per-lang', o.small ? '5' : '150', '--seed', '2'],
      ];
    }
    case 'syntax-ranking':
      // session 22's first process: train shards 6 x 250 files, the valid shard, seed 25, 40 minutes
      return [[...tsx, 'models/data/ranking/syntax.ts', '--corpus', corpus, '--out', dir, ...(o.small ? ['--train', '20', '--valid', '5', '--shards', '1', '--per-shard', '40', '--minutes', '3'] : ['--train', '3000', '--valid', '300', '--shards', '6', '--per-shard', '250', '--minutes', '40', '--seed', '25'])]];
    case 'realfix': {
      if (o.small) throw new Error('the realfix stage reads the npm registry and Debian sources: it has no --small build');
      const cache = o.cache ?? join(o.root, 'build/cache');
      // Debian's patches come from the corpus build's source packages, when that build kept them
      const debian = existsSync(join(cache, 'deb-src'));
      return [
        [...tsx, 'models/data/realfix/collect.ts', '--cache', join(cache, 'realfix'), '--out', dir],
        ...(debian ? [[...tsx, 'models/data/realfix/debian.ts', '--debian-cache', join(cache, 'deb-src'), '--out', dir]] : []),
        [...tsx, 'models/data/realfix/rank.ts', '--pairs', [join(dir, 'pairs.jsonl.xz'), ...(debian ? [join(dir, 'pairs-debian.jsonl.xz')] : [])].join(','), '--out', dir],
      ];
    }
  }
}

async function buildRepairJob(stage: RepairJobStage, o: BuildOptions): Promise<void> {
  const corpus = join(o.out, 'corpus');
  const shards = existsSync(corpus) ? readdirSync(corpus).filter((f) => /^train-\d+\.jsonl\.xz$/.test(f)).sort() : [];
  if (!shards.length) throw new Error(`the ${stage} stage needs the corpus: ${corpus} has no training shards (npm run data -- --stage corpus${o.small ? ' --small' : ''} first)`);
  mkdirSync(join(o.out, stage), { recursive: true });
  for (const argv of repairJobCommands(stage, o, shards)) {
    // named without node's own path and flags
    const shown = argv.slice(argv[0] === process.execPath ? 3 : 0).join(' ');
    console.log(`== ${stage}: ${shown}`);
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd: o.root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`the ${stage} stage failed: ${shown} exited ${r.status ?? r.signal}`);
  }
}

export function parseArgs(argv: string[]): BuildOptions {
  const root = resolve(__dirname, '../..');
  const o: BuildOptions = { small: false, stage: 'all', out: join(root, 'build/data'), workers: 2, root };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--small') o.small = true;
    else if (a === '--stage') o.stage = stageOf(val());
    else if (a.startsWith('--stage=')) o.stage = stageOf(a.slice(8));
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
  if ((REPAIR_JOB_STAGES as readonly string[]).includes(o.stage)) await buildRepairJob(o.stage as RepairJobStage, o);
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
