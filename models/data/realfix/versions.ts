// Patch pairs of a package's releases: x.y.z -> x.y.(z+1), both published, neither a prerelease. By
// semver a patch release fixes bugs without changing the API, so its code changes are mostly fixes.

export interface Version { major: number; minor: number; patch: number }
export interface PatchPair { from: string; to: string }

/** A plain release version (no prerelease or build tag), or null. */
export function parseVersion(v: string): Version | null {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : null;
}

/**
 * The patch pairs among `versions`, the newest first, at most `max`: a release and the next patch of the
 * same major.minor (1.2.3 -> 1.2.4; 1.2.3 -> 1.2.5 is no pair: 1.2.4 may have been unpublished or
 * skipped, and two releases' worth of changes is no longer one fix). 0.0.x releases are left out (no
 * semver promise before 0.1).
 */
export function patchPairs(versions: readonly string[], max: number): PatchPair[] {
  const plain = new Set<string>();
  for (const v of versions) if (parseVersion(v)) plain.add(v.trim());
  const pairs: { pair: PatchPair; key: Version }[] = [];
  for (const v of plain) {
    const p = parseVersion(v)!;
    if (p.major === 0 && p.minor === 0) continue;
    const next = `${p.major}.${p.minor}.${p.patch + 1}`;
    if (plain.has(next)) pairs.push({ pair: { from: v, to: next }, key: p });
  }
  pairs.sort((a, b) => b.key.major - a.key.major || b.key.minor - a.key.minor || b.key.patch - a.key.patch);
  return pairs.slice(0, max).map((x) => x.pair);
}
