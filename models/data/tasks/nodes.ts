// Helpers shared by the bug operators: node classes across grammars, and the edit type.
import type { PNode } from './parsers.js';
import { walk } from './parsers.js';
import type { Rng } from './rng.js';

/** One text edit in the coordinates of the parsed (standalone) text. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

export interface Candidate {
  op: string; // operator name, e.g. "comparison_boundary"
  edits: Edit[];
}

export interface MutCtx {
  grammar: string;
  /** the parsed text (function wrapped as its grammar needs) */
  src: string;
  /** the function node */
  fn: PNode;
  /** nodes where a bug may go: the body, docstring excluded */
  body: PNode;
  /** [start, end) ranges where no edit may go (docstring) */
  protect: [number, number][];
  rng: Rng;
}

export const txt = (ctx: MutCtx, n: PNode) => ctx.src.slice(n.start, n.end);

export const BINARY_PARENTS = /binary|comparison|boolean_operator|infix|augmented|compound_assign|assignment|^binary$/;
export const NUMBER_TYPES = new Set(['integer', 'float', 'number', 'decimal_integer_literal', 'decimal_floating_point_literal', 'int_literal', 'float_literal', 'integer_literal', 'number_literal', 'real_literal']);
export const STRING_TYPES = new Set(['string', 'string_literal', 'interpreted_string_literal', 'raw_string_literal', 'encapsed_string', 'template_string', 'character_literal', 'char_literal', 'rune_literal']);
export const CALL_TYPES = new Set(['call', 'call_expression', 'method_invocation', 'invocation_expression', 'function_call_expression', 'member_call_expression', 'scoped_call_expression', 'nullsafe_member_call_expression']);
export const IDENT_TYPES = new Set(['identifier', 'variable_name', 'variable']); // variable: haskell
export const NAME_LEAF_TYPES = new Set(['identifier', 'property_identifier', 'field_identifier', 'name', 'variable', 'constant']);
export const STATEMENT_BLOCKS = new Set(['block', 'statement_block', 'compound_statement', 'body_statement', 'statement_list', 'declaration_list', 'do_block', 'then', 'else', 'constructor_body']);
export const FUNCTION_NODE = /function|method|lambda|arrow|closure|func_literal|^method$|singleton_method|local_function/;
export const RETURN_TYPES = new Set(['return_statement', 'return_expression', 'return']);

/**
 * Nodes of the body, not inside nested functions, not in protected ranges. Every operator asks for
 * them, so they are computed once per (body, protect) and shared: callers only read the array.
 */
export function bodyNodes(ctx: MutCtx): PNode[] {
  const hit = bodyNodesCache.get(ctx.body);
  if (hit && hit.protect === ctx.protect) return hit.nodes;
  const out: PNode[] = [];
  const stack: PNode[] = [ctx.body];
  while (stack.length) {
    const n = stack.pop()!;
    if (n !== ctx.body && FUNCTION_NODE.test(n.type) && n.named && n.type !== 'method_invocation' && n.type !== 'member_call_expression' && n.type !== 'function_call_expression') continue;
    if (ctx.protect.some(([a, b]) => n.start < b && n.end > a)) {
      // descend only if partly outside
      if (ctx.protect.some(([a, b]) => n.start >= a && n.end <= b)) continue;
    } else out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  bodyNodesCache.set(ctx.body, { protect: ctx.protect, nodes: out });
  return out;
}
const bodyNodesCache = new WeakMap<PNode, { protect: [number, number][]; nodes: PNode[] }>();

/** Operator token of a binary-like node: its anonymous child (or shell/haskell named operator). */
export function operatorToken(n: PNode): PNode | undefined {
  const op = n.children.find((c) => c.field === 'operator');
  if (op) return op;
  const inner = n.children.slice(1, -1);
  return inner.find((c) => !c.named);
}

export function isBinary(n: PNode): boolean {
  return n.named && /binary|comparison_operator|boolean_operator|^infix$/.test(n.type) && n.children.length >= 3;
}

export function operands(n: PNode): [PNode, PNode] | null {
  const named = n.children.filter((c) => c.named && c.type !== 'comment' && c.field !== 'operator');
  if (named.length !== 2) return null;
  return [named[0]!, named[1]!];
}

/** The name token of a call's callee (rightmost name of `a.b.c(...)`). */
export function calleeName(n: PNode): PNode | undefined {
  const f = n.children.find((c) => c.field === 'function' || c.field === 'name' || c.field === 'method');
  if (!f) return undefined;
  let x: PNode = f;
  for (let guard = 0; guard < 10; guard++) {
    if (NAME_LEAF_TYPES.has(x.type) && x.children.filter((c) => c.named).length === 0) return x;
    if (x.type === 'name' || x.type === 'variable_name') return x;
    const named = x.children.filter((c) => c.named && c.type !== 'type_arguments' && c.type !== 'arguments');
    if (!named.length) return undefined;
    x = named[named.length - 1]!;
  }
  return undefined;
}

export function callArgs(n: PNode): PNode[] | null {
  const a = n.children.find((c) => c.field === 'arguments' || c.type === 'argument_list' || c.type === 'arguments');
  if (!a) return null;
  return a.children.filter((c) => c.named && c.type !== 'comment');
}

/** Lines [lineStart, lineEnd incl. newline) when n occupies whole lines alone, else null. */
export function wholeLines(src: string, n: PNode): { start: number; end: number; indent: string } | null {
  const ls = src.lastIndexOf('\n', n.start - 1) + 1;
  const before = src.slice(ls, n.start);
  if (!/^[ \t]*$/.test(before)) return null;
  let le = src.indexOf('\n', n.end);
  if (le < 0) le = src.length;
  const after = src.slice(n.end, le);
  if (after.trim() && !/^\s*;\s*$/.test(after)) return null;
  return { start: ls, end: Math.min(le + 1, src.length), indent: before };
}

export function pickN<T>(rng: Rng, xs: T[], n: number): T[] {
  return rng.shuffle(xs.slice()).slice(0, n);
}

export function nodeAt(root: PNode, start: number, end: number): PNode | null {
  let best: PNode | null = null;
  for (const n of walk(root)) if (n.start === start && n.end === end) best = n;
  return best;
}

export function inCondition(n: PNode): boolean {
  for (let p = n.parent; p; p = p.parent) {
    if (n.field === 'condition' || p.type.startsWith('if') || p.type.startsWith('while') || p.type === 'condition_clause' || p.type === 'parenthesized_expression') return true;
    if (/statement|declaration|expression_statement/.test(p.type)) return false;
  }
  return false;
}
