// Where the repository (or the installed extension) lives: the folder that holds models/markers.json
// and grammars/grammars.json. Works from the TypeScript sources (tsx), from the esbuild bundles in
// dist/, and from an installed extension; TREASURE_ROOT overrides.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function isRoot(dir: string): boolean {
  return existsSync(join(dir, 'models', 'markers.json')) && existsSync(join(dir, 'grammars', 'grammars.json'));
}

function walkUp(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (isRoot(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

let cached: string | undefined;

export function repoRoot(): string {
  if (cached) return cached;
  const candidates: string[] = [];
  if (process.env.TREASURE_ROOT) candidates.push(process.env.TREASURE_ROOT);
  // CommonJS (the dist bundles, tsx in CommonJS mode) has __dirname; ES modules do not.
  if (typeof __dirname === 'string') candidates.push(__dirname);
  if (process.argv[1]) candidates.push(dirname(process.argv[1]));
  candidates.push(process.cwd());
  for (const c of candidates) {
    const r = walkUp(c);
    if (r) return (cached = r);
  }
  throw new Error('cannot find the Treasure installation (models/markers.json and grammars/grammars.json); set TREASURE_ROOT');
}
