// The Treasure language server: quick fixes written by the local marker-tuned model.
// Started as `treasure-language-server --stdio` (or --node-ipc / --socket=N).
// This file wires the connection to the rooms in lsp/: documents (revisions, analyses), settings (the
// trust rule), engines (load, queue, status), code actions, custom requests, diagnostics.
import {
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type InitializeParams,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analysisThreadMemory, stopAnalysisThread } from './analysis-thread';
import { startLoopMonitor, threadMemory } from './loop-monitor';
import { BusyError } from './model-queue';
import { DecodeAbortedError } from './decode';
import { stopEngines } from './engine-host';
import { CodeActions } from './lsp/code-actions';
import { CustomRequests } from './lsp/custom-requests';
import { SyntaxDiagnostics } from './lsp/diagnostics';
import { Documents } from './lsp/documents';
import { Engines } from './lsp/engines';
import { busyReply, cancellable, connectionIO, invalidParams, onRequest, pathOf, reporter } from './lsp/io';
import { SettingsStore } from './lsp/settings';
import { CodeActionKinds, FixAllRequest, GenerateRequest, MarkersAtRequest, StatusRequest } from './protocol';
import { FixTestActions } from './lsp/fix-test';
import { FramingError, lifecycleGate, transportFromArgs } from './transport';

export { actionTitle, fixTitle } from './lsp/titles';

export function startServer(connection: Connection): void {
  const io = connectionIO(connection);
  const report = reporter(io.log);
  const textDocuments = new TextDocuments(TextDocument);
  const documents = new Documents(io, textDocuments);
  const settings = new SettingsStore(io);
  const engines = new Engines(io);
  let resolveEdit = false;
  let folders: string[] = [];
  // "Fix the code test_x exercises" (lsp/fix-test.ts), served with the other code actions
  const fixTests = new FixTestActions({
    connection, documents: textDocuments, trusted: () => settings.trusted, folders: () => folders,
    revisionOf: (uri) => documents.revisionOf(uri), settingsFor: (doc) => settings.for(doc),
    engineFor: (s) => engines.engineFor(s), serialized: (fn, signal) => engines.queue.run('fixTest', () => fn(), { signal }), log: io.log,
  });
  const actions = new CodeActions(io, documents, settings, engines, () => resolveEdit, fixTests);
  const requests = new CustomRequests(io, documents, settings, engines);
  const diagnostics = new SyntaxDiagnostics(io, documents, settings);

  connection.onInitialize((params: InitializeParams) => {
    const caps = params.capabilities;
    resolveEdit = !!caps.textDocument?.codeAction?.resolveSupport?.properties.includes('edit');
    settings.initialize(params.initializationOptions as { settings?: unknown; trusted?: boolean } | undefined, !!caps.workspace?.configuration);
    folders = (params.workspaceFolders ?? []).map((f) => pathOf(f.uri)).concat(params.rootUri ? [pathOf(params.rootUri)] : []).filter((p): p is string => !!p);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeActionProvider: { codeActionKinds: [CodeActionKinds.fix, CodeActionKinds.rewriteFunction, CodeActionKinds.fixTest], resolveProvider: true },
      },
      serverInfo: { name: 'treasure-language-server', version: '0.1.0' },
    };
  });

  connection.onDidChangeConfiguration((change) => {
    settings.changed(change.settings);
    actions.clear(); // a fix computed with other markers or another model is not this one's
    for (const doc of documents.all()) diagnostics.schedule(doc);
  });
  textDocuments.onDidChangeContent((e) => {
    documents.changed(e.document.uri);
    diagnostics.schedule(e.document);
  });
  textDocuments.onDidClose((e) => {
    const uri = e.document.uri;
    settings.closed(uri);
    documents.closed(uri);
    actions.closed(uri);
    diagnostics.closed(uri);
  });

  connection.onCodeAction((params: CodeActionParams, token): Promise<CodeAction[]> => {
    const uri = (params as Partial<CodeActionParams> | null)?.textDocument?.uri;
    if (typeof uri !== 'string') return Promise.reject(invalidParams('codeAction needs textDocument.uri'));
    return cancellable(token, async (signal) => {
      try {
        return await actions.list(params, signal);
      } catch (e) {
        if (e instanceof DecodeAbortedError) throw e;
        if (e instanceof BusyError) throw busyReply(e);
        report('codeAction', e);
        return [];
      }
    });
  });
  connection.onCodeActionResolve((action, token): Promise<CodeAction> | CodeAction => {
    const data = CodeActions.dataOf(action);
    if (data === null) return action;
    if (data instanceof Error) return Promise.reject(data);
    const arrived = performance.now();
    return cancellable(token, (signal) => actions.resolve(action, data, arrived, signal));
  });

  onRequest(connection, MarkersAtRequest, (p) => requests.markersAt(p));
  onRequest(connection, GenerateRequest, (p, token) => requests.generate(p, token));
  onRequest(connection, FixAllRequest, (p, token) => requests.fixAll(p, token));
  onRequest(connection, StatusRequest, () => requests.status());

  // For the attack benchmark (bench/attack.ts): the longest the event loop was blocked since the last ask.
  if (process.env.TREASURE_LOOP_STATS === '1') {
    const monitor = startLoopMonitor();
    connection.onRequest('treasure/loopStats', async (p: { memory?: boolean } | null) => ({
      ...monitor.take(),
      queue: { ...engines.queue.counts, longest: Object.fromEntries(engines.queue.longest) },
      // { memory: true }: every thread's V8 heap after a full collection (node --expose-gc), then the RSS
      ...(p?.memory ? { threads: { main: threadMemory(), analysis: await analysisThreadMemory(), models: await Promise.all(engines.loadedEngines().map((e) => e.memory?.() ?? null)) }, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) } : {}),
    }));
  }

  // Warm-up: load the model for the workspace-wide settings now, so the first fix is quick.
  connection.onInitialized(() => void engines.engineFor(settings.workspace()).catch(() => undefined));

  textDocuments.listen(connection);
  connection.listen();
}
/** Serves LSP on the transport named on the command line (--stdio, --node-ipc, --socket=N, --pipe=NAME). */
export function main(): void {
  const { reader, writer, stdio } = transportFromArgs(process.argv.slice(2), process.stdin, process.stdout);
  const reply = (m: Parameters<typeof writer.write>[0]) => void writer.write(m).catch(() => undefined);
  const stopThreads = async (): Promise<void> => {
    await Promise.race([Promise.all([stopEngines(), stopAnalysisThread()]), new Promise((r) => setTimeout(r, 10_000))]);
  };
  let shutDown = false;
  // the model and analysis threads stop before `exit` reaches the connection (which exits at once)
  const connection = createConnection(ProposedFeatures.all, lifecycleGate(reader, reply, () => stopThreads()), writer);
  // A frame the reader cannot resync after: exit, so that the client restarts the server (it would
  // otherwise stay up and never read again).
  reader.onError((e) => {
    const err = Array.isArray(e) ? e[0] : e;
    if (!(err instanceof FramingError)) return;
    process.stderr.write(`[treasure] unreadable message from the client (${err.message}); exiting so that the client restarts the server\n`);
    void stopThreads().then(() => process.exit(1));
  });
  connection.onShutdown(() => { shutDown = true; });
  reader.onClose(() => void stopThreads().then(() => process.exit(shutDown ? 0 : 1)));
  if (stdio) {
    // stdout carries the protocol: console output goes to the client's log instead
    const to = (f: (m: string) => void) => (...args: unknown[]) => f(args.map(String).join(' '));
    console.log = console.info = to((m) => connection.console.log(m));
    console.warn = to((m) => connection.console.warn(m));
    console.error = to((m) => connection.console.error(m));
  }
  process.on('uncaughtException', (e) => connection.console.error(`[treasure] uncaught: ${e.stack ?? e}`));
  process.on('unhandledRejection', (e) => connection.console.error(`[treasure] unhandled: ${(e as Error)?.stack ?? e}`));
  startServer(connection);
}

// Run directly (node dist/server.js --stdio, as the VS Code client does): serve. The bin/ launcher calls main().
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) main();
