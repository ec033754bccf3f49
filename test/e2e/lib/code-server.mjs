// code-server (VS Code in the browser) from npm, run on Node 24 with a fresh user-data-dir and
// extensions-dir; the .vsix installed with --install-extension, as a user would.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeServerEntry, exec, freePort, node24 } from './env.mjs';

/** User settings that keep the workbench quiet and deterministic (no welcome page, tips, updates, AI panes). */
export const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'files.autoSave': 'off',
  'editor.minimap.enabled': false,
  'window.restoreWindows': 'none',
  'workbench.editor.enablePreview': false,
  'git.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export class CodeServer {
  constructor(dir) {
    this.dir = dir;
    this.userDataDir = join(dir, 'user-data');
    this.extensionsDir = join(dir, 'extensions');
    this.config = join(dir, 'config.yaml');
    this.log = '';
    mkdirSync(join(this.userDataDir, 'User'), { recursive: true });
    mkdirSync(this.extensionsDir, { recursive: true });
    writeFileSync(this.config, 'auth: none\n');
  }

  args(extra) {
    return [codeServerEntry, '--config', this.config, '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir, ...extra];
  }

  writeUserSettings(settings = {}) {
    writeFileSync(join(this.userDataDir, 'User/settings.json'), JSON.stringify({ ...USER_SETTINGS, ...settings }, null, 2));
  }

  async installExtension(vsix) {
    const r = await exec(node24, this.args(['--install-extension', vsix, '--force']), { env: this.env() });
    const out = `${r.stdout}${r.stderr}`;
    if (r.code !== 0 || !/successfully installed/i.test(out)) throw new Error(`--install-extension ${vsix} failed (${r.code}):\n${out}`);
    const list = await exec(node24, this.args(['--list-extensions', '--show-versions']), { env: this.env() });
    return list.stdout.trim();
  }

  env() {
    // No ambient config: code-server and VS Code read XDG and HOME paths.
    return { ...process.env, XDG_CONFIG_HOME: join(this.dir, 'xdg-config'), XDG_DATA_HOME: join(this.dir, 'xdg-data'), CS_DISABLE_GETTING_STARTED_OVERRIDE: '1' };
  }

  /** Starts the server and resolves once it listens (its own log line says so). */
  async start() {
    this.port = await freePort();
    const args = this.args([
      '--bind-addr', `127.0.0.1:${this.port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ]);
    this.proc = spawn(node24, args, { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    await new Promise((resolve, reject) => {
      const onData = (d) => {
        this.log += d;
        if (/HTTP server listening on/i.test(this.log)) resolve();
      };
      this.proc.stdout.on('data', onData);
      this.proc.stderr.on('data', onData);
      this.proc.once('exit', (code) => reject(new Error(`code-server exited (${code}) before listening:\n${this.log}`)));
    });
    this.url = `http://127.0.0.1:${this.port}`;
    return this.url;
  }

  folderUrl(folder) {
    return `${this.url}/?folder=${encodeURIComponent(folder)}`;
  }

  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
