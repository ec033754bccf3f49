// Licence detection: a package's licence from its Debian copyright file (DEP-5 or free text) or its
// package.json, a file's licence from an SPDX header, else the DEP-5 `Files:` stanza that matches it,
// else the package's. Everything is normalised to an SPDX-like id; 'unknown' when nothing matched.

/** Normalise one licence name (DEP-5 short name, npm field, SPDX id) to an SPDX-like id. */
export function normaliseLicence(raw: string): string {
  let s = raw.trim().replace(/^\(|\)$/g, '').trim();
  if (!s) return 'unknown';
  // Expressions: "MIT or Apache-2.0", "GPL-2+ | Artistic" -> first alternative that normalises.
  const alts = s.split(/\s+(?:or|OR)\s+|\s*\|\s*/);
  if (alts.length > 1) {
    const norm = alts.map(normaliseLicence).filter((x) => x !== 'unknown');
    return norm.length ? norm.join(' OR ') : 'unknown';
  }
  const ands = s.split(/\s+(?:and|AND)\s+|\s*,\s*and\s+/);
  if (ands.length > 1) {
    const norm = ands.map(normaliseLicence);
    return norm.includes('unknown') ? 'unknown' : norm.join(' AND ');
  }
  s = s.replace(/\s+with\s+.*$/i, '').replace(/\s*\(.*\)$/, '').trim();
  const k = s.toLowerCase().replace(/[\s_]+/g, '-').replace(/-license$/, '').replace(/^the-/, '');
  const exact: Record<string, string> = {
    mit: 'MIT', expat: 'MIT', 'mit/x11': 'MIT', x11: 'MIT', 'mit-0': 'MIT-0', isc: 'ISC',
    'apache-2.0': 'Apache-2.0', 'apache-2': 'Apache-2.0', apache2: 'Apache-2.0', 'apache2.0': 'Apache-2.0', 'apache-v2.0': 'Apache-2.0',
    'bsd-2-clause': 'BSD-2-Clause', 'bsd-2': 'BSD-2-Clause', 'bsd-3-clause': 'BSD-3-Clause', 'bsd-3': 'BSD-3-Clause', bsd: 'BSD-3-Clause', 'bsd-4-clause': 'BSD-4-Clause',
    '0bsd': '0BSD', zlib: 'Zlib', 'zlib/libpng': 'Zlib', 'bsl-1.0': 'BSL-1.0', 'boost-1.0': 'BSL-1.0', boost: 'BSL-1.0',
    'psf-2': 'PSF-2.0', 'psf-2.0': 'PSF-2.0', psf: 'PSF-2.0', python: 'PSF-2.0', 'python-2.0': 'PSF-2.0', 'psfl': 'PSF-2.0',
    unlicense: 'Unlicense', cc0: 'CC0-1.0', 'cc0-1.0': 'CC0-1.0', 'public-domain': 'public-domain', 'wtfpl': 'WTFPL',
    'mpl-2.0': 'MPL-2.0', 'mpl-2': 'MPL-2.0', 'mpl-1.1': 'MPL-1.1', 'epl-1.0': 'EPL-1.0', 'epl-2.0': 'EPL-2.0',
    artistic: 'Artistic-1.0', 'artistic-1.0': 'Artistic-1.0', 'artistic-2.0': 'Artistic-2.0', 'artistic-1': 'Artistic-1.0', 'artistic-2': 'Artistic-2.0',
    ruby: 'Ruby', 'php-3.01': 'PHP-3.01', 'php-3.0': 'PHP-3.01', php: 'PHP-3.01', 'openssl': 'OpenSSL', 'curl': 'curl',
    'blueoak-1.0.0': 'BlueOak-1.0.0', 'unicode-dfs-2016': 'Unicode-DFS-2016', 'unicode-3.0': 'Unicode-3.0',
    'sqlite': 'public-domain', 'tcl': 'TCL', 'bzip2-1.0.6': 'bzip2-1.0.6', 'ncsa': 'NCSA', 'upl-1.0': 'UPL-1.0',
  };
  if (exact[k]) return exact[k]!;
  let m: RegExpMatchArray | null;
  if ((m = k.match(/^(l?gpl|agpl)-?v?([123](?:\.[01])?)?(\+|-or-later|-only)?$/))) {
    const fam = m[1]!.toUpperCase();
    const ver = m[2] ? (m[2].includes('.') ? m[2] : `${m[2]}.${fam === 'LGPL' && m[2] === '2' ? '1' : '0'}`) : fam === 'LGPL' ? '2.1' : '2.0';
    return `${fam}-${ver}${m[3] === '+' || m[3] === '-or-later' ? '-or-later' : ''}`;
  }
  if ((m = k.match(/^lgpl-?(2\.1|2|3)\+?/))) return `LGPL-${m[1] === '2' ? '2.1' : m[1]}`;
  if (/^bsd-?3/.test(k) || k === 'bsd-new' || k === 'new-bsd' || k === 'modified-bsd' || k === 'bsd-like' || k === 'bsd-style') return 'BSD-3-Clause';
  if (/^bsd-?2/.test(k) || k === 'simplified-bsd' || k === 'freebsd') return 'BSD-2-Clause';
  if (/^apache/.test(k) && /2/.test(k)) return 'Apache-2.0';
  if (/^mit/.test(k)) return 'MIT';
  if (/^(public-?domain|pd)$/.test(k)) return 'public-domain';
  if (/^artistic/.test(k)) return 'Artistic-1.0';
  if (/^mpl/.test(k)) return k.includes('1.1') ? 'MPL-1.1' : 'MPL-2.0';
  if (/^permissive|^other-permissive/.test(k)) return 'permissive-other';
  return 'unknown';
}

/** Guess a licence from free licence text (a LICENSE file, a non-DEP-5 copyright file, a file header). */
export function licenceFromText(text: string): string {
  const t = text.slice(0, 60000);
  const spdx = t.match(/SPDX-License-Identifier:\s*([A-Za-z0-9.+\-() ]+?)\s*(?:\*\/|-->|$)/m);
  if (spdx) {
    const n = normaliseLicence(spdx[1]!);
    if (n !== 'unknown') return n;
  }
  if (/Apache License,?\s+Version 2\.0/i.test(t)) return 'Apache-2.0';
  if (/GNU LESSER GENERAL PUBLIC LICENSE|GNU Lesser General Public License|GNU Library General Public/i.test(t)) {
    return /version 3/i.test(t) && !/version 2/i.test(t) ? 'LGPL-3.0' : 'LGPL-2.1';
  }
  if (/GNU AFFERO GENERAL PUBLIC LICENSE/i.test(t)) return 'AGPL-3.0';
  if (/GNU GENERAL PUBLIC LICENSE|GNU General Public License/i.test(t)) {
    const v = t.match(/GNU General Public License[^.]{0,80}?version\s+(\d)/i) ?? t.match(/Version (\d), \w+ \d{4}/);
    return v?.[1] === '3' ? 'GPL-3.0' : 'GPL-2.0';
  }
  if (/Mozilla Public License,?\s+(?:v\.?|version)\s*2\.0/i.test(t)) return 'MPL-2.0';
  if (/Boost Software License/i.test(t)) return 'BSL-1.0';
  if (/Permission is hereby granted, free of charge, to any person/i.test(t)) return 'MIT';
  if (/Permission to use, copy, modify, and(?:\/or)? distribute this software for any/i.test(t)) return 'ISC';
  if (/Redistribution and use in source and binary forms/i.test(t)) {
    if (/advertising materials/i.test(t)) return 'BSD-4-Clause';
    return /Neither the name|names of (?:its|the) contributors may be used/i.test(t) ? 'BSD-3-Clause' : 'BSD-2-Clause';
  }
  if (/This software is provided 'as-is', without any express or implied/i.test(t)) return 'Zlib';
  if (/PYTHON SOFTWARE FOUNDATION LICENSE/i.test(t)) return 'PSF-2.0';
  if (/This is free and unencumbered software released into the public domain/i.test(t)) return 'Unlicense';
  if (/CC0 1\.0 Universal/i.test(t)) return 'CC0-1.0';
  if (/The Artistic License 2\.0/i.test(t)) return 'Artistic-2.0';
  if (/under the same terms as Perl itself/i.test(t)) return 'Artistic-1.0 OR GPL-1.0-or-later';
  if (/Eclipse Public License/i.test(t)) return /2\.0/.test(t) ? 'EPL-2.0' : 'EPL-1.0';
  if (/Ruby is copyrighted free software/i.test(t)) return 'Ruby';
  if (/The PHP License, version 3\.01/i.test(t)) return 'PHP-3.01';
  if (/\b(?:placed|released|dedicated) (?:in|into|to) the public domain\b/i.test(t)) return 'public-domain';
  return 'unknown';
}

export interface CopyrightStanza { files: string[]; license: string }

/**
 * Glob index: a trie over the literal leading path segments of each glob; a node holds the globs whose
 * literal part ends there, as anchored regexps over the rest of the path. Matching a path walks the trie
 * once for each suffix of the path that starts at a segment boundary (binary packages install files under
 * other prefixes than the source tree the globs describe), so only a handful of regexps are tested per file
 * -- boost's copyright file has 1,645 stanzas.
 */
interface TrieNode { children: Map<string, TrieNode>; entries: { stanza: number; re: RegExp }[] }

/** A parsed copyright file: the `Files:` stanzas (DEP-5), and the package-level licence. */
export interface Copyright { stanzas: CopyrightStanza[]; license: string; dep5: boolean; index?: TrieNode }

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const isStar = (g: string) => g === '*' || g === './*';

function buildIndex(stanzas: CopyrightStanza[]): TrieNode {
  const root: TrieNode = { children: new Map(), entries: [] };
  stanzas.forEach((s, i) => {
    for (const raw of s.files) {
      if (isStar(raw)) continue; // the package default, applied last
      const segs = raw.replace(/^\.\//, '').split('/');
      let node = root, k = 0;
      while (k < segs.length - 1 && !/[*?]/.test(segs[k]!)) {
        let next = node.children.get(segs[k]!);
        if (!next) node.children.set(segs[k]!, (next = { children: new Map(), entries: [] }));
        node = next; k++;
      }
      node.entries.push({ stanza: i, re: globToRegExp(segs.slice(k).join('/')) });
    }
  });
  return root;
}

/** Index of the last stanza with a glob matching `path` (or a suffix of it at a '/'), or -1. */
function matchStanza(index: TrieNode, path: string): number {
  const segs = path.split('/');
  let best = -1;
  for (let start = 0; start < segs.length; start++) {
    let node: TrieNode | undefined = index;
    for (let k = start; node; k++) {
      if (node.entries.length) {
        const rest = segs.slice(k).join('/');
        for (const e of node.entries) if (e.stanza > best && e.re.test(rest)) best = e.stanza;
      }
      if (k >= segs.length - 1) break;
      node = node.children.get(segs[k]!);
    }
  }
  return best;
}

/** Parse a Debian copyright file. DEP-5 (machine-readable) or free text. */
export function parseCopyright(text: string): Copyright {
  const dep5 = /^Format:\s*\S*(?:copyright-format|dep5|DEP-5)/im.test(text.slice(0, 2000));
  if (!dep5) return { stanzas: [], license: licenceFromText(text), dep5: false };
  const paras = text.split(/\n\s*\n/);
  const stanzas: CopyrightStanza[] = [];
  const standalone = new Map<string, string>();
  for (const p of paras) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of p.split('\n')) {
      const m = line.match(/^([A-Za-z-]+):\s*(.*)$/);
      if (m) { last = m[1]!.toLowerCase(); fields.set(last, m[2]!); }
      else if (last && /^\s/.test(line)) fields.set(last, `${fields.get(last)}\n${line}`);
    }
    const lic = fields.get('license');
    if (lic === undefined) continue;
    const [first = '', ...body] = lic.split('\n');
    if (fields.has('files')) {
      const globs = fields.get('files')!.split(/\s+/).filter(Boolean);
      if (globs.some((g) => g.startsWith('debian/'))) {
        // Debian packaging files: not part of the upstream code we take.
        if (globs.every((g) => g.startsWith('debian/'))) continue;
      }
      let id = normaliseLicence(first);
      if (id === 'unknown' && body.length) id = licenceFromText(body.join('\n'));
      stanzas.push({ files: globs, license: id === 'unknown' ? `?${first.trim()}` : id });
    } else if (first.trim()) {
      standalone.set(first.trim(), body.join('\n'));
    }
  }
  // Stanzas that named a licence we could not normalise: use its standalone text.
  for (const s of stanzas) {
    if (s.license.startsWith('?')) {
      const name = s.license.slice(1);
      const body = standalone.get(name);
      s.license = body ? licenceFromText(body) : 'unknown';
    }
  }
  const star = [...stanzas].reverse().find((s) => s.files.some(isStar));
  const license = star?.license ?? stanzas[0]?.license ?? 'unknown';
  return { stanzas, license, dep5: true, index: buildIndex(stanzas) };
}

/** A file's licence: SPDX header, else the last matching DEP-5 stanza, else the package's. */
export function fileLicence(path: string, head: string, pkg: Copyright): string {
  const m = head.match(/SPDX-License-Identifier:\s*([A-Za-z0-9.+\-() ]+?)\s*(?:\*\/|-->|$)/m);
  if (m) {
    const n = normaliseLicence(m[1]!);
    if (n !== 'unknown') return n;
  }
  if (pkg.index) {
    const i = matchStanza(pkg.index, path);
    if (i >= 0) return pkg.stanzas[i]!.license;
  }
  return pkg.license;
}

/** npm package.json licence field (string, {type}, or legacy `licenses` array). */
export function npmLicence(pkg: Record<string, unknown>, licenceText?: string): string {
  const l = pkg.license ?? pkg.licenses;
  let raw = '';
  if (typeof l === 'string') raw = l;
  else if (Array.isArray(l)) raw = l.map((x) => (typeof x === 'string' ? x : (x as { type?: string }).type ?? '')).join(' OR ');
  else if (l && typeof l === 'object') raw = (l as { type?: string }).type ?? '';
  let id = normaliseLicence(raw);
  if (id === 'unknown' && licenceText) id = licenceFromText(licenceText);
  return id;
}

/** Is an (SPDX-like) licence expression allowed? OR: any alternative allowed; AND: all parts. */
export function licenceAllowed(expr: string, allow: ReadonlySet<string>): boolean {
  if (expr.includes(' OR ')) return expr.split(' OR ').some((e) => licenceAllowed(e, allow));
  if (expr.includes(' AND ')) return expr.split(' AND ').every((e) => licenceAllowed(e, allow));
  return allow.has(expr.trim());
}
