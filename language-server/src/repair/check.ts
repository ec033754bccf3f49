// The model-answer check: an answer for a target becomes a minimal edit of the document only when it
// changes code and adds no syntax error (tree-sitter), and a syntax fix removes errors in its region.
import { analyze, type Analysis, type FixTarget } from '../context';
import { applyOffsetEdits, cleanAnswer, eolOf, lineStarts, minimalEdits, positionAt, regionSpan, toTextEdits, type TextEdit } from './text';

/** The reason of an answer that is the region as it was (the engine reads it as the model abstaining). */
export const UNCHANGED = 'the model returned the code unchanged';

export type CheckResult = { ok: true; edits: TextEdit[]; fixed: string } | { ok: false; reason: string };

/** Answers checked in this thread so far (a test counts analyses per quick fix against it). */
export const checkCounter = { count: 0 };

/** The original lines an offset edit touches (an insertion touches the line it is on). */
function editRows(starts: number[], e: { start: number; end: number }): number[] {
  const a = positionAt(starts, e.start).line;
  const b = positionAt(starts, Math.max(e.start, e.end - (e.end > e.start ? 1 : 0))).line;
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/**
 * Checks an answer for a target: it must be non-empty, change the region, change code (not only
 * comments or docstrings), and add no syntax error (the patched document is re-parsed); a
 * syntax-error fix must also remove errors in its region.
 */
export async function checkFix(a: Analysis, target: FixTarget, answer: string): Promise<CheckResult> {
  checkCounter.count++;
  const eol = eolOf(a.text);
  const replacement = cleanAnswer(answer, eol);
  if (replacement.trim() === '') return { ok: false, reason: 'the model wrote an empty answer' };
  const starts = lineStarts(a.text);
  const span = regionSpan(a.text, starts, target.region.startLine, target.region.endLine);
  const old = a.text.slice(span.start, span.end);
  if (replacement === old) return { ok: false, reason: UNCHANGED };
  const oldLines = target.region.endLine - target.region.startLine + 1;
  const newLines = replacement.split(eol).length;
  if (newLines > oldLines * 3 + 10) return { ok: false, reason: `the answer (${newLines} lines) is far longer than the region (${oldLines} lines)` };
  const rel = minimalEdits(old, replacement, eol).map((e) => ({ start: e.start + span.start, end: e.end + span.start, newText: e.newText }));
  if (rel.length === 0) return { ok: false, reason: UNCHANGED };
  const fixed = applyOffsetEdits(a.text, rel);
  if (fixed === a.text) return { ok: false, reason: UNCHANGED };
  if (a.docRows && a.docRows.size > 0 && rel.every((e) => editRows(starts, e).every((r) => a.docRows!.has(r)))) {
    // an honest fix changes code: a reworded comment or an edited docstring example fixes nothing
    return { ok: false, reason: 'the fix changes only comments or documentation' };
  }
  const after = await analyze(fixed, a.language, a.path);
  const { startLine, endLine } = target.region;
  const newEndLine = startLine + newLines - 1;
  const delta = newEndLine - endLine;
  // Errors outside the region, mapped back to the original lines, must all have been there before.
  const beforeRows = new Set(a.issues.map((i) => i.start.row));
  for (const i of after.issues) {
    const row = i.start.row;
    if (row >= startLine && row <= newEndLine) continue;
    const was = row < startLine ? row : row - delta;
    if (!beforeRows.has(was)) return { ok: false, reason: `the fix adds a syntax error at line ${row + 1} (${i.message})` };
  }
  if (after.issues.length > a.issues.length) {
    return { ok: false, reason: `the fix adds syntax errors (${a.issues.length} before, ${after.issues.length} after)` };
  }
  const before = a.issues.filter((i) => i.start.row <= endLine && i.end.row >= startLine).length;
  const inRegion = after.issues.filter((i) => i.start.row <= newEndLine && i.end.row >= startLine).length;
  if (inRegion > before) return { ok: false, reason: 'the fix adds syntax errors in the rewritten code' };
  if (target.kind === 'syntax' && inRegion >= before && after.issues.length >= a.issues.length) {
    return { ok: false, reason: 'the fix does not remove the syntax error' };
  }
  return { ok: true, edits: toTextEdits(a.text, rel), fixed };
}
