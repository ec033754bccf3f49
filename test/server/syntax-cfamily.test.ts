// Syntax repair in C and C++ files whose headers the compiler cannot find (a file opened outside its build):
// gcc and g++ then report errors of names and types all over the file. The repair reads gcc's syntax errors
// alone and says so; where g++ misreads C++ for want of a type and reports nothing near the error the user
// sees, tree-sitter proves the fix and the title says why. Real gcc/g++ and the shipped model.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '../../language-server/src/engine';
import { findTool } from '../../language-server/src/repair/prove/common';
import { gccSyntaxError } from '../../language-server/src/repair/prove/cfamily';
import { disposeProvers, hasSyntaxError, proverFor, syntaxView } from '../../language-server/src/repair/prove';

after(() => disposeProvers());

test('gcc messages: syntax errors apart from errors of names and types', () => {
  for (const m of ["expected ';' before '}' token", "expected ')' before '{' token", "stray '#' in program", 'missing terminating " character', "expected declaration or statement at end of input", "'else' without a previous 'if'", 'unterminated comment']) assert.ok(gccSyntaxError(m), m);
  for (const m of ["unknown type name 'Shape'", "'Foo' does not name a type", "'x' was not declared in this scope", "'y' undeclared (first use in this function)", "storage size of 's' isn't known", 'template argument 1 is invalid', "invalid use of incomplete type 'struct S'"]) assert.ok(!gccSyntaxError(m), m);
});

// gcc reads this file's syntax: the names it does not know are in expressions, not in a definition's types
const C_SEEN = '#include "geometry/shape.h"\n\nint area(int w, int h) {\n  return w * h * SCALE\n}\n\nint perimeter(int w, int h) {\n  return 2 * (w + h) * SCALE;\n}\n';
// gcc gives up on a function whose parameter types it does not know, and never reads its body
const C_SKIPPED = '#include "geometry/shape.h"\n\nint area(Shape *s) {\n  return s->w * s->h\n}\n\nint perimeter(Shape *s) {\n  return 2 * (s->w + s->h);\n}\n';

test('syntaxView: gcc\'s errors of names and types leave the verdict; its syntax errors stay', async (t) => {
  if (!findTool('gcc')) return t.skip('gcc is not installed');
  const gcc = await proverFor('c');
  const [v] = await gcc.parse([C_SEEN]);
  assert.ok(v!.errors.some((e) => /'SCALE' undeclared/.test(e.message)), JSON.stringify(v));
  const view = syntaxView(gcc, v!);
  assert.deepEqual(view.verdict.errors.map((e) => [e.line, e.message]), [[3, "expected ';' before '}' token"]]);
  assert.ok(view.others.length >= 1);
  assert.ok(hasSyntaxError(v!, gcc));
  // the fixed file: errors of names and types only, no syntax error
  const [fixed] = await view.prover.parse([C_SEEN.replace('SCALE\n}', 'SCALE;\n}')]);
  assert.equal(fixed!.ok, true, JSON.stringify(fixed));
  assert.ok(!hasSyntaxError((await gcc.parse([C_SEEN.replace('SCALE\n}', 'SCALE;\n}')]))[0]!, gcc));
  // gcc skips the body of a function whose parameter types it does not know: no syntax error to see
  const [skipped] = await gcc.parse([C_SKIPPED]);
  assert.equal(syntaxView(gcc, skipped!).verdict.ok, true, JSON.stringify(skipped));
  // a prover without syntaxError is the prover itself
  const py = await proverFor('python');
  const [pv] = await py.parse(['def f(:\n']);
  assert.equal(syntaxView(py, pv!).prover, py);
});

test('C, its header not found: the missing \';\' is fixed, proven by gcc\'s syntax where gcc reads it, by tree-sitter where it gives up', async (t) => {
  if (!findTool('gcc')) return t.skip('gcc is not installed');
  const engine = await Engine.load({ device: 'cpu' });
  const seen = await engine.fixDetailed({ text: C_SEEN, languageId: 'c' });
  assert.ok(seen.fix, seen.reason);
  assert.equal(seen.fix.fixed, C_SEEN.replace('SCALE\n}', 'SCALE;\n}'));
  assert.match(seen.fix.verifiedBy!, /^gcc .*, syntax only \(it also reports \d+ errors? of names or types\)$/);
  const skipped = await engine.fixDetailed({ text: C_SKIPPED, languageId: 'c' });
  assert.ok(skipped.fix, skipped.reason);
  assert.equal(skipped.fix.fixed, C_SKIPPED.replace('s->h\n}', 's->h;\n}'));
  assert.match(skipped.fix.verifiedBy!, /^tree-sitter c \(gcc .* cannot read this file without its headers\)$/);
});

const CPP_FILE = [
  '#include "project/widget.h"',
  '#include <vector>',
  '',
  'namespace ui {',
  '',
  'int countVisible(const std::vector<Widget*>& ws) {',
  '  int n = 0;',
  '  for (auto* w : ws) {',
  '    if (w->visible()) n++;',
  '  }',
  '  return n',
  '}',
  '',
  '}  // namespace ui',
  '',
].join('\n');

test('C++ that g++ misreads without its header (a vector of an unknown type): tree-sitter proves the fix, and the title says why', async (t) => {
  if (!findTool('g++')) return t.skip('g++ is not installed');
  const gpp = await proverFor('cpp');
  const [v] = await gpp.parse([CPP_FILE]);
  // g++ stops making sense at the unknown type and never reports the missing ';' of line 11
  assert.ok(!v!.errors.some((e) => Math.abs(e.line - 10) <= 3), JSON.stringify(v!.errors));
  const engine = await Engine.load({ device: 'cpu' });
  const out = await engine.fixDetailed({ text: CPP_FILE, languageId: 'cpp' });
  assert.ok(out.fix, out.reason);
  assert.equal(out.fix.fixed, CPP_FILE.replace('return n\n', 'return n;\n'));
  assert.match(out.fix.verifiedBy!, /^tree-sitter cpp \(g\+\+ .* cannot read this file without its headers\)$/);
});
