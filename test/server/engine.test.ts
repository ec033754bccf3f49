// The engine's whole fix path (context -> prompt -> constrained decoding -> repair -> check) on a
// deterministic stand-in for the model; the real model is exercised by the CLI and LSP tests.
// The function rewrites ask for minConfidence 0 (every unverified guess): the default holds them back
// (repair/confidence.ts; confidence.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Engine, InputError, nearErrorFirst, parseablePrefix } from '../../language-server/src/engine';
import { resolveLanguage } from '../../language-server/src/grammars';
import { serialize } from '../../language-server/src/markers';
import { repoRoot } from '../../language-server/src/paths';
import { applyTextEdits } from '../../language-server/src/repair/text';
import { completionStart, ScriptedLogits, tinyTokenizer } from './helpers';

const tok = tinyTokenizer();
const sample = (f: string) => readFileSync(join(repoRoot(), 'test/fixtures/samples', f), 'utf8');

async function engineWriting(completion: string): Promise<Engine> {
  return Engine.load({ logits: new ScriptedLogits(tok, completion), tokenizer: tok });
}

test('fix this function: missing colon -> one-character edit, markers given and inferred', async () => {
  const text = sample('missing_colon.py');
  const fixedFn = 'def circle_area(radius):\n    """Area of a circle of the given radius."""\n    return math.pi * radius ** 2';
  const engine = await engineWriting(serialize({ task: 'CodeFix', code_type: 'python', domain: 'Science', error_type: 'syntax_error', length_bucket: 'concise', length_lines: '3' }) + '\n' + fixedFn + '<|end|>');
  const r = await engine.fix({ text, languageId: 'python', mode: 'function', line: 3 });
  assert.ok(r);
  assert.equal(r.verified, false); // the model's rewrite, asked for as such: nothing proved it
  assert.deepEqual(r.edits, [{ range: { start: { line: 3, character: 23 }, end: { line: 3, character: 23 } }, newText: ':' }]);
  assert.equal(applyTextEdits(text, r.edits), r.fixed);
  assert.deepEqual(r.markers.given, { task: 'CodeFix', code_type: 'python', error_type: 'syntax_error', length_bucket: 'concise' });
  assert.deepEqual(r.markers.inferred, { domain: 'Science', length_lines: '3' });
  assert.deepEqual(r.region, { start: { line: 3, character: 0 }, end: { line: 5, character: 32 } });
});

test('fix on a line with no diagnostic rewrites the function; explicit markers win', async () => {
  const text = sample('below_zero.py');
  const fixedFn = text.split('\n').slice(3, 15).join('\n').replace('balance == 0', 'balance < 0');
  const engine = await engineWriting(serialize({ task: 'CodeFix', code_type: 'python', error_type: 'wrong_comparison', length_bucket: 'medium' }) + '\n' + fixedFn + '<|end|>');
  const r = await engine.fix({ text, languageId: 'python', line: 12, minConfidence: 0, markers: { error_type: 'operator_misuse' } });
  assert.ok(r);
  assert.deepEqual(r.edits, [{ range: { start: { line: 12, character: 19 }, end: { line: 12, character: 21 } }, newText: '<' }]);
  assert.equal(r.markers.given.error_type, 'operator_misuse');
  assert.equal(r.markers.inferred.error_type, undefined);
});

test('no fix: the model changes nothing, or breaks the syntax', async () => {
  const text = sample('below_zero.py');
  const same = text.split('\n').slice(3, 15).join('\n');
  const e1 = await engineWriting(serialize({ task: 'CodeFix' }) + '\n' + same + '<|end|>');
  const o1 = await e1.fixDetailed({ text, languageId: 'python', line: 12 });
  assert.equal(o1.fix, null);
  assert.match(o1.reason!, /unchanged/);
  const e2 = await engineWriting(serialize({ task: 'CodeFix' }) + '\n' + same.replace('for op in operations:', 'for op in operations') + '<|end|>');
  const o2 = await e2.fixDetailed({ text, languageId: 'python', line: 12 });
  assert.equal(o2.fix, null);
  assert.match(o2.reason!, /syntax error/);
});

test('bad input is an InputError with a clear message', async () => {
  const engine = await engineWriting('<MARKER_LIST> </MARKER_LIST>\nx<|end|>');
  await assert.rejects(engine.fix({ text: 'x', languageId: 'cobol' }), (e: Error) => e instanceof InputError && /unsupported language/.test(e.message));
  await assert.rejects(engine.fix({ text: 'x = 1\n', languageId: 'python', line: 5 }), /out of range/);
  await assert.rejects(engine.fix({ text: 'x = 1\n', languageId: 'python', markers: { domain: 'Cooking' } }), /unknown value/);
  await assert.rejects(engine.fix({ text: 'x = 1\n', languageId: 'lua' }), /no grammar/);
});

test('a function rewrite where no function parses (a method cut out of its class) fixes the syntax error near the line', async () => {
  const text = '  _render(dom: AnyNode): string {\n    return render(dom, this.options;\n  }\n';
  const logits = new ScriptedLogits(tok, serialize({ task: 'CodeFix', code_type: 'typescript' }) + '\n    return render(dom, this.options);<|end|>');
  const engine = await Engine.load({ logits, tokenizer: tok });
  const o = await engine.fixDetailed({ text, languageId: 'typescript', line: 0, mode: 'function' });
  assert.ok(logits.feeds > 0, `the model was asked (${o.fix ? 'fixed' : o.reason})`);
  assert.doesNotMatch(o.fix ? '' : o.reason ?? '', /nothing to fix/);
  // far from any error and outside any function there is still nothing to fix
  const far = await engine.fixDetailed({ text: text + '\n'.repeat(100) + 'let x = 1;\n', languageId: 'typescript', line: 103, mode: 'function' });
  assert.equal(far.fix, null);
  assert.match(far.reason ?? '', /nothing to fix at line 104/);
});

test('generate: CodeGeneration with a length marker', async () => {
  const engine = await engineWriting(serialize({ task: 'CodeGeneration', code_type: 'python', length_bucket: 'concise', length_lines: '1' }) + '\n    return a + b\n<|end|>');
  const r = await engine.generate({ languageId: 'python', prompt: 'def add(a, b):', markers: { length_lines: '1' } });
  assert.equal(r.text, '    return a + b\n');
  assert.deepEqual(r.markers.given, { task: 'CodeGeneration', code_type: 'python', length_bucket: 'concise', length_lines: '1' });
});

test('generate: the length guard keeps the answer within the line limit, and says when it cut', async () => {
  const answer = '\n    s = a + b\n    t = s * 2\n    u = t - 1\n    return u\n<|end|>';
  const engine = await engineWriting(serialize({ task: 'CodeGeneration', code_type: 'python', length_bucket: 'concise', length_lines: '2' }) + answer);
  const r = await engine.generate({ languageId: 'python', prompt: 'def f(a, b):\n', markers: { length_lines: '2' } });
  assert.equal(r.text, '    s = a + b\n    t = s * 2\n');
  assert.equal(r.cutAtLines, 2);
  const raw = await (await engineWriting(serialize({ task: 'CodeGeneration', code_type: 'python', length_bucket: 'concise', length_lines: '2' }) + answer))
    .generate({ languageId: 'python', prompt: 'def f(a, b):\n', markers: { length_lines: '2' }, lengthGuard: false });
  assert.equal(raw.text.trim().split('\n').length, 4, 'lengthGuard: false gives the model alone');
  assert.equal(raw.cutAtLines, undefined);
  const within = await (await engineWriting(serialize({ task: 'CodeGeneration', code_type: 'python' }) + answer))
    .generate({ languageId: 'python', prompt: 'def f(a, b):\n', markers: { length_bucket: 'concise' } });
  assert.equal(within.cutAtLines, undefined, 'four lines are within "concise" (<= 10)');
});

test('generate: a prompt longer than the context keeps its last lines and room for the answer, and says how many it left out', async () => {
  const logits = new ScriptedLogits(tok, serialize({ task: 'CodeGeneration', code_type: 'python' }) + '\n    return a + b\n<|end|>', 1024);
  const engine = await Engine.load({ logits, tokenizer: tok });
  const lines = Array.from({ length: 400 }, (_, i) => `value_${i} = ${i} * 2`);
  const prompt = [...lines, 'def add(a, b):'].join('\n');
  const r = await engine.generate({ languageId: 'python', prompt });
  assert.equal(r.text, '    return a + b\n');
  assert.ok(r.promptLinesLeftOut && r.promptLinesLeftOut > 0 && r.promptLinesLeftOut < 400, `left out ${r.promptLinesLeftOut}`);
  const seen = tok.decode([...logits.prompts[0]!]);
  assert.ok(seen.includes('value_399 = 399 * 2\ndef add(a, b):'), 'the lines nearest the cursor are kept');
  assert.ok(!seen.includes(`value_${r.promptLinesLeftOut! - 1} =`), 'the lines left out are not in the prompt');
  assert.ok(logits.prompts[0]!.length + 256 <= 1024, 'room for a 256-token answer');
  // a prompt that fits loses nothing
  const short = await engine.generate({ languageId: 'python', prompt: 'def add(a, b):' });
  assert.equal(short.promptLinesLeftOut, undefined);
});

test('generate: a prompt ending in a line break is laid out as in training (no blank line before the answer)', async () => {
  const logits = new ScriptedLogits(tok, serialize({ task: 'CodeGeneration', code_type: 'python' }) + '\n    return a + b\n<|end|>');
  const engine = await Engine.load({ logits, tokenizer: tok });
  await engine.generate({ languageId: 'python', prompt: 'def add(a, b):\n' });
  await engine.generate({ languageId: 'python', prompt: 'def add(a, b):' });
  assert.equal(logits.prompts.length, 2);
  const [withBreak, without] = logits.prompts.map((ids) => tok.decode(ids));
  assert.equal(withBreak, without);
  assert.match(withBreak!, /def add\(a, b\):\n<MARKER_LIST>/);
});

test('generate: stops where the function it was asked for is finished', async () => {
  const fn = 'def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n';
  const logits = new ScriptedLogits(tok, serialize({ task: 'CodeGeneration', code_type: 'python' }) + '\n' + fn + 'print(fib(10))\nprint(fib(20))\n<|end|>');
  const engine = await Engine.load({ logits, tokenizer: tok });
  const r = await engine.generate({ languageId: 'python', prompt: '# Return the n-th Fibonacci number.\n' });
  assert.equal(r.text, fn);
  assert.equal(r.cutAtLines, undefined, 'not a length cut');
});

test('generate: lines that add a syntax error are left out, and the result says how many', async () => {
  const engine = await engineWriting(serialize({ task: 'CodeGeneration', code_type: 'python' }) + '\n    return a + b\n    x = foo(\n<|end|>');
  const r = await engine.generate({ languageId: 'python', prompt: 'def add(a, b):\n' });
  assert.equal(r.text, '    return a + b\n');
  assert.equal(r.droppedLines, 1);
});

/** A stand-in model with two answers sharing a start: it writes `first`, with `second`'s next token as
 * the runner-up where they part; once fed that token it writes `second`. */
class TwoAnswers extends ScriptedLogits {
  private readonly a: number[];
  private readonly b: number[];
  constructor(first: string, second: string) {
    super(tok, first);
    this.a = tok.encode(first);
    this.b = tok.encode(second);
  }
  override start() {
    const fed: number[] = [];
    let prompt = true;
    const { a, b } = this;
    const size = this.vocabSize;
    const prefixOf = (s: number[]) => fed.length < s.length && fed.every((t, i) => s[i] === t);
    return {
      get length() { return fed.length; },
      async feed(ids: readonly number[]) {
        if (prompt) { prompt = false; fed.push(...ids.slice(completionStart(tok, ids))); } else fed.push(...ids);
        const logits = new Float32Array(size).fill(-10);
        if (prefixOf(a)) logits[a[fed.length]!] = 10;
        if (prefixOf(b)) logits[b[fed.length]!] = Math.max(logits[b[fed.length]!]!, prefixOf(a) ? 9 : 10);
        return logits;
      },
      dispose() {},
    };
  }
}

test('generate: an answer that does not fit the line limit is retried from where a line could have begun differently', async () => {
  const markers = serialize({ task: 'CodeGeneration', code_type: 'python', length_bucket: 'concise', length_lines: '3' });
  // greedy writes a docstring that the 3-line limit cuts in half; the runner-up at line 2 is code
  const doc = '\ndef fib(n):\n    """Return the n-th\n    Fibonacci number."""\n    return n\n<|end|>';
  const code = '\ndef fib(n):\n    a = n\n    return a\n<|end|>';
  const engine = await Engine.load({ logits: new TwoAnswers(markers + doc, markers + code), tokenizer: tok });
  const r = await engine.generate({ languageId: 'python', prompt: '# Return the n-th Fibonacci number.\n', markers: { length_lines: '3' } });
  assert.equal(r.text, 'def fib(n):\n    a = n\n    return a\n');
  assert.equal(r.cutAtLines, undefined, 'finished within the limit');
  assert.equal(r.droppedLines, undefined);
  // with room for the docstring, greedy's answer stands (no retry)
  const six = serialize({ task: 'CodeGeneration', code_type: 'python', length_bucket: 'concise', length_lines: '6' });
  const roomy = await Engine.load({ logits: new TwoAnswers(six + doc, six + code), tokenizer: tok });
  const r2 = await roomy.generate({ languageId: 'python', prompt: '# Return the n-th Fibonacci number.\n', markers: { length_lines: '6' } });
  assert.equal(r2.text, 'def fib(n):\n    """Return the n-th\n    Fibonacci number."""\n    return n\n');
});

test('fix: a colon missing at a line\'s end (an error where the next line begins) is found by a retry from the line before', async () => {
  // tree-sitter reports `for v in values` without its colon at the start of the next line; greedy copies
  // the code unchanged and the runner-up (the colon) is on the line before the error's
  const at = (line: number, margin: number) => ({ line, margin });
  // closest first as the decoder gives them; the error on line 3: lines 2-4 go first, in that order
  const order = nearErrorFirst([at(0, 0.1), at(2, 0.5), at(6, 0.6), at(3, 2), at(4, 3)], (b) => b.line, 3);
  assert.deepEqual(order.map((b) => b.line), [2, 3, 4, 0, 6]);
  const text = 'def average(values):\n    total = 0\n    for v in values\n        total += v\n    return total / len(values)\n';
  const markers = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'syntax_error', length_bucket: 'concise' }) + '\n';
  const fn = text.trimEnd();
  const engine = await Engine.load({ logits: new TwoAnswers(markers + fn + '<|end|>', markers + fn.replace('in values\n', 'in values:\n') + '<|end|>'), tokenizer: tok });
  const r = await engine.fixDetailed({ text, languageId: 'python' });
  assert.ok(r.fix, r.reason);
  assert.deepEqual(r.fix.edits, [{ range: { start: { line: 2, character: 19 }, end: { line: 2, character: 19 } }, newText: ':' }]);
});

test('parseablePrefix: the longest run of whole lines that adds no syntax error', async () => {
  const py = resolveLanguage('python')!;
  assert.deepEqual(await parseablePrefix(py, 'def f(x):\n', '    return x + 1\n'), { text: '    return x + 1\n', dropped: 0 });
  assert.deepEqual(await parseablePrefix(py, 'import a\n', 'x = [1,\ny = )\n'), { text: '', dropped: 2 });
  // a later line may close what an earlier one opened: the whole text is kept
  const js = resolveLanguage('javascript')!;
  const body = '  if (x) {\n    return 1;\n  }\n  return 2;\n}\n';
  assert.deepEqual(await parseablePrefix(js, 'function f(x) {\n', body), { text: body, dropped: 0 });
  // errors already in the prompt are not the generation's
  assert.deepEqual(await parseablePrefix(py, 'x = (\n', 'y = 1\n'), { text: 'y = 1\n', dropped: 0 });
  // a header without its body is a Python syntax error that tree-sitter does not flag by itself
  assert.deepEqual(await parseablePrefix(py, '# c\n', 'def f(x):\n'), { text: '', dropped: 1 });
  assert.deepEqual(await parseablePrefix(py, '# c\n', 'def f(x):\n    # body to come\n'), { text: '', dropped: 2 });
});

test('a missing model is reported clearly', async () => {
  await assert.rejects(Engine.load({ modelDir: '/nonexistent/model' }), /no model at \/nonexistent\/model/);
});

test('a failed first answer gets a second try with only task and language given', async () => {
  const text = sample('missing_colon.py');
  const broken = 'def circle_area(radius)\n    return math.pi * radius ** 2';
  const fixedFn = 'def circle_area(radius):\n    """Area of a circle of the given radius."""\n    return math.pi * radius ** 2';
  const a = new ScriptedLogits(tok, serialize({ task: 'CodeFix', code_type: 'python', error_type: 'syntax_error', length_bucket: 'concise' }) + '\n' + broken + '<|end|>');
  const b = new ScriptedLogits(tok, serialize({ task: 'CodeFix', code_type: 'python', error_type: 'syntax_error', length_bucket: 'concise' }) + '\n' + fixedFn + '<|end|>');
  const prompts: string[] = [];
  const model = {
    vocabSize: tok.vocabSize,
    contextLength: 4096,
    start() {
      let inner: ReturnType<ScriptedLogits['start']> | undefined;
      return {
        get length() { return inner?.length ?? 0; },
        async feed(ids: readonly number[]) {
          if (!inner) {
            const prompt = tok.decode(ids);
            prompts.push(prompt);
            inner = (prompt.includes('<length_bucket>') ? a : b).start();
          }
          return inner.feed(ids);
        },
        dispose() {},
      };
    },
  };
  const engine = await Engine.load({ logits: model, tokenizer: tok, branchTries: 0 });
  // the model's rewrite (the syntax search would find the colon without the model)
  const o = await engine.fixDetailed({ text, languageId: 'python', mode: 'function', line: 3, minConfidence: 0 });
  // Branch retries of one try reuse its prompt; the tries themselves are two distinct prompts.
  const tries = [...new Set(prompts)];
  assert.equal(tries.length, 2);
  assert.match(tries[0]!, /<MARKER_LIST> <task> CodeFix <\/task> <code_type> python <\/code_type> <error_type> syntax_error <\/error_type> <length_bucket> concise <\/length_bucket> <\/MARKER_LIST>/);
  assert.match(tries[1]!, /<MARKER_LIST> <task> CodeFix <\/task> <code_type> python <\/code_type> <\/MARKER_LIST>/);
  assert.ok(o.fix, o.reason);
  assert.deepEqual(o.fix.markers.given, { task: 'CodeFix', code_type: 'python' });
  assert.deepEqual(o.fix.markers.inferred, { error_type: 'syntax_error', length_bucket: 'concise' });
});

test('contextMarkers: false gives only the explicit markers; the model infers the rest', async () => {
  const text = sample('below_zero.py');
  const fixedFn = text.split('\n').slice(3, 15).join('\n').replace('balance == 0', 'balance < 0');
  const engine = await engineWriting(serialize({ task: 'CodeFix', code_type: 'python', error_type: 'wrong_comparison', length_bucket: 'medium' }) + '\n' + fixedFn + '<|end|>');
  const r = await engine.fix({ text, languageId: 'python', line: 12, minConfidence: 0, mode: 'function', contextMarkers: false, markers: { error_type: 'operator_misuse' } });
  assert.ok(r);
  assert.deepEqual(r.markers.given, { error_type: 'operator_misuse' });
  assert.deepEqual(r.markers.inferred, { task: 'CodeFix', code_type: 'python', length_bucket: 'medium' });
});

test('a baseline model (markers: false): no marker list in the prompt or the completion', async () => {
  const text = sample('below_zero.py');
  const fixedFn = text.split('\n').slice(3, 15).join('\n').replace('balance == 0', 'balance < 0');
  const prompts: string[] = [];
  const inner = new ScriptedLogits(tok, fixedFn + '<|end|>');
  const model = {
    vocabSize: tok.vocabSize,
    contextLength: 4096,
    start() {
      const s = inner.start();
      let first = true;
      return {
        get length() { return s.length; },
        feed(ids: readonly number[]) {
          if (first) { prompts.push(tok.decode(ids)); first = false; }
          return s.feed(ids);
        },
        dispose() {},
      };
    },
  };
  const engine = await Engine.load({ logits: model, tokenizer: tok, markers: false });
  const r = await engine.fix({ text, languageId: 'python', line: 12, minConfidence: 0 });
  assert.ok(r);
  assert.doesNotMatch(prompts[0]!, /MARKER_LIST/);
  assert.deepEqual(r.markers, { given: {}, inferred: {} });
  assert.equal(r.edits[0]!.newText, '<');
});

test('a fix asked for again (same function, same markers) is answered from the memo, checked against the new document', async () => {
  const text = sample('below_zero.py');
  const fixedFn = text.split('\n').slice(3, 15).join('\n').replace('balance == 0', 'balance < 0');
  const completion = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'wrong_comparison' }) + '\n' + fixedFn + '<|end|>';
  const logits = new ScriptedLogits(tok, completion);
  const engine = await Engine.load({ logits, tokenizer: tok });
  const first = await engine.fixDetailed({ text, languageId: 'python', line: 12, minConfidence: 0 });
  assert.ok(first.fix);
  const feeds = logits.feeds;
  assert.ok(feeds > 0 && first.tokens!.steps > 0);
  // an edit elsewhere in the file (a new line at its end): the function's prompt is the same
  const edited = text + '\nprint(below_zero([1, -2]))\n';
  const again = await engine.fixDetailed({ text: edited, languageId: 'python', line: 12, minConfidence: 0 });
  assert.equal(logits.feeds, feeds, 'no model call for the same prompt');
  assert.equal(again.tokens!.steps, 0);
  assert.deepEqual(again.fix!.edits, first.fix.edits);
  assert.equal(again.fix!.fixed, applyTextEdits(edited, first.fix.edits)); // the edit checked against the edited document
  // other markers: another prompt, so the model runs
  await engine.fixDetailed({ text, languageId: 'python', line: 12, minConfidence: 0, markers: { error_type: 'operator_misuse' } });
  assert.ok(logits.feeds > feeds);
  // fixMemo: 0 remembers nothing
  const logits0 = new ScriptedLogits(tok, completion);
  const engine0 = await Engine.load({ logits: logits0, tokenizer: tok, fixMemo: 0 });
  await engine0.fixDetailed({ text, languageId: 'python', line: 12, minConfidence: 0 });
  const feeds0 = logits0.feeds;
  await engine0.fixDetailed({ text, languageId: 'python', line: 12, minConfidence: 0 });
  assert.equal(logits0.feeds, 2 * feeds0);
});

test('a syntax error is fixed by the search and proven by the language\'s parser (the model only ranks)', async () => {
  const text = sample('missing_colon.py');
  const engine = await engineWriting(serialize({ task: 'CodeFix', code_type: 'python' }) + '\n' + 'x<|end|>');
  const o = await engine.fixDetailed({ text, languageId: 'python' });
  assert.ok(o.fix, o.reason);
  assert.equal(o.fix.verified, true);
  assert.match(o.fix.verifiedBy!, /^python/);
  assert.equal(o.fix.label, "insert ':' at line 4");
  assert.deepEqual(o.fix.edits, [{ range: { start: { line: 3, character: 23 }, end: { line: 3, character: 23 } }, newText: ':' }]);
  assert.ok(o.fix.candidates! >= 1);
  assert.equal(applyTextEdits(text, o.fix.edits), o.fix.fixed);
});

test('a function copied unchanged, or error_type none, is the model abstaining: no branch retry forces a change', async () => {
  // below_zero.py's function, no diagnostic: greedy copies it; the runner-up would change `==` to `<`
  const text = sample('below_zero.py');
  const same = text.split('\n').slice(3, 15).join('\n');
  const changed = same.replace('balance == 0', 'balance < 0');
  const head = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'wrong_comparison' }) + '\n';
  const copy = await Engine.load({ logits: new TwoAnswers(head + same + '<|end|>', head + changed + '<|end|>'), tokenizer: tok });
  const o = await copy.fixDetailed({ text, languageId: 'python', line: 12 });
  assert.equal(o.fix, null);
  assert.equal(o.abstained, true);
  assert.match(o.reason!, /unchanged: it finds nothing to fix/);
  // error_type none: the same, whatever the answer
  const none = serialize({ task: 'CodeFix', code_type: 'python', error_type: 'none' }) + '\n';
  const said = await Engine.load({ logits: new TwoAnswers(none + same + '<|end|>', none + changed + '<|end|>'), tokenizer: tok });
  const o2 = await said.fixDetailed({ text, languageId: 'python', line: 12 });
  assert.equal(o2.fix, null);
  assert.match(o2.reason!, /nothing to fix \(error_type none\)/);
  // the old behaviour on request: the branch from the least-sure point gives the change
  process.env.TREASURE_RESPECT_ABSTENTION = 'off';
  try {
    const forced = await copy.fixDetailed({ text, languageId: 'python', line: 12, minConfidence: 0 });
    assert.ok(forced.fix, forced.reason);
    assert.equal(forced.fix.fixed, text.replace('balance == 0', 'balance < 0'));
  } finally {
    delete process.env.TREASURE_RESPECT_ABSTENTION;
  }
  // a syntax error is something to fix: a copy there still branches (the missing-colon test above)
});
