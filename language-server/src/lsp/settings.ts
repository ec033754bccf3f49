// The settings a request runs with: the client's initialization options, workspace/configuration per
// document (cached until the client says they changed), and the one trust rule for all of them.
import { DEFAULT_SETTINGS, SETTINGS_SECTION, applyTrust, resolveSettings, validateMarkers, type TreasureSettings } from '../settings';
import type { ServerIO } from './io';

/** What a document's settings depend on: where it is and its language (a `[python]` section). */
export interface SettingsScope { uri: string; languageId: string }

export class SettingsStore {
  /** Whether the client reads workspace/configuration (else the global settings serve every document). */
  hasConfiguration = false;
  /**
   * Whether the client trusts the workspace (initializationOptions.trusted === true; else it is
   * untrusted). Untrusted, the settings of settings.ts TRUST_RESTRICTED come from initializationOptions
   * only (the client's own, filtered settings), never from workspace/configuration or
   * didChangeConfiguration (applyTrust, the one rule for every request).
   */
  trusted = false;
  private global: unknown = undefined;
  private init: TreasureSettings = structuredClone(DEFAULT_SETTINGS);
  private readonly cache = new Map<string, Promise<TreasureSettings>>();
  private readonly said = new Set<string>();

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

  /**
   * Raw sections read as settings: the markers checked by the client's rules (settings.ts: what is not
   * a valid team default is logged and left out), then the trust rule (an untrusted workspace keeps
   * the model and device of initializationOptions).
   */
  private resolve(where: string, base: unknown, languageSection?: unknown): TreasureSettings {
    const s = resolveSettings(base, languageSection);
    const { markers, problems } = validateMarkers(s.markers, where);
    const said = `settings for ${where}: ignoring ${problems.map((p) => p.message).join('; ')}`;
    // said once until the settings change (the workspace-wide settings are read on every request)
    if (problems.length && !this.said.has(said)) {
      this.said.add(said);
      this.io.log(said);
    }
    return applyTrust({ ...s, markers }, this.trusted, this.init);
  }

  /** The workspace-wide settings (no document), under the same rules. */
  workspace(): TreasureSettings {
    return this.resolve('the workspace', this.global);
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
        .then((r: unknown[]) => this.resolve(doc.uri, r[0], r[1]))
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
    this.said.clear();
  }

  closed(uri: string): void {
    this.cache.delete(uri);
  }
}
