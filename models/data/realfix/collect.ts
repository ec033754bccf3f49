// Source A of the real-fix data (issue 28): npm packages' consecutive patch releases. For each package
// (packages.txt + the corpus manifest's npm packages): its releases from the registry, up to --pairs patch
// pairs (versions.ts), both tarballs (cached), and every JavaScript/TypeScript file present in both
// releases with changed text diffed function by function (pairs.ts). Writes build/realfix/pairs.jsonl.xz,
// one small-edit function pair a line: {package, from, to, licence, language, path, test, startLine,
// endLine, hunkLine, removed, added, before, after, doc} (doc = the old file: the context the product sees),
// deduplicated by (before, after), decontaminated against HumanEvalPack; and build/realfix/collect.json
// (the counts).
//   npx tsx models/data/realfix/collect.ts [--packages N] [--pairs 10] [--jobs 16] [--max-unpacked 8000000] [--cache build/cache/realfix] [--out build/realfix]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadDecontamIndex } from '../corpus/decontaminate';
import { licenceAllowed, npmLicence } from '../corpus/licence';
import type { Manifest } from '../corpus/types';
import { fileSkipReason, functionPairs, isTestPath, languageOfPath, pairGate } from './pairs';
import { releases, tarball, untar, type Release } from './registry';
import { patchPairs } from './versions';

/** Permissive licences only (the brief of issue 28: MIT, ISC, BSD, Apache). */
export const PERMISSIVE = new Set(['MIT', 'MIT-0', 'ISC', '0BSD', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0']);

interface Args { packages: number; pairs: number; jobs: number; maxUnpacked: number; cache: string; out: string; maxFileChars: number }

function parseArgs(argv: string[]): Args {
  const a: Args = { packages: Infinity, pairs: 10, jobs: 16, maxUnpacked: 8_000_000, cache: resolve('build/cache/realfix'), out: resolve('build/realfix'), maxFileChars: 60_000 };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i] ?? '';
    switch (argv[i]) {
      case '--packages': a.packages = Number(v()); break;
      case '--pairs': a.pairs = Number(v()); break;
      case '--jobs': a.jobs = Number(v()); break;
      case '--max-unpacked': a.maxUnpacked = Number(v()); break;
      case '--max-file-chars': a.maxFileChars = Number(v()); break;
      case '--cache': a.cache = resolve(v()); break;
      case '--out': a.out = resolve(v()); break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return a;
}

/** The package names: the tracked list, then the corpus manifest's npm packages (their pinned version dropped). */
export function packageNames(listText: string, manifest: Manifest): string[] {
  const names = listText.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const s of manifest.sources) if (s.kind === 'npm') for (const p of s.packages ?? []) names.push(p.replace(/^(.+)@[^@]*$/, '$1'));
  return [...new Set(names)];
}

/** Runs `fn` over `items`, `jobs` at a time. */
async function pool<T, R>(items: readonly T[], jobs: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  }));
  return out;
}

const keepPath = (p: string) => p === 'package.json' || languageOfPath(p) !== null;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const here = resolve('models/data/realfix');
  const manifest = JSON.parse(readFileSync(resolve('models/data/manifest.json'), 'utf8')) as Manifest;
  const names = packageNames(readFileSync(join(here, 'packages.txt'), 'utf8'), manifest).slice(0, args.packages);
  const decontam = loadDecontamIndex(resolve(manifest.decontamination.dir), manifest.decontamination.ngram);
  mkdirSync(args.out, { recursive: true });
  const t0 = Date.now();
  const log = (m: string) => console.error(`[${Math.round((Date.now() - t0) / 1000)} s] ${m}`);

  // 1. releases and patch pairs (network)
  const failed: Record<string, string> = {};
  const plans = await pool(names, args.jobs, async (name) => {
    try {
      const rels = await releases(name, args.cache);
      const byVersion = new Map(rels.map((r) => [r.version, r]));
      const small = (r?: Release) => r && (r.unpackedSize ?? 0) <= args.maxUnpacked;
      const pairs = patchPairs(rels.map((r) => r.version), args.pairs * 3).filter((p) => small(byVersion.get(p.from)) && small(byVersion.get(p.to))).slice(0, args.pairs);
      return { name, pairs: pairs.map((p) => ({ ...p, a: byVersion.get(p.from)!, b: byVersion.get(p.to)! })) };
    } catch (e) {
      failed[name] = (e as Error).message;
      return { name, pairs: [] };
    }
  });
  log(`releases: ${names.length} packages, ${Object.keys(failed).length} failed, ${plans.reduce((n, p) => n + p.pairs.length, 0)} patch pairs`);

  // 2. tarballs (network, in parallel)
  const wanted = new Map<string, { name: string; rel: Release }>();
  for (const p of plans) for (const q of p.pairs) for (const rel of [q.a, q.b]) wanted.set(`${p.name}@${rel.version}`, { name: p.name, rel });
  let done = 0;
  const got = new Set<string>();
  await pool([...wanted.entries()], args.jobs, async ([key, { name, rel }]) => {
    try { await tarball(name, rel, args.cache); got.add(key); } catch (e) { failed[key] = (e as Error).message; }
    if (++done % 500 === 0) log(`tarballs: ${done}/${wanted.size}`);
  });
  log(`tarballs: ${got.size}/${wanted.size}`);

  // 3. diff (CPU, one at a time)
  const counts = { packages: names.length, packagesWithPairs: 0, patchPairs: 0, patchPairsDiffed: 0, notPermissive: 0, changedFiles: 0, changedTestFiles: 0, skippedFiles: {} as Record<string, number>, functions: {} as Record<string, number>, duplicates: 0, decontaminated: 0, kept: {} as Record<string, number>, keptTest: 0 };
  const keep = pairGate(decontam, counts);
  const licences: Record<string, number> = {};
  const outFile = join(args.out, 'pairs.jsonl');
  writeFileSync(outFile, '');
  const lines: string[] = [];
  for (const p of plans) {
    if (p.pairs.length) counts.packagesWithPairs++;
    for (const q of p.pairs) {
      counts.patchPairs++;
      const [ka, kb] = [`${p.name}@${q.from}`, `${p.name}@${q.to}`];
      if (!got.has(ka) || !got.has(kb)) continue;
      let fa: Map<string, string>, fb: Map<string, string>;
      try {
        fa = untar(await tarball(p.name, q.a, args.cache), keepPath);
        fb = untar(await tarball(p.name, q.b, args.cache), keepPath);
      } catch (e) { failed[kb] = `untar: ${(e as Error).message}`; continue; }
      let licence = 'unknown';
      try { licence = npmLicence(JSON.parse(fb.get('package.json') ?? '{}') as Record<string, unknown>); } catch { /* unknown */ }
      if (!licenceAllowed(licence, PERMISSIVE)) { counts.notPermissive++; continue; }
      counts.patchPairsDiffed++;
      for (const [path, oldText] of fa) {
        const newText = fb.get(path);
        if (newText === undefined || newText === oldText || path === 'package.json') continue;
        const skip = oldText.length > args.maxFileChars ? 'too_large' : fileSkipReason(path, oldText, manifest.limits) ?? fileSkipReason(path, newText, manifest.limits);
        if (skip) { counts.skippedFiles[skip] = (counts.skippedFiles[skip] ?? 0) + 1; continue; }
        counts.changedFiles++;
        const test = isTestPath(path);
        if (test) counts.changedTestFiles++;
        const language = languageOfPath(path)!;
        const fns = await functionPairs(oldText, newText, language, counts.functions, undefined, path).catch(() => []);
        for (const f of fns) {
          if (!keep(f)) continue;
          counts.kept[language] = (counts.kept[language] ?? 0) + 1;
          if (test) counts.keptTest++;
          licences[licence] = (licences[licence] ?? 0) + 1;
          lines.push(JSON.stringify({ package: p.name, from: q.from, to: q.to, licence, language, path, test, ...f, doc: oldText }));
        }
      }
      if (lines.length > 200) { writeFileSync(outFile, lines.join('\n') + '\n', { flag: 'a' }); lines.length = 0; }
    }
    log(`${p.name}: ${p.pairs.length} pairs; kept so far ${JSON.stringify(counts.kept)}`);
  }
  if (lines.length) writeFileSync(outFile, lines.join('\n') + '\n', { flag: 'a' });
  execFileSync('xz', ['-f', '-1', outFile]);
  const report = { command: `npx tsx models/data/realfix/collect.ts ${process.argv.slice(2).join(' ')}`.trim(), seconds: Math.round((Date.now() - t0) / 1000), counts, licences, failed };
  writeFileSync(join(args.out, 'collect.json'), JSON.stringify(report, null, 1) + '\n');
  log(JSON.stringify({ counts, licences, failed: Object.keys(failed).length }));
}

if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
