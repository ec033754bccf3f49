// Treasure's code actions: which ones a range offers (a diagnostic, a syntax error, the function around
// the cursor), each with the target its title names; computing a fix of exactly that target in the
// document's analysis (one per revision), cached per revision and settings; resolving an action to its edit.
import { CodeAction, type CodeActionKind, type CodeActionParams, type Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { cleanDiagnostic, requestRange } from '../bounds';
import { diagnosticTarget, functionTarget, givenMarkers, issuesOn, syntaxTarget, targetAt, type Analysis, type FixTarget } from '../context';
import { DecodeAbortedError } from '../decode';
import type { FixResult } from '../engine';
import { BusyError, type Priority } from '../model-queue';
import { sanitizeMarkers } from '../markers';
import { CodeActionKinds, type CodeActionData } from '../protocol';
import { undecidedLimits, type TreasureSettings } from '../settings';
import type { FixTestActions } from './fix-test';
import { savedFile, type Documents } from './documents';
import type { Engines } from './engines';
import { invalidParams, pathOf, reporter, settle, type ServerIO } from './io';
import type { SettingsStore } from './settings';
import { actionTitle, fixTitle } from './titles';

/** How long a code-action request waits for a syntax fix to be proven so that its title can say so. */
const EAGER_FIX_MS = 1200;

interface Computed { fix: FixResult | null; reason?: string }

/**
 * The target of an action in the analysis of the revision it was offered for: the same function
 * names the target when the action is listed (its title) and when it is computed (its fix).
 */
export function actionTarget(a: Analysis, data: CodeActionData): FixTarget | null {
  const d = data.diagnostic;
  if (data.kind === 'rewriteFunction') return targetAt(a, { line: data.line, diagnostics: d ? [d] : [], mode: 'function' });
  if (d) return diagnosticTarget(a, d);
  const issue = data.syntax ? a.issues.find((i) => i.start.row === data.line && i.start.column === data.column) : undefined;
  if (issue) return syntaxTarget(a, issue);
  return targetAt(a, { line: data.line });
}

/** Whether a request's `only` asks for actions of `kind`. */
export function wants(only: string[] | undefined, kind: string): boolean {
  if (!Array.isArray(only) || only.length === 0) return true;
  return only.some((o) => typeof o === 'string' && (o === '' || kind === o || kind.startsWith(o + '.')));
}

interface Offer { data: CodeActionData; target: FixTarget; diagnostics: Diagnostic[] }

/** The actions a range of an analysed document offers, each once (by kind and target). */
export function offers(a: Analysis, doc: { uri: string; version: number; lineCount: number }, rev: string, params: CodeActionParams, range: { start: { line: number }; end: { line: number } }): Offer[] {
  const context = (params.context ?? {}) as Partial<CodeActionParams['context']>;
  const only = context.only;
  const clientDiagnostics = Array.isArray(context.diagnostics) ? context.diagnostics : [];
  const out: Offer[] = [];
  const seen = new Set<string>();
  const add = (data: CodeActionData, diagnostics: Diagnostic[]) => {
    const target = actionTarget(a, data);
    if (!target) return;
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
      if (dl) add({ ...base, kind: 'fix', line: dl.range.start.line, diagnostic: dl }, [d]);
    }
    const ours = clientDiagnostics.filter((d) => d?.source === 'treasure');
    for (const issue of issuesOn(a, range.start.line, range.end.line).slice(0, 50)) {
      const diag = ours.filter((d) => d.range?.start?.line === issue.start.row);
      add({ ...base, kind: 'fix', line: issue.start.row, syntax: true, column: issue.start.column }, diag);
    }
  }
  if (wants(only, CodeActionKinds.rewriteFunction) && functionTarget(a, range.start.line)) add({ ...base, kind: 'rewriteFunction', line: range.start.line }, []);
  return out;
}

export class CodeActions {
  /** Fixes by action and settings, each for one document revision; cleared on close and on a settings change. */
  private readonly fixCache = new Map<string, { rev: string; result: Computed }>();
  private readonly report: (where: string, e: unknown) => void;

  constructor(
    private readonly io: ServerIO,
    private readonly documents: Documents,
    private readonly settings: SettingsStore,
    private readonly engines: Engines,
    /** Whether the client resolves an action's edit (codeAction/resolve with `edit`). */
    private readonly resolveEdit: () => boolean,
    /** "Fix the code test_x exercises" (lsp/fix-test.ts): its actions and their resolve. */
    readonly fixTests?: FixTestActions,
  ) {
    this.report = reporter(io.log);
  }

  /** A settings change: no fix computed with other markers or another model is this one's. */
  clear(): void {
    this.fixCache.clear();
  }

  closed(uri: string): void {
    for (const k of [...this.fixCache.keys()]) if (k.startsWith(uri + '\u0000')) this.fixCache.delete(k);
    this.fixTests?.forget(uri);
  }

  /** The fix of an action's target in the analysis of the document's revision (cached per revision and settings). */
  async computeFix(doc: TextDocument, data: CodeActionData, signal: AbortSignal, priority: Priority = 'interactive', maxWaitMs?: number): Promise<Computed> {
    const rev = this.documents.revisionOf(doc.uri);
    const version = doc.version;
    const settings = await this.settings.for(doc);
    const key = cacheKey(data, settings);
    const cached = this.fixCache.get(key);
    if (cached && cached.rev === rev) return cached.result;
    const lang = this.documents.languageOf(doc);
    if (!lang) return { fix: null, reason: 'not a language Treasure fixes' };
    // the analysis the action was offered from (one per revision) and the target whose title the user saw
    const a = await this.documents.analysisOf(doc, lang);
    const target = actionTarget(a, data);
    const engine = await this.engines.engineFor(settings);
    // the same fix of the same revision asked for twice (listed, then chosen) runs once
    const outcome = await this.engines.queue.run('fix', (shared) =>
      engine.fixAt({
        analysis: a,
        target,
        line: data.line,
        markers: { settings: sanitizeMarkers(settings.markers).markers },
        mode: data.kind === 'rewriteFunction' ? 'function' : 'auto',
        maxTokens: settings.maxFixTokens,
        // "Fix this function": the workspace's own tests prove a fix, in a scratch copy, only in a
        // trusted workspace (an untrusted one runs nothing; the fix stays the model's unverified guess)
        verify: data.kind === 'rewriteFunction' && this.settings.trusted && savedFile(doc.uri) && this.fixTests
          ? { root: this.fixTests.rootOf(pathOf(doc.uri)!), trusted: true, command: settings.verify.command || undefined, build: (settings.verify.command && settings.verify.build) || undefined, limits: undecidedLimits(settings.verify.undecided) }
          : undefined,
        // an unverified guess below it is not offered (the reason says so)
        minConfidence: settings.unverified.minConfidence,
        signal: shared,
      }),
      { signal, priority, maxWaitMs, key: `${key}\u0000${rev}` },
    );
    const result: Computed = { fix: outcome.fix, reason: outcome.reason };
    this.io.log(
      `fix ${doc.uri}:${data.line + 1} v${version}: ${outcome.fix ? `${outcome.fix.edits.length} edit(s)` : `none (${outcome.reason})`} in ${outcome.latencyMs} ms` +
        (outcome.tokens ? ` [prompt ${outcome.tokens.prompt} tok, completion ${outcome.tokens.completion} tok]` : ''),
    );
    // only while the document is still what the fix was computed on (not after a close, reopen or edit)
    if (rev !== undefined && this.documents.revisionOf(doc.uri) === rev) this.fixCache.set(key, { rev, result });
    return result;
  }

  /** The cached fix of an action for the document's current revision, if any. */
  private cachedFix(doc: TextDocument, data: CodeActionData, s: TreasureSettings): FixResult | null {
    const c = this.fixCache.get(cacheKey(data, s));
    return c && c.rev === this.documents.revisionOf(doc.uri) && c.rev === data.rev ? c.result.fix : null;
  }

  /** textDocument/codeAction: the actions for a range, with an edit where one is computed already. */
  async list(params: CodeActionParams, signal: AbortSignal): Promise<CodeAction[]> {
    const doc = this.documents.get(params.textDocument.uri);
    if (!doc) return [];
    const rev = this.documents.revisionOf(doc.uri);
    const range = requestRange(params.range, doc.lineCount);
    if (!range || !rev) return [];
    const settings = await this.settings.for(doc);
    if (!settings.enable) return [];
    const lang = this.documents.languageOf(doc);
    if (!lang) return [];
    const a = await this.documents.analysisOf(doc, lang);
    if (this.documents.revisionOf(doc.uri) !== rev) return []; // changed while it was parsed: the client asks again
    const settingsMarkers = sanitizeMarkers(settings.markers).markers;
    const actions: CodeAction[] = [];
    // the list waits for its speculative fixes at most EAGER_FIX_MS in all (not per action)
    const eagerUntil = performance.now() + EAGER_FIX_MS;
    if (this.fixTests && wants(params.context?.only, CodeActionKinds.fixTest)) {
      for (const t of this.fixTests.actionsAt(doc, range.start.line, rev)) {
        actions.push(this.resolveEdit() || t.disabled || t.edit ? t : await this.fixTests.resolve(t, t.data as CodeActionData, signal));
      }
    }
    for (const { data, target, diagnostics } of offers(a, doc, rev, params, range)) {
      const given = givenMarkers(a, target, { settings: settingsMarkers });
      // before it is computed: where and with which markers (distinct for every error it is offered for)
      const title = data.kind === 'fix' ? actionTitle(data.kind, given).replace(' — ', ` — line ${data.line + 1}: `) : actionTitle(data.kind, given);
      const action = CodeAction.create(title, (data.kind === 'fix' ? CodeActionKinds.fix : CodeActionKinds.rewriteFunction) as CodeActionKind);
      action.isPreferred = false;
      if (diagnostics.length) action.diagnostics = diagnostics;
      action.data = data;
      if (!(await this.withFixIfQuick(action, doc, data, target, settings, eagerUntil, signal))) continue;
      // two actions never share a title: the same fix found for two reports of one error is offered once
      if (actions.some((x) => x.title === action.title)) continue;
      actions.push(action);
    }
    return actions;
  }

  /**
   * The edit of an action where it is known at once (cached), or quick to prove (a syntax error's fix),
   * or where the client cannot resolve one later. false: the action is not offered (the document changed).
   */
  private async withFixIfQuick(action: CodeAction, doc: TextDocument, data: CodeActionData, target: FixTarget, settings: TreasureSettings, eagerUntil: number, signal: AbortSignal): Promise<boolean> {
    const cached = this.cachedFix(doc, data, settings);
    if (cached) withEdit(action, doc, data, cached);
    else if (this.resolveEdit() && data.kind === 'fix' && (data.syntax || target.errorType === 'syntax_error') && eagerUntil - performance.now() > 0) {
      // a syntax error's fix is searched for and proven now (usually well under a second), so the title
      // says what proved it; one that takes longer is resolved when chosen. In the background: it waits
      // behind what the user asked for, and is dropped if it cannot start in time.
      const left = eagerUntil - performance.now();
      const computing = this.computeFix(doc, data, signal, 'background', left).catch((e: unknown) => {
        if (!(e instanceof DecodeAbortedError) && !(e instanceof BusyError)) this.report('codeAction', e);
        return null;
      });
      const r = await Promise.race([computing, new Promise<null>((res) => setTimeout(() => res(null), left))]);
      await settle(); // what the client sent behind the request (a change, a close) is read first
      if (this.documents.revisionOf(doc.uri) !== data.rev) return false;
      if (r?.fix) withEdit(action, doc, data, r.fix);
      else if (r) action.disabled = { reason: `Treasure found no fix it could prove: ${r.reason ?? 'unknown reason'}` };
    } else if (!this.resolveEdit()) {
      // A client without codeAction/resolve: compute now (cancellable).
      const r = await this.computeFix(doc, data, signal);
      await settle();
      if (!r.fix || this.documents.revisionOf(doc.uri) !== data.rev) return false;
      withEdit(action, doc, data, r.fix);
    }
    return true;
  }

  /** The action's data as this server wrote it, or an InvalidParams rejection; null: not a Treasure action. */
  static dataOf(action: CodeAction): CodeActionData | null | ReturnType<typeof invalidParams> {
    const data = (action as Partial<CodeAction> | null)?.data as CodeActionData | undefined;
    if (!data || typeof data !== 'object' || data.treasure !== 1) return null;
    if (data.kind === 'fixTest') {
      return typeof data.uri === 'string' && typeof data.rev === 'string' && typeof data.test === 'string' && Number.isSafeInteger(data.line) ? data : invalidParams('not a code action this server offered');
    }
    if (typeof data.uri !== 'string' || typeof data.rev !== 'string' || (data.kind !== 'fix' && data.kind !== 'rewriteFunction') || !Number.isSafeInteger(data.line) || (data.column !== undefined && !Number.isSafeInteger(data.column))) {
      return invalidParams('not a code action this server offered');
    }
    return data;
  }

  /** codeAction/resolve: the action with its edit, for the revision it was offered for only. */
  async resolve(action: CodeAction, data: CodeActionData, arrived: number, signal: AbortSignal): Promise<CodeAction> {
    if (data.kind === 'fixTest') return this.fixTests ? this.fixTests.resolve(action, data, signal) : action;
    try {
      const doc = this.documents.get(data.uri);
      if (!doc || this.documents.revisionOf(data.uri) !== data.rev) {
        this.io.log(`resolve: ${data.uri} changed since the action was offered (v${data.version}); no edit`);
        delete action.edit; // an edit that came with the action (proven while listed) is for a text that is gone
        return action;
      }
      if (data.line < 0 || data.line >= doc.lineCount) return action;
      if (data.diagnostic) {
        const d = cleanDiagnostic(data.diagnostic, doc.lineCount);
        if (!d) return action;
        data.diagnostic = d;
      }
      if (!this.documents.languageOf(doc)) return action;
      const r = await this.computeFix(doc, data, signal);
      await settle(arrived);
      // the document must still be the revision the action was offered for (not closed and reopened,
      // not changed under the same version number) when the edit goes out
      if (this.documents.revisionOf(data.uri) !== data.rev) {
        this.io.log(`resolve: ${data.uri} changed while the fix was computed; dropped`);
        delete action.edit;
        return action;
      }
      if (!r.fix) {
        // a guess held back by the confidence threshold says so in its own words ("no fix proven; ...")
        this.io.inform(r.reason?.startsWith('no fix proven') ? `Treasure: ${r.reason}` : `Treasure found no fix it could prove: ${r.reason ?? 'unknown reason'}`);
        return action;
      }
      return withEdit(action, doc, data, r.fix);
    } catch (e) {
      if (e instanceof DecodeAbortedError || e instanceof BusyError) throw e;
      this.report('resolve', e);
      return action;
    }
  }
}

function cacheKey(d: CodeActionData, s: TreasureSettings): string {
  return [d.uri, d.kind, d.line, d.column ?? '', JSON.stringify(d.diagnostic ?? null), s.model.path, s.device, s.maxFixTokens, JSON.stringify(s.markers), s.verify.command, s.verify.build, s.verify.undecided, s.unverified.minConfidence].join('\u0000');
}

function withEdit(action: CodeAction, doc: TextDocument, data: CodeActionData, fix: FixResult): CodeAction {
  action.title = fixTitle(data.kind, fix);
  action.isPreferred = fix.verified && !fix.contested; // a guess, or a fix the tests did not decide (rivals), is never preferred
  action.edit = { documentChanges: [{ textDocument: { uri: doc.uri, version: data.version }, edits: fix.edits }] };
  return action;
}
