// One package, start to finish, inside a worker: extract, find its licence, walk its files, apply the
// per-file filters, the per-package size cap, decontamination, markers, and the dedup signatures.
import { existsSync, readFileSync, readdirSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { extract, walk } from './extract.js';
import { codeTypeFromName, codeTypeFromShebang, headerCodeType, headerLanguageNearby } from './lang.js';
import { parseCopyright, fileLicence, npmLicence, licenceAllowed, licenceFromText, type Copyright } from './licence.js';
import { pathFilter, contentFilter } from './filters.js';
import { isContaminated, type DecontamIndex } from './decontaminate.js';
import { exactKey, minhash } from './dedup.js';
import { packageDomain, fileDomain, qualityScore, qualityBucket } from './labels.js';
import type { Candidate, DropReason, FetchedPackage, Limits, PackageResult } from './types.js';

export interface ProcessConfig {
  limits: Limits;
  allow: string[];
  seed: number;
  shingle: number;
  sigBins: number;
  extractDir: string;
  file: string;
}

const TEST_PATH = /(?:^|\/)(?:tests?|spec|specs|__tests__|t|testing|testdata)\/|(?:_test|\.test|\.spec|_spec)\.\w+$|(?:^|\/)test_[^/]+$/;
const DEB_SKIP = /^(?:usr\/share\/(?:doc|man|info|locale|lintian|bug|icons|pixmaps|applications|mime)|DEBIAN|usr\/lib\/debug|usr\/share\/doc-base)$/;

function readHead(abs: string, n: number): string {
  const fd = openSync(abs, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = readSync(fd, b, 0, n, 0);
    return b.subarray(0, got).toString('latin1');
  } finally { closeSync(fd); }
}

function packageCopyright(pkg: FetchedPackage, root: string): { cr: Copyright; meta: Record<string, unknown> | null } {
  let meta: Record<string, unknown> | null = null;
  const pj = join(root, 'package.json');
  if ((pkg.kind === 'npm' || pkg.kind === 'dir') && existsSync(pj)) {
    try { meta = JSON.parse(readFileSync(pj, 'utf8')) as Record<string, unknown>; } catch { meta = null; }
  }
  if (meta) {
    const lic = readdirSync(root).find((f) => /^(?:LICEN[CS]E|COPYING)/i.test(f));
    const text = lic ? readFileSync(join(root, lic), 'utf8') : undefined;
    return { cr: { stanzas: [], license: npmLicence(meta, text), dep5: false }, meta };
  }
  const candidates = [join(root, 'usr/share/doc', pkg.name, 'copyright'), join(root, 'debian/copyright')];
  const docs = join(root, 'usr/share/doc');
  if (existsSync(docs)) for (const d of readdirSync(docs).sort()) candidates.push(join(docs, d, 'copyright'));
  for (const c of candidates) {
    if (existsSync(c) && statSync(c).isFile()) return { cr: parseCopyright(readFileSync(c, 'utf8')), meta };
  }
  const lic = existsSync(root) ? readdirSync(root).find((f) => /^(?:LICEN[CS]E|COPYING)/i.test(f)) : undefined;
  if (lic) return { cr: { stanzas: [], license: licenceFromText(readFileSync(join(root, lic), 'utf8')), dep5: false }, meta };
  return { cr: { stanzas: [], license: 'unknown', dep5: false }, meta };
}

/** Source-tree root inside an extraction: npm `package/`, deb-src `src/`; deb and dir as is. */
function treeRoot(pkg: FetchedPackage, extracted: string): string {
  if (pkg.kind === 'deb-src') return join(extracted, 'src');
  if (pkg.kind === 'npm') {
    const tops = readdirSync(extracted, { withFileTypes: true }).filter((e) => e.isDirectory());
    if (tops.length === 1) return join(extracted, tops[0]!.name);
  }
  return extracted;
}

function pathOrderKey(seed: number, path: string): string {
  return createHash('md5').update(`${seed}:${path}`).digest('hex');
}

export function processPackage(pkg: FetchedPackage, cfg: ProcessConfig, decon: DecontamIndex): PackageResult {
  const t0 = Date.now();
  const result: PackageResult = {
    name: pkg.name, kind: pkg.kind, version: pkg.version, license: 'unknown', domain: 'General',
    candidates: [], drops: {}, seen: { files: 0, bytes: 0 }, other: { files: 0, bytes: 0 }, decontaminatedPaths: [], ms: 0,
  };
  const drop = (r: DropReason, bytes: number) => {
    const c = (result.drops[r] ??= { files: 0, bytes: 0 });
    c.files++; c.bytes += bytes;
  };
  try {
    if (pkg.kind === 'dir' && !existsSync(cfg.file)) throw new Error(`no such package directory: ${cfg.file}`);
    const extracted = pkg.kind === 'dir' ? resolve(cfg.file) : extract(pkg.kind, cfg.file, cfg.extractDir);
    const root = treeRoot(pkg, extracted);
    const { cr, meta } = packageCopyright(pkg, root);
    result.license = cr.license;
    const keywords = meta && Array.isArray(meta.keywords) ? (meta.keywords as unknown[]).filter((x): x is string => typeof x === 'string') : pkg.keywords;
    const description = (meta && typeof meta.description === 'string' ? meta.description : '') || pkg.description;
    const pkgDom = pkg.domain ?? packageDomain(pkg.section, pkg.name, description, keywords);
    result.domain = pkgDom;
    const allow = new Set(cfg.allow);
    const skipDir = (rel: string) => (pkg.kind === 'deb' && DEB_SKIP.test(rel)) || (pkg.kind === 'deb-src' && /^(?:debian|\.pc|\.git)$/.test(rel)) || rel.endsWith('/.git') || rel === 'node_modules' || rel.endsWith('/node_modules');
    const files = walk(root, skipDir);
    const hasTests = files.some((f) => TEST_PATH.test(f));
    const headerNearby = headerLanguageNearby(files);
    const npmSrcTree = pkg.kind === 'npm' && files.some((f) => /^src\/.+\.(?:[cm]?[jt]sx?)$/.test(f) && !/\.d\.[cm]?ts$/.test(f));
    const limits = cfg.limits;
    interface Pending { path: string; text: string; codeType: string; license: string; bytes: number }
    const pending: Pending[] = [];
    for (const path of files) {
      const abs = join(root, path);
      let ct = codeTypeFromName(path);
      let size = 0;
      try { size = statSync(abs).size; } catch { continue; }
      if (ct === '?') {
        ct = size > 0 && size < limits.maxFileBytes * 4 ? codeTypeFromShebang(readHead(abs, 128).split('\n')[0] ?? '') : null;
      }
      if (ct === null) { result.other.files++; result.other.bytes += size; continue; }
      if (pkg.languages && ct !== '?h' && !pkg.languages.includes(ct)) { result.other.files++; result.other.bytes += size; continue; }
      result.seen.files++; result.seen.bytes += size;
      const pr = pathFilter(path, pkg.kind) ?? (npmSrcTree && !path.startsWith('src/') ? 'build_output' : null);
      if (pr) { drop(pr, size); continue; }
      if (size > limits.maxFileBytes) { drop('too_large', size); continue; }
      if (size < limits.minFileBytes) { drop('too_small', size); continue; }
      const buf = readFileSync(abs);
      let text: string;
      try {
        if (buf.includes(0)) throw new Error('nul');
        text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
      } catch { drop('not_utf8', size); continue; }
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      text = text.replace(/\r\n?/g, '\n');
      if (ct === '?h') ct = headerCodeType(text, headerNearby(path));
      if (pkg.languages && !pkg.languages.includes(ct)) { drop('lock_or_data_name', size); continue; }
      const cr2 = contentFilter(text, ct, limits);
      if (cr2) { drop(cr2, size); continue; }
      const lic = fileLicence(path, text.slice(0, 3000), cr);
      if (!licenceAllowed(lic, allow)) { drop('license', size); continue; }
      pending.push({ path, text, codeType: ct, license: lic, bytes: size });
    }
    // Per-package cap: a deterministic pseudo-random subset when a package is huge.
    let keep = pending;
    const total = pending.reduce((s, p) => s + p.bytes, 0);
    if (total > limits.maxPackageBytes) {
      const order = [...pending].sort((a, b) => (pathOrderKey(cfg.seed, a.path) < pathOrderKey(cfg.seed, b.path) ? -1 : 1));
      const chosen = new Set<string>();
      let acc = 0;
      for (const p of order) {
        if (acc + p.bytes > limits.maxPackageBytes) { drop('package_cap', p.bytes); continue; }
        acc += p.bytes; chosen.add(p.path);
      }
      keep = pending.filter((p) => chosen.has(p.path));
    }
    for (const p of keep) {
      if (isContaminated(p.text, decon)) { drop('decontaminated', p.bytes); result.decontaminatedPaths.push(p.path); continue; }
      const domain = fileDomain(p.text, pkgDom, p.path);
      const score = qualityScore(p.text, p.codeType, { hasTests, popularity: pkg.popularity, npmSrcTree, kind: pkg.kind });
      const cand: Candidate = {
        text: p.text, code_type: p.codeType, package: pkg.name, path: p.path, license: p.license, domain,
        quality_bucket: qualityBucket(score), source_kind: pkg.kind, exact: exactKey(p.text), sig: minhash(p.text, cfg.shingle, cfg.sigBins),
      };
      result.candidates.push(cand);
    }
  } catch (e) {
    result.error = String((e as Error).message ?? e).slice(0, 500);
    result.candidates = [];
  }
  result.ms = Date.now() - t0;
  return result;
}
