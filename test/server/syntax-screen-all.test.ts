// The tree-sitter screen in front of every language's own parser (repair/screen-policy.ts, syntax.ts
// runScreened), and the cheap terms' bound (syntax.ts outranked): real parsers (gofmt, tsc, python3),
// real grammars. The screen keeps candidates from the parser and never decides a fix; what it kept out
// is read when nothing it passed holds (screenRescue); a candidate the cheap terms put beyond
// modelWithin behind a clean one is not read, and the fix stays the one offered without the bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findTool } from '../../language-server/src/repair/prove/common';
import { treeSitterProver } from '../../language-server/src/repair/prove/treesitter';
import { disposeProvers, proverFor } from '../../language-server/src/repair/prove';
import { searchSyntaxFix, syntaxStudy, type SyntaxSearchInput, type SyntaxSearchTrace } from '../../language-server/src/repair/syntax';
import { endPoint, parseEdited } from '../../language-server/src/repair/prove/treesitter-edits';
import { proposeTokenEdits } from '../../language-server/src/repair/propose-syntax';
import { screenPolicy } from '../../language-server/src/repair/screen-policy';
import { lineStarts, positionAt } from '../../language-server/src/repair/text';
import { syntaxIssues, withTree } from '../../language-server/src/parsing';

test.after(() => disposeProvers());

/** A search as the engine runs it for a code_type (engine-paths.ts repairSyntax), with its trace. */
async function search(text: string, codeType: string, grammar: string, at: number, extra: Partial<SyntaxSearchInput> = {}): Promise<{ r: Awaited<ReturnType<typeof searchSyntaxFix>>; trace?: SyntaxSearchTrace }> {
  const prover = await proverFor(codeType);
  const [v] = await prover.parse([text]);
  const policy = screenPolicy(codeType);
  const screen = policy ? treeSitterProver(grammar)! : undefined;
  let trace: SyntaxSearchTrace | undefined;
  syntaxStudy.trace = (t) => { trace ??= t; };
  try {
    const r = await searchSyntaxFix({
      text, codeType, target: { offset: at, message: v!.errors[0]?.message }, prover, originalVerdict: v, screen, screenRescue: policy?.rescue,
      screenEdits: screen ? (o, cs, signal) => parseEdited(grammar, o, cs, signal) : undefined, limits: policy ? { slowProve: policy.slowProve } : undefined, ...extra,
    });
    return { r, trace };
  } finally {
    syntaxStudy.trace = undefined;
  }
}

const GO = [
  'package main',
  '',
  'import "fmt"',
  '',
  'func sum(xs []int) int {',
  '\ttotal := 0',
  '\tfor _, x := range xs {',
  '\t\ttotal += x',
  '\t}',
  '\treturn total',
  '}',
  '',
  'func main() {',
  '\tfmt.Println(sum([]int{1, 2, 3}))',
  '}',
  '',
].join('\n');

test('gofmt behind the screen: the same fix as without it, most candidates never reach gofmt', { skip: !findTool('gofmt'), timeout: 120_000 }, async () => {
  const broken = GO.replace('range xs {', 'range xs ');
  const at = broken.indexOf('range xs ') + 9;
  const screened = await search(broken, 'go', 'go', at);
  const bare = (s?: string) => s?.replace(/\s+/g, '');
  assert.equal(bare(screened.r.fix?.fixed), bare(GO), screened.r.reason ?? screened.r.fix?.label);
  assert.match(screened.r.fix!.provenBy, /gofmt/, 'gofmt proved it, not tree-sitter');
  assert.ok((screened.trace?.screen?.keptOut ?? 0) > 0, 'the screen kept candidates out');
  const plain = await search(broken, 'go', 'go', at, { screen: undefined, screenEdits: undefined });
  assert.equal(plain.r.fix?.fixed, screened.r.fix?.fixed);
  assert.ok(screened.r.tried < plain.r.tried, `gofmt read fewer behind the screen (${screened.r.tried} < ${plain.r.tried})`);
});

test('screenRescue: a fix tree-sitter misreads (TypeScript 5 `export type *`) is still found by tsc', { timeout: 120_000 }, async (t) => {
  const prover = await proverFor('typescript');
  if (prover.kind !== 'native') return t.skip(`no TypeScript parser here (${prover.name})`);
  const original = "export type * from './types.js';\nexport const x = 1;\n";
  const [ok] = await prover.parse([original]);
  assert.equal(ok!.ok, true, 'tsc accepts the original');
  const [ts] = await treeSitterProver('typescript')!.parse([original]);
  assert.equal(ts!.ok, false, 'tree-sitter does not (so the screen keeps the right fix out)');
  const broken = original.replace("type * from", "type './slim.js' * from");
  const at = broken.indexOf("'./slim.js'");
  const rescued = await search(broken, 'typescript', 'typescript', at);
  assert.equal(rescued.r.fix?.fixed, original, rescued.r.reason ?? rescued.r.fix?.label);
  assert.ok((rescued.trace?.screen?.rescued ?? 0) > 0, 'found among what the screen kept out');
  const without = await search(broken, 'typescript', 'typescript', at, { screenRescue: false });
  assert.notEqual(without.r.fix?.fixed, original, 'without the rescue the screen alone would have lost it');
});

test('the cheap terms\' bound: candidates far behind a clean one are not read, and the same fix is offered', { timeout: 120_000 }, async () => {
  const prover = await proverFor('python');
  const text = 'def f(a, b):\n    return g(a b)\n\n\ndef h(x):\n    y = x + 1\n    return y * 2\n';
  const rank = async (docs: string[]) => docs.map((d) => (d.includes('g(a, b)') ? 0 : -5));
  const at = text.indexOf('a b') + 1;
  let trace: SyntaxSearchTrace | undefined;
  syntaxStudy.trace = (t) => { trace = t; };
  try {
    const bounded = await searchSyntaxFix({ text, codeType: 'python', target: { offset: at }, prover, rank });
    assert.equal(bounded.fix?.fixed, text.replace('g(a b)', 'g(a, b)'), bounded.reason);
    assert.ok((trace?.outranked ?? 0) > 0, 'some candidates were outranked');
    const read = bounded.tried;
    const open = await searchSyntaxFix({ text, codeType: 'python', target: { offset: at }, prover, rank, limits: { modelWithin: 1e9 } });
    assert.equal(trace?.outranked ?? 0, 0, 'with every candidate in reach of the model nothing is outranked');
    assert.equal(open.fix?.fixed, bounded.fix?.fixed);
    assert.ok(read < open.tried, `the bound read fewer (${read} < ${open.tried})`);
    // without the model the prior decides: no bound
    await searchSyntaxFix({ text, codeType: 'python', target: { offset: at }, prover });
    assert.equal(trace?.outranked ?? 0, 0);
  } finally {
    syntaxStudy.trace = undefined;
  }
});

// (tree-sitter's error recovery may place a rejected candidate's errors elsewhere when it reads it
// incrementally, as in Java here; whether a candidate parses is the same)
test('parseEdited: multi-line edits in Python, Go and Java: a fresh parse\'s acceptance (Python, Go: its errors too); endPoint matches the line starts', async () => {
  const texts: [string, string][] = [
    ['python', 'def f(x):\n    if x:\n        return 1\n    return 2\n\nclass A:\n    def g(self):\n        # note\n        pass\n'],
    ['go', GO],
    ['java', 'class A {\n  int f(int x) {\n    if (x > 0) {\n      return 1;\n    }\n    return 2;\n  }\n}\n'],
  ];
  for (const [grammar, original] of texts) {
    const broken = original.replace(/\n/, '\n\n').replace(/\)/, '');
    const anchor = { offset: broken.indexOf('(') + 2, hints: [')'] };
    const cands = [...proposeTokenEdits(broken, grammar, [anchor]).slice(0, 80)];
    // and edits that write and remove line breaks
    const nl = broken.indexOf('\n');
    cands.push({ fixed: broken.slice(0, nl) + '\n  \n' + broken.slice(nl), edits: [{ start: nl, end: nl, newText: '\n  \n' }], label: 'two lines', origin: 'token', prior: 0, size: 1 });
    cands.push({ fixed: broken.slice(0, nl) + broken.slice(nl + 2), edits: [{ start: nl, end: nl + 2, newText: '' }], label: 'join', origin: 'token', prior: 0, size: 1 });
    const fresh = await treeSitterProver(grammar)!.parse(cands.map((c) => c.fixed));
    const edited = await parseEdited(grammar, broken, cands);
    assert.deepEqual(edited.map((v) => v.ok), fresh.map((v) => v.ok), grammar);
    if (grammar !== 'java') assert.deepEqual(edited, fresh, grammar);
    assert.ok(fresh.some((v) => v.ok) && fresh.some((v) => !v.ok), `${grammar}: both kinds were read`);
    for (const c of cands) {
      const e = c.edits[0]!;
      const p = positionAt(lineStarts(broken), e.start);
      const want = positionAt(lineStarts(c.fixed), e.start + e.newText.length);
      assert.deepEqual(endPoint({ row: p.line, column: p.character }, c.fixed, e.start, e.start + e.newText.length), { row: want.line, column: want.character });
    }
  }
});

test('tree-sitter Python: a block with only a comment is still an empty block; one whose first child is a comment is not', async () => {
  const issues = (t: string) => withTree('python', t, (tree) => syntaxIssues(tree).map((i) => i.message));
  assert.deepEqual(await issues('def f():\n    # only a note\n\nx = 1\n'), ['missing indented block']);
  assert.deepEqual(await issues('def f():\n    # a note\n    return 1\n'), []);
  assert.deepEqual(await issues('def f():\n    return 1\n'), []);
});
