// "Fix the code test_x exercises with Treasure" and treasure.verify.command through the real language
// server over stdio (the dist/ bundle), with real pytest and the shipped model, on a workspace written
// to a temp folder: the action names the test, its edit is on the source file, and the source with the
// edit applied passes the test when pytest runs it; a passing test has nothing to fix; cancelling the
// progress kills the test's processes; an untrusted workspace runs nothing and says why.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { repoRoot } from '../../language-server/src/paths';
import { applyTextEdits, type TextEdit } from '../../language-server/src/repair/text';
import { tempWorkspace } from './helpers';
import { LspClient } from './lsp-client';

const root = repoRoot();
const noPytest = spawnSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0 ? false : 'python3 -m pytest is not installed (scripts/install-repair-test-tools.sh)';

interface Action {
  title: string;
  kind: string;
  isPreferred?: boolean;
  disabled?: { reason: string };
  data?: unknown;
  edit?: { documentChanges?: { textDocument: { uri: string; version: number | null }; edits: TextEdit[] }[]; changes?: Record<string, TextEdit[]> };
}

const BANK = `from typing import List


def below_zero(operations: List[int]) -> bool:
    """True when the balance, starting at zero, ever falls below zero."""
    balance = 0
    for op in operations:
        balance += op
        if balance == 0:
            return True
    return False
`;

const TESTS = `from bank import below_zero


def test_empty():
    assert below_zero([]) is False


def test_dips():
    assert below_zero([1, 2, -4, 5]) is True


def test_stays_up():
    assert below_zero([1, 2, 3]) is False
`;

const temps: string[] = [];
const clients: LspClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.shutdown()));
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const workspace = (files: Record<string, string>): string => tempWorkspace(temps, 'treasure-lsp-ft-', files);

async function server(ws: string, opts: { trusted: boolean; settings?: Record<string, unknown> }): Promise<LspClient> {
  // the fixtures need no pytest plugins; this machine's (hypothesis: ~1 s a start) would only slow them
  const c = new LspClient(process.execPath, [join(root, 'bin/treasure-language-server'), '--stdio'], { ...process.env, PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' });
  clients.push(c);
  c.onRequest = (method, params) => {
    if (method === 'workspace/configuration') return (params as { items: { section?: string }[] }).items.map((it) => (it.section === 'treasure' ? (opts.settings ?? {}) : null));
    return null; // window/workDoneProgress/create and the rest: accepted
  };
  await c.request('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(ws).href,
    workspaceFolders: [{ uri: pathToFileURL(ws).href, name: 'ws' }],
    initializationOptions: { trusted: opts.trusted },
    capabilities: {
      window: { workDoneProgress: true },
      workspace: { configuration: true, workspaceEdit: { documentChanges: true } },
      textDocument: { codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor'] } }, resolveSupport: { properties: ['edit'] }, disabledSupport: true } },
    },
  });
  c.notify('initialized', {});
  return c;
}

const fileUri = (ws: string, rel: string) => pathToFileURL(join(ws, rel)).href;

function open(c: LspClient, ws: string, rel: string): string {
  const text = readFileSync(join(ws, rel), 'utf8');
  c.notify('textDocument/didOpen', { textDocument: { uri: fileUri(ws, rel), languageId: rel.endsWith('.js') ? 'javascript' : 'python', version: 1, text } });
  return text;
}

function actionsAt(c: LspClient, ws: string, rel: string, line: number): Promise<Action[]> {
  return c.request<Action[]>('textDocument/codeAction', { textDocument: { uri: fileUri(ws, rel) }, range: { start: { line, character: 4 }, end: { line, character: 4 } }, context: { diagnostics: [] } });
}

const lineOf = (text: string, what: string) => text.split('\n').findIndex((l) => l.includes(what));
const messages = (c: LspClient) => c.notifications.filter((n) => n.method === 'window/showMessage').map((n) => (n.params as { message: string }).message);

test('a failing pytest test: the action names it, resolves to an edit of the source that makes it pass', { skip: noPytest }, async () => {
  const ws = workspace({ 'bank.py': BANK, 'tests/test_bank.py': TESTS });
  const c = await server(ws, { trusted: true });
  const text = open(c, ws, 'tests/test_bank.py');
  const actions = await actionsAt(c, ws, 'tests/test_bank.py', lineOf(text, 'assert below_zero([1, 2, -4, 5])'));
  const a = actions.find((x) => x.kind === 'quickfix.treasure.test');
  assert.ok(a, JSON.stringify(actions));
  assert.equal(a.title, 'Fix the code test_dips exercises with Treasure');
  const t0 = performance.now();
  const r = await c.request<Action>('codeAction/resolve', a);
  const ms = Math.round(performance.now() - t0);
  assert.match(r.title, /^Fix with Treasure — test_dips passes, 3\/3 tests pass( \(not proven: other edits pass and behave differently\))?$/, `${r.title}\n${messages(c).join('\n')}\n${c.logs()}`);
  // a fix the tests did not decide (rivals contest it) is offered, never as the preferred one
  assert.equal(r.isPreferred, !/not proven/.test(r.title), r.title);
  // the source under test, not the test file; not open in the editor: an edit of the file on disk
  assert.deepEqual(Object.keys(r.edit?.changes ?? {}), [fileUri(ws, 'bank.py')]);
  const fixed = applyTextEdits(BANK, r.edit!.changes![fileUri(ws, 'bank.py')]!);
  assert.notEqual(fixed, BANK);
  // nothing was written by the server; the edit applied and saved makes pytest pass
  assert.equal(readFileSync(join(ws, 'bank.py'), 'utf8'), BANK);
  writeFileSync(join(ws, 'bank.py'), fixed);
  const py = spawnSync('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/test_bank.py'], { cwd: ws, encoding: 'utf8', env: { ...process.env, PYTHONPATH: ws, PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' } });
  assert.equal(py.status, 0, py.stdout + py.stderr);
  assert.ok(messages(c).some((m) => /test_dips passes, 3\/3 tests pass/.test(m)), messages(c).join('\n'));
  // progress was reported, with cancel offered
  const begin = c.notifications.find((n) => n.method === '$/progress' && (n.params as { value: { kind: string } }).value.kind === 'begin');
  assert.equal((begin?.params as { value: { cancellable: boolean } }).value.cancellable, true);
  console.log(`time to a proven fix through the LSP (resolve, model load included): ${ms} ms`);

  // the passing test: nothing to fix, said so; no edit
  writeFileSync(join(ws, 'bank.py'), BANK);
  const ok = (await actionsAt(c, ws, 'tests/test_bank.py', lineOf(text, 'def test_empty')))[0]!;
  assert.equal(ok.title, 'Fix the code test_empty exercises with Treasure');
  const none = await c.request<Action>('codeAction/resolve', ok);
  assert.equal(none.edit, undefined);
  assert.ok(messages(c).some((m) => /test_empty passes \(pytest: 2 passed, 1 failed\): nothing to fix/.test(m)), messages(c).join('\n'));
  // the next listing shows what was found (disabled)
  const again = (await actionsAt(c, ws, 'tests/test_bank.py', lineOf(text, 'def test_empty')))[0]!;
  assert.match(again.disabled?.reason ?? '', /test_empty passes/);

  // the source open in the editor: the edit is for its open version; with unsaved changes, refused
  open(c, ws, 'bank.py');
  const dips = (await actionsAt(c, ws, 'tests/test_bank.py', lineOf(text, 'def test_dips')))[0]!;
  const withOpen = await c.request<Action>('codeAction/resolve', dips);
  assert.deepEqual(withOpen.edit?.documentChanges?.map((d) => d.textDocument), [{ uri: fileUri(ws, 'bank.py'), version: 1 }]);
  c.notify('textDocument/didChange', { textDocument: { uri: fileUri(ws, 'bank.py'), version: 2 }, contentChanges: [{ text: BANK + '\n# unsaved\n' }] });
  const dirty = await c.request<Action>('codeAction/resolve', (await actionsAt(c, ws, 'tests/test_bank.py', lineOf(text, 'def test_dips')))[0]!);
  assert.equal(dirty.edit, undefined);
  assert.ok(messages(c).some((m) => /save bank\.py first/.test(m)), messages(c).join('\n'));
});

for (const how of ['the progress', 'the request'] as const)
test(`cancelling ${how} stops the test run and kills its processes`, { skip: noPytest }, async () => {
  const pidFile = join(mkdtempSync(join(tmpdir(), 'treasure-lsp-pid-')), 'pid');
  temps.push(dirname(pidFile));
  const hang = `import os, time\nfrom bank import below_zero\n\n\ndef test_hangs():\n    open(${JSON.stringify(pidFile)}, 'w').write(str(os.getpid()))\n    time.sleep(60)\n    assert below_zero([-1]) is True\n`;
  const ws = workspace({ 'bank.py': BANK, 'test_hang.py': hang });
  const c = await server(ws, { trusted: true });
  const text = open(c, ws, 'test_hang.py');
  const [a] = await actionsAt(c, ws, 'test_hang.py', lineOf(text, 'time.sleep'));
  assert.equal(a?.title, 'Fix the code test_hangs exercises with Treasure');
  const resolving = c.call('codeAction/resolve', a);
  const begin = await c.waitFor<{ token: string; value: { kind: string } }>('$/progress', (p) => p.value.kind === 'begin');
  const t0 = Date.now();
  while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8')) {
    assert.ok(Date.now() - t0 < 30_000, 'the test never started');
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = Number(readFileSync(pidFile, 'utf8'));
  if (how === 'the progress') c.notify('window/workDoneProgress/cancel', { token: begin.token });
  else c.cancel(resolving.id); // VS Code's Cancel (its notification around the resolve) does this
  const r = await resolving;
  if (how === 'the progress') assert.equal((r.result as Action).edit, undefined);
  else assert.equal(r.error?.code, -32800); // RequestCancelled
  const gone = Date.now();
  const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
  while (alive() && Date.now() - gone < 2000) await new Promise((res) => setTimeout(res, 20));
  assert.equal(alive(), false, `the test's process ${pid} is still running after the cancel`);
  if (how === 'the progress') assert.ok(messages(c).some((m) => /cancelled/.test(m)), messages(c).join('\n'));
});

test('untrusted workspace: the action is disabled and says why; resolving runs nothing', async () => {
  const marker = join(mkdtempSync(join(tmpdir(), 'treasure-lsp-ran-')), 'ran');
  temps.push(dirname(marker));
  const ws = workspace({ 'bank.py': BANK, 'tests/test_bank.py': TESTS, 'tests/conftest.py': `open(${JSON.stringify(marker)}, 'w').write('ran')\n` });
  const c = await server(ws, { trusted: false, settings: { verify: { command: `touch ${marker}` } } });
  const text = open(c, ws, 'tests/test_bank.py');
  const [a] = await actionsAt(c, ws, 'tests/test_bank.py', lineOf(text, 'def test_dips'));
  assert.equal(a?.title, 'Fix the code test_dips exercises with Treasure');
  assert.match(a?.disabled?.reason ?? '', /not trusted, so Treasure runs none of its tests/);
  const r = await c.request<Action>('codeAction/resolve', a);
  assert.equal(r.edit, undefined);
  assert.ok(messages(c).some((m) => /nothing was run: the workspace is not trusted/.test(m)), messages(c).join('\n'));
  // "Fix this function" in the source: the verify command is ignored, no test runs; the title says unverified
  const src = open(c, ws, 'bank.py');
  const fn = (await actionsAt(c, ws, 'bank.py', lineOf(src, 'def below_zero'))).find((x) => x.kind === 'refactor.rewrite.treasure');
  assert.ok(fn);
  const f = await c.request<Action>('codeAction/resolve', fn);
  assert.doesNotMatch(f.title, /proven/);
  assert.equal(existsSync(marker), false, 'a test or the verify command ran in an untrusted workspace');
});

test('treasure.verify.command proves "Fix this function" with its placeholders filled in', { skip: noPytest }, async () => {
  const check = `import sys\nsys.path.insert(0, '.')\nfrom bank import below_zero\nassert below_zero([1, 2, -4, 5]) is True\nassert below_zero([1, 2]) is False\n`;
  const ws = workspace({ 'bank.py': BANK, 'check.py': check });
  // the command fails unless ${function} and ${file} are what they should be (quoted: one word each)
  const command = 'test ${function} = below_zero && test -f ${file} && cd ${workspaceFolder} && python3 check.py';
  const c = await server(ws, { trusted: true, settings: { verify: { command } } });
  const src = open(c, ws, 'bank.py');
  const fn = (await actionsAt(c, ws, 'bank.py', lineOf(src, 'def below_zero'))).find((x) => x.kind === 'refactor.rewrite.treasure');
  assert.ok(fn);
  const r = await c.request<Action>('codeAction/resolve', fn);
  assert.match(r.title, /\(proven: verify command: exits 0/, `${r.title}\n${c.logs()}`);
  const fixed = applyTextEdits(src, r.edit!.documentChanges![0]!.edits);
  writeFileSync(join(ws, 'bank.py'), fixed);
  assert.equal(spawnSync('python3', ['check.py'], { cwd: ws }).status, 0);
});

test('a failing node:test test: the edit is on the module the test requires, and node --test passes with it', async () => {
  const ws = workspace({
    'lib/clamp.js': "'use strict';\nfunction clamp(x, lo, hi) {\n  if (x < lo) return lo;\n  if (x > hi) return lo;\n  return x;\n}\nmodule.exports = { clamp };\n",
    'test/clamp.test.js': "'use strict';\nconst test = require('node:test');\nconst assert = require('node:assert/strict');\nconst { clamp } = require('../lib/clamp');\n\ntest('inside', () => {\n  assert.equal(clamp(5, 0, 10), 5);\n});\n\ntest('above', () => {\n  assert.equal(clamp(11, 0, 10), 10);\n});\n",
  });
  const c = await server(ws, { trusted: true });
  const text = open(c, ws, 'test/clamp.test.js');
  const [a] = await actionsAt(c, ws, 'test/clamp.test.js', lineOf(text, 'clamp(11, 0, 10)'));
  assert.equal(a?.title, "Fix the code 'above' exercises with Treasure");
  const r = await c.request<Action>('codeAction/resolve', a);
  assert.match(r.title, /^Fix with Treasure — 'above' passes, 2\/2 tests pass( \(not proven: other edits pass and behave differently\))?$/, `${r.title}\n${messages(c).join('\n')}`);
  assert.equal(r.isPreferred, !/not proven/.test(r.title), r.title);
  const src = readFileSync(join(ws, 'lib/clamp.js'), 'utf8');
  writeFileSync(join(ws, 'lib/clamp.js'), applyTextEdits(src, r.edit!.changes![fileUri(ws, 'lib/clamp.js')]!));
  const run = spawnSync(process.execPath, ['--test', 'test/clamp.test.js'], { cwd: ws, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

test('no candidate passes: the message says so with the count and time, and the action is then disabled with it', { skip: noPytest }, async () => {
  const ws = workspace({ 'greet.py': 'def greet(name):\n    return "Hi " + name\n', 'test_greet.py': 'from greet import greet\n\n\ndef test_greet():\n    assert greet("Bob") == "Hello, Bob!"\n' });
  const c = await server(ws, { trusted: true });
  const text = open(c, ws, 'test_greet.py');
  const [a] = await actionsAt(c, ws, 'test_greet.py', lineOf(text, 'assert greet'));
  const r = await c.request<Action>('codeAction/resolve', a);
  assert.equal(r.edit, undefined);
  const said = messages(c).find((m) => m.includes('test_greet'));
  assert.match(said ?? '', /^Treasure: no fix passes test_greet \(\d+ candidates tried, \d+\.\d s\)$/, messages(c).join('\n'));
  const [again] = await actionsAt(c, ws, 'test_greet.py', lineOf(text, 'assert greet'));
  assert.match(again?.disabled?.reason ?? '', /^no fix passes test_greet \(\d+ candidates tried/);
});

test('cancelling the progress while fixes are proven: no edit, no error, a message says it was cancelled', { skip: noPytest }, async () => {
  const ws = workspace({ 'bank.py': BANK, 'tests/test_bank.py': TESTS });
  const c = await server(ws, { trusted: true });
  const text = open(c, ws, 'tests/test_bank.py');
  const [a] = await actionsAt(c, ws, 'tests/test_bank.py', lineOf(text, 'def test_dips'));
  const resolving = c.call('codeAction/resolve', a);
  const begin = await c.waitFor<{ token: string; value: { kind: string } }>('$/progress', (p) => p.value.kind === 'begin');
  // the test failed and the search started: the progress says which function it proves fixes of
  const proving = await c.waitFor<{ token: string; value: { kind: string; message?: string } }>('$/progress', (p) => p.token === begin.token && /proving fixes of below_zero in bank\.py/.test(p.value.message ?? ''));
  assert.match(proving.value.message!, /^test_dips fails \(.*\); proving fixes of below_zero in bank\.py$/);
  c.notify('window/workDoneProgress/cancel', { token: begin.token });
  const r = await resolving;
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  assert.equal((r.result as Action).edit, undefined);
  assert.ok(messages(c).some((m) => /cancelled: test_dips's fix was not searched to the end/.test(m)), messages(c).join('\n'));
  await c.waitFor('$/progress', (p: { token: string; value: { kind: string } }) => p.token === begin.token && p.value.kind === 'end');
});
