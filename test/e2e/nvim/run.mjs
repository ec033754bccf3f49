// Runs Neovim headless with codeaction.lua against the language server's stdio entry point
// (bin/treasure-language-server --stdio), then checks the file it wrote.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifacts, nvimPath, pythonParses, root } from '../lib/env.mjs';
import { T } from '../lib/workbench.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export function serverCommand() {
  if (process.env.TREASURE_E2E_LSP_CMD) return JSON.parse(process.env.TREASURE_E2E_LSP_CMD);
  return [join(root, 'bin/treasure-language-server'), '--stdio'];
}

export async function runNeovim({ workspace, log }) {
  const file = join(workspace, 'buggy.py');
  const before = readFileSync(file, 'utf8');
  const resultFile = join(workspace, 'nvim-result.json');
  const env = {
    ...process.env,
    TREASURE_LSP_CMD: JSON.stringify(serverCommand()),
    TREASURE_FILE: file,
    TREASURE_TIMEOUT_MS: String(T.model),
    TREASURE_RESULT: resultFile,
  };
  const nvim = spawn(nvimPath, ['--headless', '--clean', '-n', '-c', `luafile ${join(here, 'codeaction.lua')}`], { env, cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  nvim.stdout.on('data', (d) => (output += d));
  nvim.stderr.on('data', (d) => (output += d));
  const limit = setTimeout(() => nvim.kill('SIGKILL'), 2 * T.model + T.server);
  const code = await new Promise((r) => nvim.once('exit', (c, s) => r(c ?? s)));
  clearTimeout(limit);
  let result;
  try {
    result = JSON.parse(readFileSync(resultFile, 'utf8'));
  } catch {
    throw new Error(`nvim exited (${code}) without a result:\n${output}`);
  }
  for (const l of result.log) log(`nvim: ${l}`);
  // The transcript is the artifact of this (screenless) scenario.
  mkdirSync(artifacts, { recursive: true });
  const after = readFileSync(file, 'utf8');
  writeFileSync(join(artifacts, 'neovim-transcript.txt'), [...result.log, `title: ${result.title ?? ''}`, '--- before', before, '--- after', after].join('\n'));
  assert.ok(result.ok, `neovim: ${result.error}`);
  assert.match(result.title, /CodeFix/);
  assert.notEqual(after, before, 'the file changed on disk');
  assert.ok(await pythonParses(file), `the file neovim wrote parses:\n${after}`);
}
