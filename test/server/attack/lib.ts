// The attack on the language server, shared by the standing suite (attack.test.ts, small sizes) and
// the benchmark (bench/attack.ts, full sizes): raw JSON-RPC clients against the real
// bin/treasure-language-server --stdio, a seeded fuzzer, malformed frames, the stale-edit races,
// cancellation, hostile model folders and settings.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../../language-server/src/paths';
import { LspClient, type Reply } from '../lsp-client';

export const root = repoRoot();
export const SHIPPED_MODEL = join(root, 'models/treasure');
export const TINY_MODEL = join(root, 'test/fixtures/tiny-model');
const SERVER = join(root, 'bin/treasure-language-server');

/** Every added token of the shipped tokenizer (format tokens, marker tags): the control strings. */
export function controlStrings(): string[] {
  const json = JSON.parse(readFileSync(join(SHIPPED_MODEL, 'tokenizer.json'), 'utf8')) as { added_tokens: { content: string }[] };
  return json.added_tokens.map((t) => t.content);
}

/** Seeded PRNG (mulberry32): the same seed, the same attack. */
export function rng(seed: number): { next: () => number; int: (n: number) => number; pick: <T>(xs: readonly T[]) => T; chance: (p: number) => boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)]!, chance: (p) => next() < p };
}

export interface ServerOptions {
  /** initializationOptions.trusted (left out: the client says nothing, as Neovim). */
  trusted?: boolean;
  /** initializationOptions.settings. */
  initSettings?: Record<string, unknown>;
  /** What workspace/configuration answers for `treasure` (mutable: change it, then didChangeConfiguration). */
  settings?: Record<string, unknown>;
  /** false: spawn only (no initialize). */
  initialize?: boolean;
  /** false: the client has no codeAction/resolve (fixes computed in codeAction). */
  resolveSupport?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Options for node itself (e.g. --cpu-prof: where the server's time goes under the attack). */
  nodeArgs?: string[];
}

export interface Server { client: LspClient; settings: Record<string, unknown> }

export async function startServer(opts: ServerOptions = {}): Promise<Server> {
  const settings = opts.settings ?? {};
  const client = new LspClient(process.execPath, [...(opts.nodeArgs ?? []), SERVER, '--stdio'], { ...process.env, ...opts.env });
  client.onRequest = (method, params) => {
    if (method !== 'workspace/configuration') return null;
    return (params as { items: { section?: string }[] }).items.map((it) => (it.section === 'treasure' ? settings : null));
  };
  if (opts.initialize !== false) {
    const initializationOptions: Record<string, unknown> = {};
    if (opts.trusted !== undefined) initializationOptions.trusted = opts.trusted;
    if (opts.initSettings) initializationOptions.settings = opts.initSettings;
    await client.request('initialize', {
      processId: process.pid,
      rootUri: null,
      initializationOptions,
      capabilities: {
        workspace: { configuration: true },
        textDocument: { codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor'] } }, ...(opts.resolveSupport === false ? {} : { resolveSupport: { properties: ['edit'] } }) } },
      },
    });
    client.notify('initialized', {});
  }
  return { client, settings };
}

export interface Action {
  title: string;
  kind: string;
  data?: { version: number; rev: string };
  edit?: { documentChanges: { textDocument: { uri: string; version: number }; edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[] }[] };
}

export function open(c: LspClient, uri: string, text: string, version = 1, languageId = 'python'): void {
  c.notify('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
}

export function codeActions(c: LspClient, uri: string, line: number, diagnostics: unknown[] = []): Promise<Action[]> {
  return c.request<Action[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    context: { diagnostics },
  });
}

/** A timed call: its reply and how long it took. */
export async function timed(p: Promise<Reply>): Promise<{ reply: Reply; ms: number }> {
  const t0 = performance.now();
  const reply = await p;
  return { reply, ms: performance.now() - t0 };
}

// ---- malformed frames -------------------------------------------------------------------------

export interface Frame {
  name: string;
  bytes: Buffer;
  /** 'exit': the server must exit 1 with a log line; 'serve': it must answer the next request. */
  expect: 'exit' | 'serve';
}

const framed = (body: string | Buffer, header?: string) => {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(header ?? `Content-Length: ${b.length}\r\n\r\n`, 'latin1'), b]);
};

/** 23 kinds of broken frame: bad headers (fatal: the stream cannot be resynced) and bad bodies (answered). */
export function malformedFrames(): Frame[] {
  const ok = '{"jsonrpc":"2.0","method":"$/nothing"}';
  return [
    { name: 'no Content-Length', bytes: framed(ok, 'Content-Type: application/vscode-jsonrpc\r\n\r\n'), expect: 'exit' },
    { name: 'Content-Length not a number', bytes: framed(ok, 'Content-Length: abc\r\n\r\n'), expect: 'exit' },
    { name: 'negative Content-Length', bytes: framed(ok, 'Content-Length: -5\r\n\r\n'), expect: 'exit' },
    { name: 'Content-Length 1e3', bytes: framed(ok, 'Content-Length: 1e3\r\n\r\n'), expect: 'exit' },
    { name: 'fractional Content-Length', bytes: framed(ok, 'Content-Length: 1.5\r\n\r\n'), expect: 'exit' },
    { name: 'Content-Length over the limit', bytes: framed(ok, 'Content-Length: 99999999999\r\n\r\n'), expect: 'exit' },
    { name: 'two Content-Length headers', bytes: framed(ok, `Content-Length: ${ok.length}\r\nContent-Length: ${ok.length}\r\n\r\n`), expect: 'exit' },
    { name: 'header line without a colon', bytes: framed(ok, `garbage\r\nContent-Length: ${ok.length}\r\n\r\n`), expect: 'exit' },
    { name: 'empty header block', bytes: framed(ok, '\r\n\r\n'), expect: 'exit' },
    { name: 'huge header (no end within 8 KB)', bytes: Buffer.from('X-Pad: ' + 'a'.repeat(20_000), 'latin1'), expect: 'exit' },
    { name: 'LF-only header', bytes: framed(ok, `Content-Length: ${ok.length}\n\n`), expect: 'exit' },
    { name: 'NUL bytes in the header', bytes: framed(ok, `Content-\u0000Length: ${ok.length}\r\n\r\n`), expect: 'exit' },
    { name: 'Content-Type not UTF-8', bytes: framed(ok, `Content-Length: ${ok.length}\r\nContent-Type: application/vscode-jsonrpc; charset=latin1\r\n\r\n`), expect: 'exit' },
    { name: 'Content-Length shorter than the body', bytes: framed(ok, `Content-Length: 5\r\n\r\n`), expect: 'exit' },
    { name: 'body not JSON', bytes: framed('{"jsonrpc": "2.0", "id": 1, '), expect: 'serve' },
    { name: 'body a JSON array (batch)', bytes: framed('[{"jsonrpc":"2.0","id":1,"method":"treasure/status"}]'), expect: 'serve' },
    { name: 'body a number', bytes: framed('42'), expect: 'serve' },
    { name: 'invalid UTF-8 in the body', bytes: framed(Buffer.from([0x7b, 0x22, 0x6a, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), expect: 'serve' },
    { name: 'NUL bytes in the body', bytes: framed('{"jsonrpc":"2.0","method":"$/x\u0000y","params":{"a":"\u0000"}}'), expect: 'serve' },
    { name: 'fractional id', bytes: framed('{"jsonrpc":"2.0","id":1.5,"method":"treasure/status"}'), expect: 'serve' },
    { name: 'request with id null', bytes: framed('{"jsonrpc":"2.0","id":null,"method":"treasure/status"}'), expect: 'serve' },
    { name: 'method not a string', bytes: framed('{"jsonrpc":"2.0","id":7,"method":12}'), expect: 'serve' },
    { name: 'extra unknown header', bytes: framed(ok, `X-Whatever: 1\r\nContent-Length: ${Buffer.byteLength(ok)}\r\n\r\n`), expect: 'serve' },
  ];
}

/**
 * Sends one broken frame to a fresh server, then a status request. The server must never stay up
 * deaf: either it answers (and is alive) or it exits with code 1 and says why on stderr.
 */
export async function attackFrame(frame: Frame): Promise<{ outcome: 'served' | 'exited' | 'deaf'; code?: number; stderr: string; orphanErrors: number[] }> {
  const { client } = await startServer();
  try {
    client.writeRaw(frame.bytes);
    const status = client.call('treasure/status', null);
    const exited = client.exitCode().then((code) => ({ kind: 'exited' as const, code }));
    const answered = status.then(() => ({ kind: 'served' as const, code: undefined }), () => ({ kind: 'exited' as const, code: undefined }));
    const timeout = new Promise<{ kind: 'deaf'; code: undefined }>((r) => setTimeout(() => r({ kind: 'deaf', code: undefined }), 5000).unref());
    const first = await Promise.race([answered, exited, timeout]);
    let code = first.code;
    if (first.kind === 'exited' && code === undefined) code = await client.exitCode();
    return { outcome: first.kind === 'served' ? (client.exited === null ? 'served' : 'exited') : first.kind, code, stderr: client.stderr, orphanErrors: client.orphanReplies.map((m) => m.error?.code ?? 0) };
  } finally {
    if (client.exited === null) await client.shutdown();
  }
}

// ---- the fuzzer ---------------------------------------------------------------------------------

const FUZZ_URIS = ['file:///fuzz/a.py', 'file:///fuzz/b.js', 'file:///fuzz/c.go', 'file:///fuzz/notopen.py'];

function hostileNumber(r: ReturnType<typeof rng>): unknown {
  return r.pick([0, 1, 3, -1, -100, 1e10, 2 ** 31, 2 ** 53, 1.5, -0.5, Number.MAX_SAFE_INTEGER, '3', null, true, [], {}, 'NaN', 1e308]);
}

function hostilePosition(r: ReturnType<typeof rng>): unknown {
  if (r.chance(0.4)) return { line: r.int(12), character: r.int(40) };
  if (r.chance(0.1)) return r.pick([null, 'x', 5, [], undefined]);
  return { line: hostileNumber(r), character: hostileNumber(r) };
}

function hostileText(r: ReturnType<typeof rng>, controls: readonly string[]): string {
  const pieces = ['def f(x)\n    return x\n', 'function g( {\n  return 1\n}\n', 'package main\nfunc h() {\n', '\u0000\u0001\u0002', '\ud800', '\uffff', 'é漢字🙂', 'x = 1\n', '\r\n', '\r', ' '.repeat(100), 'if x:\n'];
  let s = '';
  const n = 1 + r.int(8);
  for (let i = 0; i < n; i++) s += r.chance(0.25) ? r.pick(controls) : r.pick(pieces);
  return s;
}

function hostileDiagnostic(r: ReturnType<typeof rng>, controls: readonly string[]): unknown {
  if (r.chance(0.1)) return r.pick([null, 5, 'x', []]);
  return {
    range: r.chance(0.5) ? { start: hostilePosition(r), end: hostilePosition(r) } : r.pick([null, {}, { start: { line: 1e10, character: 0 }, end: { line: 1e10, character: 1 } }]),
    message: r.chance(0.8) ? `bad ${r.pick(controls)} thing` : r.pick([null, 7, { value: 'markdown msg' }, 'x'.repeat(5000)]),
    source: r.pick(['pylint', 'treasure', 7, undefined]),
    code: r.pick(['E1', 3, { value: 'x' }, undefined]),
  };
}

/** One fuzzed message: a request (answered), a notification, or a raw well-framed body. */
export type Fuzzed = { kind: string; request?: { method: string; params: unknown }; notify?: { method: string; params: unknown }; body?: Buffer | string };

export function fuzzMessage(r: ReturnType<typeof rng>, controls: readonly string[]): Fuzzed {
  const uri = r.pick(FUZZ_URIS);
  switch (r.int(14)) {
    case 0:
      return { kind: 'bad json', body: r.pick(['{', '{"jsonrpc":"2.0","id":', 'null', '"str"', '[]', '{"id":{}}', '\u0000\u0000', 'tru', '{"jsonrpc":"2.0","method":"x","params":5}']) };
    case 1:
      return { kind: 'invalid utf-8', body: Buffer.concat([Buffer.from('{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///fuzz/a.py","languageId":"python","version":1,"text":"'), Buffer.from([0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80]), Buffer.from('"}}}')]) };
    case 2:
      return { kind: 'unknown method', request: { method: r.pick(['foo/bar', 'textDocument/hover', '$/x', 'treasure/nothing', '__proto__', 'constructor']), params: {} } };
    case 3:
      return { kind: 'unknown notification', notify: { method: r.pick(['foo/bar', '$/setTrace', 'workspace/didChangeWatchedFiles']), params: { x: 1 } } };
    case 4:
    case 5:
      return {
        kind: 'codeAction',
        request: {
          method: 'textDocument/codeAction',
          params: r.chance(0.05) ? r.pick([null, 5, 'x', []]) : {
            textDocument: r.chance(0.9) ? { uri } : r.pick([null, {}, { uri: 5 }]),
            range: r.chance(0.9) ? { start: hostilePosition(r), end: hostilePosition(r) } : r.pick([null, 'x']),
            context: r.chance(0.9) ? { diagnostics: Array.from({ length: r.int(4) }, () => hostileDiagnostic(r, controls)), only: r.pick([undefined, ['quickfix'], [5], 'x', []]) } : r.pick([null, 5]),
          },
        },
      };
    case 6:
      return {
        kind: 'resolve',
        request: {
          method: 'codeAction/resolve',
          params: { title: 'x', data: r.chance(0.2) ? r.pick([null, 5, 'x']) : { treasure: r.pick([1, 1, 2, '1']), uri: r.pick([uri, 5, null]), version: hostileNumber(r), rev: r.pick(['x.1', 5, undefined, 'deadbeef.1']), kind: r.pick(['fix', 'rewriteFunction', 'x', 5]), line: hostileNumber(r), diagnostic: r.chance(0.3) ? hostileDiagnostic(r, controls) : undefined } },
        },
      };
    case 7:
      return { kind: 'markersAt', request: { method: 'treasure/markersAt', params: r.chance(0.1) ? r.pick([null, 5]) : { textDocument: { uri }, position: hostilePosition(r) } } };
    case 8:
      return {
        kind: 'generate',
        request: {
          method: 'treasure/generate',
          params: r.chance(0.1) ? r.pick([null, 5, {}]) : {
            languageId: r.pick(['python', 'javascript', '__proto__', 'constructor', 'toString', 5, '', 'x'.repeat(300), 'hasOwnProperty']),
            prompt: r.chance(0.9) ? hostileText(r, controls) : r.pick([5, null, 'x'.repeat(300_000)]),
            // JSON.parse: an own "__proto__" key, as it comes over the wire
            markers: r.pick<unknown>([undefined, { length_lines: '2' }, JSON.parse('{"__proto__": {"a": 1}}'), { constructor: 'x' }, 5, null, { task: '<|end|>' }]),
            maxTokens: r.pick([undefined, 8, 16, -1, 1e10, 1.5, 'x']),
            textDocument: r.pick([undefined, { uri }, { uri: 5 }]),
          },
        },
      };
    case 9:
      return { kind: 'fixAll', request: { method: 'treasure/fixAll', params: r.chance(0.1) ? r.pick([null, 5]) : { textDocument: { uri }, markers: r.pick([undefined, { task: 'CodeFix' }, 5, { x: 'y' }]) } } };
    case 10:
      return {
        kind: 'didOpen',
        notify: {
          method: 'textDocument/didOpen',
          params: r.chance(0.1) ? r.pick([null, 5, {}]) : { textDocument: { uri, languageId: r.pick(['python', 'javascript', 'go', '__proto__', 'constructor', 5, 'cobol']), version: r.pick([1, 2, -1, 1.5, 'x', 1e10]), text: r.chance(0.95) ? hostileText(r, controls) : r.pick([5, null]) } },
        },
      };
    case 11:
      return {
        kind: 'didChange',
        notify: {
          method: 'textDocument/didChange',
          params: {
            textDocument: { uri, version: r.pick([1, 2, 3, -1, 1.5, null]) },
            contentChanges: r.chance(0.5) ? [{ text: hostileText(r, controls) }] : [{ range: { start: hostilePosition(r), end: hostilePosition(r) }, text: hostileText(r, controls) }],
          },
        },
      };
    case 12:
      return { kind: 'didClose', notify: { method: 'textDocument/didClose', params: r.chance(0.9) ? { textDocument: { uri } } : r.pick([null, 5]) } };
    default:
      return r.chance(0.5)
        ? { kind: 'cancel', notify: { method: '$/cancelRequest', params: { id: r.pick([1, 2, 'x', null, 1e10]) } } }
        : { kind: 'status', request: { method: 'treasure/status', params: null } };
  }
}

export interface FuzzReport {
  messages: number;
  requests: number;
  unanswered: number;
  slowest: { ms: number; kind: string };
  over2s: number;
  byKind: Record<string, number>;
  alive: boolean;
  maxBlockMs?: number;
  /** The requests slower than 1 s: what they were (method, a summary of the params), how long, and which batch. */
  slow: { kind: string; ms: number; batch: number; what: string }[];
}

/** A short description of a fuzzed request, for the slow list. */
function describe(m: { method: string; params: unknown }): string {
  const s = JSON.stringify(m.params, (_k, v: unknown) => (typeof v === 'string' && v.length > 40 ? `${v.slice(0, 40)}...(${v.length})` : v)) ?? 'undefined';
  return `${m.method} ${s.length > 300 ? s.slice(0, 300) + '...' : s}`;
}

/**
 * Sends `n` fuzzed messages in batches (each batch's requests awaited; a reply slower than `maxWait`
 * counts as unanswered), then asks the server for its event-loop figures if it keeps them.
 */
export async function fuzz(client: LspClient, seed: number, n: number, opts: { batch?: number; maxWait?: number } = {}): Promise<FuzzReport> {
  const r = rng(seed);
  const controls = controlStrings();
  const batch = opts.batch ?? 20;
  const maxWait = opts.maxWait ?? 30_000;
  const report: FuzzReport = { messages: 0, requests: 0, unanswered: 0, slowest: { ms: 0, kind: '' }, over2s: 0, byKind: {}, alive: true, slow: [] };
  for (let sent = 0, batchNo = 0; sent < n; batchNo++) {
    const waits: Promise<void>[] = [];
    for (let i = 0; i < batch && sent < n; i++, sent++) {
      const m = fuzzMessage(r, controls);
      report.messages++;
      report.byKind[m.kind] = (report.byKind[m.kind] ?? 0) + 1;
      if (m.body !== undefined) client.sendBody(m.body);
      else if (m.notify) client.notify(m.notify.method, m.notify.params);
      else if (m.request) {
        report.requests++;
        const t0 = performance.now();
        const call = client.call(m.request.method, m.request.params);
        const kind = m.kind;
        const req = m.request;
        const b = batchNo;
        waits.push(
          Promise.race([call.then(() => true, () => false), new Promise<boolean>((res) => setTimeout(() => res(false), maxWait).unref())]).then((ok) => {
            const ms = performance.now() - t0;
            if (!ok) report.unanswered++;
            if (ms > report.slowest.ms) report.slowest = { ms, kind };
            if (ms > 2000) report.over2s++;
            if (ms > 1000) report.slow.push({ kind, ms: Math.round(ms), batch: b, what: describe(req) });
          }),
        );
      }
    }
    await Promise.all(waits);
    if (client.exited !== null) break;
  }
  report.alive = client.exited === null;
  return report;
}

// ---- races ----------------------------------------------------------------------------------------

export type RaceKind = 'reopen' | 'same-version' | 'change';

/** The document before a race: a def without its colon on line 3 (the shipped model fixes it). */
export const raceOld = (i: number) => `import math\n\n\ndef circle_area_${i}(radius)\n    """Area of a circle of the given radius."""\n    return math.pi * radius ** 2\n`;
/** The document after it: another function, broken on line 5. */
export const raceNew = (i: number) => `import os\nimport sys\n\n\n# helpers\ndef list_files_${i}(path)\n    """The names of the files in a folder."""\n    return sorted(os.listdir(path))\n`;

/**
 * One race: an action for the old text is resolved while the document is closed and reopened at
 * version 1 (reopen), changed under the same version number (same-version) or changed to version 2
 * (change). Returns whether the raced resolve returned an edit (stale: its document is gone), and
 * whether a fresh fix of the new text afterwards is right for the new text (no fix from the old one
 * served from the cache).
 */
export async function race(c: LspClient, kind: RaceKind, i: number): Promise<{ stale: boolean; freshOk: boolean | null }> {
  const uri = `file:///race/${kind}-${i}.py`;
  open(c, uri, raceOld(i));
  const [action] = (await codeActions(c, uri, 3)).filter((a) => a.kind === 'quickfix.treasure');
  if (!action) throw new Error(`no action for the old text of race ${i}`);
  const resolving = c.request<Action>('codeAction/resolve', action);
  if (kind === 'reopen') {
    c.notify('textDocument/didClose', { textDocument: { uri } });
    open(c, uri, raceNew(i), 1);
  } else {
    c.notify('textDocument/didChange', { textDocument: { uri, version: kind === 'same-version' ? 1 : 2 }, contentChanges: [{ text: raceNew(i) }] });
  }
  const raced = await resolving;
  const stale = !!raced.edit;
  // the same action resolved again (the client kept it): still no edit for a document that is gone
  const again = await c.request<Action>('codeAction/resolve', action);
  const [fresh] = (await codeActions(c, uri, 5)).filter((a) => a.kind === 'quickfix.treasure');
  let freshOk: boolean | null = null;
  if (fresh) {
    const r = await c.request<Action>('codeAction/resolve', fresh);
    if (r.edit) {
      const edits = r.edit.documentChanges[0]!.edits;
      // right for the new text: edits on its broken line, and the result keeps the new function
      freshOk = edits.every((e) => e.range.start.line >= 5) && !edits.some((e) => e.newText.includes('circle_area'));
    }
  }
  c.notify('textDocument/didClose', { textDocument: { uri } });
  return { stale: stale || !!again.edit, freshOk };
}

// ---- hostile model folders ---------------------------------------------------------------------

/** Model folders that must fail to load with a clear reason (made under a temp folder). */
export function hostileModels(): { name: string; dir: string; reason: RegExp }[] {
  const base = mkdtempSync(join(tmpdir(), 'treasure-hostile-'));
  const copyTiny = (name: string) => {
    const dir = join(base, name);
    mkdirSync(dir);
    for (const f of readdirSync(TINY_MODEL)) copyFileSync(join(TINY_MODEL, f), join(dir, f));
    return dir;
  };
  const config = JSON.parse(readFileSync(join(TINY_MODEL, 'config.json'), 'utf8')) as Record<string, unknown>;
  const out: { name: string; dir: string; reason: RegExp }[] = [];
  const empty = join(base, 'empty');
  mkdirSync(empty);
  out.push({ name: 'empty folder', dir: empty, reason: /model\.onnx is missing/ });
  let d = copyTiny('huge-layers');
  writeFileSync(join(d, 'config.json'), JSON.stringify({ ...config, n_layer: 200000 }));
  out.push({ name: 'n_layer 200000', dir: d, reason: /n_layer" is 200000/ });
  d = copyTiny('wrong-layers');
  writeFileSync(join(d, 'config.json'), JSON.stringify({ ...config, n_layer: 3 }));
  out.push({ name: 'n_layer 3 for a 2-layer graph', dir: d, reason: /n_layer 3 but model\.onnx has 2 layers/ });
  d = copyTiny('garbage-onnx');
  writeFileSync(join(d, 'model.onnx'), Buffer.from('this is not a protobuf \u0000\u0001\u0002'.repeat(50)));
  out.push({ name: 'model.onnx not ONNX', dir: d, reason: /^cannot load the model .*model\.onnx: .*(Protobuf|protobuf|parse|Load model)/ });
  d = copyTiny('bad-tokenizer');
  writeFileSync(join(d, 'tokenizer.json'), '{"model": ');
  out.push({ name: 'tokenizer.json not JSON', dir: d, reason: /tokenizer/ });
  d = copyTiny('bad-config');
  writeFileSync(join(d, 'config.json'), '{"n_layer": "many"}');
  out.push({ name: 'config.json with a string n_layer', dir: d, reason: /"n_layer" must be a positive integer/ });
  d = copyTiny('float-config');
  writeFileSync(join(d, 'config.json'), JSON.stringify({ ...config, head_dim: 8.5 }));
  out.push({ name: 'fractional head_dim', dir: d, reason: /"head_dim" must be a positive integer/ });
  return out;
}

/** Resident memory of a process in MB (Linux /proc). */
export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
