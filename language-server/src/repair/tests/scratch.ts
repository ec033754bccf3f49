// A scratch copy of a workspace in the OS temp folder: candidates are written and tests run there,
// never in the user's folder (tests may write, delete, fork, hang).
//
// What is copied: every file, except
// - version control and caches, skipped: .git, .hg, .svn, __pycache__, .pytest_cache, .mypy_cache,
//   .ruff_cache, .tox, .nox, coverage output;
// - heavy read-only dependency folders, symlinked: node_modules, .venv, venv, env (a virtualenv's
//   interpreter still runs through the link; .venv/venv only when they hold pyvenv.cfg). Tests that write into these would write into the
//   user's copy: an accepted risk, since copying node_modules costs seconds and hundreds of MB;
// - build output, skipped: Rust's target/ (cargo gets CARGO_TARGET_DIR in the temp folder instead,
//   see plan.ts), dist/ and build/ are copied (a test may import them).
// - files over 1 MB (model weights, data sets, wasm, archives), symlinked: copying them for every
//   candidate costs more than the tests; a test that rewrites one in place would write the user's.
// A workspace with more than `maxBytes` of files to copy is refused with a clear error.
import { copyFileSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export const SKIP_DIRS = new Set(['.git', '.hg', '.svn', '__pycache__', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '.nox', 'htmlcov', '.nyc_output', '.cache']);
export const LINK_DIRS = new Set(['node_modules', '.venv', 'venv']);
export const DEFAULT_MAX_BYTES = 64 << 20;
export const DEFAULT_MAX_FILES = 20000;
export const LINK_FILE_BYTES = 1 << 20;

export class ScratchTooLargeError extends Error {
  constructor(root: string, what: string) {
    super(`the workspace ${root} is too large to copy for running tests (${what}); open a smaller folder or set treasure.verify.command`);
    this.name = 'ScratchTooLargeError';
  }
}

export interface ScratchOptions {
  maxBytes?: number;
  maxFiles?: number;
}

/** What the copy held when it was made: `reset` puts it back. */
interface Manifest {
  dirs: Set<string>;
  /** rel -> the copy's size and mtime right after copying. */
  files: Map<string, { size: number; mtimeMs: number }>;
  /** rel -> link target. */
  links: Map<string, string>;
}

export class Scratch {
  private disposed = false;
  private constructor(
    /** The user's workspace root (read only). */
    readonly source: string,
    /** The copy's root, in the temp folder. */
    readonly root: string,
    /** Bytes and files copied. */
    readonly bytes: number,
    readonly files: number,
    private readonly manifest: Manifest,
  ) {}

  /** Copies `source` (a folder) into a new temp folder. */
  static create(source: string, opts: ScratchOptions = {}): Scratch {
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    const maxFiles = opts.maxFiles ?? DEFAULT_MAX_FILES;
    const src = realpathSync(resolve(source));
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'treasure-scratch-'))); // real: runners report real paths
    let bytes = 0;
    let files = 0;
    const manifest: Manifest = { dirs: new Set(), files: new Map(), links: new Map() };
    const link = (target: string, b: string, type?: 'dir') => {
      symlinkSync(target, b, type);
      manifest.links.set(relative(root, b), target);
    };
    const walk = (from: string, to: string) => {
      for (const ent of readdirSync(from, { withFileTypes: true })) {
        const a = join(from, ent.name);
        const b = join(to, ent.name);
        if (ent.isDirectory()) {
          if (SKIP_DIRS.has(ent.name)) continue;
          if (ent.name === 'target' && existsSync(join(from, 'Cargo.toml'))) continue;
          if (LINK_DIRS.has(ent.name) && (ent.name === 'node_modules' || existsSync(join(a, 'pyvenv.cfg')))) {
            link(a, b, 'dir');
            continue;
          }
          mkdirSync(b);
          manifest.dirs.add(relative(root, b));
          walk(a, b);
        } else if (ent.isFile()) {
          const size = lstatSync(a).size;
          if (size > LINK_FILE_BYTES) {
            link(a, b);
            continue;
          }
          bytes += size;
          files++;
          if (bytes > maxBytes) throw new ScratchTooLargeError(src, `more than ${Math.round(maxBytes / 1048576)} MB of files`);
          if (files > maxFiles) throw new ScratchTooLargeError(src, `more than ${maxFiles} files`);
          copyFileSync(a, b, constants.COPYFILE_FICLONE); // a reflink where the file system has them
          const st = lstatSync(b);
          manifest.files.set(relative(root, b), { size: st.size, mtimeMs: st.mtimeMs });
        } else if (ent.isSymbolicLink()) {
          // a relative link inside the tree points into the copy as it is; an absolute one into the
          // workspace is pointed at the copy (else a test writing through it would write the user's file)
          const target = readlinkSync(a);
          link(isAbsolute(target) && target.startsWith(src + sep) ? join(root, relative(src, target)) : target, b);
        }
      }
    };
    try {
      walk(src, root);
    } catch (e) {
      rmSync(root, { recursive: true, force: true });
      throw e;
    }
    return new Scratch(src, root, bytes, files, manifest);
  }

  /**
   * Puts the copy back as it was made, for the next candidate: files a candidate or a test wrote
   * (size or mtime changed) are copied again from the workspace, files and folders they created are
   * removed, deleted ones restored. Costs a walk of the copy (a few ms where a new copy costs a
   * whole copy). Returns how many entries it fixed.
   */
  reset(): number {
    const m = this.manifest;
    let fixed = 0;
    const seen = new Set<string>();
    const walk = (dir: string) => {
      for (const ent of readdirSync(dir, { withFileTypes: true })) {
        const abs = join(dir, ent.name);
        const rel = relative(this.root, abs);
        let keep: boolean;
        if (ent.isSymbolicLink()) keep = m.links.get(rel) === readlinkSync(abs);
        else if (ent.isDirectory()) keep = m.dirs.has(rel);
        else {
          const want = m.files.get(rel);
          const st = ent.isFile() ? lstatSync(abs) : undefined;
          keep = !!want && !!st && st.size === want.size && st.mtimeMs === want.mtimeMs;
        }
        if (!keep) {
          rmSync(abs, { recursive: true, force: true }); // a link itself, not what it points to
          fixed++;
          continue;
        }
        seen.add(rel);
        if (ent.isDirectory()) walk(abs);
      }
    };
    walk(this.root);
    for (const rel of [...m.dirs].sort((a, b) => a.length - b.length)) {
      if (!seen.has(rel)) mkdirSync(join(this.root, rel), { recursive: true });
    }
    for (const [rel] of m.files) {
      if (seen.has(rel)) continue;
      const b = join(this.root, rel);
      copyFileSync(join(this.source, rel), b, constants.COPYFILE_FICLONE);
      const st = lstatSync(b);
      m.files.set(rel, { size: st.size, mtimeMs: st.mtimeMs });
      fixed++;
    }
    for (const [rel, target] of m.links) {
      if (seen.has(rel)) continue;
      symlinkSync(target, join(this.root, rel));
      fixed++;
    }
    return fixed;
  }

  /** The copy's path of a workspace-relative or absolute (inside the workspace) path. */
  path(p: string): string {
    const rel = isAbsolute(p) ? relative(this.source, p) : p;
    if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`${p} is outside the workspace ${this.source}`);
    return join(this.root, rel);
  }

  /** The workspace-relative path of a path in the copy (or the path itself when outside it). */
  relative(p: string): string {
    const abs = resolve(this.root, p);
    return abs.startsWith(this.root + sep) ? relative(this.root, abs) : p;
  }

  /** Writes a file of the copy (a candidate's text). */
  write(relPath: string, text: string): void {
    const p = this.path(relPath);
    if (this.relative(p).split(sep).some((part) => LINK_DIRS.has(part))) throw new Error(`${relPath} is inside a linked dependency folder: it would change the user's copy`);
    mkdirSync(dirname(p), { recursive: true });
    // a copied link would be written through: replace it by a plain file
    if (isLink(p)) unlinkSync(p);
    writeFileSync(p, text);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    rmSync(this.root, { recursive: true, force: true, maxRetries: 2 });
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
