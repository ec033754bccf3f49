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

/** The libraries a shared library or program needs (DT_NEEDED), in order; undefined if it cannot be read. */
export function elfNeeded(path: string): string[] | undefined {
  return withFile(path, (fd) => {
    const h = header(fd);
    if (!h) return undefined;
    const phoff = Number(h.readBigUInt64LE(0x20));
    const phentsize = h.readUInt16LE(0x36);
    const phnum = h.readUInt16LE(0x38);
    const ph = readAt(fd, phoff, phentsize * phnum);
    const loads: { vaddr: number; offset: number; filesz: number }[] = [];
    let dyn: { offset: number; size: number } | undefined;
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      const type = ph.readUInt32LE(o);
      const offset = Number(ph.readBigUInt64LE(o + 8));
      const vaddr = Number(ph.readBigUInt64LE(o + 16));
      const filesz = Number(ph.readBigUInt64LE(o + 32));
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
    return needed.map((n) => s.toString('latin1', n, s.indexOf(0, n) < 0 ? s.length : s.indexOf(0, n)));
  });
}

/** Whether section `name` of an ELF file contains `needle` (read in 4 MiB pieces); undefined if it cannot be read. */
export function elfSectionIncludes(path: string, name: string, needle: Buffer): boolean | undefined {
  return withFile(path, (fd) => {
    const h = header(fd);
    if (!h) return undefined;
    const shoff = Number(h.readBigUInt64LE(0x28));
    const shentsize = h.readUInt16LE(0x3a);
    const shnum = h.readUInt16LE(0x3c);
    const shstrndx = h.readUInt16LE(0x3e);
    const sh = readAt(fd, shoff, shentsize * shnum);
    if (sh.length < shentsize * shnum || shstrndx >= shnum) return undefined;
    const field = (i: number, at: number) => Number(sh.readBigUInt64LE(i * shentsize + at));
    const names = readAt(fd, field(shstrndx, 0x18), field(shstrndx, 0x20));
    for (let i = 0; i < shnum; i++) {
      const n = sh.readUInt32LE(i * shentsize);
      const end = names.indexOf(0, n);
      if (names.toString('latin1', n, end < 0 ? names.length : end) !== name) continue;
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
