// Runs Neovim headless with codeaction.lua against the language server's stdio entry point
// (bin/treasure-language-server --stdio), then checks the file it wrote. Artifacts: the transcript,
// and Neovim's screen before and after the fix (its screen grid as text, and that text drawn as a PNG).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifacts, assertFixed, expectedFile, nvimPath, root } from '../lib/env.mjs';
import { T } from '../lib/workbench.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export function serverCommand() {
  if (process.env.TREASURE_E2E_LSP_CMD) return JSON.parse(process.env.TREASURE_E2E_LSP_CMD);
  return [join(root, 'bin/treasure-language-server'), '--stdio'];
}

const escapeHtml = (t) => t.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);

/** Neovim's screen text drawn in a terminal-like page and captured by the browser (no browser: text only). */
async function saveScreen(browser, name, screen) {
  const base = join(artifacts, `${name}-${screen.label}`);
  writeFileSync(`${base}.txt`, screen.text + '\n');
  if (!browser) return;
  const page = await browser.newPage();
  try {
    await page.setContent(
      `<body style="margin:0;background:#1e1e1e"><pre id="screen" style="margin:0;padding:8px;display:inline-block;color:#d4d4d4;font:14px/1.25 monospace">${escapeHtml(screen.text)}</pre></body>`,
    );
    await page.locator('#screen').screenshot({ path: `${base}.png` });
  } finally {
    await page.close();
  }
}

/**
 * Runs one of our Lua scripts in a headless Neovim against the language server and returns the result
 * it wrote (TREASURE_RESULT), its log lines already logged.
 */
async function runLua({ workspace, log, script, env: extra }) {
  const resultFile = join(workspace, 'nvim-result.json');
  const env = { ...process.env, TREASURE_LSP_CMD: JSON.stringify(serverCommand()), TREASURE_TIMEOUT_MS: String(T.model), TREASURE_RESULT: resultFile, ...extra };
  const nvim = spawn(nvimPath, ['--headless', '--clean', '-n', '-c', `luafile ${join(here, script)}`], { env, cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  nvim.stdout.on('data', (d) => (output += d));
  nvim.stderr.on('data', (d) => (output += d));
  // An upper bound on the whole run (the script's own waits are condition waits), not a sleep.
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
  return result;
}

export async function runNeovim({ workspace, log, browser, name = 'neovim' }) {
  const file = join(workspace, 'buggy.py');
  const before = readFileSync(file, 'utf8');
  const result = await runLua({ workspace, log, script: 'codeaction.lua', env: { TREASURE_FILE: file, TREASURE_SETTLE_MS: String(T.ui) } });
  mkdirSync(artifacts, { recursive: true });
  const after = readFileSync(file, 'utf8');
  writeFileSync(join(artifacts, `${name}-transcript.txt`), [...result.log, `title: ${result.title ?? ''}`, '--- before', before, '--- after', after].join('\n'));
  for (const screen of result.screens ?? []) await saveScreen(browser, name, screen);
  assert.ok(result.ok, `neovim: ${result.error}`);
  assert.match(result.title, /CodeFix/);
  // The file Neovim wrote: it parses and is the expected fix (nothing else changed).
  await assertFixed(file, expectedFile('basic', 'buggy.py'), 'the file neovim wrote');
  assert.equal(result.diagnostics_after, 0, 'the server reports no problem in the fixed buffer');
}

/**
 * Neovim on a failing pytest test (fixtest.lua): the code action on the test names it; resolved and
 * applied, it edits the source file (another buffer), written with :wall; pytest on the folder passes.
 */
export async function runNeovimFixTest({ workspace, log, browser, test, pytestIn, name = 'neovim-fix-test' }) {
  const file = join(workspace, 'test_bank.py');
  const source = join(workspace, 'bank.py');
  const before = readFileSync(source, 'utf8');
  const result = await runLua({ workspace, log, script: 'fixtest.lua', env: { TREASURE_FILE: file, TREASURE_TEST: test } });
  mkdirSync(artifacts, { recursive: true });
  const after = readFileSync(source, 'utf8');
  writeFileSync(join(artifacts, `${name}-transcript.txt`), [...result.log, `title: ${result.title ?? ''}`, '--- bank.py before', before, '--- bank.py after', after].join('\n'));
  for (const screen of result.screens ?? []) await saveScreen(browser, name, screen);
  assert.ok(result.ok, `neovim: ${result.error}`);
  assert.equal(result.title, `Fix the code ${test} exercises with Treasure`);
  assert.ok(result.messages.some((m) => m.includes(`${test} passes`)), `no message names the proof: ${result.messages.join(' | ')}`);
  assert.notEqual(after, before, 'bank.py was not written');
  const r = await pytestIn(workspace);
  log(`pytest after the fix: ${r.output.split('\n').pop()}`);
  assert.equal(r.code, 0, `pytest fails after the fix:\n${r.output}`);
}
