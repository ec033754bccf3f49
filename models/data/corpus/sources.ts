// Sources: resolve the manifest into packages (expanding deb name patterns from the local apt index),
// then download them into the cache (build/cache) -- `apt-get download` for binary packages,
// `apt-get source --download-only` with a private sources list for source packages, `npm pack` for npm.
// A package that fails to download is reported and skipped (the card lists it).
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync, readFileSync, statSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { PackageRef, SourceSpec } from './types.js';

const execFileP = promisify(execFile);

export interface AptInfo { section: string; description: string; version: string; rdepends: number; arch: string }

/** Parse `apt-cache dumpavail` (the binary package index) into name -> info, with reverse-dependency counts. */
export function loadAptIndex(): Map<string, AptInfo> {
  const r = spawnSync('apt-cache', ['dumpavail'], { maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`apt-cache dumpavail failed: ${r.stderr}`);
  const idx = new Map<string, AptInfo>();
  const rdeps = new Map<string, Set<string>>();
  for (const para of r.stdout.split('\n\n')) {
    const get = (k: string) => para.match(new RegExp(`^${k}: (.*)$`, 'm'))?.[1] ?? '';
    const name = get('Package');
    if (!name) continue;
    idx.set(name, { section: get('Section'), description: get('Description'), version: get('Version'), rdepends: 0, arch: get('Architecture') });
    for (const k of ['Depends', 'Pre-Depends', 'Recommends']) {
      for (const dep of get(k).split(/[,|]/)) {
        const d = dep.trim().split(/[\s(:]/)[0];
        if (!d || d === name) continue;
        let s = rdeps.get(d);
        if (!s) rdeps.set(d, (s = new Set()));
        s.add(name);
      }
    }
  }
  for (const [d, s] of rdeps) {
    const i = idx.get(d);
    if (i) i.rdepends = s.size;
  }
  return idx;
}

/**
 * Section, description and popularity of source packages, from their binary packages: `apt-cache showsrc`
 * (private deb-src index) gives each source's `Binary:` list; the binary index gives their descriptions
 * and reverse-dependency counts (the most depended-on binary speaks for the source).
 */
export function describeSources(names: string[], cache: string, apt: Map<string, AptInfo>): Map<string, AptInfo> {
  const out = new Map<string, AptInfo>();
  if (!names.length) return out;
  const opts = aptSrcOptions(cache);
  const r = spawnSync('apt-cache', [...opts, 'showsrc', ...names], { maxBuffer: 1 << 28, encoding: 'utf8' });
  for (const para of (r.stdout ?? '').split('\n\n')) {
    const name = para.match(/^Package: (.*)$/m)?.[1];
    if (!name || out.has(name) || !names.includes(name)) continue;
    const section = para.match(/^Section: (.*)$/m)?.[1] ?? '';
    const bins = (para.match(/^Binary: (.*)$/m)?.[1] ?? '').split(/,\s*/).filter(Boolean);
    let best: AptInfo | undefined;
    for (const b of bins) {
      const i = apt.get(b);
      if (i && (!best || i.rdepends > best.rdepends)) best = i;
    }
    out.set(name, { section: best?.section && best.section !== 'misc' ? best.section : section, description: best?.description ?? '', version: '', rdepends: best?.rdepends ?? 0, arch: '' });
  }
  return out;
}

/** Expand the manifest's source groups into a sorted, de-duplicated package list. */
export function resolveSources(specs: SourceSpec[], apt: Map<string, AptInfo> | null, srcInfo: Map<string, AptInfo> = new Map()): PackageRef[] {
  const out = new Map<string, PackageRef>();
  specs.forEach((spec, gi) => {
    const group = spec.note ?? `${spec.kind}#${gi}`;
    let names: string[] = [...(spec.packages ?? [])];
    if (spec.pattern) {
      if (!apt) throw new Error('deb pattern needs the apt index');
      const re = new RegExp(spec.pattern);
      const excl = new Set(spec.exclude ?? []);
      const ms = [...apt.keys()].filter((n) => re.test(n) && !excl.has(n));
      ms.sort((a, b) => apt.get(b)!.rdepends - apt.get(a)!.rdepends || (a < b ? -1 : a > b ? 1 : 0));
      names.push(...ms.slice(0, spec.limit ?? ms.length));
    }
    for (const raw of names) {
      let name = raw, version = '';
      if (spec.kind === 'npm') {
        const at = raw.lastIndexOf('@');
        if (at > 0) { name = raw.slice(0, at); version = raw.slice(at + 1); }
      }
      if (out.has(name)) continue;
      const info = spec.kind === 'deb' ? apt?.get(name) : spec.kind === 'deb-src' ? srcInfo.get(name) : undefined;
      out.set(name, {
        kind: spec.kind, name, version: version || (spec.kind === 'deb' ? info?.version : '') || '',
        section: info?.section ?? (spec.kind === 'npm' ? 'npm' : ''),
        description: info?.description ?? '',
        keywords: [],
        popularity: info?.rdepends ?? 0,
        ...(spec.languages ? { languages: spec.languages } : {}),
        ...(spec.domain ? { domain: spec.domain } : {}),
        group,
      });
    }
  });
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

export interface FetchResult { file: string; version: string; error?: string }

/** name -> newest .deb in the cache folder (one directory listing, not one per package). */
function debIndex(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.deb')).sort()) m.set(f.slice(0, f.indexOf('_')), join(dir, f));
  return m;
}

/** Download binary packages with `apt-get download`, in batches; a failed batch retries one by one. */
export async function fetchDebs(names: string[], cache: string, log: (s: string) => void): Promise<Map<string, FetchResult>> {
  const dir = join(cache, 'deb');
  mkdirSync(dir, { recursive: true });
  const res = new Map<string, FetchResult>();
  const cached = debIndex(dir);
  const missing = names.filter((n) => !cached.has(n));
  const batches: string[][] = [];
  for (let i = 0; i < missing.length; i += 100) batches.push(missing.slice(i, i + 100));
  if (missing.length) log(`apt-get download: ${missing.length} packages (${names.length - missing.length} cached)`);
  await pool(batches, 3, async (batch) => {
    try {
      await execFileP('apt-get', ['download', '-q', ...batch], { cwd: dir, maxBuffer: 1 << 26 });
    } catch {
      await pool(batch, 2, async (n) => {
        try { await execFileP('apt-get', ['download', '-q', n], { cwd: dir, maxBuffer: 1 << 24 }); }
        catch (e) { res.set(n, { file: '', version: '', error: `apt-get download failed: ${String((e as { stderr?: string }).stderr ?? e).trim().split('\n').pop()}` }); }
      });
    }
  });
  const have = debIndex(dir);
  for (const n of names) {
    if (res.has(n)) continue;
    const f = have.get(n);
    if (!f) { res.set(n, { file: '', version: '', error: 'apt-get download produced no file' }); continue; }
    const v = decodeURIComponent(f.slice(f.lastIndexOf('/') + 1).split('_')[1] ?? '');
    res.set(n, { file: f, version: v });
  }
  return res;
}

/** Private apt configuration with deb-src lines, so `apt-get source` works without touching the system's lists. */
export function aptSrcOptions(cache: string): string[] {
  const dir = resolve(cache, 'apt-src');
  const lists = join(dir, 'lists');
  const opts = ['-o', `Dir::Etc::SourceList=${join(dir, 'sources.list')}`, '-o', 'Dir::Etc::SourceParts=/dev/null', '-o', `Dir::State::Lists=${lists}`, '-o', `Dir::Cache=${join(dir, 'cache')}`];
  if (!existsSync(join(dir, 'updated'))) {
    mkdirSync(join(lists, 'partial'), { recursive: true });
    mkdirSync(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
    // The release suite only: this mirror serves no source packages for bookworm-security (404).
    writeFileSync(join(dir, 'sources.list'), 'deb-src http://deb.debian.org/debian bookworm main\n');
    const r = spawnSync('apt-get', ['update', '-q', ...opts], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`apt-get update (deb-src) failed: ${r.stderr}`);
    writeFileSync(join(dir, 'updated'), new Date().toISOString());
  }
  return opts;
}

/** Move a batch's downloads of one source package (its .dsc and the files it lists) into deb-src/NAME/. */
function fileDsc(batchDir: string, dsc: string, cache: string): string | null {
  const text = readFileSync(join(batchDir, dsc), 'utf8');
  const name = text.match(/^Source: (\S+)/m)?.[1];
  if (!name) return null;
  const dir = join(cache, 'deb-src', name);
  mkdirSync(dir, { recursive: true });
  const files = new Set([dsc]);
  const sec = text.match(/^Files:\n((?: .+\n?)+)/m)?.[1] ?? '';
  for (const l of sec.split('\n')) { const f = l.trim().split(/\s+/)[2]; if (f) files.add(f); }
  let complete = true;
  for (const f of files) {
    if (existsSync(join(batchDir, f))) renameSync(join(batchDir, f), join(dir, f));
    else if (!existsSync(join(dir, f))) complete = false;
  }
  // Only a package with every file the .dsc lists counts as downloaded (the mirror 404s some tarballs).
  if (!complete) return null;
  writeFileSync(join(dir, '.done'), '');
  return name;
}

/**
 * Download source packages (`apt-get source --download-only`): in batches of 40 (one apt-get start per
 * batch), a failed batch retried one package at a time; each package ends in its own cache folder.
 */
export async function fetchDebSrc(names: string[], cache: string, log: (s: string) => void): Promise<Map<string, FetchResult>> {
  const res = new Map<string, FetchResult>();
  if (!names.length) return res;
  const opts = aptSrcOptions(cache);
  const todo = names.filter((n) => !existsSync(join(cache, 'deb-src', n, '.done')));
  const batches: string[][] = [];
  for (let i = 0; i < todo.length; i += 40) batches.push(todo.slice(i, i + 40));
  if (todo.length) log(`apt-get source: ${todo.length} source packages (${names.length - todo.length} cached)`);
  const errors = new Map<string, string>();
  let bn = 0;
  await pool(batches, 2, async (batch) => {
    const bdir = join(cache, 'deb-src', `.batch-${process.pid}-${bn++}`);
    mkdirSync(bdir, { recursive: true });
    const get = async (pkgs: string[]) => {
      await execFileP('apt-get', ['source', '--download-only', '-q', ...opts, ...pkgs], { cwd: bdir, maxBuffer: 1 << 26 });
      for (const f of readdirSync(bdir).filter((x) => x.endsWith('.dsc'))) fileDsc(bdir, f, cache);
    };
    try { await get(batch); } catch {
      for (const f of readdirSync(bdir).filter((x) => x.endsWith('.dsc'))) fileDsc(bdir, f, cache);
      for (const n of batch) {
        if (existsSync(join(cache, 'deb-src', n, '.done'))) continue;
        try { await get([n]); } catch (e) { errors.set(n, `apt-get source failed: ${String((e as { stderr?: string }).stderr ?? e).trim().split('\n').pop()}`); }
      }
    }
    rmSync(bdir, { recursive: true, force: true });
  });
  for (const name of names) {
    const dir = join(cache, 'deb-src', name);
    const dsc = existsSync(join(dir, '.done')) ? readdirSync(dir).filter((f) => f.endsWith('.dsc')).sort().pop() : undefined;
    if (!dsc) { res.set(name, { file: '', version: '', error: errors.get(name) ?? 'no .dsc downloaded' }); continue; }
    res.set(name, { file: join(dir, dsc), version: dsc.replace(/\.dsc$/, '').split('_')[1] ?? '' });
  }
  return res;
}

/** Download npm tarballs: `npm pack` of 25 specs at a time (one npm start per batch), each tarball then
 *  filed in its own cache folder; a failed batch is retried one spec at a time. */
export async function fetchNpm(specs: { name: string; version: string }[], cache: string, log: (s: string) => void): Promise<Map<string, FetchResult>> {
  const res = new Map<string, FetchResult>();
  const dirOf = (name: string, version: string) => join(cache, 'npm', `${name.replace('/', '__')}@${version}`);
  const tgzIn = (d: string) => (existsSync(d) ? readdirSync(d).find((f) => f.endsWith('.tgz')) : undefined);
  const todo = specs.filter((s) => !tgzIn(dirOf(s.name, s.version)));
  const batches: { name: string; version: string }[][] = [];
  for (let i = 0; i < todo.length; i += 25) batches.push(todo.slice(i, i + 25));
  if (todo.length) log(`npm pack: ${todo.length} tarballs (${specs.length - todo.length} cached)`);
  const errors = new Map<string, string>();
  let bn = 0;
  await pool(batches, 2, async (batch) => {
    const bdir = join(cache, 'npm', `.batch-${process.pid}-${bn++}`);
    mkdirSync(bdir, { recursive: true });
    const pack = async (b: { name: string; version: string }[]) => {
      const { stdout } = await execFileP('npm', ['pack', '--json', ...b.map((s) => `${s.name}@${s.version}`)], { cwd: bdir, maxBuffer: 1 << 26 });
      const out = JSON.parse(stdout.slice(stdout.indexOf('['))) as { name: string; version: string; filename: string }[];
      for (const o of out) {
        const d = dirOf(o.name, o.version);
        mkdirSync(d, { recursive: true });
        renameSync(join(bdir, o.filename), join(d, o.filename.replace(/^.*\//, '')));
      }
    };
    try { await pack(batch); } catch {
      for (const s of batch) {
        if (tgzIn(dirOf(s.name, s.version))) continue;
        try { await pack([s]); } catch (e) { errors.set(s.name, `npm pack failed: ${String((e as { stderr?: string }).stderr ?? e).trim().split('\n').pop()}`); }
      }
    }
    rmSync(bdir, { recursive: true, force: true });
  });
  for (const { name, version } of specs) {
    const tgz = tgzIn(dirOf(name, version));
    if (!tgz) { res.set(name, { file: '', version, error: errors.get(name) ?? 'npm pack produced no file' }); continue; }
    res.set(name, { file: join(dirOf(name, version), tgz), version });
  }
  return res;
}

export function fileSize(p: string): number {
  try { return statSync(p).size; } catch { return 0; }
}

export function readJson<T>(p: string): T { return JSON.parse(readFileSync(p, 'utf8')) as T; }
