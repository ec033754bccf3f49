// Reads the treasure.* settings from VS Code for a scope (window, or one document with its
// language), applies Workspace Trust, validates markers against the taxonomy and reports what is
// ignored: in the output channel, and as one warning per new set of problems.
import * as vscode from 'vscode';
import { TRUST_RESTRICTED, type TreasureSettings } from '../language-server/src/settings';
import {
  DEFAULTS,
  checkScalars,
  describeProblem,
  resolveMarkers,
  restrictedValue,
  type Inspected,
  verifyCommandOf,
  verifyBuildOf,
  undecidedOf,
  minConfidenceOf,
  type SettingProblem,
} from './settings';

export interface Scope {
  uri?: vscode.Uri;
  languageId?: string;
}

export interface ResolvedSettings {
  settings: TreasureSettings;
  /** Source of each team-default marker, e.g. `workspace settings ([python])`. */
  markerSources: Record<string, string>;
  problems: SettingProblem[];
}

export class Config {
  private readonly reported = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** The scope of an open document (its language's overrides included). */
  scopeOf(uri: string | vscode.Uri | null | undefined): Scope {
    if (!uri) return {};
    const u = typeof uri === 'string' ? vscode.Uri.parse(uri) : uri;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === u.toString());
    return { uri: u, languageId: doc?.languageId };
  }

  resolve(scope: Scope = {}): ResolvedSettings {
    const section = vscode.workspace.getConfiguration(
      'treasure',
      scope.languageId ? { uri: scope.uri, languageId: scope.languageId } : scope.uri,
    );
    const problems: SettingProblem[] = [];
    const trusted = this.trusted;
    // A .code-workspace file: folder settings are a layer of their own.
    const multiRoot = vscode.workspace.workspaceFile !== undefined;

    const markers = resolveMarkers(section.inspect<unknown>('markers') as Inspected<unknown> | undefined, scope.languageId, multiRoot);
    problems.push(...markers.problems);

    // The trust rule (settings.ts TRUST_RESTRICTED): an untrusted workspace's layers do not choose the
    // model, the device or the test command (the server runs no test without trust either). (Model path
    // is machine-scoped: VS Code ignores it in workspace settings.)
    const fallback: Record<(typeof TRUST_RESTRICTED)[number], unknown> = { 'model.path': DEFAULTS.model.path, device: DEFAULTS.device, 'verify.command': DEFAULTS.verify.command, 'verify.build': DEFAULTS.verify.build };
    const restricted = TRUST_RESTRICTED.map((name) => [name, restrictedValue<unknown>(section.inspect<unknown>(name) as Inspected<unknown>, trusted, fallback[name], multiRoot)] as const);
    for (const [name, r] of restricted) {
      if (r.ignored) problems.push({ setting: `treasure.${name}`, where: r.ignored, message: 'ignored: the workspace is not trusted (Restricted Mode)' });
    }
    const value = (name: (typeof TRUST_RESTRICTED)[number]) => restricted.find(([n]) => n === name)![1].value;
    const device = { value: value('device') };
    const modelPath = { value: value('model.path') };
    const verifyCommand = { value: value('verify.command') };
    const verifyBuild = { value: value('verify.build') };
    const scalars = checkScalars({
      device: device.value,
      modelPath: modelPath.value,
      maxFixTokens: section.get<unknown>('maxFixTokens'),
    });
    problems.push(...scalars.problems);

    const settings: TreasureSettings = {
      enable: section.get<boolean>('enable', DEFAULTS.enable) !== false,
      markers: markers.markers,
      model: { path: scalars.modelPath },
      device: scalars.device,
      maxFixTokens: scalars.maxFixTokens,
      syntaxDiagnostics: section.get<boolean>('syntaxDiagnostics', DEFAULTS.syntaxDiagnostics) !== false,
      verify: { command: verifyCommandOf(verifyCommand.value, problems), build: verifyBuildOf(verifyBuild.value, problems), undecided: undecidedOf(section.get<unknown>('verify.undecided'), problems) },
      unverified: { minConfidence: minConfidenceOf(section.get<unknown>('unverified.minConfidence'), problems) },
    };
    return { settings, markerSources: markers.sources, problems };
  }

  /** Log every new problem; warn once per new batch. Returns the problems that were new. */
  report(problems: SettingProblem[], opts: { warn: boolean } = { warn: true }): SettingProblem[] {
    const fresh = problems.filter((p) => !this.reported.has(describeProblem(p)));
    if (fresh.length === 0) return fresh;
    for (const p of fresh) {
      this.reported.add(describeProblem(p));
      this.log.warn(describeProblem(p));
    }
    if (opts.warn) {
      const first = describeProblem(fresh[0]!);
      const more = fresh.length > 1 ? ` (and ${fresh.length - 1} more)` : '';
      void vscode.window.showWarningMessage(`Treasure: ${first}${more}. Ignored.`, 'Show Output').then((pick) => {
        if (pick) this.log.show(true);
      });
    }
    return fresh;
  }

  /** Settings changed: forget what was reported so that a problem that is still there is reported again. */
  forgetReported(): void {
    this.reported.clear();
  }

  /** Resolve for every open document (and the window) and report; used at start and after a change. */
  checkAll(): void {
    const all: SettingProblem[] = [...this.resolve().problems];
    for (const doc of vscode.workspace.textDocuments) {
      if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled') continue;
      all.push(...this.resolve({ uri: doc.uri, languageId: doc.languageId }).problems);
    }
    this.report(all);
  }
}
