// Time to a proven fix from a failing test, through the language server as an editor drives it: the
// e2e sample (test/e2e/workspace/tests: bank.py's below_zero, test_back_to_zero_is_not_below fails),
// copied to a temp folder; the real server (dist/, `npm run build` first) over stdio, trusted; the code
// action on the test, then codeAction/resolve, timed from the request to its answer. The first resolve
// loads the model and starts a pytest worker; the next N are warm. Prints each time, p50/p95 and the
// load average (this VM's 2 cores are shared: every time is an upper bound). --language javascript: the
// same with node --test (test/fixtures/workspaces/js-clamp: clamp's upper bound returns lo, the test
// 'above the bound' fails).
//   npx tsx bench/fix-test-lsp.ts [--runs N] [--no-plugins] [--language python|javascript]
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { repoRoot } from '../language-server/src/paths';
import { LspClient } from '../test/server/lsp-client';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'no-plugins': { type: 'boolean', default: false }, language: { type: 'string', default: 'python' } } });
const SAMPLES = {
  python: { from: 'test/e2e/workspace/tests', testFile: 'test_bank.py', test: 'def test_back_to_zero_is_not_below', line: 1, column: 4 },
  javascript: { from: 'test/fixtures/workspaces/js-clamp', testFile: 'test/clamp.test.js', test: "test.it('above the bound'", line: 0, column: 4 },
} as const;
const languageId = values.language as keyof typeof SAMPLES;
const sample = SAMPLES[languageId];
if (!sample) throw new Error(`--language: python or javascript, not ${values.language}`);
const root = repoRoot();
const ws = mkdtempSync(join(tmpdir(), 'treasure-bench-fixtest-'));
cpSync(join(root, sample.from), ws, { recursive: true });
const env = { ...process.env, ...(values['no-plugins'] ? { PYTEST_DISABLE_PLUGIN_AUTOLOAD: '1' } : {}) };
const c = new LspClient(process.execPath, [join(root, 'bin/treasure-language-server'), '--stdio'], env);
const uri = pathToFileURL(join(ws, sample.testFile)).href;
const text = readFileSync(join(ws, sample.testFile), 'utf8');
// the cursor: in the failing test's body (python) or on its line (node:test)
const line = text.split('\n').findIndex((l) => l.includes(sample.test)) + sample.line;

interface Action { title: string; kind: string; edit?: unknown }

async function main(): Promise<void> {
  await c.request('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(ws).href,
    initializationOptions: { trusted: true },
    capabilities: { window: { workDoneProgress: true }, textDocument: { codeAction: { resolveSupport: { properties: ['edit'] } } } },
  });
  c.notify('initialized', {});
  c.notify('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  const times: number[] = [];
  const runs = Number(values.runs);
  for (let i = 0; i <= runs; i++) {
    const actions = await c.request<Action[]>('textDocument/codeAction', { textDocument: { uri }, range: { start: { line, character: sample.column }, end: { line, character: sample.column } }, context: { diagnostics: [] } });
    const a = actions.find((x) => x.kind === 'quickfix.treasure.test');
    if (!a) throw new Error(`no test action at line ${line + 1} of ${sample.testFile}: ${JSON.stringify(actions.map((x) => x.title))}`);
    delete a.edit; // a listing after the first one carries the found edit: resolve it again, as a new search
    const t0 = performance.now();
    const r = await c.request<Action>('codeAction/resolve', a);
    const ms = Math.round(performance.now() - t0);
    if (!r.edit) throw new Error(`no proven fix: ${c.notifications.filter((n) => n.method === 'window/showMessage').map((n) => (n.params as { message: string }).message).join(' | ')}`);
    console.log(`${i === 0 ? 'cold' : `warm ${i}`}: ${ms} ms  ${r.title}`);
    if (i > 0) times.push(ms);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  console.log(`warm resolves (${languageId}): p50 ${q(0.5)} ms, p95 ${q(0.95)} ms over ${times.length}; ${languageId === 'python' ? `pytest plugins ${values['no-plugins'] ? 'off' : 'as installed'}` : 'node --test'}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    await c.shutdown();
    rmSync(ws, { recursive: true, force: true });
  });
