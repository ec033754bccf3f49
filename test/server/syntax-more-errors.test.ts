// A file with two syntax errors far apart (issue 25, bad input): the fix mends the first alone and says that
// another remains, instead of a pair that also rewrites the second one's line. Python stops at its first
// error and names an unclosed bracket at its opener, where tree-sitter reports it where its recovery ends
// (two lines further on): the error left after the fix is the original's second, not the fix's doing.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '../../language-server/src/engine';
import { disposeProvers } from '../../language-server/src/repair/prove';

after(() => disposeProvers());

const FUNCS = Array.from({ length: 8 }, (_, i) => `\ndef h${i}(a):\n    return a * ${i}\n`).join('');
const TWO = `def f(x)\n    return x + 1\n\n${FUNCS}\ndef g(y):\n    return [y, y + 1\n\nprint(g(2))\n`;

test('two errors: the first is fixed alone, and the title says one more is left', async () => {
  const engine = await Engine.load({ device: 'cpu' });
  const out = await engine.fixDetailed({ text: TWO, languageId: 'python' });
  assert.ok(out.fix, out.reason);
  assert.equal(out.fix.fixed, TWO.replace('def f(x)\n', 'def f(x):\n'));
  assert.equal(out.fix.label, "insert ':' at line 1 (1 more error elsewhere in the file)");
  assert.match(out.fix.verifiedBy!, /^python/);
});

test('two errors, the cursor on the line after an unclosed bracket (where tree-sitter reports it): that error is fixed, in the block before', async () => {
  const engine = await Engine.load({ device: 'cpu' });
  const at = TWO.split('\n').indexOf('print(g(2))');
  const out = await engine.fixDetailed({ text: TWO, languageId: 'python', line: at });
  assert.ok(out.fix, out.reason);
  // the bracket's line, not the first error's (line 1) nor "accepts this code as it is" (the line alone parses)
  assert.equal(out.fix.edits[0]!.range.start.line, at - 2, out.fix.label);
  assert.match(out.fix.label ?? '', /at line 30 \(1 more error elsewhere in the file\)$/);
  assert.match(out.fix.verifiedBy!, /^python .*the file has another error/);
});
