// Mutants of a compiled language's tests (issue 26: plausible-but-wrong fixes where the calls cannot be
// replayed in-process). Each test function is copied with one literal of its body moved (a number plus one,
// a string one character shorter);
// the copies sit beside the originals in the same file (so they share its imports). Two fixes that pass
// the tests but answer a copy differently (another actual value, a panic, a loop) behave differently
// beyond the tests: the tests do not decide between them. Go: `func TestX(t *testing.T)`; Rust: `#[test] fn x()`.

export const MUTANT_SUFFIX = '__treasure_m';

interface TestFn {
  name: string;
  /** Offsets of the whole function and of its body's braces. */
  start: number;
  end: number;
  open: number;
}

/** Skips a string, rune, raw string or comment starting at i; returns the index after it (or i when none starts). */
function skipLiteral(text: string, i: number, lang: 'go' | 'rust'): number {
  const c = text[i];
  if (c === '/' && text[i + 1] === '/') {
    const e = text.indexOf('\n', i);
    return e < 0 ? text.length : e;
  }
  if (c === '/' && text[i + 1] === '*') {
    const e = text.indexOf('*/', i + 2);
    return e < 0 ? text.length : e + 2;
  }
  if (c === '"' || (lang === 'go' && c === "'")) {
    let j = i + 1;
    for (; j < text.length && text[j] !== c && text[j] !== '\n'; j++) if (text[j] === '\\') j++;
    return j + 1;
  }
  if (lang === 'go' && c === '`') {
    const e = text.indexOf('`', i + 1);
    return e < 0 ? text.length : e + 1;
  }
  if (lang === 'rust' && c === "'") {
    const m = /^'(\\.|[^\\'])'/.exec(text.slice(i, i + 4)); // a char, not a lifetime
    if (m) return i + m[0].length;
  }
  return i;
}

/** The test functions of a Go or Rust test file. */
export function testFunctions(text: string, lang: 'go' | 'rust'): TestFn[] {
  const out: TestFn[] = [];
  const head = lang === 'go' ? /^func (Test\w*)\(\s*\w+\s+\*testing\.T\s*\)\s*\{/gm : /^[ \t]*#\[test\][\s\n]*fn (\w+)\s*\(\s*\)\s*\{/gm;
  for (const m of text.matchAll(head)) {
    const open = m.index! + m[0].length - 1;
    let depth = 0;
    let end = -1;
    for (let i = open; i < text.length; i++) {
      const j = skipLiteral(text, i, lang);
      if (j !== i) {
        i = j - 1;
        continue;
      }
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    if (end > 0) out.push({ name: m[1]!, start: m.index!, end, open });
  }
  return out;
}

/** A literal of text[from, to) and what it becomes: an integer or a float plus one, a string without its last character. */
interface Site {
  at: number;
  len: number;
  to: string;
}

/** The literals of text[from, to) a mutant may move (not in comments, not part of a name). */
function literalSites(text: string, from: number, to: number, lang: 'go' | 'rust'): Site[] {
  const out: Site[] = [];
  for (let i = from; i < to; i++) {
    const c = text[i]!;
    if (c === '"') {
      const j = skipLiteral(text, i, lang);
      const body = text.slice(i + 1, j - 1);
      // a string without its last character (an escape is left whole)
      // (a format string stays: a message's text is no input)
      if (j - 1 > i + 1 && !/\\.?$/.test(body) && !body.includes('%')) out.push({ at: i, len: j - i, to: `"${body.slice(0, -1)}"` });
      i = j - 1;
      continue;
    }
    const j = skipLiteral(text, i, lang);
    if (j !== i) {
      i = j - 1;
      continue;
    }
    if (!/[0-9]/.test(c) || /[\w.]/.test(text[i - 1] ?? '')) continue;
    const m = /^([0-9]+)(\.[0-9]+)?(?![\w.])/.exec(text.slice(i, Math.min(to, i + 30)));
    if (m) out.push({ at: i, len: m[0].length, to: m[2] ? `${BigInt(m[1]!) + 1n}${m[2]}` : String(BigInt(m[1]!) + 1n) });
    i += (m?.[0].length ?? 1) - 1;
  }
  return out;
}

/**
 * The test file with copies of its test functions appended, each with one literal moved
 * (at most `max` copies, spread over the literals). Copies are named NAME__treasure_mK. Undefined: no literal.
 */
export function withTestMutants(text: string, lang: 'go' | 'rust', max = 12): { text: string; names: string[] } | undefined {
  const fns = testFunctions(text, lang);
  const sites = fns.flatMap((f) => literalSites(text, f.open, f.end, lang).map((l) => ({ f, ...l })));
  if (sites.length === 0) return undefined;
  const step = Math.max(1, sites.length / max);
  const picked = Array.from({ length: Math.min(max, sites.length) }, (_, k) => sites[Math.floor(k * step)]!);
  const names: string[] = [];
  const copies = picked.map((s, k) => {
    const name = `${s.f.name}${MUTANT_SUFFIX}${k}`;
    names.push(name);
    const fn = text.slice(s.f.start, s.at) + s.to + text.slice(s.at + s.len, s.f.end);
    const renamed = lang === 'go' ? fn.replace(`func ${s.f.name}(`, `func ${name}(`) : fn.replace(new RegExp(`fn ${s.f.name}\\s*\\(`), `fn ${name}(`);
    return renamed.trimStart();
  });
  // Rust: the copies go inside the module the tests are in when there is one (the file's last `}` closes it)
  if (lang === 'rust') {
    const last = fns[fns.length - 1]!;
    const close = text.indexOf('}', last.end);
    const inModule = close >= 0 && text.slice(last.end, close).trim() === '';
    const at = inModule ? close : text.length;
    return { text: `${text.slice(0, at)}\n${copies.map((c) => `    ${c}`).join('\n\n')}\n${text.slice(at)}`, names };
  }
  return { text: `${text.trimEnd()}\n\n${copies.join('\n\n')}\n`, names };
}

/** What a run of the mutant tests says about a variant, without what differs between variants alone (times, lines of the schema). */
export function behaviourSignature(output: string, timedOut: boolean): string {
  const keep = output.split('\n').map((l) => l.trim()).filter((l) =>
    /^--- (PASS|FAIL): /.test(l) || /^test \S+ \.\.\. (ok|FAILED)/.test(l) || /^panic: /.test(l) || /panicked at/.test(l) ||
    /^(expected|actual|got|want|left|right)\b/i.test(l) || /^Error:/.test(l));
  const clean = keep.map((l) => l.replace(/\s*\(\d+(\.\d+)?s\)$/, '').replace(/panicked at [^:]+:\d+:\d+:?/, 'panicked').replace(/thread '[^']*' \(\d+\)/, "thread"));
  return `${clean.join('\n')}${timedOut ? '\nTIMEOUT' : ''}`;
}
