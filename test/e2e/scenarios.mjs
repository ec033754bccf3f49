// The end-to-end scenarios, run in order by run.mjs. Each gets a fresh copy of its workspace
// folder (test/e2e/workspace/<name>) and, for VS Code, a new browser tab on the shared code-server.
// `shared` carries observations between scenarios (the quick fix title without team markers).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertFixed, descendants, exec, expectedFile, pythonParses, waitFor } from './lib/env.mjs';
import { T } from './lib/workbench.mjs';
import { runNeovim, runNeovimFixTest } from './nvim/run.mjs';

const shared = {};

const lines = (text) => text.replace(/\n+$/, '').split('\n');

/** The failing test of the `tests` workspace (bank.py's below_zero says a balance back at zero is below it). */
export const FAILING_TEST = 'test_back_to_zero_is_not_below';

/** pytest on the workspace as the user would run it; resolves with its exit code and output. */
export async function pytestIn(workspace) {
  // no plugins: this machine's (pytest-benchmark) would write folders into the workspace
  const r = await exec('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test_bank.py'], { cwd: workspace, env: { ...process.env, PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' } });
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

/** Opens the quick fix menu at the first problem of the file; returns the Treasure row and its title. */
async function treasureQuickFix(wb) {
  const problem = await wb.firstProblem();
  const row = wb.page.locator('.action-widget .monaco-list-row.action', { hasText: 'Treasure' }).first();
  // Ctrl+. can land while focus is elsewhere (a notification appearing): ask again until the menu shows.
  await waitFor('the Treasure quick fix in the menu', async () => {
    if (await row.isVisible()) return true;
    await wb.page.keyboard.press('Escape');
    await wb.focusEditorArea();
    await wb.page.keyboard.press('Control+.');
    return row.waitFor({ timeout: 10_000 }).then(() => true, () => false);
  }, T.model);
  const title = (await row.locator('.title').innerText()).trim();
  return { row, title, problem };
}

/**
 * After an action that edits the file with a model's answer: waits until the editor is dirty (the edit
 * landed) or a Treasure message says no fix came (then fails at once with that message).
 */
async function editOrMessage(wb, message, what) {
  const dirty = wb.page.locator('.tabs-container .tab.active.dirty');
  const note = wb.notifications().filter({ hasText: message }).first();
  await dirty.or(note).first().waitFor({ timeout: T.model });
  if (!(await dirty.isVisible()) && (await note.isVisible())) {
    await wb.screenshot('no-fix');
    throw new Error(`${what}: ${(await note.innerText()).split('\n')[0].trim()}`);
  }
}

async function saveAndRead(wb, file, ready) {
  await wb.page.keyboard.press('Control+S');
  return waitFor(`${file} saved to disk`, async () => {
    const text = readFileSync(file, 'utf8');
    return (await ready(text)) ? text : undefined;
  }, T.ui);
}

export const scenarios = [
  {
    name: 'quickfix',
    workspace: 'basic',
    async run({ wb, cs, workspace, log }) {
      const file = join(workspace, 'buggy.py');
      const before = readFileSync(file, 'utf8');
      assert.equal(await pythonParses(file), false, 'the fixture must start broken');
      await wb.open(cs.folderUrl(workspace));
      await wb.openFile('buggy.py');
      // The server reports the syntax error (treasure.syntaxDiagnostics in the workspace settings).
      await wb.page.locator('.squiggly-error').first().waitFor({ timeout: T.server });
      await wb.screenshot('diagnostic');
      const { row, title, problem } = await treasureQuickFix(wb);
      log(`problem: ${problem}`);
      log(`quick fix title: ${title}`);
      assert.match(title, /CodeFix/, 'the title shows the markers');
      assert.match(title, /python/);
      assert.match(title, /syntax_error/);
      shared.basicTitle = title;
      await wb.screenshot('quick-fix-menu');
      await row.click();
      await editOrMessage(wb, 'found no fix it could prove', 'applying the quick fix');
      // The fix is saved and read back from disk: it parses and is the expected line (nothing else changed);
      // then the error is gone from the editor too.
      await saveAndRead(wb, file, (t) => t !== before);
      const after = await assertFixed(file, expectedFile('basic', 'buggy.py'), 'buggy.py after the quick fix');
      log(`fixed line 3: ${after.split('\n')[2]}`);
      await waitFor('the syntax error to be gone from the editor', async () => (await wb.page.locator('.squiggly-error').count()) === 0, T.server);
      await wb.screenshot('fixed');
      // The language status: model, device, the last fix's latency.
      const status = await wb.languageStatus('Treasure');
      log(`language status: ${status.replace(/\s+/g, ' ')}`);
      assert.match(status, /Treasure: \S+ · (CPU|GPU)/);
      assert.match(status, /last fix \d+ ms/);
      await wb.screenshot('language-status');
      await wb.page.keyboard.press('Escape');
    },
  },
  {
    name: 'team-markers',
    workspace: 'team',
    async run({ wb, cs, workspace, log }) {
      await wb.open(cs.folderUrl(workspace));
      await wb.openFile('buggy.py');
      // The unknown marker in .vscode/settings.json is reported (warning + output) and ignored.
      const warning = wb.notifications().filter({ hasText: 'unknown marker "flavour"' }).first();
      await warning.waitFor({ timeout: T.server });
      await wb.screenshot('invalid-marker-warning');
      await wb.page.locator('.squiggly-error').first().waitFor({ timeout: T.server });
      const { title } = await treasureQuickFix(wb);
      log(`quick fix title with team markers: ${title}`);
      assert.match(title, /Web/, 'the workspace marker domain=Web is in the title');
      if (shared.basicTitle) assert.notEqual(title, shared.basicTitle, 'workspace markers change the title');
      assert.doesNotMatch(title, /spicy|flavour/);
      await wb.screenshot('quick-fix-team-markers');
      await wb.page.keyboard.press('Escape');
      // Show Markers at Cursor: each marker with where it came from.
      await wb.command('Treasure: Show Markers at Cursor');
      const rows = wb.quickInput().locator('.monaco-list-row');
      await rows.filter({ hasText: 'domain: Web' }).first().waitFor({ timeout: T.model });
      const text = await wb.quickInput().innerText();
      log(`markers at cursor:\n${text}`);
      assert.match(text, /domain: Web[\s\S]*workspace settings/);
      assert.match(text, /source: Human[\s\S]*workspace settings \(\[python\]\)/);
      assert.match(text, /quality_bucket: 1/);
      await wb.screenshot('markers-at-cursor');
      await wb.page.keyboard.press('Escape');
    },
  },
  {
    name: 'generate',
    workspace: 'basic',
    async run({ wb, cs, workspace, log }) {
      const file = join(workspace, 'generate.py');
      const before = readFileSync(file, 'utf8');
      await wb.open(cs.folderUrl(workspace));
      await wb.openFile('generate.py');
      for (const [length, max] of [['concise', 10], ['3', 3]]) {
        await wb.goTo(lines(readFileSync(file, 'utf8')).length + 1, 1);
        const current = readFileSync(file, 'utf8');
        await wb.command('Treasure: Generate Code…');
        await wb.quickPick('Return the n-th Fibonacci number, iteratively.', undefined, 'Generate Code (1/2)');
        if (length === 'concise') {
          await wb.quickPick('concise', 'concise', 'Generate Code (2/2)');
        } else {
          await wb.quickPick('Exact number of lines', 'Exact number of lines', 'Generate Code (2/2)');
          await wb.quickPick(length, undefined, 'exact number of lines');
        }
        // Progress with Cancel while the model writes, then the insertion (the editor becomes dirty).
        const progress = wb.notifications().filter({ hasText: 'generating code' }).first();
        const dirty = wb.page.locator('.tabs-container .tab.active.dirty');
        await progress.or(dirty).first().waitFor({ timeout: T.model });
        if (await progress.isVisible()) {
          assert.ok(await progress.getByRole('button', { name: 'Cancel' }).isVisible(), 'the progress offers Cancel');
          await wb.screenshot(`generating-${length}`);
        }
        await dirty.waitFor({ timeout: T.model });
        const after = await saveAndRead(wb, file, (t) => t !== current);
        const inserted = lines(after).length - lines(current).length;
        log(`generate (${length}): ${inserted} lines inserted:\n${after.slice(current.replace(/\n+$/, '').length)}`);
        assert.ok(inserted >= 1 && inserted <= max, `${inserted} lines inserted, expected 1..${max}`);
        // the request asked for a function: code that fits and parses but is no function does not count
        assert.match(after.slice(current.replace(/\n+$/, '').length), /\bdef\s+\w+\s*\(/, 'the generated code defines the requested function');
        assert.ok(await pythonParses(file), 'the file with the generated code parses');
        await wb.screenshot(`generated-${length}`);
      }
      // One undoable edit per generation: undo twice restores the original file.
      await wb.page.keyboard.press('Control+Z');
      await wb.page.keyboard.press('Control+Z');
      const undone = await saveAndRead(wb, file, (t) => t === before);
      assert.equal(undone, before);
    },
  },
  {
    name: 'fix-all',
    workspace: 'basic',
    async run({ wb, cs, workspace }) {
      const file = join(workspace, 'fixall.py');
      const before = readFileSync(file, 'utf8');
      await wb.open(cs.folderUrl(workspace));
      await wb.openFile('fixall.py');
      await waitFor('two syntax errors', async () => (await wb.page.locator('.squiggly-error').count()) >= 2, T.server);
      await wb.command('Treasure: Fix All in File');
      // The preview: nothing is applied until the user applies it (or a message that no fix came).
      const preview = wb.page.locator('.refactor-preview, [id="refactorPreview"]').first();
      const none = wb.notifications().filter({ hasText: 'no fix it could prove for any problem' }).first();
      await preview.or(none).first().waitFor({ timeout: T.model });
      if (!(await preview.isVisible()) && (await none.isVisible())) {
        await wb.screenshot('no-fix');
        throw new Error(`Fix All: ${(await none.innerText()).split('\n')[0].trim()}`);
      }
      await wb.page.getByRole('button', { name: 'Apply' }).first().waitFor({ timeout: T.ui });
      await wb.screenshot('preview');
      assert.equal(readFileSync(file, 'utf8'), before, 'nothing is applied before the preview is accepted');
      assert.ok((await wb.page.locator('.squiggly-error').count()) >= 2);
      // Model-written fixes need confirmation: each starts unchecked. Check the file (all its fixes), then apply.
      const boxes = preview.locator(".edit-checkbox:visible");
      const entries = await boxes.count();
      assert.equal(entries, 3, `the preview lists the file and its two fixes (${entries - 1} fix(es) listed):\n${await preview.innerText()}`);
      await boxes.first().click();
      await waitFor('every fix checked', async () => (await preview.locator(".edit-checkbox[aria-checked=\"false\"]:visible").count()) === 0, T.ui);
      await wb.screenshot('preview-checked');
      await wb.page.getByRole('button', { name: 'Apply' }).first().click();
      await wb.page.locator('.tabs-container .tab.active.dirty').waitFor({ timeout: T.ui });
      await wb.focusEditorArea();
      // Read back from disk: both lines fixed as expected, nothing else changed; then no error in the editor.
      await saveAndRead(wb, file, (t) => t !== before);
      await assertFixed(file, expectedFile('basic', 'fixall.py'), 'fixall.py after Fix All');
      await waitFor('both errors gone from the editor', async () => (await wb.page.locator('.squiggly-error').count()) === 0, T.server);
      await wb.screenshot('applied');
    },
  },
  {
    name: 'restricted',
    workspace: 'untrusted',
    restricted: true,
    async run({ wb, cs, workspace, log }) {
      // The folder's settings ask for another model and the GPU; in Restricted Mode both are ignored.
      await wb.open(cs.folderUrl(workspace));
      await wb.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: T.ui });
      await wb.openFile('buggy.py');
      await wb.showOutput('Treasure: Show Output');
      const output = wb.page.locator('.panel .view-lines').first();
      await output.filter({ hasText: 'Restricted Mode' }).waitFor({ timeout: T.server });
      await wb.page.locator('.squiggly-error').first().waitFor({ timeout: T.server });
      await wb.screenshot('restricted-output');
      // The server loads the model from the default folder, not the workspace's. The status item
      // says "loading" until the server's status notification arrives (later on a busy machine).
      const status = await waitFor('the language status to name the loaded model', async () => {
        const text = await wb.languageStatus('Treasure');
        if (!/loading/.test(text)) return text;
        await wb.page.keyboard.press('Escape');
        return undefined;
      }, T.server, 500);
      log(`language status: ${status.replace(/\s+/g, ' ')}`);
      assert.doesNotMatch(status, /not-a-model/);
      assert.match(status, /Treasure: treasure\b/);
      await wb.screenshot('restricted-status');
      await wb.page.keyboard.press('Escape');
    },
  },
  {
    name: 'crash-restart',
    workspace: 'basic',
    async run({ wb, cs, workspace, log }) {
      await wb.open(cs.folderUrl(workspace));
      await wb.openFile('buggy.py');
      await wb.page.locator('.squiggly-error').first().waitFor({ timeout: T.server });
      const serverPid = () => descendants(cs.proc.pid).find((p) => p.cmd.includes('treasure') && p.cmd.includes('dist/server.js'))?.pid;
      await wb.showOutput('Treasure: Show Output');
      // The client restarts a crashed server (4 times within 3 minutes), then stops and says so.
      let pid = await waitFor('the language server process', serverPid, T.server);
      for (let crash = 1; crash <= 5; crash++) {
        process.kill(pid, 'SIGKILL');
        log(`killed the language server (pid ${pid}), crash ${crash}`);
        if (crash === 5) break;
        await wb.page.locator('.panel .view-lines').filter({ hasText: `(${crash} in this window): restarting it` }).first().waitFor({ timeout: T.server });
        const old = pid;
        pid = await waitFor('a new language server process', () => { const p = serverPid(); return p && p !== old ? p : undefined; }, T.server);
        // Serving again: the syntax errors come back from the new server.
        await wb.page.locator('.squiggly-error').first().waitFor({ timeout: T.server });
      }
      const message = wb.notifications().filter({ hasText: 'will not be restarted' }).first();
      await message.waitFor({ timeout: T.server });
      await wb.screenshot('gave-up');
      assert.equal(serverPid(), undefined, 'no server after the last crash');
      // "Restart Server" from the message starts it again.
      await message.getByRole('button', { name: 'Restart Server' }).click();
      const restarted = await waitFor('the restarted language server', serverPid, T.server);
      await wb.page.locator('.squiggly-error').first().waitFor({ timeout: T.server });
      await wb.screenshot('restarted');
      // A setting the model is loaded with (the device) changes: the server is restarted for it.
      const settingsFile = join(workspace, '.vscode/settings.json');
      writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(readFileSync(settingsFile, 'utf8')), 'treasure.device': 'cpu' }, null, 2));
      await wb.page.locator('.panel .view-lines').filter({ hasText: 'settings that need a new server changed' }).first().waitFor({ timeout: T.server });
      await waitFor('a server started for the new settings', () => { const p = serverPid(); return p && p !== restarted ? p : undefined; }, T.server);
      await wb.page.locator('.squiggly-error').first().waitFor({ timeout: T.server });
    },
  },
  {
    name: 'fix-test',
    workspace: 'tests',
    async run({ wb, cs, workspace, log }) {
      // a failing pytest test: the action on it names the test; applied and saved, the file on disk
      // makes pytest pass
      const source = join(workspace, 'bank.py');
      const before = readFileSync(source, 'utf8');
      const testsBefore = readFileSync(join(workspace, 'test_bank.py'), 'utf8');
      const failing = await pytestIn(workspace);
      assert.notEqual(failing.code, 0, 'the fixture must start with a failing test');
      await wb.open(cs.folderUrl(workspace));
      await wb.openFile('test_bank.py');
      const testLine = lines(readFileSync(join(workspace, 'test_bank.py'), 'utf8')).findIndex((l) => l.includes(`def ${FAILING_TEST}`));
      await wb.goTo(testLine + 2, 5);
      const row = wb.page.locator('.action-widget .monaco-list-row.action', { hasText: `Fix the code ${FAILING_TEST} exercises` }).first();
      await waitFor('the fix-test action in the menu', async () => {
        if (await row.isVisible()) return true;
        await wb.page.keyboard.press('Escape');
        await wb.focusEditorArea();
        await wb.page.keyboard.press('Control+.');
        return row.waitFor({ timeout: 10_000 }).then(() => true, () => false);
      }, T.server);
      const title = (await row.locator('.title').innerText()).trim();
      log(`action title: ${title}`);
      assert.equal(title, `Fix the code ${FAILING_TEST} exercises with Treasure`);
      await wb.screenshot('fix-test-menu');
      const t0 = Date.now();
      await row.click();
      // progress (with Cancel) while the tests run, then the message that names the proof
      const proof = wb.notifications().filter({ hasText: `${FAILING_TEST} passes` }).first();
      const none = wb.notifications().filter({ hasText: /Treasure: (cannot|no fix|only an unverified|nothing was run)/ }).first();
      const progress = wb.notifications().filter({ hasText: `running ${FAILING_TEST}` }).first();
      await progress.or(proof).or(none).first().waitFor({ timeout: T.model });
      if (await progress.isVisible()) {
        log(`progress: ${(await progress.innerText()).replace(/\s+/g, ' ').trim()}`);
        assert.ok(await progress.getByRole('button', { name: 'Cancel' }).isVisible(), 'the progress offers Cancel');
        await wb.screenshot('fix-test-progress');
      }
      await proof.or(none).first().waitFor({ timeout: T.model });
      if (!(await proof.isVisible())) {
        await wb.screenshot('no-fix');
        throw new Error(`fix-test: ${(await none.innerText()).split('\n')[0].trim()}`);
      }
      const message = (await proof.innerText()).split('\n')[0].trim();
      log(`message after ${Date.now() - t0} ms: ${message}`);
      assert.match(message, new RegExp(`${FAILING_TEST} passes, \\d+/\\d+ tests pass`));
      await wb.screenshot('fix-test-proven');
      // the edit is on bank.py (another document than the test; the message can come before the client
      // applies it): once bank.py is dirty, save everything and read it back from disk
      await wb.page.locator('.tabs-container .tab.dirty[aria-label*="bank.py"]').first().waitFor({ timeout: T.ui });
      let saves = 0;
      const after = await waitFor('bank.py saved with the fix', async () => {
        const t = readFileSync(source, 'utf8');
        if (t !== before) return t;
        if (saves++ < 3) await wb.command('File: Save All');
        return undefined;
      }, T.ui, 2000);
      log(`bank.py changed:\n${after.split('\n').filter((l, i) => l !== before.split('\n')[i]).join('\n')}`);
      assert.equal(readFileSync(join(workspace, 'test_bank.py'), 'utf8'), testsBefore, 'the test file is not changed');
      const passing = await pytestIn(workspace);
      log(`pytest after the fix: ${passing.output.split('\n').pop()}`);
      assert.equal(passing.code, 0, `pytest fails after the fix:\n${passing.output}`);
      await wb.screenshot('fix-test-saved');
    },
  },
  {
    name: 'neovim-fix-test',
    kind: 'nvim',
    workspace: 'tests',
    async run({ workspace, log, browser }) {
      await runNeovimFixTest({ workspace, log, browser, test: FAILING_TEST, pytestIn });
    },
  },
  {
    name: 'neovim',
    kind: 'nvim',
    workspace: 'basic',
    async run({ workspace, log, browser }) {
      await runNeovim({ workspace, log, browser, name: 'neovim' });
    },
  },
];
