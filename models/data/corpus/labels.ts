// Markers per file: domain and quality_bucket (models/markers.json values).
//
// domain: the package's Debian section when it names a field (web, net, database, ...); else keywords
// in the package's name, description and npm keywords; else (package still General) the file's imports.
//
// quality_bucket (1 = best): a score from 0 to 6 points --
//   +1 the file has documentation (comment/docstring lines between 5% and 60% of its lines),
//   +1 the file has a moderate size (20 to 2000 lines),
//   +1 its lines are tidy (no line over 160 chars in more than 2% of lines, no tabs-and-spaces mix),
//   +1 the package ships tests (any path with a test/tests/spec/t segment, or *_test.*, test_*.*),
//   +1 the package is popular (Debian: >= 5 reverse dependencies; npm: in the curated manifest list),
//   +1 the package is very popular (Debian: >= 50 reverse dependencies; npm: >= 10 manifest keywords match
//      well-known projects is not measurable offline, so npm packages get this point when they ship a src/ tree)
// score 5-6 -> bucket 1, 4 -> 2, 3 -> 3, 0-2 -> 4.

const SECTION_DOMAIN: Record<string, string> = {
  web: 'Web', httpd: 'Web', javascript: 'Web', net: 'Networking', comm: 'Networking', mail: 'Networking', news: 'Networking',
  database: 'Database', science: 'Science', math: 'Science', gnu_r: 'Science', electronics: 'Science', hamradio: 'Science',
  text: 'Text', tex: 'Text', localization: 'Text', graphics: 'Graphics', video: 'Graphics', x11: 'Graphics', gnome: 'Graphics', kde: 'Graphics', xfce: 'Graphics', fonts: 'Graphics',
  admin: 'Systems', kernel: 'Systems', embedded: 'Systems', shells: 'Systems', utils: 'Systems', otherosfs: 'Systems', libs: 'General',
  devel: 'DevTools', vcs: 'DevTools', debug: 'DevTools', editors: 'DevTools', interpreters: 'DevTools', doc: 'General',
};

const KEYWORDS: [RegExp, string][] = [
  [/\b(?:unit ?test|testing|test framework|mock|mocking|assert(?:ion)?s?|fixtures?|pytest|jest|mocha|benchmark(?:ing)?|property-based)\b/i, 'Testing'],
  [/\b(?:crypto\w*|cipher|encrypt\w*|decrypt\w*|tls|ssl|x509|hmac|sha-?\d+|password|jwt|oauth\w*|authenticat\w*|security|signature|sandbox)\b/i, 'Security'],
  [/\b(?:sql|database|postgres\w*|mysql|mariadb|sqlite\d?|redis|mongo\w*|orm|key-value|kv store|lmdb|leveldb|rocksdb|query builder)\b/i, 'Database'],
  [/\b(?:http|https|web|html|css|url|uri|rest(?:ful)?|express|react|vue|angular|dom|browser|cookie|template engine|wsgi|asgi|django|flask|rails|rack|graphql|frontend|middleware|router|websites?)\b/i, 'Web'],
  [/\b(?:network\w*|socket|tcp|udp|dns|ssh|ftp|smtp|imap|protocol|rpc|grpc|websocket|ipv[46]|netlink|proxy|mqtt|zeromq|p2p)\b/i, 'Networking'],
  [/\b(?:image|graphics|3d|render\w*|svg|png|jpe?g|colou?r|gui|opengl|vulkan|canvas|plot\w*|chart|draw\w*|font|pixel|webgl|gtk|qt|widget|animation)\b/i, 'Graphics'],
  [/\b(?:math\w*|numeric\w*|scien\w*|statistic\w*|linear algebra|matrix|matrices|bio\w*|physics|geometr\w*|astronom\w*|fft|tensor|machine learning|neural|integrat\w*|differential|random number|probability)\b/i, 'Science'],
  [/\b(?:json|yaml|toml|csv|xml|serializ\w*|deserializ\w*|protobuf|msgpack|compress\w*|zip|gzip|archive|encoding|dataframe|data structures?|collections?|immutable|schema|validation|stream\w*|bytes|base64|cache|caching|queue)\b/i, 'Data'],
  [/\b(?:text|string|unicode|regex\w*|regular expression|markdown|i18n|l10n|locale|spell\w*|diff|tokeni[sz]\w*|natural language|grammar|pretty[- ]print\w*|case conversion|slug|date|time|wrap)\b/i, 'Text'],
  [/\b(?:compiler|linter?|lint|build tool|bundler|debug\w*|logging|logger|cli|command[- ]line|argument pars\w*|parser|ast|macro|code generation|codegen|transpil\w*|type ?check\w*|documentation generator|packag\w* manager|plugin|lsp|editor|ide|profil\w*|eslint|babel|webpack|typescript)\b/i, 'DevTools'],
  [/\b(?:operating system|kernel|filesystem|file system|process(?:es)?|threads?|memory|allocator|async(?:hronous)? runtime|syscalls?|hardware|embedded|runtime|standard library|posix|signals?|ffi|concurren\w*|parallel\w*|scheduler|atomic|mmap|io_uring|epoll|event loop|shell|terminal|tty)\b/i, 'Systems'],
];

export function domainFromText(text: string): string {
  for (const [re, d] of KEYWORDS) if (re.test(text)) return d;
  return 'General';
}

/** Package-level domain from its Debian section, else its name/description/keywords. */
export function packageDomain(section: string, name: string, description: string, keywords: string[]): string {
  const sec = section.replace(/^.*\//, '').toLowerCase();
  const fromSection = SECTION_DOMAIN[sec];
  if (fromSection && fromSection !== 'General') return fromSection;
  const kw = keywords.join(' ');
  if (kw) {
    const d = domainFromText(kw);
    if (d !== 'General') return d;
  }
  return domainFromText(`${name.replace(/[-_.]/g, ' ')} ${description}`);
}

const IMPORT_LINE = /^\s*(?:import\s.+|from\s+\S+\s+import\s.+|#include\s*[<"].+|use\s+[\w:]+.*|require\(?\s*['"][^'"]+['"]\)?.*|.*\brequire\(['"][^'"]+['"]\).*|using\s+[\w.]+;|extern crate .+)$/gm;

/** File-level domain from its imports (used when the package domain is General). */
export function fileDomain(text: string, packageDom: string, path: string): string {
  if (packageDom !== 'General') return packageDom;
  if (/(?:^|\/)(?:tests?|spec|__tests__)\//.test(path) || /(?:_test|\.test|\.spec|_spec)\.\w+$|(?:^|\/)test_[^/]+$/.test(path)) return 'Testing';
  const imports = (text.slice(0, 20000).match(IMPORT_LINE) ?? []).join(' ').replace(/[^A-Za-z0-9 ]+/g, ' ');
  return imports ? domainFromText(imports) : 'General';
}

const COMMENT_LINE: Record<string, RegExp> = {
  python: /^\s*(?:#|"""|'''|[rRuU]?""")/, ruby: /^\s*#/, shell: /^\s*#/, perl: /^\s*(?:#|=\w)/,
  lua: /^\s*--/, haskell: /^\s*(?:--|\{-)/, php: /^\s*(?:\/\/|\/\*|\*|#)/,
};
const C_LIKE = /^\s*(?:\/\/|\/\*|\*)/;

export interface QualityInputs { hasTests: boolean; popularity: number; npmSrcTree: boolean; kind: string }

export function qualityScore(text: string, codeType: string, pkg: QualityInputs): number {
  const re = COMMENT_LINE[codeType] ?? C_LIKE;
  const lines = text.split('\n');
  let comments = 0, long = 0, tabs = 0, spaces = 0, inDoc = false;
  for (const l of lines) {
    if (codeType === 'python' && /"""|'''/.test(l)) {
      const n = (l.match(/"""|'''/g) ?? []).length;
      comments++;
      if (n % 2 === 1) inDoc = !inDoc;
      continue;
    }
    if (inDoc || re.test(l)) comments++;
    if (l.length > 160) long++;
    if (l.startsWith('\t')) tabs++; else if (l.startsWith('    ')) spaces++;
  }
  const n = lines.length;
  let score = 0;
  const docFrac = comments / n;
  if (docFrac >= 0.05 && docFrac <= 0.6) score++;
  if (n >= 20 && n <= 2000) score++;
  if (long / n <= 0.02 && Math.min(tabs, spaces) <= 0.05 * n) score++;
  if (pkg.hasTests) score++;
  if (pkg.kind === 'npm' ? true : pkg.popularity >= 5) score++;
  if (pkg.kind === 'npm' ? pkg.npmSrcTree : pkg.popularity >= 50) score++;
  return score;
}

export function qualityBucket(score: number): string {
  return score >= 5 ? '1' : score === 4 ? '2' : score === 3 ? '3' : '4';
}
