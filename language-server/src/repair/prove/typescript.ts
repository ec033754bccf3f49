// TypeScript (and JSX): the `typescript` package's own parser (ts.createSourceFile and its
// parseDiagnostics), in this process: it is fast (a 60-line file in well under a millisecond) and
// needs no child. The workspace's node_modules/typescript is used when it has one (the version the
// project builds with) when the workspace is trusted, else the one installed with Treasure; the
// prover's name says which.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../paths';
import {
  DEFAULT_MAX_CHARS, checkSizes, inBatches, lineStartsOf, positionOf, verdict, type Prover, type ProverOptions,
} from './common';
import type { ParseVerdict } from '../types';

type TS = typeof import('typescript');

interface Loaded { ts: TS; version: string; where: 'workspace' | 'bundled' }

const loaded = new Map<string, Loaded | null>();

function tryLoad(fromDir: string, where: Loaded['where']): Loaded | null {
  try {
    const req = createRequire(join(fromDir, 'package.json'));
    const main = req.resolve('typescript');
    const ts = req(main) as TS;
    if (typeof ts.createSourceFile !== 'function') return null;
    let version = ts.version;
    if (!version) {
      const pkg = join(dirname(dirname(main)), 'package.json');
      if (existsSync(pkg)) version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version ?? '?';
    }
    return { ts, version, where };
  } catch {
    return null;
  }
}

/**
 * The workspace's typescript when it has one and the workspace is trusted (loading it runs its code in
 * this process), else Treasure's own (a devDependency), else null.
 */
export function loadTypeScript(workspaceRoot?: string, trusted = false): Loaded | null {
  const key = trusted ? (workspaceRoot ?? '') : '';
  if (loaded.has(key)) return loaded.get(key)!;
  let found: Loaded | null = null;
  if (trusted && workspaceRoot && existsSync(join(workspaceRoot, 'node_modules', 'typescript', 'package.json'))) {
    found = tryLoad(workspaceRoot, 'workspace');
  }
  if (!found) {
    try {
      found = tryLoad(repoRoot(), 'bundled');
    } catch {
      found = null;
    }
  }
  loaded.set(key, found);
  return found;
}

function scriptKind(ts: TS, path: string | undefined, jsx: boolean): import('typescript').ScriptKind {
  const p = (path ?? '').toLowerCase();
  if (p.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (p.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/.test(p)) return ts.ScriptKind.JS;
  return jsx ? ts.ScriptKind.JSX : ts.ScriptKind.TS;
}

/** A parser of TypeScript (`jsx`: false) or of JavaScript with JSX (`jsx`: true). */
export function typescriptProver(opts: ProverOptions = {}, jsx = false): Prover | null {
  const lib = loadTypeScript(opts.workspaceRoot, opts.workspaceTrusted === true);
  if (!lib) return null;
  const { ts } = lib;
  const name = `typescript ${lib.version} parser${lib.where === 'workspace' ? ' (workspace)' : ''}`;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  return {
    name,
    kind: 'native',
    firstErrorOnly: false,
    precision: 'column',
    async parse(texts, o = {}) {
      checkSizes(texts, maxChars, name);
      const kind = scriptKind(ts, o.path, jsx);
      const file = o.path ?? (kind === ts.ScriptKind.JSX ? 'candidate.jsx' : kind === ts.ScriptKind.TSX ? 'candidate.tsx' : 'candidate.ts');
      return inBatches(texts, o.signal, async (batch) => {
        const out: ParseVerdict[] = [];
        for (const text of batch) {
          const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, kind);
          const diags = (sf as unknown as { parseDiagnostics?: import('typescript').DiagnosticWithLocation[] }).parseDiagnostics ?? [];
          const starts = diags.length > 0 ? lineStartsOf(text) : [];
          out.push(verdict(diags.map((d) => ({
            ...positionOf(starts, d.start),
            message: `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
          }))));
        }
        // let other work (an LSP request, a cancellation) in between batches
        await new Promise((r) => setImmediate(r));
        return out;
      });
    },
  };
}
