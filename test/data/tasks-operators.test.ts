// Every bug operator on real snippets (test/fixtures/tasks, 13 languages): the mutant parses
// (syntax_error: it does not, and carries a message), differs from the original, and the CodeFix
// example's answer is the original function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { getParser, grammarName, hasError, plainTree } from '../../models/data/tasks/parsers';
import { analyze, findFunctions } from '../../models/data/tasks/functions';
import { mutate, prepare, OPERATORS, applyEdits } from '../../models/data/tasks/mutate';
import { makeFix } from '../../models/data/tasks/fix';
import { loadSettings } from '../../models/data/tasks/settings';
import { Rng } from '../../models/data/tasks/rng';
import { EXT } from '../../models/data/tasks/devcorpus';
import { enumValues } from '../../models/data/tasks/taxonomy';
import type { MutCtx } from '../../models/data/tasks/nodes';
import type { PNode } from '../../models/data/tasks/parsers';

const FIX = join(__dirname, '..', 'fixtures', 'tasks');
const ERROR_TYPES = Object.keys(OPERATORS);
const EVAL_LANGUAGES = ['python', 'javascript', 'java', 'go', 'cpp', 'rust'];

test('the operators cover exactly the error_type values of markers.json (but none: the no-fix examples, made by no operator)', () => {
  assert.deepEqual([...ERROR_TYPES].sort(), [...enumValues('error_type')].filter((v) => v !== 'none').sort());
});

test('every operator on real snippets: mutant parses (or, syntax, does not), differs; the fix restores the original', async () => {
  const works: Record<string, Set<string>> = {};
  for (const name of readdirSync(FIX).sort()) {
    const codeType = EXT[extname(name)];
    if (!codeType) continue;
    const grammar = grammarName(codeType, name)!;
    const parser = await getParser(grammar);
    const text = readFileSync(join(FIX, name), 'utf8');
    const spans = findFunctions(parser, grammar, text);
    assert.ok(spans.length >= 3, `${name}: functions found`);
    for (const span of spans) {
      const fnText = text.slice(span.regionStart, span.end);
      const p = prepare(parser, grammar, span.nodeType, fnText, span.start - span.regionStart);
      if (!p) continue;
      for (const et of ERROR_TYPES) {
        const m = mutate(parser, p, et, new Rng(7, name, span.start, et), 40);
        if (!m) continue;
        assert.notEqual(m.code, fnText, `${name} ${et}: differs`);
        assert.notEqual(m.code.replace(/\s+/g, ''), fnText.replace(/\s+/g, ''), `${name} ${et}: differs beyond whitespace`);
        const again = prepare(parser, grammar, span.nodeType, m.code, span.start - span.regionStart);
        if (et === 'syntax_error') {
          assert.equal(again, null, `${name} ${m.op}: the syntax mutant must not parse cleanly\n${m.code}`);
          assert.ok(m.diagnostic && m.diagnostic.length > 3, `${name} ${m.op}: has a message`);
        } else {
          assert.ok(again, `${name} ${et} ${m.op}: the mutant parses\n${m.code}`);
          assert.equal(m.diagnostic, undefined);
        }
        (works[et] ??= new Set()).add(codeType);
      }
      // the CodeFix example: whole buggy function in, whole original function out
      const info = analyze(parser, text, span);
      if (!info) continue;
      for (const et of ERROR_TYPES) {
        const fx = makeFix(parser, info, new Rng(3, name, span.start, et), loadSettings(), et);
        if (!fx) continue;
        assert.equal(fx.errorType, et);
        assert.notEqual(fx.code, fx.answer);
        const bare: string = fx.answer.startsWith(info.commentText ?? '\u0000') ? fx.answer.slice(info.commentText!.length + 1) : fx.answer;
        if (info.docstring && !fx.withDoc) assert.ok(!bare.includes(text.slice(span.regionStart + info.docstring.start, span.regionStart + info.docstring.end)), 'docstring left out');
        else assert.equal(bare, fnText, `${name} ${et}: the answer is the original function`);
        assert.ok(text.includes(fx.answer) || info.docstring, `${name}: the answer is the file's text`);
      }
    }
  }
  for (const et of ERROR_TYPES) assert.ok((works[et]?.size ?? 0) >= 5, `${et} works in >= 5 languages (got ${[...(works[et] ?? [])]})`);
  for (const lang of EVAL_LANGUAGES) for (const et of ERROR_TYPES) assert.ok(works[et]?.has(lang), `${et} works for ${lang}`);
  for (const lang of ['typescript', 'c', 'csharp', 'php', 'ruby']) {
    const n = ERROR_TYPES.filter((et) => works[et]?.has(lang)).length;
    assert.ok(n >= 7, `${lang}: ${n} bug classes work`);
  }
});

async function candidates(grammar: string, src: string, et: string): Promise<string[]> {
  const parser = await getParser(grammar);
  const spans = findFunctions(parser, grammar, src);
  assert.ok(spans.length >= 1);
  const s = spans[0]!;
  const p = prepare(parser, grammar, s.nodeType, src.slice(s.regionStart, s.end), s.start - s.regionStart)!;
  const ctx: MutCtx = { grammar, src: p.src, fn: p.fn, body: p.body, protect: p.protect, rng: new Rng(1) };
  return OPERATORS[et]!(ctx).map((c) => applyEdits(p.src, c.edits).slice(p.offset).trim());
}

test('operators make the HumanEvalFix-like bugs they are meant to', async () => {
  const py = 'def f(xs, n):\n    total = 1\n    for i in range(n + 1):\n        if xs[i] < n and i != 0:\n            total += abs(xs[i])\n    return total\n';
  const has = (list: string[], needle: string) => assert.ok(list.some((x) => x.includes(needle)), `expected a candidate with ${JSON.stringify(needle)}:\n${list.join('\n---\n')}`);
  has(await candidates('python', py, 'value_misuse'), 'total = 0');
  has(await candidates('python', py, 'value_misuse'), 'range(n)');
  has(await candidates('python', py, 'wrong_comparison'), 'xs[i] <= n');
  has(await candidates('python', py, 'operator_misuse'), 'xs[i] < n or i != 0');
  has(await candidates('python', py, 'operator_misuse'), 'total -= abs');
  has(await candidates('python', py, 'missing_logic'), 'total += xs[i]');
  has(await candidates('python', py, 'missing_logic'), 'if xs[i] < n:');
  has(await candidates('python', py, 'excess_logic'), 'total += abs(xs[i])\n            total += abs(xs[i])');
  has(await candidates('python', py, 'variable_misuse'), 'return n');
  has(await candidates('python', py, 'swapped_arguments'), 'if n < xs[i]');
  has(await candidates('python', py, 'missing_return'), 'abs(xs[i])\n    total');
  has(await candidates('python', py, 'syntax_error'), 'range(n + 1:');
  const js = 'function g(s) {\n  const parts = s.split(",");\n  return Math.max(parts.length, 1) + s.toUpperCase().length;\n}\n';
  has(await candidates('javascript', js, 'function_misuse'), 'Math.min(');
  has(await candidates('javascript', js, 'function_misuse'), 'toLowerCase()');
  has(await candidates('javascript', js, 'swapped_arguments'), 'Math.max(1, parts.length)');
  has(await candidates('javascript', js, 'syntax_error'), 'Math.max(parts.length, 1 +');
  const go = 'func h(a []int) int {\n\tn := 0\n\tfor _, v := range a {\n\t\tif v >= 0 {\n\t\t\tn++\n\t\t}\n\t}\n\treturn n\n}\n';
  has(await candidates('go', go, 'wrong_comparison'), 'v > 0');
  has(await candidates('go', go, 'excess_logic'), 'n++\n\t\t\tn++');
});

test('syntax errors carry a parser-style or compiler-style message', async () => {
  const parser = await getParser('python');
  const src = 'def f(a):\n    if a > 1:\n        return g(a)\n    return 0\n';
  const p = prepare(parser, 'python', 'function_definition', src)!;
  const msgs = new Set<string>();
  for (let i = 0; i < 60; i++) {
    const m = mutate(parser, p, 'syntax_error', new Rng('s', i), 40);
    assert.ok(m && m.diagnostic);
    msgs.add(m.diagnostic);
    const tree = parser.parse(m.code)!;
    assert.ok(hasError(plainTree(tree)));
    tree.delete();
  }
  assert.ok([...msgs].some((m) => m.startsWith('Syntax error: ')), [...msgs].join(' | '));
  assert.ok([...msgs].some((m) => m === "expected ':'" || m === "'(' was never closed" || m === 'invalid syntax'), [...msgs].join(' | '));
});

test('plainTree copies what the tree-sitter API says of every node (ERROR and MISSING nodes included)', async () => {
  // plainTree reads named-ness from the type id and asks "missing?" only of zero-width nodes (speed):
  // compare every field with the Node API, on clean and broken code of several grammars
  const cases: [string, string][] = [
    ['python', 'def f(a):\n    if a > 1:\n        return g(a\n    return [x for x in a if x]\n'],
    ['javascript', 'function g(s) {\n  const p = s.split(",";\n  return {a: 1, b: [2, 3]};\n}\n'],
    ['c', 'int h(int a) {\n  int b = a + 1\n  return b;\n}\n#include "x.h" \n'],
    ['rust', 'fn k(v: &[i32]) -> i32 {\n    let n = v.len()\n    v.iter().sum::<i32>() + n as i32\n}\n'],
    ['go', 'func h(a []int) int {\n\tfor _, v := range a {\n\t\tif v >= 0 {\n\t\t\tn++\n\t}\n\treturn n\n}\n'],
  ];
  let missing = 0;
  let errors = 0;
  for (const [grammar, src] of cases) {
    const parser = await getParser(grammar);
    const tree = parser.parse(src)!;
    const copy = plainTree(tree);
    const check = (n: import('web-tree-sitter').Node, p: PNode, field: string | null) => {
      assert.deepEqual([p.type, p.named, p.start, p.end, p.field, p.missing, p.error], [n.type, n.isNamed, n.startIndex, n.endIndex, field, n.isMissing, n.type === 'ERROR' || n.isMissing], `${grammar} ${n.type} at ${n.startIndex}`);
      assert.equal(p.children.length, n.childCount);
      if (p.missing) missing++;
      if (p.type === 'ERROR') errors++;
      for (let i = 0; i < n.childCount; i++) check(n.child(i)!, p.children[i]!, n.fieldNameForChild(i));
    };
    check(tree.rootNode, copy, null);
    tree.delete();
  }
  assert.ok(missing > 0 && errors > 0, `the cases have MISSING (${missing}) and ERROR (${errors}) nodes`);
});
