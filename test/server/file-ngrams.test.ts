// What the rest of a file says about a token edit (repair/file-ngrams.ts) and the names it proposes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filePairs, pairGain } from '../../language-server/src/repair/file-ngrams';
import { lex } from '../../language-server/src/repair/lex';
import { proposeTokenEdits } from '../../language-server/src/repair/propose-syntax';

const broken = 'def a(params, x):\n    return params\n\ndef b(params, y):\n    return y\n\ndef c(, z):\n    return params\n';

test('filePairs: names seen after and before a token, and pair counts', () => {
  const p = filePairs(broken, 'python');
  assert.ok(p.after('(').has('params'));
  assert.ok(p.before(',').has('params'));
  assert.equal(p.count('params', ','), 2);
  assert.equal(p.count('(', ','), 1);
  assert.equal(p.words.get('params'), 4);
});

test('pairGain: restoring a deleted name makes the window familiar; a stray edit does not', () => {
  const toks = lex(broken, 'python');
  const p = filePairs(broken, 'python', toks);
  const at = broken.indexOf('(, z)') + 1;
  const restore = pairGain(broken, 'python', { start: at, end: at, newText: 'params' }, p, toks);
  const dropComma = pairGain(broken, 'python', { start: at, end: at + 2, newText: '' }, p, toks);
  assert.ok(restore > 0, `restore ${restore}`);
  assert.ok(restore > dropComma, `restore ${restore} vs drop ',' ${dropComma}`);
});

test('proposeTokenEdits with fileWords: a name of the file seen between these neighbours is proposed', () => {
  const at = broken.indexOf('(, z)') + 1;
  const without = proposeTokenEdits(broken, 'python', [{ offset: at, hints: [] }]);
  const fixed = broken.replace('(, z)', '(params, z)');
  assert.ok(!without.some((c) => c.fixed === fixed));
  const withNames = proposeTokenEdits(broken, 'python', [{ offset: at, hints: [] }], { fileWords: 8, pairWeight: 1 });
  const hit = withNames.findIndex((c) => c.fixed === fixed);
  assert.ok(hit >= 0);
  // the pairs it restores put it before other name insertions at the same place
  const other = withNames.findIndex((c) => c.fixed === broken.replace('(, z)', '(y, z)'));
  assert.ok(other < 0 || hit < other, `params #${hit}, y #${other}`);
});
