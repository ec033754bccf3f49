// Source B of the real-fix data (issue 28): Debian source packages' own patches (debian/patches, in
// series order) whose DEP-3 header describes a fix (patches.ts isFixPatch: a Bug field or fix words,
// not build/packaging/docs). Each patch is applied in memory to the upstream file as the earlier patches
// of the series left it; the functions it changes by a small edit (pairs.ts) are the pairs. Licence per
// file from debian/copyright (permissive only, as collect.ts). Writes --out/pairs-debian.jsonl.xz in
// collect.ts's layout (+ source "debian", description) and --out/debian.json (the counts).
//   npx tsx models/data/realfix/debian.ts --debian-cache DIR [--out build/realfix]
// DIR holds one folder per source package with its *.debian.tar.* and *.orig.tar.* (the corpus build's
// build/cache/deb-src, `apt-get source --download-only`).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDecontamIndex } from '../corpus/decontaminate';
import { codeTypeFromName, headerCodeType } from '../corpus/lang';
import { fileLicence, licenceAllowed, parseCopyright } from '../corpus/licence';
import type { Manifest } from '../corpus/types';
import { PERMISSIVE } from './collect';
import { functionPairs, isTestPath, pairGate } from './pairs';
import { applyFilePatch, isFixPatch, parseDep3, parseUnifiedDiff } from './patches';

/** The languages the product's semantic repair ranks (code_type -> the editor's language id). */
const LANGUAGE_IDS: Record<string, string> = { python: 'python', javascript: 'javascript', typescript: 'typescript', java: 'java', go: 'go', rust: 'rust', c: 'c', cpp: 'cpp' };

function languageOf(path: string, text: string): string | null {
  let ct = codeTypeFromName(path);
  if (ct === '?h') ct = headerCodeType(text);
  return ct && LANGUAGE_IDS[ct] ? LANGUAGE_IDS[ct]! : null;
}

const tarList = (file: string) => execFileSync('tar', ['-tf', file], { maxBuffer: 1 << 28 }).toString('utf8').split('\n').filter(Boolean);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let cache = '', out = resolve('build/realfix');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--debian-cache') cache = resolve(argv[++i] ?? '');
    else if (argv[i] === '--out') out = resolve(argv[++i] ?? '');
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (!cache) throw new Error('usage: --debian-cache DIR [--out DIR]');
  const manifest = JSON.parse(readFileSync(resolve('models/data/manifest.json'), 'utf8')) as Manifest;
  const decontam = loadDecontamIndex(resolve(manifest.decontamination.dir), manifest.decontamination.ngram);
  mkdirSync(out, { recursive: true });
  const t0 = Date.now();
  const log = (m: string) => console.error(`[${Math.round((Date.now() - t0) / 1000)} s] ${m}`);
  const counts = { packages: 0, withPatches: 0, patches: 0, fixPatches: 0, fixPatchesWithCode: 0, filesPatched: 0, notApplied: 0, notPermissive: 0, functions: {} as Record<string, number>, duplicates: 0, decontaminated: 0, kept: {} as Record<string, number> };
  const keep = pairGate(decontam, counts);
  const licences: Record<string, number> = {};
  const lines: string[] = [];
  const tmpRoot = mkdtempSync(join(tmpdir(), 'realfix-deb-'));
  try {
    for (const pkg of readdirSync(cache).sort()) {
      const dir = join(cache, pkg);
      const files = existsSync(dir) ? readdirSync(dir) : [];
      const debTar = files.find((f) => /\.debian\.tar\.\w+$/.test(f));
      const orig = files.find((f) => /\.orig\.tar\.\w+$/.test(f));
      if (!debTar || !orig) continue;
      counts.packages++;
      const version = debTar.replace(/^[^_]+_/, '').replace(/\.debian\.tar\.\w+$/, '');
      const tmp = join(tmpRoot, pkg);
      mkdirSync(tmp, { recursive: true });
      const r = spawnSync('tar', ['-xf', join(dir, debTar), '-C', tmp, '--wildcards', 'debian/patches/*', 'debian/copyright'], { encoding: 'utf8' });
      const pdir = join(tmp, 'debian', 'patches');
      if (r.status !== 0 && !existsSync(pdir)) { rmSync(tmp, { recursive: true, force: true }); continue; }
      const seriesFile = join(pdir, 'series');
      const series = existsSync(seriesFile) ? readFileSync(seriesFile, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim().split(/\s+/)[0]!).filter((l) => l && existsSync(join(pdir, l))) : [];
      if (!series.length) { rmSync(tmp, { recursive: true, force: true }); continue; }
      counts.withPatches++;
      const copyright = parseCopyright(existsSync(join(tmp, 'debian', 'copyright')) ? readFileSync(join(tmp, 'debian', 'copyright'), 'utf8') : '');
      // the patches and the source files they touch
      const parsed = series.map((name) => {
        const text = readFileSync(join(pdir, name), 'latin1');
        return { name, dep3: parseDep3(text), files: parseUnifiedDiff(text).filter((f) => codeTypeFromName(f.newPath) !== null && !/(?:^|\/)debian\//.test(f.newPath)) };
      });
      counts.patches += parsed.length;
      const fixes = parsed.filter((p) => isFixPatch(p.dep3));
      counts.fixPatches += fixes.length;
      const wanted = new Set(fixes.flatMap((p) => p.files.map((f) => f.oldPath)));
      if (!wanted.size) { rmSync(tmp, { recursive: true, force: true }); continue; }
      // the upstream files the fixes touch (one pass over the upstream tarball)
      let members: string[] = [];
      try { members = tarList(join(dir, orig)); } catch { rmSync(tmp, { recursive: true, force: true }); continue; }
      const byRel = new Map<string, string>();
      for (const m of members) { byRel.set(m.replace(/^[^/]+\//, ''), m); if (!byRel.has(m)) byRel.set(m, m); }
      const touched = new Set(parsed.flatMap((p) => p.files.map((f) => f.oldPath)).filter((p) => byRel.has(p)));
      const src = join(tmp, 'src');
      mkdirSync(src, { recursive: true });
      const need = [...touched].filter((p) => [...wanted].includes(p)).map((p) => byRel.get(p)!);
      if (!need.length) { rmSync(tmp, { recursive: true, force: true }); continue; }
      // earlier patches to the same files matter too: take every touched file
      spawnSync('tar', ['-xf', join(dir, orig), '-C', src, ...[...touched].map((p) => byRel.get(p)!)], { maxBuffer: 1 << 26 });
      const state = new Map<string, string | null>();
      const textOf = (p: string) => {
        if (!state.has(p)) { const f = join(src, byRel.get(p) ?? p); state.set(p, existsSync(f) ? readFileSync(f, 'utf8') : null); }
        return state.get(p)!;
      };
      let keptHere = 0;
      for (const p of parsed) {
        const fix = isFixPatch(p.dep3);
        if (fix && p.files.length) counts.fixPatchesWithCode++;
        for (const f of p.files) {
          if (!touched.has(f.oldPath)) continue;
          const before = textOf(f.oldPath);
          if (before === null) continue;
          const after = applyFilePatch(before, f);
          if (after === null) { counts.notApplied++; state.set(f.oldPath, null); continue; }
          state.set(f.oldPath, after);
          if (!fix || before.length > 200_000) continue;
          const languageId = languageOf(f.oldPath, before);
          if (!languageId) continue;
          const licence = fileLicence(f.oldPath, before.slice(0, 4000), copyright);
          if (!licenceAllowed(licence, PERMISSIVE)) { counts.notPermissive++; continue; }
          counts.filesPatched++;
          const fns = await functionPairs(before, after, languageId, counts.functions).catch(() => []);
          for (const fn of fns) {
            if (!keep(fn)) continue;
            counts.kept[languageId] = (counts.kept[languageId] ?? 0) + 1;
            licences[licence] = (licences[licence] ?? 0) + 1;
            keptHere++;
            lines.push(JSON.stringify({ package: pkg, from: version, to: `${version}+${p.name}`, licence, language: languageId, path: f.oldPath, test: isTestPath(f.oldPath), ...fn, doc: before, source: 'debian', description: p.dep3.description.slice(0, 300) }));
          }
        }
      }
      rmSync(tmp, { recursive: true, force: true });
      log(`${pkg}: ${series.length} patches, ${fixes.length} fixes, ${keptHere} pairs; kept so far ${JSON.stringify(counts.kept)}`);
    }
  } finally {
    rmSync(tmpRoot, { recursive: true, force: true });
  }
  const outFile = join(out, 'pairs-debian.jsonl');
  writeFileSync(outFile, lines.length ? lines.join('\n') + '\n' : '');
  execFileSync('xz', ['-f', '-1', outFile]);
  const report = { command: 'npx tsx models/data/realfix/debian.ts --debian-cache DIR', seconds: Math.round((Date.now() - t0) / 1000), counts, licences };
  writeFileSync(join(out, 'debian.json'), JSON.stringify(report, null, 1) + '\n');
  log(JSON.stringify(report));
}

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
