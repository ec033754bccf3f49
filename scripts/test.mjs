// The project's test command (README, .ci/run): build, type-check, then every test/**/*.test.ts
// with Node's own test runner (TypeScript loaded through tsx). Extra args are passed to node --test
// (e.g. `npm test -- --test-name-pattern markers`). TREASURE_TEST_SKIP=e2e skips the slow e2e folder.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)); // a path, also where a folder name has a space
const skip = new Set((process.env.TREASURE_TEST_SKIP ?? '').split(',').filter(Boolean));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === 'fixtures' || skip.has(name)) continue;
      out.push(...findTests(p));
    } else if (name.endsWith('.test.ts') || name.endsWith('.test.mjs')) out.push(relative(root, p));
  }
  return out.sort();
}

run('node', ['scripts/build.mjs']);
run('npx', ['tsc', '-p', '.', '--noEmit']);
const tests = findTests(join(root, 'test'));
if (tests.length === 0) { console.error('no tests found under test/'); process.exit(1); }
run('node', ['--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(2), ...tests]);
