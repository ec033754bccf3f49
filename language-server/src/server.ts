// The Treasure language server: quick fixes written by the local marker-tuned model.
// Started as `treasure-language-server --stdio` (or --node-ipc / --socket=N).
import {
  CodeAction,
  CodeActionKind,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type CancellationToken,
  type CodeActionParams,
  type Connection,
  type Diagnostic,
  type InitializeParams,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  analyze,
  contextMarkers,
  diagnosticTarget,
  functionTarget,
  issuesOn,
  syntaxTarget,
  type Analysis,
  type DiagnosticLike,
  type FixTarget,
} from './context';
import { DecodeAbortedError } from './decode';
import { describeDevice } from './device';
import { Engine, InputError, ModelError, defaultModelDir, markersAt, type FixResult, type MarkerReport } from './engine';
import { resolveLanguage, type LanguageInfo } from './grammars';
import { mergeMarkers, orderedEntries, sanitizeMarkers, type MarkerKey, type Markers } from './markers';
import { loadableGrammars } from './parsing';
import {
  CodeActionKinds,
  DEFAULT_SETTINGS,
  FixAllRequest,
  GenerateRequest,
  MarkersAtRequest,
  SETTINGS_SECTION,
  StatusRequest,
  resolveSettings,
  type CodeActionData,
  type FixAllParams,
  type FixAllResult,
  type GenerateParams,
  type GenerateResult,
  type MarkersAtParams,
  type MarkersAtResult,
  type StatusResult,
  type TreasureSettings,
} from './protocol';
import { applyTextEdits, type TextEdit } from './repair/text';

/** Categories worth showing in an action title. */
const TITLE_KEYS: MarkerKey[] = ['task', 'code_type', 'domain', 'error_type', 'length_bucket'];

export function actionTitle(kind: CodeActionData['kind'], given: Markers, inferred?: Markers): string {
  const head = kind === 'fix' ? 'Fix with Treasure' : 'Fix this function with Treasure';
  const shown = orderedEntries(given).filter(([k]) => TITLE_KEYS.includes(k)).map(([, v]) => v);
  let title = `${head} — ${shown.join(' · ')}`;
  if (inferred) {
    const inf = orderedEntries(inferred).filter(([k]) => TITLE_KEYS.includes(k)).map(([k, v]) => `${k}=${v}`);
    if (inf.length) title += ` (model inferred ${inf.join(', ')})`;
  } else {
    const open = TITLE_KEYS.filter((k) => given[k] === undefined);
    if (open.length) title += ` (model infers ${open.join(', ')})`;
  }
  return title;
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let hasConfiguration = false;
  let resolveEdit = false;
  let globalSettings: unknown = undefined;
  // An untrusted workspace must not choose the model or the device: those come from the client's
  // filtered settings (initializationOptions) only.
  let trusted = true;
  let initSettings: TreasureSettings = structuredClone(DEFAULT_SETTINGS);
  const settingsCache = new Map<string, Promise<TreasureSettings>>();
  const analyses = new Map<string, { version: number; analysis: Promise<Analysis> }>();
  const engines = new Map<string, Promise<Engine>>();
  const engineErrors = new Map<string, string>();
  const published = new Set<string>();
  const diagTimers = new Map<string, NodeJS.Timeout>();
  const loggedLanguages = new Set<string>();

  const log = (msg: string) => connection.console.log(`[treasure] ${msg}`);

  connection.onInitialize((params: InitializeParams) => {
    const caps = params.capabilities;
    hasConfiguration = !!caps.workspace?.configuration;
    resolveEdit = !!caps.textDocument?.codeAction?.resolveSupport?.properties.includes('edit');
    const opts = params.initializationOptions as { settings?: unknown; trusted?: boolean } | undefined;
    if (opts?.settings) {
      globalSettings = opts.settings;
      initSettings = resolveSettings(opts.settings);
    }
    if (opts?.trusted === false) trusted = false;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeActionProvider: {
          codeActionKinds: [CodeActionKinds.fix, CodeActionKinds.rewriteFunction],
          resolveProvider: true,
        },
      },
      serverInfo: { name: 'treasure-language-server', version: '0.1.0' },
    };
  });

  // ---- settings, per document ---------------------------------------------------------------
  function restrict(s: TreasureSettings): TreasureSettings {
    if (trusted) return s;
    return { ...s, model: { ...initSettings.model }, device: initSettings.device };
  }

  function settingsFor(doc: TextDocument): Promise<TreasureSettings> {
    if (!hasConfiguration) return Promise.resolve(restrict(resolveSettings(globalSettings)));
    let s = settingsCache.get(doc.uri);
    if (!s) {
      s = connection.workspace
        .getConfiguration([
          { scopeUri: doc.uri, section: SETTINGS_SECTION },
          { scopeUri: doc.uri, section: `[${doc.languageId}]` },
        ])
        .then((r: unknown[]) => {
          const settings = restrict(resolveSettings(r[0], r[1]));
          const bad = sanitizeMarkers(settings.markers).errors;
          if (bad.length) log(`settings for ${doc.uri}: ignoring ${bad.join('; ')}`);
          return settings;
        })
        .catch((e: unknown) => {
          log(`cannot read settings for ${doc.uri}: ${(e as Error).message}`);
          return structuredClone(DEFAULT_SETTINGS);
        });
      settingsCache.set(doc.uri, s);
    }
    return s;
  }

  connection.onDidChangeConfiguration((change) => {
    const s = (change.settings as Record<string, unknown> | undefined)?.[SETTINGS_SECTION];
    if (s) globalSettings = s;
    settingsCache.clear();
    for (const doc of documents.all()) scheduleDiagnostics(doc);
  });

  // ---- analysis, per document version --------------------------------------------------------
  function languageOf(doc: TextDocument): LanguageInfo | null {
    const lang = resolveLanguage(doc.languageId);
    if ((!lang || !lang.grammar) && !loggedLanguages.has(doc.languageId)) {
      loggedLanguages.add(doc.languageId);
      log(`${doc.languageId}: ${lang ? 'no grammar ships for it' : 'not a language Treasure knows'}; no fixes offered`);
    }
    return lang && lang.grammar ? lang : null;
  }

  function analysisOf(doc: TextDocument, lang: LanguageInfo): Promise<Analysis> {
    const have = analyses.get(doc.uri);
    if (have && have.version === doc.version) return have.analysis;
    const analysis = analyze(doc.getText(), lang, pathOf(doc.uri));
    analyses.set(doc.uri, { version: doc.version, analysis });
    analysis.catch(() => analyses.delete(doc.uri));
    return analysis;
  }

  // ---- the model ------------------------------------------------------------------------------
  const loadedEngines = new Map<string, Engine>();
  let languages: Promise<string[]> | undefined;
  const languagesOk = () => (languages ??= loadableGrammars());

  async function notifyStatus(dir: string, engine: Engine | null, error: string | null): Promise<void> {
    const status: StatusResult = { modelDir: dir, modelLoaded: !!engine, device: engine?.device ?? null, deviceInfo: engine?.deviceInfo ?? null, error, languages: await languagesOk() };
    await connection.sendNotification(StatusRequest, status).catch(() => undefined);
  }

  function engineFor(settings: TreasureSettings): Promise<Engine> {
    const dir = settings.model.path || defaultModelDir();
    const key = `${dir}\u0000${settings.device}`;
    let e = engines.get(key);
    if (!e) {
      const t0 = performance.now();
      e = Engine.load({ modelDir: dir, device: settings.device });
      e.then((eng) => loadedEngines.set(key, eng), () => undefined);
      e.then(
        (eng) => {
          engineErrors.delete(key);
          log(`model loaded from ${eng.modelDir} on ${eng.device} in ${Math.round(performance.now() - t0)} ms`);
          if (eng.deviceInfo) log(`device: ${describeDevice(eng.deviceInfo)}; tried ${eng.deviceInfo.tried.map((t) => `${t.provider} ${t.ok ? 'ok' : t.skipped ? 'skipped' : 'failed'}`).join(', ')}`);
          void notifyStatus(dir, eng, null);
        },
        (err: unknown) => {
          engines.delete(key);
          engineErrors.set(key, (err as Error).message);
          log(`model: ${(err as Error).message}`);
          void notifyStatus(dir, null, (err as Error).message);
        },
      );
      engines.set(key, e);
    }
    return e;
  }

  // One decode at a time: the CPU is shared, and a queued request may be cancelled before it runs.
  let queue: Promise<unknown> = Promise.resolve();
  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  function signalOf(token: CancellationToken | undefined): AbortSignal | undefined {
    if (!token) return undefined;
    const ac = new AbortController();
    if (token.isCancellationRequested) ac.abort();
    token.onCancellationRequested(() => ac.abort());
    return ac.signal;
  }

  interface Computed { fix: FixResult | null; reason?: string }
  const fixCache = new Map<string, { version: number; result: Computed }>();

  async function computeFix(doc: TextDocument, data: CodeActionData, token?: CancellationToken): Promise<Computed> {
    const key = cacheKey(data);
    const cached = fixCache.get(key);
    if (cached && cached.version === doc.version) return cached.result;
    const settings = await settingsFor(doc);
    const engine = await engineFor(settings);
    const text = doc.getText();
    const version = doc.version;
    const signal = signalOf(token);
    const outcome = await serialized(() =>
      engine.fixDetailed({
        text,
        languageId: doc.languageId,
        line: data.line,
        diagnostics: data.diagnostic ? [data.diagnostic] : [],
        settingsMarkers: settings.markers,
        mode: data.kind === 'rewriteFunction' ? 'function' : 'auto',
        path: pathOf(doc.uri),
        maxTokens: settings.maxFixTokens,
        signal,
      }),
    );
    const result: Computed = { fix: outcome.fix, reason: outcome.reason };
    log(
      `fix ${doc.uri}:${data.line + 1} v${version}: ${outcome.fix ? `${outcome.fix.edits.length} edit(s)` : `none (${outcome.reason})`} in ${outcome.latencyMs} ms` +
        (outcome.tokens ? ` [prompt ${outcome.tokens.prompt} tok, completion ${outcome.tokens.completion} tok]` : ''),
    );
    fixCache.set(key, { version, result });
    return result;
  }

  function cacheKey(d: CodeActionData): string {
    return `${d.uri}\u0000${d.kind}\u0000${d.line}\u0000${d.diagnostic?.message ?? ''}`;
  }

  function withEdit(action: CodeAction, doc: TextDocument, data: CodeActionData, fix: FixResult): CodeAction {
    action.title = actionTitle(data.kind, fix.markers.given, fix.markers.inferred);
    action.edit = { documentChanges: [{ textDocument: { uri: doc.uri, version: data.version }, edits: fix.edits }] };
    return action;
  }

  // ---- code actions ---------------------------------------------------------------------------
  function wants(only: string[] | undefined, kind: string): boolean {
    if (!only || only.length === 0) return true;
    return only.some((o) => o === '' || kind === o || kind.startsWith(o + '.'));
  }

  connection.onCodeAction(async (params: CodeActionParams, token): Promise<CodeAction[]> => {
    try {
      const doc = documents.get(params.textDocument.uri);
      if (!doc) return [];
      const settings = await settingsFor(doc);
      if (!settings.enable) return [];
      const lang = languageOf(doc);
      if (!lang) return [];
      const a = await analysisOf(doc, lang);
      const only = params.context.only;
      const settingsMarkers = sanitizeMarkers(settings.markers).markers;
      const out: { data: CodeActionData; target: FixTarget; diagnostics: Diagnostic[] }[] = [];
      const seen = new Set<string>();
      const add = (data: CodeActionData, target: FixTarget, diagnostics: Diagnostic[]) => {
        const k = `${data.kind}:${target.region.startLine}:${target.region.endLine}:${target.diagnostic ?? ''}`;
        if (seen.has(k)) return;
        seen.add(k);
        out.push({ data, target, diagnostics });
      };
      if (wants(only, CodeActionKinds.fix)) {
        for (const d of params.context.diagnostics) {
          if (d.source === 'treasure') continue; // our own syntax diagnostics: the ERROR nodes below
          const message = typeof d.message === 'string' ? d.message : (d.message as { value: string }).value;
          const dl: DiagnosticLike = { range: d.range, message, source: d.source, code: typeof d.code === 'object' ? undefined : d.code };
          add({ treasure: 1, uri: doc.uri, version: doc.version, kind: 'fix', line: d.range.start.line, diagnostic: dl }, diagnosticTarget(a, dl), [d]);
        }
        const ours = params.context.diagnostics.filter((d) => d.source === 'treasure');
        for (const issue of issuesOn(a, params.range.start.line, params.range.end.line)) {
          const t = syntaxTarget(a, issue);
          const diag = ours.filter((d) => d.range.start.line === issue.start.row);
          add({ treasure: 1, uri: doc.uri, version: doc.version, kind: 'fix', line: issue.start.row, syntax: true }, t, diag);
        }
      }
      if (wants(only, CodeActionKinds.rewriteFunction)) {
        const t = functionTarget(a, params.range.start.line);
        if (t) add({ treasure: 1, uri: doc.uri, version: doc.version, kind: 'rewriteFunction', line: params.range.start.line }, t, []);
      }
      const actions: CodeAction[] = [];
      for (const { data, target, diagnostics } of out) {
        const given = mergeMarkers({ settings: settingsMarkers, context: contextMarkers(a, target, 'CodeFix') }).markers;
        const kind = data.kind === 'fix' ? CodeActionKinds.fix : CodeActionKinds.rewriteFunction;
        const action = CodeAction.create(actionTitle(data.kind, given), kind as CodeActionKind);
        action.isPreferred = false;
        if (diagnostics.length) action.diagnostics = diagnostics;
        action.data = data;
        const cached = fixCache.get(cacheKey(data));
        if (cached && cached.version === doc.version && cached.result.fix) withEdit(action, doc, data, cached.result.fix);
        else if (!resolveEdit) {
          // A client without codeAction/resolve: compute now (cancellable).
          const r = await computeFix(doc, data, token);
          if (!r.fix) continue;
          if (documents.get(doc.uri)?.version !== data.version) continue;
          withEdit(action, doc, data, r.fix);
        }
        actions.push(action);
      }
      return actions;
    } catch (e) {
      report('codeAction', e);
      return [];
    }
  });

  connection.onCodeActionResolve(async (action, token) => {
    const data = action.data as CodeActionData | undefined;
    if (!data || data.treasure !== 1) return action;
    try {
      const doc = documents.get(data.uri);
      if (!doc || doc.version !== data.version) {
        log(`resolve: ${data.uri} changed since the action was offered (v${data.version}); no edit`);
        return action;
      }
      const r = await computeFix(doc, data, token);
      if (documents.get(data.uri)?.version !== data.version) {
        log(`resolve: ${data.uri} changed while the fix was computed; dropped`);
        return action;
      }
      if (!r.fix) {
        connection.window.showInformationMessage(`Treasure found no checked fix: ${r.reason ?? 'unknown reason'}`);
        return action;
      }
      return withEdit(action, doc, data, r.fix);
    } catch (e) {
      report('resolve', e);
      return action;
    }
  });

  function report(where: string, e: unknown): void {
    if (e instanceof DecodeAbortedError) {
      log(`${where}: cancelled`);
      return;
    }
    if (e instanceof ModelError) {
      log(`${where}: model unavailable: ${e.message}`);
      return;
    }
    if (e instanceof InputError) {
      log(`${where}: ${e.message}`);
      return;
    }
    log(`${where}: error: ${(e as Error).stack ?? String(e)}`);
  }

  // ---- syntax diagnostics (setting) -----------------------------------------------------------
  function scheduleDiagnostics(doc: TextDocument): void {
    const old = diagTimers.get(doc.uri);
    if (old) clearTimeout(old);
    diagTimers.set(
      doc.uri,
      setTimeout(() => {
        diagTimers.delete(doc.uri);
        void publishDiagnostics(doc.uri);
      }, 150),
    );
  }

  async function publishDiagnostics(uri: string): Promise<void> {
    const doc = documents.get(uri);
    if (!doc) return;
    try {
      const settings = await settingsFor(doc);
      const lang = settings.enable && settings.syntaxDiagnostics ? languageOf(doc) : null;
      if (!lang) {
        if (published.delete(uri)) await connection.sendDiagnostics({ uri, diagnostics: [] });
        return;
      }
      const version = doc.version;
      const a = await analysisOf(doc, lang);
      if (documents.get(uri)?.version !== version) return;
      const diagnostics: Diagnostic[] = a.issues.map((i) => ({
        range: { start: { line: i.start.row, character: i.start.column }, end: { line: i.end.row, character: i.end.column } },
        severity: DiagnosticSeverity.Error,
        source: 'treasure',
        message: `Syntax error: ${i.message}`,
      }));
      published.add(uri);
      await connection.sendDiagnostics({ uri, version, diagnostics });
    } catch (e) {
      report('diagnostics', e);
    }
  }

  documents.onDidChangeContent((e) => scheduleDiagnostics(e.document));
  documents.onDidClose((e) => {
    settingsCache.delete(e.document.uri);
    analyses.delete(e.document.uri);
    for (const k of [...fixCache.keys()]) if (k.startsWith(e.document.uri + '\u0000')) fixCache.delete(k);
    if (published.delete(e.document.uri)) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  // ---- custom requests ------------------------------------------------------------------------
  connection.onRequest(MarkersAtRequest, async (p: MarkersAtParams): Promise<MarkersAtResult | null> => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return null;
    try {
      const settings = await settingsFor(doc);
      const r = await markersAt({ text: doc.getText(), languageId: doc.languageId, line: p.position?.line, path: pathOf(doc.uri), settings: settings.markers });
      return {
        markers: r.markers as Record<string, string>,
        sources: r.sources as Record<string, MarkersAtResult['sources'][string]>,
        region: r.region ? { start: { line: r.region.startLine, character: 0 }, end: { line: r.region.endLine, character: doc.getText({ start: { line: r.region.endLine, character: 0 }, end: { line: r.region.endLine + 1, character: 0 } }).replace(/\r?\n$/, '').length } } : undefined,
      };
    } catch (e) {
      report('markersAt', e);
      return null;
    }
  });

  connection.onRequest(GenerateRequest, async (p: GenerateParams, token): Promise<GenerateResult | null> => {
    try {
      const doc = p.textDocument ? documents.get(p.textDocument.uri) : undefined;
      const settings = doc ? await settingsFor(doc) : resolveSettings(globalSettings);
      const engine = await engineFor(settings);
      const signal = signalOf(token);
      const r = await serialized(() =>
        engine.generate({ languageId: p.languageId, prompt: p.prompt, markers: p.markers, settingsMarkers: settings.markers, maxTokens: p.maxTokens, signal }),
      );
      // undefined members (no dropped lines, no cut) are left out of the JSON
      return { text: r.text, markers: r.markers as MarkerReport as GenerateResult['markers'], latencyMs: r.latencyMs, droppedLines: r.droppedLines, cutAtLines: r.cutAtLines, promptLinesLeftOut: r.promptLinesLeftOut };
    } catch (e) {
      report('generate', e);
      return null;
    }
  });

  connection.onRequest(FixAllRequest, async (p: FixAllParams, token): Promise<FixAllResult | null> => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return null;
    try {
      const settings = await settingsFor(doc);
      const lang = languageOf(doc);
      if (!lang) return null;
      const version = doc.version;
      const a = await analysisOf(doc, lang);
      const engine = await engineFor(settings);
      const signal = signalOf(token);
      const regions: FixTarget[] = [];
      for (const issue of a.issues) {
        const t = syntaxTarget(a, issue);
        if (!regions.some((r) => r.region.startLine <= t.region.endLine && t.region.startLine <= r.region.endLine)) regions.push(t);
      }
      const edits: TextEdit[] = [];
      const fixes: FixAllResult['fixes'] = [];
      for (const t of regions) {
        const outcome = await serialized(() =>
          engine.fixDetailed({ text: doc.getText(), languageId: doc.languageId, line: t.line, markers: p.markers, settingsMarkers: settings.markers, path: pathOf(doc.uri), maxTokens: settings.maxFixTokens, signal }),
        );
        if (!outcome.fix) continue;
        edits.push(...outcome.fix.edits);
        fixes.push({ region: outcome.fix.region, markers: outcome.fix.markers as FixAllResult['fixes'][number]['markers'], latencyMs: outcome.fix.latencyMs });
      }
      if (documents.get(doc.uri)?.version !== version) return null;
      // sanity: the combined edits apply
      applyTextEdits(doc.getText(), edits);
      return { uri: doc.uri, version, edits, fixes };
    } catch (e) {
      report('fixAll', e);
      return null;
    }
  });

  connection.onRequest(StatusRequest, async (): Promise<StatusResult> => {
    // Answers at once: the model loads in the background (warm-up at start, or the first fix).
    const settings = restrict(resolveSettings(globalSettings));
    const dir = settings.model.path || defaultModelDir();
    const key = `${dir}\u0000${settings.device}`;
    const engine = loadedEngines.get(key) ?? null;
    return { modelDir: dir, modelLoaded: !!engine, device: engine?.device ?? null, deviceInfo: engine?.deviceInfo ?? null, error: engineErrors.get(key) ?? null, languages: await languagesOk() };
  });

  connection.onInitialized(() => {
    // Warm-up: load the model for the workspace-wide settings now, so the first fix is quick.
    const settings = restrict(resolveSettings(globalSettings));
    engineFor(settings).catch(() => undefined);
  });

  documents.listen(connection);
  connection.listen();
}

function pathOf(uri: string): string | undefined {
  if (!uri.startsWith('file://')) return undefined;
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return undefined;
  }
}

/** Serves LSP on the transport named on the command line (--stdio, --node-ipc, --socket=N). */
export function main(): void {
  const connection = createConnection(ProposedFeatures.all);
  process.on('uncaughtException', (e) => connection.console.error(`[treasure] uncaught: ${e.stack ?? e}`));
  process.on('unhandledRejection', (e) => connection.console.error(`[treasure] unhandled: ${(e as Error)?.stack ?? e}`));
  startServer(connection);
}

// Run directly (node dist/server.js --stdio, as the VS Code client does): serve. The bin/ launcher calls main().
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) main();
