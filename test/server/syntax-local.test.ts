// Syntax repair quality (issue #25, s20): what the neighbourhood of an edit says about it. Literals
// count by their class in the file's n-grams (file-ngrams.ts gramOf), the names of the lines around an
// edit rank it (syntax-rank.ts near, drop), the layout finds where a block left open ends
// (layout-anchors.ts), a message that asks for a name gets the file's names (propose-syntax.ts), and
// slow parsers prove the screen's passes in the cheap terms' order (syntax.ts byCheapTerms); the
// searches are proven by the language's own parser (gofmt, node --check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filePairs, pairGain } from '../../language-server/src/repair/file-ngrams';
import { lex } from '../../language-server/src/repair/lex';
import { layoutAnchors, saysBlockOpen } from '../../language-server/src/repair/layout-anchors';
import { hintsFromMessage, proposeTokenEdits, type TokenEditCandidate } from '../../language-server/src/repair/propose-syntax';
import { rankFeatures } from '../../language-server/src/repair/syntax-rank';
import { byCheapTerms, priorsAhead, searchSyntaxFix } from '../../language-server/src/repair/syntax';
import { disposeProvers, proverFor } from '../../language-server/src/repair/prove';

test.after(() => disposeProvers());

test('pairGain: a lost comma between two strings the file has once each is familiar (literals count by class)', () => {
  const broken = 'const names = [\n  "defer",\n  "disabled",\n  "ended"\n  "hidden",\n  "inert",\n];\n';
  const toks = lex(broken, 'javascript');
  const p = filePairs(broken, 'javascript', toks);
  const at = broken.indexOf('"ended"') + '"ended"'.length;
  const comma = pairGain(broken, 'javascript', { start: at, end: at, newText: ',' }, p, toks);
  const h = broken.indexOf('"hidden"');
  const dropString = pairGain(broken, 'javascript', { start: h - 2, end: h + '"hidden",'.length, newText: '' }, p, toks);
  assert.ok(comma > 0, `comma ${comma}`);
  assert.ok(comma > dropString, `comma ${comma} vs dropping a string ${dropString}`);
});

test('rankFeatures near and drop: a name the lines around use, written or taken away', () => {
  const text = 'var a = this.data;\nvar b = this.zero + .zero;\nvar c = 1;\n' + '\n'.repeat(12) + 'var far = other;\n';
  const f = rankFeatures(text, 'javascript');
  const at = text.indexOf('+ .zero') + 2;
  const self = f([{ start: at, end: at, newText: 'this' }]);
  assert.ok(self.near > 0, 'this is used on the line and the one before');
  // a name used only 14 lines away is not near
  assert.equal(f([{ start: at, end: at, newText: 'other' }]).near, 0);
  // taking away a name the lines around use is a drop; a name used nowhere else is not
  const d = text.indexOf('data');
  assert.ok(f([{ start: d, end: d + 4, newText: '' }]).drop === 0);
  const z = text.indexOf('this.zero');
  assert.ok(f([{ start: z, end: z + 4, newText: '' }]).drop > 0);
  // a part of the word an edit splits is no name it brings (`GetCode` -> `Get{Code`, with `Code:` near)
  const go = 'x := T\n\tCode: ae.GetCode(),\n';
  const g = rankFeatures(go, 'go');
  const s = go.indexOf('GetCode');
  assert.equal(g([{ start: s, end: s + 7, newText: 'Get{Code' }]).near, 0);
});

// a Go function whose inner block lost its '}': gofmt reports it at the end of the file
const goBroken = [
  'package main',
  '',
  'func count(m []error) int {',
  '\tn := 0',
  '\tfor _, e := range m {',
  '\t\tif e != nil {',
  '\t\t\tn++',
  '\t\t',
  '\t}',
  '\tswitch n {',
  '\tcase 0:',
  '\t\treturn 0',
  '\t}',
  '\treturn n',
  '}',
  '',
].join('\n');

test('layoutAnchors: the line less deep than an open block\'s body shows where its \'}\' was lost', () => {
  const a = layoutAnchors(goBroken, 'go');
  assert.equal(a.length, 1);
  const line = goBroken.slice(0, a[0]!.offset).split('\n').length;
  // the end of the code line before `switch n {`: a '}' there gives the original's tokens
  assert.equal(line, 9);
  assert.deepEqual(a[0]!.hints, ['}']);
  // the original (the '}' back) and its switch's case labels raise nothing
  assert.deepEqual(layoutAnchors(goBroken.replace('\t\t\n', '\t\t}\n'), 'go'), []);
  assert.deepEqual(layoutAnchors('def f():\n    return 1\n', 'python'), []);
  assert.ok(saysBlockOpen("expected ';', found 'EOF'") && saysBlockOpen('this file contains an unclosed delimiter'));
  assert.ok(!saysBlockOpen("expected ')', found x"));
});

test('searchSyntaxFix: gofmt proves the \'}\' the layout places, where its error was at the end of the file', async () => {
  const prover = await proverFor('go');
  const [v] = await prover.parse([goBroken]);
  assert.equal(v!.ok, false);
  const e = v!.errors[0]!;
  assert.ok(e.line >= 13, `gofmt's error at line ${e.line + 1}: ${e.message}`);
  const starts = goBroken.split('\n').reduce<number[]>((acc, l) => [...acc, acc[acc.length - 1]! + l.length + 1], [0]);
  const r = await searchSyntaxFix({ text: goBroken, codeType: 'go', target: { offset: starts[e.line]! + e.column, message: e.message }, prover, originalVerdict: v });
  assert.ok(r.fix, r.reason);
  const tokens = (s: string) => lex(s, 'go').filter((t) => t.kind !== 'newline').map((t) => t.text).join(' ');
  assert.equal(tokens(r.fix.fixed), tokens(goBroken.replace('\t\t\n', '\t\t}\n')));
  assert.equal((await prover.parse([r.fix.fixed]))[0]!.ok, true);
});

test('a message that asks for a name: the file\'s names replace the token there', () => {
  assert.equal(hintsFromMessage('TS1003: Identifier expected.').names, true);
  assert.equal(hintsFromMessage("expected 'IDENT', found \"C\"").names, true);
  assert.equal(hintsFromMessage('expected identifier, found `#`').names, true);
  assert.equal(hintsFromMessage("expected ';'").names, undefined);
  // rust: `const #: usize` lost its name; STEPS is the file's, used below
  const text = 'fn main() {\n    const #: usize = 5;\n    let mut total = 0;\n    for i in 0..STEPS {\n        total += i;\n    }\n    assert_eq!(total, STEPS);\n}\n';
  const at = text.indexOf('#');
  const asked = proposeTokenEdits(text, 'rust', [{ offset: at, hints: [], names: true }], { fileWords: 4, pairWeight: 1 });
  const fixed = text.replace('#', 'STEPS');
  assert.ok(asked.some((c) => c.fixed === fixed));
  const plain = proposeTokenEdits(text, 'rust', [{ offset: at, hints: [] }], { fileWords: 4, pairWeight: 1 });
  const i = plain.findIndex((c) => c.fixed === fixed);
  const j = asked.findIndex((c) => c.fixed === fixed);
  assert.ok(i < 0 || j < i, `asked #${j}, plain #${i}`);
});

test('byCheapTerms and priorsAhead: the cheap terms\' order, and the highest prior still to come', () => {
  const c = (label: string, prior: number): TokenEditCandidate => ({ label, prior, edits: [], fixed: label, origin: 'token', size: 1 });
  const todo = [c('a', 3), c('b', 2), c('c', 1)];
  const cheap = new Map([['a', 0], ['b', 5], ['c', 5]]);
  assert.deepEqual(byCheapTerms(todo, (x) => cheap.get(x.label)!).map((x) => x.label), ['b', 'c', 'a']);
  // in prior order each candidate's own prior; out of it, the highest of those left
  assert.deepEqual(priorsAhead(todo), [3, 2, 1]);
  assert.deepEqual(priorsAhead([c('x', 1), c('y', 4), c('z', 2)]), [4, 4, 2]);
});
