// Mutants of a compiled language's tests (issue 26: plausible-but-wrong fixes where the calls cannot be
// replayed in-process). Each test function is copied with one literal of its body moved (a number plus one,
// a string one character shorter);
// the copies sit beside the originals in the same file (so they share its imports). Two fixes that pass
// the tests but answer a copy differently (another actual value, a panic, a loop) behave differently
// beyond the tests: the tests do not decide between them. Go: `func TestX(t *testing.T)`; Rust: `#[test] fn x()`.

import { lex, type Token } from '../lex';

/** Lines a recorded call prints start with this (tests/call-mutants.ts prints the same). */
export const RECORD_PREFIX = 'treasure: ';

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

/**
 * What a mutant makes of a literal token: a number plus one, a "string" one character shorter; undefined
 * when it is left alone (an escape would be cut; a format string: a message's text is no input).
 */
function movedLiteral(t: Token): string | undefined {
  const num = t.kind === 'number' ? /^([0-9]+)(\.[0-9]+)?$/.exec(t.text) : null;
  if (num) return `${BigInt(num[1]!) + 1n}${num[2] ?? ''}`;
  if (t.kind === 'string' && t.text.length > 2 && t.text.startsWith('"') && t.text.endsWith('"')) {
    const body = t.text.slice(1, -1);
    if (!/\\.?$/.test(body) && !body.includes('%')) return `"${body.slice(0, -1)}"`;
  }
  return undefined;
}

/** The index of the `)` that closes the `(` at token index k (undefined: not closed). Comments and newlines filtered out of `toks`. */
export function closingParen(toks: Token[], k: number): number | undefined {
  for (let depth = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(') depth++;
    else if (t.text === ')' && --depth === 0) return k;
  }
  return undefined;
}

/** Where a call whose name is at token k starts: back over its receiver or path (`s.f(`, `new S().f(`, `a::b::f(`). */
export function callStart(toks: Token[], k: number): number {
  let i = k;
  while (i >= 2 && (toks[i - 1]!.text === '.' || toks[i - 1]!.text === '::')) {
    const prev = toks[i - 2]!;
    if (prev.kind === 'word') {
      i -= 2;
      if (i >= 1 && toks[i - 1]!.kind === 'word' && toks[i - 1]!.text === 'new') i -= 1;
      continue;
    }
    if (prev.text === ')') {
      // a call or `new X()` before the dot: back over its parentheses
      let j = i - 2;
      for (let depth = 0; j >= 0; j--) {
        if (toks[j]!.text === ')') depth++;
        else if (toks[j]!.text === '(' && --depth === 0) break;
      }
      if (j < 1 || toks[j - 1]!.kind !== 'word') return i;
      i = j - 1;
      if (i >= 1 && toks[i - 1]!.kind === 'word' && toks[i - 1]!.text === 'new') i -= 1;
      continue;
    }
    break;
  }
  return i;
}

/** Words after which `f(` is still a call, not a declaration. */
const CALL_AFTER = new Set(['return', 'new', 'else', 'throw', 'case', 'do', 'co_return', 'yield', 'in', 'if', 'match', 'let', 'mut', 'go', 'defer']);

export interface Call {
  /** Offsets: the call's first character (its receiver's), its name, and just past its closing `)`. */
  start: number;
  name: number;
  end: number;
  /** Token indexes of its parentheses (into the filtered tokens). */
  open: number;
  close: number;
}

/** The calls of `name` among `toks` (comments and newlines filtered out) between two offsets: a declaration is none. */
export function callsOf(toks: Token[], name: string, from = 0, to = Infinity): Call[] {
  const out: Call[] = [];
  for (let k = 0; k + 1 < toks.length; k++) {
    const t = toks[k]!;
    if (t.start < from || t.end > to || t.kind !== 'word' || t.text !== name || toks[k + 1]!.text !== '(') continue;
    const prev = toks[k - 1];
    // `int f(`, `func f(`, `fn f(`, `List<T> f(`: a declaration
    if (prev && prev.kind === 'word' && !CALL_AFTER.has(prev.text)) continue;
    if (prev && (prev.text === '>' || prev.text === '*' || prev.text === '&') && toks[k - 2]?.kind === 'word' && !CALL_AFTER.has(toks[k - 2]!.text)) continue;
    const close = closingParen(toks, k + 1);
    if (close === undefined || toks[close]!.end > to) continue;
    out.push({ start: toks[callStart(toks, k)]!.start, name: t.start, end: toks[close]!.end, open: k + 1, close });
  }
  return out;
}

/** The literals among `toks` between two offsets that a mutant may move (format strings left). */
function literalSites(toks: Token[], from: number, to: number): Site[] {
  const out: Site[] = [];
  for (const t of toks) {
    if (t.start < from || t.end > to) continue;
    const moved = movedLiteral(t);
    if (moved !== undefined) out.push({ at: t.start, len: t.text.length, to: moved });
  }
  return out;
}

/**
 * What an input literal may become, most telling first: a number plus one, minus one, zero, doubled; a
 * string one character shorter, without its first character, reversed, with its last character twice,
 * with its last character of another kind, its first twice, empty, in upper case.
 * (Python's replay mutates recorded values the same ways: tests/differential.ts.)
 */
export function literalAlternatives(t: Token): string[] {
  const out: string[] = [];
  const num = t.kind === 'number' ? /^([0-9]+)(\.[0-9]+)?$/.exec(t.text) : null;
  if (num) {
    const n = BigInt(num[1]!);
    const frac = num[2] ?? '';
    out.push(`${n + 1n}${frac}`);
    if (n > 0n) out.push(`${n - 1n}${frac}`);
    if (n > 1n || frac) out.push(`0${frac && '.0'}`, `${n * 2n}${frac}`);
  } else if (t.kind === 'string' && t.text.length > 2 && t.text.startsWith('"') && t.text.endsWith('"') && !t.text.slice(1, -1).includes('\\')) {
    const body = t.text.slice(1, -1);
    // then changes of content that keep the length (a last character of another kind: an input whose end
    // differs, where a bound's fixes part), the first character twice, the empty string, upper case
    const last = body.slice(-1);
    out.push(body.slice(0, -1), body.slice(1), [...body].reverse().join(''), body + body.slice(-1));
    out.push(body.slice(0, -1) + (/[0-9]/.test(last) ? 'Z' : '7'), body.slice(0, 1) + body, '', body.toUpperCase());
    return [...new Set(out.map((x) => `"${x}"`))].filter((x) => x !== t.text);
  }
  return [...new Set(out)].filter((x) => x !== t.text);
}

/**
 * The literals of the arguments of `calls` (one literal once, however deep the calls nest), each with its
 * alternatives: every literal's first alternative, then every literal's second, and so on.
 */
export function argumentSites(toks: Token[], calls: Call[]): Site[] {
  const seen = new Set<number>();
  const per: Site[][] = [];
  for (const c of calls) {
    for (let j = c.open + 1; j < c.close; j++) {
      const t = toks[j]!;
      if (seen.has(t.start)) continue;
      seen.add(t.start);
      const alts = literalAlternatives(t);
      if (alts.length) per.push(alts.map((to) => ({ at: t.start, len: t.text.length, to })));
    }
  }
  per.sort((a, b) => a[0]!.at - b[0]!.at);
  const out: Site[] = [];
  for (let rank = 0; per.some((p) => p.length > rank); rank++) for (const p of per) if (p[rank]) out.push(p[rank]!);
  return out;
}

/** What the recorded copies call to print a value (and the import it needs); RECORD_PREFIX starts each line. */
const RECORDER = {
  go: { prelude: 'import treasure_fmt "fmt"\n', fn: `func treasure_rec[T any](v T) T {\n\ttreasure_fmt.Printf("${RECORD_PREFIX}%#v\\n", v)\n\treturn v\n}` },
  rust: { prelude: '', fn: `fn treasure_rec<T: std::fmt::Debug>(v: T) -> T {\n        println!("${RECORD_PREFIX}{:?}", v);\n        v\n    }` },
};

/**
 * The test file with copies of its test functions appended, each with one literal moved (at most `max`
 * copies, spread over the literals). Copies are named NAME__treasure_mK. Undefined: no literal.
 * With `functionName`, the literals are those of the arguments of its calls where the tests have any (an
 * expected value moved only makes every fix fail alike), and with `record` every call of it in a copy
 * prints its value (`treasure_rec`, Go's generics or Rust's Debug: a build that fails is retried without),
 * one copy (NAME__treasure_mr) on the tests' own inputs.
 */
export function withTestMutants(text: string, lang: 'go' | 'rust', max = 12, functionName?: string, record = false): { text: string; names: string[] } | undefined {
  const toks = lex(text, lang);
  const code = toks.filter((t) => t.kind !== 'comment' && t.kind !== 'newline');
  const fns = testFunctions(text, toks, lang);
  const callsIn = (f: TestFn) => (functionName ? callsOf(code, functionName, f.open, f.end) : []);
  // per test: the literals of its calls' arguments; a test whose calls have none (a table of cases) moves any literal
  const sites = fns.flatMap((f) => {
    const inArgs = argumentSites(code, callsIn(f));
    return (inArgs.length ? inArgs : literalSites(toks, f.open, f.end)).map((l) => ({ f, ...l }));
  });
  if (sites.length === 0) return undefined;
  const step = Math.max(1, sites.length / max);
  const picked: { f: TestFn; at: number; len: number; to: string; tag: string }[] =
    Array.from({ length: Math.min(max, sites.length) }, (_, k) => ({ ...sites[Math.floor(k * step)]!, tag: String(k) }));
  const recording = record && functionName !== undefined && fns.some((f) => callsIn(f).length > 0);
  if (recording) for (const f of fns) if (callsIn(f).length) picked.unshift({ f, at: f.open, len: 0, to: '', tag: `r${fns.indexOf(f)}` });
  const names: string[] = [];
  const copies = picked.map((s) => {
    const name = `${s.f.name}${MUTANT_SUFFIX}${s.tag}`;
    names.push(name);
    // the copy's edits, back to front: the literal moved, each call wrapped (Go: not a call whose results are several)
    const edits: Site[] = [{ at: s.at, len: s.len, to: s.to }];
    if (recording) {
      for (const c of callsIn(s.f)) {
        const lineStart = text.lastIndexOf('\n', c.start) + 1;
        if (lang === 'go' && /,[^()]*:?=\s*$/.test(text.slice(lineStart, c.start))) continue;
        edits.push({ at: c.start, len: 0, to: 'treasure_rec(' }, { at: c.end, len: 0, to: ')' });
      }
    }
    let fn = text.slice(s.f.start, s.f.end);
    for (const e of edits.sort((a, b) => b.at - a.at || a.len - b.len)) fn = fn.slice(0, e.at - s.f.start) + e.to + fn.slice(e.at - s.f.start + e.len);
    const renamed = lang === 'go' ? fn.replace(`func ${s.f.name}(`, `func ${name}(`) : fn.replace(new RegExp(`fn ${s.f.name}\\s*\\(`), `fn ${name}(`);
    return renamed.trimStart();
  });
  if (recording) copies.push(RECORDER[lang].fn);
  // Rust: the copies go inside the module the tests are in when there is one (the file's last `}` closes it)
  if (lang === 'rust') {
    const last = fns[fns.length - 1]!;
    const close = text.indexOf('}', last.end);
    const inModule = close >= 0 && text.slice(last.end, close).trim() === '';
    const at = inModule ? close : text.length;
    return { text: `${text.slice(0, at)}\n${copies.map((c) => `    ${c}`).join('\n\n')}\n${text.slice(at)}`, names };
  }
  let head = text.trimEnd();
  const pkg = recording ? /^package\s+\w+[^\n]*\n/m.exec(head) : null;
  if (pkg) head = head.slice(0, pkg.index + pkg[0].length) + RECORDER.go.prelude + head.slice(pkg.index + pkg[0].length);
  return { text: `${head}\n\n${copies.join('\n\n')}\n`, names };
}

/** What a run of the mutant tests says about a variant, without what differs between variants alone (times, lines of the schema). */
export function behaviourSignature(output: string, timedOut: boolean): string {
  // libtest with --nocapture prints a recorded value after "test x ... " and the outcome on a line of its own
  const lines = output.replaceAll(RECORD_PREFIX, `\n${RECORD_PREFIX}`).split('\n').map((l) => l.trim());
  const keep = lines.filter((l) =>
    /^--- (PASS|FAIL): /.test(l) || /^test \S+ \.\.\.( (ok|FAILED))?$/.test(l) || l === 'ok' || l === 'FAILED' || /^panic: /.test(l) || /panicked at/.test(l) ||
    /^(expected|actual|got|want|left|right)\b/i.test(l) || /^Error:/.test(l) || l.startsWith(RECORD_PREFIX));
  const clean = keep.map((l) => l.replace(/\s*\(\d+(\.\d+)?s\)$/, '').replace(/panicked at [^:]+:\d+:\d+:?/, 'panicked').replace(/thread '[^']*' \(\d+\)/, "thread"));
  return `${clean.join('\n')}${timedOut ? '\nTIMEOUT' : ''}`;
}
