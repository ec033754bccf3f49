// The file provers' tools started by the small runner process (prove/tool-runner.ts through files.ts
// runTool): the same answers as a tool started here, its time limit, cancellation, and two tools at
// once each answered with its own output as it ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runTool } from '../../language-server/src/repair/prove/files';
import { disposeToolRunner } from '../../language-server/src/repair/prove/tool-runner';
import { ProverToolError } from '../../language-server/src/repair/prove/common';

test.after(() => disposeToolRunner());

const sh = (script: string, o: { timeoutMs?: number; signal?: AbortSignal; env?: NodeJS.ProcessEnv; cwd?: string } = {}) =>
  runTool('/bin/sh', ['-c', script], { timeoutMs: o.timeoutMs ?? 10_000, signal: o.signal, env: o.env, cwd: o.cwd, label: 'sh' });

test('runTool: exit code, stdout and stderr, the caller\'s env and folder', { skip: process.platform === 'win32' }, async () => {
  const r = await sh('echo out; echo err >&2; echo "$TREASURE_X"; pwd; exit 3', { env: { ...process.env, TREASURE_X: 'é x' }, cwd: '/tmp' });
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\né x\n/tmp\n');
  assert.equal(r.stderr, 'err\n');
});

test('runTool: two tools at once, each answered with its own output as it ends (a slow one holds up no other)', { skip: process.platform === 'win32' }, async () => {
  const done: string[] = [];
  const [slow, fast] = await Promise.all([sh('sleep 1; echo slow').then((r) => (done.push('slow'), r)), sh('echo fast').then((r) => (done.push('fast'), r))]);
  assert.equal(slow.stdout, 'slow\n');
  assert.equal(fast.stdout, 'fast\n');
  assert.deepEqual(done, ['fast', 'slow']);
});

test('runTool: a tool past its limit is stopped (an error), a cancelled one rejects at once; the runner goes on', { skip: process.platform === 'win32' }, async () => {
  const t0 = performance.now();
  await assert.rejects(sh('sleep 5', { timeoutMs: 200 }), (e) => e instanceof ProverToolError && /took longer than 200 ms/.test(e.message));
  assert.ok(performance.now() - t0 < 3000);
  const ac = new AbortController();
  const run = sh('sleep 5', { signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(run, (e: Error) => e.name === 'AbortError');
  assert.ok(performance.now() - t0 < 4000);
  assert.equal((await sh('echo again')).stdout, 'again\n');
  await assert.rejects(runTool('/nonexistent/tool', [], { timeoutMs: 1000, label: 'missing' }), (e) => e instanceof ProverToolError && /could not run/.test(e.message));
});
