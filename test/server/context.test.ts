import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze, chooseTarget, contextMarkers, diagnosticTarget, errorTypeFor, regionText } from '../../language-server/src/context';
import { markersAt } from '../../language-server/src/engine';
import { inferDomain, languageForPath, resolveLanguage } from '../../language-server/src/grammars';
import { loadableGrammars } from '../../language-server/src/parsing';
import { repoRoot } from '../../language-server/src/paths';

const samples = join(repoRoot(), 'test/fixtures/samples');
async function load(name: string) {
  const p = join(samples, name);
  return analyze(readFileSync(p, 'utf8'), languageForPath(p)!, p);
}

test('every grammar of the manifest loads (head and tail languages)', async () => {
  const ok = await loadableGrammars();
  for (const g of ['python', 'javascript', 'typescript', 'tsx', 'java', 'go', 'rust', 'c', 'cpp', 'ruby', 'php', 'shell', 'csharp', 'haskell']) {
    assert.ok(ok.includes(g), `${g} does not load`);
  }
});

test('language ids, code types and file extensions resolve', () => {
  assert.deepEqual(resolveLanguage('typescriptreact'), { languageId: 'typescriptreact', codeType: 'typescript', grammar: 'tsx' });
  assert.deepEqual(resolveLanguage('shellscript'), { languageId: 'shellscript', codeType: 'shell', grammar: 'shell' });
  assert.equal(resolveLanguage('shell')?.grammar, 'shell');
  assert.equal(resolveLanguage('lua')?.grammar, null);
  assert.equal(resolveLanguage('cobol'), null);
  assert.equal(languageForPath('x/y.rs')?.codeType, 'rust');
  assert.equal(languageForPath('a.hpp')?.codeType, 'cpp');
  assert.equal(languageForPath('README'), null);
});

test('python: a def without its colon -> the def and its body, syntax_error, concise', async () => {
  const a = await load('missing_colon.py');
  const t = chooseTarget(a, {})!;
  assert.equal(t.kind, 'syntax');
  assert.deepEqual(t.region, { startLine: 3, endLine: 5 });
  assert.match(regionText(a, t.region), /^def circle_area\(radius\)\n[\s\S]*return math\.pi \* radius \*\* 2$/);
  assert.deepEqual(contextMarkers(a, t, 'CodeFix'), { task: 'CodeFix', code_type: 'python', error_type: 'syntax_error', length_bucket: 'concise' });
});

test('python: a line with no error -> the enclosing function (HumanEvalFix case)', async () => {
  const a = await load('below_zero.py');
  assert.equal(a.issues.length, 0);
  const t = chooseTarget(a, { line: 12 })!;
  assert.equal(t.kind, 'function');
  assert.deepEqual(t.region, { startLine: 3, endLine: 14 });
  assert.equal(contextMarkers(a, t, 'CodeFix').length_bucket, 'medium');
  // no line: the file's only function
  assert.deepEqual(chooseTarget(a, {})!.region, t.region);
  // a line outside any function
  assert.equal(chooseTarget(a, { line: 0 }), null);
});

test('javascript, java, go, c, typescript: the syntax error\'s function is the region', async () => {
  const expect: Record<string, [number, number, RegExp]> = {
    'missing_paren.js': [2, 8, /^function total/],
    'Counter.java': [3, 11, /^ {4}public static int countPositive/],
    'fib.go': [4, 9, /^func fib/],
    'sum.c': [2, 8, /^int sum/],
    'app.mts': [2, 8, /^export function parsePort/],
  };
  for (const [file, [s, e, re]] of Object.entries(expect)) {
    const a = await load(file);
    const t = chooseTarget(a, {})!;
    assert.equal(t.kind, 'syntax', file);
    assert.deepEqual(t.region, { startLine: s, endLine: e }, file);
    assert.match(regionText(a, t.region), re, file);
  }
});

test('domain from imports in several languages, and from the path', async () => {
  assert.equal((await load('missing_paren.js')).domain, 'Web'); // express
  const py = await analyze('import numpy as np\nimport os\n\ndef f(x):\n    return np.sum(x)\n', resolveLanguage('python')!);
  assert.deepEqual(py.modules, ['numpy', 'os']);
  assert.equal(py.domain, 'Science');
  const go = await analyze('package main\nimport (\n\t"database/sql"\n\t"fmt"\n)\n', resolveLanguage('go')!);
  assert.equal(go.domain, 'Database');
  const rs = await analyze('use std::net::TcpStream;\nfn main() {}\n', resolveLanguage('rust')!);
  assert.equal(rs.domain, 'Networking');
  const java = await analyze('import org.junit.Test;\nclass T { @Test void t() {} }\n', resolveLanguage('java')!);
  assert.equal(java.domain, 'Testing');
  assert.equal(inferDomain([], '/home/me/proj/tests/test_parser.py'), 'Testing');
  assert.equal(inferDomain([], '/home/tests/proj/src/parser.py'), undefined);
  assert.equal((await load('below_zero.py')).domain, undefined); // typing says nothing
});

test('methods keep their indentation; nested and bound functions', async () => {
  const src = [
    'class Stack:',
    '    def push(self, x):',
    '        self.items.append(x)',
    '',
    '    def pop(self):',
    '        def helper():',
    '            return 1',
    '        return self.items.pop()',
  ].join('\n');
  const a = await analyze(src, resolveLanguage('python')!);
  const t = chooseTarget(a, { line: 6 })!;
  assert.deepEqual(t.region, { startLine: 4, endLine: 7 }); // the outermost function (pop), not helper
  assert.ok(regionText(a, t.region).startsWith('    def pop(self):'));
  const js = await analyze('const add = (a, b) => {\n  return a - b;\n};\n\n[1].map((x) => x + 1);\n', resolveLanguage('javascript')!);
  assert.deepEqual(chooseTarget(js, { line: 1 })!.region, { startLine: 0, endLine: 2 });
  assert.equal(chooseTarget(js, { line: 4 }), null); // an unbound callback is not a function to rewrite
});

test('diagnostics: region, prompt text and error_type', async () => {
  const a = await load('below_zero.py');
  const t = diagnosticTarget(a, { range: { start: { line: 12, character: 11 }, end: { line: 12, character: 23 } }, message: 'Comparison "balance == 0" is always false here', source: 'pyright' });
  assert.equal(t.diagnostic, 'pyright: Comparison "balance == 0" is always false here');
  assert.equal(t.errorType, 'wrong_comparison');
  assert.deepEqual(t.region, { startLine: 3, endLine: 14 });
  assert.equal(errorTypeFor('"x" is not defined'), 'variable_misuse');
  assert.equal(errorTypeFor("SyntaxError: expected ':'"), 'syntax_error');
  assert.equal(errorTypeFor('something else entirely'), undefined);
});

test('markersAt: settings and explicit markers over context, with sources', async () => {
  const text = readFileSync(join(samples, 'missing_paren.js'), 'utf8');
  const r = await markersAt({ text, languageId: 'javascript', line: 4, settings: { domain: 'Data', length_bucket: 'medium', bogus: 'x' }, markers: { length_bucket: 'long' } });
  assert.deepEqual(r.markers, { task: 'CodeFix', code_type: 'javascript', domain: 'Data', error_type: 'syntax_error', length_bucket: 'long' });
  assert.equal(r.sources.domain, 'settings');
  assert.equal(r.sources.length_bucket, 'explicit');
  assert.equal(r.sources.code_type, 'context');
  await assert.rejects(markersAt({ text, languageId: 'javascript', line: 400 }), /out of range/);
  await assert.rejects(markersAt({ text, languageId: 'cobol' }), /unsupported language/);
});
