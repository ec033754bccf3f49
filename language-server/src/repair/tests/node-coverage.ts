// Per-test line coverage for node:test in one run: a preload (`--require`, through NODE_OPTIONS) that
// starts V8's precise coverage through the in-process inspector and registers root-level
// beforeEach/afterEach hooks: each test's block counts are taken (and reset) when it ends. The
// result, test name -> V8 function ranges of the one target file, is written to a JSON file on exit.
// The preload removes its variables from process.env at once, so processes a test starts do not load
// it. Where the inspector is missing it does nothing (the caller falls back to one run per test).
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperDir } from './env';

export const PRELOAD_SOURCE = `
'use strict';
const target = process.env.TREASURE_COVER_FILE;
const outFile = process.env.TREASURE_COVER_OUT;
delete process.env.TREASURE_COVER_FILE;
delete process.env.TREASURE_COVER_OUT;
delete process.env.NODE_OPTIONS;
if (target && outFile) {
  let session;
  try {
    const { Session } = require('node:inspector/promises');
    session = new Session();
    session.connect();
  } catch {
    session = undefined;
  }
  if (session) {
    const { pathToFileURL } = require('node:url');
    const url = pathToFileURL(target).href;
    const { beforeEach, afterEach } = require('node:test');
    const ready = session.post('Profiler.enable').then(() => session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true }));
    const out = {};
    beforeEach(async () => {
      await ready;
      await session.post('Profiler.takePreciseCoverage');
    });
    afterEach(async (t) => {
      const { result } = await session.post('Profiler.takePreciseCoverage');
      const script = result.find((s) => s.url === url || s.url === target);
      const fns = script ? script.functions.map((f) => ({ ranges: f.ranges })) : [];
      (out[t.name] ??= []).push(...fns);
    });
    process.on('exit', () => require('node:fs').writeFileSync(outFile, JSON.stringify(out)));
  }
}
`;

let written: string | undefined;
export function preloadPath(): string {
  if (written && existsSync(written)) return written;
  const h = createHash('sha256').update(PRELOAD_SOURCE).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `treasure-node-cover-${h}-${process.pid}`);
  helperDir(dir);
  written = join(dir, 'cover.cjs');
  writeFileSync(written, PRELOAD_SOURCE);
  return written;
}

/** The environment that makes a single-file node:test run record per-test coverage of `target`. */
export function coverageEnv(target: string, outFile: string): Record<string, string> {
  return { NODE_OPTIONS: `--require ${JSON.stringify(preloadPath())}`, TREASURE_COVER_FILE: target, TREASURE_COVER_OUT: outFile };
}
