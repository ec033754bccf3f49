// `npm run demo`: the main job on the shipped model. Fixes a sample Python file whose `def` line lacks
// its colon with the CLI (bin/treasure fix), printing the edit and the markers; then rewrites a
// function whose bug raises no diagnostic (HumanEvalFix style, `--line`). Builds dist/ first if needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (args, opts = {}) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', ...opts });

if (!existsSync(join(root, 'dist/cli.js')) || !existsSync(join(root, 'grammars/wasm/python.wasm'))) {
  const b = run(['scripts/build.mjs']);
  if (b.status !== 0) process.exit(b.status ?? 2);
}

const cli = join(root, 'bin/treasure');
const jobs = [
  ['test/fixtures/samples/missing_colon.py', []],
  ['test/fixtures/samples/below_zero.py', ['--line', '13']],
];
// The first job is the "done when" and decides the exit status; the second shows the
// no-diagnostic case (a small model may find no checked fix there: exit 1 from the CLI).
let status = 0;
jobs.forEach(([file, extra], i) => {
  console.log(`\n$ bin/treasure fix ${file} ${extra.join(' ')}`.trimEnd());
  const r = run([cli, 'fix', file, ...extra]);
  if (i === 0) status = r.status ?? 2;
});
process.exit(status);
