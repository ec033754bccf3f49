// Mutant schemata (one build for many candidates): the function under repair is written once per
// candidate inside one body, and an environment variable picks the variant at run time. A compiled
// language then pays for one build instead of one per candidate (Untch et al. 1993; the "meta-mutant"
// of mutation testing). Only the text is made here; tests/screen.ts builds and runs it.
//   go    switch treasure_os.Getenv("TREASURE_VARIANT") { case "1": { body } ... } (+ panic when it returns a value)
//   rust  match std::env::var("TREASURE_VARIANT").as_deref() { Ok("1") => { body } ... _ => unreachable!() }
//   java  if ("1".equals(System.getenv("TREASURE_VARIANT"))) { body } else if ... (+ throw when it returns a value)
//   cpp   the same chain with std::getenv (+ __builtin_unreachable when it returns a value)
// A candidate whose change reaches outside the body (its signature, another function) is left out: it is
// proven the usual way. Variant 0 is the original body, so a screen can check the schema fails as the
// original does.

import { lex } from '../lex';
import { lineStarts } from '../text';

export type SchemaLanguage = 'go' | 'rust' | 'java' | 'cpp';

export const VARIANT_ENV = 'TREASURE_VARIANT';

export interface SchemaVariant {
  /** The value of TREASURE_VARIANT that selects it (0: the original). */
  id: number;
  /** Index in the candidates given to buildSchema (-1: the original). */
  candidate: number;
  /** 1-based lines of the schema text that hold this variant's body. */
  fromLine: number;
  toLine: number;
}

export interface Schema {
  text: string;
  variants: SchemaVariant[];
  /** Candidates that change more than the body (never in the schema). */
  outside: number[];
}

/** Offsets of a function body's braces: `open` at its `{`, `close` at its `}`; `from`: the function's first line. */
export interface BodySpan {
  from: number;
  open: number;
  close: number;
}

/**
 * The body of the function written on lines fromLine..toLine (1-based): its first `{` outside
 * parentheses, brackets, strings and comments (Go's `interface{`/`struct{` are types, not the body),
 * and the last `}` of the region.
 */
export function findBody(text: string, fromLine: number, toLine: number, lang: SchemaLanguage): BodySpan | undefined {
  const starts = lineStarts(text);
  const start = starts[fromLine - 1] ?? text.length;
  const endLine = starts[toLine] ?? text.length;
  const close = text.lastIndexOf('}', endLine - 1);
  if (close < start || text.slice(close + 1, endLine).trim() !== '') return undefined;
  const toks = lex(text.slice(start, close), lang);
  let depth = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    else if (t.text === '{' && depth === 0) {
      const before = toks.slice(0, k).reverse().find((x) => x.kind !== 'comment' && x.kind !== 'newline');
      if (lang === 'go' && before?.kind === 'word' && (before.text === 'interface' || before.text === 'struct')) {
        // a type's braces: skip the group
        for (let d = 1; d > 0 && ++k < toks.length; ) d += toks[k]!.text === '{' ? 1 : toks[k]!.text === '}' ? -1 : 0;
        continue;
      }
      return { from: start, open: start + t.start, close };
    }
  }
  return undefined;
}

/** Whether the function returns a value (the code after a schema's dispatch must then not fall off the end). */
export function returnsValue(declaration: string, lang: SchemaLanguage): boolean {
  const decl = declaration.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  switch (lang) {
    case 'rust':
      return /->/.test(decl);
    case 'go': {
      // func [(recv)] name[[T ...]](params) RESULTS {
      let i = decl.search(/\bfunc\b/);
      if (i < 0) return true;
      i += 4;
      const skipGroup = (open: string, close: string) => {
        while (/\s/.test(decl[i] ?? '')) i++;
        if (decl[i] !== open) return false;
        let d = 0;
        for (; i < decl.length; i++) {
          if (decl[i] === open) d++;
          else if (decl[i] === close && --d === 0) { i++; return true; }
        }
        return false;
      };
      skipGroup('(', ')'); // a receiver
      while (/\s/.test(decl[i] ?? '')) i++;
      while (/[\w]/.test(decl[i] ?? '')) i++;
      skipGroup('[', ']'); // type parameters
      if (!skipGroup('(', ')')) return true;
      return decl.slice(i).trim() !== '';
    }
    case 'java':
    case 'cpp': {
      const name = decl.match(/([\w$~:]+)\s*\(/);
      if (!name) return true;
      const before = decl.slice(0, name.index);
      if (/\bvoid\s*$/.test(before)) return false;
      // a constructor (no return type): the word before its name is a modifier, or nothing
      return !/^(\s*(public|private|protected|static|final|inline|explicit|constexpr|virtual)\b)*\s*$/.test(before.replace(/@\w+(\([^)]*\))?/g, ''));
    }
  }
}

function dispatch(lang: SchemaLanguage, bodies: { id: number; body: string }[], returns: boolean): { head: string; arms: string[]; tail: string } {
  switch (lang) {
    case 'go':
      return {
        head: `\n\tswitch treasure_os.Getenv("${VARIANT_ENV}") {\n`,
        arms: bodies.map((b) => `\tcase "${b.id}":\n\t\t{${b.body}}\n`),
        tail: `\t}\n${returns ? '\tpanic("treasure: no such variant")\n' : ''}`,
      };
    case 'rust':
      return {
        head: `\n    match std::env::var("${VARIANT_ENV}").as_deref() {\n`,
        arms: bodies.map((b) => `        Ok("${b.id}") => {${b.body}}\n`),
        tail: '        _ => unreachable!("treasure: no such variant"),\n    }\n',
      };
    case 'java':
      return {
        head: '\n',
        arms: bodies.map((b, k) => `        ${k ? 'else ' : ''}if ("${b.id}".equals(System.getenv("${VARIANT_ENV}"))) {${b.body}}\n`),
        tail: returns ? '        throw new IllegalStateException("treasure: no such variant");\n' : '',
      };
    case 'cpp':
      return {
        head: `\n    const char* treasure_variant = std::getenv("${VARIANT_ENV}");\n`,
        arms: bodies.map((b, k) => `    ${k ? 'else ' : ''}if (treasure_variant && std::string(treasure_variant) == "${b.id}") {${b.body}}\n`),
        tail: returns ? '    __builtin_unreachable();\n' : '',
      };
  }
}

/** What the file needs for the dispatch (an import, an include), placed where it does not move the function. */
function withPrelude(text: string, lang: SchemaLanguage): string | undefined {
  if (lang === 'go') {
    const m = /^package\s+\w+[^\n]*\n/m.exec(text);
    if (!m) return undefined;
    const at = m.index + m[0].length;
    return `${text.slice(0, at)}import treasure_os "os"\n${text.slice(at)}`;
  }
  if (lang === 'cpp') return `#include <cstdlib>\n#include <string>\n${text}`;
  return text;
}

/**
 * One text holding the original body (variant 0) and each candidate's (1, 2, ...), for the function on
 * lines fromLine..toLine of `original`. Undefined when the body cannot be found or no candidate fits.
 */
export function buildSchema(lang: SchemaLanguage, original: string, candidates: readonly string[], fromLine: number, toLine: number): Schema | undefined {
  const span = findBody(original, fromLine, toLine, lang);
  if (!span) return undefined;
  const head = original.slice(0, span.open + 1);
  const foot = original.slice(span.close);
  const bodies: { id: number; candidate: number; body: string }[] = [{ id: 0, candidate: -1, body: original.slice(span.open + 1, span.close) }];
  const outside: number[] = [];
  candidates.forEach((c, k) => {
    if (c.length > head.length + foot.length && c.startsWith(head) && c.endsWith(foot)) {
      bodies.push({ id: bodies.length, candidate: k, body: c.slice(head.length, c.length - foot.length) });
    } else outside.push(k);
  });
  if (bodies.length < 2) return undefined;
  const declaration = original.slice(span.from, span.open);
  const d = dispatch(lang, bodies, returnsValue(declaration, lang));
  const prelude = withPrelude(head, lang);
  if (prelude === undefined) return undefined;
  let text = prelude + d.head;
  let line = text.split('\n').length; // the line the first arm starts on
  const variants: SchemaVariant[] = [];
  bodies.forEach((b, k) => {
    const arm = d.arms[k]!;
    const lines = arm.split('\n').length - 1; // every arm ends with a newline
    variants.push({ id: b.id, candidate: b.candidate, fromLine: line, toLine: line + lines - 1 });
    text += arm;
    line += lines;
  });
  text += d.tail + foot;
  return { text, variants, outside };
}

/** The variants that a compiler's error lines (1-based) fall in; `stray`: errors in no variant (the schema itself, or other code). */
export function variantsAt(schema: Schema, lines: number[]): { ids: Set<number>; stray: number[] } {
  const ids = new Set<number>();
  const stray: number[] = [];
  for (const l of lines) {
    const v = schema.variants.find((x) => l >= x.fromLine && l <= x.toLine);
    if (v) ids.add(v.id);
    else stray.push(l);
  }
  return { ids, stray };
}
