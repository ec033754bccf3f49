// Which code_type (models/markers.json) a file is, from its name, then its shebang.

const BY_EXT: Record<string, string> = {
  py: 'python', pyw: 'python',
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  ts: 'typescript', tsx: 'typescript', mts: 'typescript', cts: 'typescript',
  java: 'java',
  go: 'go',
  rs: 'rust',
  c: 'c',
  cc: 'cpp', cpp: 'cpp', cxx: 'cpp', 'c++': 'cpp', hpp: 'cpp', hh: 'cpp', hxx: 'cpp', ipp: 'cpp', tcc: 'cpp', inl: 'cpp',
  cs: 'csharp',
  php: 'php',
  rb: 'ruby', rake: 'ruby', gemspec: 'ruby',
  sh: 'shell', bash: 'shell', ksh: 'shell',
  lua: 'lua',
  pl: 'perl', pm: 'perl',
  hs: 'haskell', lhs: 'haskell',
};

const SHEBANG: [RegExp, string][] = [
  [/^#!.*\b(?:ba|da|k)?sh\b/, 'shell'],
  [/^#!.*\bpython[0-9.]*\b/, 'python'],
  [/^#!.*\bperl\b/, 'perl'],
  [/^#!.*\bruby\b/, 'ruby'],
  [/^#!.*\bnode\b/, 'javascript'],
  [/^#!.*\blua[0-9.]*\b/, 'lua'],
  [/^#!.*\bphp\b/, 'php'],
  [/^#!.*\brunghc\b|^#!.*\bstack\b/, 'haskell'],
];

/** Code type from the file name alone; '?h' for a C/C++ header (decided from content), null if none. */
export function codeTypeFromName(path: string): string | null {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base === 'Rakefile' || base === 'Gemfile') return 'ruby';
  if (/\.d\.[cm]?ts$/.test(base)) return 'typescript';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) {
    // bash-completion scripts carry no extension and no shebang.
    if (/(^|\/)bash-completion\/completions\//.test(path)) return 'shell';
    return dot === -1 ? '?' : null; // '?': look at the shebang
  }
  const ext = base.slice(dot + 1).toLowerCase();
  if (ext === 'h') return '?h';
  return BY_EXT[ext] ?? null;
}

export function codeTypeFromShebang(firstLine: string): string | null {
  if (!firstLine.startsWith('#!')) return null;
  for (const [re, t] of SHEBANG) if (re.test(firstLine)) return t;
  return null;
}

const CPP_HINT = /\b(?:namespace\s+\w+|template\s*<|class\s+\w+\s*(?::\s*(?:public|private|protected)|\{)|std::|public:|private:|constexpr|nullptr)\b|#include\s*<(?:vector|string|memory|map|iostream|algorithm|utility|type_traits)>/;

// Comments and string/char literals, earliest match first (a `//` inside a string stays in the string).
const NOT_CODE = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g;

/**
 * A `.h` file is C++ if its code (not its comments or strings) uses C++-only syntax: C headers ported
 * from C++ say "namespace" in their comments (capstone's ARMBaseInfo.h: `//using namespace ARM;`).
 * Otherwise it is the language of the sources around it (`nearby`, from headerLanguageNearby): a plain
 * struct header in bullet or grpc is C++, one in cmake's bundled curl is C.
 */
export function headerCodeType(text: string, nearby: 'c' | 'cpp' = 'c'): string {
  return CPP_HINT.test(text.replace(NOT_CODE, ' ')) ? 'cpp' : nearby;
}

const C_SOURCE = /\.c$/;
const CPP_SOURCE = /\.(?:cc|cpp|cxx|c\+\+)$/i;

/**
 * For a package's file list: a header's language by the C and C++ sources nearest to it, i.e. in the
 * smallest folder above it whose tree holds any (the package root last); C when there are none or as many.
 */
export function headerLanguageNearby(paths: string[]): (header: string) => 'c' | 'cpp' {
  const counts = new Map<string, { c: number; cpp: number }>();
  for (const p of paths) {
    const kind = C_SOURCE.test(p) ? 'c' : CPP_SOURCE.test(p) ? 'cpp' : null;
    if (!kind) continue;
    for (const dir of foldersAbove(p)) {
      const n = counts.get(dir) ?? { c: 0, cpp: 0 };
      n[kind]++;
      counts.set(dir, n);
    }
  }
  return (header) => {
    for (const dir of foldersAbove(header)) {
      const n = counts.get(dir);
      if (n) return n.cpp > n.c ? 'cpp' : 'c';
    }
    return 'c';
  };
}

/** The folders holding a package-relative path, innermost first, ending with the root (''). */
function* foldersAbove(path: string): Generator<string> {
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) yield path.slice(0, i);
  yield '';
}
