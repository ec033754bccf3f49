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

/** prompt_open + instruction + "\n" + ["Error: " + diagnostic + "\n"] + code + "\n" + [marker list + "\n"] + completion_open */
export function buildPrompt(p: PromptInput): string {
  const f = taxonomy().format;
  let s = f.prompt_open + instruction(p.task) + '\n';
  if (p.diagnostic) s += f.diagnostic_prefix + p.diagnostic + '\n';
  s += p.code + '\n';
  if (p.given && Object.keys(p.given).length > 0) s += serialize(p.given) + '\n';
  return s + f.completion_open;
}

/** marker list + "\n" + answer + end: what the model is trained to write. */
export function buildCompletion(markers: Markers, answer: string): string {
  return serialize(markers) + '\n' + answer + taxonomy().format.end;
}
