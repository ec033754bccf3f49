// The shape of the product's code (issue #27's figures): the longest functions and files of
// language-server/ and extension/, and a walk of the import graph from an entry file (how many files a
// request's code reaches, and how many of them it reaches again by another import).
//   node scripts/code-shape.mjs [--top N] [--walk FILE]...
// Reads the sources with the TypeScript compiler API (node_modules/typescript); writes nothing.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const top = Number(args[args.indexOf('--top') + 1]) || 10;
const walks = args.flatMap((a, i) => (a === '--walk' ? [args[i + 1]] : []));
if (walks.length === 0) walks.push('language-server/src/server.ts', 'language-server/src/engine.ts');

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'node_modules') out.push(...sources(p)); }
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const files = ['language-server', 'extension'].flatMap((d) => sources(join(root, d)));
const fileRows = [];
const fnRows = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const rel = relative(root, file);
  fileRows.push({ rel, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) });
  const lineOf = (pos) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const nameOf = (n) => {
    if (n.name && ts.isIdentifier(n.name)) return n.name.text;
    if (ts.isConstructorDeclaration(n)) return 'constructor';
    const p = n.parent;
    if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
    if (p && ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
    if (p && ts.isCallExpression(p)) return `(callback of ${p.expression.getText(sf).slice(0, 40)})`;
    return '(anonymous)';
  };
  const visit = (n) => {
    if (ts.isFunctionLike(n) && n.body) {
      const start = lineOf(n.getStart(sf));
      const end = lineOf(n.end);
      fnRows.push({ rel, name: nameOf(n), start, lines: end - start + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
fileRows.sort((a, b) => b.lines - a.lines);
fnRows.sort((a, b) => b.lines - a.lines);
console.log(`files: ${fileRows.length}; functions: ${fnRows.length}`);
console.log(`files over 400 lines: ${fileRows.filter((f) => f.lines > 400).length}; functions over 120 lines: ${fnRows.filter((f) => f.lines > 120).length}`);
console.log(`\nlongest files:`);
for (const f of fileRows.slice(0, top)) console.log(`  ${String(f.lines).padStart(5)}  ${f.rel}`);
console.log(`\nlongest functions:`);
for (const f of fnRows.slice(0, top)) console.log(`  ${String(f.lines).padStart(5)}  ${f.rel}:${f.start} ${f.name}`);

// ---- the import walk ----------------------------------------------------------------------------
/** Relative imports of a file (static `import`/`export ... from`, and `import('...')`), resolved to .ts files; type-only imports left out. */
function importsOf(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = [];
  const add = (spec) => {
    if (!spec.startsWith('.')) return;
    const base = resolve(dirname(file), spec);
    const hit = [`${base}.ts`, join(base, 'index.ts'), base].find((p) => existsSync(p) && statSync(p).isFile());
    if (hit) out.push(hit);
  };
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s) && !s.importClause?.isTypeOnly && ts.isStringLiteral(s.moduleSpecifier)) {
      const nb = s.importClause?.namedBindings;
      const allTypes = nb && ts.isNamedImports(nb) && !s.importClause?.name && nb.elements.length > 0 && nb.elements.every((e) => e.isTypeOnly);
      if (!allTypes) add(s.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(s) && !s.isTypeOnly && s.moduleSpecifier && ts.isStringLiteral(s.moduleSpecifier)) add(s.moduleSpecifier.text);
  }
  const dyn = (n) => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) add(n.arguments[0].text);
    ts.forEachChild(n, dyn);
  };
  dyn(sf);
  return out;
}

for (const entry of walks) {
  // every import edge followed once per file that imports it: a file reached by a second edge is revisited
  const reached = new Map();
  const todo = [resolve(root, entry)];
  reached.set(todo[0], 1);
  while (todo.length) {
    const f = todo.pop();
    for (const g of importsOf(f)) {
      const n = (reached.get(g) ?? 0) + 1;
      reached.set(g, n);
      if (n === 1) todo.push(g);
    }
  }
  const again = [...reached.values()].filter((n) => n > 1).length;
  const edges = [...reached.values()].reduce((s, n) => s + n, 0) - 1;
  console.log(`\nwalk from ${entry}: ${reached.size} files, ${edges} import edges, ${again} files reached again by another import`);
}
