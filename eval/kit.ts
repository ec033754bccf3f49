// Bundles the evaluation harness for a machine that has only a node binary (eval/make-device-kit.sh
// calls this): KIT/eval.js (eval/main.ts, the whole harness: --generate-only is what runs there) and
// KIT/eval-worker.js (gen-worker.ts), onnxruntime-node left out (a native module: device.sh unpacks it
// into KIT/node_modules). The engine is the product's (language-server/src), bundled as it is.
// KIT/kit.json and the bundles carry the hash of the engine's sources and the commit they were built from,
// so that the generations made with them can be told apart (generations.ts, origin.engineSource).
//   npx tsx eval/kit.ts KIT
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { engineSourceHash } from './generations.js';
import { repoRoot } from './paths.js';

async function main(): Promise<void> {
  const kit = resolve(process.argv[2] ?? join(repoRoot, 'build', 'eval-kit'));
  mkdirSync(kit, { recursive: true });
  let gitCommit: string | undefined;
  try { gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { /* not a checkout */ }
  let dirty = false;
  try { dirty = execFileSync('git', ['status', '--porcelain', '--', 'language-server/src', 'eval', 'grammars', 'models/markers.json'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== ''; } catch { /* not a checkout */ }
  const info = { engineSource: engineSourceHash(), gitCommit: gitCommit ? gitCommit + (dirty ? '+dirty' : '') : undefined, builtAt: new Date().toISOString() };
  const req = createRequire(join(repoRoot, 'package.json'));
  const esbuild = req('esbuild') as typeof import('esbuild');
  // web-tree-sitter's ES module build finds its wasm through import.meta.url, which a CommonJS bundle lacks
  const dir = (req.resolve.paths('web-tree-sitter') ?? []).map((b) => join(b, 'web-tree-sitter')).find((d) => existsSync(join(d, 'package.json')));
  if (!dir) throw new Error('web-tree-sitter is not installed: run npm ci');
  const wts = join(dir, 'web-tree-sitter.cjs');
  await esbuild.build({
    bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', sourcemap: false, minify: false,
    entryPoints: { eval: join(repoRoot, 'eval/main.ts'), 'eval-worker': join(repoRoot, 'eval/gen-worker.ts') },
    outdir: kit, external: ['onnxruntime-node'],
    alias: { 'web-tree-sitter': wts },
    define: { __TREASURE_EVAL_KIT__: JSON.stringify(info) },
  });
  writeFileSync(join(kit, 'kit.json'), JSON.stringify(info, null, 1) + '\n');
  console.log(`bundled ${kit}/eval.js and eval-worker.js (engine sources ${info.engineSource.slice(0, 12)}, commit ${info.gitCommit ?? '?'})`);
}

void main().catch((e) => { console.error(e); process.exit(1); });
