// Prover throughput: per language, batches of 100 candidate documents of a ~60-line file (half of
// them still broken, each text distinct) through the best installed prover, and through tree-sitter
// for comparison; for JavaScript also `node --check` with one process per file (what the V8 worker
// replaces). Prints the time to get the prover (tool look-up, version, worker start and its probe
// parse), the first batch (cold: precompiled header, JIT) and the median of the next ones, in ms per
// batch and parses per second.
//   npx tsx bench/provers.ts [--languages python,go] [--batches 5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { disposeProvers, proverFor, type Prover } from '../language-server/src/repair/prove/index';
import { treeSitterProver } from '../language-server/src/repair/prove/treesitter';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const BATCHES = Number(opt('batches') ?? 5);
const N = 100;

/** A ~60-line file: `unit(i)` repeated, with `BROKEN`/`FIXED` at one line (the line edits vary it). */
interface Sample { head: string; unit: (i: number) => string; tail: string; fixed: (k: number) => string; broken: (k: number) => string; grammar: string }

const samples: Record<string, Sample> = {
  python: {
    grammar: 'python', head: 'import os\n\n', tail: '',
    unit: (i) => `def f${i}(x, y):\n    if x > y:\n        return x - ${i}\n    return y + ${i}\n\n`,
    fixed: (k) => `def target(x):\n    return x * ${k}\n`, broken: (k) => `def target(x)\n    return x * ${k}\n`,
  },
  javascript: {
    grammar: 'javascript', head: "'use strict';\n\n", tail: 'module.exports = {};\n',
    unit: (i) => `function f${i}(x, y) {\n  if (x > y) return x - ${i};\n  return y + ${i};\n}\n\n`,
    fixed: (k) => `const target = (x) => (x * ${k});\n`, broken: (k) => `const target = (x) => (x * ${k};\n`,
  },
  typescript: {
    grammar: 'typescript', head: "import { join } from 'node:path';\n\n", tail: 'export {};\n',
    unit: (i) => `function f${i}(x: number, y: number): number {\n  if (x > y) return x - ${i};\n  return y + ${i};\n}\n\n`,
    fixed: (k) => `const target = (x: number): number => (x * ${k});\n`, broken: (k) => `const target = (x: number): number => (x * ${k};\n`,
  },
  java: {
    grammar: 'java', head: 'import java.util.List;\n\nclass Sample {\n', tail: '}\n',
    unit: (i) => `  int f${i}(int x, int y) {\n    if (x > y) return x - ${i};\n    return y + ${i};\n  }\n\n`,
    fixed: (k) => `  int target(int x) { return (x * ${k}); }\n`, broken: (k) => `  int target(int x) { return (x * ${k}; }\n`,
  },
  go: {
    grammar: 'go', head: 'package sample\n\nimport "fmt"\n\nvar _ = fmt.Sprint\n\n', tail: '',
    unit: (i) => `func f${i}(x, y int) int {\n\tif x > y {\n\t\treturn x - ${i}\n\t}\n\treturn y + ${i}\n}\n\n`,
    fixed: (k) => `func target(x int) int { return (x * ${k}) }\n`, broken: (k) => `func target(x int) int { return (x * ${k} }\n`,
  },
  rust: {
    grammar: 'rust', head: 'use std::fmt;\n\n', tail: '',
    unit: (i) => `fn f${i}(x: i32, y: i32) -> i32 {\n    if x > y {\n        return x - ${i};\n    }\n    y + ${i}\n}\n\n`,
    fixed: (k) => `fn target(x: i32) -> i32 { (x * ${k}) }\n`, broken: (k) => `fn target(x: i32) -> i32 { (x * ${k} }\n`,
  },
  c: {
    grammar: 'c', head: '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n', tail: '',
    unit: (i) => `int f${i}(int x, int y) {\n  if (x > y) return x - ${i};\n  return y + ${i};\n}\n\n`,
    fixed: (k) => `int target(int x) { return (x * ${k}); }\n`, broken: (k) => `int target(int x) { return (x * ${k}; }\n`,
  },
  cpp: {
    grammar: 'cpp', head: '#include <iostream>\n#include <string>\n#include <vector>\n\n', tail: '',
    unit: (i) => `int f${i}(int x, int y) {\n  if (x > y) return x - ${i};\n  return y + ${i};\n}\n\n`,
    fixed: (k) => `int target(int x) { return (x * ${k}); }\n`, broken: (k) => `int target(int x) { return (x * ${k}; }\n`,
  },
  shell: {
    grammar: 'shell', head: '#!/bin/bash\nset -eu\n\n', tail: '',
    unit: (i) => `f${i}() {\n  if [ "$1" -gt "$2" ]; then\n    echo $(( $1 - ${i} ))\n  fi\n}\n\n`,
    fixed: (k) => `target() { echo ${k}; }\n`, broken: (k) => `target() { echo ${k}; \n`,
  },
};

function documents(s: Sample, batch: number): string[] {
  let body = s.head;
  let i = 0;
  while (body.split('\n').length < 56) body += s.unit(i++);
  const out: string[] = [];
  for (let k = 0; k < N; k++) {
    const id = batch * N + k;
    out.push(body + (k % 2 === 0 ? s.fixed(id) : s.broken(id)) + s.tail);
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(p: Prover, s: Sample, path?: string): Promise<{ cold: number; warm: number; ok: number; lines: number }> {
  const time = async (b: number) => {
    const docs = documents(s, b);
    const t = performance.now();
    const v = await p.parse(docs, { path });
    return { ms: performance.now() - t, ok: v.filter((x) => x.ok).length, lines: docs[0]!.split('\n').length };
  };
  const cold = await time(0);
  const warm: number[] = [];
  let ok = cold.ok;
  for (let b = 1; b <= BATCHES; b++) {
    const r = await time(b);
    warm.push(r.ms);
    ok = r.ok;
  }
  return { cold: cold.ms, warm: median(warm), ok, lines: cold.lines };
}

function nodeCheck(s: Sample): number {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-bench-check-'));
  const docs = documents(s, 0).slice(0, 20);
  const t = performance.now();
  docs.forEach((d, i) => {
    const f = join(dir, `c${i}.js`);
    writeFileSync(f, d);
    try {
      execFileSync(process.execPath, ['--check', f], { stdio: 'ignore' });
    } catch {
      /* a broken one */
    }
  });
  const per = (performance.now() - t) / docs.length;
  rmSync(dir, { recursive: true, force: true });
  return per;
}

const rate = (ms: number) => Math.round((N / ms) * 1000);
async function main(): Promise<void> {
  const langs = (opt('languages') ?? Object.keys(samples).join(',')).split(',');
  console.log(`provers: batches of ${N} documents, first batch (cold) then median of ${BATCHES}; ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`);
  console.log('language     prover                                   lines  ok/100  start ms  cold ms   warm ms/batch  parses/s  | tree-sitter ms/batch  parses/s');
  for (const lang of langs) {
    const s = samples[lang];
    if (!s) continue;
    const t0 = performance.now();
    const p = await proverFor(lang);
    const start = performance.now() - t0;
    const r = await measure(p, s);
    const ts = treeSitterProver(s.grammar)!;
    const t = await measure(ts, s);
    console.log(
      `${lang.padEnd(12)} ${p.name.padEnd(40)} ${String(r.lines).padStart(5)}  ${String(r.ok).padStart(6)}  ${start.toFixed(0).padStart(8)}  ${r.cold.toFixed(0).padStart(7)}  ${r.warm.toFixed(1).padStart(13)}  ${String(rate(r.warm)).padStart(8)}  | ${t.warm.toFixed(1).padStart(20)}  ${String(rate(t.warm)).padStart(8)}`,
    );
    if (lang === 'javascript') {
      const per = nodeCheck(s);
      console.log(`${''.padEnd(12)} ${'node --check (a process per file)'.padEnd(40)} ${''.padStart(5)}  ${''.padStart(6)}  ${''.padStart(8)}  ${''.padStart(7)}  ${(per * N).toFixed(1).padStart(13)}  ${String(Math.round(1000 / per)).padStart(8)}`);
    }
  }
  await disposeProvers();
}

void main();
