// The open documents and what is cached per version of each: its revision (the server's own version
// identity), its language, and its analysis (one per revision: every request on that version shares it).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeOffThread } from '../analysis-thread';
import { MAX_DOCUMENT_CHARS, validLanguageId } from '../bounds';
import type { Analysis } from '../context';
import { resolveLanguage, type LanguageInfo } from '../grammars';
import { pathOf, type ServerIO } from './io';

/** The documents the client has open (TextDocuments, or a map in a test). */
export interface DocumentSource {
  get(uri: string): TextDocument | undefined;
  all(): TextDocument[];
}

export class Documents {
  // Document identity. A client's version numbers restart at 1 when a document is reopened and can
  // repeat on a change, so every open and every change gets a revision unique to this server process;
  // actions, analyses and cached fixes carry it, and an edit is returned only for the revision it was
  // computed on.
  private readonly instance = randomBytes(4).toString('hex');
  private revisionCount = 0;
  private readonly revisions = new Map<string, string>();
  private readonly analyses = new Map<string, { rev: string; analysis: Promise<Analysis> }>();
  private readonly refusedSize = new Set<string>();
  private readonly loggedLanguages = new Set<string>();

  constructor(
    private readonly io: ServerIO,
    private readonly source: DocumentSource,
    /** How a document is analysed (the analysis thread; a test may count). */
    private readonly analyzer: (text: string, lang: LanguageInfo, path?: string) => Promise<Analysis> = analyzeOffThread,
  ) {}

  get(uri: string): TextDocument | undefined {
    return this.source.get(uri);
  }

  all(): TextDocument[] {
    return this.source.all();
  }

  /** An open or a change: a new revision. */
  changed(uri: string): void {
    this.revisions.set(uri, `${this.instance}.${++this.revisionCount}`);
  }

  /** The revision of an open document (undefined once it is closed). */
  revisionOf(uri: string): string | undefined {
    return this.source.get(uri) ? this.revisions.get(uri) : undefined;
  }

  closed(uri: string): void {
    this.analyses.delete(uri);
    this.revisions.delete(uri);
    this.refusedSize.delete(uri);
  }

  /** The language of a document Treasure can fix, or null (too large, unknown, no grammar: said once in the log). */
  languageOf(doc: TextDocument): LanguageInfo | null {
    if (doc.getText().length > MAX_DOCUMENT_CHARS) {
      if (!this.refusedSize.has(doc.uri)) {
        this.refusedSize.add(doc.uri);
        const msg = `Treasure: ${doc.uri.split('/').pop()} has ${doc.getText().length.toLocaleString('en-US')} characters; Treasure works on files up to ${MAX_DOCUMENT_CHARS.toLocaleString('en-US')} (no fixes offered for it)`;
        this.io.log(msg);
        this.io.show('info', msg);
      }
      return null;
    }
    this.refusedSize.delete(doc.uri);
    if (!validLanguageId(doc.languageId)) return null;
    const lang = resolveLanguage(doc.languageId);
    if ((!lang || !lang.grammar) && !this.loggedLanguages.has(doc.languageId)) {
      this.loggedLanguages.add(doc.languageId);
      this.io.log(`${doc.languageId}: ${lang ? 'no grammar ships for it' : 'not a language Treasure knows'}; no fixes offered`);
    }
    return lang && lang.grammar ? lang : null;
  }

  /** An analysis of a text that is not a revision of the document (fixAll's text after the fixes before it). */
  analyzeText(text: string, lang: LanguageInfo, uri: string): Promise<Analysis> {
    return this.analyzer(text, lang, pathOf(uri));
  }

  /** The analysis of the document's current revision (computed once per revision). */
  analysisOf(doc: TextDocument, lang: LanguageInfo): Promise<Analysis> {
    const rev = this.revisionOf(doc.uri) ?? '';
    const have = this.analyses.get(doc.uri);
    if (have && have.rev === rev) return have.analysis;
    const analysis = this.analyzer(doc.getText(), lang, pathOf(doc.uri));
    this.analyses.set(doc.uri, { rev, analysis });
    analysis.catch(() => this.analyses.delete(doc.uri));
    return analysis;
  }
}

/** The file of a document that exists on disk (the tests run against the workspace's files). */
export function savedFile(uri: string): string | undefined {
  const p = pathOf(uri);
  return p && existsSync(p) ? p : undefined;
}
