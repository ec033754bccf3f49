// The wire under the language server: a strict stdio framing reader, and a lifecycle gate in front of
// every transport. A frame the reader cannot resync after (a bad or missing Content-Length, a header
// that never ends, a body larger than any real message) is fatal: the server logs why and exits, so
// that the client restarts it, instead of staying up deaf. A body that is not JSON, or JSON that is
// not a JSON-RPC message, is answered with the JSON-RPC error and reading goes on.
import {
  AbstractMessageReader,
  ErrorCodes,
  IPCMessageReader,
  IPCMessageWriter,
  StreamMessageWriter,
  createServerPipeTransport,
  createServerSocketTransport,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageReader,
  type MessageWriter,
} from 'vscode-languageserver/node';

/** Header bytes before the blank line that ends them (real clients send ~60). */
export const MAX_HEADER_BYTES = 8 * 1024;
/** One message's body (a 1 MB document is ~1-6 MB of JSON; anything past this is not a real client). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A frame after which the stream cannot be read reliably any more. */
export class FramingError extends Error {}

type Reply = (m: Message) => void;

const SEPARATOR = Buffer.from('\r\n\r\n');

/** LSP base protocol over a byte stream (stdin), strict about its headers. */
export class StrictStreamReader extends AbstractMessageReader implements MessageReader {
  private buffer: Buffer = Buffer.alloc(0);
  private bodyLength = -1;
  private dead = false;
  private callback: DataCallback | undefined;

  constructor(private readonly readable: NodeJS.ReadableStream, private readonly reply: Reply) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (d: Buffer) => this.onData(d);
    const onError = (e: Error) => this.fireError(e);
    const onEnd = () => this.fireClose();
    this.readable.on('data', onData);
    this.readable.on('error', onError);
    this.readable.on('end', onEnd);
    return { dispose: () => {
      this.readable.off('data', onData);
      this.readable.off('error', onError);
      this.readable.off('end', onEnd);
    } };
  }

  private fatal(why: string): void {
    this.dead = true;
    this.buffer = Buffer.alloc(0);
    this.fireError(new FramingError(why));
  }

  private onData(chunk: Buffer): void {
    if (this.dead) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.bodyLength < 0) {
        const end = this.buffer.indexOf(SEPARATOR);
        if (end < 0) {
          if (this.buffer.length > MAX_HEADER_BYTES) this.fatal(`a message header longer than ${MAX_HEADER_BYTES} bytes`);
          return;
        }
        if (end > MAX_HEADER_BYTES) return this.fatal(`a message header longer than ${MAX_HEADER_BYTES} bytes`);
        const length = contentLength(this.buffer.subarray(0, end).toString('latin1'));
        if (typeof length === 'string') return this.fatal(length);
        this.bodyLength = length;
        this.buffer = this.buffer.subarray(end + SEPARATOR.length);
      }
      if (this.buffer.length < this.bodyLength) return;
      const body = this.buffer.subarray(0, this.bodyLength);
      this.buffer = this.buffer.subarray(this.bodyLength);
      this.bodyLength = -1;
      this.deliver(body);
    }
  }

  private deliver(body: Buffer): void {
    let msg: unknown;
    try {
      msg = JSON.parse(body.toString('utf8'));
    } catch (e) {
      this.reply(errorReply(null, ErrorCodes.ParseError, `the message body is not JSON: ${(e as Error).message}`));
      return;
    }
    const bad = malformed(msg);
    if (bad) {
      this.reply(errorReply(bad.id, ErrorCodes.InvalidRequest, bad.why));
      return;
    }
    const m = msg as Record<string, unknown>;
    // `"id": null` with a method: no reply can be correlated, so it is a notification (jsonrpc would throw)
    if (m.id === null && typeof m.method === 'string') delete m.id;
    try {
      this.callback?.(msg as Message);
    } catch (e) {
      // one message the connection cannot take must not drop the others read with it
      this.reply(errorReply(validId(m.id) ? m.id : null, ErrorCodes.InvalidRequest, `unusable message: ${(e as Error).message}`));
    }
  }
}

/** The Content-Length of a header block, or why the block is unreadable. */
export function contentLength(header: string): number | string {
  let length: number | undefined;
  for (const line of header.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `a malformed header line ${JSON.stringify(line.slice(0, 80))}`;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (length !== undefined) return 'two Content-Length headers';
      if (!/^\d{1,10}$/.test(value)) return `Content-Length ${JSON.stringify(value.slice(0, 40))} is not a byte count`;
      length = Number(value);
      if (length > MAX_MESSAGE_BYTES) return `Content-Length ${length} is over the ${MAX_MESSAGE_BYTES}-byte limit`;
    } else if (name === 'content-type' && /charset=/i.test(value) && !/charset=["']?utf-?8/i.test(value)) {
      return `an unsupported Content-Type ${JSON.stringify(value.slice(0, 80))} (UTF-8 only)`;
    }
  }
  return length ?? 'a header with no Content-Length';
}

type Id = number | string | null;

function errorReply(id: Id, code: number, message: string): Message {
  return { jsonrpc: '2.0', id, error: { code, message } } as Message;
}

const validId = (id: unknown): id is number | string => (typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && id.length <= 256);

/** Why a parsed body is not a JSON-RPC request, notification or response (undefined when it is one). */
function malformed(msg: unknown): { id: Id; why: string } | undefined {
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return { id: null, why: 'a message must be a JSON object (batches are not part of LSP)' };
  const m = msg as Record<string, unknown>;
  const hasId = 'id' in m && m.id !== null;
  if (hasId && !validId(m.id)) return { id: null, why: 'the id must be an integer or a string' };
  const id = hasId ? (m.id as number | string) : null;
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method.length === 0 || m.method.length > 256) return { id, why: 'the method must be a non-empty string' };
    if ('params' in m && m.params !== null && typeof m.params !== 'object') return { id, why: 'params must be an object or an array' };
    return undefined;
  }
  if (hasId && ('result' in m || 'error' in m)) return undefined; // a response to one of our requests
  return { id, why: 'neither a request, a notification nor a response' };
}

const isIndex = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isPosition = (p: unknown) => !!p && typeof p === 'object' && isIndex((p as { line?: unknown }).line) && isIndex((p as { character?: unknown }).character);

/**
 * Why a document notification cannot be applied (undefined when it can): the document store would
 * take a didOpen whose text is not a string and fail on every request for that document later, and
 * throw on a didChange without an integer version. Such a notification is dropped, as if never sent.
 */
export function documentNotificationProblem(method: string, params: unknown): string | undefined {
  if (method !== 'textDocument/didOpen' && method !== 'textDocument/didChange' && method !== 'textDocument/didClose') return undefined;
  const td = (params as { textDocument?: Record<string, unknown> } | null)?.textDocument;
  if (!td || typeof td !== 'object' || typeof td.uri !== 'string') return 'no textDocument.uri';
  if (method === 'textDocument/didOpen') {
    if (typeof td.text !== 'string') return 'textDocument.text is not a string';
    if (typeof td.languageId !== 'string') return 'textDocument.languageId is not a string';
    if (!Number.isSafeInteger(td.version)) return 'textDocument.version is not an integer';
  }
  if (method === 'textDocument/didChange') {
    if (!Number.isSafeInteger(td.version)) return 'textDocument.version is not an integer';
    const changes = (params as { contentChanges?: unknown }).contentChanges;
    if (!Array.isArray(changes)) return 'contentChanges is not an array';
    for (const c of changes) {
      if (!c || typeof c !== 'object' || typeof (c as { text?: unknown }).text !== 'string') return 'a content change without a text string';
      const r = (c as { range?: unknown }).range;
      if (r !== undefined && (!r || typeof r !== 'object' || !isPosition((r as { start?: unknown }).start) || !isPosition((r as { end?: unknown }).end))) return 'a content change with a range that is not two positions';
    }
  }
  return undefined;
}

/**
 * The LSP lifecycle in front of the handlers: before `initialize`, a request is answered -32002
 * (ServerNotInitialized) and a notification other than `exit` is dropped; after `shutdown`, a
 * request is answered -32600 (InvalidRequest). `exit` waits for `beforeExit` (the server's threads).
 */
export function lifecycleGate(reader: MessageReader, reply: Reply, beforeExit?: () => Promise<void>): MessageReader {
  let initialized = false;
  let shutDown = false;
  return {
    onError: reader.onError,
    onClose: reader.onClose,
    onPartialMessage: reader.onPartialMessage,
    dispose: () => reader.dispose(),
    listen(callback: DataCallback): Disposable {
      return reader.listen((msg) => {
        const m = msg as { id?: Id; method?: unknown };
        const request = typeof m.method === 'string' && m.id !== undefined && m.id !== null;
        const notification = typeof m.method === 'string' && !request;
        if (request && !initialized && m.method !== 'initialize') return reply(errorReply(m.id!, ErrorCodes.ServerNotInitialized, `${String(m.method)} before initialize`));
        if (request && m.method === 'initialize' && initialized) return reply(errorReply(m.id!, ErrorCodes.InvalidRequest, 'initialize was sent twice'));
        if (request && shutDown) return reply(errorReply(m.id!, ErrorCodes.InvalidRequest, `${String(m.method)} after shutdown`));
        if (notification && !initialized && m.method !== 'exit') return;
        if (notification && documentNotificationProblem(m.method as string, (m as { params?: unknown }).params)) return;
        if (request && m.method === 'initialize') initialized = true;
        if (request && m.method === 'shutdown') shutDown = true;
        if (m.id === null && typeof m.method === 'string') delete (m as { id?: Id }).id; // as StrictStreamReader does
        if (notification && m.method === 'exit' && beforeExit) {
          void beforeExit().finally(() => callback(msg));
          return;
        }
        try {
          callback(msg);
        } catch (e) {
          if (request) reply(errorReply(m.id!, ErrorCodes.InvalidRequest, `unusable message: ${(e as Error).message}`));
        }
      });
    },
  };
}

/** Reader and writer for the transport named on the command line (as vscode-languageserver reads it). */
export function transportFromArgs(argv: readonly string[], stdin: NodeJS.ReadableStream, stdout: NodeJS.WritableStream): { reader: MessageReader; writer: MessageWriter; stdio: boolean } {
  const value = (name: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === name) return argv[i + 1];
      if (argv[i]!.startsWith(name + '=')) return argv[i]!.slice(name.length + 1);
    }
    return undefined;
  };
  if (argv.includes('--node-ipc')) return { reader: new IPCMessageReader(process), writer: new IPCMessageWriter(process), stdio: false };
  const port = Number(value('--socket'));
  if (Number.isInteger(port) && port > 0) {
    const [reader, writer] = createServerSocketTransport(port);
    return { reader, writer, stdio: false };
  }
  const pipe = value('--pipe');
  if (pipe) {
    const [reader, writer] = createServerPipeTransport(pipe);
    return { reader, writer, stdio: false };
  }
  // --stdio, and the default: the strict reader; its error replies go through the same writer
  const writer = new StreamMessageWriter(stdout);
  const reader = new StrictStreamReader(stdin, (m) => void writer.write(m).catch(() => undefined));
  return { reader, writer, stdio: true };
}
