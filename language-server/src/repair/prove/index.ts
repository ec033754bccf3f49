// The provers: for a code_type, the language's own parser when it is installed, else the tree-sitter
// grammar (named so). Provers are cached (one worker process per language at most) until disposeProvers().
import { resolveLanguage } from '../../grammars';
import type { ParseVerdict } from '../types';
import type { Prover, ProverOptions } from './common';
import { cfamilyProver } from './cfamily';
import { goProver } from './go';
import { javaProver } from './java';
import { javascriptProver } from './javascript';
import { pythonProver } from './python';
import { rustProver } from './rust';
import { shellProver } from './shell';
import { treeSitterProver } from './treesitter';
import { typescriptProver } from './typescript';

export type { Prover, ProverOptions } from './common';
export { hasSyntaxError, ProverInputError, ProverToolError, syntaxView } from './common';
export { judgeCandidate, nearestError, proveCandidates, type Judgement, type JudgeInput, type ProofRun } from './judge';

/** No parser at all for the language (no tool installed and no grammar shipped). */
export class NoProverError extends Error {}

type Maker = (opts: ProverOptions) => Promise<Prover | null> | Prover | null;

/** The language's own tools, best first. */
const NATIVE: Record<string, Maker[]> = {
  python: [pythonProver],
  javascript: [javascriptWithJsx],
  typescript: [(o) => typescriptProver(o)],
  java: [javaProver],
  go: [goProver],
  rust: [(o) => rustProver(o)],
  c: [(o) => cfamilyProver('c', o)],
  cpp: [(o) => cfamilyProver('cpp', o)],
  shell: [shellProver],
};

/** V8 for .js/.mjs/.cjs; the TypeScript parser in JSX mode for .jsx (V8 does not read JSX). */
async function javascriptWithJsx(o: ProverOptions): Promise<Prover | null> {
  const v8 = await javascriptProver(o);
  const jsx = typescriptProver(o, true);
  if (!v8) return jsx;
  if (!jsx) return v8;
  return {
    name: v8.name,
    kind: 'native',
    firstErrorOnly: true,
    precision: 'column',
    parse(texts, opts = {}) {
      return /\.jsx$/i.test(opts.path ?? '') ? jsx.parse(texts, opts) : v8.parse(texts, opts);
    },
    dispose() {
      v8.dispose?.();
      jsx.dispose?.();
    },
  };
}

const cache = new Map<string, Promise<Prover>>();

async function pick(codeType: string, opts: ProverOptions): Promise<Prover> {
  for (const make of NATIVE[codeType] ?? []) {
    const p = await make(opts);
    if (p) return p;
  }
  const grammar = resolveLanguage(codeType)?.grammar;
  const ts = grammar ? treeSitterProver(grammar, opts) : null;
  if (ts) return ts;
  throw new NoProverError(`no parser for ${codeType}: its own tools are not installed and no tree-sitter grammar ships for it`);
}

/**
 * The best installed prover for a code_type (markers.json: python, javascript, typescript, java, go,
 * rust, c, cpp, csharp, php, ruby, shell, lua, perl, haskell). Throws NoProverError when there is none.
 */
export function proverFor(codeType: string, opts: ProverOptions = {}): Promise<Prover> {
  const info = resolveLanguage(codeType);
  const ct = info?.codeType ?? codeType;
  const key = JSON.stringify([ct, opts.workspaceRoot ?? '', opts.workspaceTrusted === true, opts.timeoutMs ?? 0, opts.maxChars ?? 0]);
  let p = cache.get(key);
  if (!p) {
    p = pick(ct, opts);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Ends every worker and scratch folder the cached provers keep. */
export async function disposeProvers(): Promise<void> {
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) {
    try {
      (await p).dispose?.();
    } catch {
      /* never made */
    }
  }
}

/** Parses with the best prover for a code_type (convenience for `parse([original, ...candidates])`). */
export async function proveTexts(codeType: string, texts: readonly string[], o: { signal?: AbortSignal; path?: string } & ProverOptions = {}): Promise<{ prover: string; verdicts: ParseVerdict[] }> {
  const prover = await proverFor(codeType, o);
  return { prover: prover.name, verdicts: await prover.parse(texts, { signal: o.signal, path: o.path }) };
}

/** Which prover each code_type gets on this machine ("-" where none): for status, docs and the benchmark. */
export async function installedProvers(codeTypes: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const ct of codeTypes) {
    try {
      out[ct] = (await proverFor(ct)).name;
    } catch {
      out[ct] = '-';
    }
  }
  return out;
}
