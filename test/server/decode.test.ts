import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeAbortedError, Decoder, MarkerVocab, lineLimitCut, repeatCut } from '../../language-server/src/decode';
import { serialize } from '../../language-server/src/markers';
import { buildPrompt } from '../../language-server/src/prompt';
import { ScriptedLogits, tinyTokenizer } from './helpers';

const tok = tinyTokenizer();
const prompt = tok.encode(buildPrompt({ task: 'CodeFix', code: 'def f(x)\n    return x' }));
const answer = 'def f(x):\n    return x';
const scriptMarkers = { task: 'CodeFix', code_type: 'python', error_type: 'syntax_error', length_bucket: 'medium', length_lines: '2' };
const script = serialize(scriptMarkers) + '\n' + answer + '<|end|>';

test('marker tags are single tokens and the separator is what the tokenizer makes of " "', () => {
  const v = new MarkerVocab(tok);
  assert.deepEqual(v.sep, tok.encode(' '));
  assert.deepEqual(tok.decode(v.valueTokens('task', 'CodeFix')), ' CodeFix ');
});

test('no given markers: the model writes the whole list, then the answer, and stops at <|end|>', async () => {
  const d = new Decoder(new ScriptedLogits(tok, script), tok);
  const r = await d.run({ promptIds: prompt, given: {}, maxTokens: 500 });
  assert.equal(r.stop, 'end');
  assert.deepEqual(r.markers, scriptMarkers);
  assert.equal(r.answer, answer);
  assert.equal(tok.decode(r.ids), script);
});

test('given markers are forced where they belong; the model writes the others', async () => {
  const model = new ScriptedLogits(tok, script);
  const d = new Decoder(model, tok);
  const r = await d.run({ promptIds: prompt, given: { code_type: 'python', length_bucket: 'concise', domain: 'Web' }, maxTokens: 500 });
  assert.equal(r.stop, 'end');
  assert.deepEqual(r.markers, { task: 'CodeFix', code_type: 'python', domain: 'Web', error_type: 'syntax_error', length_bucket: 'concise', length_lines: '2' });
  assert.ok(r.markerText.startsWith('<MARKER_LIST> <task> CodeFix </task> <code_type> python </code_type> <domain> Web </domain>'));
  assert.equal(r.answer, answer);
  // forced runs are fed in one step each: fewer model calls than tokens
  assert.ok(r.steps < r.ids.length, `${r.steps} steps for ${r.ids.length} tokens`);
});

test('model-written enum values are restricted to the taxonomy', async () => {
  const bad = '<MARKER_LIST> <task> CodeFox </task> </MARKER_LIST>\nx<|end|>';
  const d = new Decoder(new ScriptedLogits(tok, bad), tok);
  const r = await d.run({ promptIds: prompt, given: {}, maxTokens: 200 });
  assert.ok(['CodeGeneration', 'CodeFix', 'CodeExplanation'].includes(r.markers.task!), r.markerText);
});

test('token limit: decoding stops and says so', async () => {
  const d = new Decoder(new ScriptedLogits(tok, script), tok);
  const r = await d.run({ promptIds: prompt, given: {}, maxTokens: 20 });
  assert.equal(r.stop, 'limit');
  assert.equal(r.ids.length, 20);
});

test('cancellation stops decoding within one step', async () => {
  const ac = new AbortController();
  let abortedAt = -1;
  const model = new ScriptedLogits(tok, script, 4096, (n) => {
    if (n === 5) { ac.abort(); abortedAt = n; }
  });
  const d = new Decoder(model, tok);
  await assert.rejects(d.run({ promptIds: prompt, given: {}, maxTokens: 500, signal: ac.signal }), DecodeAbortedError);
  assert.equal(model.feeds, abortedAt);
});

test('context length: a prompt that does not fit is not decoded', async () => {
  const d = new Decoder(new ScriptedLogits(tok, script, prompt.length), tok);
  const r = await d.run({ promptIds: prompt, given: {}, maxTokens: 100 });
  assert.equal(r.stop, 'context');
  assert.equal(r.ids.length, 0);
});

test('repeatCut: three copies in a row of a line block end a generation after the first copy', () => {
  const loop = '    if n < 0:\n        return 0\n';
  const head = '    x = 1\n';
  assert.equal(repeatCut(head + loop + loop), undefined, 'two copies may be real code');
  assert.equal(repeatCut(head + loop + loop + loop), (head + loop).length);
  // blank lines between copies do not hide a loop; the cut keeps the first copy and its line break
  const spaced = head + loop + '\n' + loop + '\n' + loop;
  assert.equal(spaced.slice(0, repeatCut(spaced)), head + loop);
  // closing braces and short lines repeat in real code: never a loop
  assert.equal(repeatCut('  x();\n}\n}\n}\n'), undefined);
  assert.equal(repeatCut('a\nend\nend\nend\n'), undefined);
  // indentation is part of the line: nested closers differ
  assert.equal(repeatCut('      return value\n    return value\n  return value\n'), undefined);
  // only complete lines count
  assert.equal(repeatCut('foo(bar)\nfoo(bar)\nfoo(ba'), undefined);
});

test('stopOnRepeat: a looping generation stops with stop "repeat" and keeps one copy', async () => {
  const body = '    if n < 0:\n        return 0\n';
  const looping = '<MARKER_LIST> <task> CodeGeneration </task> </MARKER_LIST>\n' + body.repeat(12) + '<|end|>';
  const plain = await new Decoder(new ScriptedLogits(tok, looping), tok).run({ promptIds: prompt, given: {}, maxTokens: 400 });
  assert.equal(plain.stop, 'end');
  assert.equal(plain.answer, body.repeat(12));
  const cut = await new Decoder(new ScriptedLogits(tok, looping), tok).run({ promptIds: prompt, given: {}, maxTokens: 400, stopOnRepeat: true });
  assert.equal(cut.stop, 'repeat');
  assert.equal(cut.answer, body);
  assert.ok(cut.ids.length < plain.ids.length, 'decoding stopped early');
});

test('lineLimitCut: the end of the n-th line, once another line has started', () => {
  assert.equal(lineLimitCut('a\nb\n', 2), undefined, 'exactly n lines is within the limit');
  assert.equal(lineLimitCut('a\nb\n\n  \n', 2), undefined, 'trailing blank lines are not lines');
  assert.equal(lineLimitCut('a\nb\nc', 2), 4);
  assert.equal(lineLimitCut('\n\na\nb\nc\n', 2), 6, 'leading line breaks do not count');
  assert.equal(lineLimitCut('a\n\nb\n', 1), 2, 'blank lines inside count');
  assert.equal(lineLimitCut('a\n\nb\n', 2), 3);
});

test('maxLines: decoding stops after n lines with stop "lines"', async () => {
  const body = '    x = 1\n    y = 2\n    z = 3\n    return x\n';
  const script = '<MARKER_LIST> <task> CodeGeneration </task> </MARKER_LIST>\n' + body + '<|end|>';
  const whole = await new Decoder(new ScriptedLogits(tok, script), tok).run({ promptIds: prompt, given: {}, maxTokens: 400, maxLines: 4 });
  assert.equal(whole.stop, 'end');
  assert.equal(whole.answer, body);
  const cut = await new Decoder(new ScriptedLogits(tok, script), tok).run({ promptIds: prompt, given: {}, maxTokens: 400, maxLines: 2 });
  assert.equal(cut.stop, 'lines');
  assert.equal(cut.answer, '    x = 1\n    y = 2\n');
});
