// The model queue's invariants (language-server/src/model-queue.ts): order, bounded waits, coalescing,
// preemption of speculative work, cancellation. Jobs here are promises the test settles by hand: no
// timing is asserted, only what ran, in which order, and what each caller was answered.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DecodeAbortedError } from '../../../language-server/src/decode';
import { BusyError, ModelQueue } from '../../../language-server/src/model-queue';

/** A job the test finishes: it records when it starts and whether its signal was aborted. */
function gate(log: string[], name: string) {
  let finish!: (v: string) => void;
  let signal: AbortSignal | undefined;
  const fn = (s: AbortSignal) => {
    log.push(`start ${name}`);
    signal = s;
    return new Promise<string>((resolve, reject) => {
      finish = resolve;
      s.addEventListener('abort', () => reject(new DecodeAbortedError()), { once: true });
    });
  };
  return { fn, done: (v = name) => finish(v), aborted: () => signal?.aborted ?? false };
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const outcome = (p: Promise<unknown>) => p.then((v) => `value ${String(v)}`, (e: unknown) => (e instanceof BusyError ? 'busy' : e instanceof DecodeAbortedError ? 'aborted' : `error ${String(e)}`));

describe('the model queue', () => {
  test('one job at a time; what the user asked for goes before speculative fixes', async () => {
    const q = new ModelQueue({ interactiveWaitMs: 60_000, backgroundWaitMs: 60_000, maxPending: 10 });
    const log: string[] = [];
    const a = gate(log, 'a'), b = gate(log, 'b'), c = gate(log, 'c');
    const pa = q.run('fix', a.fn);
    const pb = q.run('fix', b.fn, { priority: 'background' });
    const pc = q.run('generate', c.fn);
    await tick();
    assert.deepEqual(log, ['start a']);
    a.done();
    await pa;
    await tick();
    assert.deepEqual(log, ['start a', 'start c'], 'the interactive job runs before the earlier background one');
    c.done();
    await pc;
    await tick();
    b.done();
    assert.equal(await pb, 'b');
    assert.deepEqual(log, ['start a', 'start c', 'start b']);
  });

  test('a job that cannot start within its budget is answered busy, and never runs', async () => {
    const q = new ModelQueue({ interactiveWaitMs: 20, backgroundWaitMs: 10, maxPending: 10 });
    const log: string[] = [];
    const a = gate(log, 'a'), b = gate(log, 'b'), c = gate(log, 'c');
    const pa = q.run('generate', a.fn, { maxWaitMs: 60_000 });
    const pb = outcome(q.run('fix', b.fn));
    const pc = outcome(q.run('fix', c.fn, { priority: 'background' }));
    assert.equal(await pb, 'busy');
    assert.equal(await pc, 'busy');
    a.done();
    await pa;
    await tick();
    assert.deepEqual(log, ['start a'], 'the refused jobs did not run later');
    assert.equal(q.counts.busy, 2);
    assert.match(await q.run('fix', async () => 'x', { maxWaitMs: 0 }).then(String), /x/, 'an idle queue starts a job at once');
  });

  test('a full queue refuses at once, with a message that says why', async () => {
    const q = new ModelQueue({ interactiveWaitMs: 60_000, backgroundWaitMs: 60_000, maxPending: 2 });
    const log: string[] = [];
    const a = gate(log, 'a'), b = gate(log, 'b'), c = gate(log, 'c');
    const pa = q.run('fix', a.fn);
    const pb = q.run('fix', b.fn);
    const pc = q.run('fix', c.fn);
    const refused = await q.run('generate', async () => 'never').catch((e: unknown) => e);
    assert.ok(refused instanceof BusyError);
    assert.match(refused.message, /busy: 2 model requests ahead of this generate and one running \(fix\)/);
    for (const [g, p] of [[a, pa], [b, pb], [c, pc]] as const) {
      await tick();
      g.done();
      await p;
    }
    assert.deepEqual(log, ['start a', 'start b', 'start c']);
  });

  test('identical jobs run once; the shared run stops only when every caller has left', async () => {
    const q = new ModelQueue({ interactiveWaitMs: 60_000, backgroundWaitMs: 60_000, maxPending: 10 });
    const log: string[] = [];
    const a = gate(log, 'a');
    const one = new AbortController();
    const two = new AbortController();
    const p1 = outcome(q.run('fix', a.fn, { key: 'k', signal: one.signal }));
    const p2 = outcome(q.run('fix', gate(log, 'a-again').fn, { key: 'k', signal: two.signal }));
    await tick();
    assert.deepEqual(log, ['start a']);
    one.abort();
    assert.equal(await p1, 'aborted', 'the caller that left is answered at once');
    assert.equal(a.aborted(), false, 'the other caller still wants it');
    a.done('fixed');
    assert.equal(await p2, 'value fixed');
    assert.equal(q.counts.coalesced, 1);
    // every caller gone: the shared run is stopped
    const b = gate(log, 'b');
    const three = new AbortController();
    const p3 = outcome(q.run('fix', b.fn, { key: 'k2', signal: three.signal }));
    await tick();
    three.abort();
    assert.equal(await p3, 'aborted');
    assert.equal(b.aborted(), true);
  });

  test('a speculative fix joined by the user\'s request is promoted: it runs first and is not preempted', async () => {
    const q = new ModelQueue({ interactiveWaitMs: 60_000, backgroundWaitMs: 60_000, maxPending: 10 });
    const log: string[] = [];
    const a = gate(log, 'a'), spec = gate(log, 'spec'), other = gate(log, 'other');
    const pa = q.run('generate', a.fn);
    const pSpec = q.run('fix', spec.fn, { priority: 'background', key: 'k' });
    const pOther = q.run('fix', other.fn, { priority: 'background' });
    const pChosen = q.run('fix', gate(log, 'dup').fn, { key: 'k' }); // the resolve of the listed action
    a.done();
    await pa;
    await tick();
    assert.deepEqual(log, ['start a', 'start spec']);
    spec.done('edit');
    assert.equal(await pChosen, 'edit');
    assert.equal(await pSpec, 'edit');
    await tick();
    other.done();
    await pOther;
    assert.equal(q.counts.run, 3);
  });

  test('a request from the user stops a running speculative fix (which is answered aborted)', async () => {
    const q = new ModelQueue({ interactiveWaitMs: 60_000, backgroundWaitMs: 60_000, maxPending: 10 });
    const log: string[] = [];
    const spec = gate(log, 'spec'), user = gate(log, 'user');
    const pSpec = outcome(q.run('fix', spec.fn, { priority: 'background' }));
    await tick();
    const pUser = q.run('generate', user.fn);
    assert.equal(spec.aborted(), true);
    assert.equal(await pSpec, 'aborted');
    await tick();
    assert.deepEqual(log, ['start spec', 'start user']);
    user.done();
    assert.equal(await pUser, 'user');
    assert.equal(q.counts.preempted, 1);
  });

  test('a waiting job cancelled by its only caller never starts', async () => {
    const q = new ModelQueue({ interactiveWaitMs: 60_000, backgroundWaitMs: 60_000, maxPending: 10 });
    const log: string[] = [];
    const a = gate(log, 'a'), b = gate(log, 'b');
    const pa = q.run('fix', a.fn);
    const ac = new AbortController();
    const pb = outcome(q.run('fix', b.fn, { signal: ac.signal }));
    ac.abort();
    assert.equal(await pb, 'aborted');
    a.done();
    await pa;
    await tick();
    assert.deepEqual(log, ['start a']);
    assert.equal(q.counts.cancelled, 1);
    assert.equal(q.waiting, 0);
  });
});
