// Where generated code has finished what its prompt asked for, so that Generate Code stops there
// instead of writing on (a small model readily starts the next function, or a test, after the one asked for):
// - python: a body was written (lines indented past the prompt's block) and a line comes back out of it;
// - brace languages: the braces the prompt left open are all closed, or, at top level, a block was
//   opened and closed again.
// The evaluation's truncation of HumanEval continuations (eval/truncate.ts) uses the same scanner.

/** code_type values with a brace scanner (strings, chars and comments skipped). */
const BRACE_LANGUAGES = new Set(['javascript', 'typescript', 'java', 'go', 'rust', 'c', 'cpp', 'csharp', 'php']);
const BACKTICK_STRINGS = new Set(['javascript', 'typescript', 'go']);
const HASH_COMMENTS = new Set(['python', 'php']);

/**
 * Net `{` minus `}` of code in a language (a code_type), outside strings and comments, from `startDepth`;
 * with `stopAt`, `at` is the index just after the `}` that brought the depth down to it; with `lineEnd`,
 * called at each line break outside strings and block comments with the depth there, `at` is the index
 * just after the first line break it returns true for.
 */
export function braceScan(codeType: string, code: string, startDepth = 0, stopAt?: number, lineEnd?: (depth: number) => boolean): { depth: number; at?: number } {
  let depth = startDepth;
  let i = 0;
  const n = code.length;
  while (i < n) {
    const c = code[i]!;
    const d = code[i + 1];
    if (c === '/' && d === '/') { while (i < n && code[i] !== '\n') i++; continue; }
    if (c === '/' && d === '*') { const e = code.indexOf('*/', i + 2); i = e < 0 ? n : e + 2; continue; }
    if (c === '"' || (c === '`' && BACKTICK_STRINGS.has(codeType))) {
      const q = c;
      i++;
      while (i < n && code[i] !== q) { if (code[i] === '\\' && q !== '`') i++; if (code[i] === '\n' && q === '"' && codeType !== 'rust') break; i++; }
      i++;
      continue;
    }
    if (c === "'") {
      if (codeType === 'rust') {
        // char literal ('x', '\n', '\u{1F600}') or a lifetime ('a): only the former is skipped
        const m = /^'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'/.exec(code.slice(i, i + 12));
        if (m) { i += m[0].length; continue; }
        i++;
        continue;
      }
      i++;
      while (i < n && code[i] !== "'" && code[i] !== '\n') { if (code[i] === '\\') i++; i++; }
      i++;
      continue;
    }
    if (c === '#' && HASH_COMMENTS.has(codeType)) { while (i < n && code[i] !== '\n') i++; continue; }
    if (c === '\n' && lineEnd?.(depth)) return { depth, at: i + 1 };
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (stopAt !== undefined && depth === stopAt) return { depth, at: i + 1 };
    }
    i++;
  }
  return { depth };
}

/** The start of the first complete non-blank line of text that `ends` says is past the answer. */
function firstLine(text: string, ends: (line: string) => boolean): number | undefined {
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    const line = text.slice(start, nl);
    if (line.trim() !== '' && ends(line)) return start;
    start = nl + 1;
  }
  return undefined;
}

const indentOf = (line: string) => /^[ \t]*/.exec(line)![0].replace(/\t/g, '    ').length;

/**
 * A function of the generated text (complete lines only) that says where the answer should end: the
 * length of the text to keep, or undefined while it should go on. Undefined for languages without a rule.
 */
export function blockEndRule(codeType: string, prompt: string): ((text: string) => number | undefined) | undefined {
  if (codeType === 'python') {
    const lines = prompt.split('\n').filter((l) => l.trim() !== '');
    const last = lines.at(-1) ?? '';
    // the innermost def/class the prompt ends in: only deeper lines follow its header
    let enclosing: { indent: number; isDef: boolean } | undefined;
    for (let k = lines.length - 1; k >= 0; k--) {
      const m = /^\s*(async\s+def|def|class)\b/.exec(lines[k]!);
      const ind = indentOf(lines[k]!);
      if (m && lines.slice(k + 1).every((x) => indentOf(x) > ind)) { enclosing = { indent: ind, isDef: m[1] !== 'class' }; break; }
      if (ind === 0) break;
    }
    let base: number;
    let body: boolean; // the answer's own block has started: a line back at `base` ends it
    if (/^\s*#/.test(last)) {
      // a request comment: its level is the answer's; inside a function the answer is statements
      // (it ends when the function does), elsewhere one definition (it ends with that definition)
      base = indentOf(last);
      if (enclosing?.isDef) return (text) => firstLine(text, (l) => indentOf(l) < base);
      body = false;
    } else if (enclosing) {
      base = enclosing.indent; // a signature or a docstring: the body is being written
      body = true;
    } else return undefined; // plain continuation of top-level code: no block to finish
    return (text) => {
      let inBody = body;
      return firstLine(text, (l) => {
        const ind = indentOf(l);
        if (ind > base) { inBody = true; return false; }
        return ind < base || inBody;
      });
    };
  }
  if (!BRACE_LANGUAGES.has(codeType)) return undefined;
  const open = Math.max(0, braceScan(codeType, prompt).depth);
  return (text) => {
    // the depth at each line end; a block counts once it spans lines (`import { a } from 'b'` does not)
    let opened = open > 0;
    return braceScan(codeType, text, open, undefined, (depth) => {
      if (depth > 0) opened = true;
      return depth <= 0 && opened; // the line that closes the block is kept whole
    }).at;
  };
}
