// Mutants of a compiled language's tests (issue 26: plausible-but-wrong fixes where the calls cannot be
// replayed in-process). Each test function is copied with one literal of its body moved (a number plus one,
// a string one character shorter);
// the copies sit beside the originals in the same file (so they share its imports). Two fixes that pass
// the tests but answer a copy differently (another actual value, a panic, a loop) behave differently
// beyond the tests: the tests do not decide between them. Go: `func TestX(t *testing.T)`; Rust: `#[test] fn x()`.

import { lex, type Token } from '../lex';

export const MUTANT_SUFFIX = '__treasure_m';

interface TestFn {
  name: string;
  /** Offsets of the whole function and of its body's braces. */
  start: number;
  end: number;
  open: number;
}

/** The test functions of a Go or Rust test file (`toks`: its tokens, repair/lex.ts). */
function testFunctions(text: string, toks: Token[], lang: 'go' | 'rust'): TestFn[] {
  const out: TestFn[] = [];
  const head = lang === 'go' ? /^func (Test\w*)\(\s*\w+\s+\*testing\.T\s*\)\s*\{/gm : /^[ \t]*#\[test\][\s\n]*fn (\w+)\s*\(\s*\)\s*\{/gm;
  for (const m of text.matchAll(head)) {
    const open = m.index! + m[0].length - 1;
    let k = toks.findIndex((t) => t.start === open);
    if (k < 0) continue;
    for (let depth = 0; k < toks.length; k++) {
      const t = toks[k]!;
      if (t.kind !== 'punct') continue;
      if (t.text === '{') depth++;
      else if (t.text === '}' && --depth === 0) {
        out.push({ name: m[1]!, start: m.index!, end: t.end, open });
        break;
      }
    }
  }
  return out;
}

/** A literal and what it becomes: an integer or a float plus one, a string without its last character. */
interface Site {
  at: number;
  len: number;
  to: string;
}

/** The literals among `toks` between two offsets that a mutant may move. */
function literalSites(toks: Token[], from: number, to: number): Site[] {
  const out: Site[] = [];
  for (const t of toks) {
    if (t.start < from || t.end > to) continue;
    const num = t.kind === 'number' ? /^([0-9]+)(\.[0-9]+)?$/.exec(t.text) : null;
    if (num) out.push({ at: t.start, len: t.text.length, to: `${BigInt(num[1]!) + 1n}${num[2] ?? ''}` });
    else if (t.kind === 'string' && t.text.length > 2 && t.text.startsWith('"') && t.text.endsWith('"')) {
      const body = t.text.slice(1, -1);
      // an escape is left whole, and a format string stays (a message's text is no input)
      if (!/\\.?$/.test(body) && !body.includes('%')) out.push({ at: t.start, len: t.text.length, to: `"${body.slice(0, -1)}"` });
    }
  }
  return out;
}

/**
 * The test file with copies of its test functions appended, each with one literal moved
 * (at most `max` copies, spread over the literals). Copies are named NAME__treasure_mK. Undefined: no literal.
 */
export function withTestMutants(text: string, lang: 'go' | 'rust', max = 12): { text: string; names: string[] } | undefined {
  const toks = lex(text, lang);
  const fns = testFunctions(text, toks, lang);
  const sites = fns.flatMap((f) => literalSites(toks, f.open, f.end).map((l) => ({ f, ...l })));
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
