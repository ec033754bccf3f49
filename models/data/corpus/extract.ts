// Extraction without installing: `dpkg-deb -x` for binary packages, `tar` for source packages
// (upstream tarball + debian/copyright, see extractSourcePackage), `tar -xzf` for npm tarballs, and `unzip`
// for source archives shipped inside a binary package (openjdk's src.zip). Extracted trees are cached
// next to the downloads (a `.done` stamp marks a complete extraction).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, lstatSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SourceKind } from './types.js';

function run(cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-2).join(' ')}`);
}

/** Extract `file` (a .deb, .dsc, .tgz) into `dest`; returns the tree root. Idempotent (cached). */
export function extract(kind: SourceKind, file: string, dest: string): string {
  const done = join(dest, '.done');
  if (existsSync(done)) return dest;
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  if (kind === 'deb') {
    run('dpkg-deb', ['-x', file, dest]);
    // Source archives inside binary packages (openjdk-*-source ships lib/src.zip).
    for (const zip of findFiles(dest, (p) => /(?:^|\/)src\.zip$/.test(p))) {
      const out = join(dirname(zip), 'src');
      mkdirSync(out, { recursive: true });
      run('unzip', ['-q', '-o', zip, '-d', out]);
      rmSync(zip);
    }
  } else if (kind === 'deb-src') {
    extractSourcePackage(file, join(dest, 'src'));
  } else if (kind === 'npm') {
    run('tar', ['-xzf', file, '-C', dest, '--no-same-owner']);
  } else {
    throw new Error(`cannot extract kind ${kind}`);
  }
  writeFileSync(done, '');
  return dest;
}

/**
 * A Debian source package without dpkg-source (a Perl program, slow to start): untar the upstream
 * tarball(s) -- or the single tarball of a native package -- and take debian/copyright from the Debian
 * tarball. Patches are not applied (the upstream source is what we want). Extra upstream components
 * (`.orig-NAME.tar.*`) go to NAME/.
 */
export function extractSourcePackage(dsc: string, out: string): void {
  const dir = dirname(dsc);
  const files = readdirSync(dir).sort();
  const tarballs = files.filter((f) => /\.tar\.(?:gz|xz|bz2|lzma|zst)$|\.tgz$/.test(f));
  const debianTar = tarballs.find((f) => /\.debian\.tar\./.test(f));
  const upstream = tarballs.filter((f) => f !== debianTar && !/\.asc$/.test(f));
  if (!upstream.length) throw new Error(`no upstream tarball next to ${dsc}`);
  const tmp = `${out}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const main = upstream.filter((f) => !/\.orig-[^.]+\.tar\./.test(f));
  for (const t of main) run('tar', ['-xf', join(dir, t), '-C', tmp, '--no-same-owner', '--no-same-permissions']);
  // The tree root: the single top-level directory of the tarball, if there is one.
  const tops = readdirSync(tmp);
  const rootDir = tops.length === 1 && lstatSync(join(tmp, tops[0]!)).isDirectory() ? join(tmp, tops[0]!) : tmp;
  for (const t of upstream.filter((f) => /\.orig-[^.]+\.tar\./.test(f))) {
    const comp = t.match(/\.orig-([^.]+)\.tar\./)![1]!;
    const cdir = join(rootDir, comp);
    mkdirSync(cdir, { recursive: true });
    run('tar', ['-xf', join(dir, t), '-C', cdir, '--no-same-owner', '--no-same-permissions', '--strip-components=1']);
  }
  if (debianTar) {
    const r = spawnSync('tar', ['-xf', join(dir, debianTar), '-C', rootDir, '--no-same-owner', 'debian/copyright'], { encoding: 'utf8' });
    if (r.status !== 0 && !existsSync(join(rootDir, 'debian/copyright'))) { /* no copyright file: licence from upstream LICENSE */ }
  }
  rmSync(out, { recursive: true, force: true });
  renameSync(rootDir, out);
  rmSync(tmp, { recursive: true, force: true });
}

/** All regular files under `root` (relative paths, sorted, symlinks skipped). */
export function walk(root: string, skipDir: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const rec = (rel: string) => {
    let ents;
    try { ents = readdirSync(join(root, rel), { withFileTypes: true }); } catch { return; }
    ents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of ents) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { if (!skipDir(p)) rec(p); }
      else if (e.isFile() && e.name !== '.done') out.push(p);
    }
  };
  rec('');
  return out;
}

function findFiles(root: string, pred: (p: string) => boolean): string[] {
  return walk(root).filter(pred).map((p) => join(root, p)).filter((p) => !lstatSync(p).isSymbolicLink());
}
