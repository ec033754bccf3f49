// The provers (language-server/src/repair/prove): real parses by the installed tools (python3, node,
// typescript, javac, gofmt, rustfmt, gcc/g++, bash), batches, cancellation, a timed-out worker's
// restart, the size limit, the tree-sitter fallback when a tool is missing, and judgeCandidate.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { applyOffsetEdits, type OffsetEdit } from '../../language-server/src/repair/text';
import { forgetTools, findTool, type Prover } from '../../language-server/src/repair/prove/common';
import {
  NoProverError, ProverInputError, ProverToolError, disposeProvers, judgeCandidate, proveCandidates, proverFor,
} from '../../language-server/src/repair/prove/index';
import { pythonProver } from '../../language-server/src/repair/prove/python';
import { rustProver } from '../../language-server/src/repair/prove/rust';
import type { LineWorker } from '../../language-server/src/repair/prove/worker';

after(() => disposeProvers());

interface Case {
  codeType: string;
  /** A tool that must be installed for the native prover (else the test is skipped, saying so). */
  tool: string;
  nameStarts: string;
  good: string;
  broken: string;
  /** Where the first reported error is (0-based line, UTF-16 column). */
  at: { line: number; column: number };
  path?: string;
}

const cases: Case[] = [
  {
    codeType: 'python', tool: 'python3', nameStarts: 'python 3.',
    good: 'def f(x):\n    return x + 1\n',
    broken: 'def f(x):\n    y = "é" +* 2\n    return y\n',
    at: { line: 1, column: 13 },
  },
  {
    codeType: 'javascript', tool: 'node', nameStarts: 'node ',
    good: 'function f(x) {\n  return x + 1;\n}\n',
    broken: 'function f(x) {\n  const é = (x + 1;\n  return é;\n}\n',
    at: { line: 1, column: 18 },
  },
  {
    codeType: 'javascript', tool: 'node', nameStarts: 'node ', path: 'm.mjs',
    good: "import fs from 'node:fs';\nexport const a = fs.existsSync('x');\n",
    broken: "import fs from 'node:fs';\nexport const a = fs.existsSync('x' 1);\n",
    at: { line: 1, column: 31 }, // V8 points at the argument list's first argument
  },
  {
    codeType: 'javascript', tool: 'node', nameStarts: 'node ', path: 'c.jsx',
    good: 'const a = <div className="x">{1}</div>;\n',
    broken: 'const a = <div className="x">{1</div>;\n',
    at: { line: 0, column: 31 },
  },
  {
    codeType: 'typescript', tool: 'node', nameStarts: 'typescript ',
    good: 'function f(x: number): number {\n  return x + 1;\n}\n',
    broken: 'function f(x: number): number {\n  return (x + 1;\n}\n',
    at: { line: 1, column: 15 },
  },
  {
    codeType: 'java', tool: 'javac', nameStarts: 'javac ',
    good: 'class A {\n  int f(int x) {\n    return x + 1;\n  }\n}\n',
    broken: 'class A {\n  int f(int x) {\n    int é = (x + 1;\n    return é;\n  }\n}\n',
    at: { line: 2, column: 18 },
  },
  {
    codeType: 'go', tool: 'gofmt', nameStarts: 'gofmt -e',
    good: 'package main\n\nfunc f(x int) int {\n\treturn x + 1\n}\n',
    broken: 'package main\n\nfunc f(x int) int {\n\ty := "é" + (x\n\treturn y\n}\n',
    at: { line: 3, column: 14 },
  },
  {
    codeType: 'rust', tool: 'rustfmt', nameStarts: 'rustfmt ',
    good: 'mod helpers;\nfn f(x: i32) -> i32 {\n    x + 1\n}\n',
    broken: 'mod helpers;\nfn f(x: i32) -> i32 {\n    let s = "é" 1;\n    x\n}\n',
    at: { line: 2, column: 16 },
  },
  {
    codeType: 'c', tool: 'gcc', nameStarts: 'gcc ',
    good: '#include <stdio.h>\n#include "not_here.h"\nint main(void) {\n  printf("%d", 1);\n  return 0;\n}\n',
    broken: '#include <stdio.h>\n#include "not_here.h"\nint main(void) {\n  int x = (1;\n  printf("%d", x);\n  return 0;\n}\n',
    at: { line: 3, column: 12 },
  },
  {
    codeType: 'cpp', tool: 'g++', nameStarts: 'g++ ',
    good: '#include <vector>\nint f() {\n  std::vector<int> v{1, 2};\n  return v[0];\n}\n',
    broken: '#include <vector>\nint f() {\n  std::vector<int> v{1, 2};\n  return (v[0];\n}\n',
    at: { line: 3, column: 14 },
  },
  {
    codeType: 'shell', tool: 'bash', nameStarts: 'bash ',
    good: 'if true; then\n  echo hi\nfi\n',
    broken: 'if true; then\n  echo hi\nfi fi\n',
    at: { line: 2, column: 0 },
  },
];

describe('each installed prover parses a good and a broken document', () => {
  for (const c of cases) {
    const label = `${c.codeType}${c.path ? ` (${c.path})` : ''}`;
    test(label, async (t) => {
      if (c.tool !== 'node' && !findTool(c.tool)) {
        t.skip(`${c.tool} is not installed here (scripts/install-eval-toolchains.sh installs it)`);
        return;
      }
      const prover = await proverFor(c.codeType);
      if (prover.kind !== 'native') {
        // e.g. a rustup proxy with no toolchain, or a "gcc" that is clang
        t.skip(`${c.tool} is on PATH but does not work as a prover here (${prover.name} used instead)`);
        return;
      }
      assert.ok(prover.name.startsWith(c.nameStarts), prover.name);
      const [good, broken] = await prover.parse([c.good, c.broken], { path: c.path });
      assert.deepEqual(good, { ok: true, errors: [] }, `${prover.name} on the good document`);
      assert.equal(broken!.ok, false);
      const first = broken!.errors[0]!;
      assert.deepEqual({ line: first.line, column: first.column }, c.at, `${prover.name}: ${first.message}`);
      assert.ok(first.message.length > 0);
    });
  }
});

test('python: compile() errors beyond the parser (return outside a function), a null byte', async () => {
  const p = await proverFor('python');
  const [ret, nul] = await p.parse(['x = 1\nreturn x\n', 'x = 1\ny = "a\0b"\n']);
  assert.deepEqual(ret!.errors.map((e) => [e.line, e.column]), [[1, 0]]);
  assert.match(ret!.errors[0]!.message, /'return' outside function/);
  assert.equal(nul!.ok, false);
  assert.equal(nul!.errors[0]!.line, 1);
});

test('javascript: a module-only document (import/export) is parsed as a module, a CommonJS one as a script', async () => {
  const p = await proverFor('javascript');
  const [mod, cjs, both] = await p.parse([
    "import x from 'y';\nexport default x;\n",
    'const x = require("y");\nif (!x) return;\nmodule.exports = x;\n',
    "import x from 'y';\nif (!x) return;\n",
  ]);
  assert.equal(mod!.ok, true);
  assert.equal(cjs!.ok, true);
  assert.equal(both!.ok, false, 'import and a top-level return cannot both be valid');
  assert.equal(both!.errors[0]!.line, 1);
});

test('a batch of many texts (several process calls) keeps the order of the verdicts', async (t) => {
  const ids = ['python', 'javascript', 'java', 'go', 'rust', 'c'].filter((id) => id === 'javascript' || findTool({ python: 'python3', java: 'javac', go: 'gofmt', rust: 'rustfmt', c: 'gcc' }[id]!));
  for (const id of ids) {
    await t.test(id, async () => {
      const c = cases.find((x) => x.codeType === id)!;
      const texts = Array.from({ length: 150 }, (_, i) => (i % 3 === 1 ? c.broken : c.good));
      const prover = await proverFor(id);
      const verdicts = await prover.parse(texts);
      assert.equal(verdicts.length, texts.length);
      assert.deepEqual(verdicts.map((v) => v.ok), texts.map((_, i) => i % 3 !== 1));
      for (const v of verdicts) if (!v.ok) assert.equal(v.errors[0]!.line, c.at.line);
    });
  }
});

test('gofmt says its batch verdicts are each file\'s own (batchExact): a file in a mixed batch gets the verdict it gets alone', { skip: !findTool('gofmt') }, async () => {
  const c = cases.find((x) => x.codeType === 'go')!;
  const prover = await proverFor('go');
  assert.equal(prover.batchExact, true);
  const batch = await prover.parse([c.broken, c.good, c.broken, c.good]);
  const [alone] = await prover.parse([c.good]);
  const [aloneBroken] = await prover.parse([c.broken]);
  assert.deepEqual(batch[1], alone);
  assert.deepEqual(batch[2], aloneBroken);
  assert.equal(batch[1]!.ok, true);
  // the parsers that may answer differently in a batch do not claim it
  if (findTool('rustfmt')) assert.notEqual((await proverFor('rust')).batchExact, true);
});

test('cancellation: an aborted signal stops the parse within one batch, and the worker stays usable', async () => {
  const p = (await proverFor('python')) as Prover & { worker: LineWorker };
  await p.parse(['x = 1\n']);
  const sent: number[] = [];
  const original = p.worker.request.bind(p.worker);
  p.worker.request = (line: string, ms: number) => {
    sent.push(line.length);
    return original(line, ms);
  };
  try {
    const many = Array.from({ length: 640 }, (_, i) => `x = ${i}\n`.repeat(40)); // 10 batches
    const ac = new AbortController();
    const run = p.parse(many, { signal: ac.signal });
    ac.abort();
    await assert.rejects(run, { name: 'AbortError' });
    assert.equal(sent.length, 1, 'only the batch already sent was parsed');
    await assert.rejects(p.parse(many, { signal: ac.signal }), { name: 'AbortError' });
    assert.equal(sent.length, 1, 'nothing is sent under a signal that already fired');
    // the dropped answer of the cancelled batch does not shift later answers
    const [a, b] = await p.parse(['x = (\n', 'x = 2\n']);
    assert.equal(a!.ok, false);
    assert.equal(b!.ok, true);
  } finally {
    p.worker.request = original;
  }
});

test('rust: a file rustfmt stops at (an unterminated string) leaves none of the later files unread', async (t) => {
  if (!findTool('rustfmt')) return t.skip('rustfmt is not installed');
  const p = await proverFor('rust');
  const good = 'fn main() {\n    let x = 1;\n}\n';
  const unclosed = 'fn main() {\n    let x = (1;\n}\n';
  const unterminated = 'fn main() {\n    let x = "1;\n}\n';
  // rustfmt exits 101 at the unterminated string without reading the files after it
  const vs = await p.parse([good, unterminated, unclosed, good, unterminated, unclosed, good]);
  assert.deepEqual(vs.map((v) => v.ok), [true, false, false, true, false, false, true]);
});

test('cancellation of a file-based prover kills the tool', async (t) => {
  if (!findTool('rustfmt')) return t.skip('rustfmt is not installed');
  const p = await proverFor('rust');
  const ac = new AbortController();
  const run = p.parse(Array.from({ length: 200 }, () => cases.find((c) => c.codeType === 'rust')!.good), { signal: ac.signal });
  setImmediate(() => ac.abort());
  await assert.rejects(run, { name: 'AbortError' });
  const [v] = await p.parse(['fn main() {}\n']);
  assert.equal(v!.ok, true);
});

test('a batch that runs past the timeout kills the worker; the next parse starts a fresh one', async () => {
  const p = (await pythonProver({ timeoutMs: 1 })) as Prover & { worker: LineWorker };
  try {
    // made and probed (the first request of a fresh worker gets the start-up allowance)
    assert.equal(p.worker.starts, 1);
    const big = Array.from({ length: 64 }, (_, i) => `def f${i}(x):\n    return x\n`.repeat(200));
    await assert.rejects(p.parse(big), (e: unknown) => e instanceof ProverToolError && /took longer than/.test(e.message));
    assert.equal(p.worker.running, false, 'the hung worker was killed');
    assert.equal((await p.parse(['x = (\n']))[0]!.ok, false);
    assert.equal(p.worker.starts, 2, 'a fresh worker answered');
  } finally {
    p.dispose!();
  }
});

test('java: a text that makes javac itself fail (very deep nesting) is an error, and the worker lives on', async (t) => {
  if (!findTool('javac')) return t.skip('javac is not installed');
  const p = await proverFor('java');
  const deep = `class A { int x = ${'('.repeat(200_000)}1${')'.repeat(200_000)}; }\n`;
  const [v, after] = await p.parse([deep, 'class B {}\n']);
  assert.equal(v!.ok, false);
  assert.equal(after!.ok, true);
});

test('java: one javac task per batch still reports every broken text (more than javac\'s default 100 errors)', async (t) => {
  if (!findTool('javac')) return t.skip('javac is not installed');
  const p = await proverFor('java');
  const broken = 'class A {\n  int f( { return 1 }\n  int g() { return (2; }\n  int h() { return 3 }\n}\n';
  const texts = Array.from({ length: 64 }, (_, i) => (i === 40 ? 'class Ok {}\n' : broken));
  const verdicts = await p.parse(texts);
  assert.deepEqual(verdicts.map((v) => v.ok), texts.map((_, i) => i === 40));
  const counts = new Set(verdicts.filter((v) => !v.ok).map((v) => v.errors.length));
  assert.equal(counts.size, 1, `every broken copy gets the same errors: ${[...counts].join(', ')}`);
  assert.ok([...counts][0]! >= 3);
});

test('a file-based tool past its time limit is stopped with a clear error', async (t) => {
  if (!findTool('rustfmt')) return t.skip('rustfmt is not installed');
  const p = (await rustProver({ timeoutMs: 1 }))!;
  try {
    await assert.rejects(p.parse(Array.from({ length: 50 }, () => 'fn main() {}\n')), (e: unknown) => e instanceof ProverToolError && /took longer than 1 ms/.test(e.message));
  } finally {
    p.dispose!();
  }
});

test('a document over the size limit is refused with a clear message', async () => {
  const p = await proverFor('python', { maxChars: 1000 });
  await assert.rejects(p.parse(['x = 1\n', 'x = 1\n'.repeat(500)]), (e: unknown) =>
    e instanceof ProverInputError && /too large .*3,000 characters; the limit is 1,000/.test(e.message));
});

test('a missing tool falls back to tree-sitter, and the name says so', async () => {
  const emptyBin = mkdtempSync(join(tmpdir(), 'treasure-nopath-'));
  const saved = process.env.PATH;
  process.env.PATH = emptyBin;
  forgetTools();
  try {
    const p = await proverFor('python', { timeoutMs: 4321 }); // a fresh cache entry
    assert.equal(p.kind, 'tree-sitter');
    assert.equal(p.name, 'tree-sitter python');
    const [good, broken] = await p.parse(['def f(x):\n    return x\n', 'def f(x)\n    return x\n']);
    assert.equal(good!.ok, true);
    assert.equal(broken!.ok, false);
    assert.equal(broken!.errors[0]!.line, 0);
  } finally {
    process.env.PATH = saved;
    forgetTools();
    rmSync(emptyBin, { recursive: true, force: true });
  }
  assert.equal((await proverFor('csharp')).name, 'tree-sitter csharp');
  await assert.rejects(proverFor('perl'), NoProverError);
});

test('javascript: .cjs is only a script, .mjs only a module; a very long line keeps its line, says the column is unknown', async () => {
  const p = await proverFor('javascript');
  const [cjsImport] = await p.parse(["import x from 'y';\n"], { path: 'a.cjs' });
  assert.equal(cjsImport!.ok, false);
  const [mjsReturn] = await p.parse(['return 1;\n'], { path: 'a.mjs' });
  assert.equal(mjsReturn!.ok, false);
  const [long] = await p.parse([`let b = 1;\nlet a = [${'1,'.repeat(2500)} 2 3];\n`]);
  assert.equal(long!.errors[0]!.line, 1);
  assert.match(long!.errors[0]!.message, /column not reported/);
});

test("typescript: the workspace's own typescript only when the workspace is trusted", async () => {
  const ws = mkdtempSync(join(tmpdir(), 'treasure-ws-'));
  try {
    mkdirSync(join(ws, 'node_modules'));
    symlinkSync(join(process.cwd(), 'node_modules', 'typescript'), join(ws, 'node_modules', 'typescript'), 'dir');
    const trusted = await proverFor('typescript', { workspaceRoot: ws, workspaceTrusted: true });
    assert.match(trusted.name, /^typescript \S+ parser \(workspace\)$/);
    const untrusted = await proverFor('typescript', { workspaceRoot: ws });
    assert.match(untrusted.name, /^typescript \S+ parser$/);
    const [v] = await trusted.parse(['let x: = 1;\n']);
    assert.equal(v!.ok, false);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('c++: an unfound include is blanked, and a candidate that edits the include block is compiled as it is', async (t) => {
  if (!findTool('g++')) return t.skip('g++ is not installed');
  const p = await proverFor('cpp');
  const body = 'int f() {\n  std::vector<int> v{1, 2};\n  return v[0];\n}\n';
  const [original, typo, missingOnly] = await p.parse([
    `#include <vector>\n#include "local_not_here.h"\n${body}`,
    `#include <vectr>\n#include "local_not_here.h"\n${body}`,
    `#include <vector>\n#include "local_not_here.h"\nint g() { return (1; }\n`,
  ]);
  assert.equal(original!.ok, true, JSON.stringify(original));
  // <vectr> is not found, so blanked: std::vector is then unknown on line 3
  assert.equal(typo!.ok, false);
  assert.ok(typo!.errors.every((e) => e.line >= 2), JSON.stringify(typo));
  assert.deepEqual(missingOnly!.errors.map((e) => e.line), [2]);
});

// ---- judgeCandidate ----------------------------------------------------------------------------

async function judge(codeType: string, original: string, edits: OffsetEdit[], targetIndex = 0) {
  const prover = await proverFor(codeType);
  const fixed = applyOffsetEdits(original, edits);
  const [ov, cv] = await prover.parse([original, fixed]);
  return judgeCandidate({
    original, originalVerdict: ov!, target: ov!.errors[targetIndex]!, candidate: { fixed, edits }, candidateVerdict: cv!, prover,
  });
}

const at = (text: string, needle: string) => text.indexOf(needle);

test('judge (python): the fix of the first of two errors is proven; the later error is listed, not added', async () => {
  const src = 'def f(x)\n    return x\n\ny = [1, 2\n';
  const fix = await judge('python', src, [{ start: at(src, ')') + 1, end: at(src, ')') + 1, newText: ':' }]);
  assert.equal(fix.proven, true, fix.reason);
  assert.equal(fix.later.length, 1);
  assert.equal(fix.later[0]!.line, 3);
  // an edit that opens a bracket moves Python's first error into unchanged text: not proven
  const bad = await judge('python', src, [{ start: at(src, ')') + 1, end: at(src, ')') + 1, newText: ': (' }]);
  assert.equal(bad.proven, false);
  // the colon plus an edit on the line of the later error: an error on an edited line is the edit's
  // (conservative: Python cannot tell whether it was there before)
  const y = at(src, 'y = [');
  const indent = await judge('python', src, [
    { start: at(src, ')') + 1, end: at(src, ')') + 1, newText: ':' },
    { start: y, end: y, newText: '    ' },
  ]);
  assert.equal(indent.proven, false, indent.reason);
  // an edit somewhere else leaves the error in place
  const elsewhere = await judge('python', src, [{ start: at(src, 'return x'), end: at(src, 'return x') + 8, newText: 'return x + 1' }]);
  assert.equal(elsewhere.targetGone, false);
  assert.equal(elsewhere.proven, false);
});

test('judge (gcc): semantic errors that were there before are kept, a new one is added', async (t) => {
  if (!findTool('gcc')) return t.skip('gcc is not installed');
  const src = 'int g(void) { return undeclared_name; }\nint main(void) {\n  int x = (1;\n  return x;\n}\n';
  const semi = at(src, '(1;') + 2;
  const fix = await judge('c', src, [{ start: semi, end: semi, newText: ')' }], 1);
  assert.equal(fix.proven, true, fix.reason);
  assert.equal(fix.kept.length, 1);
  assert.match(fix.kept[0]!.message, /undeclared_name/);
  const worse = await judge('c', src, [{ start: semi, end: semi, newText: ')' }, { start: at(src, 'return x'), end: at(src, 'return x') + 8, newText: 'return y' }], 1);
  assert.equal(worse.proven, false);
  assert.match(worse.added[0]!.message, /'y' undeclared/);
});

test('judge (tree-sitter and bash): errors compared by position, or by line where the tool gives only lines', async (t) => {
  const rb = 'def f(x)\n  x +\nend\n';
  const rbFix = await judge('ruby', rb, [{ start: at(rb, '+') + 1, end: at(rb, '+') + 1, newText: ' 1' }]);
  assert.equal(rbFix.proven, true, rbFix.reason);
  if (!findTool('bash')) return t.skip('bash is not installed');
  const sh = 'if true; then\n  echo hi\nfi fi\n';
  const shFix = await judge('shell', sh, [{ start: at(sh, 'fi fi') + 2, end: at(sh, 'fi fi') + 5, newText: '' }]);
  assert.equal(shFix.proven, true, shFix.reason);
  const shNo = await judge('shell', sh, [{ start: at(sh, 'echo hi'), end: at(sh, 'echo hi') + 7, newText: 'echo ho' }]);
  assert.equal(shNo.proven, false);
});

test('proveCandidates: one call for the original and its candidates, judged against the error nearest the diagnostic', async () => {
  const prover = await proverFor('python');
  const src = 'def f(x)\n    return x\n';
  const colon = at(src, ')') + 1;
  const cands = [':', ';', ' :', '('].map((t) => {
    const edits = [{ start: colon, end: colon, newText: t }];
    return { edits, fixed: applyOffsetEdits(src, edits) };
  });
  const run = await proveCandidates(prover, src, cands, { line: 0, column: 8 });
  assert.equal(run.target!.line, 0);
  assert.deepEqual(run.judgements.map((j) => j.proven), [true, false, true, false]);
  const clean = await proveCandidates(prover, 'x = 1\n', [], { line: 0, column: 0 });
  assert.equal(clean.target, undefined);
});
