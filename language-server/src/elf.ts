// Two cheap questions about a Linux shared library, read from its ELF headers without loading it
// (a CUDA provider library that does not fit is never dlopen()ed: a wrong one can crash the process):
// - elfNeeded: its DT_NEEDED entries (the libraries the dynamic loader must find for it);
// - elfSectionIncludes: whether one section (.rodata) holds a byte string (onnxruntime's version).
// 64-bit little-endian ELF only (x86-64, arm64); anything else answers undefined.
import { closeSync, openSync, readSync } from 'node:fs';

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, b, got, length - got, offset + got);
    if (n <= 0) break;
    got += n;
  }
  return got === length ? b : b.subarray(0, got);
}

function withFile<T>(path: string, f: (fd: number) => T): T | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return f(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function header(fd: number): Buffer | undefined {
  const h = readAt(fd, 0, 64);
  if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return undefined;
  return h;
}

/** A header table (program headers at 0x20/0x36/0x38, section headers at 0x28/0x3a/0x3c); undefined if short. */
function headerTable(fd: number, h: Buffer, offAt: number, sizeAt: number, countAt: number): { buf: Buffer; size: number; count: number } | undefined {
  const size = h.readUInt16LE(sizeAt);
  const count = h.readUInt16LE(countAt);
  const buf = readAt(fd, Number(h.readBigUInt64LE(offAt)), size * count);
  return buf.length < size * count ? undefined : { buf, size, count };
}

/** The NUL-terminated string at `at` of a string table. */
function cString(table: Buffer, at: number): string {
  const end = table.indexOf(0, at);
  return table.toString('latin1', at, end < 0 ? table.length : end);
}

/** The libraries a shared library or program needs (DT_NEEDED), in order; undefined if it cannot be read. */
export function elfNeeded(path: string): string[] | undefined {
  return withFile(path, (fd) => {
    const h = header(fd);
    if (!h) return undefined;
    const ph = headerTable(fd, h, 0x20, 0x36, 0x38);
    if (!ph) return undefined;
    const loads: { vaddr: number; offset: number; filesz: number }[] = [];
    let dyn: { offset: number; size: number } | undefined;
    for (let i = 0; i < ph.count; i++) {
      const o = i * ph.size;
      const type = ph.buf.readUInt32LE(o);
      const offset = Number(ph.buf.readBigUInt64LE(o + 8));
      const vaddr = Number(ph.buf.readBigUInt64LE(o + 16));
      const filesz = Number(ph.buf.readBigUInt64LE(o + 32));
      if (type === 1) loads.push({ vaddr, offset, filesz });
      if (type === 2) dyn = { offset, size: filesz };
    }
    if (!dyn) return [];
    const d = readAt(fd, dyn.offset, dyn.size);
    const needed: number[] = [];
    let strtab = -1;
    let strsz = 0;
    for (let o = 0; o + 16 <= d.length; o += 16) {
      const tag = Number(d.readBigInt64LE(o));
      const val = Number(d.readBigUInt64LE(o + 8));
      if (tag === 0) break;
      if (tag === 1) needed.push(val);
      if (tag === 5) strtab = val;
      if (tag === 10) strsz = val;
    }
    if (strtab < 0 || strsz === 0) return [];
    const seg = loads.find((l) => strtab >= l.vaddr && strtab < l.vaddr + l.filesz);
    if (!seg) return undefined;
    const s = readAt(fd, strtab - seg.vaddr + seg.offset, strsz);
    return needed.map((n) => cString(s, n));
  });
}

/** Whether section `name` of an ELF file contains `needle` (read in 4 MiB pieces); undefined if it cannot be read. */
export function elfSectionIncludes(path: string, name: string, needle: Buffer): boolean | undefined {
  return withFile(path, (fd) => {
    const h = header(fd);
    if (!h) return undefined;
    const sh = headerTable(fd, h, 0x28, 0x3a, 0x3c);
    const shstrndx = h.readUInt16LE(0x3e);
    if (!sh || shstrndx >= sh.count) return undefined;
    const field = (i: number, at: number) => Number(sh.buf.readBigUInt64LE(i * sh.size + at));
    const names = readAt(fd, field(shstrndx, 0x18), field(shstrndx, 0x20));
    for (let i = 0; i < sh.count; i++) {
      if (cString(names, sh.buf.readUInt32LE(i * sh.size)) !== name) continue;
      const offset = field(i, 0x18);
      const size = field(i, 0x20);
      const piece = 4 << 20;
      for (let at = 0; at < size; at += piece - needle.length) {
        const b = readAt(fd, offset + at, Math.min(piece, size - at));
        if (b.includes(needle)) return true;
        if (at + b.length >= size) break;
      }
      return false;
    }
    return false;
  });
}
