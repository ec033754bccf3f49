// node --test: a custom reporter (written once to a temp folder) that writes one JSON object a line to
// a file: every test's start, pass and failure, with the assertion's expected/actual and the stack.
// Ids are "relative/file.test.js > suite > test name" (the suite path from the start events' nesting).
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, TestFailure } from './report';
import { helperDir } from './env';

export const REPORTER_SOURCE = `
const keep = (v) => { try { const s = typeof v === 'string' ? JSON.stringify(v) : require('node:util').inspect(v, { depth: 4, breakLength: Infinity }); return s.length > 400 ? s.slice(0, 400) + '...' : s; } catch { return String(v); } };
module.exports = async function* treasureReporter(source) {
  for await (const ev of source) {
    const d = ev.data || {};
    if (ev.type === 'test:start') yield JSON.stringify({ event: 'start', name: d.name, nesting: d.nesting, file: d.file }) + '\\n';
    else if (ev.type === 'test:pass' || ev.type === 'test:fail') {
      const det = d.details || {};
      const o = { event: ev.type === 'test:pass' ? 'pass' : 'fail', name: d.name, nesting: d.nesting, file: d.file, suite: det.type === 'suite', skip: d.skip !== undefined && d.skip !== false, todo: d.todo !== undefined && d.todo !== false };
      const e = det.error;
      if (e) {
        const c = e.cause && typeof e.cause === 'object' ? e.cause : e;
        o.failureType = e.failureType;
        o.message = String((c.name && c.name !== 'Error' ? c.name + ': ' : '') + (c.message ?? e.message ?? '')).slice(0, 2000);
        if (c.code === 'ERR_ASSERTION' && 'expected' in c) { o.expected = keep(c.expected); o.actual = keep(c.actual); }
        o.stack = String(c.stack || '').slice(0, 4000);
      }
      yield JSON.stringify(o) + '\\n';
    }
  }
};
`;

let written: string | undefined;
export function reporterPath(): string {
  if (written && existsSync(written)) return written;
  const h = createHash('sha256').update(REPORTER_SOURCE).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `treasure-node-reporter-${h}-${process.pid}`);
  helperDir(dir);
  written = join(dir, 'reporter.cjs');
  writeFileSync(written, REPORTER_SOURCE);
  return written;
}

/**
 * `node --test` arguments: the reporter into `reportFile`, an optional name filter, the test files.
 * One file runs in the node process itself (`node file.test.js` with the same reporter): `--test`
 * would start a second process for it, ~0.2 s more per run for the same result.
 */
export function nodeTestArgs(reportFile: string, files: string[], namePatterns: string[] = []): string[] {
  const pats = namePatterns.flatMap((p) => ['--test-name-pattern', p]);
  return [...(files.length === 1 ? [] : ['--test']), `--test-reporter=${reporterPath()}`, `--test-reporter-destination=${reportFile}`, ...pats, ...files];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A name pattern that selects one test id ("file > suite > name": the leaf name, anchored). */
export function namePatternOf(id: string): string {
  const leaf = id.split(' > ').pop() ?? id;
  return `^${escapeRe(leaf)}$`;
}
export function fileOf(id: string): string {
  return id.split(' > ')[0]!;
}

/** "    at f (/tmp/x/m.js:3:29)" -> frames in `rel` terms, innermost last; node internals dropped. */
export function framesOfStack(stack: string, rel: (p: string) => string): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split('\n')) {
    const m = line.match(/^\s+at (?:.*?\()?(?:file:\/\/)?(\/[^():]+):(\d+):\d+\)?$/);
    if (m) frames.push({ file: rel(m[1]!), line: Number(m[2]) });
  }
  return frames.reverse();
}

export interface NodeParsed {
  passed: string[];
  failed: TestFailure[];
  skipped: string[];
  errors: string[];
  running?: string;
}

export function parseNodeReport(text: string, rel: (p: string) => string): NodeParsed {
  const out: NodeParsed = { passed: [], failed: [], skipped: [], errors: [] };
  const path: string[] = []; // suite names by nesting, from start events
  const started = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const file = typeof ev.file === 'string' ? ev.file : '';
    const name = String(ev.name ?? '');
    const nesting = Number(ev.nesting ?? 0);
    // the per-file wrapper test (its name is the file's path) only matters when the file fails to load
    const isFileWrapper = name === file || (file === '' && name.startsWith('/'));
    if (ev.event === 'start') {
      path.length = nesting;
      path[nesting] = name;
      if (!isFileWrapper) started.add(idOf(rel(file), path.slice(0, nesting), name));
      continue;
    }
    if (isFileWrapper) {
      if (ev.event === 'fail' && ev.failureType !== 'subtestsFailed') out.errors.push(`${rel(name)}: ${String(ev.message ?? 'failed to run')}`);
      continue;
    }
    const id = idOf(rel(file), path.slice(0, nesting), name);
    started.delete(id);
    if (ev.suite) {
      // a suite fails when a test in it fails (reported on its own) or when its body throws
      if (ev.event === 'fail' && ev.failureType !== 'subtestsFailed') out.errors.push(`${id}: ${String(ev.message ?? '')}`);
      continue;
    }
    if (ev.skip || ev.todo) out.skipped.push(id);
    else if (ev.event === 'pass') out.passed.push(id);
    else {
      const f: TestFailure = { name: id, message: String(ev.message ?? 'failed'), traceback: framesOfStack(String(ev.stack ?? ''), rel) };
      if (typeof ev.expected === 'string') {
        f.expected = ev.expected;
        f.actual = String(ev.actual);
      }
      if (ev.failureType === 'cancelledByParent' || /test timed out/i.test(f.message)) f.timedOut = true;
      out.failed.push(f);
    }
  }
  const running = [...started];
  if (running.length) out.running = running[running.length - 1];
  return out;
}

function idOf(file: string, suites: string[], name: string): string {
  return [file, ...suites, name].join(' > ');
}
