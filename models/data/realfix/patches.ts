// Debian patches (debian/patches/*, DEP-3 headers): which ones describe a fix, and applying a unified
// diff to a file's text in memory (hunks found by their old lines near where the header says, as
// `patch` does with an offset; no fuzz).

export interface Dep3 { description: string; bug: boolean; fields: Record<string, string> }

/** The DEP-3 header: the lines before the diff, `Field: value` (continuation lines joined). */
export function parseDep3(patch: string): Dep3 {
  const head = patch.split(/^(?:--- |diff |Index: )/m)[0] ?? '';
  const fields: Record<string, string> = {};
  let last = '';
  for (const line of head.split('\n')) {
    const m = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
    if (m) { last = m[1]!.toLowerCase(); fields[last] = ((fields[last] ? fields[last] + ' ' : '') + m[2]!).trim(); }
    else if (last && /^\s/.test(line)) fields[last] = `${fields[last]} ${line.trim()}`.trim();
  }
  const description = fields.description ?? fields.subject ?? '';
  return { description, bug: Object.keys(fields).some((k) => k === 'bug' || k.startsWith('bug-')), fields };
}

const FIXLIKE = /\b(?:fix(?:es|ed|ing)?|bug|crash(?:es)?|overflow|underflow|leak|segfault|off[- ]by[- ]one|incorrect(?:ly)?|wrong|CVE-\d+|null (?:pointer|deref)|uninitiali[sz]ed|race|out[- ]of[- ]bounds|use[- ]after[- ]free|regression|infinite loop|hang|miscalculat\w*|handle)\b/i;
const PACKAGING = /\b(?:FTBFS|build(?:ing|s)?|makefile|cmake|autoconf|automake|configure|packag\w*|install\w*|man ?pages?|manual|docs?|documentation|typos?|spelling|lintian|hardening|cross[- ]?compil\w*|reproducib\w*|paths?|debian(?:ize|isation|ization)?|soname|linking|linker|dependenc\w*|compiler warnings?|gcc[- ]?\d+|warnings?|python ?3 port|porting|test ?suite|tests?)\b/i;

const FEATURE = /\b(?:support|add(?:s|ed|ing)?|allow(?:s|ed)?|enabl\w*|new|feature|option|implement\w*|backport(?:ed)? .*feature)\b/i;

/** A fix of behaviour (a Bug field or fix words) and not packaging (build, install, docs, paths, tests). */
export function isFixPatch(d: Dep3): boolean {
  const text = `${d.description} ${d.fields.subject ?? ''}`;
  if (PACKAGING.test(text)) return false;
  if (FIXLIKE.test(text)) return true;
  // a Bug field alone: also wishlist bugs (a feature), so not where the description names one
  return d.bug && !FEATURE.test(text);
}

export interface FilePatch { oldPath: string; newPath: string; hunks: { oldStart: number; lines: string[] }[] }

/** The files of a unified diff (paths with their first component, a/ or the tree's name, left off). */
export function parseUnifiedDiff(patch: string): FilePatch[] {
  const out: FilePatch[] = [];
  const lines = patch.split('\n');
  const strip = (p: string) => p.replace(/\t.*$/, '').trim().replace(/^[^/]+\//, '');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('--- ') || !lines[i + 1]?.startsWith('+++ ')) continue;
    const fp: FilePatch = { oldPath: strip(lines[i]!.slice(4)), newPath: strip(lines[i + 1]!.slice(4)), hunks: [] };
    i += 2;
    while (i < lines.length) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(lines[i]!);
      if (!m) break;
      let oldLeft = m[2] === undefined ? 1 : Number(m[2]);
      let newLeft = m[4] === undefined ? 1 : Number(m[4]);
      const hunk = { oldStart: Number(m[1]), lines: [] as string[] };
      i++;
      while (i < lines.length && (oldLeft > 0 || newLeft > 0)) {
        const l = lines[i]!;
        if (l.startsWith('\\')) { i++; continue; }
        const c = l[0] ?? ' ';
        if (c === ' ' || l === '') { oldLeft--; newLeft--; hunk.lines.push(l === '' ? ' ' : l); }
        else if (c === '-') { oldLeft--; hunk.lines.push(l); }
        else if (c === '+') { newLeft--; hunk.lines.push(l); }
        else break;
        i++;
      }
      while (i < lines.length && lines[i]!.startsWith('\\')) i++;
      fp.hunks.push(hunk);
    }
    i--;
    out.push(fp);
  }
  return out;
}

/** The text with the hunks applied, or null where a hunk's old lines are not found. */
export function applyFilePatch(text: string, fp: FilePatch): string | null {
  const lines = text.split('\n');
  let shift = 0;
  for (const h of fp.hunks) {
    const old = h.lines.filter((l) => l[0] !== '+').map((l) => l.slice(1));
    const neu = h.lines.filter((l) => l[0] !== '-').map((l) => l.slice(1));
    const want = Math.max(0, h.oldStart - 1 + shift - (old.length === 0 ? -1 : 0));
    let at = -1;
    for (let d = 0; d < lines.length + 1 && at < 0; d++) {
      for (const p of d === 0 ? [want] : [want - d, want + d]) {
        if (p < 0 || p + old.length > lines.length) continue;
        if (old.every((l, k) => lines[p + k] === l)) { at = p; break; }
      }
      if (d > 2000) break;
    }
    if (at < 0) return null;
    lines.splice(at, old.length, ...neu);
    shift += at - (h.oldStart - 1) + neu.length - old.length;
  }
  return lines.join('\n');
}
