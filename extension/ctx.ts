// The extension's state: the output channel, the settings reader, the status item and the
// language client, with start / stop / restart. Restarts after a crash are bounded (restart.ts);
// settings that need a new server process (model, device, enable) and a newly granted Workspace
// Trust restart it.
import * as vscode from 'vscode';
import { DidChangeConfigurationNotification, State, type LanguageClient } from 'vscode-languageclient/node';
import { createClient, documentSelector, errorHandler } from './client';
import { Config } from './config';
import { StatusNotification, StatusRequest } from '../language-server/src/protocol';
import { onNotification, request } from './requests';
import { RestartPolicy } from './restart';
import { RESTART_SETTINGS } from './settings';
import { Status, fromServer } from './status';

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly config: Config;
  readonly status: Status;
  private client: LanguageClient | undefined;
  private readonly policy = new RestartPolicy();
  private readonly subscriptions: vscode.Disposable[] = [];
  private clientSubscriptions: vscode.Disposable[] = [];
  /** Serializes start/stop so that quick successive restarts never overlap. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Treasure', { log: true });
    this.config = new Config(this.log);
    this.status = new Status(documentSelector());
    this.subscriptions.push(
      this.log,
      this.status,
      vscode.workspace.onDidChangeConfiguration((e) => this.onConfigurationChanged(e)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.log.info('workspace trusted: restarting the server with the workspace settings');
        void this.restart();
      }),
      vscode.workspace.onDidOpenTextDocument((doc) => {
        if (doc.uri.scheme === 'file' || doc.uri.scheme === 'untitled') this.config.report(this.config.resolve({ uri: doc.uri, languageId: doc.languageId }).problems);
      }),
    );
  }

  /** The running client, or an error message for the user. */
  get running(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  async requireClient(): Promise<LanguageClient> {
    if (!this.client) await this.start();
    const c = this.client;
    if (!c) throw new Error('The Treasure language server is not running. See "Treasure: Show Output".');
    if (c.state !== State.Running) {
      // Starting: wait for it (the model loads at server start).
      await c.start().catch(() => undefined);
    }
    if (c.state !== State.Running) throw new Error('The Treasure language server is not running. See "Treasure: Show Output".');
    return c;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      this.policy.reset();
      await this.doStart();
    });
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async doStart(): Promise<void> {
    if (this.client) return;
    this.config.checkAll();
    const serverModule = this.extension.asAbsolutePath('dist/server.js');
    const restrictedNote = this.config.trusted ? '' : ' (Restricted Mode: workspace settings cannot change the model or the device)';
    this.log.info(`starting ${serverModule}${restrictedNote}`);
    this.status.update({ state: 'loading', message: 'loading the model' });
    const client = createClient({
      serverModule,
      config: this.config,
      log: this.log,
      onFixLatency: (ms) => {
        this.status.latency(ms);
        void this.refreshStatus(client);
      },
      errorHandler: errorHandler(
        () => {
          const d = this.policy.onCrash(Date.now());
          if (d.restart) this.log.warn(`the language server stopped unexpectedly (${d.crashes} in this window): restarting it`);
          return d;
        },
        (message) => {
          this.log.error(message);
          this.status.stopped('crashed repeatedly');
          void vscode.window.showErrorMessage(message, 'Show Output', 'Restart Server').then((pick) => {
            if (pick === 'Show Output') this.log.show();
            if (pick === 'Restart Server') void this.restart();
          });
        },
      ),
    });
    this.client = client;
    this.clientSubscriptions.push(
      // Sent by the server when the model loads or fails (also answers the treasure/status request).
      onNotification(client, StatusNotification, (s) => this.status.update(fromServer(s))),
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) void this.refreshStatus(client);
        else if (e.newState === State.Starting) this.status.update({ state: 'loading', message: 'restarting the server' });
      }),
    );
    try {
      await client.start();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.error(`the language server failed to start: ${message}`);
      this.status.stopped(`failed to start: ${message}`);
      void vscode.window.showErrorMessage(`Treasure: the language server failed to start: ${message}`, 'Show Output').then((pick) => {
        if (pick) this.log.show();
      });
    }
  }

  async refreshStatus(client: LanguageClient): Promise<void> {
    try {
      const s = await request(client, StatusRequest, undefined);
      if (s && typeof s === 'object') this.status.update(fromServer(s));
    } catch (e) {
      // A server without treasure/status still works; its notifications (if any) update the item.
      this.log.debug(`treasure/status: ${e instanceof Error ? e.message : String(e)}`);
      if (this.status.current.state === 'loading') this.status.update({ state: 'ready' });
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientSubscriptions) d.dispose();
    this.clientSubscriptions = [];
    if (!client) return;
    try {
      if (client.state !== State.Stopped) await client.stop(10_000);
    } catch (e) {
      this.log.warn(`stopping the server: ${e instanceof Error ? e.message : String(e)}`);
    }
    await client.dispose().catch(() => undefined);
  }

  private onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
    if (!e.affectsConfiguration('treasure')) return;
    this.config.forgetReported();
    const needsRestart = RESTART_SETTINGS.some((s) => e.affectsConfiguration(s));
    if (needsRestart) {
      this.log.info('settings that need a new server changed: restarting');
      void this.restart();
      return;
    }
    this.config.checkAll();
    const client = this.running;
    if (client) {
      // The server pulls per-document values (workspace/configuration) after this.
      void client.sendNotification(DidChangeConfigurationNotification.type, { settings: { treasure: this.config.resolve().settings } });
    }
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }

  async deactivate(): Promise<void> {
    await this.stop();
    this.dispose();
  }
}
