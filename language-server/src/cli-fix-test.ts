// `treasure fix-test TEST_FILE [--line N | --test NAME] [--root DIR] [--json]`: the editor's "Fix the
// code test_x exercises" without an editor (repair/fix-failing-test.ts). Prints the proven fix of the
// source file (nothing is written), or why there is none. Exit status: 0 a fix, 1 none.
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Engine } from './engine';
import { InputError } from './engine';
import { fixFailingTest } from './repair/fix-failing-test';
import { testAt, testFileRunner, type TestAtCursor } from './repair/tests/failing-test';
import { diffLines } from './repair/text';
import type { Undecided } from './settings';

export interface FixTestArgs {
  file: string;
  /** 1-based line in the test, or the test's name. */
  line?: number;
  test?: string;
  root: string;
  json: boolean;
  maxTokens?: number;
  /** --undecided: 'withhold' gives no fix where other edits pass the test too and behave differently. */
  undecided?: Undecided;
  engine: () => Promise<Engine>;
}

/** The test named `name`, or the one at 0-based `line`, in a test file. */
export function findTest(text: string, rel: string, where: { line?: number; name?: string }): TestAtCursor | null {
  if (where.line !== undefined) return testAt(text, rel, where.line);
  const n = text.split(/\r?\n/).length;
  for (let i = 0; i < n; i++) {
    const t = testAt(text, rel, i);
    if (t && t.startLine === i && t.name === where.name) return t;
  }
  return null;
}

export async function cmdFixTest(args: FixTestArgs): Promise<number> {
  const root = resolve(args.root);
  const rel = relative(root, resolve(args.file));
  if (rel.startsWith('..')) throw new InputError(`${args.file} is outside the workspace ${args.root}`);
  if (!testFileRunner(rel)) throw new InputError(`${args.file}: not a test file Treasure can run (test_*.py / *_test.py for pytest, *.test.js / test/*.js for node --test)`);
  const text = readFileSync(resolve(args.file), 'utf8');
  if (args.line === undefined && args.test === undefined) throw new InputError('fix-test needs --line N or --test NAME');
  const t = findTest(text, rel, { line: args.line === undefined ? undefined : args.line - 1, name: args.test });
  if (!t) throw new InputError(args.test ? `${args.file} has no test named ${args.test}` : `line ${args.line} of ${args.file} is in no test`);
  const engine = await args.engine();
  // the user ran this on their own files: their tests may run (in a scratch copy)
  const r = await fixFailingTest({ root, testFile: rel, test: t, trusted: true, maxTokens: args.maxTokens, undecided: args.undecided, fixDetailed: (req) => engine.fixDetailed(req) });
  if (args.json) {
    const common = { test: r.test, status: r.status, failure: r.failure ? { message: r.failure.message, expected: r.failure.expected ?? null, actual: r.failure.actual ?? null } : null, source: r.source ?? null, candidates: r.candidates ?? null, latencyMs: r.ms };
    if (r.status === 'fixed') {
      const f = r.fix;
      process.stdout.write(JSON.stringify({ ...common, title: r.title, function: r.functionName, edits: f.edits, fixed: f.fixed, verified: true, proven: !f.contested, contested: f.contested ?? null, verifiedBy: f.verifiedBy ?? null, tests: f.tests, label: f.label ?? null, verifyMs: f.verifyMs ?? null, reason: null }) + '\n');
    } else process.stdout.write(JSON.stringify({ ...common, edits: [], fixed: null, verified: false, proven: false, reason: r.reason }) + '\n');
    return r.status === 'fixed' ? 0 : 1;
  }
  if (r.status !== 'fixed') {
    process.stderr.write(`treasure: ${r.reason}\n`);
    return 1;
  }
  const a = r.sourceText.split(/\r?\n/);
  const b = r.fix.fixed.split(/\r?\n/);
  const out = [`${r.title.replace(/^Fix with Treasure — /, '')}: ${r.fix.label ?? 'a rewrite'} of ${r.functionName} in ${r.source} (${r.fix.verifiedBy}; ${r.candidates ?? '?'} candidates tried, ${r.ms} ms)`];
  for (const h of diffLines(a, b)) {
    out.push(`@@ ${r.source} line ${h.a0 + 1} @@`);
    for (let i = h.a0; i < h.a1; i++) out.push(`- ${a[i]}`);
    for (let j = h.b0; j < h.b1; j++) out.push(`+ ${b[j]}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
