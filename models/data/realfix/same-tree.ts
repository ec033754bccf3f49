// Is a JavaScript/TypeScript edit only a reformat? The two texts' syntax trees (the typescript package's
// parser) compared without what a formatter changes: parentheses the precedence already implies, quote
// style, trailing commas and semicolons, spacing, comments. `a + (b / c)` -> `a + b / c` is the same
// tree; `(a + b) * c` -> `a + b * c` is not.
import ts from 'typescript';

function shape(node: ts.Node, sf: ts.SourceFile, out: string[]): void {
  if (ts.isParenthesizedExpression(node)) { shape(node.expression, sf, out); return; }
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) { out.push(`s:${node.text}`); return; }
  if (ts.isNumericLiteral(node)) { out.push(`n:${Number(node.text)}`); return; }
  const kids = node.getChildren(sf).filter((k) => k.kind !== ts.SyntaxKind.SemicolonToken && k.kind !== ts.SyntaxKind.CommaToken);
  if (kids.length === 0) { out.push(node.getText(sf)); return; }
  out.push(`(${node.kind}`);
  for (const k of kids) shape(k, sf, out);
  out.push(')');
}

/** The tree of a function's text: parsed alone, or as a class member where alone it does not parse (a method). */
function treeOf(text: string, tsx: boolean): string {
  const kind = tsx ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  let sf = ts.createSourceFile('f.ts', text, ts.ScriptTarget.Latest, true, kind);
  const diags = (s: ts.SourceFile) => ((s as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? []).length;
  if (diags(sf)) {
    const member = ts.createSourceFile('f.ts', `class C {\n${text}\n}`, ts.ScriptTarget.Latest, true, kind);
    if (diags(member) < diags(sf)) sf = member;
  }
  const out: string[] = [];
  shape(sf, sf, out);
  return out.join(' ');
}

/** True when `before` and `after` differ only as a formatter would change them. */
export function sameSyntaxTree(before: string, after: string, path = 'f.js'): boolean {
  const tsx = /\.[jt]sx$/.test(path);
  return treeOf(before, tsx) === treeOf(after, tsx);
}
