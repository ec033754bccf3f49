// Java: javac into a folder, then java -ea; many programs per javac (a JVM start per batch, not per program).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProc } from '../proc.js';
import { compileFailure, runOutcome, tail } from './outcome.js';
import type { ExecResult, LangRunner, Program, RunLimits } from './types.js';

const JVM_FAST = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto'];
export const runJava: LangRunner = async (prog, dir, limits) => {
  writeFileSync(join(dir, 'Main.java'), prog.code + '\n' + prog.test + '\n');
  mkdirSync(join(dir, 'classes'));
  const c = await runProc('javac', [...JVM_FAST.map((f) => `-J${f}`), '-nowarn', '-encoding', 'UTF-8', '-d', 'classes', 'Main.java'],
    { cwd: dir, timeoutMs: limits.compileTimeoutMs });
  const cf = compileFailure(c);
  if (cf) return cf;
  const r = await runProc('java', [...JVM_FAST, '-Xss16m', '-ea', '-cp', 'classes', 'Main'], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r, (o) => /\bAssertionError\b/.test(o));
};


export const JAVA_BATCH = 40;

export interface JavaCompiled { classpath: string; mainClass: string; compileMs: number }

/**
 * Compiles Java programs with one javac: each in its own package (`package tN;` put in front of line 1,
 * so line numbers stay), classes into one folder. Programs with errors get their compile_error; the
 * others are compiled again without them (javac writes nothing when any file fails).
 */
export async function compileJavaBatch(progs: Program[], limits: RunLimits): Promise<{ dir: string; results: (JavaCompiled | ExecResult | undefined)[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-javabatch-'));
  const pkgs = progs.map((_, k) => `t${k}`);
  progs.forEach((p, k) => {
    mkdirSync(join(dir, 'src', pkgs[k]!), { recursive: true });
    writeFileSync(join(dir, 'src', pkgs[k]!, 'Main.java'), `package ${pkgs[k]}; ` + p.code + '\n' + p.test + '\n');
  });
  const results: (JavaCompiled | ExecResult | undefined)[] = new Array(progs.length);
  let members = progs.map((_, k) => k);
  for (let attempt = 0; attempt < 2 && members.length; attempt++) {
    const classes = join(dir, `classes${attempt}`);
    mkdirSync(classes);
    const t0 = Date.now();
    const c = await runProc('javac', [...JVM_FAST.map((f) => `-J${f}`), '-nowarn', '-encoding', 'UTF-8', '-Xmaxerrs', '10000', '-d', classes,
      ...members.map((k) => join('src', pkgs[k]!, 'Main.java'))], { cwd: dir, timeoutMs: limits.compileTimeoutMs * 4, maxOutput: 4 << 20 });
    const each = Math.round((Date.now() - t0) / members.length);
    if (c.code === 0 && !c.timedOut) {
      for (const k of members) results[k] = { classpath: classes, mainClass: `${pkgs[k]}.Main`, compileMs: each };
      members = [];
      break;
    }
    if (c.timedOut || c.spawnError) break; // compile those one by one
    // Attribute the errors to their files.
    const errs = new Map<number, string>();
    let cur: number | undefined;
    for (const line of (c.stderr + c.stdout).split('\n')) {
      const m = /src[\/]t(\d+)[\/]Main\.java:\d+: (?:error|warning)/.exec(line);
      if (m) cur = Number(m[1]);
      if (cur !== undefined && members.includes(cur)) errs.set(cur, (errs.get(cur) ?? '') + line.replace(/src[\/]t\d+[\/]/, '') + '\n');
    }
    const failed = members.filter((k) => errs.has(k) && /: error/.test(errs.get(k)!));
    if (failed.length === 0) break; // an error javac did not pin to a file: compile one by one
    for (const k of failed) results[k] = { pass: false, kind: 'compile_error', ms: each, detail: tail(errs.get(k)!.replace(/^(\S+: )?/, '')) };
    members = members.filter((k) => !failed.includes(k));
  }
  // Whatever is left (javac died, unattributed errors): compiled one by one by runProgram.
  return { dir, results };
}

export async function runJavaCompiled(pre: JavaCompiled, dir: string, limits: RunLimits): Promise<ExecResult> {
  const r = await runProc('java', [...JVM_FAST, '-Xss16m', '-ea', '-cp', pre.classpath, pre.mainClass], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r, (o) => /\bAssertionError\b/.test(o));
}
