// Where the syntax search (syntax.ts) puts tree-sitter in front of the language's own parser, and how.
// The language's parser stays the only proof; tree-sitter only keeps candidates away from it.
//  - slow parsers (g++/gcc, rustfmt: 10-50 files a second) prove only the first few the screen passes
//    per stage (slowProve);
//  - the others prove every candidate the screen passes, and when that finds nothing, also what it kept
//    out (rescue): a candidate tree-sitter wrongly rejects is still found where it is the only one.
// Per language, on the syntax suite (eval/syntax-screen-audit.ts): how often the screen keeps out a
// candidate the parser accepts, and whether that ever cost an equal-to-original fix.

export interface ScreenPolicy {
  /** Candidates the slow parser proves per stage, of those the screen passes (best prior first). */
  slowProve: number;
  /** When the screened stages find nothing, the slow parser reads what the screen kept out. */
  rescue: boolean;
  /** The order the screen reads a stage in: by prior, or (where the parser proves only the first few it
   * passes) by the ranking's cheap terms, so that the few are the likeliest to be offered. */
  order: 'prior' | 'cheap';
}

const FEW: ScreenPolicy = { slowProve: 16, rescue: false, order: 'cheap' };
const ALL: ScreenPolicy = { slowProve: Infinity, rescue: true, order: 'prior' };

const POLICY: Record<string, ScreenPolicy> = {
  c: FEW,
  cpp: FEW,
  rust: FEW,
  go: ALL,
  java: ALL,
  typescript: ALL,
  javascript: ALL,
  python: ALL,
};

/** Studies (eval/syntax-study.ts --no-screen L,L): languages whose parser reads every candidate itself. */
export const screenStudy: { off?: string[] } = {};

/** The screen's policy for a code_type's native parser, or undefined (no screen: the parser reads every candidate). */
export function screenPolicy(codeType: string): ScreenPolicy | undefined {
  if (screenStudy.off?.includes(codeType)) return undefined;
  return POLICY[codeType];
}
