// Runs the tasks stage alone:
//   node --import tsx models/data/tasks/cli.ts [--corpus build/data/corpus] [--out build/data/tasks]
//        [--small] [--seed N] [--workers N] [--mix CodeGeneration=0.5,CodeFix=0.4,CodeExplanation=0.1]
//        [--card DIR | --no-card]
// (`npm run data -- --stage tasks` runs it through models/data/build.ts.)
import { join } from 'node:path';
import { buildTasks, type BuildTasksOptions } from './index.js';
import { REPO_ROOT } from './taxonomy.js';

function parse(argv: string[]): BuildTasksOptions {
  const o: BuildTasksOptions = { corpusDir: join(REPO_ROOT, 'build', 'data', 'corpus'), outDir: join(REPO_ROOT, 'build', 'data', 'tasks') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--corpus') o.corpusDir = val();
    else if (a === '--out') o.outDir = val();
    else if (a === '--small') o.small = true;
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--workers') o.workers = Number(val());
    else if (a === '--card') o.cardDir = val();
    else if (a === '--no-card') o.cardDir = null;
    else if (a === '--mix') o.mix = Object.fromEntries(val().split(',').map((kv) => { const [k, v] = kv.split('='); return [k!, Number(v)]; }));
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

if (require.main === module) {
  buildTasks(parse(process.argv.slice(2)))
    .then((r) => console.log(JSON.stringify({ written: r.written, candidates: r.candidates, shards: r.shards.length, files: r.files, errors: r.errors, seconds: Math.round(r.seconds) })))
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.stack ?? e.message : e);
      process.exit(1);
    });
}
