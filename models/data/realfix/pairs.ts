// Function pairs of one source file in two releases: the functions (found by the product's analysis,
// language-server/src/context.ts) whose text changed by a small edit -- one hunk of 1-3 lines, in a
// function of at most 40 lines, that changes code (not only spacing, comments or a version string).
// The innermost function around the hunk is the one kept, as functionTarget would pick it.
import { analyze, type Analysis } from '../../../language-server/src/context';
import { languageOrThrow } from '../../../language-server/src/engine';
import { codeTokens } from '../../../eval/suites/ranking';
import { createHash } from 'node:crypto';
import { isContaminated, type DecontamIndex } from '../corpus/decontaminate';
import { contentFilter, pathFilter } from '../corpus/filters';
import { sameSyntaxTree } from './same-tree';
import type { Limits } from '../corpus/types';

/** The editor's language id of a source path, or null (not JavaScript/TypeScript, or a declaration file). */
export function languageOfPath(path: string): 'javascript' | 'typescript' | null {
  if (/\.d\.[cm]?ts$/.test(path)) return null;
  if (/\.(?:[cm]?js|jsx)$/.test(path)) return 'javascript';
  if (/\.(?:[cm]?ts|tsx)$/.test(path)) return 'typescript';
  return null;
}

export const isTestPath = (path: string): boolean => /(?:^|\/)(?:tests?|__tests__|spec|specs)\//.test(path) || /[.-](?:test|spec)\.[cm]?[jt]sx?$/.test(path);

/** Why a changed file is not diffed (the corpus's path and content rules), or null. */
export function fileSkipReason(path: string, text: string, limits: Limits): string | null {
  const lang = languageOfPath(path);
  if (!lang) return 'not_source';
  return pathFilter(path, 'npm') ?? contentFilter(text, lang, limits);
}

export interface FunctionPair {
  /** 0-based lines of the function in the old file. */
  startLine: number;
  endLine: number;
  /** 0-based line of the old file where the hunk starts (for a pure insertion: the line it goes before). */
  hunkLine: number;
  /** Lines of the hunk removed from / added to the function. */
  removed: number;
  added: number;
  before: string;
  after: string;
}

export interface PairLimits { maxFunctionLines: number; maxHunkLines: number; maxLineChars: number }
export const DEFAULT_PAIR_LIMITS: PairLimits = { maxFunctionLines: 40, maxHunkLines: 3, maxLineChars: 500 };

/** The one hunk between two line lists: common leading and trailing lines left aside. */
export function hunkOf(a: readonly string[], b: readonly string[]): { prefix: number; removed: number; added: number } {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return { prefix: p, removed: a.length - p - s, added: b.length - p - s };
}

/** A release number in a changed line (a version banner bumped), normalised away. */
const versionless = (l: string) => l.replace(/\d+\.\d+\.\d+(?:[-+][\w.]+)?/g, 'V');

/** Functions keyed by their header line (trimmed) and its occurrence: the same function in both releases. */
function keyed(a: Analysis): Map<string, { startLine: number; endLine: number }> {
  const seen = new Map<string, number>();
  const out = new Map<string, { startLine: number; endLine: number }>();
  for (const f of [...a.functions].sort((x, y) => x.startLine - y.startLine || y.endLine - x.endLine)) {
    // the header: the first line that is not an annotation, decorator, attribute or comment
    let h = f.startLine;
    while (h < f.endLine && /^(?:@|#\[|\/\/|\/\*|\*)/.test(a.lines[h]!.trim())) h++;
    const head = a.lines[h]!.trim();
    const n = seen.get(head) ?? 0;
    seen.set(head, n + 1);
    out.set(`${n}\u0001${head}`, { startLine: f.startLine, endLine: f.endLine });
  }
  return out;
}

/** Why a changed function is not kept as a small edit, or null (kept). Exposed for the counts. */
export function smallEditReason(before: readonly string[], after: readonly string[], codeType: string, lim: PairLimits = DEFAULT_PAIR_LIMITS, path = 'f.js'): string | null {
  if (before.length > lim.maxFunctionLines || after.length > lim.maxFunctionLines) return 'long_function';
  const h = hunkOf(before, after);
  if (Math.max(h.removed, h.added) > lim.maxHunkLines) return 'big_edit';
  if (before.some((l) => l.length > lim.maxLineChars) || after.some((l) => l.length > lim.maxLineChars)) return 'long_line';
  const gone = before.slice(h.prefix, h.prefix + h.removed);
  const came = after.slice(h.prefix, h.prefix + h.added);
  if (gone.map(versionless).join('\n') === came.map(versionless).join('\n')) return 'version_string';
  if (codeTokens(before.join('\n'), codeType) === codeTokens(after.join('\n'), codeType)) return 'layout_or_comment';
  // a formatter's edit (quotes, redundant parentheses, trailing commas, semicolons) fixes nothing
  if ((codeType === 'javascript' || codeType === 'typescript') && sameSyntaxTree(before.join('\n'), after.join('\n'), path)) return 'formatting';
  return null;
}

/**
 * The small-edit function pairs between two releases of one file, and the count of changed functions
 * and why the others were left out (`reasons`).
 */
export async function functionPairs(oldText: string, newText: string, languageId: string, reasons: Record<string, number> = {}, lim: PairLimits = DEFAULT_PAIR_LIMITS, path?: string): Promise<FunctionPair[]> {
  if (oldText === newText) return [];
  const lang = languageOrThrow(languageId);
  const [a, b] = [await analyze(oldText, lang), await analyze(newText, lang)];
  const after = keyed(b);
  const byHunk = new Map<string, FunctionPair>();
  for (const [key, f] of keyed(a)) {
    const g = after.get(key);
    if (!g) continue;
    const bl = a.lines.slice(f.startLine, f.endLine + 1);
    const al = b.lines.slice(g.startLine, g.endLine + 1);
    if (bl.join('\n') === al.join('\n')) continue;
    const h = hunkOf(bl, al);
    const pair: FunctionPair = { startLine: f.startLine, endLine: f.endLine, hunkLine: f.startLine + h.prefix, removed: h.removed, added: h.added, before: bl.join('\n'), after: al.join('\n') };
    // an inner function's change is its outer function's too: keep the innermost around the same hunk
    const at = `${pair.hunkLine}:${h.removed}:${h.added}`;
    const prev = byHunk.get(at);
    if (!prev || pair.endLine - pair.startLine < prev.endLine - prev.startLine) byHunk.set(at, pair);
  }
  const out: FunctionPair[] = [];
  for (const p of byHunk.values()) {
    reasons.changed = (reasons.changed ?? 0) + 1;
    const why = smallEditReason(p.before.split('\n'), p.after.split('\n'), lang.codeType, lim, path);
    if (why) { reasons[why] = (reasons[why] ?? 0) + 1; continue; }
    out.push(p);
  }
  return out.sort((x, y) => x.startLine - y.startLine);
}

/**
 * The gate every source's pairs pass (npm and Debian alike): a (before, after) text seen before is a
 * duplicate, one that shares an n-gram with HumanEvalPack is dropped; both counted in `counts`.
 */
export function pairGate(decontam: DecontamIndex, counts: { duplicates: number; decontaminated: number }): (p: Pick<FunctionPair, 'before' | 'after'>) => boolean {
  const seen = new Set<string>();
  return (p) => {
    const key = createHash('sha1').update(p.before).update('\0').update(p.after).digest('hex');
    if (seen.has(key)) { counts.duplicates++; return false; }
    seen.add(key);
    if (isContaminated(p.before, decontam) || isContaminated(p.after, decontam)) { counts.decontaminated++; return false; }
    return true;
  };
}
