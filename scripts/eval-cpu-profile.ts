// CPU time of the eval harness's test executions, per language: runs the self-check's programs (canonical +
// buggy of the first N problems) one at a time through runPrograms, with the result cache off, and reads the
// CPU time of every child process (user+sys of the whole tree, /proc/self/stat cutime+cstime) around each
// language. Compilers are reached through logging shims on PATH, so compile CPU is split from run CPU.
// Wall times are those of this machine at the time (label them when it is shared). The runner calls rustc by
// its real path (past rustup's proxy and this shim), so Rust's compile CPU is counted in its run column.
//
//   npx tsx scripts/eval-cpu-profile.ts [--languages cpp,go] [--limit 40] [--jobs 1] [--out verdicts.json]
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadProblems, canonicalDocument, buggyDocument, type HepLanguage } from '../eval/humanevalpack.js';
import { humanEvalPackDir } from '../eval/paths.js';
import * as runner from '../eval/runner.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : dflt; };
const languages = flag('--languages', 'python,js,java,go,cpp,rust').split(',');
const limit = Number(flag('--limit', '40'));
const jobs = Number(flag('--jobs', '1'));
const out = flag('--out', '');

// Logging shims: each compiler call appends its name and bash's `times` (the last line: user and sys of the
// shell's waited-for children, i.e. the compiler's whole process tree) to the log.
const shimDir = mkdtempSync(join(tmpdir(), 'treasure-cpu-shims-'));
const log = join(shimDir, 'compile.log');
for (const cmd of ['g++', 'go', 'rustc', 'javac']) {
  let real: string;
  try { real = execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim(); } catch { continue; }
  writeFileSync(join(shimDir, cmd), `#!/bin/bash\n"${real}" "$@"; rc=$?\n{ echo "${cmd}"; times; } >> "${log}"\nexit $rc\n`);
  chmodSync(join(shimDir, cmd), 0o755);
}
process.env.PATH = `${shimDir}:${process.env.PATH}`;


function childCpu(): number {
  // after ") ": state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14), in clock ticks (CLK_TCK 100)
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}
const secs = (s: string) => { const m = /(\d+)m([\d.]+)s/.exec(s); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; };
function compileCpu(): { n: number; cpu: number } {
  if (!existsSync(log)) return { n: 0, cpu: 0 };
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  let n = 0; let cpu = 0;
  for (let i = 0; i + 2 < lines.length; i += 3) { const [u, s] = lines[i + 2]!.split(' '); n++; cpu += secs(u!) + secs(s!); }
  return { n, cpu };
}

async function main(): Promise<void> {
const verdicts: Record<string, string> = {};
const rows: string[] = [];
for (const lang of languages) {
  const problems = loadProblems(humanEvalPackDir(), lang as HepLanguage, limit);
  const tc = await runner.toolchain(lang as HepLanguage); // one-time setup (rust deps) outside the measurement
  if (!tc.ok) { rows.push(`| ${lang} | toolchain missing: ${tc.why} |`); continue; }
  rmSync(log, { force: true });
  const progs = problems.flatMap((p) => [runner.programFor(p, canonicalDocument(p)), runner.programFor(p, buggyDocument(p))]);
  const c0 = childCpu(); const s0 = process.cpuUsage(); const w0 = Date.now();
  const rs = await runner.runPrograms(progs, { ...runner.defaultLimits, cache: false }, jobs);
  const wall = (Date.now() - w0) / 1000; const cpu = childCpu() - c0; const self = (() => { const u = process.cpuUsage(s0); return (u.user + u.system) / 1e6; })();
  const comp = compileCpu();
  rs.forEach((r, i) => { verdicts[`${lang}/${Math.floor(i / 2)}/${i % 2 ? 'buggy' : 'canonical'}`] = r.pass ? 'pass' : r.kind ?? 'fail'; });
  const canon = rs.filter((r, i) => i % 2 === 0 && r.pass).length; const buggyFail = rs.filter((r, i) => i % 2 === 1 && !r.pass).length;
  const n = progs.length;
  rows.push(`| ${lang} | ${n} | ${cpu.toFixed(1)} | ${(cpu / n).toFixed(3)} | ${comp.n} | ${(comp.cpu / n).toFixed(3)} | ${((cpu - comp.cpu) / n).toFixed(3)} | ${self.toFixed(1)} | ${wall.toFixed(1)} | ${canon}/${n / 2} pass, ${buggyFail}/${n / 2} fail |`);
  console.error(rows.at(-1));
}
console.log(`limit ${limit}, jobs ${jobs}; CPU = user+sys of child process trees (s); harness = this node process\n`);
console.log('| language | programs | CPU s | CPU s/program | compiler calls | compile CPU s/program | run CPU s/program | harness CPU s | wall s | self-check |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
if (out) writeFileSync(out, JSON.stringify(verdicts, null, 1));
rmSync(shimDir, { recursive: true, force: true });
}
void main();
