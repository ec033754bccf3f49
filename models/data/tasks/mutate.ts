// Bug injection: pick an operator of a bug class, apply one candidate edit to a function, keep it
// when the mutant parses (or, for syntax_error, when it does not) and differs from the original.
import type { Parser } from 'web-tree-sitter';
import { hasError, plainTree, standaloneWrap, walk, child, type PNode } from './parsers.js';
import type { Candidate, Edit, MutCtx } from './nodes.js';
import { operatorMisuse, wrongComparison } from './op-operators.js';
import { valueMisuse } from './op-values.js';
import { functionMisuse, swappedArguments, variableMisuse } from './op-names.js';
import { excessLogic, missingLogic, missingReturn } from './op-logic.js';
import { nextToken, syntaxError, syntaxMessage } from './syntax.js';
import type { Rng } from './rng.js';

export const OPERATORS: Record<string, (ctx: MutCtx) => Candidate[]> = {
  value_misuse: valueMisuse,
  missing_logic: missingLogic,
  excess_logic: excessLogic,
  operator_misuse: operatorMisuse,
  variable_misuse: variableMisuse,
  function_misuse: functionMisuse,
  swapped_arguments: swappedArguments,
  wrong_comparison: wrongComparison,
  missing_return: missingReturn,
  syntax_error: syntaxError,
};

export interface Mutant {
  errorType: string;
  op: string;
  /** the buggy function text */
  code: string;
  diagnostic?: string;
}

export interface Prepared {
  grammar: string;
  nodeType: string;
  text: string;
  src: string;
  offset: number;
  root: PNode;
  fn: PNode;
  body: PNode;
  protect: [number, number][];
}

/** Parses a function text alone; null unless it parses without error. */
export function prepare(parser: Parser, grammar: string, nodeType: string, text: string, fnStart = 0): Prepared | null {
  const w = standaloneWrap(grammar, nodeType, text);
  const src = w.before + text + w.after;
  const tree = parser.parse(src);
  if (!tree) return null;
  const root = plainTree(tree);
  tree.delete();
  if (hasError(root)) return null;
  const at = w.before.length + fnStart;
  let fn: PNode | null = null;
  for (const n of walk(root)) if (n.type === nodeType && n.start >= at) { fn = n; break; }
  if (!fn) return null;
  const body = child(fn, 'body') ?? (grammar === 'haskell' ? fn.children.find((c) => c.field === 'match') : undefined) ?? fn;
  const protect: [number, number][] = [];
  if (grammar === 'python' && body !== fn) {
    const first = body.children.find((x) => x.named && x.type !== 'comment');
    if (first && first.type === 'expression_statement' && first.children.length === 1 && first.children[0]!.type === 'string') protect.push([first.start, first.end]);
  }
  return { grammar, nodeType, text, src, offset: w.before.length, root, fn, body, protect };
}

export function applyEdits(src: string, edits: Edit[]): string {
  const sorted = edits.slice().sort((a, b) => b.start - a.start);
  let out = src;
  for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

const norm = (s: string) => s.replace(/\s+/g, '');

/** One mutant of the given class, or null when no candidate of that class validates. */
export function mutate(parser: Parser, p: Prepared, errorType: string, rng: Rng, maxTries = 12, candidates?: Candidate[]): Mutant | null {
  const op = OPERATORS[errorType];
  if (!op) throw new Error(`no operator for ${errorType}`);
  const ctx: MutCtx = { grammar: p.grammar, src: p.src, fn: p.fn, body: p.body, protect: p.protect, rng };
  const cands = rng.shuffle((candidates ?? op(ctx)).slice());
  let tries = 0;
  const fnEnd = p.offset + p.text.length;
  const original = norm(p.text);
  for (const c of cands) {
    if (tries++ >= maxTries) break;
    if (!c.edits.every((e) => e.start >= p.offset && e.end <= fnEnd)) continue;
    const mutated = applyEdits(p.src, c.edits);
    const delta = mutated.length - p.src.length;
    const code = mutated.slice(p.offset, fnEnd + delta);
    if (code === p.text || norm(code) === original) continue;
    const tree = parser.parse(mutated);
    if (!tree) continue;
    const bad = tree.rootNode.hasError;
    if (errorType === 'syntax_error') {
      if (!bad) {
        tree.delete();
        continue;
      }
      const r = rng.next();
      // the error tree is copied only for the tree-sitter wording, the half of the messages with r < 0.5
      const errRoot = r < 0.5 ? plainTree(tree) : null;
      tree.delete();
      const e = c.edits[0]!;
      const removed = p.src.slice(e.start, e.end);
      const next = nextToken(mutated, e.start + e.text.length);
      const diagnostic = syntaxMessage(p.grammar, c.op, removed, e.text, next, errRoot, mutated, r);
      return { errorType, op: c.op, code, diagnostic };
    }
    tree.delete();
    if (bad) continue;
    return { errorType, op: c.op, code };
  }
  return null;
}

/** The candidate edits of every class for a function. */
export function allCandidates(p: Prepared, rng: Rng): Record<string, Candidate[]> {
  const ctx: MutCtx = { grammar: p.grammar, src: p.src, fn: p.fn, body: p.body, protect: p.protect, rng };
  const out: Record<string, Candidate[]> = {};
  for (const [k, f] of Object.entries(OPERATORS)) out[k] = f(ctx);
  return out;
}

/** How many candidates each class has for a function (for tests and the card). */
export function candidateCounts(p: Prepared, rng: Rng): Record<string, number> {
  return Object.fromEntries(Object.entries(allCandidates(p, rng)).map(([k, v]) => [k, v.length]));
}
