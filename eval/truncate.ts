// Where a generated continuation of a HumanEval prompt ends: the function the prompt opened is closed.
// python: the first non-blank line back at column 0 ends the body.
// brace languages: the braces the prompt left open are closed (strings, chars and comments skipped).
import { braceScan as scanBraces } from '../language-server/src/blocks';
import { LANGUAGE_ID, type HepLanguage } from './humanevalpack.js';

/** Net `{` minus `}` of code, outside strings and comments (the language server's scanner, language-server/src/blocks.ts). */
export function braceScan(lang: HepLanguage, code: string, startDepth = 0, stopAt?: number): { depth: number; at?: number } {
  return scanBraces(LANGUAGE_ID[lang], code, startDepth, stopAt);
}

export interface Truncated { text: string; truncated: boolean }

/** The part of `generated` (a continuation of `prompt`) that completes the prompt's function. */
export function truncateGeneration(lang: HepLanguage, prompt: string, generated: string): Truncated {
  if (lang === 'python') {
    const lines = generated.split('\n');
    // The prompt may end mid-line; the first line continues it.
    for (let k = 1; k < lines.length; k++) {
      const l = lines[k]!;
      if (l.trim() !== '' && !/^\s/.test(l)) {
        return { text: lines.slice(0, k).join('\n') + '\n', truncated: true };
      }
    }
    return { text: generated, truncated: false };
  }
  const open = braceScan(lang, prompt).depth;
  if (open <= 0) return { text: generated, truncated: false };
  const r = braceScan(lang, generated, open, 0);
  if (r.at === undefined) return { text: generated, truncated: false };
  // Helper functions written after the function are kept (canonical solutions do this: Go/72, Rust/145);
  // anything else (a main, tests, top-level statements) ends the answer.
  let end = r.at;
  for (;;) {
    const rest = generated.slice(end);
    const lead = /^(?:\s|\/\/[^\n]*\n)*/.exec(rest)![0].length;
    const item = rest.slice(lead);
    if (!HELPER_HEAD[lang]?.test(item)) break;
    const b = braceScan(lang, item, 0, 0);
    const semi = item.indexOf(';');
    if (b.at === undefined || (semi >= 0 && semi < item.indexOf('{'))) break;
    end += lead + b.at;
  }
  const rest = generated.slice(end);
  return { text: generated.slice(0, end) + '\n', truncated: rest.trim() !== '' };
}

/** The start of a top-level helper definition with a braced body, per language (never main or a test). */
const HELPER_HEAD: Partial<Record<HepLanguage, RegExp>> = {
  go: /^(?:func\s+(?!main\b|Test)\w+\s*\(|func\s*\([^)]*\)\s*\w+\s*\(|type\s+\w+\s+(?:struct|interface)\b)/,
  rust: /^(?:#\[(?!cfg\(test\)|test\b)[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?(?:fn\s+(?!main\b)\w+|enum\s+\w+|struct\s+\w+\s*(?:<[^>]*>)?\s*\{|impl\b)/,
  cpp: /^(?:template\s*<[^>]*>\s*)?(?!int\s+main\b)[A-Za-z_][\w:<>,*&\s]*?\b(?!main\b|if\b|for\b|while\b|switch\b)\w+\s*\([^;{)]*\)\s*(?:const\s*)?\{/,
  js: /^(?:function\s+(?!test)\w+\s*\(|const\s+(?!test)\w+\s*=\s*(?:\([^)]*\)|\w+)\s*=>\s*\{)/,
};

/** Lines of an answer as length_lines counts them: trailing line breaks ignored, blank lines inside counted. */
export function answerLines(text: string): number {
  const t = text.replace(/^\n+/, '').replace(/\s+$/, '');
  return t === '' ? 0 : t.split('\n').length;
}
