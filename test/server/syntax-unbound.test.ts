// Syntax repair quality (issue #25, s21): a declaration that lost its name gets back a name the file reads
// but binds nowhere (unbound-names.ts; propose-syntax.ts unboundNames; syntax-rank.ts binds), and the
// ranking's count of tokens an edit adds (syntax-rank.ts grows). The search is proven by gofmt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lex } from '../../language-server/src/repair/lex';
import { unboundNames } from '../../language-server/src/repair/unbound-names';
import { proposeTokenEdits } from '../../language-server/src/repair/propose-syntax';
import { rankFeatures } from '../../language-server/src/repair/syntax-rank';
import { searchSyntaxFix } from '../../language-server/src/repair/syntax';
import { disposeProvers, proverFor } from '../../language-server/src/repair/prove';

test.after(() => disposeProvers());

// a Go test whose table lost its name: `var tests = []struct{...}` read 14 lines down
const original = [
  'package main',
  '',
  'import "testing"',
  '',
  'func TestDouble(t *testing.T) {',
  '\tvar tests = []struct {',
  '\t\tdesc string',
  '\t\tin   int',
  '\t\twant int',
  '\t}{',
  '\t\t{desc: "one", in: 1, want: 2},',
  '\t\t{desc: "two", in: 2, want: 4},',
  '\t}',
  '',
  '\tfor _, tc := range tests {',
  '\t\tgot := double(tc.in)',
  '\t\tif got != tc.want {',
  '\t\t\tt.Errorf("%s: got %d, want %d", tc.desc, got, tc.want)',
  '\t\t}',
  '\t}',
  '}',
  '',
  'func double(n int) int {',
  '\treturn n * 2',
  '}',
  '',
].join('\n');
const broken = original.replace('var tests =', 'var  =');

test('unboundNames: names read but bound nowhere, without parameters, fields, packages, keys or locals', () => {
  const names = unboundNames(lex(broken, 'go'));
  assert.ok(names.includes('tests'), names.join(' '));
  // t and n are parameters, desc/in/want fields and keys, testing a package, tc and got bound by ':='
  for (const bound of ['t', 'n', 'desc', 'want', 'testing', 'tc', 'got', 'main', 'double']) assert.ok(!names.includes(bound), `${bound} in ${names.join(' ')}`);
  // in the original, tests is bound
  assert.ok(!unboundNames(lex(original, 'go')).includes('tests'));
  // python: a name assigned at the start of a line is bound; one only read is not
  assert.deepEqual(unboundNames(lex('x = 1\nprint(x, limit)\n', 'python')), ['limit']);
});

test('proposeTokenEdits unboundNames: after a declaring keyword with no name, the unbound names come first among names', () => {
  const at = broken.indexOf('var  =') + 5; // gofmt: expected 'IDENT', found '='
  const anchors = [{ offset: at, hints: [] }];
  const fixed = original;
  const withNames = proposeTokenEdits(broken, 'go', anchors, { fileWords: 4, pairWeight: 1, unboundNames: 12 });
  const i = withNames.findIndex((c) => lex(c.fixed, 'go').map((t) => t.text).join(' ') === lex(fixed, 'go').map((t) => t.text).join(' '));
  assert.ok(i >= 0, 'insert tests is proposed');
  // no other name gets a better prior at that place
  const otherName = withNames.findIndex((c, k) => k !== i && /^insert '[A-Za-z_]\w*'/.test(c.label) && c.edits[0]!.start === withNames[i]!.edits[0]!.start);
  assert.ok(otherName < 0 || otherName > i, `tests #${i}, another name #${otherName}`);
  const without = proposeTokenEdits(broken, 'go', anchors, { fileWords: 4, pairWeight: 1 });
  const j = without.findIndex((c) => c.fixed === withNames[i]!.fixed);
  assert.ok(j < 0 || withNames[i]!.prior > without[j]!.prior, `without the option: #${j}`);
});

test('rankFeatures binds and grows', () => {
  const f = rankFeatures(broken, 'go');
  const at = broken.indexOf('var  =') + 4;
  assert.equal(f([{ start: at, end: at, newText: 'tests' }]).binds, 1);
  // a name its own line reads (the struct's type would be) or one the file binds is no bound name
  assert.equal(f([{ start: at, end: at, newText: 'tc' }]).binds, 0);
  assert.equal(f([{ start: at, end: at, newText: 'struct' }]).binds, 0);
  // not after a declaring keyword
  const r = broken.indexOf('range tests') + 6;
  assert.equal(f([{ start: r, end: r, newText: 'tests' }]).binds, 0);
  // grows: an insertion adds one token, a deletion takes one away, a replacement neither
  assert.equal(f([{ start: at, end: at, newText: 'tests' }]).grows, 1);
  const eq = broken.indexOf('var  =') + 5;
  assert.equal(f([{ start: eq, end: eq + 1, newText: '' }]).grows, -1);
  assert.equal(f([{ start: eq, end: eq + 1, newText: ':=' }]).grows, 0);
});

test('searchSyntaxFix: gofmt proves the table\'s name back, the name the loop reads', async () => {
  const prover = await proverFor('go');
  const [v] = await prover.parse([broken]);
  assert.equal(v!.ok, false);
  const e = v!.errors[0]!;
  const starts = broken.split('\n').reduce<number[]>((acc, l) => [...acc, acc[acc.length - 1]! + l.length + 1], [0]);
  const r = await searchSyntaxFix({ text: broken, codeType: 'go', target: { offset: starts[e.line]! + e.column, message: e.message }, prover, originalVerdict: v });
  assert.ok(r.fix, r.reason);
  const tokens = (s: string) => lex(s, 'go').filter((t) => t.kind !== 'newline').map((t) => t.text).join(' ');
  assert.equal(tokens(r.fix.fixed), tokens(original));
  assert.equal((await prover.parse([r.fix.fixed]))[0]!.ok, true);
});
