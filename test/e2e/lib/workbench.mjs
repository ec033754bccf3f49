// Drives the VS Code workbench (code-server) in Debian's Chromium through playwright-core.
// Every wait is on a condition (an element, a text, a file's content), with a generous upper bound.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifacts, chromiumPath, playwright } from './env.mjs';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Upper bounds of condition waits (not sleeps): the model runs on 2 CPU cores in CI. */
export const T = { ui: 30_000, server: 180_000, model: 300_000 };

export async function launchBrowser() {
  const { chromium } = playwright();
  const userDataDir = mkdtempSync(join(tmpdir(), 'treasure-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 900 },
  });
  return context;
}

export class Workbench {
  constructor(page, name) {
    this.page = page;
    this.name = name;
    this.shots = [];
  }

  async open(url) {
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: T.server });
    await this.page.locator('.statusbar').waitFor({ timeout: T.ui });
    // The explorer shows the folder once the remote file system is up.
    await this.page.locator('.explorer-folders-view').waitFor({ timeout: T.server });
  }

  async screenshot(label) {
    mkdirSync(artifacts, { recursive: true });
    const file = join(artifacts, `${this.name}-${String(this.shots.length + 1).padStart(2, '0')}-${label}.png`);
    await this.page.screenshot({ path: file });
    this.shots.push(file);
    return file;
  }

  quickInput() {
    return this.page.locator('.quick-input-widget');
  }

  /**
   * Types into the quick input and presses Enter. `expect`: wait until the focused row shows it first;
   * `title`: wait for this step's title first (the widget is reused from one step to the next).
   */
  async quickPick(text, expect, title) {
    const input = this.quickInput().locator('input.input');
    if (title) await this.quickInput().locator('.quick-input-title', { hasText: title }).waitFor({ timeout: T.ui });
    await input.waitFor({ state: 'visible', timeout: T.ui });
    await input.fill(text);
    if (expect) {
      await this.quickInput()
        .locator('.monaco-list-row.focused .label-name', { hasText: expect })
        .first()
        .waitFor({ timeout: T.ui });
    }
    await input.press('Enter');
  }

  /** Runs a command from the command palette by its title. */
  async command(title) {
    await this.focusEditorArea();
    await this.page.keyboard.press('F1');
    await this.quickInput().locator('input.input').waitFor({ state: 'visible', timeout: T.ui });
    await this.quickPick(`>${title}`, title);
  }

  /**
   * Runs a command that opens an output channel and waits until the panel shows its text. A palette
   * command typed while the workbench is still busy can be lost (seen once in CI: the panel never
   * opened), so it is run again, up to three times, before giving up.
   */
  async showOutput(title) {
    const lines = this.page.locator('.panel .view-lines').first();
    for (let attempt = 1; ; attempt++) {
      await this.command(title);
      try {
        await lines.waitFor({ state: 'visible', timeout: 10_000 });
        return;
      } catch (err) {
        if (attempt >= 3) throw new Error(`"${title}" did not open the output panel (3 tries): ${err.message}`);
        await this.page.keyboard.press('Escape');
      }
    }
  }

  async focusEditorArea() {
    const editor = this.page.locator('.editor-instance .monaco-editor textarea, .monaco-editor .native-edit-context').first();
    if (await editor.count()) await editor.focus().catch(() => undefined);
  }

  /** Opens a workspace file with Quick Open and waits for its editor tab. */
  async openFile(relPath) {
    const base = relPath.split('/').pop();
    await this.page.keyboard.press('F1');
    await this.quickPick(relPath, base);
    await this.page.locator(`.tabs-container .tab[aria-label*="${base}"]`).first().waitFor({ timeout: T.ui });
    await this.page.locator('.editor-instance .monaco-editor').first().waitFor({ timeout: T.ui });
  }

  /** Puts the cursor at 1-based line/column with "Go to Line". */
  async goTo(line, column = 1) {
    await this.page.keyboard.press('Control+G');
    await this.quickPick(`:${line}:${column}`);
  }

  /** Moves the cursor to the first problem in the file (Go to Next Problem, F8), then closes its peek. */
  async firstProblem() {
    await this.goTo(1, 1);
    await this.page.keyboard.press('F8');
    const peek = this.page.locator('.marker-widget').first();
    await peek.waitFor({ timeout: T.ui });
    const message = (await peek.locator('.descriptioncontainer, .message').first().innerText().catch(() => '')).trim();
    // Escape closes the peek, unless a notification took it first: press it until the peek is gone.
    const deadline = Date.now() + T.ui;
    while (await peek.isVisible()) {
      if (Date.now() > deadline) throw new Error('the problem peek did not close');
      await this.focusEditorArea();
      await this.page.keyboard.press('Escape');
      await peek.waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined);
    }
    return message;
  }

  /** The language status hover ({} in the status bar) as text, left open for a screenshot. */
  async languageStatus(expect) {
    const item = this.page.locator('#status\\.languageStatus, .statusbar-item[id*="languageStatus"]').first();
    await item.click();
    const hover = this.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: expect }).first();
    await hover.waitFor({ timeout: T.ui });
    return hover.innerText();
  }

  /** Output panel text for a channel (opened through the channel's own command or the picker). */
  async outputText() {
    const out = this.page.locator('.panel .output-view .view-lines, .panel [id="workbench.panel.output"] .view-lines').first();
    await out.waitFor({ timeout: T.ui });
    return out.innerText();
  }

  notifications() {
    return this.page.locator('.notifications-toasts .notification-toast, .notification-list-item');
  }

  async close() {
    await this.page.close().catch(() => undefined);
  }
}
