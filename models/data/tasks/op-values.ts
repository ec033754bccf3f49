// value_misuse: constants changed (numbers, booleans, short strings) and off-by-one errors.
import { bodyNodes, calleeName, CALL_TYPES, isBinary, NUMBER_TYPES, operands, operatorToken, STRING_TYPES, txt, type Candidate, type MutCtx } from './nodes.js';

function numberVariants(lit: string): string[] {
  const m = /^(\d+)(\.\d*)?([a-zA-Z_]*)$/.exec(lit);
  if (!m) return [];
  const [, int, frac, suffix] = m as unknown as [string, string, string | undefined, string];
  if (int.length > 1 && int.startsWith('0')) return []; // octal-looking
  if (/[eExXbBoO]/.test(suffix.slice(0, 1)) && suffix.length > 0 && !/^(u|l|ul|lu|ll|ull|f|d|[iu](8|16|32|64|128|size)|f32|f64|L|LL|UL|U|F|D)$/i.test(suffix)) return [];
  const n = Number(int);
  const vs = new Set<number>();
  if (n === 0) vs.add(1);
  else if (n === 1) { vs.add(0); vs.add(2); }
  else { vs.add(n + 1); vs.add(n - 1); }
  return [...vs].map((v) => `${v}${frac ?? ''}${suffix}`);
}

const LENGTHY = /^(len|length|size|count|Len|Count|Length|Size|strlen|sizeof)$/;

export function valueMisuse(ctx: MutCtx): Candidate[] {
  const out: Candidate[] = [];
  for (const n of bodyNodes(ctx)) {
    const t = txt(ctx, n);
    if (NUMBER_TYPES.has(n.type) && n.children.length === 0) {
      if (n.parent && /subscript|index/.test(n.parent.type) && ctx.grammar === 'shell') continue;
      // `(0, f)(x)`: a discarded value; `>&2`: a file descriptor
      if (n.parent && ((n.parent.type === 'sequence_expression' && n.parent.children[0] === n) || /redirect/.test(n.parent.type))) continue;
      for (const v of numberVariants(t)) out.push({ op: `value:number`, edits: [{ start: n.start, end: n.end, text: v }] });
    } else if (n.type === 'true' || n.type === 'false' || n.type === 'boolean_literal' || n.type === 'boolean') {
      const flip: Record<string, string> = { true: 'false', false: 'true', True: 'False', False: 'True', TRUE: 'FALSE', FALSE: 'TRUE' };
      if (flip[t]) out.push({ op: 'value:boolean', edits: [{ start: n.start, end: n.end, text: flip[t]! }] });
    } else if (STRING_TYPES.has(n.type) && n.type !== 'template_string') {
      const m = /^([a-zA-Z]*)(["'`])(.{0,2})\2$/s.exec(t);
      if (!m) continue;
      const [, prefix, q, body] = m as unknown as [string, string, string, string];
      if (body.includes('\\') || body.includes('{') || body.includes('$')) continue;
      const swaps: Record<string, string[]> = { '': [' '], ' ': ['', ','], '0': ['1'], '1': ['0'], ',': [';', ', '], ', ': [','], '.': [','], '-': ['_'], '_': ['-'], a: ['A'], '\n': [] };
      const vs = swaps[body] ?? (body.length === 1 && /[a-z]/i.test(body) ? [body === body.toLowerCase() ? body.toUpperCase() : body.toLowerCase()] : []);
      for (const v of vs) out.push({ op: 'value:string', edits: [{ start: n.start, end: n.end, text: prefix + q + v + q }] });
    }
    // off by one: `e + 1` / `e - 1` -> `e`
    if (isBinary(n)) {
      const ops = operands(n);
      const tok = operatorToken(n);
      if (ops && tok && /^[+-]$/.test(txt(ctx, tok)) && txt(ctx, ops[1]) === '1' && !/\n/.test(t)) {
        out.push({ op: 'value:off_by_one_drop', edits: [{ start: n.start, end: n.end, text: txt(ctx, ops[0]) }] });
      }
    }
    // off by one: `len(x)` -> `len(x) - 1`, `x.length` -> `x.length - 1` (in an argument or index)
    if ((CALL_TYPES.has(n.type) || n.type === 'member_expression' || n.type === 'field_expression' || n.type === 'selector_expression') && !/\n/.test(t)) {
      let name: string | undefined;
      if (CALL_TYPES.has(n.type)) name = (() => { const c = calleeName(n); return c ? txt(ctx, c) : undefined; })();
      else { const last = n.children.filter((c) => c.named).pop(); name = last ? txt(ctx, last) : undefined; }
      const p = n.parent;
      if (name && LENGTHY.test(name) && p && /argument|subscript|index|range|return|binary|comparison/.test(p.type)) {
        const d = ctx.rng.chance(0.5) ? ' - 1' : ' + 1';
        out.push({ op: 'value:off_by_one_add', edits: [{ start: n.end, end: n.end, text: d }] });
      }
    }
  }
  return out;
}
