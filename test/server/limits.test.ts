// Inputs at the edges: a tree as deep as a long expression makes it (the tree walks are iterative),
// and a region far too long for the model's context (refused before it is tokenized).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../language-server/src/context';
import { Engine } from '../../language-server/src/engine';
import { resolveLanguage } from '../../language-server/src/grammars';
import { repoRoot } from '../../language-server/src/paths';
import { TreasureTokenizer } from '../../language-server/src/tokenizer';
import { humanEvalPackDir } from '../../eval/paths';
import { ScriptedLogits, tinyTokenizer } from './helpers';

const python = resolveLanguage('python')!;

test('a 200,000-term expression (one tree level per operator) is analysed: its function and its syntax error are found', async () => {
  const expr = Array.from({ length: 200_000 }, () => 'a').join(' + ');
  const a = await analyze(`def f(a):\n    return ${expr} +\n\n\ndef g():\n    return 1\n`, python);
  assert.deepEqual(a.functions.map((f) => [f.startLine, f.endLine, f.depth]), [[0, 1], [4, 5]].map(([s, e]) => [s, e, 0]));
  assert.ok(a.issues.length >= 1);
  assert.deepEqual([...new Set(a.issues.map((i) => i.start.row))], [1]); // the dangling `+`, nothing else
  // JavaScript: arrays nested 5,000 deep in a function's body, then a function nested in it
  const js = await analyze(`function h() {\n  const x = ${'['.repeat(5000)}${']'.repeat(5000)};\n  function inner() { return x; }\n}\n`, resolveLanguage('javascript')!);
  assert.equal(js.issues.length, 0);
  assert.deepEqual(js.functions.map((f) => [f.startLine, f.depth]), [[0, 0], [2, 1]]);
});

test('the shipped tokenizer: no token stands for more than maxTokenChars characters', () => {
  const tok = TreasureTokenizer.fromFile(join(repoRoot(), 'models/treasure/tokenizer.json'));
  assert.equal(tok.maxTokenChars, 80); // its longest entries: 80 slashes, 80 dashes
  const texts = ['/'.repeat(80), '-'.repeat(400), ' '.repeat(1000), '\u00e9\u4e2d\u{1F600}'.repeat(50)];
  for (const lang of ['python', 'cpp']) {
    const rows = readFileSync(join(humanEvalPackDir(), `${lang}.jsonl`), 'utf8').split('\n').filter(Boolean).slice(0, 40);
    for (const r of rows) texts.push((JSON.parse(r) as { canonical_solution: string; test: string }).canonical_solution, (JSON.parse(r) as { test: string }).test);
  }
  for (const t of texts) assert.ok(tok.encode(t).length * tok.maxTokenChars >= t.length, JSON.stringify(t.slice(0, 40)));
});

test('a region that cannot fit the context is refused without being tokenized or decoded', async () => {
  const tok = tinyTokenizer();
  let longestEncoded = 0;
  const encode = tok.encode.bind(tok);
  tok.encode = (text: string, addSpecial?: boolean) => {
    longestEncoded = Math.max(longestEncoded, text.length);
    return encode(text, addSpecial);
  };
  const logits = new ScriptedLogits(tok, 'unused', 256);
  const engine = await Engine.load({ logits, tokenizer: tok });
  const body = Array.from({ length: Math.ceil((256 * tok.maxTokenChars) / 12) + 10 }, (_, i) => `    x${i} = ${i}\n`).join('');
  const text = `def big():\n${body}    return x0\n`;
  assert.ok(text.length > 256 * tok.maxTokenChars);
  longestEncoded = 0;
  const o = await engine.fixDetailed({ text, languageId: 'python' });
  assert.equal(o.fix, null);
  assert.match(o.reason ?? '', /is too long for the model's context of 256 tokens/);
  assert.ok(longestEncoded < 1000, `the tokenizer was given ${longestEncoded} characters`);
  assert.equal(logits.feeds, 0);
});
