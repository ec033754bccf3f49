// CodeFix examples: the whole function with one injected bug -> the whole original function,
// with or without its docstring / doc comment.
import type { Parser } from 'web-tree-sitter';
import type { FnInfo } from './functions.js';
import { withoutDocstring } from './explanation.js';
import { allCandidates, mutate, prepare, type Prepared } from './mutate.js';
import type { Rng } from './rng.js';
import type { Settings } from './settings.js';

export interface FixPair { code: string; answer: string; diagnostic?: string; errorType: string; op: string; withDoc: boolean }

/** Error classes in the order to try: one drawn by weight first, then the rest by weight. */
export function errorTypeOrder(rng: Rng, weights: Record<string, number>): string[] {
  const names = Object.keys(weights);
  const ws = names.map((n) => weights[n]!);
  const out: string[] = [];
  while (out.length < names.length) {
    const i = rng.weighted(ws);
    if (i < 0) break;
    out.push(names[i]!);
    ws[i] = 0;
  }
  return out;
}

export function fixable(info: FnInfo, s: Settings): boolean {
  const lines = info.text.split('\n').length;
  return lines >= s.fix.minLines && lines <= s.fix.maxLines && info.text.length <= s.fix.maxChars;
}

/** Weight of a function for CodeFix: HumanEval-sized (preferredLines) functions first. */
export function fixWeight(info: FnInfo, s: Settings): number {
  const lines = info.text.split('\n').length;
  const [lo, hi] = s.fix.preferredLines;
  return lines >= lo && lines <= hi ? 1 : 0.25;
}

export function makeFix(parser: Parser, info: FnInfo, rng: Rng, s: Settings, forceType?: string): FixPair | null {
  const withDoc = rng.chance(s.fix.docShare);
  let text = info.text;
  let prefix = '';
  if (info.span.grammar === 'python') {
    if (info.docstring && !withDoc) {
      const t = withoutDocstring(info);
      if (t !== null) text = t;
    }
  } else if (withDoc && info.commentText) prefix = info.commentText + '\n';
  const p = text === info.text ? fromInfo(info) : prepare(parser, info.span.grammar, info.span.nodeType, text, info.span.start - info.span.regionStart);
  if (!p) return null;
  const cands = allCandidates(p, rng);
  let order: string[];
  if (forceType) order = [forceType];
  else {
    // a function with next to nothing to break (only its brackets) is not a CodeFix example
    const usable = Object.keys(cands).filter((k) => cands[k]!.length > 0);
    if (usable.filter((k) => k !== 'syntax_error').length < s.fix.minBugClasses) return null;
    // classes that apply to few functions are drawn more often when they do apply, so that the
    // shares come out near errorTypeWeights
    const w: Record<string, number> = {};
    for (const k of usable) w[k] = (s.fix.errorTypeWeights[k] ?? 0) / Math.max(0.02, s.fix.applicability[k] ?? 1);
    order = errorTypeOrder(rng, w).slice(0, 4);
  }
  for (const et of order) {
    const m = mutate(parser, p, et, rng, 12, cands[et]);
    if (!m) continue;
    const code = prefix + m.code;
    const answer = prefix + text;
    if (code.length + answer.length > s.maxExampleChars) return null;
    return { code, answer, diagnostic: m.diagnostic, errorType: et, op: m.op, withDoc: withDoc && (prefix !== '' || (!!info.docstring && text === info.text)) };
  }
  return null;
}

/** The analysis' own parse, reused when the function text is unchanged. */
function fromInfo(info: FnInfo): Prepared {
  const off = info.sa.offset;
  const body = info.bodyNode ?? (info.span.grammar === 'haskell' ? info.node.children.find((c) => c.field === 'match') : undefined) ?? info.node;
  return {
    grammar: info.span.grammar,
    nodeType: info.span.nodeType,
    text: info.text,
    src: info.sa.text,
    offset: off,
    root: info.sa.root,
    fn: info.node,
    body,
    protect: info.docstring ? [[info.docstring.start + off, info.docstring.end + off]] : [],
  };
}
