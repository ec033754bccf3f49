// missing_logic (a statement, a condition term, a call wrapper, a slice or a term dropped),
// excess_logic (an extra term, condition, element or repeated update) and missing_return.
import type { PNode } from './parsers.js';
import { bodyNodes, callArgs, calleeName, CALL_TYPES, isBinary, operands, operatorToken, RETURN_TYPES, STATEMENT_BLOCKS, txt, wholeLines, NUMBER_TYPES, STRING_TYPES, type Candidate, type MutCtx } from './nodes.js';

const NO_UNWRAP = /^(print|println|printf|console|log|debug|info|warn|error|assert|require|panic|expect|unwrap|Some|Ok|Err|new|make|append|push|emit|dispatch|fmt|format|Sprintf|Errorf|f|t|_)$/;
const LOGICAL = new Set(['&&', '||', 'and', 'or']);
const ARITH = new Set(['+', '-', '*', '/', '%', '//', '**']);

function isStatement(n: PNode): boolean {
  return !!n.parent && STATEMENT_BLOCKS.has(n.parent.type) && n.named && n.type !== 'comment';
}

export function missingLogic(ctx: MutCtx): Candidate[] {
  const out: Candidate[] = [];
  const nodes = bodyNodes(ctx);
  for (const n of nodes) {
    const t = txt(ctx, n);
    // a whole statement: a call or an update/assignment that is not a declaration
    if (isStatement(n) && n.type === 'expression_statement') {
      const siblings = n.parent!.children.filter((c) => c.named && c.type !== 'comment');
      const inner = n.children.find((c) => c.named);
      // an assignment only when it re-assigns (its target appears before): deleting a definition is a crash, not a logic bug
      const target = inner && /^assignment/.test(inner.type) ? inner.children.find((c) => c.field === 'left') : undefined;
      const reassigns = !target || ctx.src.slice(ctx.fn.start, n.start).includes(txt(ctx, target));
      if (siblings.length >= 2 && inner && reassigns && /call|invocation|assignment|update|augmented|compound/.test(inner.type) && !/\n/.test(t)) {
        const wl = wholeLines(ctx.src, n);
        if (wl) out.push({ op: 'missing:statement', edits: [{ start: wl.start, end: wl.end, text: '' }] });
      }
    }
    if ((n.type === 'inc_statement' || n.type === 'dec_statement' || n.type === 'assignment_statement') && isStatement(n)) {
      const siblings = n.parent!.children.filter((c) => c.named && c.type !== 'comment');
      const wl = wholeLines(ctx.src, n);
      if (siblings.length >= 2 && wl && !/\n/.test(t)) out.push({ op: 'missing:statement', edits: [{ start: wl.start, end: wl.end, text: '' }] });
    }
    // shell: a command of a function body or loop
    if (ctx.grammar === 'shell' && n.type === 'command' && n.parent && /compound_statement|do_group|if_statement|else_clause/.test(n.parent.type)) {
      const siblings = n.parent.children.filter((c) => c.named && c.type !== 'comment');
      const wl = wholeLines(ctx.src, n);
      if (siblings.length >= 3 && wl && !/\n/.test(t)) out.push({ op: 'missing:statement', edits: [{ start: wl.start, end: wl.end, text: '' }] });
    }
    // a term of a condition: `a && b` -> `a` (or `b`)
    if (isBinary(n)) {
      const tok = operatorToken(n);
      const ops = operands(n);
      if (tok && ops) {
        const op = txt(ctx, tok);
        if (LOGICAL.has(op)) {
          out.push({ op: 'missing:condition_term', edits: [{ start: n.start, end: n.end, text: txt(ctx, ops[0]) }] });
          out.push({ op: 'missing:condition_term', edits: [{ start: n.start, end: n.end, text: txt(ctx, ops[1]) }] });
        } else if (ARITH.has(op) && isBinary(ops[0]) && !NUMBER_TYPES.has(ops[1].type)) {
          // a term of a longer expression: `a * b * c` -> `a * b`
          const lt = operatorToken(ops[0]);
          if (lt && ARITH.has(txt(ctx, lt))) out.push({ op: 'missing:term', edits: [{ start: n.start, end: n.end, text: txt(ctx, ops[0]) }] });
        }
      }
    }
    // a call wrapper: `abs(x)` -> `x`, `s.lower()` -> `s`
    if (CALL_TYPES.has(n.type) && n.parent && n.parent.type !== 'expression_statement' && !/\n/.test(t)) {
      const name = calleeName(n);
      const args = callArgs(n);
      if (!name || !args || NO_UNWRAP.test(txt(ctx, name))) continue;
      if (args.length === 1 && !/keyword|spread|splat|block|lambda|arrow|closure/.test(args[0]!.type)) {
        const arg = args[0]!.type === 'argument' ? (args[0]!.children.find((c) => c.named) ?? args[0]!) : args[0]!;
        out.push({ op: 'missing:call_wrapper', edits: [{ start: n.start, end: n.end, text: txt(ctx, arg) }] });
      } else if (args.length === 0) {
        const f = n.children.find((c) => c.field === 'function' || c.field === 'object' || c.field === 'receiver');
        const obj = f && f !== name && /attribute|member|selector|field_expression|member_access/.test(f.type) ? f.children.find((c) => c.named) : n.children.find((c) => c.field === 'object' || c.field === 'receiver');
        if (obj && obj !== name && obj.end <= name.start) out.push({ op: 'missing:method_call', edits: [{ start: n.start, end: n.end, text: txt(ctx, obj) }] });
      }
    }
    // a slice: `s[i:]` -> `s`
    if (n.type === 'subscript' && n.children.some((c) => c.type === 'slice')) {
      const v = n.children.find((c) => c.field === 'value');
      if (v) out.push({ op: 'missing:slice', edits: [{ start: n.start, end: n.end, text: txt(ctx, v) }] });
    }
  }
  return out;
}

export function excessLogic(ctx: MutCtx): Candidate[] {
  const out: Candidate[] = [];
  const nodes = bodyNodes(ctx);
  const comparisons = nodes.filter((n) => n.type === 'comparison_operator' || (isBinary(n) && /^(<|>|<=|>=|==|!=|===|!==)$/.test(txt(ctx, operatorToken(n) ?? n))));
  const and = ctx.grammar === 'python' ? ' and ' : ctx.grammar === 'ruby' ? ' && ' : ' && ';
  const or = ctx.grammar === 'python' ? ' or ' : ' || ';
  for (const n of nodes) {
    const t = txt(ctx, n);
    if (/\n/.test(t)) continue;
    // an extra term: `a % b` -> `a % b + 1`, `x + y` -> `x + y + y`
    if (isBinary(n) && n.parent && /return|assignment|declarator|argument|expression_list|let_declaration/.test(n.parent.type)) {
      const tok = operatorToken(n);
      const ops = operands(n);
      if (tok && ops && ARITH.has(txt(ctx, tok))) {
        const op = txt(ctx, tok);
        if (op === '+' || op === '*') out.push({ op: 'excess:repeat_term', edits: [{ start: n.end, end: n.end, text: ` ${op} ${txt(ctx, ops[1])}` }] });
        out.push({ op: 'excess:extra_constant', edits: [{ start: n.end, end: n.end, text: ctx.rng.chance(0.5) ? ' + 1' : ' - 1' }] });
      }
    }
    // an extra condition: `if c` -> `if c && <another comparison of the function>`
    if ((n.field === 'condition' || n.parent?.type === 'parenthesized_expression' && n.parent.field === 'condition') && comparisons.length >= 2 && !/block|statement/.test(n.type)) {
      const other = comparisons.find((c) => c.start !== n.start && (c.end <= n.start || c.start >= n.end) && !/\n/.test(txt(ctx, c)));
      if (other) {
        const join = ctx.rng.chance(0.5) ? and : or;
        const wrap = (s: string) => (/ (and|or|&&|\|\|) /.test(s) ? `(${s})` : s);
        out.push({ op: 'excess:extra_condition', edits: [{ start: n.start, end: n.end, text: wrap(t) + join + wrap(txt(ctx, other)) }] });
      }
    }
    // a repeated update: `i += 1` twice
    if ((n.type === 'expression_statement' || n.type === 'inc_statement' || n.type === 'dec_statement' || n.type === 'assignment_statement') && isStatement(n)) {
      const inner = n.type === 'expression_statement' ? n.children.find((c) => c.named) : n;
      const isUpdate = inner && (/augmented|compound|update|inc_statement|dec_statement/.test(inner.type) || (n.type === 'assignment_statement' && /[+\-*]=/.test(t)) || (inner.type === 'assignment_expression' && /[+\-*]=/.test(t)));
      const isAppend = inner && CALL_TYPES.has(inner.type) && /^(append|push|add|push_back|insert|extend)$/.test(txt(ctx, calleeName(inner) ?? inner));
      const wl = wholeLines(ctx.src, n);
      if ((isUpdate || isAppend) && wl) out.push({ op: isUpdate ? 'excess:repeated_update' : 'excess:repeated_append', edits: [{ start: wl.end, end: wl.end, text: ctx.src.slice(wl.start, wl.end).replace(/\n?$/, '\n') }] });
    }
    // an extra element: ["a", "e"] -> ["a", "e", "y"]
    if (/^(list|array|array_creation_expression|initializer_list|array_expression|composite_literal|literal_value)$/.test(n.type)) {
      const els = n.children.filter((c) => c.named);
      if (els.length >= 2 && els.every((e) => NUMBER_TYPES.has(e.type) || STRING_TYPES.has(e.type)) && els.every((e) => e.type === els[0]!.type)) {
        const last = els[els.length - 1]!;
        let extra: string | null = null;
        if (NUMBER_TYPES.has(last.type)) {
          const nums = els.map((e) => Number(txt(ctx, e))).filter((x) => Number.isFinite(x));
          if (nums.length === els.length) extra = String(Math.max(...nums) + 1);
        } else {
          const m = /^(["'])(.*)\1$/.exec(txt(ctx, last));
          if (m) {
            const have = new Set(els.map((e) => txt(ctx, e)));
            for (const cand of ['y', 'x', 'z', 'w', '_', '0', '-']) {
              const s = m[1] + (m[2]!.length === 1 ? cand : m[2] + cand) + m[1];
              if (!have.has(s)) { extra = s; break; }
            }
          }
        }
        if (extra) out.push({ op: 'excess:extra_element', edits: [{ start: last.end, end: last.end, text: ', ' + extra }] });
      }
    }
  }
  return out;
}

export function missingReturn(ctx: MutCtx): Candidate[] {
  const out: Candidate[] = [];
  for (const n of bodyNodes(ctx)) {
    if (RETURN_TYPES.has(n.type)) {
      const kw = n.children[0];
      const value = n.children.find((c) => c.named && c.type !== 'comment');
      if (!kw || kw.named || !value) continue;
      // `return x` -> `x`
      out.push({ op: 'return:drop_keyword', edits: [{ start: kw.start, end: value.start, text: '' }] });
      // an early return removed (another statement follows or it sits in a branch)
      const stmt = n.parent?.type === 'expression_statement' ? n.parent : n;
      const block = stmt.parent;
      if (block && STATEMENT_BLOCKS.has(block.type) && block !== ctx.body) {
        const wl = wholeLines(ctx.src, stmt);
        const siblings = block.children.filter((c) => c.named && c.type !== 'comment');
        if (wl) out.push({ op: 'return:removed', edits: [{ start: wl.start, end: wl.end, text: siblings.length === 1 && ctx.grammar === 'python' ? wl.indent + 'pass\n' : '' }] });
      }
    }
  }
  // rust: the tail expression made a statement: `a + b` -> `a + b;`
  if (ctx.grammar === 'rust') {
    const named = ctx.body.children.filter((c) => c.named && c.type !== 'line_comment' && c.type !== 'block_comment');
    const last = named[named.length - 1];
    if (last && !/statement|declaration|let|macro/.test(last.type) && /expression|identifier|literal/.test(last.type) && last.type !== 'unit_expression') {
      out.push({ op: 'return:tail_semicolon', edits: [{ start: last.end, end: last.end, text: ';' }] });
    }
  }
  return out;
}
