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
import { parseEdited } from '../../language-server/src/repair/prove/treesitter-edits';
import { proposeTokenEdits } from '../../language-server/src/repair/propose-syntax';

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
  // the same with the screen reading candidates as edits (what the engine does)
  const incremental = await searchSyntaxFix({ text: broken, codeType: 'c', target: { offset: at, message: g!.errors[0]!.message }, prover, screen, screenEdits: (o, cs, signal) => parseEdited('c', o, cs, signal) });
  assert.equal(incremental.fix?.fixed, original, incremental.reason ?? incremental.fix?.label);
});

test('parseEdited: tree-sitter read incrementally gives the verdicts of a fresh parse', async () => {
  const screen = treeSitterProver('rust')!;
  const original = 'fn main() {\n    let é = vec![1, 2, 3];\n    for x in é.iter() {\n        println!("{}", x)\n    }\n    let s = "ü";\n}\n';
  const broken = original.replace('iter() {', 'iter( {');
  const cands = proposeTokenEdits(broken, 'rust', [{ offset: broken.indexOf('iter(') + 5, hints: [')'] }]).slice(0, 150);
  const fresh = await screen.parse(cands.map((c) => c.fixed));
  const edited = await parseEdited('rust', broken, cands);
  assert.deepEqual(edited, fresh);
  assert.ok(fresh.some((v) => v.ok) && fresh.some((v) => !v.ok));
});
