// End-to-end tests in a real VS Code (code-server, driven in Debian's Chromium by playwright-core)
// and in Neovim. Prerequisites: bash scripts/install-e2e.sh. Run: npm run test:e2e [-- --only NAME]
// [--vsix FILE] [--keep]. Screenshots go to test-artifacts/e2e/. Ends with "N passed, N failed".
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { CodeServer } from './lib/code-server.mjs';
import { artifacts, checkTools, root, tempDir } from './lib/env.mjs';
import { Workbench, launchBrowser } from './lib/workbench.mjs';
import { scenarios } from './scenarios.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    vsix: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'no-model': { type: 'boolean', default: false },
  },
});

function log(msg) {
  console.log(`[e2e] ${msg}`);
}

async function main() {
  checkTools();
  rmSync(artifacts, { recursive: true, force: true });
  let vsix = values.vsix;
  if (!vsix) {
    log('packaging the extension (npm run package)');
    const args = ['scripts/package.mjs', '--out', 'build/e2e/treasure-e2e.vsix'];
    if (values['no-model']) args.push('--no-model');
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('npm run package failed');
    vsix = join(root, 'build/e2e/treasure-e2e.vsix');
  }

  const selected = scenarios.filter((s) => !values.only || values.only.includes(s.name));
  const dir = tempDir('run');
  const results = [];
  // Two code-servers: workspaces trusted (Workspace Trust off), and one with Workspace Trust on
  // where a new folder opens in Restricted Mode (started only for the scenarios that need it).
  const cs = new CodeServer(join(dir, 'code-server'));
  const csRestricted = new CodeServer(join(dir, 'code-server-restricted'));
  const servers = [cs, csRestricted];
  let browser;
  try {
    cs.writeUserSettings({ 'security.workspace.trust.enabled': false });
    csRestricted.writeUserSettings({ 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false });
    const needsBrowser = selected.some((s) => s.kind !== 'nvim');
    if (needsBrowser) {
      log(`installed: ${await cs.installExtension(vsix)}`);
      log(`code-server at ${await cs.start()}`);
      browser = await launchBrowser();
    }
    for (const s of selected) {
      const t0 = Date.now();
      const ws = join(dir, `ws-${s.name}`);
      cpSync(join(root, 'test/e2e/workspace', s.workspace ?? 'basic'), ws, { recursive: true });
      let wb;
      try {
        if (s.kind === 'nvim') {
          await s.run({ workspace: ws, log });
        } else {
          let server = cs;
          if (s.restricted) {
            server = csRestricted;
            if (!server.url) {
              await server.installExtension(vsix);
              log(`code-server (Workspace Trust on) at ${await server.start()}`);
            }
          }
          const page = await browser.newPage();
          wb = new Workbench(page, s.name);
          await s.run({ wb, cs: server, workspace: ws, log });
        }
        results.push({ name: s.name, ok: true, ms: Date.now() - t0 });
        console.log(`✔ ${s.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        if (wb) await wb.screenshot('failure').catch(() => undefined);
        results.push({ name: s.name, ok: false, ms: Date.now() - t0, error: e });
        console.log(`✖ ${s.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n  ${(e && e.stack) || e}`);
      } finally {
        await wb?.close();
      }
    }
  } finally {
    await browser?.close().catch(() => undefined);
    for (const server of servers) {
      await server.stop();
      if (server.url && results.some((r) => !r.ok)) console.log(`[e2e] code-server log (last 3000 chars):\n${server.log.slice(-3000)}`);
    }
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  if (existsSync(artifacts)) log(`screenshots: ${artifacts}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed || results.length === 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
