// The tree-sitter screen in front of a slow parser (syntax.ts screenCandidates): where tree-sitter sees
// no error near gcc's (a preprocessor line it reads as fine) it cannot tell whether that error is gone,
// so it only keeps out candidates that break what it reads; gcc decides. And a name of the file seen
// between the same neighbours elsewhere (`# ifdef`) comes back (file-ngrams.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findTool } from '../../language-server/src/repair/prove/common';
import { treeSitterProver } from '../../language-server/src/repair/prove/treesitter';
import { disposeProvers, proverFor } from '../../language-server/src/repair/prove';
import { searchSyntaxFix } from '../../language-server/src/repair/syntax';

test.after(() => disposeProvers());

const original = [
  '#include <stdio.h>',
  '#define ATTR(x) __attribute__(x)',
  '',
  '#ifdef __cplusplus',
  'extern "C" {',
  '#endif',
  '',
  'extern void report (const char *, ...)',
  '\tATTR((format(printf, 1, 2)));',
  '',
  '#ifdef __cplusplus',
  '}',
  '#endif',
  '',
].join('\n');

test('gcc: a broken #ifdef that tree-sitter reads as fine is still screened in and fixed', { timeout: 120_000 }, async (t) => {
  if (!findTool('gcc')) return t.skip('gcc is not installed');
  const prover = await proverFor('c');
  if (prover.kind !== 'native') return t.skip(`gcc does not work as a prover here (${prover.name})`);
  const screen = treeSitterProver('c')!;
  const broken = original.replace('#ifdef __cplusplus\nextern', '#extern __cplusplus\nextern');
  const [g] = await prover.parse([broken]);
  assert.equal(g!.ok, false);
  const [ts] = await screen.parse([broken]);
  assert.ok(ts!.errors.every((e) => Math.abs(e.line - g!.errors[0]!.line) > 2), `tree-sitter sees no error near gcc's: ${JSON.stringify(ts!.errors)}`);
  const at = broken.indexOf('#extern') + 1;
  const found = await searchSyntaxFix({ text: broken, codeType: 'c', target: { offset: at, message: g!.errors[0]!.message }, prover, screen });
  assert.equal(found.fix?.fixed, original, found.reason ?? found.fix?.label);
});
