// npm run package [-- --target <vsce target>] [--out <file.vsix>] [--no-build] [--no-model]
// Builds the .vsix for one platform (default linux-x64) from a staging folder (build/vsix-stage):
//   dist/*.js                    the esbuild bundles (client, server, CLI; everything but onnxruntime-node)
//   dist/node_modules/           onnxruntime-node (pruned to the target's binaries) and onnxruntime-common,
//                                resolved by dist/server.js's require('onnxruntime-node')
//   grammars/                    grammars.json, queries, wasm (tree-sitter)
//   models/markers.json, models/treasure/   the taxonomy and the model
//   package.json                 the project's manifest without scripts/dependencies, plus the JSON
//                                schema of treasure.markers generated from models/markers.json
//   README.md                    extension/README.md
// then `vsce package --target <target> --no-dependencies` and prints the size. --no-model packages
// without models/treasure (and without the server if it is not built yet): for trying the client alone.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** vsce target -> onnxruntime-node's bin/napi-v6/<platform>/<arch>. */
const ORT_DIRS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
  'darwin-arm64': 'darwin/arm64',
};

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function dirSize(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((n, f) => n + dirSize(join(p, f)), 0);
}

const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** The JSON schema of treasure.markers, from the taxonomy (the settings editor and settings.json validate with it). */
export function markersSchema(taxonomy, base) {
  const notSettable = new Set(['task', 'code_type']);
  const properties = {};
  for (const key of taxonomy.order) {
    if (notSettable.has(key)) continue;
    const cat = taxonomy.categories[key];
    properties[key] =
      cat.kind === 'enum'
        ? { type: 'string', enum: cat.values, description: cat.description }
        : { type: ['integer', 'string'], minimum: cat.min, maximum: cat.max, pattern: '^\\d+$', description: cat.description };
  }
  const { additionalProperties: _drop, ...rest } = base;
  return { ...rest, properties, additionalProperties: false };
}

/** The manifest that ships: the project's, minus what only the repository needs. */
export function stagedManifest(pkg, taxonomy) {
  const out = structuredClone(pkg);
  for (const k of ['scripts', 'dependencies', 'devDependencies', 'bin', 'private']) delete out[k];
  // The stage holds only what ships; `files` says so to vsce (the repository's .vscodeignore is not used).
  out.files = ['dist', 'grammars', 'models', 'README.md'];
  const props = out.contributes?.configuration?.properties;
  if (props?.['treasure.markers']) props['treasure.markers'] = markersSchema(taxonomy, props['treasure.markers']);
  return out;
}

function main() {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'linux-x64' },
      out: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      'no-model': { type: 'boolean', default: false },
    },
  });
  const target = values.target;
  const ortDir = ORT_DIRS[target];
  if (!ortDir) fail(`unsupported target ${target} (onnxruntime-node ships binaries for: ${Object.keys(ORT_DIRS).join(', ')})`);

  if (!values['no-build']) run(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root });

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const taxonomy = JSON.parse(readFileSync(join(root, 'models/markers.json'), 'utf8'));
  const stage = join(root, 'build/vsix-stage');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });

  // The bundles.
  for (const f of ['extension.js', 'server.js']) {
    if (existsSync(join(root, 'dist', f))) continue;
    if (f === 'server.js' && values['no-model']) console.warn('package: --no-model: dist/server.js is missing too; packaging the client alone');
    else fail(`dist/${f} is missing (scripts/build.mjs did not produce it)`);
  }
  mkdirSync(join(stage, 'dist'));
  for (const f of readdirSync(join(root, 'dist'))) {
    if (f.endsWith('.js')) cpSync(join(root, 'dist', f), join(stage, 'dist', f));
  }

  // onnxruntime-node, only the target's binaries; and what it requires at run time.
  const ortSrc = join(root, 'node_modules/onnxruntime-node');
  const ortDst = join(stage, 'dist/node_modules/onnxruntime-node');
  const bin = join(ortSrc, 'bin/napi-v6', ortDir);
  if (!existsSync(join(bin, 'onnxruntime_binding.node'))) fail(`${relative(root, bin)} has no onnxruntime_binding.node`);
  for (const part of ['package.json', 'dist', 'README.md']) {
    if (existsSync(join(ortSrc, part))) cpSync(join(ortSrc, part), join(ortDst, part), { recursive: true, filter: (s) => !s.endsWith('.map') });
  }
  cpSync(bin, join(ortDst, 'bin/napi-v6', ortDir), { recursive: true });
  const commonSrc = join(root, 'node_modules/onnxruntime-common');
  for (const part of ['package.json', 'dist']) {
    cpSync(join(commonSrc, part), join(stage, 'dist/node_modules/onnxruntime-common', part), { recursive: true, filter: (s) => !s.endsWith('.map') });
  }
  // onnxruntime-common ships esm and cjs builds; the require() path only needs cjs.
  rmSync(join(stage, 'dist/node_modules/onnxruntime-common/dist/esm'), { recursive: true, force: true });

  // Grammars and the model.
  cpSync(join(root, 'grammars'), join(stage, 'grammars'), { recursive: true });
  if (!existsSync(join(stage, 'grammars/wasm/web-tree-sitter.wasm'))) fail('grammars/wasm is incomplete (scripts/build.mjs copies it)');
  mkdirSync(join(stage, 'models'));
  cpSync(join(root, 'models/markers.json'), join(stage, 'models/markers.json'));
  const modelDir = join(root, 'models/treasure');
  if (existsSync(join(modelDir, 'model.onnx'))) {
    cpSync(modelDir, join(stage, 'models/treasure'), { recursive: true });
  } else if (values['no-model']) {
    console.warn('package: --no-model: packaging without models/treasure');
  } else {
    fail('models/treasure/model.onnx is missing (pass --no-model to package the client alone)');
  }

  writeFileSync(join(stage, 'package.json'), JSON.stringify(stagedManifest(pkg, taxonomy), null, 2) + '\n');
  cpSync(join(root, 'extension/README.md'), join(stage, 'README.md'));

  const out = values.out ? join(process.cwd(), values.out) : join(root, 'build', `${pkg.name}-${pkg.version}-${target}.vsix`);
  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  const vsce = join(root, 'node_modules/@vscode/vsce/vsce');
  run(process.execPath, [vsce, 'package', '--target', target, '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', out], { cwd: stage });
  console.log(`package: ${relative(process.cwd(), out) || out}: ${mib(statSync(out).size)} (staged ${mib(dirSize(stage))}, target ${target})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
