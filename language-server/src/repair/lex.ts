// A forgiving lexer for broken code: where the tokens of a document are, so that the syntax search
// can insert, delete and replace whole tokens. It never fails: an unterminated string ends at its
// line's end, an unknown character is a one-character token. One table of rules per language family.

export type TokenKind = 'word' | 'number' | 'string' | 'comment' | 'punct' | 'newline';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  text: string;
}

interface LexRules {
  lineComments: string[];
  blockComment?: [string, string];
  /** Quote characters that open a string on one line. */
  quotes: string[];
  /** Quotes whose strings may span lines (JS template literals, Go raw strings). */
  multilineQuotes: string[];
  /** Python-style triple-quoted strings and string prefixes (r, b, f, ...). */
  tripleQuotes?: boolean;
  stringPrefix?: RegExp;
  /** Operators, longest first. */
  operators: string[];
  /** Rust: 'a is a lifetime unless a closing quote follows within a character. */
  lifetimes?: boolean;
}

const C_OPS = ['>>>=', '<<=', '>>=', '>>>', '===', '!==', '...', '**=', '->', '=>', '::', '==', '!=', '<=', '>=', '&&', '||', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<', '>>', '**', '?.', '??', ':='];
const PY_OPS = ['**=', '//=', '>>=', '<<=', '...', '->', ':=', '==', '!=', '<=', '>=', '**', '//', '<<', '>>', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@='];

const C_FAMILY: LexRules = { lineComments: ['//'], blockComment: ['/*', '*/'], quotes: ['"', "'"], multilineQuotes: [], operators: C_OPS };

const RULES: Record<string, LexRules> = {
  python: { lineComments: ['#'], quotes: ['"', "'"], multilineQuotes: [], tripleQuotes: true, stringPrefix: /^[rRbBuUfF]{1,2}$/, operators: PY_OPS },
  javascript: { ...C_FAMILY, multilineQuotes: ['`'] },
  typescript: { ...C_FAMILY, multilineQuotes: ['`'] },
  java: C_FAMILY,
  c: C_FAMILY,
  cpp: C_FAMILY,
  csharp: C_FAMILY,
  go: { ...C_FAMILY, multilineQuotes: ['`'] },
  rust: { ...C_FAMILY, lifetimes: true },
  php: { ...C_FAMILY, lineComments: ['//', '#'] },
  ruby: { lineComments: ['#'], quotes: ['"', "'"], multilineQuotes: [], operators: C_OPS },
  shell: { lineComments: ['#'], quotes: ['"', "'"], multilineQuotes: ['`'], operators: ['&&', '||', ';;', '<<', '>>', '$(', '${'] },
  perl: { lineComments: ['#'], quotes: ['"', "'"], multilineQuotes: [], operators: C_OPS },
  lua: { lineComments: ['--'], quotes: ['"', "'"], multilineQuotes: [], operators: ['...', '==', '~=', '<=', '>=', '..', '::', '//', '<<', '>>'] },
  haskell: { lineComments: ['--'], blockComment: ['{-', '-}'], quotes: ['"'], multilineQuotes: [], operators: ['->', '<-', '::', '=>', '==', '/=', '<=', '>=', '&&', '||', '++', '<>', '>>=', '>>', '.'] },
};

export function lexRules(codeType: string): LexRules {
  return RULES[codeType] ?? C_FAMILY;
}

const WORD = /[A-Za-z_$\u00C0-\uFFFF][\w$\u00C0-\uFFFF]*/y;
const NUMBER = /(?:0[xXbBoO][\da-fA-F_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?)[a-zA-Z]*/y;

/** The tokens of a text (whitespace left out; line breaks kept as 'newline' tokens). */
export function lex(text: string, codeType: string): Token[] {
  const r = lexRules(codeType);
  const out: Token[] = [];
  const n = text.length;
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    out.push({ kind, start: i, end, text: text.slice(i, end) });
    i = end;
  };
  const lineEnd = (from: number) => {
    const e = text.indexOf('\n', from);
    return e < 0 ? n : e;
  };
  /** The end of a string opened at `from` by `q` (escapes honoured); at the line's end when unterminated. */
  const stringEnd = (from: number, q: string, multiline: boolean): number => {
    let j = from + q.length;
    while (j < n) {
      const c = text[j]!;
      if (c === '\\') { j += 2; continue; }
      if (text.startsWith(q, j)) return j + q.length;
      if (c === '\n' && !multiline) return j;
      j++;
    }
    return n;
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') { push('newline', i + 1); continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') { i++; continue; }
    const lc = r.lineComments.find((p) => text.startsWith(p, i));
    if (lc) { push('comment', lineEnd(i)); continue; }
    if (r.blockComment && text.startsWith(r.blockComment[0], i)) {
      const e = text.indexOf(r.blockComment[1], i + r.blockComment[0].length);
      push('comment', e < 0 ? n : e + r.blockComment[1].length);
      continue;
    }
    if (r.tripleQuotes && (text.startsWith('"""', i) || text.startsWith("'''", i))) {
      push('string', stringEnd(i, text.slice(i, i + 3), true));
      continue;
    }
    if (r.lifetimes && c === "'") {
      // 'a' or '\n' is a character; 'a (no closing quote right after) is a lifetime
      const ch = /'(?:\\.[^']*|[^'\\\n])'/y;
      ch.lastIndex = i;
      if (ch.test(text)) { push('string', ch.lastIndex); continue; }
      push('punct', i + 1);
      continue;
    }
    if (r.quotes.includes(c) || r.multilineQuotes.includes(c)) {
      push('string', stringEnd(i, c, r.multilineQuotes.includes(c)));
      continue;
    }
    WORD.lastIndex = i;
    if (WORD.test(text)) {
      const end = WORD.lastIndex;
      const word = text.slice(i, end);
      // a Python string prefix joins its string: f"...", rb'...'
      if (r.stringPrefix && r.stringPrefix.test(word) && (text[end] === '"' || text[end] === "'")) {
        const q = text.startsWith('"""', end) || text.startsWith("'''", end) ? text.slice(end, end + 3) : text[end]!;
        push('string', stringEnd(end, q, q.length === 3));
        continue;
      }
      push('word', end);
      continue;
    }
    NUMBER.lastIndex = i;
    if (/[\d.]/.test(c) && NUMBER.test(text) && NUMBER.lastIndex > i) { push('number', NUMBER.lastIndex); continue; }
    const op = r.operators.find((o) => text.startsWith(o, i));
    push('punct', i + (op ? op.length : 1));
  }
  return out;
}

/** The code tokens of a text as strings (comments and line breaks left out): equal streams mean the same code up to spacing. */
export function tokenStream(text: string, codeType: string): string[] {
  return lex(text, codeType).filter((t) => t.kind !== 'comment' && t.kind !== 'newline').map((t) => t.text);
}
