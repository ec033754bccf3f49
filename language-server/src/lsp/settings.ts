// The settings a request runs with: the client's initialization options, workspace/configuration per
// document (cached until the client says they changed), and the one trust rule for all of them.
import { sanitizeMarkers } from '../markers';
import { DEFAULT_SETTINGS, SETTINGS_SECTION, resolveSettings, type TreasureSettings } from '../protocol';
import type { ServerIO } from './io';

/** What a document's settings depend on: where it is and its language (a `[python]` section). */
export interface SettingsScope { uri: string; languageId: string }

export class SettingsStore {
  /** Whether the client reads workspace/configuration (else the global settings serve every document). */
  hasConfiguration = false;
  /**
   * One trust rule for every request: a workspace is untrusted unless the client says it trusts it
   * (initializationOptions.trusted === true). An untrusted workspace must not choose the model or the
   * device: those come from initializationOptions only (the client's own, filtered settings), never
   * from workspace/configuration or didChangeConfiguration.
   */
  trusted = false;
  private global: unknown = undefined;
  private init: TreasureSettings = structuredClone(DEFAULT_SETTINGS);
  private readonly cache = new Map<string, Promise<TreasureSettings>>();

  constructor(private readonly io: ServerIO) {}

  /** From `initialize`: the client's settings and whether it trusts the workspace. */
  initialize(opts: { settings?: unknown; trusted?: boolean } | undefined, hasConfiguration: boolean): void {
    this.hasConfiguration = hasConfiguration;
    if (opts?.settings) {
      this.global = opts.settings;
      this.init = resolveSettings(opts.settings);
    }
    this.trusted = opts?.trusted === true;
    if (!this.trusted) this.io.log('the client did not say the workspace is trusted: the model and device come from initializationOptions only');
  }

  /** The trust rule: an untrusted workspace keeps the model and device of initializationOptions. */
  restrict(s: TreasureSettings): TreasureSettings {
    if (this.trusted) return s;
    return { ...s, model: { ...this.init.model }, device: this.init.device };
  }

  /** The workspace-wide settings (no document), under the same trust rule. */
  workspace(): TreasureSettings {
    return this.restrict(resolveSettings(this.global));
  }

  /** A document's settings (cached per document until a change of configuration or its close). */
  for(doc: SettingsScope): Promise<TreasureSettings> {
    if (!this.hasConfiguration) return Promise.resolve(this.workspace());
    let s = this.cache.get(doc.uri);
    if (!s) {
      s = this.io
        .configuration([
          { scopeUri: doc.uri, section: SETTINGS_SECTION },
          { scopeUri: doc.uri, section: `[${doc.languageId}]` },
        ])
        .then((r: unknown[]) => {
          const settings = this.restrict(resolveSettings(r[0], r[1]));
          const bad = sanitizeMarkers(settings.markers).errors;
          if (bad.length) this.io.log(`settings for ${doc.uri}: ignoring ${bad.join('; ')}`);
          return settings;
        })
        .catch((e: unknown) => {
          this.io.log(`cannot read settings for ${doc.uri}: ${(e as Error).message}`);
          return structuredClone(DEFAULT_SETTINGS);
        });
      this.cache.set(doc.uri, s);
    }
    return s;
  }

  /** didChangeConfiguration: the new global section, if it came with one; every document reads again. */
  changed(settings: unknown): void {
    const s = (settings as Record<string, unknown> | undefined)?.[SETTINGS_SECTION];
    if (s) this.global = s;
    this.cache.clear();
  }

  closed(uri: string): void {
    this.cache.delete(uri);
  }
}
