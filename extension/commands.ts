// The commands of the command palette: Generate Code…, Show Markers at Cursor, Fix All in File,
// Restart Server, Show Output.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { Ctx } from './ctx';
import { EXACT_LINES_LABEL, checkLineCount, insertionText, lengthChoices, lineCountMarkers } from './lengths';
import { lineComment, resolveLanguage } from '../language-server/src/grammars';
import { markerOrder } from '../language-server/src/markers';
import {
  FixAllRequest,
  GenerateRequest,
  MarkersAtRequest,
  type FixAllParams,
  type FixAllResult,
  type GenerateParams,
  type GenerateResult,
  type MarkerReport,
  type MarkersAtParams,
  type Range,
} from '../language-server/src/protocol';
import { generationPrompt } from './prompt';
import { request as send } from './requests';
import type { MarkerValues } from './settings';

type Command = (...args: unknown[]) => unknown;

export function register(ctx: Ctx): vscode.Disposable[] {
  const commands: Record<string, Command> = {
    'treasure.generate': (args) => generate(ctx, args as GenerateArgs | undefined),
    'treasure.showMarkers': () => showMarkers(ctx),
    'treasure.fixAll': () => fixAll(ctx),
    'treasure.restartServer': () => ctx.restart(),
    'treasure.showOutput': () => ctx.log.show(),
  };
  return Object.entries(commands).map(([id, fn]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        if (e instanceof vscode.CancellationError) return undefined;
        const message = e instanceof Error ? e.message : String(e);
        ctx.log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(`Treasure: ${message}`);
        return undefined;
      }
    }),
  );
}

function markerList(markers: MarkerValues): string {
  const keys = (markerOrder() as string[]).filter((k) => k in markers);
  return keys.map((k) => `${k}=${markers[k]}`).join(' ');
}

function isCancelled(e: unknown): boolean {
  return e instanceof vscode.CancellationError || (e instanceof Error && /cancel/i.test(e.message));
}

// ---------------------------------------------------------------------------------------------
// Treasure: Generate Code…

/** Optional arguments (for keybindings and scripts); without them the command asks. */
interface GenerateArgs {
  prompt?: string;
  /** A length_bucket value, or a number of lines. */
  length?: string | number;
}

async function generate(ctx: Ctx, args?: GenerateArgs): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('Open a file to generate code in.');
  const doc = editor.document;
  const selection = editor.selection;
  const selected = selection.isEmpty ? '' : doc.getText(selection).trim();

  let request = args?.prompt;
  if (!request && !selected) {
    const typed = await vscode.window.showInputBox({
      title: 'Treasure: Generate Code (1/2)',
      prompt: 'What should the code do? (or select a comment or signature first)',
      placeHolder: 'e.g. return the n-th Fibonacci number',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Describe the code to write'),
    });
    if (!typed) return;
    request = typed.trim();
  }

  let markers: MarkerValues | undefined;
  if (args?.length !== undefined) {
    const l = String(args.length);
    markers = /^\d+$/.test(l) ? (checkLineCount(l) ? undefined : lineCountMarkers(l)) : lengthChoices().find((c) => c.label === l)?.markers;
    if (!markers) throw new Error(`invalid length ${JSON.stringify(args.length)}`);
  } else {
    const choice = await vscode.window.showQuickPick(lengthChoices(), {
      title: 'Treasure: Generate Code (2/2) — length',
      placeHolder: 'How long should the code be?',
      ignoreFocusOut: true,
    });
    if (!choice) return;
    if (choice.label === EXACT_LINES_LABEL) {
      const n = await vscode.window.showInputBox({
        title: 'Treasure: Generate Code — exact number of lines',
        prompt: 'Number of lines (length_lines marker)',
        ignoreFocusOut: true,
        validateInput: (v) => checkLineCount(v),
      });
      if (!n) return;
      markers = lineCountMarkers(n);
    } else {
      markers = choice.markers!;
    }
  }

  const client = await ctx.requireClient();
  // Generated code goes at the cursor (the end of the selection, when one was used as the request).
  const position = selection.active.isBefore(selection.anchor) ? selection.anchor : selection.active;
  const versionBefore = doc.version;
  const grammar = resolveLanguage(doc.languageId)?.grammar;
  const prompt = generationPrompt({
    lines: doc.getText().split(/\r?\n/),
    line: position.line,
    character: position.character,
    request,
    lineComment: grammar ? lineComment(grammar) : '//',
  });
  const params: GenerateParams = {
    textDocument: { uri: client.code2ProtocolConverter.asUri(doc.uri) },
    languageId: doc.languageId,
    prompt,
    markers,
  };
  ctx.log.info(`generate: ${request ? JSON.stringify(request) : 'from the selection'} with ${markerList(markers)}`);
  let result: GenerateResult | null;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Treasure: generating code (${markerList(markers)})…`, cancellable: true },
      (_progress, token) => send(client, GenerateRequest, params, token),
    );
  } catch (e) {
    if (isCancelled(e)) {
      ctx.log.info('generate: cancelled');
      return;
    }
    throw e;
  }
  if (result?.droppedLines) ctx.log.info(`generate: ${result.droppedLines} generated lines left out: they add a syntax error`);
  if (result?.promptLinesLeftOut) ctx.log.info(`generate: the file before the cursor is longer than the model's context; its first ${result.promptLinesLeftOut} lines were left out`);
  if (result?.cutAtLines) ctx.log.info(`generate: the model went past the ${result.cutAtLines}-line limit; its answer was cut there`);
  if (!result || !result.text.trim()) {
    void vscode.window.showInformationMessage(result?.droppedLines
      ? `Treasure: the model's code did not parse (${result.droppedLines} lines); nothing was inserted.`
      : 'Treasure: the model generated no code for this request.');
    return;
  }
  ctx.log.info(`generate: ${result.text.split('\n').length} lines in ${Math.round(result.latencyMs)} ms; markers given ${markerList(result.markers.given)}, inferred ${markerList(result.markers.inferred)}`);
  if (doc.version !== versionBefore) {
    const pick = await vscode.window.showWarningMessage('Treasure: the file changed while the code was generated. Insert it anyway?', 'Insert', 'Discard');
    if (pick !== 'Insert') return;
  }
  const at = doc.validatePosition(position);
  const text = insertionText(result.text, doc.lineAt(at.line).text, at.character);
  // One edit, one undo step: through the editor when it is still visible, else as a workspace edit.
  const target = vscode.window.visibleTextEditors.find((e) => e.document === doc);
  let ok: boolean;
  if (target) {
    ok = await target.edit((b) => b.insert(at, text), { undoStopBefore: true, undoStopAfter: true });
  } else {
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, at, text);
    ok = await vscode.workspace.applyEdit(edit);
  }
  if (!ok) throw new Error('the generated code could not be inserted');
}

// ---------------------------------------------------------------------------------------------
// Treasure: Show Markers at Cursor

const SOURCE_LABEL: Record<string, string> = {
  explicit: 'given explicitly',
  settings: 'from your settings (team defaults)',
  context: 'from the code at the cursor',
  model: 'inferred by the model',
};

async function showMarkers(ctx: Ctx): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('Open a file to see the markers at the cursor.');
  const client = await ctx.requireClient();
  const doc = editor.document;
  const pos = editor.selection.active;
  const params: MarkersAtParams = {
    textDocument: { uri: client.code2ProtocolConverter.asUri(doc.uri) },
    position: { line: pos.line, character: pos.character },
  };
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Treasure: inferring markers…' },
    () => send(client, MarkersAtRequest, params),
  );
  if (!result) throw new Error(`no markers for ${doc.languageId} documents (a language Treasure does not fix, or a file too large)`);
  const settingSources = ctx.config.resolve({ uri: doc.uri, languageId: doc.languageId }).markerSources;
  // the server's keys are the taxonomy's (protocol.ts types them from models/markers.json), in its order
  const keys = markerOrder().filter((k) => k in result.markers);
  const items: vscode.QuickPickItem[] = keys.map((k) => {
    const source = result.sources[k] ?? 'model';
    const where = source === 'settings' && settingSources[k] ? ` — ${settingSources[k]}` : '';
    return { label: `${k}: ${result.markers[k]}`, description: `${SOURCE_LABEL[source] ?? source}${where}` };
  });
  ctx.log.info(`markers at ${doc.uri.fsPath}:${pos.line + 1}:${pos.character + 1}: ${keys.map((k) => `${k}=${result.markers[k]} (${result.sources[k] ?? 'model'})`).join(', ')}`);
  await vscode.window.showQuickPick(items, {
    title: `Treasure: markers at line ${pos.line + 1}`,
    placeHolder: 'What the model would be given here, and where each value comes from',
    canPickMany: false,
  });
}

// ---------------------------------------------------------------------------------------------
// Treasure: Fix All in File

async function fixAll(ctx: Ctx): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('Open a file to fix.');
  const doc = editor.document;
  const client = await ctx.requireClient();
  const params: FixAllParams = { textDocument: { uri: client.code2ProtocolConverter.asUri(doc.uri) } };
  const versionBefore = doc.version;
  let result: FixAllResult | null;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Treasure: fixing every problem in the file…', cancellable: true },
      (_p, token) => send(client, FixAllRequest, params, token),
    );
  } catch (e) {
    if (isCancelled(e)) return;
    throw e;
  }
  const fixes = result?.fixes ?? [];
  for (const f of fixes) ctx.status.latency(f.latencyMs);
  ctx.log.info(`fix all: ${fixes.length} fixes, ${result?.edits?.length ?? 0} edits`);
  if (fixes.length === 0 || !result?.edits?.length) {
    void vscode.window.showInformationMessage('Treasure: no fix it could prove for any problem in this file.');
    return;
  }
  if (doc.version !== versionBefore || (typeof result.version === 'number' && result.version !== doc.version)) {
    throw new Error('the file changed while the fixes were computed; run Fix All again.');
  }
  const edit = await toPreviewEdit(client, doc.uri, result);
  // needsConfirmation on every entry: VS Code shows the Refactor Preview and applies nothing until the user does.
  const applied = await vscode.workspace.applyEdit(edit, { isRefactoring: true });
  ctx.log.info(applied ? 'fix all: applied' : 'fix all: not applied');
}

function contains(outer: Range, inner: Range): boolean {
  const before = (a: Range['start'], b: Range['start']) => a.line < b.line || (a.line === b.line && a.character <= b.character);
  return before(outer.start, inner.start) && before(inner.end, outer.end);
}

function allMarkers(m: MarkerReport): MarkerValues {
  return { ...m.inferred, ...m.given };
}

/** One group per fix in the preview (its lines and markers), every entry to be confirmed. */
async function toPreviewEdit(client: LanguageClient, uri: vscode.Uri, result: FixAllResult): Promise<vscode.WorkspaceEdit> {
  const edit = new vscode.WorkspaceEdit();
  const groups = result.fixes.map((fix, i) => ({
    region: fix.region,
    metadata: {
      needsConfirmation: true,
      label: `Fix ${i + 1}: lines ${fix.region.start.line + 1}–${fix.region.end.line + 1}`,
      description: markerList(allMarkers(fix.markers)),
    } satisfies vscode.WorkspaceEditEntryMetadata,
  }));
  const other: vscode.WorkspaceEditEntryMetadata = { needsConfirmation: true, label: 'Treasure fixes' };
  for (const e of result.edits) {
    const group = groups.find((g) => contains(g.region, e.range));
    const [converted] = (await client.protocol2CodeConverter.asTextEdits([e])) ?? [];
    if (converted) edit.replace(uri, converted.range, converted.newText, group?.metadata ?? other);
  }
  return edit;
}
