// The language server's rooms (language-server/src/lsp/), each driven directly: no client, no process,
// no LSP framing. The quick fix's walk through them counts its analyses (issue #27: one per document
// revision, one per candidate check).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LSPErrorCodes, ResponseError, type CodeActionParams } from 'vscode-languageserver/node';
import { analysisCounter, analyze } from '../../../language-server/src/context';
import { DecodeAbortedError } from '../../../language-server/src/decode';
import { Engine, InputError, ModelError } from '../../../language-server/src/engine';
import { resolveLanguage } from '../../../language-server/src/grammars';
import { actionTarget, CodeActions, offers, wants } from '../../../language-server/src/lsp/code-actions';
import { CustomRequests } from '../../../language-server/src/lsp/custom-requests';
import { SyntaxDiagnostics } from '../../../language-server/src/lsp/diagnostics';
import { Documents } from '../../../language-server/src/lsp/documents';
import { Engines, type EngineLoader } from '../../../language-server/src/lsp/engines';
import { cancellable, pathOf, reporter } from '../../../language-server/src/lsp/io';
import { SettingsStore } from '../../../language-server/src/lsp/settings';
import { actionTitle, fixTitle } from '../../../language-server/src/lsp/titles';
import { serialize } from '../../../language-server/src/markers';
import { repoRoot } from '../../../language-server/src/paths';
import { CodeActionKinds, StatusNotification, type CodeActionData } from '../../../language-server/src/protocol';
import { checkCounter } from '../../../language-server/src/repair/check';
import { applyTextEdits } from '../../../language-server/src/repair/text';
import { ScriptedLogits, tinyTokenizer } from '../helpers';
import { FakeDocuments, FakeIO } from './fakes';

const tok = tinyTokenizer();
const sample = (f: string) => readFileSync(join(repoRoot(), 'test/fixtures/samples', f), 'utf8');
const MODEL = join(repoRoot(), 'models', 'treasure');
const never = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };

/** The rooms of one server, over fakes; the engine writes `completion`. */
function server(completion: string, opts: { resolveEdit?: boolean; trusted?: boolean } = {}) {
  const io = new FakeIO();
  const docs = new FakeDocuments();
  const documents = new Documents(io, docs);
  // the function rewrites studied here are the model's guesses: every one is offered (the default, never, offers none)
  io.config = [{ unverified: { minConfidence: 0 } }, null];
  const settings = new SettingsStore(io);
  settings.initialize({ trusted: opts.trusted ?? true, settings: { model: { path: MODEL } } }, true);
  const loads: string[] = [];
  const loader: EngineLoader = async (o) => { loads.push(o.modelDir); return Engine.load({ logits: new ScriptedLogits(tok, completion), tokenizer: tok }); };
  const engines = new Engines(io, loader);
  const actions = new CodeActions(io, documents, settings, engines, () => opts.resolveEdit ?? true);
  const open = (name: string, languageId: string, text: string) => {
    const d = docs.open(`file:///project/${name}`, languageId, text);
    documents.changed(d.uri);
    return d;
  };
  return { io, docs, documents, settings, engines, actions, loads, open, requests: new CustomRequests(io, documents, settings, engines) };
}

function counting(): () => { analyses: number; checks: number } {
  const a0 = analysisCounter.count;
  const c0 = checkCounter.count;
  return () => ({ analyses: analysisCounter.count - a0, checks: checkCounter.count - c0 });
}

const params = (uri: string, line: number, only?: string[]): CodeActionParams => ({
  textDocument: { uri },
  range: { start: { line, character: 0 }, end: { line, character: 0 } },
  context: { diagnostics: [], only },
});

describe('io', () => {
  test('cancellable: a cancelled token answers RequestCancelled; an aborted decode becomes one too', async () => {
    const cancelled = { isCancellationRequested: true, onCancellationRequested: () => ({ dispose() {} }) };
    await assert.rejects(cancellable(cancelled, async () => 1), (e: ResponseError<unknown>) => e.code === LSPErrorCodes.RequestCancelled);
    await assert.rejects(cancellable(never, async () => { throw new DecodeAbortedError(); }), (e: ResponseError<unknown>) => e.code === LSPErrorCodes.RequestCancelled);
    assert.equal(await cancellable(never, async (signal) => (signal.aborted ? 0 : 7)), 7);
  });
  test("reporter says whose failure it is; pathOf reads file URIs only", () => {
    const logs: string[] = [];
    const report = reporter((m) => logs.push(m));
    report('fix', new ModelError('gone'));
    report('fix', new InputError('bad line'));
    report('fix', new DecodeAbortedError());
    assert.deepEqual(logs, ['fix: model unavailable: gone', 'fix: bad line', 'fix: cancelled']);
    assert.equal(pathOf('file:///a/b%20c.py'), '/a/b c.py');
    assert.equal(pathOf('untitled:1'), undefined);
  });
});

describe('settings', () => {
  test('the trust rule: an untrusted workspace keeps the model and device of initializationOptions', async () => {
    const io = new FakeIO();
    const s = new SettingsStore(io);
    s.initialize({ settings: { model: { path: '/safe' }, device: 'cpu' } }, true);
    io.config = [{ model: { path: '/evil' }, device: 'gpu', maxFixTokens: 100, markers: { domain: 'Web' } }, null];
    const doc = { uri: 'file:///w/a.py', languageId: 'python' };
    const untrusted = await s.for(doc);
    assert.deepEqual([untrusted.model.path, untrusted.device, untrusted.maxFixTokens, untrusted.markers.domain], ['/safe', 'cpu', 100, 'Web']);
    assert.match(io.logs.join('\n'), /did not say the workspace is trusted/);
    const t = new SettingsStore(io);
    t.initialize({ settings: { model: { path: '/safe' } }, trusted: true }, true);
    assert.equal((await t.for(doc)).model.path, '/evil');
    // a team default the client's rules refuse (the task is the command's) is left out, and said once
    io.config = [{ markers: { task: 'CodeGeneration', domain: 'Web' } }, null];
    s.changed(undefined);
    const refused = await s.for({ uri: 'file:///w/b.py', languageId: 'python' });
    assert.deepEqual(refused.markers, { domain: 'Web' });
    assert.equal(io.logs.filter((l) => /cannot be a default/.test(l)).length, 1);
    // the workspace-wide settings are read on every request: what they get wrong is said once
    s.changed({ treasure: { markers: { code_type: 'python' } } });
    s.workspace();
    s.workspace();
    assert.equal(io.logs.filter((l) => /code type follows/.test(l)).length, 1);
    // a change of configuration is read again; a client without workspace/configuration gets the global settings
    s.changed({ treasure: { model: { path: '/other' }, enable: false } });
    assert.equal(s.workspace().enable, false);
    assert.equal(s.workspace().model.path, '/safe');
  });
});

describe('documents', () => {
  test('one analysis per revision; a change makes a new one; a close forgets it', async () => {
    const io = new FakeIO();
    const docs = new FakeDocuments();
    let analyses = 0;
    const documents = new Documents(io, docs, (text, lang, path) => { analyses++; return analyze(text, lang, path); });
    const d = docs.open('file:///w/a.py', 'python', 'def f(:\n    pass\n');
    documents.changed(d.uri);
    const lang = documents.languageOf(d)!;
    const a1 = await documents.analysisOf(d, lang);
    assert.equal(await documents.analysisOf(d, lang), a1);
    assert.equal(analyses, 1);
    documents.changed(d.uri);
    await documents.analysisOf(d, lang);
    assert.equal(analyses, 2);
    assert.equal(a1.path, '/w/a.py');
    docs.docs.delete(d.uri);
    documents.closed(d.uri);
    assert.equal(documents.revisionOf(d.uri), undefined);
  });
  test('a language without a grammar, or a huge document, is refused (said once)', () => {
    const io = new FakeIO();
    const docs = new FakeDocuments();
    const documents = new Documents(io, docs);
    assert.equal(documents.languageOf(docs.open('file:///w/a.cob', 'cobol', 'x')), null);
    assert.equal(documents.languageOf(docs.open('file:///w/b.cob', 'cobol', 'y')), null);
    assert.equal(io.logs.filter((l) => /cobol/.test(l)).length, 1);
    const huge = docs.open('file:///w/huge.py', 'python', 'x = 1\n'.repeat(2_000_000));
    assert.equal(documents.languageOf(huge), null);
    documents.languageOf(huge);
    assert.equal(io.shown.length, 1);
    assert.match(io.shown[0]!.message, /huge\.py has/);
  });
});

describe('engines', () => {
  test('loaded once per folder and device; the status says so; a relative folder is refused once, shown to the user', async () => {
    const s = server('x');
    const settings = s.settings.workspace();
    const [e1, e2] = await Promise.all([s.engines.engineFor(settings), s.engines.engineFor(settings)]);
    assert.equal(e1, e2);
    assert.deepEqual(s.loads, [MODEL]);
    const status = await s.engines.status(settings);
    assert.equal(status.modelLoaded, true);
    assert.equal(status.device, 'test');
    await new Promise((r) => setImmediate(r));
    assert.ok(s.io.notified.some((n) => n.method === StatusNotification.method && (n.params as { modelLoaded: boolean }).modelLoaded));
    const rel = { ...settings, model: { path: 'models/treasure' } };
    await assert.rejects(s.engines.engineFor(rel), /not an absolute folder/);
    await assert.rejects(s.engines.engineFor(rel), /not an absolute folder/);
    assert.equal(s.io.shown.filter((m) => m.type === 'error').length, 1);
    assert.match((await s.engines.status(rel)).error ?? '', /not an absolute folder/);
  });
  test('one model job at a time, in order; a request aborted while it waits never runs', async () => {
    const s = server('x');
    const order: string[] = [];
    const ac = new AbortController();
    const first = s.engines.queue.run('a', async () => { await new Promise((r) => setTimeout(r, 20)); order.push('first'); });
    const second = s.engines.queue.run('b', async () => { order.push('second'); }, { signal: ac.signal });
    const third = s.engines.queue.run('c', async () => { order.push('third'); });
    const secondRejected = assert.rejects(second, DecodeAbortedError); // the queue rejects it as soon as it is aborted
    ac.abort();
    await first;
    await secondRejected;
    await third;
    assert.deepEqual(order, ['first', 'third']);
  });
});

describe('titles', () => {
  test('before: where and the markers given; after: what the edit does and what proved it', () => {
    assert.equal(actionTitle('fix', { task: 'CodeFix', code_type: 'python' }), 'Fix with Treasure — CodeFix · python (model infers domain, error_type, length_bucket)');
    const fix = { verified: true, verifiedBy: 'python 3.11 compile', label: "insert ':' at line 4", target: 'syntax' as const, region: { start: { line: 3, character: 0 }, end: { line: 3, character: 5 } }, markers: { given: { task: 'CodeFix' as const }, inferred: {} } };
    assert.equal(fixTitle('fix', fix), "Fix with Treasure — insert ':' at line 4 (parses: python 3.11 compile) · CodeFix");
    assert.equal(fixTitle('rewriteFunction', { ...fix, verified: false, label: undefined }), "Fix this function with Treasure — unverified: rewrite lines 4-4 (the model's guess; nothing ran or parsed it) · CodeFix");
  });
});

describe('code actions', () => {
  test('the title names the target the fix is computed for: a syntax error is found by its line and column', async () => {
    const text = 'def f(x):\n    return (x +\n\ndef g(y):\n    return y\n';
    const a = await analyze(text, resolveLanguage('python')!);
    const listed = offers(a, { uri: 'file:///w/a.py', version: 1, lineCount: 6 }, 'r1', params('file:///w/a.py', 1), { start: { line: 1 }, end: { line: 1 } });
    assert.ok(listed.length > 0);
    for (const o of listed) assert.deepEqual(actionTarget(a, o.data), o.target);
    assert.equal(wants(['quickfix'], CodeActionKinds.fix), true);
    assert.equal(wants(['refactor.rewrite'], CodeActionKinds.fix), false);
  });

  test('a quick fix (list, then resolve) analyses the document once and each candidate answer once', async () => {
    const text = sample('below_zero.py');
    const fixedFn = text.split('\n').slice(3, 15).join('\n').replace('balance == 0', 'balance < 0');
    const s = server(serialize({ task: 'CodeFix', code_type: 'python' }) + '\n' + fixedFn + '<|end|>');
    const doc = s.open('below_zero.py', 'python', text);
    const count = counting();
    const listed = await s.actions.list(params(doc.uri, 12, [CodeActionKinds.rewriteFunction]), new AbortController().signal);
    assert.equal(listed.length, 1);
    const data = CodeActions.dataOf(listed[0]!) as CodeActionData;
    const resolved = await s.actions.resolve(listed[0]!, data, performance.now(), new AbortController().signal);
    const edit = resolved.edit?.documentChanges?.[0] as { edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[] } | undefined;
    assert.ok(edit, s.io.logs.join('\n'));
    assert.match(applyTextEdits(text, edit.edits), /balance < 0/);
    assert.deepEqual(count(), { analyses: 2, checks: 1 });
    // asked again for the same revision: the cached fix, no analysis at all
    const again = await s.actions.list(params(doc.uri, 12, [CodeActionKinds.rewriteFunction]), new AbortController().signal);
    assert.ok(again[0]?.edit);
    assert.deepEqual(count(), { analyses: 2, checks: 1 });
  });

  test("a syntax error's quick fix (computed while listed) analyses the document once; the parser proves the edit", async () => {
    const text = sample('missing_colon.py');
    const s = server(serialize({ task: 'CodeFix' }) + '\nx<|end|>', { resolveEdit: false });
    const doc = s.open('missing_colon.py', 'python', text);
    const count = counting();
    const listed = await s.actions.list(params(doc.uri, 3, [CodeActionKinds.fix]), new AbortController().signal);
    assert.equal(listed.length, 1, s.io.logs.join('\n'));
    assert.match(listed[0]!.title, /insert ':'/);
    const { analyses, checks } = count();
    assert.equal(analyses, 1 + checks);
  });
});

describe('custom requests and diagnostics', () => {
  test('markersAt: the markers and region of the analysis; generate: bad params rejected; status at once', async () => {
    const s = server(serialize({ task: 'CodeGeneration', code_type: 'python' }) + '\n    return 1<|end|>');
    const doc = s.open('below_zero.py', 'python', sample('below_zero.py'));
    const m = await s.requests.markersAt({ textDocument: { uri: doc.uri }, position: { line: 12, character: 0 } });
    assert.equal(m?.markers.code_type, 'python');
    assert.equal(m?.sources.code_type, 'context');
    assert.equal(m?.region?.start.line, 3);
    await assert.rejects(s.requests.markersAt({ textDocument: { uri: doc.uri }, position: { line: 999, character: 0 } }), /not in the document/);
    await assert.rejects(s.requests.generate({ languageId: 'python', prompt: 'x'.repeat(200_001) }), /at most/);
    const g = await s.requests.generate({ languageId: 'python', prompt: 'def f():\n' }, never);
    assert.ok(g && typeof g.text === 'string');
    assert.equal((await s.requests.status()).modelLoaded, true);
  });

  test('syntax diagnostics: published for the revision, taken back on close', async () => {
    const s = server('x');
    s.io.config = [{ syntaxDiagnostics: true }, null];
    const diagnostics = new SyntaxDiagnostics(s.io, s.documents, s.settings);
    const doc = s.open('missing_colon.py', 'python', sample('missing_colon.py'));
    await diagnostics.publish(doc.uri);
    assert.equal(s.io.diagnostics.length, 1);
    assert.ok(s.io.diagnostics[0]!.diagnostics.length > 0);
    assert.equal(s.io.diagnostics[0]!.diagnostics[0]!.source, 'treasure');
    diagnostics.closed(doc.uri);
    assert.deepEqual(s.io.diagnostics[1], { uri: doc.uri, diagnostics: [] });
  });
});
