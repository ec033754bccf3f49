// Restarting the language server after crashes (extension/restart.ts): bounded, then a clear message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from '../../extension/restart';

test('restarts up to the limit within the window, then stops with a message naming the way out', () => {
  const p = new RestartPolicy(3, 60_000);
  assert.deepEqual([0, 1000, 2000].map((t) => p.onCrash(t).restart), [true, true, true]);
  const d = p.onCrash(3000);
  assert.equal(d.restart, false);
  assert.equal(d.crashes, 4);
  assert.match(d.message!, /crashed 4 times in the last 1 minutes.*Treasure: Restart Server/);
});

test('crashes older than the window are forgotten; a deliberate restart starts over', () => {
  const p = new RestartPolicy(2, 60_000);
  p.onCrash(0);
  p.onCrash(30_000);
  assert.equal(p.onCrash(70_001).restart, true); // the crash at 0 left the window
  assert.equal(p.onCrash(70_002).restart, false);
  p.reset();
  assert.equal(p.onCrash(70_003).restart, true);
});
