// Candidates for a behaviour bug (the tests fail, the code parses): single edits of the kind people
// make by mistake, at the lines the failing tests blame (repair/tests/localize.ts), best first.
//   operators: comparison, arithmetic and boolean swaps; true <-> false
//   constants and bounds: a number +-1, a name or a call's result +-1 inside an index or a call
//   operands: `a - b` -> `b - a`, `f(a, b)` -> `f(b, a)`, `a op b` -> `a` or `b` (an extra term dropped)
//   names: a name replaced by another of the function's names; a call by a sibling (min -> max)
//   conditions: negated, one clause of `and`/`or` dropped; a statement deleted
// Each candidate is a whole-document edit with a plain label ("replace '<' with '<=' at line 12") and a
// prior: how suspicious its line is plus how common its kind of slip is. The tests prove them
// (semantic.ts) after the model has ranked them.
// Over 400 lines (issue #27, a stated reason): the tables of slip kinds (comparison, arithmetic, boolean,
// literal, sibling calls, family priors) and the proposers that read them belong together: one proposer
// per token site (operatorEdits, operandEdits, nameAndCallEdits) and per line; no function over 120 lines.
import { lex, type Token } from './lex';
import { missingFlowEdits } from './propose-missing';
import { applyOffsetEdits, type OffsetEdit } from './text';
import type { Candidate } from './types';

export interface SemanticCandidate extends Candidate {
  /** Higher is likelier before the model or the tests have looked (nats-like). */
  prior: number;
  /** 1-based line the edit is on. */
  line: number;
  /** The operator family (for reports): 'comparison', 'arithmetic', 'constant', ... */
  family: string;
}

export interface SuspectLine {
  /** 1-based. */
  line: number;
  score: number;
}

export interface SemanticProposeOptions {
  /** The function's lines (1-based, inclusive): names in scope come from here. */
  fromLine: number;
  toLine: number;
  /** Lines to edit, with their suspiciousness (best first); default: every line of the function, equally. */
  lines?: SuspectLine[];
}

/** How common each kind of slip is (nats added to the prior); single operator swaps first. */
export const FAMILY_PRIOR: Record<string, number> = {
  comparison: 0,
  arithmetic: -0.3,
  boolean: -0.3,
  constant: -0.4,
  literal: -0.6,
  operand: -1.0,
  bound: -1.3,
  call: -1.0,
  name: -1.4,
  negate: -1.4,
  clause: -1.6,
  arguments: -1.6,
  drop: -1.8,
  statement: -2.2,
  missing: -2.0,
};

const PY_KEYWORDS = new Set('False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield print'.split(' '));
const C_KEYWORDS = new Set('break case catch class const continue debugger default delete do else export extends false finally for function if import in instanceof let new null return super switch this throw true try typeof undefined var void while with yield async await of static get set int long float double char bool boolean auto string String void public private protected fn mut let match impl pub use struct enum'.split(' '));

/** Languages whose statements end with `;` (Go's and Python's do not). */
const SEMICOLON_LANGUAGES = new Set(['javascript', 'typescript', 'java', 'c', 'cpp', 'rust', 'csharp', 'php']);

/** Keywords and the common type names of the compiled languages: neither is a name a slip puts in place of another. */
const TYPED_WORDS: Record<string, string> = {
  go: 'func range nil var package defer go chan map type struct interface select fallthrough goto make len cap append new int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 float32 float64 rune byte string error any',
  rust: 'loop in as self Self where ref crate super mut impl trait dyn move unsafe usize isize i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str bool Vec String Option Some None Ok Err Box HashMap HashSet',
  java: 'final instanceof new null this super void int long short byte float double char boolean String Integer Long Double Float Boolean Character Object List ArrayList Map HashMap Set HashSet Arrays Collections Math System Optional',
  cpp: 'auto const unsigned signed long short int float double char bool void size_t string vector map set pair unordered_map unordered_set std nullptr sizeof struct namespace using template typename',
  c: 'const unsigned signed long short int float double char void size_t struct sizeof NULL',
};
const keywordsOf = new Map<string, Set<string>>();
function keywordsFor(codeType: string): Set<string> {
  if (codeType === 'python') return PY_KEYWORDS;
  let k = keywordsOf.get(codeType);
  if (!k) keywordsOf.set(codeType, (k = new Set([...C_KEYWORDS, ...(TYPED_WORDS[codeType]?.split(' ') ?? [])])));
  return k;
}

/** `a - b` as a distance, in the language's words. */
function absOf(codeType: string, expr: string): string {
  if (codeType === 'python' || codeType === 'c' || codeType === 'cpp') return `abs(${expr})`;
  if (codeType === 'go') return `math.Abs(${expr})`;
  if (codeType === 'rust') return `(${expr}).abs()`;
  return `Math.abs(${expr})`;
}

/** Comparison swaps with their extra cost (the off-by-one neighbour first). */
const COMPARISON: Record<string, [string, number][]> = {
  '<': [['<=', 0], ['>', -0.3], ['>=', -0.6], ['==', -1], ['!=', -1]],
  '<=': [['<', 0], ['>=', -0.3], ['>', -0.6], ['==', -1], ['!=', -1]],
  '>': [['>=', 0], ['<', -0.3], ['<=', -0.6], ['==', -1], ['!=', -1]],
  '>=': [['>', 0], ['<=', -0.3], ['<', -0.6], ['==', -1], ['!=', -1]],
  '==': [['!=', 0], ['<=', -0.8], ['>=', -0.8], ['<', -1], ['>', -1]],
  '!=': [['==', 0], ['<', -0.8], ['>', -0.8]],
  '===': [['!==', 0]],
  '!==': [['===', 0]],
};
const ARITHMETIC: Record<string, [string, number][]> = {
  '+': [['-', 0], ['*', -0.5]],
  '-': [['+', 0], ['*', -0.8], ['%', -0.9], ['//', -0.9]],
  '*': [['/', -0.2], ['+', -0.3], ['**', -0.6], ['-', -0.8]],
  '/': [['*', -0.2], ['//', -0.1], ['%', -0.6]],
  '//': [['/', 0], ['%', -0.3], ['*', -0.6]],
  '%': [['//', -0.2], ['/', -0.3], ['*', -0.8]],
  '**': [['*', 0]],
  '+=': [['-=', 0], ['*=', -0.6], ['=', -0.6]],
  '-=': [['+=', 0], ['=', -0.6], ['//=', -0.9], ['%=', -0.9]],
  '*=': [['/=', -0.2], ['+=', -0.3], ['=', -0.6]],
  '/=': [['*=', 0], ['//=', 0]],
  '//=': [['/=', 0], ['*=', -0.3]],
  '=': [['+=', -0.6], ['-=', -0.8]],
  '<<': [['>>', 0]],
  '>>': [['<<', 0]],
  '&': [['|', 0], ['^', -0.3]],
  '|': [['&', 0], ['^', -0.3]],
  '^': [['&', -0.2], ['|', -0.2]],
};
const BOOLEAN: Record<string, [string, number][]> = {
  and: [['or', 0]],
  or: [['and', 0]],
  '&&': [['||', 0]],
  '||': [['&&', 0]],
};
const LITERAL: Record<string, [string, number][]> = {
  True: [['False', 0]],
  False: [['True', 0]],
  true: [['false', 0]],
  false: [['true', 0]],
  None: [['0', -0.5]],
};
/** Calls a person easily confuses (either way). */
const SIBLINGS: [string, string][] = [
  ['min', 'max'], ['any', 'all'], ['floor', 'ceil'], ['upper', 'lower'], ['isupper', 'islower'], ['startswith', 'endswith'],
  ['append', 'extend'], ['isdigit', 'isalpha'], ['isalpha', 'isalnum'], ['sorted', 'reversed'], ['sort', 'reverse'], ['find', 'rfind'],
  ['index', 'rindex'], ['lstrip', 'rstrip'], ['strip', 'rstrip'], ['split', 'rsplit'], ['pop', 'popleft'], ['remove', 'discard'],
  ['sum', 'len'], ['ord', 'chr'], ['int', 'float'], ['int', 'round'], ['str', 'repr'], ['keys', 'values'], ['values', 'items'], ['keys', 'items'],
  ['Math.min', 'Math.max'], ['floor', 'round'], ['ceil', 'round'], ['toUpperCase', 'toLowerCase'], ['startsWith', 'endsWith'],
  ['push', 'unshift'], ['pop', 'shift'], ['slice', 'splice'], ['some', 'every'], ['indexOf', 'lastIndexOf'], ['abs', 'round'],
  ['lower', 'swapcase'], ['upper', 'swapcase'],
];

/** An own entry of a table (never an Object.prototype member such as 'constructor'). */
const entry = <T>(table: Record<string, T>, key: string | undefined): T | undefined => (key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined);
const isWord = (t: Token | undefined) => t?.kind === 'word';
const show = (t: string) => (t.length > 24 ? t.slice(0, 24) + '…' : t);

/** The code tokens of a text with their 1-based lines (comments and line breaks left out). */
function tokensWithLines(text: string, codeType: string): { t: Token; line: number }[] {
  const out: { t: Token; line: number }[] = [];
  let line = 1;
  for (const t of lex(text, codeType)) {
    if (t.kind === 'newline') { line++; continue; }
    if (t.kind !== 'comment') out.push({ t, line });
    if (t.kind === 'comment' || t.kind === 'string') line += (t.text.match(/\n/g) ?? []).length;
  }
  return out;
}

/** Index of the token closing the bracket opened at `k` (or -1). */
function closeOf(toks: { t: Token }[], k: number): number {
  const open = toks[k]!.t.text;
  const close = open === '(' ? ')' : open === '[' ? ']' : '}';
  let depth = 0;
  for (let j = k; j < toks.length; j++) {
    const x = toks[j]!.t.text;
    if (x === open) depth++;
    else if (x === close && --depth === 0) return j;
  }
  return -1;
}

/** Index of the token opening the bracket closed at `k` (or -1). */
function openOf(toks: { t: Token }[], k: number): number {
  const close = toks[k]!.t.text;
  const open = close === ')' ? '(' : close === ']' ? '[' : '{';
  let depth = 0;
  for (let j = k; j >= 0; j--) {
    const x = toks[j]!.t.text;
    if (x === close) depth++;
    else if (x === open && --depth === 0) return j;
  }
  return -1;
}

const BINARY = new Set(['+', '-', '*', '/', '//', '%', '**', '<<', '>>', '&', '|', '^']);
const STOP = new Set([',', '(', '[', '{', ')', ']', '}', '=', ':', ';', 'return', 'if', 'elif', 'while', 'and', 'or', 'not', '&&', '||', '==', '!=', '<', '>', '<=', '>=', '===', '!==', '+=', '-=', '*=', '/=', '?', 'in', 'yield', 'else', 'for', 'lambda', '=>']);

/**
 * The operand that ends at token `k` (a name, number, string, call, index or parenthesized group,
 * with attribute access), as a token index range [from, k]; undefined when it is not simple.
 */
function operandEndingAt(toks: { t: Token }[], k: number): number | undefined {
  let j = k;
  for (;;) {
    const x = toks[j]?.t;
    if (!x) return undefined;
    if (x.text === ')' || x.text === ']') {
      const o = openOf(toks, j);
      if (o < 0) return undefined;
      const before = toks[o - 1]?.t;
      // a call or an index: what is called or indexed belongs to the operand
      if (before && before.end === toks[o]!.t.start && ((before.kind === 'word' && !STOP.has(before.text)) || before.text === ')' || before.text === ']')) { j = o - 1; continue; }
      j = o;
    } else if ((x.kind !== 'word' && x.kind !== 'number' && x.kind !== 'string') || STOP.has(x.text)) return undefined;
    if (toks[j - 1]?.t.text === '.') { j -= 2; continue; }
    return j;
  }
}

/** The operand that starts at token `k`, as [k, to]; undefined when it is not simple. */
function operandStartingAt(toks: { t: Token }[], k: number): number | undefined {
  let j = k;
  const x = toks[j]?.t;
  if (!x) return undefined;
  if (x.text === '(' || x.text === '[') { j = closeOf(toks, j); if (j < 0) return undefined; }
  else if (x.kind !== 'word' && x.kind !== 'number' && x.kind !== 'string') return undefined;
  else if (STOP.has(x.text)) return undefined;
  for (;;) {
    const n = toks[j + 1]?.t;
    if (n && (n.text === '(' || n.text === '[') && n.start === toks[j]!.t.end) { j = closeOf(toks, j + 1); if (j < 0) return undefined; continue; }
    if (n?.text === '.' && isWord(toks[j + 2]?.t)) { j += 2; continue; }
    return j;
  }
}

/**
 * Single-edit candidates for the function in lines [fromLine, toLine], at the given suspicious lines
 * (all of the function's lines when none are given), deduplicated by their result, best prior first.
 */
/** What every edit site of one function shares: its text and tokens, the names in scope, and how an edit is added. */
interface EditContext {
  text: string;
  python: boolean;
  codeType: string;
  keywords: Set<string>;
  all: { t: Token; line: number }[];
  names: Set<string>;
  add: (edits: OffsetEdit[], label: string, family: string, line: number, extra?: number) => void;
  swap: (t: Token, to: string, family: string, line: number, extra: number) => void;
  span: (a: number, b: number) => string;
}

/** One token of the function and its neighbours; `unary`: a sign after an operator or bracket. */
interface TokenSite { ctx: EditContext; t: Token; line: number; k: number; prev?: Token; next?: Token; unary: boolean }

/** Operators swapped, literals flipped, constants moved by one (and a few other steps). */
function operatorEdits(site: TokenSite): void {
  const { ctx: { text, python, all }, t, line, k, prev, next, unary } = site;
  const { add, swap } = site.ctx;
  for (const [to, c] of entry(COMPARISON, t.text) ?? []) swap(t, to, 'comparison', line, c);
  if (python && t.text === 'in' && prev?.text !== 'not' && !/^\s*for\b/.test(lineText(text, t.start))) swap(t, 'not in', 'comparison', line, -0.2);
  if (python && t.text === 'not' && next?.text === 'in') add([{ start: t.start, end: next.start, newText: '' }], "replace 'not in' with 'in'", 'comparison', line, 0);
  if (python && t.text === 'is') swap(t, next?.text === 'not' ? 'is' : 'is not', 'comparison', line, 0);
  // arithmetic: a binary operator only (a sign after an operator or bracket is unary: see TokenSite)
  if (entry(ARITHMETIC, t.text) && !(unary && (t.text === '-' || t.text === '+' || t.text === '*' || t.text === '**'))) {
    for (const [to, c] of entry(ARITHMETIC, t.text)!) if (python || (to !== '//' && to !== '//=')) swap(t, to, 'arithmetic', line, c);
  }
  if (unary && t.text === '-' && (next?.kind === 'number' || next?.kind === 'word')) add([{ start: t.start, end: next.start, newText: '' }], `delete '-'`, 'arithmetic', line, -0.3);
  // increment and decrement (C family, Go): `i++` <-> `i--`
  if (!python && (t.text === '++' || t.text === '--')) swap(t, t.text === '++' ? '--' : '++', 'arithmetic', line, 0);
  // Rust ranges: `a..b` <-> `a..=b` (an off-by-one at the end)
  if (site.ctx.codeType === 'rust' && t.text === '.' && next?.text === '.' && next.start === t.end && prev?.text !== '.') {
    const eq = all[k + 2]?.t;
    if (eq?.text === '=' && eq.start === next.end) add([{ start: t.start, end: eq.end, newText: '..' }], "replace '..=' with '..'", 'comparison', line, 0);
    else if (all[k + 2]?.t.text !== '.') add([{ start: t.start, end: next.end, newText: '..=' }], "replace '..' with '..='", 'comparison', line, 0);
  }
  for (const [to, c] of entry(BOOLEAN, t.text) ?? []) swap(t, to, 'boolean', line, c);
  for (const [to, c] of entry(LITERAL, t.text) ?? []) swap(t, to, 'literal', line, c);
  // a separator string: ' ' <-> '' (a join or split on the wrong one)
  if (t.kind === 'string' && /^(['"])( ?)\1$/.test(t.text)) swap(t, `${t.text[0]}${t.text.length === 2 ? ' ' : ''}${t.text[0]}`, 'literal', line, -0.3);
  // constants +-1 (and 0 <-> 1 by the same edit)
  if (t.kind === 'number' && /^\d+$/.test(t.text)) {
    const n = Number(t.text);
    swap(t, String(n + 1), 'constant', line, 0);
    if (n > 0) swap(t, String(n - 1), 'constant', line, 0);
    swap(t, String(n + 2), 'constant', line, -0.8);
    if (n > 1) swap(t, String(n - 2), 'constant', line, -0.8);
    if (n <= 2) for (const v of ['-1', '0', '1', '2']) swap(t, v, 'constant', line, -0.6);
    if (n > 2) { swap(t, String(n * 2), 'constant', line, -1); swap(t, String(Math.floor(n / 2)), 'constant', line, -1); }
  }
  if (t.kind === 'number' && /^\d*\.\d+$/.test(t.text)) {
    const v = Number(t.text);
    for (const w of [v * 2, v / 2, 1 / v]) if (Number.isFinite(w) && w !== v) swap(t, Number.isInteger(w) ? w.toFixed(1) : String(w), 'constant', line, -0.4);
  }
}

/** Bounds +-1, a +-1 dropped, operands swapped or dropped, a difference made a distance. */
function operandEdits(site: TokenSite): void {
  const { ctx: { text, python, codeType, keywords, all }, t, line, k, prev, next, unary } = site;
  const { add, span } = site.ctx;
  // bounds: a name or a call inside an index, a slice, a range() or a comparison, +-1
  if ((t.kind === 'word' && !keywords.has(t.text) && next?.text !== '(' && next?.text !== '.' && prev?.text !== '.') || t.text === ')') {
    const from = operandEndingAt(all, k);
    if (from !== undefined && all[from]!.line === line && (next?.text === ']' || next?.text === '-' || next?.text === '+' || next?.text === ':' || next?.text === ')' || next?.text === ',' || entry(COMPARISON, next?.text) || prev?.text === '[')) {
      const what = span(from, k);
      if (what.length <= 40) {
        const inSum = next?.text === '+' || next?.text === '-' || prev?.text === '+' || prev?.text === '-' ? -0.5 : 0;
        add([{ start: t.end, end: t.end, newText: ' + 1' }], `replace '${show(what)}' with '${show(what)} + 1'`, 'bound', line, inSum);
        add([{ start: t.end, end: t.end, newText: ' - 1' }], `replace '${show(what)}' with '${show(what)} - 1'`, 'bound', line, inSum);
      }
    }
  }
  // a +-1 dropped: `x + 1` -> `x`
  if ((t.text === '+' || t.text === '-') && next?.kind === 'number' && !unary) {
    const after = all[k + 2]?.t;
    if (!after || !/^[*/%(.[]$/.test(after.text)) add([{ start: prev!.end, end: next.end, newText: '' }], `delete '${t.text} ${next.text}'`, 'drop', line, 0.6);
  }
  // operands: swapped around a non-commutative operator; one side dropped
  if ((BINARY.has(t.text) || entry(COMPARISON, t.text) || (python && t.text === 'in' && prev?.text !== 'not')) && !unary && !/^\s*for\b/.test(lineText(text, t.start))) {
    const from = operandEndingAt(all, k - 1);
    const to = operandStartingAt(all, k + 1);
    if (from !== undefined && to !== undefined && all[from]!.line === line && all[to]!.line === line) {
      const left = span(from, k - 1);
      const right = span(k + 1, to);
      const leftStart = all[from]!.t.start;
      const rightEnd = all[to]!.t.end;
      if (['-', '/', '//', '%', '**', '<<', '>>', '+', 'in'].includes(t.text) && left !== right) {
        add([{ start: leftStart, end: rightEnd, newText: `${right} ${t.text} ${left}` }], `swap '${show(left)}' and '${show(right)}' around '${t.text}'`, 'operand', line, t.text === '+' ? -0.5 : 0);
      }
      // a difference that should be a distance: `a - b` -> `abs(a - b)`
      if (t.text === '-' && all[from - 1]?.t.text !== 'abs' && all[from - 1]?.t.text !== '(') {
        add([{ start: leftStart, end: rightEnd, newText: absOf(codeType, `${left} - ${right}`) }], `replace '${show(`${left} - ${right}`)}' with its absolute value`, 'call', line, -0.5);
      }
      if (BINARY.has(t.text)) {
        // an extra term: drop `op right` or `left op` when the expression ends there
        const before = all[from - 1]?.t.text;
        const after = all[to + 1]?.t.text;
        const tight = (s: string | undefined) => s === undefined || STOP.has(s) || s === '\n';
        const sameLevel = (s: string | undefined) => s === t.text && (s === '*' || s === '+');
        if ((tight(after) || sameLevel(after)) && (!BINARY.has(before ?? '') || before === '+' || before === '-' || sameLevel(before))) add([{ start: all[k - 1]!.t.end, end: rightEnd, newText: '' }], `delete '${show(`${t.text} ${right}`)}'`, 'drop', line, 0);
        if (tight(before) && (!BINARY.has(after ?? '') || after === '+' || after === '-')) add([{ start: leftStart, end: all[k + 1]!.t.start, newText: '' }], `delete '${show(`${left} ${t.text}`)}'`, 'drop', line, 0);
      }
    }
  }
}

/** Every true/false of the function flipped at once (a predicate written the wrong way round). */
function flipAllBooleans(text: string, inFn: { t: Token; line: number }[], lineWeight: Map<number, number>): SemanticCandidate | undefined {
  const bools = inFn.filter((x) => entry(LITERAL, x.t.text) && x.t.text !== 'None');
  if (bools.length < 2) return undefined;
  const edits = bools.map((x) => ({ start: x.t.start, end: x.t.end, newText: entry(LITERAL, x.t.text)![0]![0] }));
  const best = Math.max(...bools.map((x) => lineWeight.get(x.line) ?? -Infinity));
  const bestLine = bools.find((x) => lineWeight.get(x.line) === best)?.line;
  if (bestLine === undefined) return undefined;
  const fixed = applyOffsetEdits(text, edits);
  return { edits, fixed, label: `swap every true and false of the function (lines ${bools[0]!.line}-${bools[bools.length - 1]!.line})`, origin: 'operator', size: bools.length, prior: best + FAMILY_PRIOR.literal! - 0.4, line: bestLine, family: 'literal' };
}

/** A name replaced by another of the function, call arguments swapped or dropped, a sibling function called. */
function nameAndCallEdits(site: TokenSite): void {
  const { ctx: { keywords, all, names }, t, line, k, prev, next } = site;
  const { add, swap, span } = site.ctx;
  // names: a name replaced by another name of the function
  if (t.kind === 'word' && names.has(t.text) && next?.text !== '=' && prev?.text !== 'def' && prev?.text !== 'for' && prev?.text !== '.') {
    for (const n of names) if (n !== t.text) swap(t, n, 'name', line, 0);
  }
  if (t.kind === 'word' && names.has(t.text) && (next?.text === '=' || prev?.text === 'for')) {
    for (const n of names) if (n !== t.text) swap(t, n, 'name', line, -0.5);
  }
  // two elements of a call, tuple or list swapped; an argument of a call dropped
  if (t.text === '(' || t.text === '[') {
    const close = closeOf(all, k);
    const callee = prev && prev.end === t.start && prev.kind === 'word' ? prev.text : undefined;
    if (close > 0 && all[close]!.line === line) {
      const args = splitArgs(all, k, close);
      if (args.length === 2) {
        const [a, b] = args.map(([s0, e]) => span(s0, e));
        if (a !== b && a!.length < 40 && b!.length < 40) {
          add([{ start: all[args[0]![0]]!.t.start, end: all[args[1]![1]]!.t.end, newText: `${b}, ${a}` }], callee ? `swap the arguments of ${show(callee)}()` : `swap '${show(a!)}' and '${show(b!)}'`, 'arguments', line, 0);
        }
      }
      if (callee && !keywords.has(callee) && args.length >= 2 && args.length <= 3) {
        for (const [s0, e] of args) {
          const cut = e === args[args.length - 1]![1] ? { start: all[s0 - 1]!.t.start, end: all[e]!.t.end } : { start: all[s0]!.t.start, end: all[e + 2]?.t.start ?? all[e]!.t.end };
          add([{ start: cut.start, end: cut.end, newText: '' }], `drop the argument '${show(span(s0, e))}' of ${show(callee)}()`, 'arguments', line, -0.2);
        }
      }
    }
  }
  // calls: a sibling function
  if (t.kind === 'word' && next?.text === '(') {
    const qualified = prev?.text === '.' && all[k - 2]?.t.kind === 'word' ? `${all[k - 2]!.t.text}.${t.text}` : t.text;
    for (const [a, b] of SIBLINGS) {
      if (qualified === a || t.text === a) swap(t, b.includes('.') ? b.split('.')[1]! : b, 'call', line, 0);
      if (qualified === b || t.text === b) swap(t, a.includes('.') ? a.split('.')[1]! : a, 'call', line, 0);
    }
  }
}

export function proposeSemanticEdits(text: string, codeType: string, opts: SemanticProposeOptions): SemanticCandidate[] {
  const python = codeType === 'python';
  const keywords = keywordsFor(codeType);
  const all = tokensWithLines(text, codeType);
  const inFn = all.filter((x) => x.line >= opts.fromLine && x.line <= opts.toLine);
  if (inFn.length === 0) return [];
  const suspects = opts.lines && opts.lines.length > 0 ? opts.lines : Array.from({ length: opts.toLine - opts.fromLine + 1 }, (_, i) => ({ line: opts.fromLine + i, score: 1 }));
  const top = Math.max(...suspects.map((s) => s.score));
  const lineWeight = new Map(suspects.map((s, rank) => [s.line, 2 * (s.score - top) - 0.02 * rank]));
  const headerLine = inFn[0]!.line; // the signature: its names are the parameters, not an edit site
  // names in scope: the function's own words that are not keywords, calls or attributes
  const names = new Set<string>();
  const calls = new Set<string>();
  inFn.forEach((x, i) => {
    if (x.t.kind !== 'word' || keywords.has(x.t.text)) return;
    // on the signature only the parameters (not the types)
    if (x.line === headerLine && !(inFn[i - 1]?.t.text === '(' || inFn[i - 1]?.t.text === ',')) return;
    if (inFn[i - 1]?.t.text === '.') return;
    if (inFn[i + 1]?.t.text === '(') calls.add(x.t.text);
    else names.add(x.t.text);
  });
  for (const n of calls) names.delete(n);
  const out = new Map<string, SemanticCandidate>();
  // a study's switch (eval's before/after of a family): TREASURE_SEMANTIC_OFF=missing,statement
  const off = new Set((process.env.TREASURE_SEMANTIC_OFF ?? '').split(',').map((f) => f.trim()).filter(Boolean));
  const add = (edits: OffsetEdit[], label: string, family: string, line: number, extra = 0) => {
    const w = lineWeight.get(line);
    if (w === undefined || off.has(family)) return;
    const fixed = applyOffsetEdits(text, edits);
    if (fixed === text) return;
    const prior = w + (FAMILY_PRIOR[family] ?? -2) + extra;
    const have = out.get(fixed);
    if (have && have.prior >= prior) return;
    out.set(fixed, { edits, fixed, label: `${label} at line ${line}`, origin: 'operator', size: 1, prior, line, family });
  };
  const swap = (t: Token, to: string, family: string, line: number, extra: number) =>
    add([{ start: t.start, end: t.end, newText: to }], `replace '${show(t.text)}' with '${show(to)}'`, family, line, extra);
  const span = (a: number, b: number) => text.slice(all[a]!.t.start, all[b]!.t.end);
  const index = new Map(all.map((x, i) => [x, i]));

  const ctx: EditContext = { text, python, codeType, keywords, all, names, add, swap, span };
  for (const x of inFn) {
    const { t, line } = x;
    if (line === headerLine || !lineWeight.has(line)) continue;
    const k = index.get(x)!;
    const prev = all[k - 1]?.t;
    const next = all[k + 1]?.t;
    const unary = !prev || (prev.kind === 'punct' && !/^[)\]}]$/.test(prev.text)) || keywords.has(prev.text);
    const site: TokenSite = { ctx, t, line, k, prev, next, unary };
    operatorEdits(site);
    operandEdits(site);
    nameAndCallEdits(site);
  }
  const flipped = flipAllBooleans(text, inFn, lineWeight);
  if (flipped) out.set(flipped.fixed, flipped);

  // conditions and statements, line by line
  const lines = text.split('\n');
  const starts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  for (const s of suspects) {
    const li = s.line - 1;
    const l = lines[li];
    if (l === undefined || s.line === headerLine || s.line < opts.fromLine || s.line > opts.toLine) continue;
    const at = starts[li]!;
    const indent = /^\s*/.exec(l)![0];
    const body = l.slice(indent.length);
    // a missing break or return after the line (propose-missing.ts)
    for (const e of missingFlowEdits(lines, starts, li, headerLine - 1, opts.toLine - 1, python, SEMICOLON_LANGUAGES.has(codeType))) add([{ start: e.at, end: e.at, newText: e.newText }], e.label, 'missing', s.line, e.extra);
    if (python) {
      const m = /^(if|elif|while)\s+(.*):\s*(#.*)?$/.exec(body);
      if (m) {
        const cond = m[2]!.trim();
        const neg = /^not\s+\((.*)\)$/.exec(cond) ?? /^not\s+([\w.]+)$/.exec(cond);
        const newCond = neg ? neg[1]! : /^[\w.]+(\([^()]*\))?$/.test(cond) ? `not ${cond}` : `not (${cond})`;
        add([{ start: at + indent.length, end: at + l.length, newText: `${m[1]} ${newCond}:` }], `negate the condition`, 'negate', s.line, 0);
        for (const [kw, other] of [[' and ', 'and'], [' or ', 'or']] as const) {
          const parts = splitTop(cond, kw);
          if (parts.length < 2) continue;
          parts.forEach((_, i) => {
            const kept = parts.filter((__, j) => j !== i).join(kw);
            add([{ start: at + indent.length, end: at + l.length, newText: `${m[1]} ${kept}:` }], `drop '${show(parts[i]!.trim())}' from the '${other}' condition`, 'clause', s.line, 0);
          });
        }
      }
      // a simple statement deleted (never the only one of its block)
      const simple = body !== '' && !/:\s*(#.*)?$/.test(body) && !/^(return|else|elif|except|finally|pass|def|class|@)\b/.test(body) && !/[([{,\\]\s*$/.test(body);
      if (simple) {
        const nb = (j: number) => { while (j >= 0 && j < lines.length && lines[j]!.trim() === '') j += j > li ? 1 : -1; return j; };
        const prevL = lines[nb(li - 1)] ?? '';
        const nextL = lines[nb(li + 1)] ?? '';
        const ind = (x: string) => /^\s*/.exec(x)![0].length;
        const sibling = (ind(prevL) === indent.length && !/:\s*(#.*)?$/.test(prevL.trim())) || ind(nextL) === indent.length;
        if (sibling) add([{ start: at, end: at + l.length + 1, newText: '' }], `delete the statement '${show(body.trim())}'`, 'statement', s.line, 0);
      }
    } else {
      const m = /^(\}\s*else\s+if|if|while|else\s+if)\s*\((.*)\)\s*(\{)?\s*$/.exec(body);
      if (m) {
        const cond = m[2]!;
        const open = body.indexOf('(');
        const close = body.lastIndexOf(')');
        add([{ start: at + indent.length + open + 1, end: at + indent.length + close, newText: `!(${cond})` }], `negate the condition`, 'negate', s.line, 0);
        for (const kw of [' && ', ' || ']) {
          const parts = splitTop(cond, kw);
          if (parts.length < 2) continue;
          parts.forEach((_, i) => {
            const kept = parts.filter((__, j) => j !== i).join(kw);
            add([{ start: at + indent.length + open + 1, end: at + indent.length + close, newText: kept }], `drop '${show(parts[i]!.trim())}' from the condition`, 'clause', s.line, 0);
          });
        }
      }
      if (/;\s*$/.test(body) && !/^return\b/.test(body)) add([{ start: at, end: at + l.length + 1, newText: '' }], `delete the statement '${show(body.trim())}'`, 'statement', s.line, 0);
    }
  }
  return [...out.values()].sort((a, b) => b.prior - a.prior || a.line - b.line);
}

/** Top-level (outside brackets and strings) parts of `s` split at `sep`. */
function splitTop(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) { if (c === '\\') i++; else if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && s.startsWith(sep, i)) { parts.push(s.slice(last, i)); last = i + sep.length; i += sep.length - 1; }
  }
  parts.push(s.slice(last));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** The argument token ranges of the call whose brackets are at `open`..`close`. */
function splitArgs(toks: { t: Token }[], open: number, close: number): [number, number][] {
  const out: [number, number][] = [];
  let depth = 0;
  let s = open + 1;
  for (let j = open + 1; j < close; j++) {
    const x = toks[j]!.t.text;
    if (x === '(' || x === '[' || x === '{') depth++;
    else if (x === ')' || x === ']' || x === '}') depth--;
    else if (x === ',' && depth === 0) { if (j > s) out.push([s, j - 1]); s = j + 1; }
  }
  if (close > s) out.push([s, close - 1]);
  return out;
}

function lineText(text: string, offset: number): string {
  const s = text.lastIndexOf('\n', offset - 1) + 1;
  const e = text.indexOf('\n', offset);
  return text.slice(s, e < 0 ? text.length : e);
}
