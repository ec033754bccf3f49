// A test run must not outlive the language server that started it. Killed hard (SIGKILL, a crash),
// the server cannot kill its runs' process groups; a test stuck in a loop then ran on for ever,
// orphaned (one was found at 100% CPU 16 minutes after its parent died). The pytest plugin watches
// TREASURE_PARENT_PID (repair/tests/env.ts testEnv) and exits when that process is gone.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { testEnv } from '../../language-server/src/repair/tests/env';
import { PLUGIN_MODULE, pluginDir } from '../../language-server/src/repair/tests/pytest-plugin';

const hasPytest = spawnSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0;

test('every run gets this process as the parent it watches', () => {
  assert.equal(testEnv().TREASURE_PARENT_PID, String(process.pid));
});

test('a pytest run whose parent dies exits instead of looping on', { skip: hasPytest ? false : 'pytest is not installed (scripts/install-repair-test-tools.sh)' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-orphan-'));
  try {
    writeFileSync(join(dir, 'test_loop.py'), 'def test_forever():\n    while True:\n        pass\n');
    // the "server": a process that dies on its own a moment after the run starts
    const parent = spawn('sleep', ['1'], { stdio: 'ignore' });
    const env = testEnv({ PYTHONPATH: pluginDir(), TREASURE_REPORT: join(dir, 'report.jsonl'), TREASURE_PARENT_PID: String(parent.pid) });
    const run = spawn('python3', ['-m', 'pytest', '-p', PLUGIN_MODULE, '-q', 'test_loop.py'], { cwd: dir, env, stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => run.on('exit', (code) => res(code)));
    // a generous bound: the watch looks every 0.5 s; without it the loop never ends
    const guard = setTimeout(() => run.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(guard);
    assert.equal(code, 70, 'the run exits by itself (70) once its parent is gone, not killed by the guard');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
