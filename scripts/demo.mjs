// `npm run demo`: the main job on the shipped model, said in plain words. Two examples through the CLI:
//   1. a sample Python file whose `def` line lacks its colon (`bin/treasure fix FILE --json`);
//   2. a failing pytest test (test/fixtures/demo/bank/): `bin/treasure fix-test TEST_FILE --test NAME`
//      finds the function the test exercises and proves a fix with the workspace's own tests.
// For each: what was wrong, what was changed, what proved the change and how long it took. Builds dist/
// first if needed. Exit status: the first failing example's CLI status (0 a fix, 1 none found, 2 an
// error); the second example is skipped, saying why, where pytest is not installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url)); // a path, also where a folder name has a space

if (!existsSync(join(root, 'dist/cli.js')) || !existsSync(join(root, 'grammars/wasm/python.wasm'))) {
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 2);
}

// Each job: a file with one bug, and what the bug is, as a person would say it.
const BANK = 'test/fixtures/demo/bank';
const jobs = [
  { cmd: ['fix', 'test/fixtures/samples/missing_colon.py'], file: 'test/fixtures/samples/missing_colon.py', bug: 'line 4, `def circle_area(radius)`, has no colon at its end, so Python cannot parse the file' },
  {
    cmd: ['fix-test', `${BANK}/test_bank.py`, '--test', 'test_back_to_zero_is_not_below', '--root', BANK],
    test: true,
    bug: 'the test `test_back_to_zero_is_not_below` fails: `below_zero([5, -5, 1])` says the balance fell below zero when it only came back to zero',
  },
];
const hasPytest = spawnSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0;

/** What the model was told, in words (the markers it was given; models/markers.json has them all). */
const MARKER_WORDS = {
  task: (v) => (v === 'CodeFix' ? 'fix the code' : v),
  code_type: (v) => `it is ${v[0].toUpperCase()}${v.slice(1)}`,
  error_type: (v) => `the error: ${v.replaceAll('_', ' ')}`,
  length_bucket: (v) => `keep the answer ${v}`,
};

/** One edit in words: where it is and what it does to that line. */
function describeEdit(text, edit) {
  const lines = text.split('\n');
  const { start, end } = edit.range;
  const where = start.line === end.line ? `line ${start.line + 1}` : `lines ${start.line + 1}-${end.line + 1}`;
  const removed = start.line === end.line ? lines[start.line].slice(start.character, end.character) : null;
  const what = removed === '' ? `added ${JSON.stringify(edit.newText)}` : edit.newText === '' ? `removed ${JSON.stringify(removed)}` : `replaced ${JSON.stringify(removed ?? '…')} with ${JSON.stringify(edit.newText)}`;
  const atEnd = start.line === end.line && start.character === lines[start.line].length ? ' at its end' : ` at column ${start.character + 1}`;
  return `${where}: ${what}${atEnd}`;
}

/**
 * What proved a fix, honestly: the check the engine names (verifiedBy: a language's own parser for a
 * syntax fix, a test run for a behaviour fix); without one, a fix the engine calls checked parses with
 * tree-sitter, and nothing more was done.
 */
function proofOf(out) {
  const tried = out.candidates ? ` (${out.candidates} candidates tried)` : '';
  if (out.verifiedBy) return out.target && out.target !== 'syntax' ? `${out.verifiedBy}${tried}.` : `the fixed file parses (${out.verifiedBy})${tried}; the code was not run.`;
  if (out.verified === false) return 'nothing: no parser or test ran on the fix.';
  return 'the fixed file parses (tree-sitter finds no syntax error in it); the code was not run.';
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
let status = 0;
for (const [i, job] of jobs.entries()) {
  if (job.test && !hasPytest) {
    console.log(`\n(the second example, a fix proven by a failing pytest test, needs pytest: bash scripts/install-repair-test-tools.sh)`);
    continue;
  }
  const cmd = ['bin/treasure', ...job.cmd, '--json'];
  console.log(`\n$ ${cmd.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, cmd, { cwd: root, encoding: 'utf8' });
  const wallMs = Date.now() - t0;
  let out;
  try {
    out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    console.log(`the CLI gave no answer (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
    status ||= r.status || 2;
    continue;
  }
  if (out.error) {
    console.log(`error: ${out.error}`);
    status ||= r.status || 2;
    continue;
  }
  if (job.test) {
    testReport(job, out, wallMs);
    status ||= r.status ?? 2;
    continue;
  }
  const text = readFileSync(join(root, job.file), 'utf8');
  const given = Object.entries(out.markers?.given ?? {}).map(([k, v]) => (MARKER_WORDS[k] ? MARKER_WORDS[k](v) : `${k} ${v}`));
  const report = [
    ['What was wrong', `${job.bug} (${job.file}).`],
    ['Model was told', `${given.join('; ')} (the markers it was given).`],
  ];
  if (!out.fixed) {
    report.push(['Result', `no fix: ${out.reason}.`]);
  } else {
    report.push(['What changed', out.edits.map((e) => describeEdit(text, e)).join('; ')]);
    if (out.label) report.push(['', `(${out.label})`]); // where the fix came from, when the engine says
    const fixedLines = out.fixed.split('\n');
    for (const l of [...new Set(out.edits.map((e) => e.range.start.line))]) report.push(['', `now reads: ${fixedLines[l]}`]);
    report.push(['What proved it', proofOf(out)]);
  }
  report.push(['How long', `${seconds(out.latencyMs)} to write and check the fix, ${seconds(wallMs)} for the whole command (loading the model included), on this machine's CPU.`]);
  for (const [k, v] of report) console.log(`${k.padEnd(15)} ${v}`);
  if (i === 0) status = r.status ?? 2;
}
process.exit(status);

/** The failing-test example in words: the failure, where Treasure looked, the edit, the tests that prove it. */
function testReport(job, out, wallMs) {
  const source = out.source ? `${BANK}/${out.source}` : null;
  const report = [['What was wrong', `${job.bug} (${BANK}/test_bank.py).`]];
  if (out.failure) report.push(['', `pytest said: ${out.failure.message.split('\n')[0]}`]);
  if (!out.fixed) {
    report.push(['Result', `no fix: ${out.reason}.`]);
  } else {
    const text = readFileSync(join(root, source), 'utf8');
    report.push(['Where it looked', `the lines of ${source} the failing test runs and the passing ones do not: \`${out.function}\`; ${out.candidates} candidate edits tried there.`]);
    report.push(['What changed', `${source} ${out.edits.map((e) => describeEdit(text, e)).join('; ')}`]);
    const fixedLines = out.fixed.split('\n');
    for (const l of [...new Set(out.edits.map((e) => e.range.start.line))]) report.push(['', `now reads: ${fixedLines[l].trim()}`]);
    report.push(['What proved it', `${out.verifiedBy}: every candidate ran in a scratch copy of the folder, and the winner twice; the files in ${BANK} were not changed.`]);
  }
  report.push(['How long', `${seconds(out.latencyMs)} to run the tests, find and prove the fix, ${seconds(wallMs)} for the whole command (loading the model included), on this machine's CPU.`]);
  for (const [k, v] of report) console.log(`${k.padEnd(15)} ${v}`);
}
