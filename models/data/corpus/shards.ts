// Output shards: `{split}-NNNNN.jsonl.xz`, one JSON record a line, compressed by the `xz` command.
// A shard is written under a temporary name and renamed when xz has finished, so a reader never sees a
// half-written shard. A shard is closed when its uncompressed size or its compressed size so far
// reaches the limit; its final compressed size is checked against the hard limit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { WriteStream } from 'node:fs';

export interface ShardInfo { file: string; split: string; records: number; bytes: number; compressedBytes: number }

interface Open { tmp: string; final: string; xz: ChildProcess; out: WriteStream; records: number; bytes: number; compressed: number; done: Promise<void> }

export class ShardWriter {
  private cur: Open | null = null;
  private n = 0;
  private pending: Promise<void>[] = [];
  readonly shards: ShardInfo[] = [];
  constructor(
    private readonly dir: string,
    private readonly split: string,
    private readonly maxBytes: number,
    private readonly maxCompressed: number,
    private readonly hardMaxCompressed: number,
    private readonly preset: number,
  ) { mkdirSync(dir, { recursive: true }); }

  /** Remove shards (and temp files) of earlier builds for this split. */
  static clean(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (/^(?:train|valid|test)-\d{5}\.jsonl\.xz(?:\.tmp)?$/.test(f)) rmSync(join(dir, f));
  }

  private open(): Open {
    const final = join(this.dir, `${this.split}-${String(this.n++).padStart(5, '0')}.jsonl.xz`);
    const tmp = `${final}.tmp`;
    const xz = spawn('xz', ['-z', '-c', `-${this.preset}`, '-T1'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out = createWriteStream(tmp);
    const o: Open = { tmp, final, xz, out, records: 0, bytes: 0, compressed: 0, done: Promise.resolve() };
    xz.stdout!.on('data', (b: Buffer) => { o.compressed += b.length; });
    xz.stdout!.pipe(out);
    o.done = new Promise<void>((res, rej) => {
      let exited = false, closed = false;
      const fin = () => { if (exited && closed) res(); };
      xz.on('exit', (code) => { if (code !== 0) rej(new Error(`xz exited ${code}`)); exited = true; fin(); });
      out.on('close', () => { closed = true; fin(); });
      out.on('error', rej);
    });
    return o;
  }

  /** Append one record; waits when xz is behind (backpressure). */
  async write(line: string): Promise<void> {
    if (!this.cur) this.cur = this.open();
    const c = this.cur;
    const data = `${line}\n`;
    c.records++;
    c.bytes += Buffer.byteLength(data);
    if (!c.xz.stdin!.write(data)) await new Promise<void>((r) => c.xz.stdin!.once('drain', () => r()));
    if (c.bytes >= this.maxBytes || c.compressed >= this.maxCompressed) this.close();
  }

  private close(): void {
    const c = this.cur;
    if (!c) return;
    this.cur = null;
    c.xz.stdin!.end();
    this.pending.push(c.done.then(() => {
      const size = statSync(c.tmp).size;
      if (size > this.hardMaxCompressed) throw new Error(`shard ${c.final} is ${size} bytes compressed, over the ${this.hardMaxCompressed} limit`);
      renameSync(c.tmp, c.final);
      this.shards.push({ file: c.final, split: this.split, records: c.records, bytes: c.bytes, compressedBytes: size });
    }));
  }

  async finish(): Promise<ShardInfo[]> {
    this.close();
    await Promise.all(this.pending);
    this.shards.sort((a, b) => (a.file < b.file ? -1 : 1));
    return this.shards;
  }
}
