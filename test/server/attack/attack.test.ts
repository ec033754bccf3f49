// The standing attack suite (issue 24), bounded to about a minute on a 2-core machine: the invariants
// of the full campaign (bench/attack.ts prints its figures) on a smaller, seeded sample. Raw JSON-RPC
// clients against the real bin/treasure-language-server --stdio (the dist/ bundle npm test builds).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MAX_DOCUMENT_CHARS, cleanDiagnostic, requestRange, validLanguageId, validPosition } from '../../../language-server/src/bounds';
import { analyze, indentBlock, diagnosticTarget } from '../../../language-server/src/context';
import { Engine } from '../../../language-server/src/engine';
import { resolveLanguage } from '../../../language-server/src/grammars';
import { promptParts, buildPrompt } from '../../../language-server/src/prompt';
import { graphMismatch, readModelConfig } from '../../../language-server/src/runtime';
import { TreasureTokenizer } from '../../../language-server/src/tokenizer';
import { contentLength, documentNotificationProblem } from '../../../language-server/src/transport';
import { proposeTokenEdits, windowTokenLimit } from '../../../language-server/src/repair/propose-syntax';
import { ScriptedLogits } from '../helpers';
import type { LspClient } from '../lsp-client';
import {
  SHIPPED_MODEL,
  TINY_MODEL,
  attackFrame,
  codeActions,
  controlStrings,
  fuzz,
  hostileModels,
  malformedFrames,
  open,
  race,
  root,
  startServer,
  type Action,
} from './lib';

/** A server test that hangs fails instead (a reply or notification that never comes). */
const LIMIT = 180_000;
const shippedTokenizer = () => TreasureTokenizer.fromFile(join(SHIPPED_MODEL, 'tokenizer.json'));
const clients: LspClient[] = [];
const serve = async (...args: Parameters<typeof startServer>) => {
  const s = await startServer(...args);
  clients.push(s.client);
  return s;
};
after(async () => {
  await Promise.all(clients.map((c) => c.shutdown()));
});

assert.ok(existsSync(join(root, 'dist/server.js')), 'dist/server.js is missing: run npm run build (npm test does)');

describe('bounds on client positions', () => {
  test('a block start past the end of the file is the last line, at once (no walk back from line 1e10)', () => {
    const lines = ['def f(x)', '    return x'];
    const t0 = performance.now();
    assert.deepEqual(indentBlock(lines, 1e10, 1e10), { startLine: 1, endLine: 1 });
    assert.deepEqual(indentBlock(lines, -5), { startLine: 0, endLine: 1 });
    assert.deepEqual(indentBlock(lines, Number.NaN), { startLine: 0, endLine: 1 });
    assert.ok(performance.now() - t0 < 1000);
  });

  test('a diagnostic far past the end gets a region inside the document', async () => {
    const a = await analyze('def f(x)\n    return x\n', resolveLanguage('python')!);
    const t = diagnosticTarget(a, { range: { start: { line: 1e10, character: 0 }, end: { line: 1e10, character: 1 } }, message: 'x' });
    assert.ok(t.region.startLine >= 0 && t.region.endLine < a.lines.length, JSON.stringify(t.region));
  });

  test('positions, ranges and diagnostics from the wire', () => {
    assert.equal(validPosition({ line: 2, character: 0 }, 3), true);
    for (const bad of [{ line: 3, character: 0 }, { line: -1, character: 0 }, { line: 1.5, character: 0 }, { line: '1', character: 0 }, { line: 1e10, character: 0 }, null, 5]) {
      assert.equal(validPosition(bad, 3), false, JSON.stringify(bad));
    }
    assert.deepEqual(requestRange({ start: { line: 1, character: 0 }, end: { line: 99, character: 0 } }, 3), { start: { line: 1, character: 0 }, end: { line: 2, character: Number.MAX_SAFE_INTEGER } });
    assert.equal(requestRange({ start: { line: 1e10, character: 0 }, end: { line: 1e10, character: 0 } }, 3), null);
    assert.equal(cleanDiagnostic({ range: { start: { line: 1e10, character: 0 }, end: { line: 1e10, character: 0 } }, message: 'm' }, 3), null);
    assert.equal(cleanDiagnostic({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, message: 5 }, 3), null);
    assert.equal(cleanDiagnostic({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, message: 'x'.repeat(10_000) }, 3)!.message.length, 2000);
  });

  test('a syntax search on a 300,000-character line proposes a bounded number of candidates (no millions of copies of the text)', () => {
    const line = `x = (${'1 + '.repeat(74_000)}1\n`;
    const cands = proposeTokenEdits(line, 'python', [{ offset: line.length - 1, hints: [')'] }]);
    // each window token makes at most ~2 x vocabulary candidates, and the window is bounded by the text's size
    assert.ok(windowTokenLimit(line.length) <= 10, String(windowTokenLimit(line.length)));
    assert.ok(cands.length > 0 && cands.length <= windowTokenLimit(line.length) * 200, `${cands.length} candidates`);
    assert.ok(cands.some((c) => c.fixed === line.replace(/1\n$/, '1)\n')), 'the closing parenthesis at the end is among them');
    // a normal file keeps its whole window
    assert.equal(windowTokenLimit(3000), 400);
  });

  test('__proto__, constructor and friends are not languages', () => {
    for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'x'.repeat(100)]) {
      assert.equal(validLanguageId(id), false, id);
    }
    for (const id of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) assert.equal(resolveLanguage(id), null, id);
    assert.equal(validLanguageId('typescriptreact'), true);
  });
});

describe('control strings in user text', () => {
  const tok = shippedTokenizer();
  const added = controlStrings();
  const addedIds = new Set(added.map((s) => tok.id(s)));
  const controlIds = (ids: number[]) => ids.filter((id) => addedIds.has(id));

  test('the shipped tokenizer has the added tokens this test covers', () => {
    assert.ok(added.length >= 20 && added.includes('<|end|>') && added.includes('</MARKER_LIST>'), added.join(' '));
  });

  test('every added token, spelled in code or a diagnostic: 0 control ids from the user text', () => {
    const layoutOnly = controlIds(tok.encodePrompt(promptParts({ task: 'CodeFix', code: 'x', diagnostic: 'y', given: { task: 'CodeFix', code_type: 'python' } }), true));
    for (const s of added) {
      for (const code of [s, `x = "${s}"`, `${s}${s}`, `<${s}>`, `a${s}b\n${s}`, `# ${added.join(' ')} ${s}`]) {
        const ids = tok.encodePrompt(promptParts({ task: 'CodeFix', code, diagnostic: `bad ${s}`, given: { task: 'CodeFix', code_type: 'python' } }), true);
        assert.deepEqual(controlIds(ids), layoutOnly, `${JSON.stringify(code)} put a control token in the prompt`);
        assert.equal(tok.decode(ids), buildPrompt({ task: 'CodeFix', code, diagnostic: `bad ${s}`, given: { task: 'CodeFix', code_type: 'python' } }), 'the text is kept');
      }
      assert.deepEqual(controlIds(tok.encodeText(`x = "${s}"`)), []);
    }
  });

  test('a prompt that spells no added token encodes exactly as before (one encode of the whole)', () => {
    for (const code of ['def f(x)\n    return x', '\n\n    x = 1\n\t\ty', 'a < b and c > d || e | f']) {
      const parts = promptParts({ task: 'CodeFix', code, diagnostic: 'E1: bad', given: { task: 'CodeFix' } });
      assert.deepEqual(tok.encodePrompt(parts, true), tok.encode(buildPrompt({ task: 'CodeFix', code, diagnostic: 'E1: bad', given: { task: 'CodeFix' } }), true));
    }
  });

  test('the engine: fix and generate prompts with every control string hold only the layout\'s control tokens', async () => {
    const logits = new ScriptedLogits(tok, '<MARKER_LIST> <task> CodeFix </task> </MARKER_LIST>\nx = 1<|end|>');
    const engine = await Engine.load({ logits, tokenizer: tok, branchTries: 0, fixMemo: 0 });
    const text = `def f(x)\n    s = "${added.join('')}"\n    return s\n`;
    // the model's rewrite (a syntax error alone would be repaired by the search, with no model prompt)
    await engine.fixDetailed({ text, languageId: 'python', line: 0, mode: 'function', diagnostics: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, message: `oops ${added.join(' ')}` }] });
    await engine.generate({ languageId: 'python', prompt: `# ${added.join(' ')}\ndef g():\n`, maxTokens: 8 });
    assert.ok(logits.prompts.length >= 2);
    const once = [tok.id('<|prompt|>'), tok.id('<|completion|>'), tok.id('<MARKER_LIST>'), tok.id('</MARKER_LIST>'), ...added.filter((s) => /^<\/?[a-z_]+>$/.test(s)).map((s) => tok.id(s))];
    for (const p of logits.prompts) {
      const prompt = p.slice(0, p.indexOf(tok.id('<|completion|>')) + 1);
      for (const id of [tok.id('<|end|>'), tok.id('<|file|>'), tok.id('<|pad|>')]) assert.ok(!prompt.includes(id), `control id ${id} (${tok.token(id)}) in a prompt`);
      for (const id of once) assert.ok(prompt.filter((x) => x === id).length <= 1, `${tok.token(id)} more than once in a prompt`);
    }
  });
});

describe('wire and model checks', () => {
  test('Content-Length headers', () => {
    assert.equal(contentLength('Content-Length: 12'), 12);
    assert.equal(contentLength('content-length: 12\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8'), 12);
    for (const bad of ['', 'Content-Length: -1', 'Content-Length: 1e3', 'Content-Length: 99999999999', 'Content-Type: x', 'junk', 'Content-Length: 1\r\nContent-Length: 1']) {
      assert.equal(typeof contentLength(bad), 'string', bad);
    }
  });

  test('document notifications the document store cannot apply are recognised (and dropped by the server)', () => {
    const doc = { uri: 'file:///a.py', languageId: 'python', version: 1, text: 'x = 1\n' };
    assert.equal(documentNotificationProblem('textDocument/didOpen', { textDocument: doc }), undefined);
    assert.equal(documentNotificationProblem('textDocument/didChange', { textDocument: { uri: doc.uri, version: 2 }, contentChanges: [{ text: 'y' }, { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, text: 'z' }] }), undefined);
    assert.equal(documentNotificationProblem('textDocument/didClose', { textDocument: { uri: doc.uri } }), undefined);
    assert.equal(documentNotificationProblem('workspace/didChangeConfiguration', null), undefined);
    for (const [method, params] of [
      ['textDocument/didOpen', { textDocument: { ...doc, text: null } }],
      ['textDocument/didOpen', { textDocument: { ...doc, text: 5 } }],
      ['textDocument/didOpen', { textDocument: { ...doc, version: 1.5 } }],
      ['textDocument/didOpen', { textDocument: { ...doc, languageId: 5 } }],
      ['textDocument/didOpen', null],
      ['textDocument/didChange', { textDocument: { uri: doc.uri, version: null }, contentChanges: [{ text: 'y' }] }],
      ['textDocument/didChange', { textDocument: { uri: doc.uri, version: 2 }, contentChanges: [{ text: 5 }] }],
      ['textDocument/didChange', { textDocument: { uri: doc.uri, version: 2 }, contentChanges: [{ range: { start: null, end: { line: 0, character: 0 } }, text: 'y' }] }],
      ['textDocument/didChange', { textDocument: { uri: doc.uri, version: 2 }, contentChanges: 'y' }],
      ['textDocument/didClose', null],
      ['textDocument/didClose', { textDocument: { uri: 5 } }],
    ] as const) {
      assert.equal(typeof documentNotificationProblem(method, params), 'string', `${method} ${JSON.stringify(params)}`);
    }
  });

  test('config.json against the graph', () => {
    const config = readModelConfig(TINY_MODEL);
    const names = ['input_ids', 'past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value'];
    assert.equal(graphMismatch(names, config), undefined);
    assert.match(graphMismatch(names, { ...config, n_layer: 200000 }) ?? '', /n_layer 200000 but model.onnx has 2 layers/);
    assert.match(graphMismatch(names, config, [{ name: 'past_key_values.0.key', isTensor: true, shape: [1, 3, 'past', 8] }]) ?? '', /n_kv_head 4 .* 3 heads/);
  });
});

describe('the server under attack', () => {
  test('23 kinds of malformed frame: never up and deaf (answered, or exit 1 with the reason on stderr)', { timeout: LIMIT }, async () => {
    const frames = malformedFrames();
    assert.ok(frames.length >= 21);
    const results: string[] = [];
    for (let i = 0; i < frames.length; i += 4) {
      const batch = frames.slice(i, i + 4);
      const outcomes = await Promise.all(batch.map((f) => attackFrame(f)));
      batch.forEach((f, j) => {
        const o = outcomes[j]!;
        results.push(`${f.name}: ${o.outcome}`);
        assert.notEqual(o.outcome, 'deaf', `${f.name}: the server stayed up and stopped reading`);
        if (f.expect === 'exit') {
          assert.equal(o.outcome, 'exited', `${f.name}: expected an exit; ${o.stderr}`);
          assert.equal(o.code, 1, f.name);
          assert.match(o.stderr, /unreadable message from the client .*exiting so that the client restarts the server/, f.name);
        } else {
          assert.equal(o.outcome, 'served', `${f.name}: expected the server to go on; ${o.stderr}`);
        }
      });
    }
    const served = frames.filter((f) => f.expect === 'serve').length;
    assert.equal(results.filter((r) => r.endsWith('served')).length, served, results.join('\n'));
  });

  test('lifecycle: -32002 before initialize, -32600 after shutdown, -32700 for a body that is not JSON', { timeout: LIMIT }, async () => {
    const { client } = await serve({ initialize: false });
    const before = await client.call('treasure/status', null);
    assert.equal(before.error?.code, -32002);
    client.notify('textDocument/didOpen', { textDocument: { uri: 'file:///pre.py', languageId: 'python', version: 1, text: 'def f(x)\n' } });
    const init = await client.call('initialize', { processId: null, rootUri: null, capabilities: {} });
    assert.ok(init.result);
    client.notify('initialized', {});
    assert.deepEqual((await client.call('textDocument/codeAction', { textDocument: { uri: 'file:///pre.py' }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } })).result, [], 'a didOpen before initialize was dropped');
    assert.equal((await client.call('initialize', { processId: null, capabilities: {} })).error?.code, -32600);
    assert.equal((await client.call('foo/bar', {})).error?.code, -32601);
    client.sendBody('{"jsonrpc":"2.0","id":');
    assert.ok((await client.call('treasure/status', null)).result);
    assert.deepEqual(client.orphanReplies.map((m) => m.error?.code), [-32700]);
    assert.equal((await client.call('shutdown', null)).error, undefined);
    assert.equal((await client.call('treasure/status', null)).error?.code, -32600);
    client.notify('exit', null);
    assert.equal(await client.exitCode(), 0);
  });

  test('seeded fuzz (600 messages, tiny model): no crash, every request answered; then a real fix is right (no stale "no fix" from the tiny model)', { timeout: LIMIT }, async () => {
    const { client, settings } = await serve({ trusted: true, settings: { model: { path: TINY_MODEL } }, initSettings: { model: { path: TINY_MODEL } } });
    const report = await fuzz(client, 24, 600);
    assert.ok(report.alive, `the server died: ${client.stderr}`);
    assert.equal(report.unanswered, 0, JSON.stringify(report));
    assert.equal(client.badFrames, 0);
    assert.ok(Object.keys(report.byKind).length >= 12, JSON.stringify(report.byKind));
    // no handler met a document it could not use (a didOpen with no text string is dropped at the door)
    assert.doesNotMatch(client.logs(), /Notification handler '[^']+' failed|(codeAction|fixAll|resolve|markersAt): error: TypeError/, client.logs().slice(0, 3000));
    // the same document and action with the tiny model, then with the shipped one
    const uri = 'file:///after-fuzz/missing_colon.py';
    open(client, uri, readFileSync(join(root, 'test/fixtures/samples/missing_colon.py'), 'utf8'));
    const [action] = (await codeActions(client, uri, 3)).filter((a) => a.kind === 'quickfix.treasure');
    assert.ok(action);
    await client.request<Action>('codeAction/resolve', action);
    settings.model = { path: '' };
    client.notify('workspace/didChangeConfiguration', { settings: {} });
    const resolved = await client.request<Action>('codeAction/resolve', action);
    assert.ok(resolved.edit, `no fix with the shipped model after the switch:\n${client.logs().slice(-2000)}`);
    const edits = resolved.edit.documentChanges[0]!.edits;
    assert.ok(edits.some((e) => e.newText.includes(':')), JSON.stringify(edits));
    assert.equal(client.exited, null);
  });

  test('races with the shipped model (reopen at version 1, same-version change, change): 0 stale edits', { timeout: LIMIT }, async () => {
    const { client } = await serve({ trusted: true });
    let fresh = 0;
    for (const kind of ['reopen', 'same-version', 'change'] as const) {
      for (let i = 0; i < 2; i++) {
        const r = await race(client, kind, i);
        assert.equal(r.stale, false, `${kind} race ${i}: an edit for a document that is gone`);
        assert.notEqual(r.freshOk, false, `${kind} race ${i}: the fix after the race is not for the new text`);
        if (r.freshOk) fresh++;
      }
    }
    assert.ok(fresh >= 3, `only ${fresh} of 6 fixes after the races had an edit`);
  });

  test('cancellation: -32800 for a running fix and for one still waiting in the queue', { timeout: LIMIT }, async () => {
    const { client } = await serve({ trusted: true });
    // the model's rewrites ("Fix this function"): a syntax fix is proven while the actions are listed
    const actionFor = async (name: string, body: string) => {
      open(client, `file:///cancel/${name}.py`, body);
      return (await codeActions(client, `file:///cancel/${name}.py`, 0)).find((a) => a.kind === 'refactor.rewrite.treasure')!;
    };
    // warm the model: the first load is not what is measured
    await client.request('codeAction/resolve', await actionFor('warm', 'def warm(a):\n    return a\n'));
    const a1 = await actionFor('one', 'def one(a, b, c):\n    total = a + b + c\n    return total * 2 - a\n');
    const a2 = await actionFor('two', 'def two(x, y):\n    z = x * y\n    return z + x - y\n');
    const running = client.call('codeAction/resolve', a1);
    const queued = client.call('codeAction/resolve', a2);
    await new Promise((r) => setTimeout(r, 30));
    client.cancel(queued.id);
    const q = await queued;
    assert.equal(q.error?.code, -32800, JSON.stringify(q));
    client.cancel(running.id);
    const r = await running;
    assert.ok(r.error?.code === -32800 || r.result, JSON.stringify(r)); // it may have finished first
    // the server is fine afterwards
    assert.ok((await client.call('treasure/status', null)).result);
  });

  test('hostile model folders fail to load with the reason shown (window/showMessage), fast; a relative path is refused', { timeout: LIMIT }, async () => {
    const { client, settings } = await serve({ trusted: true });
    const uri = 'file:///hostile/m.py';
    open(client, uri, 'def f(x)\n    return x\n');
    for (const m of [...hostileModels(), { name: 'relative path', dir: '../../etc', reason: /not an absolute folder/ }]) {
      settings.model = { path: m.dir };
      client.notify('workspace/didChangeConfiguration', { settings: {} });
      const [action] = (await codeActions(client, uri, 0)).filter((a) => a.kind === 'quickfix.treasure');
      assert.ok(action, m.name);
      const r = await client.request<Action>('codeAction/resolve', action);
      assert.equal(r.edit, undefined, m.name);
      const shown = await client.waitFor<{ type: number; message: string }>('window/showMessage', (p) => p.type === 1 && p.message.includes(m.dir));
      assert.match(shown.message.replace(/^Treasure could not load its model: /, ''), m.reason, m.name);
    }
    assert.equal(client.exited, null);
  });

  test('untrusted (no trusted flag, as Neovim): no request path loads a model from a workspace-provided path', { timeout: LIMIT }, async () => {
    const [hostile] = hostileModels().filter((m) => m.name === 'n_layer 200000');
    const { client } = await serve({ settings: { model: { path: hostile!.dir }, device: 'gpu' } });
    client.notify('workspace/didChangeConfiguration', { settings: { treasure: { model: { path: hostile!.dir } } } });
    open(client, 'file:///untrusted/a.py', 'def f(x)\n    return x\n');
    const [action] = (await codeActions(client, 'file:///untrusted/a.py', 0)).filter((a) => a.kind === 'quickfix.treasure');
    assert.ok(action);
    await client.request('codeAction/resolve', action);
    await client.request('treasure/generate', { languageId: 'python', prompt: 'def g():\n', maxTokens: 4 });
    await client.request('treasure/generate', { languageId: 'python', prompt: 'def g():\n', maxTokens: 4, textDocument: { uri: 'file:///untrusted/a.py' } });
    await client.request('treasure/fixAll', { textDocument: { uri: 'file:///untrusted/a.py' } });
    const status = await client.request<{ modelDir: string }>('treasure/status', null);
    assert.equal(status.modelDir, SHIPPED_MODEL);
    const said = client.logs() + JSON.stringify(client.notifications);
    assert.ok(!said.includes(hostile!.dir), 'the workspace-provided folder was used');
    assert.match(client.logs(), /did not say the workspace is trusted/);
  });

  test(`huge documents: over ${MAX_DOCUMENT_CHARS.toLocaleString('en-US')} characters refused with a message; a long line refused without encoding it`, { timeout: LIMIT }, async () => {
    const { client } = await serve({ trusted: true });
    const big = 'x = 1\n'.repeat(Math.ceil(5_000_000 / 6));
    open(client, 'file:///huge/big.py', big);
    assert.deepEqual(await codeActions(client, 'file:///huge/big.py', 3), []);
    const info = await client.waitFor<{ message: string }>('window/showMessage', (p) => /big\.py has .* characters/.test(p.message));
    assert.match(info.message, /files up to/);
    client.notify('textDocument/didChange', { textDocument: { uri: 'file:///huge/big.py', version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '#' }] });
    assert.deepEqual(await codeActions(client, 'file:///huge/big.py', 3), []);
    // one line just under the cap, with a syntax error: offered, and refused as too long when resolved
    const line = `x = (${'1 + '.repeat(Math.floor((MAX_DOCUMENT_CHARS - 100) / 4))}1`;
    open(client, 'file:///huge/line.py', line);
    const actions = await codeActions(client, 'file:///huge/line.py', 0);
    for (const a of actions.filter((x) => x.kind === 'quickfix.treasure')) {
      const r = await client.request<Action>('codeAction/resolve', a);
      assert.equal(r.edit, undefined);
    }
    assert.ok((await client.call('treasure/status', null)).result);
    assert.equal(client.exited, null);
  });
});
