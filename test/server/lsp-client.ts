// A minimal LSP client for tests: JSON-RPC over the stdio of a spawned language server.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

type Json = unknown;
export interface Message { jsonrpc: '2.0'; id?: number | string | null; method?: string; params?: Json; result?: Json; error?: { code: number; message: string } }
/** A response as it came: its result or its JSON-RPC error. */
export interface Reply { result?: Json; error?: { code: number; message: string } }

export class LspClient {
  readonly proc: ChildProcessWithoutNullStreams;
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Json) => void; reject: (e: Error) => void; raw?: (m: Reply) => void }>();
  /** Responses with no request of ours (id null: a parse error, an invalid message). */
  readonly orphanReplies: Message[] = [];
  private readonly waiters: { method: string; pred: (p: Json) => boolean; resolve: (p: Json) => void }[] = [];
  readonly notifications: { method: string; params: Json }[] = [];
  /** Answers server -> client requests (workspace/configuration, ...). */
  onRequest: (method: string, params: Json) => Json = () => null;
  stderr = '';
  /** Frames from the server that were not JSON (there should be none). */
  badFrames = 0;
  exited: number | null = null;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.proc = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d: Buffer) => this.onData(d));
    this.proc.stderr.on('data', (d: Buffer) => { this.stderr += d.toString(); });
    this.proc.stdin.on('error', () => undefined); // the server exited under a write (a fatal frame)
    this.proc.on('exit', (code) => {
      this.exited = code ?? -1;
      for (const p of this.pending.values()) p.reject(new Error(`server exited (${code}); stderr: ${this.stderr}`));
      this.pending.clear();
    });
  }

  private send(m: Message): void {
    if (this.exited !== null || this.proc.stdin.destroyed) return;
    const body = Buffer.from(JSON.stringify(m), 'utf8');
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const sep = this.buf.indexOf('\r\n\r\n');
      if (sep < 0) return;
      const header = this.buf.subarray(0, sep).toString();
      const len = Number(/Content-Length: (\d+)/i.exec(header)?.[1]);
      if (this.buf.length < sep + 4 + len) return;
      const body = this.buf.subarray(sep + 4, sep + 4 + len).toString('utf8');
      this.buf = this.buf.subarray(sep + 4 + len);
      let m: Message;
      try {
        m = JSON.parse(body) as Message;
      } catch {
        this.badFrames++;
        continue;
      }
      this.dispatch(m);
    }
  }

  private dispatch(m: Message): void {
    if (m.id !== undefined && m.method === undefined) {
      const p = m.id === null ? undefined : this.pending.get(m.id as number);
      if (!p) {
        this.orphanReplies.push(m);
        return;
      }
      this.pending.delete(m.id as number);
      if (p.raw) p.raw({ result: m.result, error: m.error });
      else if (m.error) p.reject(new Error(`${m.error.code}: ${m.error.message}`));
      else p.resolve(m.result ?? null);
    } else if (m.id !== undefined && m.method) {
      let result: Json = null;
      try {
        result = this.onRequest(m.method, m.params);
      } catch {
        result = null;
      }
      this.send({ jsonrpc: '2.0', id: m.id, result });
    } else if (m.method) {
      this.notifications.push({ method: m.method, params: m.params });
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i]!;
        if (w.method === m.method && w.pred(m.params)) {
          this.waiters.splice(i, 1);
          w.resolve(m.params);
        }
      }
    }
  }

  request<T = Json>(method: string, params: Json): Promise<T> & { id: number } {
    const id = this.nextId++;
    const p = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: Json) => void, reject });
    }) as Promise<T> & { id: number };
    p.id = id;
    this.send({ jsonrpc: '2.0', id, method, params });
    return p;
  }

  /** A request whose reply is returned as it came (result or error), never rejected for an error reply. */
  call(method: string, params: Json): Promise<Reply> & { id: number } {
    const id = this.nextId++;
    const p = new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: Json) => void, reject, raw: resolve });
    }) as Promise<Reply> & { id: number };
    p.id = id;
    this.send({ jsonrpc: '2.0', id, method, params });
    return p;
  }

  /** Bytes as they are, for malformed frames. */
  writeRaw(bytes: Buffer | string): void {
    this.proc.stdin.write(bytes);
  }

  /** A well-framed message with any body (bad JSON, wrong types). */
  sendBody(body: Buffer | string): void {
    const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.proc.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${b.length}\r\n\r\n`), b]));
  }

  /** Resolves with the exit code once the server has exited. */
  exitCode(): Promise<number> {
    if (this.exited !== null) return Promise.resolve(this.exited);
    return new Promise((resolve) => this.proc.on('exit', (code) => resolve(code ?? -1)));
  }

  notify(method: string, params: Json): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  cancel(id: number): void {
    this.notify('$/cancelRequest', { id });
  }

  /** Resolves with the params of the next notification `method` satisfying pred (or one seen already). */
  waitFor<T = Json>(method: string, pred: (p: T) => boolean = () => true): Promise<T> {
    const seen = this.notifications.find((n) => n.method === method && pred(n.params as T));
    if (seen) return Promise.resolve(seen.params as T);
    return new Promise<T>((resolve) => {
      this.waiters.push({ method, pred: pred as (p: Json) => boolean, resolve: resolve as (p: Json) => void });
    });
  }

  logs(): string {
    return this.notifications.filter((n) => n.method === 'window/logMessage').map((n) => (n.params as { message: string }).message).join('\n');
  }

  async shutdown(): Promise<void> {
    if (this.exited !== null) return;
    try {
      await this.request('shutdown', null);
      this.notify('exit', null);
    } catch {
      /* already gone */
    }
    await new Promise<void>((resolve) => {
      if (this.exited !== null) return resolve();
      const t = setTimeout(() => { this.proc.kill(); resolve(); }, 5000);
      this.proc.on('exit', () => { clearTimeout(t); resolve(); });
    });
  }
}
