// syntax_error: a closing bracket, a colon or a semicolon removed, or a keyword misspelt; the
// diagnostic is the message a compiler / interpreter of that language prints for it (or, for a
// share, tree-sitter's own view: "Syntax error" / "Missing X").
import type { PNode } from './parsers.js';
import { bodyNodes, txt, type Candidate, type MutCtx } from './nodes.js';

const KEYWORDS = new Set(['return', 'while', 'for', 'else', 'elif', 'def', 'function', 'if', 'break', 'continue', 'import', 'yield', 'switch', 'case', 'then', 'done', 'fi', 'end', 'until']);

export type SyntaxKind = 'bracket' | 'colon' | 'semicolon' | 'keyword';

function misspell(word: string, r: number): string {
  if (word.length < 2) return word + word;
  const i = Math.floor(r * (word.length - 1));
  return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
}

export function syntaxError(ctx: MutCtx): Candidate[] {
  const out: Candidate[] = [];
  // `ctx.body` is the body; include the header too (the `:` of `def`)
  const nodes = bodyNodes({ ...ctx, body: ctx.fn });
  for (const n of nodes) {
    if (n.named || n.children.length) continue;
    const t = txt(ctx, n);
    if (t === ')' || t === ']' || t === '}') {
      if (t === '}' && n.parent && /interpolation|template|string/.test(n.parent.type)) continue;
      out.push({ op: `syntax:bracket${t}`, edits: [{ start: n.start, end: n.end, text: '' }] });
    } else if (t === ':' && ctx.grammar === 'python' && n.parent && /definition|statement|clause|else|elif|except|finally|with|for|while|if|try/.test(n.parent.type)) {
      out.push({ op: 'syntax:colon', edits: [{ start: n.start, end: n.end, text: '' }] });
    } else if (t === ';' && n.parent && /statement|declaration|return|break|continue|throw|let/.test(n.parent.type) && !/for/.test(n.parent.type)) {
      out.push({ op: 'syntax:semicolon', edits: [{ start: n.start, end: n.end, text: '' }] });
    } else if (KEYWORDS.has(t) && /^[a-z]+$/.test(t)) {
      out.push({ op: `syntax:keyword_${t}`, edits: [{ start: n.start, end: n.end, text: misspell(t, ctx.rng.next()) }] });
    }
  }
  return out;
}

const PAIR: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** A diagnostic message for a syntax mutant, in the voice of the language's usual tool. */
export function syntaxMessage(grammar: string, op: string, removed: string, inserted: string, next: string, errRoot: PNode | null, src: string, r: number): string {
  const kind: SyntaxKind = op.startsWith('syntax:bracket') ? 'bracket' : op === 'syntax:colon' ? 'colon' : op === 'syntax:semicolon' ? 'semicolon' : 'keyword';
  const nxt = next || 'end of file';
  // half in tree-sitter's own words, as the language server words a syntax issue (its parse of the
  // buffer: "Syntax error: missing ';'" / "Syntax error: unexpected 'x'"), half as a compiler would
  if (r < 0.5 && errRoot) return 'Syntax error: ' + treeSitterMessage(errRoot, src);
  switch (grammar) {
    case 'python':
      if (kind === 'bracket') return `'${PAIR[removed]}' was never closed`;
      if (kind === 'colon') return "expected ':'";
      return 'invalid syntax';
    case 'javascript':
    case 'typescript':
    case 'tsx':
      if (kind === 'keyword') return "';' expected.";
      return `'${removed}' expected.`;
    case 'java':
      if (kind === 'keyword') return 'not a statement';
      return `'${removed}' expected`;
    case 'csharp':
      if (kind === 'keyword') return '; expected';
      return `${removed} expected`;
    case 'c':
    case 'cpp':
      if (kind === 'keyword') return `expected ';' before '${nxt}'`;
      return `expected '${removed}' before '${nxt}' token`;
    case 'go':
      if (kind === 'bracket') return removed === '}' ? "syntax error: unexpected EOF, expected }" : `syntax error: unexpected newline in argument list; possibly missing comma or ${removed}`;
      return `syntax error: unexpected ${nxt} at end of statement`;
    case 'rust':
      if (kind === 'bracket') return 'this file contains an unclosed delimiter';
      if (kind === 'semicolon') return `expected \`;\`, found \`${nxt}\``;
      return `expected one of \`!\`, \`.\`, \`::\`, \`;\`, \`?\`, \`{\`, \`}\`, or an operator, found \`${nxt}\``;
    case 'php':
      return kind === 'keyword' ? `syntax error, unexpected identifier "${nxt}"` : `syntax error, unexpected token "${nxt}", expecting "${removed}"`;
    case 'ruby':
      return kind === 'bracket' ? `syntax error, unexpected end-of-input, expecting '${removed}'` : `syntax error, unexpected local variable or method, expecting end-of-input`;
    case 'shell':
      return kind === 'bracket' ? "syntax error: unexpected end of file" : `syntax error near unexpected token \`${nxt}'`;
    case 'haskell':
      return 'parse error (possibly incorrect indentation or mismatched brackets)';
    default:
      return 'syntax error';
  }
}

/** The token that follows position i in src (for messages like "expected ';' before 'x'"). */
export function nextToken(src: string, i: number): string {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*|\S)/.exec(src.slice(i, i + 80));
  return m ? m[1]! : '';
}

/** First syntax issue of a tree (innermost ERROR or a MISSING node, in document order), described. */
export function treeSitterMessage(root: PNode, src: string): string {
  const issues: PNode[] = [];
  const visit = (n: PNode): boolean => {
    let inner = false;
    for (const c of n.children) {
      if (c.missing) {
        issues.push(c);
        inner = true;
      } else if (c.error || hasErrorBelow(c)) {
        const found = visit(c);
        if (c.type === 'ERROR' && !found) issues.push(c);
        inner = true;
      }
    }
    return inner;
  };
  visit(root);
  issues.sort((a, b) => a.start - b.start || a.end - b.end);
  const n = issues[0];
  if (!n) return 'syntax error';
  if (n.missing) return n.named ? `missing ${n.type}` : `missing '${n.type}'`;
  const first = n.children[0] ?? n;
  const text = src.slice(first.start, first.end).split('\n')[0]!.trim();
  if (!text) return 'syntax error';
  return `unexpected '${text.length > 30 ? text.slice(0, 30) + '…' : text}'`;
}

function hasErrorBelow(n: PNode): boolean {
  for (const c of n.children) if (c.error || hasErrorBelow(c)) return true;
  return false;
}
