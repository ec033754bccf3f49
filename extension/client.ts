// The LanguageClient: the bundled server (dist/server.js) over node IPC, the documents it serves
// (every language of the taxonomy), and the settings it gets: the client answers the server's
// workspace/configuration requests itself, per document and language, validated and restricted
// by Workspace Trust (the server never sees a raw, unchecked treasure.* value).
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { category } from '../language-server/src/markers';
import { type CodeActionData } from '../language-server/src/protocol';
import { SETTINGS_SECTION } from '../language-server/src/settings';
import type { Config } from './config';

/** VS Code language ids the server handles: the keys of code_type.languageIds in models/markers.json. */
export function languageIds(): string[] {
  return Object.keys(category('code_type').languageIds ?? {});
}

function isTreasureAction(a: vscode.CodeAction | vscode.Command): boolean {
  const data = (a as { data?: Partial<CodeActionData> }).data;
  return !!data && data.treasure === 1;
}

export function documentSelector(): Array<{ scheme: string; language: string }> {
  return languageIds().flatMap((language) => [
    { scheme: 'file', language },
    { scheme: 'untitled', language },
  ]);
}

export function createClient(opts: {
  serverModule: string;
  config: Config;
  log: vscode.LogOutputChannel;
  errorHandler: ErrorHandler;
  /** A Treasure fix was computed in `ms` (code action resolved, as the user waited for it). */
  onFixLatency: (ms: number) => void;
}): LanguageClient {
  const { config, log } = opts;
  const start = config.resolve();
  const env = { ...process.env, TREASURE_CLIENT: 'vscode' };
  const serverOptions: ServerOptions = {
    run: { module: opts.serverModule, transport: TransportKind.ipc, options: { env } },
    debug: { module: opts.serverModule, transport: TransportKind.ipc, options: { env, execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(),
    outputChannel: log,
    // Settings the model is loaded with; later changes to these restart the server (ctx.ts).
    initializationOptions: { settings: start.settings, trusted: config.trusted },
    errorHandler: opts.errorHandler,
    middleware: {
      // The time the user waits for a Treasure fix: resolving its code action (the model runs then).
      resolveCodeAction: async (item, token, next) => {
        const t0 = performance.now();
        const resolved = await withTestProgress(item, token, async (t) => await next(item, t));
        if (isTreasureAction(item) && resolved?.edit) opts.onFixLatency(performance.now() - t0);
        return resolved;
      },
      // A syntax error's fix comes proven with the list of actions (its title says what proved it): the
      // wait is the list's
      provideCodeActions: async (document, range, context, token, next) => {
        const t0 = performance.now();
        const actions = await next(document, range, context, token);
        if (Array.isArray(actions) && actions.some((a) => isTreasureAction(a) && 'edit' in a && a.edit)) opts.onFixLatency(performance.now() - t0);
        return actions;
      },
      workspace: {
        configuration: async (params, token, next) => {
          // `treasure` sections are answered here: resolved for the document's language, validated,
          // Workspace Trust applied. From `[language]` sections the treasure.* keys are removed (they
          // are merged into `treasure` already), so nothing unchecked reaches the server.
          const mine = params.items.map((item) => isOurs(item.section));
          const others = params.items.filter((_, i) => !mine[i]);
          const theirs = others.length ? await next({ items: others }, token) : [];
          if (theirs instanceof Error) return theirs;
          let j = 0;
          return params.items.map((item, i) => {
            if (!mine[i]) {
              const v = (theirs as unknown[])[j++];
              return item.section?.startsWith('[') ? withoutTreasureKeys(v) : v;
            }
            const r = config.resolve(config.scopeOf(item.scopeUri));
            config.report(r.problems);
            return pick(r.settings, item.section!);
          });
        },
      },
    },
  };
  return new LanguageClient('treasure', 'Treasure', serverOptions, clientOptions);
}

/**
 * "Fix the code test_x exercises": its resolve runs the tests and a search (seconds), so it is shown as a
 * notification with Cancel (the server's own $/progress lands in the status bar, where VS Code offers no
 * Cancel); Cancel cancels the request, and the server kills the tests' process groups.
 */
async function withTestProgress(
  item: vscode.CodeAction,
  token: vscode.CancellationToken,
  run: (token: vscode.CancellationToken) => Promise<vscode.CodeAction | null | undefined>,
): Promise<vscode.CodeAction | null | undefined> {
  const data = (item as { data?: Partial<CodeActionData> }).data;
  if (!data || data.treasure !== 1 || data.kind !== 'fixTest') return run(token);
  const title = `Treasure: running ${data.test ?? 'the test'} and proving a fix of the code it exercises…`;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, cancel) => {
    const both = new vscode.CancellationTokenSource();
    const subs = [token.onCancellationRequested(() => both.cancel()), cancel.onCancellationRequested(() => both.cancel())];
    return run(both.token).finally(() => {
      subs.forEach((s) => s.dispose());
      both.dispose();
    });
  });
}

function isOurs(section: string | undefined): boolean {
  if (!section) return false;
  return section === SETTINGS_SECTION || section.startsWith(SETTINGS_SECTION + '.');
}

function withoutTreasureKeys(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!isOurs(k)) out[k] = x;
  return out;
}

/** `treasure` -> the whole object; `treasure.model.path` -> that value. */
function pick(settings: object, section: string): unknown {
  let v: unknown = settings;
  for (const part of section.split('.').slice(1)) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v ?? null;
}

/** Restart after a crash unless `decide` says the crashes are too many; errors on the connection shut down after a few. */
export function errorHandler(decide: () => { restart: boolean; message?: string }, onGiveUp: (message: string) => void): ErrorHandler {
  return {
    error: (_error, _message, count) => ({ action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
    closed: () => {
      const d = decide();
      if (d.restart) return { action: CloseAction.Restart, handled: true };
      onGiveUp(d.message ?? 'The Treasure language server stopped.');
      return { action: CloseAction.DoNotRestart, handled: true };
    },
  };
}
