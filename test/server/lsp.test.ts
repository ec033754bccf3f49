// The real language server over stdio (bin/treasure-language-server --stdio, the dist/ bundle that
// `npm test` builds), driven by a minimal LSP client. The last test resolves a fix with the real
// shipped model (models/treasure/) and applies its edit.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { analyze } from '../../language-server/src/context';
import { resolveLanguage } from '../../language-server/src/grammars';
import { repoRoot } from '../../language-server/src/paths';
import { applyTextEdits, type TextEdit } from '../../language-server/src/repair/text';
import { LspClient } from './lsp-client';

const root = repoRoot();
const samples = join(root, 'test/fixtures/samples');
const uri = (name: string) => `file://${join(samples, name)}`;

interface Action {
  title: string;
  kind: string;
  isPreferred?: boolean;
  diagnostics?: { message: string }[];
  data?: { version: number };
  edit?: { documentChanges: { textDocument: { uri: string; version: number }; edits: TextEdit[] }[] };
}

let client: LspClient;
const settings: Record<string, unknown> = { markers: {}, syntaxDiagnostics: false };
const languageSettings: Record<string, unknown> = {};
const scoped = new Map<string, Record<string, unknown>>();

before(async () => {
  assert.ok(existsSync(join(root, 'dist/server.js')), 'dist/server.js is missing: run npm run build (npm test does)');
  client = new LspClient(process.execPath, [join(root, 'bin/treasure-language-server'), '--stdio']);
  client.onRequest = (method, params) => {
    if (method !== 'workspace/configuration') return null;
    const items = (params as { items: { scopeUri?: string; section?: string }[] }).items;
    return items.map((it) => {
      if (it.section === 'treasure') return { ...settings, ...(it.scopeUri ? scoped.get(it.scopeUri) : undefined) };
      if (it.section?.startsWith('[')) return languageSettings[it.section] ?? null;
      return null;
    });
  };
  await client.request('initialize', {
    processId: process.pid,
    rootUri: `file://${root}`,
    initializationOptions: { trusted: true }, // as the VS Code client sends in a trusted workspace
    capabilities: {
      workspace: { configuration: true },
      textDocument: {
        codeAction: {
          codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor', 'refactor.rewrite'] } },
          resolveSupport: { properties: ['edit'] },
          isPreferredSupport: true,
        },
        publishDiagnostics: { versionSupport: true },
      },
    },
  });
  client.notify('initialized', {});
});

after(async () => {
  await client?.shutdown();
});

function open(name: string, text = readFileSync(join(samples, name), 'utf8'), languageId = resolveLanguage(name.split('.').pop()!)?.languageId ?? 'python', version = 1): string {
  client.notify('textDocument/didOpen', { textDocument: { uri: uri(name), languageId, version, text } });
  return text;
}

function codeActions(name: string, line: number, opts: { only?: string[]; diagnostics?: unknown[] } = {}): Promise<Action[]> {
  return client.request<Action[]>('textDocument/codeAction', {
    textDocument: { uri: uri(name) },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    context: { diagnostics: opts.diagnostics ?? [], only: opts.only, triggerKind: 1 },
  });
}

test('a syntax error gets a quickfix.treasure action at once (edit left to codeAction/resolve)', async () => {
  open('missing_colon.py');
  const actions = await codeActions('missing_colon.py', 3);
  const fix = actions.find((a) => a.kind === 'quickfix.treasure');
  assert.ok(fix, JSON.stringify(actions));
  // proven in time: the title says what proved it and the edit comes with it; else resolved when chosen
  if (fix.edit) {
    assert.match(fix.title, /^Fix with Treasure — insert ':' at line 4 \(parses: python [\d.]+ compile\) · CodeFix · python · syntax_error · concise$/);
    assert.equal(fix.isPreferred, true);
  } else {
    assert.equal(fix.title, 'Fix with Treasure — line 4: CodeFix · python · syntax_error · concise (model infers domain)');
    assert.equal(fix.isPreferred, false);
  }
  assert.equal(fix.data?.version, 1);
});

test('a function with no diagnostic gets "Fix this function with Treasure"; context.only filters', async () => {
  open('below_zero.py');
  const actions = await codeActions('below_zero.py', 12);
  assert.deepEqual(actions.map((a) => [a.kind, a.title]), [
    ['refactor.rewrite.treasure', 'Fix this function with Treasure — CodeFix · python · medium (model infers domain, error_type)'],
  ]);
  assert.deepEqual(await codeActions('below_zero.py', 12, { only: ['quickfix'] }), []);
  assert.equal((await codeActions('below_zero.py', 12, { only: ['refactor.rewrite'] })).length, 1);
  assert.deepEqual(await codeActions('below_zero.py', 0), []); // an import line: nothing to offer
});

test('a diagnostic from another tool gets its own fix action, with the diagnostic attached', async () => {
  const diag = { range: { start: { line: 12, character: 11 }, end: { line: 12, character: 23 } }, message: 'Condition will always be false', source: 'pylint', severity: 2 };
  const actions = await codeActions('below_zero.py', 12, { diagnostics: [diag] });
  const fix = actions.find((a) => a.kind === 'quickfix.treasure');
  assert.ok(fix);
  assert.deepEqual(fix.diagnostics?.map((d) => d.message), ['Condition will always be false']);
  assert.match(fix.title, /^Fix with Treasure — line 13: CodeFix · python · wrong_comparison · medium/);
  assert.ok(actions.some((a) => a.kind === 'refactor.rewrite.treasure'), 'the other fixes are still offered');
});

test('team markers from the settings, language-specific sections honoured, re-read on didChangeConfiguration', async () => {
  settings.markers = { domain: 'Web' };
  languageSettings['[python]'] = { 'treasure.markers': { length_bucket: 'long' } };
  client.notify('workspace/didChangeConfiguration', { settings: {} });
  // the function rewrite's title shows the markers it will be given (a syntax fix's shows its proof)
  const actions = await codeActions('below_zero.py', 12);
  assert.equal(actions[0]?.title, 'Fix this function with Treasure — CodeFix · python · Web · long (model infers error_type)');
  settings.markers = {};
  delete languageSettings['[python]'];
  client.notify('workspace/didChangeConfiguration', { settings: {} });
  assert.equal((await codeActions('below_zero.py', 12))[0]?.title, 'Fix this function with Treasure — CodeFix · python · medium (model infers domain, error_type)');
});

test('syntax errors are published as diagnostics when the setting is on', async () => {
  settings.syntaxDiagnostics = true;
  client.notify('workspace/didChangeConfiguration', { settings: {} });
  open('fib.go');
  const d = await client.waitFor<{ uri: string; diagnostics: { source: string; range: { start: { line: number } } }[] }>(
    'textDocument/publishDiagnostics',
    (p) => p.uri === uri('fib.go') && p.diagnostics.length > 0,
  );
  assert.equal(d.diagnostics[0]!.source, 'treasure');
  assert.equal(d.diagnostics[0]!.range.start.line, 8);
  settings.syntaxDiagnostics = false;
  client.notify('workspace/didChangeConfiguration', { settings: {} });
});

test('bad input: unknown language, binary-ish text; the server keeps serving', async () => {
  client.notify('textDocument/didOpen', { textDocument: { uri: 'file:///tmp/x.cob', languageId: 'cobol', version: 1, text: 'IDENTIFICATION DIVISION.' } });
  assert.deepEqual(
    await client.request('textDocument/codeAction', { textDocument: { uri: 'file:///tmp/x.cob' }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } }),
    [],
  );
  client.notify('textDocument/didOpen', { textDocument: { uri: 'file:///tmp/bin.py', languageId: 'python', version: 1, text: '\u0000\u0001\u0002def\u0000(' } });
  await client.request('textDocument/codeAction', { textDocument: { uri: 'file:///tmp/bin.py' }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } });
  await client.request('textDocument/codeAction', { textDocument: { uri: 'file:///nowhere.py' }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } });
  assert.match(client.logs(), /cobol: not a language Treasure knows/);
  assert.equal((await codeActions('missing_colon.py', 3)).length, 1);
  assert.equal(client.exited, null);
});

test('treasure/markersAt reports markers with their sources', async () => {
  const r = await client.request<{ markers: Record<string, string>; sources: Record<string, string>; region: { start: { line: number } } }>('treasure/markersAt', { textDocument: { uri: uri('missing_paren.js') }, position: { line: 4, character: 0 } });
  assert.equal(r, null); // not open
  open('missing_paren.js', undefined, 'javascript');
  const m = await client.request<{ markers: Record<string, string>; sources: Record<string, string>; region: { start: { line: number } } }>('treasure/markersAt', { textDocument: { uri: uri('missing_paren.js') }, position: { line: 4, character: 0 } });
  assert.deepEqual(m.markers, { task: 'CodeFix', code_type: 'javascript', domain: 'Web', error_type: 'syntax_error', length_bucket: 'concise' });
  assert.equal(m.sources.domain, 'context');
  assert.equal(m.region.start.line, 2);
});

test('a stale action (document changed) resolves to no edit; a missing model is logged, not fatal', async () => {
  const text = open('sum.c', undefined, 'c');
  const [action] = await codeActions('sum.c', 5);
  assert.ok(action);
  client.notify('textDocument/didChange', { textDocument: { uri: uri('sum.c'), version: 2 }, contentChanges: [{ text: text + '\n' }] });
  const stale = await client.request<Action>('codeAction/resolve', action);
  assert.equal(stale.edit, undefined);
  assert.match(client.logs(), /changed since the action was offered/);
  scoped.set(uri('sum.c'), { model: { path: '/nonexistent/treasure-model' } });
  client.notify('workspace/didChangeConfiguration', { settings: {} });
  const [fresh] = await codeActions('sum.c', 5);
  const r = await client.request<Action>('codeAction/resolve', fresh);
  assert.equal(r.edit, undefined);
  assert.match(client.logs(), /model unavailable: no model at \/nonexistent\/treasure-model/);
  scoped.delete(uri('sum.c'));
  client.notify('workspace/didChangeConfiguration', { settings: {} });
});

test('with the shipped model: the fix for a def without its colon resolves to an edit that applies cleanly', async () => {
  assert.ok(existsSync(join(root, 'models/treasure/model.onnx')), 'the shipped model models/treasure/ is missing');
  const name = 'missing_colon.py';
  const text = readFileSync(join(samples, name), 'utf8');
  const [action] = (await codeActions(name, 3)).filter((a) => a.kind === 'quickfix.treasure');
  assert.ok(action);
  const resolved = await client.request<Action>('codeAction/resolve', action);
  assert.ok(resolved.edit, `no edit; server log:\n${client.logs()}`);
  const change = resolved.edit.documentChanges[0]!;
  assert.equal(change.textDocument.uri, uri(name));
  assert.equal(change.textDocument.version, 1);
  const fixed = applyTextEdits(text, change.edits);
  assert.notEqual(fixed, text);
  const a = await analyze(fixed, resolveLanguage('python')!);
  assert.deepEqual(a.issues, [], `the fixed file still has syntax errors:\n${fixed}`);
  assert.match(resolved.title, /^Fix with Treasure — insert ':' at line 4 \(parses: python/);
});

test('with the shipped model: treasure/generate keeps a length_lines limit and reports a cut over the wire', async () => {
  const prompt = 'def fibonacci(n):\n    """Return the n-th Fibonacci number, iteratively."""\n';
  const r = await client.request<{ text: string; latencyMs: number; cutAtLines?: number; droppedLines?: number }>('treasure/generate', {
    languageId: 'python', prompt, markers: { length_lines: '1' },
  });
  assert.ok(r, `no result; server log:\n${client.logs()}`);
  const kept = r.text.replace(/^\n+/, '').replace(/\s+$/, '');
  assert.ok(kept === '' || kept.split('\n').length <= 1, `more than 1 line:\n${r.text}`);
  if (r.cutAtLines !== undefined) assert.equal(r.cutAtLines, 1);
  assert.ok(r.droppedLines === undefined || r.droppedLines > 0);
});

test('untrusted workspace: the model path comes from the client, not the workspace; status is notified', async () => {
  const c = new LspClient(process.execPath, [join(root, 'bin/treasure-language-server'), '--stdio']);
  try {
    c.onRequest = (method, params) =>
      method === 'workspace/configuration'
        ? (params as { items: { section?: string }[] }).items.map((it) => (it.section === 'treasure' ? { model: { path: '/workspace/chosen-model' } } : null))
        : null;
    await c.request('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: { workspace: { configuration: true }, textDocument: { codeAction: { resolveSupport: { properties: ['edit'] } } } },
      initializationOptions: { settings: { model: { path: '/client/filtered-model' } }, trusted: false },
    });
    c.notify('initialized', {});
    const status = await c.waitFor<{ modelDir: string; modelLoaded: boolean; error: string | null; languages: string[] }>('treasure/status');
    assert.equal(status.modelDir, '/client/filtered-model');
    assert.equal(status.modelLoaded, false);
    assert.match(status.error ?? '', /no model at \/client\/filtered-model/);
    assert.ok(status.languages.includes('python') && status.languages.includes('haskell'));
    c.notify('textDocument/didOpen', { textDocument: { uri: uri('missing_colon.py'), languageId: 'python', version: 1, text: readFileSync(join(samples, 'missing_colon.py'), 'utf8') } });
    const [action] = await c.request<Action[]>('textDocument/codeAction', { textDocument: { uri: uri('missing_colon.py') }, range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, context: { diagnostics: [] } });
    assert.ok(action);
    const r = await c.request<Action>('codeAction/resolve', action);
    assert.equal(r.edit, undefined);
    assert.match(c.logs(), /no model at \/client\/filtered-model/);
    assert.doesNotMatch(c.logs(), /chosen-model/);
    const s = await c.request<{ modelDir: string }>('treasure/status', null);
    assert.equal(s.modelDir, '/client/filtered-model');
  } finally {
    await c.shutdown();
  }
});
