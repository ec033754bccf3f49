// The Treasure language server: quick fixes written by the local marker-tuned model.
// Started as `treasure-language-server --stdio` (or --node-ipc / --socket=N).
import {
  CodeAction,
  CodeActionKind,
  DiagnosticSeverity,
  ErrorCodes,
  LSPErrorCodes,
  MessageType,
  ProposedFeatures,
  ShowMessageNotification,
  ResponseError,
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
import { randomBytes } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { MAX_DOCUMENT_CHARS, cleanDiagnostic, requestRange, validLanguageId, validPosition } from './bounds';
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
import { InputError, ModelError, defaultModelDir, markersAt, type FixResult, type MarkerReport } from './engine';
import { loadEngine, stopEngines, type EngineHandle } from './engine-host';
import { analysisThreadMemory, analyzeOffThread, stopAnalysisThread } from './analysis-thread';
import { BusyError, ModelQueue, type Priority } from './model-queue';
import { startLoopMonitor, threadMemory } from './loop-monitor';
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
import { existsSync } from 'node:fs';
import { defaultRoot } from './repair/tests/plan';
import { eolOf, minimalEdits, toTextEdits, applyTextEdits, type TextEdit } from './repair/text';
import { FramingError, lifecycleGate, transportFromArgs } from './transport';

/** The least time between a resolve's arrival and its edit going out (see settle in startServer). */
const QUIET_MS = 30;
/** A generate prompt longer than this is refused (the model sees at most its context's worth of it). */
const MAX_PROMPT_CHARS = 200_000;

const cancelledError = () => new ResponseError(LSPErrorCodes.RequestCancelled, 'request cancelled');
const invalidParams = (why: string) => new ResponseError(ErrorCodes.InvalidParams, why);
/** A model request that could not start within its budget (model-queue.ts): said so, at once. */
const busyReply = (e: BusyError) => new ResponseError(LSPErrorCodes.RequestFailed, e.message);

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

/**
 * The title of a computed fix: what it does and what proved it ("Fix with Treasure — insert ':' at line 4
 * (parses: python 3.11 compile)"), or that nothing did ("unverified").
 */
export function fixTitle(kind: CodeActionData['kind'], fix: Pick<FixResult, 'verified' | 'verifiedBy' | 'label' | 'target' | 'region' | 'markers'>): string {
  const head = kind === 'fix' ? 'Fix with Treasure' : 'Fix this function with Treasure';
  const what = fix.label ?? `rewrite lines ${fix.region.start.line + 1}-${fix.region.end.line + 1}`;
  // the markers the model was given stay visible: they are the user's control over it
  const shown = orderedEntries(fix.markers.given).filter(([k]) => TITLE_KEYS.includes(k)).map(([, v]) => v);
  const markers = shown.length ? ` · ${shown.join(' · ')}` : '';
  if (fix.verified && fix.verifiedBy) return `${head} — ${what} (${fix.target === 'syntax' ? 'parses' : 'proven'}: ${fix.verifiedBy})${markers}`;
  return `${head} — unverified: ${what} (the model's guess; nothing ran or parsed it)${markers}`;
}

/** How long a code-action request waits for a syntax fix to be proven so that its title can say so. */
const EAGER_FIX_MS = 1200;

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let hasConfiguration = false;
  let resolveEdit = false;
  let globalSettings: unknown = undefined;
  // One trust rule for every request: a workspace is untrusted unless the client says it trusts it
  // (initializationOptions.trusted === true). An untrusted workspace must not choose the model or the
  // device: those come from initializationOptions only (the client's own, filtered settings), never
  // from workspace/configuration or didChangeConfiguration.
  let trusted = false;
  let initSettings: TreasureSettings = structuredClone(DEFAULT_SETTINGS);
  const settingsCache = new Map<string, Promise<TreasureSettings>>();
  const analyses = new Map<string, { rev: string; analysis: Promise<Analysis> }>();
  const engines = new Map<string, Promise<EngineHandle>>();
  const engineErrors = new Map<string, string>();
  const published = new Set<string>();
  const diagTimers = new Map<string, NodeJS.Timeout>();
  const loggedLanguages = new Set<string>();

  const log = (msg: string) => connection.console.log(`[treasure] ${msg}`);

  // Document identity. A client's version numbers restart at 1 when a document is reopened and can
  // repeat on a change, so every open and every change gets a revision unique to this server process;
  // actions, analyses and cached fixes carry it, and an edit is returned only for the revision it was
  // computed on.
  const instance = randomBytes(4).toString('hex');
  let revisionCount = 0;
  const revisions = new Map<string, string>();
  documents.onDidChangeContent((e) => revisions.set(e.document.uri, `${instance}.${++revisionCount}`));
  const revisionOf = (uri: string): string | undefined => (documents.get(uri) ? revisions.get(uri) : undefined);
  /**
   * Lets the connection handle what the client has already sent (a didChange or a close right behind
   * a resolve) before an edit goes out: a fix that came from a cache can be ready before the change
   * queued behind its request is read. jsonrpc handles one queued message per event-loop turn.
   */
  const settle = async (since?: number) => {
    // an edit goes out no sooner than QUIET_MS after its request arrived: a client's close, reopen or
    // change sent right behind the request (before it saw the answer) is read first
    const wait = since === undefined ? 0 : QUIET_MS - (performance.now() - since);
    if (wait > 0) await new Promise<void>((r) => setTimeout(r, wait));
    for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r));
  };

  connection.onInitialize((params: InitializeParams) => {
    const caps = params.capabilities;
    hasConfiguration = !!caps.workspace?.configuration;
    resolveEdit = !!caps.textDocument?.codeAction?.resolveSupport?.properties.includes('edit');
    const opts = params.initializationOptions as { settings?: unknown; trusted?: boolean } | undefined;
    if (opts?.settings) {
      globalSettings = opts.settings;
      initSettings = resolveSettings(opts.settings);
    }
    trusted = opts?.trusted === true;
    if (!trusted) log('the client did not say the workspace is trusted: the model and device come from initializationOptions only');
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
    fixCache.clear(); // a fix computed with other markers or another model is not this one's
    for (const doc of documents.all()) scheduleDiagnostics(doc);
  });

  // ---- analysis, per document version --------------------------------------------------------
  const refusedSize = new Set<string>();
  function languageOf(doc: TextDocument): LanguageInfo | null {
    if (doc.getText().length > MAX_DOCUMENT_CHARS) {
      if (!refusedSize.has(doc.uri)) {
        refusedSize.add(doc.uri);
        const msg = `Treasure: ${doc.uri.split('/').pop()} has ${doc.getText().length.toLocaleString('en-US')} characters; Treasure works on files up to ${MAX_DOCUMENT_CHARS.toLocaleString('en-US')} (no fixes offered for it)`;
        log(msg);
        void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message: msg });
      }
      return null;
    }
    refusedSize.delete(doc.uri);
    if (!validLanguageId(doc.languageId)) return null;
    const lang = resolveLanguage(doc.languageId);
    if ((!lang || !lang.grammar) && !loggedLanguages.has(doc.languageId)) {
      loggedLanguages.add(doc.languageId);
      log(`${doc.languageId}: ${lang ? 'no grammar ships for it' : 'not a language Treasure knows'}; no fixes offered`);
    }
    return lang && lang.grammar ? lang : null;
  }

  function analysisOf(doc: TextDocument, lang: LanguageInfo): Promise<Analysis> {
    const rev = revisionOf(doc.uri) ?? '';
    const have = analyses.get(doc.uri);
    if (have && have.rev === rev) return have.analysis;
    const analysis = analyzeOffThread(doc.getText(), lang, pathOf(doc.uri));
    analyses.set(doc.uri, { rev, analysis });
    analysis.catch(() => analyses.delete(doc.uri));
    return analysis;
  }

  // ---- the model ------------------------------------------------------------------------------
  const loadedEngines = new Map<string, EngineHandle>();
  let languages: Promise<string[]> | undefined;
  const languagesOk = () => (languages ??= loadableGrammars());

  async function notifyStatus(dir: string, engine: EngineHandle | null, error: string | null): Promise<void> {
    const status: StatusResult = { modelDir: dir, modelLoaded: !!engine, device: engine?.device ?? null, deviceInfo: engine?.deviceInfo ?? null, error, languages: await languagesOk() };
    await connection.sendNotification(StatusRequest, status).catch(() => undefined);
  }

  const shownModelErrors = new Set<string>();
  function engineFor(settings: TreasureSettings): Promise<EngineHandle> {
    const dir = settings.model.path || defaultModelDir();
    const key = `${dir}\u0000${settings.device}`;
    if (loadedEngines.get(key)?.alive === false) {
      log(`the model's thread stopped; loading the model again`);
      engines.delete(key);
      loadedEngines.delete(key);
    }
    let e = engines.get(key);
    if (!e) {
      const t0 = performance.now();
      // a relative folder would be read against wherever the server happens to run
      e = isAbsolute(dir)
        ? loadEngine({ modelDir: dir, device: settings.device })
        : Promise.reject(new ModelError(`treasure.model.path "${dir}" is not an absolute folder: set the full path of the model folder`));
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
          if (!shownModelErrors.has(key)) {
            shownModelErrors.add(key);
            void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message: `Treasure could not load its model: ${(err as Error).message}` });
          }
          void notifyStatus(dir, null, (err as Error).message);
        },
      );
      engines.set(key, e);
    }
    return e;
  }

  // One model job at a time, what the user asked for first, and no unbounded wait (model-queue.ts).
  const modelQueue = new ModelQueue();

  /**
   * A request's work under its cancellation token: the answer is -32800 (RequestCancelled) as soon as
   * the client cancels, whether the work is running or still waiting in the queue; the work itself
   * stops at its next abort check (a decode within one model step, a queued one before it starts).
   */
  function cancellable<T>(token: CancellationToken | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    if (token?.isCancellationRequested) return Promise.reject(cancelledError());
    return new Promise<T>((resolve, reject) => {
      const sub = token?.onCancellationRequested(() => {
        ac.abort();
        reject(cancelledError());
      });
      work(ac.signal).then(resolve, (e: unknown) => reject(e instanceof DecodeAbortedError ? cancelledError() : e)).finally(() => sub?.dispose());
    });
  }

  interface Computed { fix: FixResult | null; reason?: string }
  /** Fixes by action and settings, each for one document revision; cleared on close and on a settings change. */
  const fixCache = new Map<string, { rev: string; result: Computed }>();

  async function computeFix(doc: TextDocument, data: CodeActionData, signal: AbortSignal, priority: Priority = 'interactive', maxWaitMs?: number): Promise<Computed> {
    const rev = revisionOf(doc.uri);
    const text = doc.getText();
    const version = doc.version;
    const settings = await settingsFor(doc);
    const key = cacheKey(data, settings);
    const cached = fixCache.get(key);
    if (cached && cached.rev === rev) return cached.result;
    const engine = await engineFor(settings);
    // the same fix of the same revision asked for twice (listed, then chosen) runs once
    const outcome = await modelQueue.run('fix', (shared) =>
      engine.fixDetailed({
        text,
        languageId: doc.languageId,
        line: data.line,
        diagnostics: data.diagnostic ? [data.diagnostic] : [],
        settingsMarkers: settings.markers,
        mode: data.kind === 'rewriteFunction' ? 'function' : 'auto',
        path: pathOf(doc.uri),
        maxTokens: settings.maxFixTokens,
        // "Fix this function": the workspace's own tests prove a fix, in a scratch copy, only in a
        // trusted workspace (an untrusted one runs nothing; the fix stays the model's unverified guess)
        verify: data.kind === 'rewriteFunction' && trusted && savedFile(doc.uri) ? { root: defaultRoot(pathOf(doc.uri)!), trusted: true } : undefined,
        signal: shared,
      }),
      { signal, priority, maxWaitMs, key: `${key}\u0000${rev}` },
    );
    const result: Computed = { fix: outcome.fix, reason: outcome.reason };
    log(
      `fix ${doc.uri}:${data.line + 1} v${version}: ${outcome.fix ? `${outcome.fix.edits.length} edit(s)` : `none (${outcome.reason})`} in ${outcome.latencyMs} ms` +
        (outcome.tokens ? ` [prompt ${outcome.tokens.prompt} tok, completion ${outcome.tokens.completion} tok]` : ''),
    );
    // only while the document is still what the fix was computed on (not after a close, reopen or edit)
    if (rev !== undefined && revisionOf(doc.uri) === rev) fixCache.set(key, { rev, result });
    return result;
  }

  function cacheKey(d: CodeActionData, s: TreasureSettings): string {
    return [d.uri, d.kind, d.line, JSON.stringify(d.diagnostic ?? null), s.model.path, s.device, s.maxFixTokens, JSON.stringify(s.markers)].join('\u0000');
  }

  /** The cached fix of an action for the document's current revision, if any. */
  function cachedFix(doc: TextDocument, data: CodeActionData, s: TreasureSettings): FixResult | null {
    const c = fixCache.get(cacheKey(data, s));
    return c && c.rev === revisionOf(doc.uri) && c.rev === data.rev ? c.result.fix : null;
  }

  function withEdit(action: CodeAction, doc: TextDocument, data: CodeActionData, fix: FixResult): CodeAction {
    action.title = fixTitle(data.kind, fix);
    action.isPreferred = fix.verified; // a guess is never the preferred fix
    action.edit = { documentChanges: [{ textDocument: { uri: doc.uri, version: data.version }, edits: fix.edits }] };
    return action;
  }

  // ---- code actions ---------------------------------------------------------------------------
  function wants(only: string[] | undefined, kind: string): boolean {
    if (!Array.isArray(only) || only.length === 0) return true;
    return only.some((o) => typeof o === 'string' && (o === '' || kind === o || kind.startsWith(o + '.')));
  }

  connection.onCodeAction((params: CodeActionParams, token): Promise<CodeAction[]> => {
    const uri = (params as Partial<CodeActionParams> | null)?.textDocument?.uri;
    if (typeof uri !== 'string') return Promise.reject(invalidParams('codeAction needs textDocument.uri'));
    return cancellable(token, async (signal) => {
      try {
        return await codeActions(params, signal);
      } catch (e) {
        if (e instanceof DecodeAbortedError) throw e;
        if (e instanceof BusyError) throw busyReply(e);
        report('codeAction', e);
        return [];
      }
    });
  });

  async function codeActions(params: CodeActionParams, signal: AbortSignal): Promise<CodeAction[]> {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    const rev = revisionOf(doc.uri);
    const range = requestRange(params.range, doc.lineCount);
    if (!range || !rev) return [];
    const settings = await settingsFor(doc);
    if (!settings.enable) return [];
    const lang = languageOf(doc);
    if (!lang) return [];
    const a = await analysisOf(doc, lang);
    if (revisionOf(doc.uri) !== rev) return []; // changed while it was parsed: the client asks again
    const context = (params.context ?? {}) as Partial<CodeActionParams['context']>;
    const only = context.only;
    const clientDiagnostics = Array.isArray(context.diagnostics) ? context.diagnostics : [];
    const settingsMarkers = sanitizeMarkers(settings.markers).markers;
    const out: { data: CodeActionData; target: FixTarget; diagnostics: Diagnostic[] }[] = [];
    const seen = new Set<string>();
    const add = (data: CodeActionData, target: FixTarget, diagnostics: Diagnostic[]) => {
      const k = `${data.kind}:${target.region.startLine}:${target.region.endLine}:${target.diagnostic ?? ''}`;
      if (seen.has(k)) return;
      seen.add(k);
      out.push({ data, target, diagnostics });
    };
    const base = { treasure: 1 as const, uri: doc.uri, version: doc.version, rev };
    if (wants(only, CodeActionKinds.fix)) {
      for (const d of clientDiagnostics.slice(0, 100)) {
        if (d?.source === 'treasure') continue; // our own syntax diagnostics: the ERROR nodes below
        // a diagnostic whose range is not in this document (stale, or hostile) offers nothing
        const dl = cleanDiagnostic(d, doc.lineCount);
        if (!dl) continue;
        add({ ...base, kind: 'fix', line: dl.range.start.line, diagnostic: dl }, diagnosticTarget(a, dl), [d]);
      }
      const ours = clientDiagnostics.filter((d) => d?.source === 'treasure');
      for (const issue of issuesOn(a, range.start.line, range.end.line).slice(0, 50)) {
        const t = syntaxTarget(a, issue);
        const diag = ours.filter((d) => d.range?.start?.line === issue.start.row);
        add({ ...base, kind: 'fix', line: issue.start.row, syntax: true }, t, diag);
      }
    }
    if (wants(only, CodeActionKinds.rewriteFunction)) {
      const t = functionTarget(a, range.start.line);
      if (t) add({ ...base, kind: 'rewriteFunction', line: range.start.line }, t, []);
    }
    const actions: CodeAction[] = [];
    // the list waits for its speculative fixes at most EAGER_FIX_MS in all (not per action)
    const eagerUntil = performance.now() + EAGER_FIX_MS;
    for (const { data, target, diagnostics } of out) {
      const given = mergeMarkers({ settings: settingsMarkers, context: contextMarkers(a, target, 'CodeFix') }).markers;
      const kind = data.kind === 'fix' ? CodeActionKinds.fix : CodeActionKinds.rewriteFunction;
      // before it is computed: where and with which markers (distinct for every error it is offered for)
      const title = data.kind === 'fix' ? actionTitle(data.kind, given).replace(' — ', ` — line ${data.line + 1}: `) : actionTitle(data.kind, given);
      const action = CodeAction.create(title, kind as CodeActionKind);
      action.isPreferred = false;
      if (diagnostics.length) action.diagnostics = diagnostics;
      action.data = data;
      const cached = cachedFix(doc, data, settings);
      if (cached) withEdit(action, doc, data, cached);
      else if (resolveEdit && data.kind === 'fix' && (data.syntax || target.errorType === 'syntax_error') && eagerUntil - performance.now() > 0) {
        // a syntax error's fix is searched for and proven now (usually well under a second), so the title
        // says what proved it; one that takes longer is resolved when chosen
        // (background: it waits behind what the user asked for, and is dropped if it cannot start in time)
        const left = eagerUntil - performance.now();
        const computing = computeFix(doc, data, signal, 'background', left).catch((e: unknown) => {
          if (!(e instanceof DecodeAbortedError) && !(e instanceof BusyError)) report('codeAction', e);
          return null;
        });
        const r = await Promise.race([computing, new Promise<null>((res) => setTimeout(() => res(null), left))]);
        await settle(); // what the client sent behind the request (a change, a close) is read first
        if (revisionOf(doc.uri) !== data.rev) continue;
        if (r?.fix) withEdit(action, doc, data, r.fix);
        else if (r) action.disabled = { reason: `Treasure found no fix it could prove: ${r.reason ?? 'unknown reason'}` };
      } else if (!resolveEdit) {
        // A client without codeAction/resolve: compute now (cancellable).
        const r = await computeFix(doc, data, signal);
        await settle();
        if (!r.fix || revisionOf(doc.uri) !== data.rev) continue;
        withEdit(action, doc, data, r.fix);
      }
      // two actions never share a title: the same fix found for two reports of one error is offered once
      if (actions.some((x) => x.title === action.title)) continue;
      actions.push(action);
    }
    return actions;
  }

  connection.onCodeActionResolve((action, token): Promise<CodeAction> | CodeAction => {
    const data = (action as Partial<CodeAction> | null)?.data as CodeActionData | undefined;
    if (!data || typeof data !== 'object' || data.treasure !== 1) return action;
    if (typeof data.uri !== 'string' || typeof data.rev !== 'string' || (data.kind !== 'fix' && data.kind !== 'rewriteFunction') || !Number.isSafeInteger(data.line)) {
      return Promise.reject(invalidParams('not a code action this server offered'));
    }
    const arrived = performance.now();
    return cancellable(token, async (signal) => {
      try {
        const doc = documents.get(data.uri);
        if (!doc || revisionOf(data.uri) !== data.rev) {
          log(`resolve: ${data.uri} changed since the action was offered (v${data.version}); no edit`);
          delete action.edit; // an edit that came with the action (proven while listed) is for a text that is gone
          return action;
        }
        if (data.line < 0 || data.line >= doc.lineCount) return action;
        if (data.diagnostic) {
          const d = cleanDiagnostic(data.diagnostic, doc.lineCount);
          if (!d) return action;
          data.diagnostic = d;
        }
        if (!languageOf(doc)) return action;
        const r = await computeFix(doc, data, signal);
        await settle(arrived);
        // the document must still be the revision the action was offered for (not closed and reopened,
        // not changed under the same version number) when the edit goes out
        if (revisionOf(data.uri) !== data.rev) {
          log(`resolve: ${data.uri} changed while the fix was computed; dropped`);
          delete action.edit;
          return action;
        }
        if (!r.fix) {
          void connection.window.showInformationMessage(`Treasure found no fix it could prove: ${r.reason ?? 'unknown reason'}`);
          return action;
        }
        return withEdit(action, doc, data, r.fix);
      } catch (e) {
        if (e instanceof DecodeAbortedError) throw e;
        if (e instanceof BusyError) throw busyReply(e);
        report('resolve', e);
        return action;
      }
    });
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
      const rev = revisionOf(uri);
      const a = await analysisOf(doc, lang);
      if (revisionOf(uri) !== rev) return;
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
    revisions.delete(e.document.uri);
    refusedSize.delete(e.document.uri);
    const timer = diagTimers.get(e.document.uri);
    if (timer) clearTimeout(timer);
    diagTimers.delete(e.document.uri);
    for (const k of [...fixCache.keys()]) if (k.startsWith(e.document.uri + '\u0000')) fixCache.delete(k);
    if (published.delete(e.document.uri)) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  // ---- custom requests ------------------------------------------------------------------------
  const uriOf = (p: unknown): string | undefined => {
    const uri = (p as { textDocument?: { uri?: unknown } } | null)?.textDocument?.uri;
    return typeof uri === 'string' ? uri : undefined;
  };

  connection.onRequest(MarkersAtRequest, async (p: MarkersAtParams): Promise<MarkersAtResult | null> => {
    const uri = uriOf(p);
    if (!uri) throw invalidParams('treasure/markersAt needs textDocument.uri');
    const doc = documents.get(uri);
    if (!doc) return null;
    if (p.position !== undefined && !validPosition(p.position, doc.lineCount)) throw invalidParams(`position is not in the document (${doc.lineCount} lines)`);
    try {
      if (!languageOf(doc)) return null;
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

  connection.onRequest(GenerateRequest, (p: GenerateParams, token): Promise<GenerateResult | null> => {
    if (!p || typeof p !== 'object' || typeof p.prompt !== 'string' || !validLanguageId(p.languageId)) {
      return Promise.reject(invalidParams('treasure/generate needs a languageId and a prompt string'));
    }
    if (p.prompt.length > MAX_PROMPT_CHARS) return Promise.reject(invalidParams(`the prompt has ${p.prompt.length} characters; at most ${MAX_PROMPT_CHARS}`));
    if (p.maxTokens !== undefined && !(Number.isSafeInteger(p.maxTokens) && p.maxTokens > 0)) return Promise.reject(invalidParams('maxTokens must be a positive integer'));
    if (p.markers !== undefined && (p.markers === null || typeof p.markers !== 'object')) return Promise.reject(invalidParams('markers must be an object'));
    const uri = p.textDocument === undefined ? undefined : uriOf(p);
    if (p.textDocument !== undefined && !uri) return Promise.reject(invalidParams('textDocument needs a uri'));
    return cancellable(token, async (signal) => {
      try {
        const doc = uri ? documents.get(uri) : undefined;
        // with or without a document, the same trust rule (restrict) applies to the settings
        const settings = doc ? await settingsFor(doc) : restrict(resolveSettings(globalSettings));
        const engine = await engineFor(settings);
        const r = await modelQueue.run(
          'generate',
          (shared) => engine.generate({ languageId: p.languageId, prompt: p.prompt, markers: p.markers, settingsMarkers: settings.markers, maxTokens: p.maxTokens, signal: shared }),
          { signal },
        );
        // undefined members (no dropped lines, no cut) are left out of the JSON
        return { text: r.text, markers: r.markers as MarkerReport as GenerateResult['markers'], latencyMs: r.latencyMs, droppedLines: r.droppedLines, cutAtLines: r.cutAtLines, promptLinesLeftOut: r.promptLinesLeftOut };
      } catch (e) {
        if (e instanceof DecodeAbortedError) throw e;
        if (e instanceof BusyError) throw busyReply(e);
        report('generate', e);
        return null;
      }
    });
  });

  connection.onRequest(FixAllRequest, (p: FixAllParams, token): Promise<FixAllResult | null> => {
    const uri = uriOf(p);
    if (!uri) return Promise.reject(invalidParams('treasure/fixAll needs textDocument.uri'));
    if (p.markers !== undefined && (p.markers === null || typeof p.markers !== 'object')) return Promise.reject(invalidParams('markers must be an object'));
    return cancellable(token, async (signal) => {
      const doc = documents.get(uri);
      if (!doc) return null;
      try {
        const rev = revisionOf(uri);
        const text = doc.getText();
        const version = doc.version;
        const settings = await settingsFor(doc);
        const lang = languageOf(doc);
        if (!lang) return null;
        const a = await analysisOf(doc, lang);
        const engine = await engineFor(settings);
        const regions: FixTarget[] = [];
        for (const issue of a.issues) {
          const t = syntaxTarget(a, issue);
          if (!regions.some((r) => r.region.startLine <= t.region.endLine && t.region.startLine <= r.region.endLine)) regions.push(t);
        }
        // One error after the other, each on the text the fixes before it made (a two-token fix may mend
        // two errors at once; token edits keep the line numbers); only proven fixes are taken.
        const fixes: FixAllResult['fixes'] = [];
        let cur = text;
        for (const t of regions) {
          if (revisionOf(uri) !== rev) return null;
          if (cur !== text && !(await analyze(cur, lang)).issues.some((i) => i.start.row >= t.region.startLine && i.start.row <= t.region.endLine)) continue;
          const input = cur;
          const outcome = await modelQueue.run(
            'fixAll',
            (shared) => engine.fixDetailed({ text: input, languageId: doc.languageId, line: t.line, markers: p.markers, settingsMarkers: settings.markers, path: pathOf(doc.uri), maxTokens: settings.maxFixTokens, signal: shared }),
            { signal },
          );
          if (!outcome.fix || !outcome.fix.verified) continue;
          cur = outcome.fix.fixed;
          fixes.push({ region: outcome.fix.region, markers: outcome.fix.markers as FixAllResult['fixes'][number]['markers'], latencyMs: outcome.fix.latencyMs });
        }
        await settle();
        if (revisionOf(uri) !== rev) return null;
        const edits: TextEdit[] = toTextEdits(text, minimalEdits(text, cur, eolOf(text)));
        // sanity: the edits make the fixed text
        if (applyTextEdits(text, edits) !== cur) throw new Error('fixAll: the combined edits do not make the fixed text');
        return { uri: doc.uri, version, edits, fixes };
      } catch (e) {
        if (e instanceof DecodeAbortedError) throw e;
        if (e instanceof BusyError) throw busyReply(e);
        report('fixAll', e);
        return null;
      }
    });
  });

  connection.onRequest(StatusRequest, async (): Promise<StatusResult> => {
    // Answers at once: the model loads in the background (warm-up at start, or the first fix).
    const settings = restrict(resolveSettings(globalSettings));
    const dir = settings.model.path || defaultModelDir();
    const key = `${dir}\u0000${settings.device}`;
    const engine = loadedEngines.get(key) ?? null;
    return { modelDir: dir, modelLoaded: !!engine, device: engine?.device ?? null, deviceInfo: engine?.deviceInfo ?? null, error: engineErrors.get(key) ?? null, languages: await languagesOk() };
  });

  // For the attack benchmark (bench/attack.ts): the longest the event loop was blocked since the last ask.
  if (process.env.TREASURE_LOOP_STATS === '1') {
    const monitor = startLoopMonitor();
    connection.onRequest('treasure/loopStats', async (p: { memory?: boolean } | null) => ({
      ...monitor.take(),
      queue: { ...modelQueue.counts, longest: Object.fromEntries(modelQueue.longest) },
      // { memory: true }: every thread's V8 heap after a full collection (node --expose-gc), then the RSS
      ...(p?.memory ? { threads: { main: threadMemory(), analysis: await analysisThreadMemory(), models: await Promise.all([...loadedEngines.values()].map((e) => e.memory?.() ?? null)) }, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) } : {}),
    }));
  }

  connection.onInitialized(() => {
    // Warm-up: load the model for the workspace-wide settings now, so the first fix is quick.
    const settings = restrict(resolveSettings(globalSettings));
    engineFor(settings).catch(() => undefined);
  });

  documents.listen(connection);
  connection.listen();
}

/** The file of a document that exists on disk (the tests run against the workspace's files). */
function savedFile(uri: string): string | undefined {
  const p = pathOf(uri);
  return p && existsSync(p) ? p : undefined;
}

function pathOf(uri: string): string | undefined {
  if (!uri.startsWith('file://')) return undefined;
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return undefined;
  }
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
