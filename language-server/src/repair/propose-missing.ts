// Candidates for a missing `return` or `break` (issue 26's "missing return/break/base case"): a statement
// inserted after a suspicious line, where a person forgets one.
//   break: after the last statement of an `if` block inside a loop (the loop should stop at the first hit);
//   return: the last statement of the function made its result (`expr` -> `return expr`; after `v = ...`,
//   `return v`), or after the last statement of an `if` block inside a loop, the value it just set.
// Python by indentation; the C family (JavaScript, Java, C, C++, Go, Rust) by braces on their own lines,
// as formatters write them: an `if (...) {` block inside a `for`/`while` block.

export interface MissingEdit {
  /** Offset in the document where the new line goes (the start of the line after `line`). */
  at: number;
  newText: string;
  label: string;
  /** Extra prior (nats) on top of the family's. */
  extra: number;
}

const indentOf = (l: string) => /^\s*/.exec(l)![0].length;
const blank = (l: string | undefined) => l === undefined || l.trim() === '' || /^\s*(#|\/\/)/.test(l);

/** Index of the nearest non-blank line from i going by `step`, or -1. */
function near(lines: string[], i: number, step: 1 | -1): number {
  for (let j = i; j >= 0 && j < lines.length; j += step) if (!blank(lines[j])) return j;
  return -1;
}

/** The headers (non-blank lines of smaller indent) enclosing line `li`, innermost first, up to the function's line. */
function enclosing(lines: string[], li: number, fnLine: number): string[] {
  const out: string[] = [];
  let ind = indentOf(lines[li]!);
  for (let j = li - 1; j >= fnLine && ind > 0; j--) {
    const l = lines[j]!;
    if (blank(l)) continue;
    const closes = /^\s*\}/.test(l); // `} else {` / a closing brace belongs to a block at its indent
    if (indentOf(l) < ind && !(closes && !/\{\s*$/.test(l))) {
      out.push(l.trim());
      ind = indentOf(l);
    }
  }
  return out;
}

/** The name a simple assignment sets (`v = ...`, `v += ...`, `let v = ...`, `v := ...`), if any. */
function assigned(stmt: string): string | undefined {
  return /^(?:(?:let|var|const|auto|int|long|double|float|bool|boolean|String|string)\s+(?:mut\s+)?)?([A-Za-z_]\w*)\s*(?::=|[-+*/%]?=)(?!=)/.exec(stmt)?.[1];
}

/**
 * Missing-flow candidates after line `li` (0-based) of a function starting at line `fnLine` and ending at
 * `lastLine` (0-based, inclusive); `starts`: the offsets of each line's start.
 */
export function missingFlowEdits(lines: string[], starts: number[], li: number, fnLine: number, lastLine: number, python: boolean, semi: boolean): MissingEdit[] {
  const l = lines[li]!;
  const body = l.trim();
  const indent = /^\s*/.exec(l)![0];
  const out: MissingEdit[] = [];
  const at = (starts[li + 1] ?? starts[li]! + l.length + 1);
  const end = semi ? ';' : '';
  // a simple statement only (not a header, a return, a brace line)
  const notSimple = python
    ? /:\s*(#.*)?$/.test(body) || /^(return|break|continue|pass|raise|else|elif|def|class|@)\b/.test(body) || /[([{,\\]$/.test(body)
    : (semi ? !/;$/.test(body) : /[{}(,]$/.test(body) || /^(\}|if|for|else|switch|case|default|func|defer|go)\b/.test(body)) || /^(return|break|continue|throw)\b/.test(body);
  if (notSimple) return out;
  const next = near(lines, li + 1, 1);
  const nextIndent = next < 0 || next > lastLine ? -1 : indentOf(lines[next]!);
  const lastOfBlock = nextIndent < indent.length;
  if (!lastOfBlock) return out;
  const heads = enclosing(lines, li, fnLine);
  const inIf = /^(\}\s*)?(if|elif|else)\b/.test(heads[0] ?? '') && (python || /\{$/.test(heads[0]!));
  const inLoop = heads.slice(1).some((h) => /^(for|while|loop)\b/.test(h) && (python || /\{$/.test(h)));
  const v = assigned(python ? body : body.replace(/;$/, ''));
  if (inIf && inLoop) {
    out.push({ at, newText: `${indent}break${end}\n`, label: "insert 'break' after the statement", extra: 0 });
    if (v) out.push({ at, newText: `${indent}return ${v}${end}\n`, label: `insert 'return ${v}' after the statement`, extra: -0.3 });
  }
  // the function's last statement: its value is the result
  const fnIndent = indentOf(lines[fnLine]!);
  const lastOfFunction = next < 0 || next > lastLine || indentOf(lines[next]!) <= fnIndent;
  if (lastOfFunction && heads.length === 1) {
    if (v) out.push({ at, newText: `${indent}return ${v}${end}\n`, label: `insert 'return ${v}' after the statement`, extra: 0 });
    else if (!/=/.test(body.replace(/[=!<>]=/g, ''))) {
      const expr = body.replace(/;$/, '');
      out.push({ at: starts[li]! + indent.length, newText: 'return ', label: `return '${expr.length > 24 ? expr.slice(0, 24) + '…' : expr}'`, extra: 0 });
    }
  }
  return out;
}
