// operator_misuse (arithmetic / logical / bitwise operator replaced, negation dropped) and
// wrong_comparison (boundary, direction or equality of a comparison changed).
import type { PNode } from './parsers.js';
import { bodyNodes, isBinary, operatorToken, txt, type Candidate, type MutCtx } from './nodes.js';

const ARITH: Record<string, string[]> = {
  '+': ['-'],
  '-': ['+'],
  '*': ['/', '+'],
  '/': ['*'],
  '//': ['/', '*'],
  '%': ['/', '//'],
  '**': ['*'],
  '&&': ['||'],
  '||': ['&&'],
  and: ['or'],
  or: ['and'],
  '&': ['|'],
  '|': ['&'],
  '^': ['&'],
  '<<': ['>>'],
  '>>': ['<<'],
  '+=': ['-='],
  '-=': ['+='],
  '*=': ['/=', '+='],
  '/=': ['*='],
  '.': [],
};
const COMPARE: Record<string, string[]> = {
  '<': ['<=', '>'],
  '<=': ['<', '>='],
  '>': ['>=', '<'],
  '>=': ['>', '<='],
  '==': ['!='],
  '!=': ['=='],
  '===': ['!=='],
  '!==': ['==='],
  '/=': ['=='], // haskell
  in: ['not in'],
  'not in': ['in'],
  is: ['is not'],
  'is not': ['is'],
  '-lt': ['-le', '-gt'],
  '-le': ['-lt', '-ge'],
  '-gt': ['-ge', '-lt'],
  '-ge': ['-gt', '-le'],
  '-eq': ['-ne'],
  '-ne': ['-eq'],
  '<=>': [],
};

type OpNode = { tok: PNode; text: string; parent: PNode };
/** Operator tokens of the body; both operators here use them, so they are found once per node list. */
const opNodesCache = new WeakMap<PNode[], OpNode[]>();

function opNodes(ctx: MutCtx): OpNode[] {
  const nodes = bodyNodes(ctx);
  const hit = opNodesCache.get(nodes);
  if (hit) return hit;
  const out: OpNode[] = [];
  opNodesCache.set(nodes, out);
  for (const n of nodes) {
    const isAssign = /augmented|compound_assign|assignment/.test(n.type);
    if (!isBinary(n) && !isAssign && n.type !== 'binary') continue;
    if (n.type === 'comparison_operator') {
      // python: a < b < c has several operator tokens; `not in` / `is not` are two tokens
      const toks = n.children.filter((c) => !c.named);
      for (let i = 0; i < toks.length; i++) {
        const t = toks[i]!;
        const next = toks[i + 1];
        let text = txt(ctx, t);
        if ((text === 'not' || text === 'is') && next && next.start - t.end <= 1 && (txt(ctx, next) === 'in' || txt(ctx, next) === 'not')) {
          out.push({ tok: { ...t, end: next.end }, text: text + ' ' + txt(ctx, next), parent: n });
          i++;
          continue;
        }
        out.push({ tok: t, text, parent: n });
      }
      continue;
    }
    const tok = operatorToken(n);
    if (!tok) continue;
    out.push({ tok, text: txt(ctx, tok), parent: n });
  }
  return out;
}

export function operatorMisuse(ctx: MutCtx): Candidate[] {
  const out: Candidate[] = [];
  for (const { tok, text, parent } of opNodes(ctx)) {
    const repl = ARITH[text];
    if (!repl) continue;
    // `+` on strings in most languages is concatenation: a swap still parses and is a real bug class.
    if (/assignment/.test(parent.type) && !/=$/.test(text)) continue;
    for (const r of repl) out.push({ op: `operator:${text}->${r}`, edits: [{ start: tok.start, end: tok.end, text: r }] });
  }
  // dropped negation: `!x` / `not x` -> `x`
  for (const n of bodyNodes(ctx)) {
    if ((n.type === 'unary_expression' || n.type === 'not_operator' || n.type === 'unary_op_expression' || n.type === 'prefix_unary_expression' || n.type === 'unary') && n.children.length === 2) {
      const [op, arg] = n.children as [PNode, PNode];
      const t = txt(ctx, op);
      if ((t === '!' || t === 'not') && arg.named) out.push({ op: 'operator:drop_not', edits: [{ start: n.start, end: arg.start, text: '' }] });
    }
  }
  return out;
}

export function wrongComparison(ctx: MutCtx): Candidate[] {
  const out: Candidate[] = [];
  for (const { tok, text } of opNodes(ctx)) {
    const repl = COMPARE[text];
    if (!repl) continue;
    if (text === '/=' && ctx.grammar !== 'haskell') continue;
    for (const r of repl) out.push({ op: `compare:${text}->${r}`, edits: [{ start: tok.start, end: tok.end, text: r }] });
  }
  return out;
}
