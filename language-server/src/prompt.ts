// The prompt layout of docs/CONTRACTS.md, exactly as models/train/markers.py renders it.
import { serialize, taxonomy, type Markers } from './markers';

export interface PromptInput {
  task: string;
  code: string;
  diagnostic?: string;
  /** Markers given to the model (appended to the prompt as a marker list when any). */
  given?: Markers;
}

export function instruction(task: string): string {
  const ins = (taxonomy().format.instructions as Record<string, string>)[task];
  if (ins === undefined) throw new Error(`no instruction for task ${task}`);
  return ins;
}

/**
 * A piece of the prompt: the layout's own text (format tokens, marker list), or text from the user
 * (code, a diagnostic's message) in which a string such as `<|end|>` is plain text, never a control
 * token (TreasureTokenizer.encodePrompt).
 */
export interface PromptPart { text: string; user?: boolean }

/** prompt_open + instruction + "\n" + ["Error: " + diagnostic + "\n"] + code + "\n" + [marker list + "\n"] + completion_open */
export function promptParts(p: PromptInput): PromptPart[] {
  const f = taxonomy().format;
  const parts: PromptPart[] = [{ text: f.prompt_open + instruction(p.task) + '\n' }];
  if (p.diagnostic) parts.push({ text: f.diagnostic_prefix }, { text: p.diagnostic, user: true }, { text: '\n' });
  parts.push({ text: p.code, user: true });
  let tail = '\n';
  if (p.given && Object.keys(p.given).length > 0) tail += serialize(p.given) + '\n';
  parts.push({ text: tail + f.completion_open });
  return parts;
}

/** The prompt as one string (what the training data holds). */
export function buildPrompt(p: PromptInput): string {
  return promptParts(p).map((x) => x.text).join('');
}

/** marker list + "\n" + answer + end: what the model is trained to write. */
export function buildCompletion(markers: Markers, answer: string): string {
  return serialize(markers) + '\n' + answer + taxonomy().format.end;
}
