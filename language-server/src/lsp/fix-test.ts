// The code action on a failing test (issue 26): with the cursor in a test function (pytest `def
// test_*`, node:test `test('...')` / `it('...')`), "Fix the code test_x exercises with Treasure". When
// chosen (codeAction/resolve): run the test's file in a scratch copy (repair/tests/failing-test.ts), find
// the function of the code under test it fails in, search and prove a fix with the workspace's tests
// (the engine's tested repair, with this test's file among them), and answer with a WorkspaceEdit on the
// SOURCE file (never written here). The proof names the test: "Fix with Treasure — test_x passes, 5/5
// tests pass". Progress with cancel while it runs ($/progress, a server-created work-done token; a
// cancel kills the tests' process groups). An untrusted workspace runs nothing and says why.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeAction,
  MessageType,
  ShowMessageNotification,
  type CodeActionKind,
  type Connection,
  type TextDocuments,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeOffThread } from '../analysis-thread';
import type { EngineHandle } from '../engine-host';
import { languageForPath } from '../grammars';
import { CodeActionKinds, type CodeActionData } from '../protocol';
import type { TreasureSettings } from '../settings';
import { fixFailingTest } from '../repair/fix-failing-test';
import { isInside, testAt, testFileRunner, testLabel, type TestAtCursor } from '../repair/tests/failing-test';
import { defaultRoot } from '../repair/tests/plan';
import { pathOf } from './io';

export interface FixTestHost {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  /** The client said it trusts the workspace (initializationOptions.trusted === true). */
  trusted: () => boolean;
  /** The client's workspace folders (absolute paths). */
  folders: () => string[];
  revisionOf: (uri: string) => string | undefined;
  settingsFor: (doc: TextDocument) => Promise<TreasureSettings>;
  engineFor: (settings: TreasureSettings) => Promise<EngineHandle>;
  /** One model job at a time (the server's queue). */
  serialized: <T>(fn: () => Promise<T>, signal?: AbortSignal) => Promise<T>;
  log: (msg: string) => void;
}

export const UNTRUSTED_REASON = 'the workspace is not trusted, so Treasure runs none of its tests (trust the folder to have a fix proven by this test)';

/** What a resolve found, kept for the test document's revision: the next listing shows it in the title. */
interface Found {
  rev: string;
  title: string;
  edit?: CodeAction['edit'];
  /** False when other edits pass too and behave differently (repair/rivals.ts): the tests did not decide it. */
  preferred?: boolean;
  disabled?: string;
  /** The source's text when the fix was made: the edit is offered again only while it is unchanged. */
  source?: { uri: string; text: string };
}


const readText = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

export class FixTestActions {
  private readonly found = new Map<string, Found>();

  constructor(private readonly host: FixTestHost) {}

  /** A closed document's findings go (a reopened one is a new revision anyway). */
  forget(uri: string): void {
    for (const k of [...this.found.keys()]) if (k.startsWith(uri + '\u0000')) this.found.delete(k);
  }

  /** The workspace a file belongs to: the innermost client folder holding it, else its git root or folder. */
  rootOf(file: string): string {
    const inFolders = this.host.folders().filter((f) => isInside(file, f)).sort((a, b) => b.length - a.length);
    return inFolders[0] ?? defaultRoot(file);
  }

  private docOfPath(p: string): TextDocument | undefined {
    return this.host.documents.all().find((d) => pathOf(d.uri) === p);
  }

  /** The action for the test at `line` of `doc`, if the line is in a test (cheap: text only, nothing runs). */
  actionsAt(doc: TextDocument, line: number, rev: string): CodeAction[] {
    const file = pathOf(doc.uri);
    if (!file || !testFileRunner(file)) return [];
    const root = this.rootOf(file);
    const t = testAt(doc.getText(), relative(root, file), line);
    if (!t) return [];
    const key = `${doc.uri}\u0000${t.name}`;
    const data: CodeActionData = { treasure: 1, uri: doc.uri, version: doc.version, rev, kind: 'fixTest', line, test: t.name };
    const action = CodeAction.create(`Fix the code ${testLabel(t)} exercises with Treasure`, CodeActionKinds.fixTest as CodeActionKind);
    action.data = data;
    action.isPreferred = false;
    if (!this.host.trusted()) {
      action.disabled = { reason: `Treasure cannot fix the code ${testLabel(t)} exercises: ${UNTRUSTED_REASON}` };
      return [action];
    }
    const f = this.found.get(key);
    if (f && f.rev === rev && this.sourceUnchanged(f)) {
      action.title = f.title;
      if (f.edit) {
        action.edit = f.edit;
        action.isPreferred = f.preferred !== false;
      }
      if (f.disabled) action.disabled = { reason: f.disabled };
    }
    return [action];
  }

  private sourceUnchanged(f: Found): boolean {
    if (!f.source) return true;
    const p = pathOf(f.source.uri)!;
    const open = this.docOfPath(p);
    return (open ? open.getText() : readText(p)) === f.source.text;
  }

  private say(type: MessageType, message: string): void {
    this.host.log(message);
    void this.host.connection.sendNotification(ShowMessageNotification.type, { type, message: `Treasure: ${message}` });
  }

  /** codeAction/resolve of a fixTest action: runs the test, proves a fix, returns the edit (or says why not). */
  async resolve(action: CodeAction, data: CodeActionData, signal: AbortSignal): Promise<CodeAction> {
    const doc = this.host.documents.get(data.uri);
    if (!doc || this.host.revisionOf(data.uri) !== data.rev) {
      this.host.log(`fix test: ${data.uri} changed since the action was offered; no edit`);
      delete action.edit;
      return action;
    }
    if (!this.host.trusted()) {
      this.say(MessageType.Warning, `nothing was run: ${UNTRUSTED_REASON}`);
      return action;
    }
    const file = pathOf(doc.uri);
    const root = file ? this.rootOf(file) : undefined;
    const t = file && root ? testAt(doc.getText(), relative(root, file), data.line) : null;
    if (!file || !root || !t || t.name !== data.test) return action;
    if (readText(file) !== doc.getText()) {
      this.say(MessageType.Info, `save ${relative(root, file)} first: the tests run the files on disk`);
      return action;
    }
    // progress with cancel: the request's own cancellation or the progress's Cancel button stop it
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const progress = await this.host.connection.window.createWorkDoneProgress().catch(() => undefined);
    const sub = progress?.token.onCancellationRequested(() => ac.abort());
    progress?.begin('Treasure', undefined, `running ${testLabel(t)}`, true);
    const t0 = performance.now();
    try {
      let r: Awaited<ReturnType<FixTestActions['fix']>>;
      try {
        r = await this.fix(doc, root, file, t, ac.signal, (m) => progress?.report(m));
      } catch (e) {
        if (signal.aborted) throw e; // the request was cancelled: its answer is RequestCancelled
        if (!ac.signal.aborted) this.say(MessageType.Error, `the fix of the code ${testLabel(t)} exercises failed: ${(e as Error).message}`);
        r = undefined;
      }
      if (ac.signal.aborted && !signal.aborted) this.say(MessageType.Info, `cancelled: ${testLabel(t)}'s fix was not searched to the end`);
      if (!r || ac.signal.aborted) return action;
      const key = `${doc.uri}\u0000${t.name}`;
      if (this.host.revisionOf(data.uri) === data.rev) this.found.set(key, { rev: data.rev, ...r });
      if (r.disabled) {
        this.say(MessageType.Info, r.disabled);
        return action;
      }
      action.title = r.title;
      action.edit = r.edit;
      action.isPreferred = r.preferred !== false;
      this.say(MessageType.Info, `${r.title.replace(/^Fix with Treasure — /, '')} (${r.what}; ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      return action;
    } finally {
      sub?.dispose();
      progress?.done();
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async fix(doc: TextDocument, root: string, file: string, t: TestAtCursor, signal: AbortSignal, report: (m: string) => void): Promise<(Omit<Found, 'rev'> & { what: string }) | undefined> {
    const testRel = relative(root, file);
    const label = testLabel(t);
    const settings = await this.host.settingsFor(doc);
    const engine = await this.host.engineFor(settings);
    let sourceRev: string | undefined;
    const r = await fixFailingTest({
      root, testFile: testRel, test: t, trusted: true, signal, progress: report,
      settingsMarkers: settings.markers, maxTokens: settings.maxFixTokens, undecided: settings.verify.undecided,
      functionsOf: async (rel, text) => {
        const lang = languageForPath(rel);
        return lang?.grammar ? (await analyzeOffThread(text, lang, join(root, rel))).functions : [];
      },
      // the editor's version of the source when it is open; unsaved changes are refused (the tests run the disk's)
      sourceText: (p) => {
        const open = this.docOfPath(p);
        const disk = readText(p);
        if (open && open.getText() !== disk) return { refuse: `save ${relative(root, p)} first: the tests run the files on disk` };
        if (disk === undefined) return { refuse: `cannot read ${relative(root, p)}` };
        sourceRev = open ? this.host.revisionOf(open.uri) : undefined;
        return { text: disk };
      },
      fixDetailed: (req) => this.host.serialized(() => engine.fixDetailed(req), signal),
    });
    if (signal.aborted) return undefined;
    this.host.log(`fix test ${testRel}::${t.name}: ${r.status}${r.status === 'fixed' ? ` (${r.fix.verifiedBy})` : ` (${r.reason})`} in ${r.ms} ms`);
    const plain = `Fix the code ${label} exercises with Treasure`;
    if (r.status !== 'fixed') return { title: r.status === 'passes' ? `${plain} (it passes)` : plain, disabled: r.reason, what: '' };
    // the source must still be the text the fix was made on
    const nowOpen = this.docOfPath(r.sourcePath);
    if ((nowOpen ? nowOpen.getText() : readText(r.sourcePath)) !== r.sourceText || (nowOpen && this.host.revisionOf(nowOpen.uri) !== sourceRev)) {
      return { title: plain, disabled: `${r.source} changed while the fix was searched: choose the action again`, what: '' };
    }
    const uri = nowOpen?.uri ?? pathToFileURL(r.sourcePath).href;
    // open: for the version the fix was made on; not open: plain `changes` (a null version trips some clients)
    const edit: CodeAction['edit'] = nowOpen ? { documentChanges: [{ textDocument: { uri, version: nowOpen.version }, edits: r.fix.edits }] } : { changes: { [uri]: r.fix.edits } };
    const what = `${r.fix.label ?? `a rewrite of ${r.functionName}`} in ${r.source}${r.candidates !== undefined ? `, ${r.candidates} candidates tried` : ''}`;
    return { title: r.title, edit, preferred: !r.fix.contested, source: { uri, text: r.sourceText }, what };
  }
}
