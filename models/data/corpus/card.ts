// The data card: models/data/data-card.json (machine-readable) and models/data/DATA.md (generated
// tables after a hand-written introduction kept in card-intro.md).
import { mkdirSync, readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Counter, DropReason, FetchedPackage, Manifest, PackageRef, PackageResult, CorpusRecord } from './types.js';
import type { ShardInfo } from './shards.js';

type Table = Record<string, Record<string, Counter>>;

function add(t: Table, row: string, col: string, bytes: number, files = 1): void {
  const r = (t[row] ??= {});
  const c = (r[col] ??= { files: 0, bytes: 0 });
  c.files += files; c.bytes += bytes;
}

export interface PackageCard {
  name: string; kind: string; version: string; group: string; license: string; domain: string; split: string;
  seen: Counter; kept: Counter; error?: string;
}

export class CardStats {
  total: Counter = { files: 0, bytes: 0 };
  candidates: Counter = { files: 0, bytes: 0 };
  seen: Counter = { files: 0, bytes: 0 };
  other: Counter = { files: 0, bytes: 0 };
  drops: Partial<Record<DropReason, Counter>> = {};
  byLang: Table = {}; byDomain: Table = {}; byQuality: Table = {}; bySource: Table = {}; byLicence: Table = {};
  packages = new Map<string, PackageCard>();
  decontaminated: { package: string; path: string }[] = [];
  slowest: { name: string; ms: number }[] = [];

  addPackage(pkg: FetchedPackage, res: PackageResult, split: string): void {
    this.packages.set(pkg.name, {
      name: pkg.name, kind: pkg.kind, version: pkg.version, group: pkg.group, license: res.license, domain: res.domain, split,
      seen: res.seen, kept: { files: 0, bytes: 0 }, ...(res.error ? { error: res.error } : {}),
    });
    this.seen.files += res.seen.files; this.seen.bytes += res.seen.bytes;
    this.other.files += res.other.files; this.other.bytes += res.other.bytes;
    for (const [r, c] of Object.entries(res.drops) as [DropReason, Counter][]) {
      const d = (this.drops[r] ??= { files: 0, bytes: 0 });
      d.files += c.files; d.bytes += c.bytes;
    }
    for (const c of res.candidates) { this.candidates.files++; this.candidates.bytes += Buffer.byteLength(c.text); }
    for (const p of res.decontaminatedPaths) this.decontaminated.push({ package: pkg.name, path: p });
    this.slowest.push({ name: pkg.name, ms: res.ms });
    this.slowest.sort((a, b) => b.ms - a.ms);
    this.slowest.length = Math.min(this.slowest.length, 10);
  }

  drop(_pkg: string, reason: DropReason, bytes: number): void {
    const d = (this.drops[reason] ??= { files: 0, bytes: 0 });
    d.files++; d.bytes += bytes;
  }

  keep(rec: CorpusRecord, split: string, bytes: number): void {
    this.total.files++; this.total.bytes += bytes;
    add(this.byLang, rec.code_type, split, bytes);
    add(this.byDomain, rec.domain, split, bytes);
    add(this.byQuality, rec.quality_bucket, split, bytes);
    add(this.bySource, rec.source_kind, split, bytes);
    add(this.byLicence, rec.license, 'all', bytes);
    const p = this.packages.get(rec.package);
    if (p) { p.kept.files++; p.kept.bytes += bytes; }
  }
}

export interface CardInput {
  small: boolean; manifestSha256: string; manifest: Manifest; refs: PackageRef[];
  failed: { name: string; kind: string; error: string }[]; stats: CardStats; shards: ShardInfo[]; outDir: string;
  seconds: number; fetchSeconds: number; workers: number; decontamination: { dir: string; ngram: number };
  candidatesBeforeDedup: Counter;
}

const MB = (b: number) => (b / 1e6).toFixed(1);
const SPLITS = ['train', 'valid', 'test'];

function tableMd(title: string, t: Table, cols: string[]): string {
  const rows = Object.keys(t).sort((a, b) => sum(t[b]!) - sum(t[a]!));
  let s = `### ${title}\n\n| ${title.split(' ')[0]} | ${cols.map((c) => `${c} files | ${c} MB`).join(' | ')} | total files | total MB |\n|---|${cols.map(() => '---:|---:').join('|')}|---:|---:|\n`;
  for (const r of rows) {
    const cells = cols.map((c) => { const v = t[r]![c]; return `${v?.files ?? 0} | ${MB(v?.bytes ?? 0)}`; });
    const tf = Object.values(t[r]!).reduce((a, v) => a + v.files, 0);
    s += `| ${r} | ${cells.join(' | ')} | ${tf} | ${MB(sum(t[r]!))} |\n`;
  }
  return `${s}\n`;
}
function sum(r: Record<string, Counter>): number { return Object.values(r).reduce((a, v) => a + v.bytes, 0); }

export function writeCard(dir: string, c: CardInput): void {
  mkdirSync(dir, { recursive: true });
  const st = c.stats;
  const pk = [...st.packages.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const perSplit: Record<string, Counter> = {};
  for (const s of c.shards) { const v = (perSplit[s.split] ??= { files: 0, bytes: 0 }); v.files += s.records; v.bytes += s.bytes; }
  const groups: Record<string, { kind: string; packages: number; kept: Counter }> = {};
  for (const p of pk) {
    const g = (groups[p.group] ??= { kind: p.kind, packages: 0, kept: { files: 0, bytes: 0 } });
    g.packages++; g.kept.files += p.kept.files; g.kept.bytes += p.kept.bytes;
  }
  const json = {
    build: {
      small: c.small, seed: c.manifest.seed, manifest_sha256: c.manifestSha256, seconds: Math.round(c.seconds), fetch_seconds: Math.round(c.fetchSeconds),
      workers: c.workers, date: new Date().toISOString().slice(0, 10), output: relative(process.cwd(), c.outDir) || '.',
    },
    totals: { files: st.total.files, bytes: st.total.bytes, per_split: perSplit },
    considered: { code_files: st.seen, non_code_files_ignored: st.other, candidates_before_dedup: c.candidatesBeforeDedup },
    filters_removed: st.drops,
    decontamination: { set: c.decontamination.dir, ngram_words: c.decontamination.ngram, files_removed: st.decontaminated.length, files: st.decontaminated },
    licences: Object.fromEntries(Object.entries(st.byLicence).sort((a, b) => sum(b[1]) - sum(a[1])).map(([k, v]) => [k, v.all])),
    allowed_licences: c.manifest.licenses.allow,
    by_language: st.byLang, by_domain: st.byDomain, by_quality_bucket: st.byQuality, by_source_kind: st.bySource,
    groups,
    failed_packages: [...c.failed, ...pk.filter((p) => p.error).map((p) => ({ name: p.name, kind: p.kind, error: p.error! }))],
    slowest_packages: st.slowest,
    shards: c.shards.map((s) => ({ file: s.file.slice(s.file.lastIndexOf('/') + 1), records: s.records, bytes: s.bytes, compressed_bytes: s.compressedBytes })),
    packages: pk.map((p) => ({ name: p.name, kind: p.kind, version: p.version, group: p.group, license: p.license, domain: p.domain, split: p.split, code_files: p.seen.files, kept_files: p.kept.files, kept_bytes: p.kept.bytes })),
  };
  // Indented, except that each package / decontaminated file / shard is one line (thousands of them).
  const text = JSON.stringify(json, null, 1).replace(/\{\n\s+("(?:name|package|file)": [^{}\[\]]*?)\n\s+\}/g, (_m, body: string) => `{${body.replace(/\n\s+/g, ' ')}}`);
  const tmp = join(dir, 'data-card.json.tmp');
  writeFileSync(tmp, `${text}\n`);
  renameSync(tmp, join(dir, 'data-card.json'));

  const intro = readFileSync(join(__dirname, 'card-intro.md'), 'utf8');
  const maxShard = Math.max(0, ...c.shards.map((s) => s.compressedBytes));
  let md = intro.trimEnd() + '\n\n## Corpus: latest build\n\n<!-- Generated by the build (models/data/corpus/card.ts) from models/data/corpus/card-intro.md and the build\'s statistics. -->\n\n';
  md += `- Build: ${c.small ? '`--small`' : 'full'}, seed ${c.manifest.seed}, manifest sha256 \`${c.manifestSha256.slice(0, 16)}\`, ${json.build.date}; `
    + `${Math.round(c.seconds)} s wall (download ${Math.round(c.fetchSeconds)} s), ${c.workers} workers.\n`;
  md += `- Kept: **${st.total.files} files, ${MB(st.total.bytes)} MB** of source (${(st.total.bytes / 2 ** 30).toFixed(2)} GiB) from ${pk.filter((p) => p.kept.files).length} packages; `
    + `${c.shards.length} shards, largest ${(maxShard / 2 ** 20).toFixed(1)} MiB compressed (limit 60 MiB), ${MB(c.shards.reduce((a, s) => a + s.compressedBytes, 0))} MB compressed in all.\n`;
  md += `- Per split: ${SPLITS.map((s) => `${s} ${perSplit[s]?.files ?? 0} files / ${MB(perSplit[s]?.bytes ?? 0)} MB`).join('; ')}.\n`;
  md += `- Considered: ${st.seen.files} files in a kept language (${MB(st.seen.bytes)} MB); ${st.other.files} other files (docs, data, binaries, other languages; ${MB(st.other.bytes)} MB) ignored.\n`;
  md += `- Decontamination: ${st.decontaminated.length} files shared a ${c.decontamination.ngram}-word n-gram with HumanEvalPack and were removed (listed in data-card.json). The kept data has zero such overlap by construction; \`test/data/corpus-decontaminate.test.ts\` checks it.\n`;
  md += `- Failed packages (skipped): ${json.failed_packages.length}${json.failed_packages.length ? ' -- ' + json.failed_packages.slice(0, 30).map((f) => `${f.name} (${f.error.slice(0, 80)})`).join('; ') : ''}.\n\n`;
  md += '### What each filter removed\n\n| filter | files | MB |\n|---|---:|---:|\n';
  for (const [r, v] of Object.entries(st.drops).sort((a, b) => b[1].bytes - a[1].bytes)) md += `| ${r} | ${v.files} | ${MB(v.bytes)} |\n`;
  md += '\n';
  md += tableMd('code_type × split', st.byLang, SPLITS);
  md += tableMd('domain × split', st.byDomain, SPLITS);
  md += tableMd('quality_bucket × split', st.byQuality, SPLITS);
  md += tableMd('source_kind × split', st.bySource, SPLITS);
  md += '### Licences (kept files)\n\n| licence | files | MB |\n|---|---:|---:|\n';
  for (const [k, v] of Object.entries(st.byLicence).sort((a, b) => sum(b[1]) - sum(a[1]))) md += `| ${k} | ${v.all!.files} | ${MB(v.all!.bytes)} |\n`;
  md += '\n### Source groups\n\n| group | kind | packages | kept files | kept MB |\n|---|---|---:|---:|---:|\n';
  for (const [g, v] of Object.entries(groups)) md += `| ${g} | ${v.kind} | ${v.packages} | ${v.kept.files} | ${MB(v.kept.bytes)} |\n`;
  md += `\nEvery package (name, version, licence, domain, split, files kept) is listed in \`data-card.json\` (\`packages\`).\n`;
  // DATA.md is shared with the tasks stage: only the corpus section (between the markers) is replaced.
  const BEGIN = '<!-- corpus:begin -->', END = '<!-- corpus:end -->';
  const target = join(dir, 'DATA.md');
  const old = existsSync(target) ? readFileSync(target, 'utf8') : '# Training data card\n\nBuilt by `npm run data` (models/data/build.ts). Sections: the code corpus (models/data/corpus), then the tasks (models/data/tasks).\n\n';
  const section = `${BEGIN}\n${md.trimEnd()}\n${END}`;
  const b = old.indexOf(BEGIN), e = old.indexOf(END);
  const next = b >= 0 && e > b ? old.slice(0, b) + section + old.slice(e + END.length) : `${old.trimEnd()}\n\n${section}\n`;
  const tmd = join(dir, 'DATA.md.tmp');
  writeFileSync(tmd, next);
  renameSync(tmd, target);
}
