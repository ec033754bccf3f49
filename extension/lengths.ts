// The length marker of "Treasure: Generate Code…": the choices offered, the parsing of an exact
// line count, and how the generated text is placed at the cursor. Pure (no VS Code), unit-tested.
import { category } from '../language-server/src/markers';
import type { MarkerValues } from './settings';

export interface LengthChoice {
  label: string;
  description: string;
  /** The markers this choice sends; absent for the "exact number of lines" entry, which asks next. */
  markers?: MarkerValues;
}

export const EXACT_LINES_LABEL = 'Exact number of lines…';

/** One entry per length_bucket value (with its bounds from the taxonomy), then "exact number of lines". */
export function lengthChoices(): LengthChoice[] {
  const bucket = category('length_bucket');
  const choices: LengthChoice[] = (bucket.values ?? []).map((v) => {
    const b = bucket.bounds?.[v];
    const description = !b ? '' : b[1] >= 100000 ? `more than ${b[0] - 1} lines` : b[0] <= 1 ? `up to ${b[1]} lines` : `${b[0]}–${b[1]} lines`;
    return { label: v, description, markers: { length_bucket: v } };
  });
  choices.push({ label: EXACT_LINES_LABEL, description: 'length_lines' });
  return choices;
}

/** Validate an exact line count typed by the user: undefined when valid, else the message to show. */
export function checkLineCount(text: string): string | undefined {
  const { min = 1, max = Number.MAX_SAFE_INTEGER } = category('length_lines');
  const t = text.trim();
  if (!/^\d+$/.test(t)) return `A whole number of lines, from ${min} to ${max}`;
  const n = Number(t);
  if (n < min || n > max) return `From ${min} to ${max} lines`;
  return undefined;
}

export function lineCountMarkers(text: string): MarkerValues {
  return { length_lines: String(Number(text.trim())) };
}

/**
 * The text to insert at the cursor: generated code goes on its own line(s). When the cursor is at
 * the end of a non-blank line it starts a new line; the inserted block ends with a newline unless
 * the cursor's line continues after it.
 */
export function insertionText(generated: string, lineText: string, character: number): string {
  let text = generated.replace(/\r\n/g, '\n').replace(/^\n+/, '').replace(/\s+$/, '');
  const before = lineText.slice(0, character);
  const after = lineText.slice(character);
  if (before.trim() !== '') text = '\n' + text;
  if (after.trim() !== '') text = text + '\n';
  return text;
}

/** Lines of a generated text (trailing blank lines ignored): what "within that length" is measured on. */
export function countLines(text: string): number {
  return text.replace(/\s+$/, '').split('\n').length;
}
