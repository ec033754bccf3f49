// Recorded calls and literal mutants of a verify command's tests (issue 26: plausible-but-wrong fixes in
// Java and C++, whose tests are whatever `treasure.verify.command` runs: a main() with asserts). The tests
// call the function under repair with literals; here every such call is wrapped so that the program prints
// what the function returned (`treasure_rec`), and every literal among the call's arguments becomes a
// choice read at run time (`TREASURE_TEST_MUTANT` = k: the k-th literal moved, a number plus one or a
// string one character shorter; -1 or unset: none). One build of the instrumented tests then says, for
// each fix that passes them, what it answers on the tests' own inputs and on the moved ones: two fixes
// that answer differently are not decided by the tests. Java runs every mutant in one JVM (main() is
// renamed and called once per mutant, a throw caught); C++ runs one process per mutant (assert aborts).

import { lex } from '../lex';
import { lineStarts, positionAt } from '../text';
import { argumentSites, callsOf, RECORD_PREFIX } from './test-mutants';

export const TEST_MUTANT_ENV = 'TREASURE_TEST_MUTANT';

export type CallMutantLanguage = 'java' | 'cpp';

export interface InstrumentedTests {
  text: string;
  /** Literal mutants (TREASURE_TEST_MUTANT = 0 .. mutants-1). */
  mutants: number;
  /** Calls wrapped so that their value is printed. */
  calls: number;
  /** 1-based lines of `text` where an edit was made (a compiler's error there drops that line's edits). */
  lines: number[];
}

interface Edit {
  at: number;
  len: number;
  to: string;
  line: number;
}

const CPP_PRELUDE = String.raw`#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
inline int treasure_mutant() { static const int m = [] { const char* v = std::getenv("${TEST_MUTANT_ENV}"); return v ? std::atoi(v) : -1; }(); return m; }
template <class T, class = void> struct treasure_printable : std::false_type {};
template <class T> struct treasure_printable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<const T&>())>> : std::true_type {};
inline void treasure_show(std::ostream& o, const std::string& v);
inline void treasure_show(std::ostream& o, const char* v);
inline void treasure_show(std::ostream& o, bool v);
inline void treasure_show(std::ostream& o, double v);
inline void treasure_show(std::ostream& o, float v);
template <class A, class B> void treasure_show(std::ostream& o, const std::pair<A, B>& v);
template <class T> void treasure_show(std::ostream& o, const std::vector<T>& v);
template <class T> void treasure_show(std::ostream& o, const std::set<T>& v);
template <class K, class V> void treasure_show(std::ostream& o, const std::map<K, V>& v);
template <class T> void treasure_show(std::ostream& o, const T& v);
inline void treasure_show(std::ostream& o, const std::string& v) { o << '"' << v << '"'; }
inline void treasure_show(std::ostream& o, const char* v) { o << '"' << (v ? v : "") << '"'; }
inline void treasure_show(std::ostream& o, bool v) { o << (v ? "true" : "false"); }
inline void treasure_show(std::ostream& o, double v) { o << std::setprecision(10) << v; }
inline void treasure_show(std::ostream& o, float v) { o << std::setprecision(6) << v; }
template <class A, class B> void treasure_show(std::ostream& o, const std::pair<A, B>& v) { o << '('; treasure_show(o, v.first); o << ", "; treasure_show(o, v.second); o << ')'; }
template <class C> void treasure_show_all(std::ostream& o, const C& c) { o << '['; bool first = true; for (const auto& x : c) { if (!first) o << ", "; first = false; treasure_show(o, x); } o << ']'; }
template <class T> void treasure_show(std::ostream& o, const std::vector<T>& v) { treasure_show_all(o, v); }
template <class T> void treasure_show(std::ostream& o, const std::set<T>& v) { treasure_show_all(o, v); }
template <class K, class V> void treasure_show(std::ostream& o, const std::map<K, V>& v) { treasure_show_all(o, v); }
template <class T> void treasure_show(std::ostream& o, const T& v) { if constexpr (treasure_printable<T>::value) o << v; else o << '?'; }
template <class T> T treasure_rec(T v) { std::ostringstream o; treasure_show(o, v); std::cout << "${RECORD_PREFIX}" << o.str() << std::endl; return v; }
`;

function javaMembers(cls: string, mutants: number): string {
  // one line, so that the file's lines (and a compiler's line numbers) stay where they were
  return [
    ' static int treasure_mutant = -1;',
    ` static <T> T treasure_rec(T v) { System.out.println("${RECORD_PREFIX}" + ${cls}.treasure_show(v)); return v; }`,
    ' static String treasure_show(Object v) {',
    ' if (v instanceof Double || v instanceof Float) return String.format("%.10g", ((Number) v).doubleValue());',
    ' if (v instanceof Object[]) return java.util.Arrays.deepToString((Object[]) v);',
    ' if (v instanceof int[]) return java.util.Arrays.toString((int[]) v);',
    ' if (v instanceof long[]) return java.util.Arrays.toString((long[]) v);',
    ' if (v instanceof double[]) return java.util.Arrays.toString((double[]) v);',
    ' if (v instanceof char[]) return java.util.Arrays.toString((char[]) v);',
    ' if (v instanceof boolean[]) return java.util.Arrays.toString((boolean[]) v);',
    ' return String.valueOf(v); }',
    ' public static void main(String[] treasure_args) {',
    ` for (int k = -1; k < ${mutants}; k++) { ${cls}.treasure_mutant = k; System.out.println("${RECORD_PREFIX}mutant " + k);`,
    ` try { ${cls}.treasure_main0(treasure_args); System.out.println("${RECORD_PREFIX}ok"); }`,
    ` catch (Throwable e) { System.out.println("${RECORD_PREFIX}threw " + e.getClass().getName() + ": " + e.getMessage()); } }`,
    ' System.out.flush(); }',
  ].join('');
}

/**
 * `text` (a test file) with every call of `functionName` recorded and up to `max` literals of their
 * arguments made mutants (spread over the calls). `skipLines`: 1-based lines of the RESULT of an earlier
 * try that a compiler rejected (their edits are left out; the lines do not move between tries).
 * Undefined: no call of the function, or (Java) no class with a `static void main(String[])` to drive it.
 */
export function instrumentTests(text: string, lang: CallMutantLanguage, functionName: string, max = 12, skipLines: ReadonlySet<number> = new Set()): InstrumentedTests | undefined {
  const toks = lex(text, lang).filter((t) => t.kind !== 'comment' && t.kind !== 'newline');
  const starts = lineStarts(text);
  const lineOf = (at: number) => positionAt(starts, at).line + 1;
  let shift = 0;
  let cls = '';
  let main: { at: number; len: number } | undefined;
  let membersAt = -1;
  if (lang === 'java') {
    const m = /\bstatic\s+void\s+(main)\s*\(\s*(final\s+)?String\s*(\[\s*\]\s*\w+|\.\.\.\s*\w+|\w+\s*\[\s*\])\s*\)/.exec(text);
    if (!m) return undefined;
    // the class whose body holds main: the last class declared before it
    const classes = [...text.slice(0, m.index).matchAll(/\bclass\s+(\w+)[^{;]*\{/g)];
    const c = classes[classes.length - 1];
    if (!c) return undefined;
    cls = c[1]!;
    membersAt = c.index! + c[0].length;
    main = { at: m.index + m[0].indexOf('main'), len: 4 };
  } else {
    shift = CPP_PRELUDE.split('\n').length - 1;
  }
  const edits: Edit[] = [];
  const kept = callsOf(toks, functionName).filter((c) => {
    const line = lineOf(c.start);
    // a call on one line only: a compiler's error line then names the call it is in
    return !skipLines.has(line + shift) && lineOf(c.end) === line;
  });
  const calls = kept.length;
  const rec = lang === 'java' ? `${cls}.treasure_rec(` : 'treasure_rec(';
  for (const c of kept) edits.push({ at: c.start, len: 0, to: rec, line: lineOf(c.start) }, { at: c.end, len: 0, to: ')', line: lineOf(c.start) });
  const sites: Edit[] = argumentSites(toks, kept).map((x) => ({ ...x, line: lineOf(x.at) }));
  if (calls === 0) return undefined;
  const step = Math.max(1, sites.length / max);
  const picked = Array.from({ length: Math.min(max, sites.length) }, (_, k) => sites[Math.floor(k * step)]!);
  // one literal, several mutants: one choice (m == 0 ? a : m == 5 ? b : old)
  const byLiteral = new Map<number, { s: Edit; k: number }[]>();
  picked.forEach((s, k) => byLiteral.set(s.at, [...(byLiteral.get(s.at) ?? []), { s, k }]));
  for (const group of byLiteral.values()) {
    const s = group[0]!.s;
    const arms = group.map(({ s: x, k }) => `${lang === 'java' ? `${cls}.treasure_mutant` : 'treasure_mutant()'} == ${k} ? ${x.to} : `).join('');
    edits.push({ ...s, to: `(${arms}${text.slice(s.at, s.at + s.len)})` });
  }
  if (main) edits.push({ at: main.at, len: main.len, to: 'treasure_main0', line: lineOf(main.at) });
  if (membersAt >= 0) edits.push({ at: membersAt, len: 0, to: javaMembers(cls, picked.length), line: lineOf(membersAt) });
  // back to front, so that earlier offsets hold; at one offset a wrap's `)` goes after an inner one's
  const order = edits.map((e, i) => ({ e, i })).sort((a, b) => b.e.at - a.e.at || b.i - a.i);
  let out = text;
  for (const { e } of order) out = out.slice(0, e.at) + e.to + out.slice(e.at + e.len);
  if (lang === 'cpp') out = CPP_PRELUDE + out;
  const lines = [...new Set(edits.map((e) => e.line + shift))].sort((a, b) => a - b);
  return { text: out, mutants: picked.length, calls, lines };
}

/** What a run of the instrumented tests says about a fix: the lines it printed itself, and how it ended. */
export function recordSignature(output: string, exit: string): string {
  const kept = output.split('\n').filter((l) => l.startsWith(RECORD_PREFIX)).map((l) => l.slice(RECORD_PREFIX.length).trimEnd());
  return `${kept.join('\n')}\n${exit}`;
}
