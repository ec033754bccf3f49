// The npm registry, read with fetch: a package's release list (the abbreviated metadata) and its
// tarballs, cached under build/cache/realfix (a rebuild downloads nothing). Tarballs are read in memory
// (gunzip + a small tar reader): only the source files and package.json are kept, nothing is extracted.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const REGISTRY = 'https://registry.npmjs.org';

export interface Release { version: string; tarball: string; unpackedSize?: number }

const safeName = (s: string) => s.replace(/\//g, '__');

async function fetchWithRetry(url: string, init: RequestInit = {}, tries = 3): Promise<Response> {
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
      if (r.ok || r.status === 404 || i + 1 >= tries) return r;
    } catch (e) {
      if (i + 1 >= tries) throw e;
    }
    await new Promise((res) => setTimeout(res, 1000 * (i + 1)));
  }
}

/** Every published version of `name` with its tarball URL (cached as JSON). */
export async function releases(name: string, cache: string): Promise<Release[]> {
  const file = join(cache, 'meta', `${safeName(name)}.json`);
  if (!existsSync(file)) {
    mkdirSync(join(cache, 'meta'), { recursive: true });
    const r = await fetchWithRetry(`${REGISTRY}/${name.replace('/', '%2F')}`, { headers: { accept: 'application/vnd.npm.install-v1+json' } });
    if (!r.ok) throw new Error(`registry ${r.status} for ${name}`);
    const doc = (await r.json()) as { versions?: Record<string, { dist?: { tarball?: string; unpackedSize?: number } }> };
    const out: Release[] = Object.entries(doc.versions ?? {}).flatMap(([version, v]) => (v.dist?.tarball ? [{ version, tarball: v.dist.tarball, unpackedSize: v.dist.unpackedSize }] : []));
    writeFileSync(`${file}.tmp`, JSON.stringify(out));
    renameSync(`${file}.tmp`, file);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Release[];
}

/** The tarball of one release, downloaded once (written under a temporary name, then renamed). */
export async function tarball(name: string, rel: Release, cache: string): Promise<Buffer> {
  const file = join(cache, 'tgz', `${safeName(name)}@${rel.version}.tgz`);
  if (existsSync(file)) return readFileSync(file);
  mkdirSync(join(cache, 'tgz'), { recursive: true });
  const r = await fetchWithRetry(rel.tarball);
  if (!r.ok) throw new Error(`tarball ${r.status} for ${name}@${rel.version}`);
  const buf = Buffer.from(await r.arrayBuffer());
  writeFileSync(`${file}.tmp`, buf);
  renameSync(`${file}.tmp`, file);
  return buf;
}

/**
 * The files of a .tgz whose path `keep` accepts, as text, keyed by their path without the tarball's top
 * folder (npm's `package/`, some use another name). Reads ustar headers, GNU long names and pax paths.
 */
export function untar(tgz: Buffer, keep: (path: string) => boolean, maxBytes = 512 * 1024): Map<string, string> {
  const tar = gunzipSync(tgz);
  const out = new Map<string, string>();
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number) => { const s = h.subarray(a, a + n); const z = s.indexOf(0); return s.subarray(0, z < 0 ? n : z).toString('utf8'); };
    const size = parseInt(str(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156]!) || '0';
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') { longName = body.toString('utf8').replace(/\0+$/, ''); continue; }
    if (type === 'x') { const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8')); if (m) longName = m[1]; continue; }
    if (type === 'g') continue;
    const prefix = str(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    longName = undefined;
    if (type !== '0' && type !== '\0') continue;
    const path = name.replace(/^\.?\/?[^/]+\//, '');
    if (size > maxBytes || !keep(path)) continue;
    out.set(path, body.toString('utf8'));
  }
  return out;
}
