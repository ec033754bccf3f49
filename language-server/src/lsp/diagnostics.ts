// Tree-sitter's syntax errors as diagnostics (the `treasure.syntaxDiagnostics` setting), published a
// moment after the last change, for the revision they were found in.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Documents } from './documents';
import { reporter, type ServerIO } from './io';
import type { SettingsStore } from './settings';

/** Quiet time after a change before a document's diagnostics are computed. */
const DEBOUNCE_MS = 150;

export class SyntaxDiagnostics {
  private readonly published = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly report: (where: string, e: unknown) => void;

  constructor(
    private readonly io: ServerIO,
    private readonly documents: Documents,
    private readonly settings: SettingsStore,
  ) {
    this.report = reporter(io.log);
  }

  schedule(doc: TextDocument): void {
    const old = this.timers.get(doc.uri);
    if (old) clearTimeout(old);
    this.timers.set(
      doc.uri,
      setTimeout(() => {
        this.timers.delete(doc.uri);
        void this.publish(doc.uri);
      }, DEBOUNCE_MS),
    );
  }

  async publish(uri: string): Promise<void> {
    const doc = this.documents.get(uri);
    if (!doc) return;
    try {
      const settings = await this.settings.for(doc);
      const lang = settings.enable && settings.syntaxDiagnostics ? this.documents.languageOf(doc) : null;
      if (!lang) {
        if (this.published.delete(uri)) await this.io.sendDiagnostics({ uri, diagnostics: [] });
        return;
      }
      const version = doc.version;
      const rev = this.documents.revisionOf(uri);
      const a = await this.documents.analysisOf(doc, lang);
      if (this.documents.revisionOf(uri) !== rev) return;
      const diagnostics: Diagnostic[] = a.issues.map((i) => ({
        range: { start: { line: i.start.row, character: i.start.column }, end: { line: i.end.row, character: i.end.column } },
        severity: DiagnosticSeverity.Error,
        source: 'treasure',
        message: `Syntax error: ${i.message}`,
      }));
      this.published.add(uri);
      await this.io.sendDiagnostics({ uri, version, diagnostics });
    } catch (e) {
      this.report('diagnostics', e);
    }
  }

  /** A closed document: no timer left, and what was published for it is taken back. */
  closed(uri: string): void {
    const timer = this.timers.get(uri);
    if (timer) clearTimeout(timer);
    this.timers.delete(uri);
    if (this.published.delete(uri)) void this.io.sendDiagnostics({ uri, diagnostics: [] });
  }
}
