// Build: copy the tree-sitter grammars named in grammars/grammars.json out of their npm packages,
// then bundle the language server, the CLI, the VS Code client and the benchmark with esbuild.
// Usage: node scripts/build.mjs [--grammars-only | --data-kit]
// --data-kit: the tasks build bundled (build/data-kit/tasks.js + tasks-worker.js), to run on a GPU
// machine's many cores with only node there (models/train/device.sh step `tasks`).
import { copyFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

// Packages may hide package.json behind "exports": walk node_modules the way Node does.
function packageDir(name) {
  for (const base of require.resolve.paths(name) ?? []) {
    if (existsSync(join(base, name, 'package.json'))) return join(base, name);
  }
  throw new Error(`npm package ${name} is not installed: run npm ci`);
}

export function copyGrammars() {
  const manifest = JSON.parse(readFileSync(join(root, 'grammars/grammars.json'), 'utf8'));
  const out = join(root, 'grammars/wasm');
  mkdirSync(out, { recursive: true });
  const entries = [['runtime', manifest.runtime], ...Object.entries(manifest.grammars)];
  for (const [lang, g] of entries) {
    const src = join(packageDir(g.package), g.file);
    if (!existsSync(src)) throw new Error(`grammar for ${lang}: ${src} is missing (npm package ${g.package})`);
    copyFileSync(src, join(out, lang === 'runtime' ? 'web-tree-sitter.wasm' : `${lang}.wasm`));
  }
}

// esbuild options of every bundle here (node 20, CommonJS)
const COMMON = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' };

async function bundle() {
  const esbuild = await import('esbuild');
  const common = { ...COMMON, sourcemap: true };
  const jobs = [];
  const serverEntry = join(root, 'language-server/src/server.ts');
  if (existsSync(serverEntry)) {
    jobs.push(esbuild.build({ ...common, entryPoints: { server: serverEntry, 'engine-worker': join(root, 'language-server/src/engine-worker.ts'), 'analysis-worker': join(root, 'language-server/src/analysis-thread.ts') }, outdir: join(root, 'dist'), external: ['onnxruntime-node'] }));
  }
  const cliEntry = join(root, 'language-server/src/cli.ts');
  if (existsSync(cliEntry)) {
    jobs.push(esbuild.build({ ...common, entryPoints: { cli: cliEntry }, outdir: join(root, 'dist'), external: ['onnxruntime-node'] }));
  }
  const benchEntry = join(root, 'bench/gpu.ts');
  if (existsSync(benchEntry)) {
    // the CPU/GPU benchmark (bench/gpu-device.sh runs it where only onnxruntime-node is installed)
    jobs.push(esbuild.build({ ...common, entryPoints: { bench: benchEntry }, outdir: join(root, 'dist'), external: ['onnxruntime-node'] }));
  }
  const clientEntry = join(root, 'extension/main.ts');
  if (existsSync(clientEntry)) {
    jobs.push(esbuild.build({ ...common, entryPoints: { extension: clientEntry }, outdir: join(root, 'dist'), external: ['vscode'] }));
  }
  await Promise.all(jobs);
}

async function dataKit() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    ...COMMON,
    entryPoints: { tasks: join(root, 'models/data/tasks/cli.ts'), 'tasks-worker': join(root, 'models/data/tasks/worker.ts') },
    outdir: join(root, 'build/data-kit'), external: ['tsx/cjs'],
    // web-tree-sitter's ES module build finds its wasm through import.meta.url, which a CommonJS bundle lacks
    alias: { 'web-tree-sitter': join(packageDir('web-tree-sitter'), 'web-tree-sitter.cjs') },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  copyGrammars();
  if (process.argv.includes('--data-kit')) { await dataKit(); process.exit(0); }
  if (!process.argv.includes('--grammars-only')) await bundle();
}
