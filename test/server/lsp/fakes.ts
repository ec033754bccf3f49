// Stand-ins for what the server's rooms get from a connection (lsp/io.ts ServerIO) and from the
// client's open documents, so that each room runs in a test without a client or a process.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { PublishDiagnosticsParams } from 'vscode-languageserver/node';
import type { Notification } from '../../../language-server/src/protocol';
import type { DocumentSource } from '../../../language-server/src/lsp/documents';
import type { ServerIO } from '../../../language-server/src/lsp/io';

export class FakeIO implements ServerIO {
  readonly logs: string[] = [];
  readonly shown: { type: string; message: string }[] = [];
  readonly informed: string[] = [];
  readonly notified: { method: string; params: unknown }[] = [];
  readonly diagnostics: PublishDiagnosticsParams[] = [];
  /** workspace/configuration's answer: the `treasure` section, and the language section. */
  config: [unknown, unknown] = [{}, null];
  log(msg: string): void { this.logs.push(msg); }
  show(type: 'info' | 'error', message: string): void { this.shown.push({ type, message }); }
  inform(message: string): void { this.informed.push(message); }
  async notify<P>(type: Notification<P>, params: P): Promise<void> { this.notified.push({ method: type.method, params }); }
  async configuration(): Promise<unknown[]> { return this.config; }
  async sendDiagnostics(p: PublishDiagnosticsParams): Promise<void> { this.diagnostics.push(p); }
}

/** Open documents by URI. */
export class FakeDocuments implements DocumentSource {
  readonly docs = new Map<string, TextDocument>();
  open(uri: string, languageId: string, text: string, version = 1): TextDocument {
    const d = TextDocument.create(uri, languageId, version, text);
    this.docs.set(uri, d);
    return d;
  }
  get(uri: string): TextDocument | undefined { return this.docs.get(uri); }
  all(): TextDocument[] { return [...this.docs.values()]; }
}
