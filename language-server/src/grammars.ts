// The language registry, read from grammars/: which tree-sitter grammar parses a VS Code language id
// or a file extension, its function node types, its import query, and the import -> domain table.
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { codeTypeFor } from './markers';
import { repoRoot } from './paths';

export interface GrammarEntry {
  package: string;
  file: string;
  functions: string[];
  languageIds?: string[];
  extensions?: string[];
  lineComment?: string;
}

interface Manifest { grammars: Record<string, GrammarEntry> }
interface DomainTable { modules: Record<string, string[]>; paths: Record<string, string> }

let manifest: Manifest | undefined;
let domains: DomainTable | undefined;

export function grammarManifest(): Manifest {
  if (!manifest) manifest = JSON.parse(readFileSync(join(repoRoot(), 'grammars', 'grammars.json'), 'utf8')) as Manifest;
  return manifest;
}

export function domainTable(): DomainTable {
  if (!domains) domains = JSON.parse(readFileSync(join(repoRoot(), 'grammars', 'domains.json'), 'utf8')) as DomainTable;
  return domains;
}

/** A language Treasure knows: the grammar that parses it and the code_type marker value. */
export interface LanguageInfo {
  /** VS Code language id (or the code_type when none was given). */
  languageId: string;
  /** code_type marker value. */
  codeType: string;
  /** Grammar name in grammars.json, or null where no grammar ships (generation only). */
  grammar: string | null;
}

/** Resolves a VS Code language id or a code_type name (`python`, `shellscript`, `shell`, `typescriptreact`, `tsx`). */
export function resolveLanguage(id: string): LanguageInfo | null {
  const grammars = grammarManifest().grammars;
  for (const [name, g] of Object.entries(grammars)) {
    if (g.languageIds?.includes(id)) {
      const codeType = codeTypeFor(id) ?? codeTypeFor(name);
      if (codeType) return { languageId: id, codeType, grammar: name };
    }
  }
  if (id === 'tsx') return { languageId: 'typescriptreact', codeType: 'typescript', grammar: 'tsx' };
  const codeType = codeTypeFor(id);
  if (!codeType) return null;
  const grammar = grammars[codeType] ? codeType : null;
  const languageId = grammar ? (grammars[grammar]!.languageIds?.[0] ?? id) : id;
  return { languageId, codeType, grammar };
}

/** The language of a file, from its extension. */
export function languageForPath(path: string): LanguageInfo | null {
  const ext = extname(path).toLowerCase();
  if (!ext) return null;
  for (const [name, g] of Object.entries(grammarManifest().grammars)) {
    if (g.extensions?.includes(ext)) {
      const id = g.languageIds?.[0] ?? name;
      return resolveLanguage(id);
    }
  }
  return null;
}

export function functionTypes(grammar: string): Set<string> {
  return new Set(grammarManifest().grammars[grammar]?.functions ?? []);
}

export function lineComment(grammar: string): string {
  return grammarManifest().grammars[grammar]?.lineComment ?? '//';
}

/** The text of grammars/queries/<grammar>/<name>.scm, or null. */
export function querySource(grammar: string, name: string): string | null {
  const p = join(repoRoot(), 'grammars', 'queries', grammar, `${name}.scm`);
  return existsSync(p) ? readFileSync(p, 'utf8') : null;
}

/** Grammar names listed in the manifest. */
export function grammarNames(): string[] {
  return Object.keys(grammarManifest().grammars);
}

function normalizeModule(m: string): string {
  return m.trim().replace(/^["'<]|[">']$/g, '').replace(/^node:/, '');
}

/** Domain of one imported module (longest matching table entry), or undefined. */
export function domainOfModule(module: string): string | undefined {
  const m = normalizeModule(module);
  let best: { domain: string; len: number } | undefined;
  for (const [domain, names] of Object.entries(domainTable().modules)) {
    for (const n of names) {
      if (m === n || (m.startsWith(n) && /^(\.|\/|::|\\|-|_)/.test(m.slice(n.length)))) {
        if (!best || n.length > best.len) best = { domain, len: n.length };
      }
    }
  }
  return best?.domain;
}

/** Domain from a file's imports (majority; ties to the earliest), else from its path, else undefined. */
export function inferDomain(modules: readonly string[], path?: string): string | undefined {
  const counts = new Map<string, { n: number; first: number }>();
  modules.forEach((m, i) => {
    const d = domainOfModule(m);
    if (!d) return;
    const c = counts.get(d);
    if (c) c.n++;
    else counts.set(d, { n: 1, first: i });
  });
  let best: [string, { n: number; first: number }] | undefined;
  for (const e of counts) {
    if (!best || e[1].n > best[1].n || (e[1].n === best[1].n && e[1].first < best[1].first)) best = e;
  }
  if (best) return best[0];
  if (path) {
    // Only the file name and its folder: where a checkout lives says nothing about the file.
    const p = path.replace(/\\/g, '/').split('/').slice(-2).join('/');
    for (const [domain, re] of Object.entries(domainTable().paths)) if (new RegExp(re, 'i').test(p)) return domain;
  }
  return undefined;
}
