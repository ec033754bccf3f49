// The CodeGeneration prompt the client builds (extension/prompt.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PREFIX_LINES, generationPrompt } from '../../extension/prompt';

test('a typed request becomes a comment after the lines before the cursor', () => {
  const lines = ['import math', '', ''];
  assert.equal(generationPrompt({ lines, line: 2, character: 0, request: 'area of a circle', lineComment: '#' }), 'import math\n\n# area of a circle\n');
});

test('the request comment takes the indentation at the cursor; multi-line requests are commented line by line', () => {
  const lines = ['class A {', '  ', '}'];
  assert.equal(
    generationPrompt({ lines, line: 1, character: 2, request: 'a getter\nfor x', lineComment: '//' }),
    'class A {\n  // a getter\n  // for x\n',
  );
});

test('a selected comment or signature is the request: the prefix through the selection', () => {
  const lines = ['def fib(n):', '    """The n-th Fibonacci number."""', 'x = 1'];
  assert.equal(generationPrompt({ lines, line: 1, character: lines[1]!.length, lineComment: '#' }), 'def fib(n):\n    """The n-th Fibonacci number."""\n');
});

test('only the last lines before the cursor are sent', () => {
  const lines = Array.from({ length: PREFIX_LINES + 10 }, (_, i) => `x${i} = ${i}`);
  const prompt = generationPrompt({ lines, line: lines.length, character: 0, request: 'sum them', lineComment: '#' });
  const sent = prompt.trimEnd().split('\n');
  assert.equal(sent.length, PREFIX_LINES + 1);
  assert.equal(sent[0], 'x10 = 10');
  assert.equal(sent.at(-1), '# sum them');
});
