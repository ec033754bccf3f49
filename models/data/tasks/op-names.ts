// variable_misuse (a use of one variable replaced by another of the function), function_misuse
// (a call to a confusable function: min/max, upper/lower, startswith/endswith, ...) and
// swapped_arguments (two arguments of a call, or the operands of a non-commutative operator).
import type { PNode } from './parsers.js';
import { walk } from './parsers.js';
import { bodyNodes, callArgs, calleeName, CALL_TYPES, IDENT_TYPES, isBinary, operands, operatorToken, txt, type Candidate, type MutCtx } from './nodes.js';

const RESERVED = new Set(['self', 'cls', 'this', 'super', 'true', 'false', 'null', 'nil', 'None', 'undefined', 'NaN', 'Infinity', 'console', 'Math', 'Object', 'Array', 'String', 'Number', 'JSON', 'System', 'fmt', 'std', 'os', 'sys', 'len', 'print', 'range', 'str', 'int', 'float', 'list', 'dict', 'set', 'tuple', 'err', '_', 'require', 'module', 'exports', 'window', 'document', 'return', 'pure', 'fmap', 'show', 'not', 'id', 'map', 'fst', 'snd', 'otherwise', 'mempty', 'error', 'when', 'unless']);

function isDeclName(n: PNode): boolean {
  const p = n.parent;
  if (!p) return false;
  if (n.field === 'name' && /declaration|definition|parameter|function|method|class/.test(p.type)) return true;
  if (/parameter|keyword_argument|named_argument|shorthand|label|field_initializer|pair/.test(p.type) && (n.field === 'name' || n.field === 'key' || n.field === 'label')) return true;
  return false;
}

function isCalled(n: PNode): boolean {
  const p = n.parent;
  if (!p) return false;
  // haskell: `f $ x`, `f . g`
  if (p.type === 'infix' && n.field === 'left_operand' && p.children.some((c) => c.field === 'operator' && (c.end - c.start === 1) && (c.type === 'operator' || !c.named) && p.children.indexOf(c) === 1)) return true;
  return (CALL_TYPES.has(p.type) || p.type === 'apply') && (n.field === 'function' || n.field === 'name' || n.field === 'method');
}

/** `pkg.f(...)` / `math.floor(...)`: the name qualifies a called member. */
function isQualifier(n: PNode): boolean {
  const p = n.parent;
  return !!p && /selector|member|attribute|field_expression|scoped|member_access/.test(p.type) && p.children[0] === n && !!p.parent && CALL_TYPES.has(p.parent.type);
}

export function variableMisuse(ctx: MutCtx): Candidate[] {
  // Occurrences of each name in the whole function (declaration included), in text order.
  const occ = new Map<string, PNode[]>();
  const called = new Set<string>();
  const plain = new Set<string>(); // names used at least once other than as a qualifier
  const fnName = ctx.fn.children.find((c) => c.field === 'name');
  const fnNameText = fnName ? txt(ctx, fnName) : '';
  for (const n of walk(ctx.fn)) {
    if (!IDENT_TYPES.has(n.type)) continue;
    if (n.type === 'variable_name' && n.parent?.type === 'variable_name') continue;
    const name = txt(ctx, n);
    if (isCalled(n)) called.add(name);
    if (!isQualifier(n)) plain.add(name);
    const list = occ.get(name) ?? [];
    list.push(n);
    occ.set(name, list);
  }
  const names = [...occ.keys()].filter((k) => !RESERVED.has(k) && k !== fnNameText && !called.has(k) && plain.has(k) && occ.get(k)!.length >= 2 && !/^[A-Z][A-Za-z0-9]*[a-z]/.test(k));
  const inBody = new Set(bodyNodes(ctx));
  const out: Candidate[] = [];
  for (const name of names) {
    const list = occ.get(name)!;
    for (let i = 1; i < list.length; i++) {
      const n = list[i]!;
      if (!inBody.has(n) || isDeclName(n)) continue;
      if (n.parent && (n.parent.type === 'assignment' || /assignment|declarator|let_declaration|short_var/.test(n.parent.type)) && n.field === 'left') continue;
      for (const other of names) {
        if (other === name) continue;
        const first = occ.get(other)![0]!;
        if (first.start >= n.start) continue; // only names already seen (in scope, likely)
        out.push({ op: 'variable', edits: [{ start: n.start, end: n.end, text: ctx.grammar === 'php' && !other.startsWith('$') && txt(ctx, n).startsWith('$') ? '$' + other : other }] });
      }
    }
  }
  return out;
}

const PAIRS: [string, string][] = [
  ['min', 'max'], ['Min', 'Max'], ['floor', 'ceil'], ['Floor', 'Ceil'], ['Floor', 'Ceiling'], ['round', 'floor'], ['trunc', 'round'], ['fmin', 'fmax'],
  ['upper', 'lower'], ['isupper', 'islower'], ['isdigit', 'isalpha'], ['isalnum', 'isalpha'], ['swapcase', 'lower'], ['capitalize', 'title'],
  ['startswith', 'endswith'], ['lstrip', 'rstrip'], ['strip', 'rstrip'], ['find', 'rfind'], ['index', 'rindex'], ['split', 'rsplit'],
  ['append', 'extend'], ['keys', 'values'], ['items', 'values'], ['any', 'all'], ['sorted', 'reversed'], ['sort', 'reverse'], ['remove', 'discard'],
  ['toUpperCase', 'toLowerCase'], ['startsWith', 'endsWith'], ['indexOf', 'lastIndexOf'], ['push', 'unshift'], ['pop', 'shift'], ['some', 'every'],
  ['filter', 'find'], ['trimStart', 'trimEnd'], ['trimLeft', 'trimRight'], ['parseInt', 'parseFloat'], ['reduce', 'reduceRight'], ['padStart', 'padEnd'],
  ['replace', 'replaceAll'], ['slice', 'splice'], ['findIndex', 'findLastIndex'], ['isDigit', 'isLetter'], ['isUpperCase', 'isLowerCase'],
  ['addFirst', 'addLast'], ['removeFirst', 'removeLast'], ['peekFirst', 'peekLast'], ['containsKey', 'containsValue'], ['firstKey', 'lastKey'],
  ['ToUpper', 'ToLower'], ['HasPrefix', 'HasSuffix'], ['Index', 'LastIndex'], ['TrimLeft', 'TrimRight'], ['TrimPrefix', 'TrimSuffix'],
  ['IsUpper', 'IsLower'], ['IsDigit', 'IsLetter'], ['StartsWith', 'EndsWith'], ['IndexOf', 'LastIndexOf'], ['First', 'Last'], ['Any', 'All'],
  ['TrimStart', 'TrimEnd'], ['ToUpperInvariant', 'ToLowerInvariant'], ['FirstOrDefault', 'LastOrDefault'], ['OrderBy', 'OrderByDescending'],
  ['to_uppercase', 'to_lowercase'], ['to_ascii_uppercase', 'to_ascii_lowercase'], ['starts_with', 'ends_with'], ['is_uppercase', 'is_lowercase'],
  ['is_alphabetic', 'is_numeric'], ['is_ascii_digit', 'is_ascii_alphabetic'], ['first', 'last'], ['min_by_key', 'max_by_key'], ['trim_start', 'trim_end'],
  ['wrapping_add', 'wrapping_sub'], ['checked_add', 'checked_sub'], ['saturating_add', 'saturating_sub'], ['take', 'skip'], ['strip_prefix', 'strip_suffix'],
  ['toupper', 'tolower'], ['isspace', 'isdigit'], ['strchr', 'strrchr'], ['begin', 'end'], ['rbegin', 'rend'], ['front', 'back'], ['push_back', 'push_front'],
  ['pop_back', 'pop_front'], ['lower_bound', 'upper_bound'], ['memcpy', 'memmove'], ['strcmp', 'strcasecmp'], ['min_element', 'max_element'],
  ['strtoupper', 'strtolower'], ['ucfirst', 'lcfirst'], ['array_push', 'array_unshift'], ['array_pop', 'array_shift'], ['strpos', 'strrpos'],
  ['ltrim', 'rtrim'], ['array_keys', 'array_values'], ['sort', 'rsort'], ['ksort', 'krsort'], ['array_key_first', 'array_key_last'],
  ['upcase', 'downcase'], ['start_with?', 'end_with?'], ['select', 'reject'], ['any?', 'all?'], ['min_by', 'max_by'], ['each_key', 'each_value'],
  ['foldl', 'foldr'], ['head', 'last'], ['takeWhile', 'dropWhile'], ['minimum', 'maximum'], ['fst', 'snd'],
];
const SWAP = new Map<string, string[]>();
for (const [a, b] of PAIRS) {
  SWAP.set(a, [...(SWAP.get(a) ?? []), b]);
  SWAP.set(b, [...(SWAP.get(b) ?? []), a]);
}

export function functionMisuse(ctx: MutCtx): Candidate[] {
  const out: Candidate[] = [];
  for (const n of bodyNodes(ctx)) {
    let nameNode: PNode | undefined;
    if (CALL_TYPES.has(n.type)) nameNode = calleeName(n);
    else if (ctx.grammar === 'haskell' && n.type === 'apply') nameNode = n.children.find((c) => c.named && c.type === 'variable');
    else if (ctx.grammar === 'ruby' && n.type === 'call' ) nameNode = n.children.find((c) => c.field === 'method');
    if (!nameNode) continue;
    const name = txt(ctx, nameNode);
    for (const r of SWAP.get(name) ?? []) out.push({ op: `function:${name}->${r}`, edits: [{ start: nameNode.start, end: nameNode.end, text: r }] });
  }
  return out;
}

const NON_COMMUTATIVE = new Set(['-', '/', '//', '%', '<', '>', '<=', '>=', 'in', '<<', '>>', '**', '-lt', '-gt']);

export function swappedArguments(ctx: MutCtx): Candidate[] {
  const out: Candidate[] = [];
  for (const n of bodyNodes(ctx)) {
    if (CALL_TYPES.has(n.type)) {
      const args = callArgs(n);
      if (!args || args.length < 2) continue;
      for (let i = 0; i + 1 < args.length; i++) {
        const a = args[i]!, b = args[i + 1]!;
        if (/keyword|named|spread|splat|block/.test(a.type + b.type)) continue;
        const ta = txt(ctx, a), tb = txt(ctx, b);
        if (ta === tb || ta.includes('\n') || tb.includes('\n') || ta.length > 60 || tb.length > 60) continue;
        out.push({ op: 'swap:arguments', edits: [{ start: a.start, end: a.end, text: tb }, { start: b.start, end: b.end, text: ta }] });
      }
    } else if (isBinary(n)) {
      const tok = operatorToken(n);
      const ops = operands(n);
      if (!tok || !ops || !NON_COMMUTATIVE.has(txt(ctx, tok))) continue;
      const [a, b] = ops;
      const ta = txt(ctx, a), tb = txt(ctx, b);
      if (ta === tb || ta.includes('\n') || tb.includes('\n')) continue;
      out.push({ op: `swap:operands_${txt(ctx, tok)}`, edits: [{ start: a.start, end: a.end, text: tb }, { start: b.start, end: b.end, text: ta }] });
    }
  }
  return out;
}
