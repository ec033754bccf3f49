// Extraction without installing: `dpkg-deb -x` for binary packages, `dpkg-source -x` for source
// packages (falling back to untarring the upstream tarball), `tar -xzf` for npm tarballs, and `unzip`
// for source archives shipped inside a binary package (openjdk's src.zip). Extracted trees are cached
// next to the downloads (a `.done` stamp marks a complete extraction).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, lstatSync } from 'node:fs';
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
    const r = spawnSync('dpkg-source', ['--no-check', '--skip-patches', '-x', file, join(dest, 'src')], { cwd: dirname(file), encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) {
      rmSync(join(dest, 'src'), { recursive: true, force: true });
      const orig = readdirSync(dirname(file)).filter((f) => /\.orig\.tar\.\w+$|\.tar\.(?:gz|xz|bz2)$/.test(f) && !/\.debian\.tar/.test(f)).sort();
      if (!orig.length) throw new Error(`dpkg-source failed and no tarball: ${r.stderr.trim().split('\n').pop()}`);
      mkdirSync(join(dest, 'src'), { recursive: true });
      for (const t of orig) run('tar', ['-xf', join(dirname(file), t), '-C', join(dest, 'src'), '--no-same-owner']);
      const deb = readdirSync(dirname(file)).find((f) => /\.debian\.tar\.\w+$/.test(f));
      if (deb) run('tar', ['-xf', join(dirname(file), deb), '-C', join(dest, 'src'), '--no-same-owner']);
    }
  } else if (kind === 'npm') {
    run('tar', ['-xzf', file, '-C', dest, '--no-same-owner']);
  } else {
    throw new Error(`cannot extract kind ${kind}`);
  }
  writeFileSync(done, '');
  return dest;
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
