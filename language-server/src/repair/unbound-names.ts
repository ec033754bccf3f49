// Names a file reads but never binds. When a declaration lost its name (`var  = []struct{...}`,
// `fn () {`, `var ) = require(...)`), the name is nowhere near the error: it is used further down (or
// further up) and declared nowhere else. The names the file uses but that never follow a declaring
// keyword, never stand before `:=` and never start an assignment line are the candidates for that place
// (propose-syntax.ts), and putting one there is an edit that binds it (syntax-rank.ts binds).
import type { Token } from './lex';

/** Keywords after which a name is declared (`let mut x`, `static X`, `import os`, `package main`), across languages. */
const DECLARING = new Set(['var', 'let', 'const', 'mut', 'def', 'fn', 'func', 'function', 'class', 'struct', 'enum', 'interface', 'trait', 'type', 'mod', 'static', 'import', 'package', 'namespace']);

/** Keywords, literals and builtin types that look like names but are never a declaration's name. */
const NOT_NAMES = new Set([
  'if', 'else', 'for', 'while', 'do', 'return', 'break', 'continue', 'switch', 'case', 'default', 'try', 'catch', 'finally', 'throw', 'throws',
  'new', 'delete', 'typeof', 'instanceof', 'in', 'of', 'not', 'and', 'or', 'is', 'as', 'from', 'with', 'yield', 'await', 'async', 'lambda', 'pass',
  'None', 'True', 'False', 'true', 'false', 'null', 'nil', 'undefined', 'this', 'self', 'Self', 'super', 'void', 'int', 'char', 'float', 'double',
  'long', 'short', 'bool', 'boolean', 'string', 'byte', 'rune', 'error', 'any', 'number', 'object', 'unsafe', 'pub', 'impl', 'where', 'match',
  'loop', 'ref', 'move', 'use', 'crate', 'go', 'defer', 'chan', 'map', 'range', 'select', 'package', 'public', 'private', 'protected', 'final',
  'extends', 'implements', 'export', 'unsigned', 'signed', 'sizeof', 'struct', 'elif', 'except', 'raise', 'global', 'nonlocal', 'assert', 'del',
  'len', 'append', 'make', 'cap', 'panic', 'print', 'println', 'u8', 'u16', 'u32', 'u64', 'usize', 'i8', 'i16', 'i32', 'i64', 'isize', 'f32', 'f64', 'str',
]);

/** Keywords a read may follow (`return x;`, `x in y`): the name after them is no declaration. */
const KEYWORDS_BEFORE_READS = new Set(['return', 'in', 'of', 'not', 'and', 'or', 'is', 'as', 'new', 'delete', 'typeof', 'await', 'yield', 'case', 'throw', 'else', 'if', 'range', 'go', 'defer', 'print', 'assert', 'raise']);

export const isDeclaring = (t: Token | undefined): boolean => !!t && t.kind === 'word' && DECLARING.has(t.text);

const isName = (t: Token) => t.kind === 'word' && /^[A-Za-z_$][\w$]*$/.test(t.text) && t.text !== '_' && !DECLARING.has(t.text) && !NOT_NAMES.has(t.text);

/**
 * The file's names that are read but never bound, the most used first (at most `max`); a name before ':'
 * (a key, a typed parameter) counts as bound. `code` are the
 * file's tokens without comments (newlines kept: an assignment binds at the start of a line). A name read
 * only as `x.` on the left of a dot every time (a package, a module) or only after a dot (a field) is left out.
 */
export function unboundNames(code: readonly Token[], max = 12): string[] {
  const uses = new Map<string, number>();
  const bound = new Set<string>();
  const notDotted = new Set<string>();
  let lineStart = true;
  let prev: Token | undefined;
  for (let k = 0; k < code.length; k++) {
    const t = code[k]!;
    if (t.kind === 'newline') { lineStart = true; continue; }
    if (t.kind === 'comment') continue;
    let n = k + 1;
    while (n < code.length && (code[n]!.kind === 'newline' || code[n]!.kind === 'comment')) n++;
    const next = code[n];
    if (isName(t)) {
      const afterDot = prev?.text === '.' || prev?.text === '->' || prev?.text === '::';
      // (a name before ':' is a key or a typed parameter, `x: int`: bound, or no read; a parameter or field
      // is a name before its type, `t *testing.T`, `desc string`, or after it, `int n,`)
      const typed = (!lineStart && next?.kind === 'word' && !KEYWORDS_BEFORE_READS.has(next.text))
        || ((prev?.text === '(' || prev?.text === ',') && next?.text === '*')
        || (prev?.kind === 'word' && !DECLARING.has(prev.text) && !KEYWORDS_BEFORE_READS.has(prev.text) && [',', ')', '=', ';'].includes(next?.text ?? ''));
      if (isDeclaring(prev) || typed || next?.text === ':=' || next?.text === ':' || (lineStart && next?.text === '=')) bound.add(t.text);
      else if (!afterDot) {
        uses.set(t.text, (uses.get(t.text) ?? 0) + 1);
        if (next?.text !== '.' && next?.text !== '::') notDotted.add(t.text);
      }
    }
    lineStart = false;
    prev = t;
  }
  return [...uses.entries()]
    .filter(([w]) => !bound.has(w) && notDotted.has(w))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, max)
    .map(([w]) => w);
}
