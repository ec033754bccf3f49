// Marker serialization and the examples of real files: every marker list complete and valid
// against models/markers.json, the answer where the contract puts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { countLines, lengthBucket, markerList, markerProblems, parseMarkerList, renderExample, taxonomy } from '../../models/data/tasks/taxonomy';
import { processFile, type Example } from '../../models/data/tasks/examples';
import { loadSettings } from '../../models/data/tasks/settings';
import { EXT } from '../../models/data/tasks/devcorpus';
import * as shared from '../../language-server/src/markers';

const FIX = join(__dirname, '..', 'fixtures', 'tasks');

test('marker list serialization follows markers.json (order, tags, single spaces)', () => {
  assert.equal(markerList({ code_type: 'python', task: 'CodeFix' }), '<MARKER_LIST> <task> CodeFix </task> <code_type> python </code_type> </MARKER_LIST>');
  const m = { task: 'CodeGeneration', code_type: 'go', domain: 'Web', length_bucket: 'medium', length_lines: '12', quality_bucket: '2', source: 'Human' };
  const s = markerList(m);
  assert.equal(s, '<MARKER_LIST> <task> CodeGeneration </task> <code_type> go </code_type> <domain> Web </domain> <length_bucket> medium </length_bucket> <length_lines> 12 </length_lines> <quality_bucket> 2 </quality_bucket> <source> Human </source> </MARKER_LIST>');
  assert.deepEqual(parseMarkerList(s), m);
  assert.deepEqual(markerProblems(m), []);
  assert.ok(markerProblems({ task: 'Poetry' }).length === 1);
  assert.ok(markerProblems({ length_lines: '0' }).length === 1);
  assert.equal(lengthBucket(10), 'concise');
  assert.equal(lengthBucket(11), 'medium');
  assert.equal(lengthBucket(31), 'long');
});

test('the data build serializes markers exactly as the shared reader (language-server/src/markers.ts)', async () => {
  const all = await fixtureExamples(2);
  assert.ok(all.length > 20);
  for (const { ex } of all) {
    assert.equal(markerList(ex.markers), shared.serialize(ex.markers as shared.Markers));
    const back = shared.parseMarkerList(markerList(ex.markers));
    assert.deepEqual(back.errors, []);
    assert.deepEqual(back.markers, ex.markers);
  }
  for (let n = 1; n <= 40; n++) assert.equal(lengthBucket(n), shared.lengthBucket(n));
});

test('an example renders to the prompt/completion layout of docs/CONTRACTS.md', () => {
  const ex = { task: 'CodeFix', code: 'def f(:\n    pass', diagnostic: "expected ')'", answer: 'def f():\n    pass', markers: { task: 'CodeFix', code_type: 'python' } };
  const r = renderExample(ex, { code_type: 'python' });
  assert.equal(r.prompt, "<|prompt|>Fix the bug in this code.\nError: expected ')'\ndef f(:\n    pass\n<MARKER_LIST> <code_type> python </code_type> </MARKER_LIST>\n<|completion|>");
  assert.equal(r.completion, '<MARKER_LIST> <task> CodeFix </task> <code_type> python </code_type> </MARKER_LIST>\ndef f():\n    pass<|end|>');
});

async function fixtureExamples(seed: number): Promise<{ ex: Example; file: string; text: string; kind: string; op?: string }[]> {
  const out: { ex: Example; file: string; text: string; kind: string; op?: string }[] = [];
  const s = loadSettings();
  for (const name of readdirSync(FIX).sort()) {
    const codeType = EXT[extname(name)];
    if (!codeType) continue;
    const text = readFileSync(join(FIX, name), 'utf8');
    const { examples, meta } = await processFile({ text, code_type: codeType, package: 'fixtures', path: name, domain: 'Text', quality_bucket: 2 }, 'train', seed, s);
    examples.forEach((ex, i) => out.push({ ex, file: name, text, kind: meta[i]!.kind, op: meta[i]!.op }));
  }
  return out;
}

test('examples of real files: complete, valid marker lists and answers where the contract puts them', async () => {
  const all = await fixtureExamples(11);
  const required = ['task', 'code_type', 'domain', 'length_bucket', 'length_lines', 'quality_bucket', 'source'];
  const seen = new Set<string>();
  const s = loadSettings();
  let nofix = 0;
  for (const { ex, file, text, kind } of all) {
    seen.add(ex.task);
    assert.deepEqual(markerProblems(ex.markers), [], file);
    for (const k of required) assert.ok(ex.markers[k] !== undefined, `${file} ${ex.task}: marker ${k}`);
    assert.equal(ex.markers.length_tokens, undefined, 'length_tokens is the trainer\'s');
    assert.equal(ex.markers.task, ex.task);
    assert.equal(ex.markers.error_type !== undefined, ex.task === 'CodeFix');
    assert.equal(Number(ex.markers.length_lines), countLines(ex.answer));
    assert.equal(ex.markers.length_bucket, lengthBucket(countLines(ex.answer)));
    assert.equal(ex.markers.source, ex.task === 'CodeFix' ? 'Synthetic' : 'Human');
    assert.ok(ex.code.length + ex.answer.length <= s.maxExampleChars);
    assert.equal(ex.split, 'train');
    assert.deepEqual(Object.keys(ex).filter((k) => !['task', 'code', 'diagnostic', 'answer', 'markers', 'package', 'split'].includes(k)), []);
    if (ex.task === 'CodeFix') {
      // a "nothing to fix" example (error_type none) answers with the code unchanged; every other one changes it
      if (ex.markers.error_type === 'none') assert.equal(ex.code, ex.answer, `${file}: no-fix answer unchanged`);
      else assert.notEqual(ex.code, ex.answer);
      if (ex.markers.error_type === 'none') nofix++;
      assert.equal(ex.diagnostic !== undefined, ex.markers.error_type === 'syntax_error');
      // whole function out: the original text of the file (python docstrings may be left out of both)
      if (!text.includes(ex.answer)) assert.equal(ex.markers.code_type, 'python', `${file}: ${ex.answer}`);
    } else if (kind === 'doc_to_function') {
      // the request is a comment ending the prompt; the answer is the whole function as in the file
      const t = text.replace(/\r\n?/g, '\n');
      const last = ex.code.split('\n').at(-1)!.trim();
      assert.ok(/^(#|\/\/|\/\*|\*|--|;)/.test(last), `${file}: the prompt ends in a comment: ${last}`);
      assert.ok(/^\s*[@\w]/.test(ex.answer) && !/^\s*(#|\/\/|\/\*)/.test(ex.answer), `${file}: the answer starts with the function, not a comment: ${ex.answer.split('\n')[0]}`);
      assert.ok(t.includes(ex.answer), `${file}: the function is the file's text`);
      if (!(ex.markers.code_type === 'python' && !t.includes(ex.code + '\n' + ex.answer))) assert.ok(t.includes(ex.code + '\n' + ex.answer), `${file}: comment + function is the file's text`);
    } else if (ex.task === 'CodeGeneration') {
      assert.ok(text.replace(/\r\n?/g, '\n').includes(ex.code + '\n' + ex.answer), `${file} ${kind}: code + answer is the file's text`);
    } else {
      assert.ok(ex.answer.length >= 20 && !ex.answer.includes('"""') && !ex.answer.startsWith('/*') && !ex.answer.startsWith('//'), `${file}: doc text ${ex.answer}`);
      assert.ok(!ex.code.includes(ex.answer.split('\n')[0]!), `${file}: the doc is not in the prompt`);
    }
  }
  assert.deepEqual([...seen].sort(), ['CodeExplanation', 'CodeFix', 'CodeGeneration']);
  const fixLangs = new Set(all.filter((x) => x.ex.task === 'CodeFix').map((x) => x.ex.markers.code_type));
  for (const l of ['python', 'javascript', 'typescript', 'java', 'go', 'rust', 'c', 'cpp', 'csharp', 'php', 'ruby']) assert.ok(fixLangs.has(l), `CodeFix for ${l}`);
  assert.ok(all.some((x) => x.kind === 'doc_to_body' && x.ex.markers.code_type === 'python'));
  assert.ok(all.some((x) => x.kind === 'doc_to_body' && x.ex.markers.code_type === 'go'));
  assert.ok(all.some((x) => x.kind === 'doc_to_function' && x.ex.markers.code_type === 'python'));
  assert.ok(all.some((x) => x.kind === 'doc_to_function' && x.ex.markers.code_type !== 'python'));
  assert.ok(taxonomy().order.includes('error_type'));
  // noFixShare of the fixed functions also give their unchanged twin
  const fixes = all.filter((x) => x.ex.task === 'CodeFix').length - nofix;
  assert.ok(nofix > 0 && nofix < fixes, `no-fix examples ${nofix} of ${fixes} fixes`);
});

test('the examples of a file are a function of the seed', async () => {
  const a = JSON.stringify(await fixtureExamples(5));
  const b = JSON.stringify(await fixtureExamples(5));
  const c = JSON.stringify(await fixtureExamples(6));
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test("a file its grammar cannot read is not in its label's language: no examples from it", async () => {
  const s = loadSettings();
  // capstone's assembler test vectors are named *.s.cs and were labelled C#
  const vectors = ['# CS_ARCH_ARM, CS_MODE_THUMB, None', ...Array.from({ length: 40 }, (_, i) => `0x${(i + 16).toString(16)},0x42 = cmp r${i % 8}, r2`)].join('\n') + '\n';
  const asm = await processFile({ text: vectors, code_type: 'csharp', package: 'capstone', path: 'suite/MC/ARM/thumb.s.cs' }, 'train', 1, s);
  assert.equal(asm.notLanguage, true);
  assert.equal(asm.examples.length, 0);
  // the real C# fixture is read and keeps its examples
  const name = readdirSync(FIX).find((f) => f.endsWith('.cs'))!;
  const cs = await processFile({ text: readFileSync(join(FIX, name), 'utf8'), code_type: 'csharp', package: 'fixtures', path: name }, 'train', 1, s);
  assert.notEqual(cs.notLanguage, true);
  assert.ok(cs.examples.length > 0, `${name} gives examples`);
});
