// JavaScript: V8's own parser in one long-lived node child. A candidate is compiled (never run) as a
// CommonJS function body, the goal `node --check` uses for a .js file, and, when that fails on
// import/export/await, as an ES module (vm.SourceTextModule: parsed, never linked or evaluated).
// A document is accepted when one of the two goals accepts it; .mjs is only a module, .cjs only a script.
import {
  DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT_MS, checkSizes, parseAnswer, probe, inBatches, raceAbort, verdict,
  type Prover, type ProverOptions,
} from './common';
import type { ParseVerdict } from '../types';
import { LineWorker } from './worker';

// The arrow message V8 attaches to a SyntaxError ("file:LINE\nsource line\n    ^^^\n") gives the
// position; a module's SyntaxError carries it only in a private symbol (reached through
// --expose-internals), a script's also at the top of its stack.
const WORKER = String.raw`
const vm = require('vm');
let arrowSym;
try { arrowSym = require('internal/test/binding').internalBinding('util').privateSymbols.arrow_message_private_symbol; } catch {}
const CJS = ['exports', 'require', 'module', '__filename', '__dirname'];
function position(e) {
  const arrow = (arrowSym && typeof e[arrowSym] === 'string' && e[arrowSym]) || String(e.stack || '');
  const lines = arrow.split('\n');
  const m = /:(\d+)$/.exec(lines[0] || '');
  if (!m) return null;
  // V8 draws at most ~1020 columns of the caret line: past that the column is unknown (0, and said)
  const caret = lines.length >= 3 && /^[ \t]*\^/.test(lines[2]) ? lines[2].indexOf('^') : -1;
  return [Number(m[1]) - 1, caret];
}
function failure(e) {
  if (!(e instanceof SyntaxError)) return [[0, 0, String(e && e.message || e)]];
  const pos = position(e) || [0, -1];
  return [[pos[0], Math.max(0, pos[1]), 'SyntaxError: ' + e.message + (pos[1] < 0 ? ' (column not reported: a very long line)' : '')]];
}
function asScript(t) {
  try { vm.compileFunction(t, CJS, { filename: 'candidate.js' }); return []; } catch (e) { return failure(e); }
}
function asModule(t) {
  if (!vm.SourceTextModule) return null;
  try { new vm.SourceTextModule(t, { identifier: 'candidate.mjs' }); return []; } catch (e) { return failure(e); }
}
const MODULE_SYNTAX = /\bimport\b|\bexport\b|\bawait\b|outside a module|import\.meta/;
function check(t, goal) {
  // a hashbang line is only allowed at the start of a script or module, not of a function body
  if (t.startsWith('#!')) { const nl = t.search(/[\r\n]/); t = ' '.repeat(nl < 0 ? t.length : nl) + (nl < 0 ? '' : t.slice(nl)); }
  if (goal === 'module') return asModule(t) || asScript(t);
  const s = asScript(t);
  if (s.length === 0 || goal === 'script') return s;
  if (!MODULE_SYNTAX.test(s[0][2]) && !/^[ \t]*(import|export)\b/m.test(t)) return s;
  const m = asModule(t);
  return m || s;
}
const rl = require('readline').createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  const req = JSON.parse(line);
  process.stdout.write(JSON.stringify(req.texts.map((t) => check(t, req.goal))) + '\n');
});
rl.on('close', () => process.exit(0));
`;

export type JsGoal = 'auto' | 'script' | 'module';

export function goalOfPath(path?: string): JsGoal {
  if (!path) return 'auto';
  if (/\.mjs$/i.test(path)) return 'module';
  if (/\.cjs$/i.test(path)) return 'script';
  return 'auto';
}

export async function javascriptProver(opts: ProverOptions = {}): Promise<Prover | null> {
  const name = `node ${process.versions.node} V8 parser`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  // process.execPath is node itself, or an Electron binary that acts as node with ELECTRON_RUN_AS_NODE
  const worker = new LineWorker({
    label: name,
    command: process.execPath,
    args: ['--experimental-vm-modules', '--expose-internals', '--no-warnings', '-e', WORKER],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '' },
    startupMs: 5_000,
  });
  const prover = {
    name,
    kind: 'native',
    firstErrorOnly: true,
    precision: 'column',
    async parse(texts, o = {}) {
      checkSizes(texts, maxChars, name);
      const goal = goalOfPath(o.path);
      return inBatches(texts, o.signal, async (batch) => {
        const line = await raceAbort(worker.request(JSON.stringify({ goal, texts: batch }), timeoutMs), o.signal);
        const answer = parseAnswer<[number, number, string][][]>(line, name);
        return answer.map((errs): ParseVerdict =>
          verdict(errs.map(([l, c, message]) => ({ line: Math.max(0, l), column: Math.max(0, c), message }))));
      });
    },
    dispose: () => worker.dispose(),
    worker,
  } as Prover & { worker: LineWorker };
  return probe(prover, 'let x = (1;\n');
}
