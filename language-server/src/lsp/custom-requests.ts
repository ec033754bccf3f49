// Treasure's own requests (protocol.ts): markersAt, generate, fixAll and status, each validated here and
// answered from the documents' analyses and the engines; none needs a client to be tested.
import type { CancellationToken } from 'vscode-languageserver/node';
import { validLanguageId, validPosition } from '../bounds';
import { chooseTarget, syntaxTarget, targetAt, type FixTarget } from '../context';
import { DecodeAbortedError } from '../decode';
import { BusyError } from '../model-queue';
import { markerLayers, markersFor } from '../engine';
import { sanitizeMarkers, typedMarkers } from '../markers';
import type { FixAllParams, FixAllResult, GenerateParams, GenerateResult, MarkersAtParams, MarkersAtResult, StatusResult } from '../protocol';
import { applyTextEdits, eolOf, minimalEdits, toTextEdits, type TextEdit } from '../repair/text';
import type { Documents } from './documents';
import type { Engines } from './engines';
import { cancellable, invalidParams, reporter, settle, type ServerIO } from './io';
import type { SettingsStore } from './settings';

/** A generate prompt longer than this is refused (the model sees at most its context's worth of it). */
export const MAX_PROMPT_CHARS = 200_000;

const uriOf = (p: unknown): string | undefined => {
  const uri = (p as { textDocument?: { uri?: unknown } } | null)?.textDocument?.uri;
  return typeof uri === 'string' ? uri : undefined;
};

export class CustomRequests {
  private readonly report: (where: string, e: unknown) => void;

  constructor(
    io: ServerIO,
    private readonly documents: Documents,
    private readonly settings: SettingsStore,
    private readonly engines: Engines,
  ) {
    this.report = reporter(io.log);
  }

  /** treasure/markersAt: the markers a fix at a position would give the model, and its region. */
  async markersAt(p: MarkersAtParams): Promise<MarkersAtResult | null> {
    const uri = uriOf(p);
    if (!uri) throw invalidParams('treasure/markersAt needs textDocument.uri');
    const doc = this.documents.get(uri);
    if (!doc) return null;
    if (p.position !== undefined && !validPosition(p.position, doc.lineCount)) throw invalidParams(`position is not in the document (${doc.lineCount} lines)`);
    try {
      const lang = this.documents.languageOf(doc);
      if (!lang) return null;
      const settings = await this.settings.for(doc);
      const a = await this.documents.analysisOf(doc, lang);
      const r = markersFor(a, chooseTarget(a, { line: p.position?.line }), { settings: sanitizeMarkers(settings.markers).markers });
      return {
        markers: typedMarkers(r.markers),
        sources: r.sources,
        region: r.region ? { start: { line: r.region.startLine, character: 0 }, end: { line: r.region.endLine, character: doc.getText({ start: { line: r.region.endLine, character: 0 }, end: { line: r.region.endLine + 1, character: 0 } }).replace(/\r?\n$/, '').length } } : undefined,
      };
    } catch (e) {
      this.report('markersAt', e);
      return null;
    }
  }

  /** treasure/generate: code continued by the model (CodeGeneration), under the document's settings if one is named. */
  generate(p: GenerateParams, token?: CancellationToken): Promise<GenerateResult | null> {
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
        const doc = uri ? this.documents.get(uri) : undefined;
        // with or without a document, the same trust rule applies to the settings
        const settings = doc ? await this.settings.for(doc) : this.settings.workspace();
        const engine = await this.engines.engineFor(settings);
        const r = await this.engines.queue.run(
          'generate',
          (shared) => engine.generate({ languageId: p.languageId, prompt: p.prompt, markers: p.markers, settingsMarkers: settings.markers, maxTokens: p.maxTokens, signal: shared }),
          { signal },
        );
        // undefined members (no dropped lines, no cut) are left out of the JSON
        return { text: r.text, markers: r.markers, latencyMs: r.latencyMs, droppedLines: r.droppedLines, cutAtLines: r.cutAtLines, promptLinesLeftOut: r.promptLinesLeftOut };
      } catch (e) {
        if (e instanceof DecodeAbortedError || e instanceof BusyError) throw e;
        this.report('generate', e);
        return null;
      }
    });
  }

  /** treasure/fixAll: every syntax error's proven fix, one region after the other, as one set of edits. */
  fixAll(p: FixAllParams, token?: CancellationToken): Promise<FixAllResult | null> {
    const uri = uriOf(p);
    if (!uri) return Promise.reject(invalidParams('treasure/fixAll needs textDocument.uri'));
    if (p.markers !== undefined && (p.markers === null || typeof p.markers !== 'object')) return Promise.reject(invalidParams('markers must be an object'));
    return cancellable(token, async (signal) => {
      const doc = this.documents.get(uri);
      if (!doc) return null;
      try {
        const rev = this.documents.revisionOf(uri);
        const text = doc.getText();
        const version = doc.version;
        const settings = await this.settings.for(doc);
        const lang = this.documents.languageOf(doc);
        if (!lang) return null;
        const a = await this.documents.analysisOf(doc, lang);
        const engine = await this.engines.engineFor(settings);
        const regions: FixTarget[] = [];
        for (const issue of a.issues) {
          const t = syntaxTarget(a, issue);
          if (!regions.some((r) => r.region.startLine <= t.region.endLine && t.region.startLine <= r.region.endLine)) regions.push(t);
        }
        // One error after the other, each on the text the fixes before it made (a two-token fix may mend
        // two errors at once; token edits keep the line numbers); only proven fixes are taken.
        const fixes: FixAllResult['fixes'] = [];
        const markers = markerLayers(p.markers, settings.markers);
        let cur = text;
        let curAnalysis = a;
        for (const t of regions) {
          if (this.documents.revisionOf(uri) !== rev) return null;
          if (cur !== curAnalysis.text) curAnalysis = await this.documents.analyzeText(cur, lang, doc.uri);
          if (cur !== text && !curAnalysis.issues.some((i) => i.start.row >= t.region.startLine && i.start.row <= t.region.endLine)) continue;
          const analysis = curAnalysis;
          const outcome = await this.engines.queue.run(
            'fixAll',
            (shared) => engine.fixAt({ analysis, target: targetAt(analysis, { line: t.line }), line: t.line, markers, maxTokens: settings.maxFixTokens, signal: shared }),
            { signal },
          );
          if (!outcome.fix || !outcome.fix.verified) continue;
          cur = outcome.fix.fixed;
          fixes.push({ region: outcome.fix.region, markers: outcome.fix.markers, latencyMs: outcome.fix.latencyMs });
        }
        await settle();
        if (this.documents.revisionOf(uri) !== rev) return null;
        const edits: TextEdit[] = toTextEdits(text, minimalEdits(text, cur, eolOf(text)));
        // sanity: the edits make the fixed text
        if (applyTextEdits(text, edits) !== cur) throw new Error('fixAll: the combined edits do not make the fixed text');
        return { uri: doc.uri, version, edits, fixes };
      } catch (e) {
        if (e instanceof DecodeAbortedError || e instanceof BusyError) throw e;
        this.report('fixAll', e);
        return null;
      }
    });
  }

  /** treasure/status: answers at once (the model loads in the background: warm-up at start, or the first fix). */
  status(): Promise<StatusResult> {
    return this.engines.status(this.settings.workspace());
  }
}
