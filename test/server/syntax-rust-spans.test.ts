// rustc names an unclosed or mismatched delimiter's opener only in a labelled span (prove/rust.ts
// labelledSpans); the syntax search anchors there (syntax.ts), so a broken token far from rustfmt's
// first error is still found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenStream } from '../../language-server/src/repair/lex';
import { findTool } from '../../language-server/src/repair/prove/common';
import { labelledSpans, rustProver } from '../../language-server/src/repair/prove/rust';
import { relatedPenalty, searchSyntaxFix } from '../../language-server/src/repair/syntax';
import { disposeProvers } from '../../language-server/src/repair/prove';

test.after(() => disposeProvers());

test('labelledSpans: lines and columns of the spans under a rustc error (tabs shown as 4 columns)', () => {
  const text = 'fn a() {\n\tlet x = f(1;\n}\n';
  const stderr = [
    'error: mismatched closing delimiter: `}`',
    ' --> c0.rs:3:1',
    '  |',
    '1 | fn a() {',
    '  |        - closing delimiter possibly meant for this',
    '2 |     let x = f(1;',
    '  |              ^ unclosed delimiter',
    '3 | }',
    '  | ^ mismatched closing delimiter',
    'error: something else',
    '9 | x',
    '  | ^ not this one',
  ].join('\n').split('\n');
  assert.deepEqual(labelledSpans(stderr, 2, text), [
    { line: 0, column: 7, message: 'closing delimiter possibly meant for this' },
    { line: 1, column: 10, message: 'unclosed delimiter' },
    { line: 2, column: 0, message: 'mismatched closing delimiter' },
  ]);
  assert.equal(relatedPenalty('the nearest open delimiter'), 1);
  assert.equal(relatedPenalty('missing open `(` for this delimiter'), 0);
});

test('rustfmt: a `(` replaced far above the first error is found through the labelled span', { timeout: 120_000 }, async (t) => {
  if (!findTool('rustfmt')) return t.skip('rustfmt is not installed');
  const prover = await rustProver();
  if (!prover) return t.skip('rustfmt does not work here');
  const body = Array.from({ length: 14 }, (_, i) => `        let v${i} = ${i} + 1;`).join('\n');
  const original = `struct S;\n\nimpl S {\n    fn f(&self, n: u32) -> Result<u32, ()> {\n${body}\n        Ok(n)\n    }\n}\n`;
  const broken = original.replace('Result<u32, ()>', 'Result<u32, )>');
  const [v] = await prover.parse([broken]);
  assert.equal(v!.ok, false);
  const first = v!.errors[0]!;
  assert.ok(first.line > 10, `rustfmt's first error is far below the broken line (line ${first.line + 1})`);
  assert.ok(first.related?.some((r) => r.line === 3), JSON.stringify(first.related));
  const found = await searchSyntaxFix({ text: broken, codeType: 'rust', target: { offset: broken.split('\n').slice(0, first.line).join('\n').length + 1 + first.column, message: first.message }, prover });
  // the same tokens as the original (the search may put the '(' on either side of the space)
  assert.deepEqual(tokenStream(found.fix?.fixed ?? '', 'rust'), tokenStream(original, 'rust'), found.reason ?? found.fix?.label);
  assert.match(found.fix!.label, /insert '\(' at line 4/);
});
