// JavaScript: console.assert made to throw (it never does in Node), js-md5 as a tiny local module.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProc } from '../proc.js';
import { runOutcome } from './outcome.js';
import type { LangRunner } from './types.js';

/** Makes console.assert throw, and the process fail if any assertion failed even when the throw was caught. */
export const JS_ASSERT_SHIM = `'use strict';
let __treasureFailed = 0;
console.assert = function (cond, ...msg) {
  if (cond) return;
  __treasureFailed++;
  const e = new Error('console.assert failed' + (msg.length ? ': ' + msg.map(String).join(' ') : ''));
  e.name = 'TreasureAssertionError';
  throw e;
};
process.on('exit', () => {
  if (__treasureFailed > 0) { process.stderr.write('TreasureAssertionError: ' + __treasureFailed + ' console.assert failed\\n'); process.exitCode = 1; }
});
`;
const JS_MD5_MODULE = `module.exports = (s) => require('node:crypto').createHash('md5').update(String(s)).digest('hex');\n`;

export const runJs: LangRunner = async (prog, dir, limits) => {
  writeFileSync(join(dir, 'assert-shim.cjs'), JS_ASSERT_SHIM);
  mkdirSync(join(dir, 'node_modules', 'js-md5'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'js-md5', 'index.js'), JS_MD5_MODULE);
  writeFileSync(join(dir, 'prog.cjs'), prog.code + '\n' + prog.test + '\n');
  const r = await runProc(process.execPath, ['--require', './assert-shim.cjs', 'prog.cjs'], { cwd: dir, timeoutMs: limits.runTimeoutMs });
  return runOutcome(r,
    (o) => /TreasureAssertionError|AssertionError/.test(o),
    (o) => /^SyntaxError\b/m.test(o) && /prog\.cjs:\d+/.test(o) && !/\n\s+at .*prog\.cjs/.test(o));
};
