// C++: g++ -std=c++17 with the program's leading #include block as a precompiled header.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../paths.js';
import { runProc } from '../proc.js';
import { compileFailure, probe, runOutcome, ulimit } from './outcome.js';
import type { LangRunner, RunLimits } from './types.js';

// g++ spends most of a compile parsing the standard headers every program includes. The leading block of a
// program (only #include lines, `using namespace std;` and blank lines, the declaration's fixed prelude) is
// compiled once into a precompiled header, kept in the cache dir by the hash of g++'s version, the flags and
// that text, and put in front of the program with -include. The program still includes the same headers
// itself (include guards make that a no-op), so it means the same with or without the PCH; if g++ rejects
// the PCH it reads the header text instead (same meaning, only slower). -pipe and gold cut the rest.
const CPP_FLAGS = ['-std=c++17', '-O1', '-w'];
let cppLinkFlags: Promise<string[]> | undefined;
let gppVersion: Promise<string> | undefined;
const cppPchs = new Map<string, Promise<string | undefined>>();

/** The leading block of #include <…> / `using namespace std;` / blank lines, or undefined when there is none. */
export function cppPrelude(src: string): string | undefined {
  const lines = src.split('\n');
  let n = 0;
  while (n < lines.length && /^\s*(#\s*include\s*<[^>]+>\s*|using\s+namespace\s+std\s*;\s*)?$/.test(lines[n]!)) n++;
  const block = lines.slice(0, n).join('\n').trim();
  return /#\s*include/.test(block) ? block + '\n' : undefined;
}

/** The path to pass to -include for this prelude (its .gch beside it), built on first use; undefined if it cannot be built. */
function cppPch(prelude: string, limits: RunLimits): Promise<string | undefined> {
  let p = cppPchs.get(prelude);
  if (!p) {
    p = (async () => {
      gppVersion ??= runProc('g++', ['--version'], { cwd: tmpdir(), timeoutMs: 30_000 }).then((r) => r.stdout);
      const key = createHash('sha256').update(JSON.stringify([await gppVersion, CPP_FLAGS, prelude])).digest('hex').slice(0, 24);
      const dir = join(cacheDir(), 'cpp-pch', key);
      const header = join(dir, 'prelude.h');
      if (existsSync(`${header}.gch`)) return header;
      mkdirSync(dir, { recursive: true });
      writeFileSync(header, prelude);
      const tmp = `${header}.${process.pid}.tmp.gch`;
      const c = await runProc('g++', [...CPP_FLAGS, '-x', 'c++-header', '-o', tmp, header], { cwd: dir, timeoutMs: limits.compileTimeoutMs });
      if (c.code !== 0 || c.timedOut) { rmSync(tmp, { force: true }); return undefined; } // compile without it
      renameSync(tmp, `${header}.gch`);
      return header;
    })().catch(() => undefined);
    cppPchs.set(prelude, p);
  }
  return p;
}

export const runCpp: LangRunner = async (prog, dir, limits) => {
  const src = prog.code + '\n' + prog.test + '\n';
  writeFileSync(join(dir, 'prog.cpp'), src);
  const libs = /openssl\//.test(src) ? ['-lcrypto'] : [];
  cppLinkFlags ??= (async () => (await probe('sh', ['-c', 'echo "int main(){}" | g++ -fuse-ld=gold -x c++ -o /dev/null -'])) ? ['-fuse-ld=gold'] : [])();
  const prelude = cppPrelude(src);
  const pch = prelude ? await cppPch(prelude, limits) : undefined;
  const c = await runProc('g++', [...CPP_FLAGS, '-pipe', ...(await cppLinkFlags), ...(pch ? ['-include', pch] : []), '-o', 'prog', 'prog.cpp', ...libs],
    { cwd: dir, timeoutMs: limits.compileTimeoutMs });
  const cf = compileFailure(c);
  if (cf) return cf;
  const r = await runProc('sh', ['-c', ulimit('exec ./prog')], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r, (o) => /Assertion .* failed/.test(o));
};
