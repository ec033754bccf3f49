// The full attack campaign on the language server (issue 24): prints its figures. The standing suite
// (test/server/attack/attack.test.ts) asserts the same invariants on a smaller sample.
//
//   npx tsx bench/attack.ts [--messages 10000] [--races 200] [--texts 20] [--soak 10000] [--soak-warmup 10000] [--cancels 20] [--seed 24] [--only=fuzz,races,cancel,soak,huge]
//
// Needs the build (dist/server.js) and the shipped model. The fuzz and the soak run on the tiny test
// model (their fixes are cheap); the races and cancellation on the shipped one (they need real edits).
// --texts: the races cycle through this many distinct documents: the first of each is computed by the
// model, the later ones come from the engine's fix memo (the fast path, where a fix is ready before the
// change behind it is read).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_DOCUMENT_CHARS } from '../language-server/src/bounds';
import type { LspClient } from '../test/server/lsp-client';
import { SHIPPED_MODEL, TINY_MODEL, codeActions, fuzz, open, race, root, rssMB, startServer, type Action } from '../test/server/attack/lib';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const MESSAGES = arg('messages', 10_000);
const RACES = arg('races', 200);
const TEXTS = arg('texts', 20);
const SOAK = arg('soak', 10_000);
// the young generations of the server's V8 heaps grow with the allocation rate for the first few
// thousand requests of this workload and then stay (the soak prints each thread's size at both ends)
const SOAK_WARMUP = arg('soak-warmup', 10_000);
const CANCELS = arg('cancels', 20);
const SEED = arg('seed', 24);

const env = { TREASURE_LOOP_STATS: '1' };
interface QueueStats { run: number; coalesced: number; busy: number; preempted: number; cancelled: number; longest: Record<string, { waitMs: number; runMs: number }> }
interface Loop { maxBlockMs: number; p99Ms: number; longest: { wallMs: number; cpuMs: number; waitMs: number } | null; maxCpuBlockMs: number | null; rssMB: number; heapMB: number; queue: QueueStats }
const loop = (c: LspClient) => c.request<Loop>('treasure/loopStats', null);
/** The longest block and what it was: the server's thread running, or waiting for a CPU (schedstat). */
const block = (l: Loop | undefined) => (l ? `${l.maxBlockMs} ms${l.longest ? ` (the longest tick gap ${l.longest.wallMs} ms: ${l.longest.cpuMs} ms running, ${l.longest.waitMs} ms waiting for a CPU; the most the server's thread ran between two ticks: ${l.maxCpuBlockMs} ms)` : ''}` : '?');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const r0 = (x: number) => Math.round(x);
const line = (s: string) => console.log(s);

async function fuzzSection(): Promise<void> {
  // the tiny model for every request, those without a document (generate) too: initializationOptions
  const { client, settings } = await startServer({ trusted: true, settings: { model: { path: TINY_MODEL } }, initSettings: { model: { path: TINY_MODEL } }, env });
  await loop(client);
  const t0 = performance.now();
  const r = await fuzz(client, SEED, MESSAGES, { maxWait: 60_000 });
  const secs = (performance.now() - t0) / 1000;
  const l = client.exited === null ? await loop(client) : undefined;
  const q = l?.queue;
  line(`fuzz: ${r.messages} messages (${r.requests} requests, seed ${SEED}) in ${secs.toFixed(1)} s: server ${r.alive ? 'alive' : `DIED (${client.exited})`}, ${r.unanswered} unanswered, ${r.over2s} replies over 2 s, slowest ${r0(r.slowest.ms)} ms (${r.slowest.kind}); longest event-loop block ${block(l)}, p99 ${l?.p99Ms ?? '?'} ms`);
  if (q) line(`  model queue: ${q.run} jobs run, ${q.coalesced} joined an identical one, ${q.busy} answered busy, ${q.preempted} speculative fixes preempted, ${q.cancelled} cancelled before they started; longest wait/run by kind: ${Object.entries(q.longest).map(([k, v]) => `${k} ${v.waitMs}/${v.runMs} ms`).join(', ')}`);
  for (const s of r.slow.sort((a, b) => b.ms - a.ms).slice(0, 12)) line(`  slow: ${s.ms} ms, batch ${s.batch}: ${s.what}`);
  line(`  kinds: ${Object.entries(r.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  // a normal fix afterwards, with the shipped model (the tiny model's result must not be served)
  const uri = 'file:///after-fuzz/missing_colon.py';
  const text = readFileSync(join(root, 'test/fixtures/samples/missing_colon.py'), 'utf8');
  open(client, uri, text);
  const [action] = (await codeActions(client, uri, 3)).filter((a) => a.kind === 'quickfix.treasure');
  await client.request<Action>('codeAction/resolve', action);
  settings.model = { path: '' };
  client.notify('workspace/didChangeConfiguration', { settings: {} });
  const fixed = await client.request<Action>('codeAction/resolve', action);
  const edits = fixed.edit?.documentChanges[0]?.edits ?? [];
  line(`  a normal fix afterwards (shipped model, after the tiny one): ${edits.length && edits.every((e) => e.range.start.line === 3) && edits.some((e) => e.newText.includes(':')) ? 'correct (the colon added on line 4)' : `WRONG: ${JSON.stringify(edits)}`}`);
  await client.shutdown();
}

async function raceSection(): Promise<void> {
  const { client } = await startServer({ trusted: true, env });
  await loop(client);
  for (const kind of ['reopen', 'same-version', 'change'] as const) {
    let stale = 0;
    let fresh = 0;
    let wrong = 0;
    const t0 = performance.now();
    for (let i = 0; i < RACES; i++) {
      const r = await race(client, kind, i % TEXTS);
      if (r.stale) stale++;
      if (r.freshOk === true) fresh++;
      if (r.freshOk === false) wrong++;
    }
    line(`races, ${kind}: ${RACES} (${TEXTS} distinct documents) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${stale} stale edits; the fix after each race: ${fresh} right for the new text, ${wrong} wrong, ${RACES - fresh - wrong} no edit`);
  }
  const l = await loop(client);
  line(`  longest event-loop block during the races: ${block(l)}`);
  await client.shutdown();
}

async function cancelSection(): Promise<void> {
  const { client } = await startServer({ trusted: true, env });
  // the model's rewrites ("Fix this function" of code that parses): a syntax error's fix is computed
  // while the actions are listed, and its resolve joins that run (model-queue.ts) instead of a fresh one
  const actionFor = async (name: string, body: string) => {
    open(client, `file:///cancel/${name}.py`, body);
    return (await codeActions(client, `file:///cancel/${name}.py`, 0)).find((a) => a.kind === 'refactor.rewrite.treasure')!;
  };
  await client.request('codeAction/resolve', await actionFor('warm', 'def warm(a):\n    return a\n'));
  const running: number[] = [];
  const queued: number[] = [];
  let other = 0;
  for (let i = 0; i < CANCELS; i++) {
    const a1 = await actionFor(`one${i}`, `def one_${i}(a, b, c):\n    total = a + b + c\n    return total * ${i + 2} - a\n`);
    const a2 = await actionFor(`two${i}`, `def two_${i}(x, y):\n    z = x * y\n    return z + x - ${i}\n`);
    const p1 = client.call('codeAction/resolve', a1);
    const p2 = client.call('codeAction/resolve', a2);
    await new Promise((r) => setTimeout(r, 30));
    let t = performance.now();
    client.cancel(p2.id);
    const q = await p2;
    if (q.error?.code === -32800) queued.push(performance.now() - t);
    else other++;
    t = performance.now();
    client.cancel(p1.id);
    const r = await p1;
    if (r.error?.code === -32800) running.push(performance.now() - t);
    else other++;
  }
  line(`cancellation: ${CANCELS} running and ${CANCELS} queued fixes cancelled 30 ms after they were sent: -32800 within p50/max ${r0(pct(running, 50))}/${r0(Math.max(...running))} ms (running, ${running.length}) and ${r0(pct(queued, 50))}/${r0(Math.max(...queued))} ms (queued, ${queued.length}); ${other} finished before the cancel arrived`);
  await client.shutdown();
}

async function soakSection(): Promise<void> {
  // --expose-gc: the memory probe (loopStats { memory: true }) collects every thread's garbage before
  // it reads the live heaps, so that a leak (live memory that grows) is told from garbage not yet collected
  const { client } = await startServer({ trusted: true, settings: { model: { path: TINY_MODEL } }, env, nodeArgs: ['--expose-gc'] });
  const pid = client.proc.pid!;
  type Mem = { heapMB: number; youngMB: number };
  const probe = async () => {
    const raw = rssMB(pid);
    const l = await client.request<Loop & { threads: { main: Mem; analysis: Mem | null; models: (Mem | null)[] } }>('treasure/loopStats', { memory: true });
    const threads = [['main', l.threads.main], ['analysis', l.threads.analysis], ...l.threads.models.map((m, i) => [`model ${i + 1}`, m] as const)] as const;
    return { raw, collected: l.rssMB, loop: l, threads: threads.filter(([, m]) => m).map(([n, m]) => `${n} ${m!.heapMB}/${m!.youngMB}`).join(', ') };
  };
  const uri = 'file:///soak/a.py';
  let text = readFileSync(join(root, 'test/fixtures/samples/below_zero.py'), 'utf8');
  open(client, uri, text);
  let version = 1;
  const total = SOAK_WARMUP + SOAK;
  const samples: number[] = [];
  const latencies: number[] = [];
  let atWarmup: Awaited<ReturnType<typeof probe>> | undefined;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const k = i % 10;
    const s = performance.now();
    if (k < 5) await codeActions(client, uri, i % 14);
    else if (k < 7) await client.request('treasure/markersAt', { textDocument: { uri }, position: { line: i % 14, character: 0 } });
    else if (k === 7) {
      // an edit (and back) so that analyses and caches turn over
      text = i % 20 === 7 ? text + `# ${i}\n` : text.replace(/# \d+\n$/, '');
      client.notify('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text }] });
      await client.request('treasure/status', null);
    } else if (k === 8) {
      const u = `file:///soak/open-${i % 50}.py`;
      open(client, u, `def f_${i % 50}(x)\n    return x\n`); // the same 50 documents over and over: a steady state
      const [a] = await codeActions(client, u, 0);
      if (a && i % 100 === 8) await client.request('codeAction/resolve', a);
      client.notify('textDocument/didClose', { textDocument: { uri: u } });
    } else await client.request('treasure/status', null);
    if (i >= SOAK_WARMUP) latencies.push(performance.now() - s);
    if (i + 1 === SOAK_WARMUP) atWarmup = await probe();
    if ((i + 1) % Math.max(1, Math.floor(total / 20)) === 0) samples.push(rssMB(pid));
  }
  const end = await probe();
  const l = end.loop; // since the warm-up's probe: the measured part
  const pctOf = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
  line(`soak: ${SOAK} requests after a ${SOAK_WARMUP}-request warm-up, in ${((performance.now() - t0) / 1000).toFixed(1)} s (p50/p99/max ${r0(pct(latencies, 50))}/${r0(pct(latencies, 99))}/${r0(Math.max(...latencies))} ms): RSS at the end of the warm-up ${atWarmup!.raw.toFixed(0)} MB, at the end ${end.raw.toFixed(0)} MB (${pctOf(atWarmup!.raw, end.raw)}); after a full GC in every thread ${atWarmup!.collected} -> ${end.collected} MB (${pctOf(atWarmup!.collected, end.collected)}); longest event-loop block ${block(l)}`);
  line(`  live heap/young generation MB by thread, end of warm-up: ${atWarmup!.threads}; at the end: ${end.threads}`);
  line(`  RSS every ${Math.floor(total / 20)} requests (warm-up included): ${samples.map((x) => x.toFixed(0)).join(', ')} MB`);
  await client.shutdown();
}

async function hugeSection(): Promise<void> {
  const { client } = await startServer({ trusted: true, env });
  const pid = client.proc.pid!;
  await loop(client);
  const uri = 'file:///huge/big.py';
  const unit = readFileSync(join(root, 'test/fixtures/samples/below_zero.py'), 'utf8');
  const big = unit.repeat(Math.ceil(5 * 2 ** 20 / unit.length));
  const lines = big.split('\n').length;
  open(client, uri, big);
  const times: number[] = [];
  for (let k = 0; k < 10; k++) {
    const s = performance.now();
    await codeActions(client, uri, (k * 997) % lines);
    times.push(performance.now() - s);
    client.notify('textDocument/didChange', { textDocument: { uri, version: k + 2 }, contentChanges: [{ range: { start: { line: k, character: 0 }, end: { line: k, character: 0 } }, text: 'x' }] });
  }
  const rss = rssMB(pid);
  const l = await loop(client);
  const typing = times.slice(1);
  line(`huge: a ${(big.length / 2 ** 20).toFixed(1)} MB document, 10 keystrokes with a codeAction each: slowest codeAction while typing ${r0(Math.max(...typing))} ms (p50 ${r0(pct(typing, 50))} ms); the first, behind the 5 MB didOpen, ${r0(times[0]!)} ms; server RSS ${rss.toFixed(0)} MB; longest event-loop block ${block(l)} (reading the 5 MB didOpen)`);
  client.notify('textDocument/didClose', { textDocument: { uri } });
  // the largest document still served: its parse is the longest block a code action makes
  const atCap = unit.repeat(Math.floor(MAX_DOCUMENT_CHARS / unit.length));
  open(client, 'file:///huge/at-cap.py', atCap);
  const capTimes: number[] = [];
  for (let k = 0; k < 5; k++) {
    const s = performance.now();
    await codeActions(client, 'file:///huge/at-cap.py', 12);
    capTimes.push(performance.now() - s);
    client.notify('textDocument/didChange', { textDocument: { uri: 'file:///huge/at-cap.py', version: k + 2 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '#' }] });
  }
  const lc = await loop(client);
  line(`  a ${atCap.length.toLocaleString('en-US')}-character document (the largest served), 5 edits with a codeAction each: slowest ${r0(Math.max(...capTimes))} ms (p50 ${r0(pct(capTimes, 50))} ms); longest event-loop block ${block(lc)}; RSS ${rssMB(pid).toFixed(0)} MB`);
  client.notify('textDocument/didClose', { textDocument: { uri: 'file:///huge/at-cap.py' } });
  const one = `x = (${'1 + '.repeat(2 ** 18)}1`; // a 1 MB single line
  open(client, 'file:///huge/line.py', one);
  let s = performance.now();
  const actions = await codeActions(client, 'file:///huge/line.py', 0);
  const offered = performance.now() - s;
  s = performance.now();
  for (const a of actions.filter((x) => x.kind === 'quickfix.treasure')) await client.request('codeAction/resolve', a);
  const l2 = await loop(client);
  line(`  a ${(one.length / 2 ** 20).toFixed(1)} MB single line: codeAction ${r0(offered)} ms (${actions.length} actions), resolve ${r0(performance.now() - s)} ms; longest event-loop block ${block(l2)}`);
  await client.shutdown();
}

void (async () => {
  line(`bench/attack.ts: --messages ${MESSAGES} --races ${RACES} --texts ${TEXTS} --soak ${SOAK} --soak-warmup ${SOAK_WARMUP} --cancels ${CANCELS} --seed ${SEED} (node ${process.version}, model ${SHIPPED_MODEL.replace(root + '/', '')})`);
  const only = (process.argv.find((a) => a.startsWith('--only=')) ?? '').slice(7).split(',').filter(Boolean);
  const sections: [string, () => Promise<void>][] = [['fuzz', fuzzSection], ['races', raceSection], ['cancel', cancelSection], ['soak', soakSection], ['huge', hugeSection]];
  for (const [name, run] of sections) if (only.length === 0 || only.includes(name)) await run();
})();
