// The code the model continues for "Treasure: Generate Code…" (a CodeGeneration prompt is code: a file
// prefix ending in a comment or a signature, docs/CONTRACTS.md): the lines before the cursor, then
// either the selected comment/signature, or the typed request written as a comment of the document's
// language. Pure (no VS Code), unit-tested.

/** How many lines before the cursor go into the prompt (the server also checks the context length). */
export const PREFIX_LINES = 60;

export interface PromptInput {
  /** The document's lines. */
  lines: string[];
  /** Cursor (or the end of the selection): 0-based line and character. */
  line: number;
  character: number;
  /** The request typed by the user; absent when a selection is the request. */
  request?: string;
  /** The language's line comment token (`#`, `//`, `--`). */
  lineComment: string;
}

export function generationPrompt(p: PromptInput): string {
  const first = Math.max(0, p.line - PREFIX_LINES);
  const before = p.lines.slice(first, p.line);
  const cursorLine = p.lines[p.line] ?? '';
  const head = cursorLine.slice(0, p.character);
  if (head.trim() !== '') before.push(head);
  let text = before.join('\n');
  if (p.request?.trim()) {
    const indent = head.trim() === '' ? head : (/^\s*/.exec(cursorLine)?.[0] ?? '');
    const comment = p.request
      .trim()
      .split(/\r?\n/)
      .map((l) => `${indent}${p.lineComment} ${l.trim()}`.trimEnd())
      .join('\n');
    text = text ? `${text}\n${comment}` : comment;
  }
  return text.endsWith('\n') || text === '' ? text : text + '\n';
}
