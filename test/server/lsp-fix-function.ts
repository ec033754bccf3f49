// "Fix this function" through the real language server over stdio (the dist/ bundle), as an editor asks
// it: a trusted workspace of `files`, the `treasure` section the server reads, the code action at a
// position and its resolve. The lsp-unverified and lsp-undecided tests share it.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../../language-server/src/paths';
import { tempWorkspace } from './helpers';
import { LspClient } from './lsp-client';

export interface FixFunctionAction { title: string; kind: string; isPreferred?: boolean; edit?: unknown }

/** One client and workspace per call; `dispose` shuts every client down and removes every workspace. */
export function fixThisFunctionOverLsp(prefix: string) {
  const temps: string[] = [];
  const clients: LspClient[] = [];
  const run = async (o: { files: Record<string, string>; open: string; section: object; line: number; character: number }): Promise<{ action: FixFunctionAction; messages: string[] }> => {
    const ws = tempWorkspace(temps, prefix, o.files);
    const text = o.files[o.open]!;
    const uri = pathToFileURL(join(ws, o.open)).href;
    const c = new LspClient(process.execPath, [join(repoRoot(), 'bin/treasure-language-server'), '--stdio'], process.env);
    clients.push(c);
    const shown: string[] = []; // showInformationMessage comes as a request (window/showMessageRequest)
    c.onRequest = (method, params) => {
      if (method === 'window/showMessageRequest') shown.push((params as { message: string }).message);
      if (method === 'workspace/configuration') return (params as { items: { section?: string }[] }).items.map((it) => (it.section === 'treasure' ? o.section : null));
      return null;
    };
    await c.request('initialize', {
      processId: process.pid, rootUri: pathToFileURL(ws).href, workspaceFolders: [{ uri: pathToFileURL(ws).href, name: 'ws' }], initializationOptions: { trusted: true },
      capabilities: { workspace: { configuration: true, workspaceEdit: { documentChanges: true } }, textDocument: { codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor'] } }, resolveSupport: { properties: ['edit'] }, isPreferredSupport: true } } },
    });
    c.notify('initialized', {});
    c.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
    const at = { line: o.line, character: o.character };
    const actions = await c.request<FixFunctionAction[]>('textDocument/codeAction', { textDocument: { uri }, range: { start: at, end: at }, context: { diagnostics: [] } });
    const fn = actions.find((a) => a.kind === 'refactor.rewrite.treasure');
    assert.ok(fn, JSON.stringify(actions));
    const action = await c.request<FixFunctionAction>('codeAction/resolve', fn);
    return { action, messages: [...shown, c.logs()] };
  };
  const dispose = async () => {
    await Promise.all(clients.map((c) => c.shutdown()));
    temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
  };
  return { run, dispose };
}
