// Train / valid / test by package, never by file: a package's split is a hash of (seed, package name).
import { createHash } from 'node:crypto';

export type Split = 'train' | 'valid' | 'test';

export function splitOf(pkg: string, seed: number, frac: { valid: number; test: number }): Split {
  const h = createHash('sha256').update(`${seed}\0${pkg}`).digest();
  const u = h.readUInt32BE(0) / 0x100000000;
  if (u < frac.test) return 'test';
  if (u < frac.test + frac.valid) return 'valid';
  return 'train';
}
