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

/** A `.h` file is C++ if it uses C++-only syntax, else C. */
export function headerCodeType(text: string): string {
  return CPP_HINT.test(text) ? 'cpp' : 'c';
}
