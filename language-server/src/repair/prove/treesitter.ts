// The fallback: the project's tree-sitter grammar (parsing.ts) for languages whose own parser is not
// installed or not wired up. Its name says "tree-sitter", so a title never claims more than it checked.
import { syntaxIssues, withTree } from '../../parsing';
import { grammarManifest } from '../../grammars';
import { DEFAULT_MAX_CHARS, checkSizes, inBatches, verdict, type Prover, type ProverOptions } from './common';
import type { ParseVerdict } from '../types';

export function treeSitterProver(grammar: string, opts: ProverOptions = {}): Prover | null {
  if (!grammarManifest().grammars[grammar]) return null;
  const name = `tree-sitter ${grammar}`;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  return {
    name,
    kind: 'tree-sitter',
    firstErrorOnly: false,
    precision: 'column',
    async parse(texts, o = {}) {
      checkSizes(texts, maxChars, name);
      return inBatches(texts, o.signal, async (batch) => {
        const out: ParseVerdict[] = [];
        for (const text of batch) {
          const issues = await withTree(grammar, text, syntaxIssues);
          out.push(verdict(issues.map((i) => ({ line: i.start.row, column: i.start.column, message: i.message }))));
        }
        await new Promise((r) => setImmediate(r));
        return out;
      });
    },
  };
}
