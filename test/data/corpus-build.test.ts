// The small corpus build end to end (offline: local fixture packages and a fixture evaluation set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildCorpus } from '../../models/data/corpus/index';
import { loadDecontamIndex, isContaminated } from '../../models/data/corpus/decontaminate';

const root = join(__dirname, '../..');
const markers = JSON.parse(readFileSync(join(root, 'models/markers.json'), 'utf8')) as { categories: Record<string, { values?: string[] }> };
const values = (k: string) => new Set(markers.categories[k]!.values);

function readShards(dir: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.jsonl.xz')).sort()) {
    const r = spawnSync('xz', ['-dc', join(dir, f)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(r.status, 0);
    for (const line of r.stdout.split('\n')) if (line) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

test('small build: filters, licences, markers, decontamination, dedup, shards and card', async () => {
  const out = mkdtempSync(join(tmpdir(), 'corpus-small-'));
  try {
    const sum = await buildCorpus({ small: true, out, root, workers: 2, log: () => {} });
    const dir = join(out, 'corpus');
    const files = readdirSync(dir);
    assert.ok(files.some((f) => /^train-00000\.jsonl\.xz$/.test(f)), files.join(','));
    assert.ok(!files.some((f) => f.endsWith('.tmp')), 'no temp shards left');
    const recs = readShards(dir);
    assert.equal(recs.length, sum.files);
    const paths = new Set(recs.map((r) => `${r.package as string}:${r.path as string}`));
    // Kept: real code from each licensed package.
    for (const p of ['pyutil:src/pyutil/stats.py', 'pyutil:src/pyutil/textwrap2.py', 'jslib:src/router.ts', 'jslib:src/escape.js', 'gotool:main.go', 'pyutil:run-tests']) assert.ok(paths.has(p), `missing ${p}`);
    // Dropped: planted eval solution, generated, minified, build output, declarations, vendored, data, non-free licences, duplicates.
    for (const p of ['pyutil:src/pyutil/planted.py', 'pyutil:src/pyutil/autogen_table.py', 'pyutil:src/pyutil/generated_pb2.py', 'gotool:zz_stringer.go',
      'jslib:src/helpers.min.js', 'jslib:src/packed.js', 'jslib:dist/index.js', 'jslib:src/types.d.ts', 'pyutil:src/pyutil/_vendor/six_like.py',
      'pyutil:src/pyutil/fixture_data.py', 'pyutil:src/pyutil/secret.py', 'nonfree:index.js', 'pyutil:src/pyutil/stats_copy.py', 'pyutil:src/pyutil/textwrap_old.py']) {
      assert.ok(!paths.has(p), `should be dropped: ${p}`);
    }
    // Per-file licences from DEP-5 stanzas.
    const gpl = recs.find((r) => r.path === 'src/pyutil/gpl_part.py');
    assert.equal(gpl?.license, 'GPL-2.0-or-later');
    assert.equal(recs.find((r) => r.path === 'src/pyutil/stats.py')?.license, 'MIT');
    assert.equal(recs.find((r) => r.path === 'main.go')?.license, 'Apache-2.0');
    // Record shape and marker values.
    for (const r of recs) {
      assert.deepEqual(Object.keys(r).sort(), ['code_type', 'domain', 'license', 'package', 'path', 'quality_bucket', 'source_kind', 'text']);
      assert.ok(values('code_type').has(r.code_type as string), String(r.code_type));
      assert.ok(values('domain').has(r.domain as string), String(r.domain));
      assert.ok(values('quality_bucket').has(r.quality_bucket as string), String(r.quality_bucket));
      assert.equal(typeof r.text, 'string');
    }
    // Zero overlap with the evaluation set in what was kept.
    const idx = loadDecontamIndex(join(__dirname, 'fixtures/corpus/humanevalpack'), 13);
    assert.equal(recs.filter((r) => isContaminated(r.text as string, idx)).length, 0);
    // The card reports what each filter removed.
    const card = JSON.parse(readFileSync(join(dir, 'data-card.json'), 'utf8')) as { filters_removed: Record<string, { files: number }>; decontamination: { files: { path: string }[] }; totals: { files: number } };
    for (const k of ['decontaminated', 'generated', 'minified', 'build_output', 'vendored', 'data_fixture', 'license', 'exact_duplicate', 'near_duplicate']) {
      assert.ok((card.filters_removed[k]?.files ?? 0) >= 1, `card: ${k}`);
    }
    assert.deepEqual(card.decontamination.files.map((f) => f.path), ['src/pyutil/planted.py']);
    assert.equal(card.totals.files, recs.length);
    assert.match(readFileSync(join(dir, 'DATA.md'), 'utf8'), /code_type × split/);

    // A rebuild with the same seed gives byte-identical shards.
    const out2 = mkdtempSync(join(tmpdir(), 'corpus-small-'));
    try {
      await buildCorpus({ small: true, out: out2, root, workers: 1, log: () => {} });
      for (const f of files.filter((x) => x.endsWith('.xz'))) {
        assert.ok(readFileSync(join(dir, f)).equals(readFileSync(join(out2, 'corpus', f))), `${f} differs between builds`);
      }
    } finally { rmSync(out2, { recursive: true, force: true }); }
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test('a package that cannot be read is reported and skipped, not fatal', async () => {
  const out = mkdtempSync(join(tmpdir(), 'corpus-bad-'));
  const manifestPath = join(out, 'manifest.json');
  const m = JSON.parse(readFileSync(join(root, 'models/data/manifest.json'), 'utf8')) as { small: { sources: { kind: string; packages: string[] }[] } };
  m.small.sources = [{ kind: 'dir', packages: ['test/data/fixtures/corpus/packages/gotool', 'test/data/fixtures/corpus/packages/does-not-exist'] }];
  writeFileSync(manifestPath, JSON.stringify(m));
  try {
    const sum = await buildCorpus({ small: true, out, root, manifest: manifestPath, workers: 1, log: () => {} });
    assert.ok(sum.files >= 2);
    const card = JSON.parse(readFileSync(join(out, 'corpus', 'data-card.json'), 'utf8')) as { failed_packages: { name: string }[] };
    assert.ok(card.failed_packages.some((f) => f.name === 'does-not-exist'), JSON.stringify(card.failed_packages));
  } finally { rmSync(out, { recursive: true, force: true }); }
});
