// Mutant schemata (repair/tests/schema.ts) and the screen that builds one and runs every variant
// (repair/tests/screen.ts), with the real go and cargo toolchains on small workspaces.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { buildSchema, findBody, returnsValue, variantsAt } from '../../language-server/src/repair/tests/schema';
import { compareOnTestMutants, errorLinesOf, screenCandidates } from '../../language-server/src/repair/tests/screen';
import { behaviourSignature, literalAlternatives, withTestMutants } from '../../language-server/src/repair/tests/test-mutants';
import { instrumentTests } from '../../language-server/src/repair/tests/call-mutants';
import { functionNameOf } from '../../language-server/src/repair/engine-paths';
import { cargoTargetDir, findTests, runTests, Scratch } from '../../language-server/src/repair/tests/index';
import { CLAMP_RS, planOf, tempWorkspace } from './helpers';

const temps: string[] = [];
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const workspace = (files: Record<string, string>): string => tempWorkspace(temps, 'treasure-screen-test-', files);

/** A Go module with package calc: calc/calc.go and its test file. */
const goWorkspace = (calc: string, test: string): string =>
  workspace({ 'go.mod': 'module example.com/calc\n\ngo 1.19\n', 'calc/calc.go': calc, 'calc/calc_test.go': test });

describe('schema text', () => {
  test('finds the body past types with braces, strings and comments in the declaration', () => {
    const go = 'package p\n\nfunc F(x interface{}) (r struct{ a int }) { // {\n\treturn\n}\n';
    const b = findBody(go, 3, 5, 'go')!;
    assert.equal(go.slice(b.open, b.open + 6), '{ // {');
    assert.equal(go[b.close], '}');
    assert.equal(go.slice(b.close), '}\n');
    const java = 'class A {\n  @Tag("x{")\n  int f(int[] a) {\n    return a[0];\n  }\n}\n';
    assert.equal(java.slice(findBody(java, 2, 5, 'java')!.open).split('\n')[0], '{');
    assert.equal(findBody('fn f() -> i32 {\n  1\n}\nfn g() {}\n', 1, 2, 'rust'), undefined, 'the region must end at its closing brace');
  });

  test('tells a function that returns a value from one that does not', () => {
    assert.equal(returnsValue('func (s *S) Add(x int) ', 'go'), false);
    assert.equal(returnsValue('func Add[T any](x T) (T, error) ', 'go'), true);
    assert.equal(returnsValue('fn f(x: &str) ', 'rust'), false);
    assert.equal(returnsValue('fn f<\'a>(x: &\'a str) -> &\'a str ', 'rust'), true);
    assert.equal(returnsValue('  public static void main(String[] a) ', 'java'), false);
    assert.equal(returnsValue('  public List<Integer> f(int n) ', 'java'), true);
    assert.equal(returnsValue('  public Solution(int n) ', 'java'), false, 'a constructor');
    assert.equal(returnsValue('std::vector<int> f(int n)', 'cpp'), true);
  });

  test('each candidate body is a variant on its own lines; a change outside the body is left out', () => {
    const orig = 'package p\n\nfunc F(x int) int {\n\treturn x + 1\n}\n\nfunc G() int { return 2 }\n';
    const good = orig.replace('x + 1', 'x - 1');
    const two = orig.replace('x + 1', 'x +\n\t\t2');
    const outside = orig.replace('return 2', 'return 3');
    const s = buildSchema('go', orig, [good, outside, two], 3, 5)!;
    assert.deepEqual(s.outside, [1]);
    assert.deepEqual(s.variants.map((v) => [v.id, v.candidate]), [[0, -1], [1, 0], [2, 2]]);
    const lines = s.text.split('\n');
    const text = (v: (typeof s.variants)[number]) => lines.slice(v.fromLine - 1, v.toLine).join('\n');
    assert.match(text(s.variants[0]!), /case "0":\n\t\t\{\n\treturn x \+ 1\n\}/);
    assert.match(text(s.variants[1]!), /return x - 1/);
    assert.match(text(s.variants[2]!), /return x \+\n\t\t2/);
    assert.match(s.text, /panic\("treasure: no such variant"\)\n\}\n\nfunc G\(\) int \{ return 2 \}\n$/);
    assert.deepEqual([...variantsAt(s, [s.variants[2]!.fromLine + 1, 1]).ids], [2]);
    assert.deepEqual(variantsAt(s, [1]).stray, [1]);
  });
});

const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
describe('screen: go', { skip: hasGo ? false : 'go is not installed (scripts/install-eval-toolchains.sh go)' }, () => {
  test('one build; the right fix passes, a wrong one fails, a loop is left to the proof, one that does not compile is broken, the copy is put back', async () => {
    const calc = 'package calc\n\nfunc Clamp(x, lo, hi int) int {\n\tif x < lo {\n\t\treturn lo\n\t}\n\tif x > hi {\n\t\treturn lo\n\t}\n\treturn x\n}\n\nfunc Twice(x int) int { return 2 * x }\n';
    const dir = goWorkspace(calc, 'package calc\n\nimport "testing"\n\nfunc TestInside(t *testing.T) {\n\tif Clamp(5, 0, 10) != 5 {\n\t\tt.Fatal("inside")\n\t}\n}\n\nfunc TestAbove(t *testing.T) {\n\tif got := Clamp(11, 0, 10); got != 10 {\n\t\tt.Fatalf("got %d, want 10", got)\n\t}\n}\n');
    const plan = planOf('calc/calc.go', dir);
    const s = Scratch.create(dir);
    try {
      const fix = calc.replace('return lo\n\t}\n\treturn x', 'return hi\n\t}\n\treturn x');
      const wrong = calc.replace('x < lo', 'x <= lo');
      const unused = calc.replace('\treturn x\n}', '\ty := 1\n\treturn x\n}');
      const loop = calc.replace('\tif x < lo {', '\tfor x >= 0 {\n\t}\n\tif x < lo {');
      const outside = calc.replace('2 * x', '3 * x');
      const r = await screenCandidates(plan, s, calc, [wrong, unused, fix, loop, outside], 3, 11, { targets: ['TestAbove'], timeoutMs: 5000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.deepEqual({ passed: r.passed, failed: r.failed, broken: r.broken, unscreened: r.unscreened }, { passed: [2], failed: [0], broken: [1], unscreened: [3, 4] });
      assert.equal(r.builds, 2, 'the unused variable costs one more build, not one per candidate');
      assert.equal(readFileSync(s.path('calc/calc.go'), 'utf8'), calc, 'the scratch copy is as it was');
      const again = await runTests(plan, s, { trusted: true, timeoutMs: 60000 });
      assert.deepEqual(again.failed.map((f) => f.name), ['TestAbove']);
    } finally {
      s.dispose();
    }
  });

  test('a schema that passes where the original fails is no screen', async () => {
    const calc = 'package calc\n\nfunc One() int {\n\treturn 1\n}\n';
    const dir = goWorkspace(calc, 'package calc\n\nimport "testing"\n\nfunc TestOne(t *testing.T) {\n\tif One() != 1 {\n\t\tt.Fatal("one")\n\t}\n}\n');
    const plan = planOf('calc/calc.go', dir);
    const s = Scratch.create(dir);
    try {
      const r = await screenCandidates(plan, s, calc, [calc.replace('return 1', 'return 2')], 3, 5, { targets: ['TestOne'], timeoutMs: 5000 });
      assert.ok('none' in r);
      assert.match(r.none, /original passes/);
    } finally {
      s.dispose();
    }
  });
});

const hasCargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0;
describe('screen: cargo', { skip: hasCargo ? false : 'cargo is not installed (scripts/install-eval-toolchains.sh)' }, () => {
  test('one build of every variant; a type error is broken, the right fix passes', async () => {
    const lib = CLAMP_RS;
    const dir = workspace({ 'Cargo.toml': '[package]\nname = "clampy"\nversion = "0.1.0"\nedition = "2021"\n', 'src/lib.rs': lib });
    const plan = planOf('src/lib.rs', dir);
    temps.push(cargoTargetDir(plan.root));
    const s = Scratch.create(dir);
    try {
      const fix = lib.replace('return lo;\n    }\n    x', 'return hi;\n    }\n    x');
      const wrong = lib.replace('x < lo', 'x <= lo');
      const typeError = lib.replace('    x\n}', '    "x"\n}');
      const r = await screenCandidates(plan, s, lib, [typeError, wrong, fix], 1, 9, { targets: ['tests::above'], timeoutMs: 10000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.deepEqual({ passed: r.passed, failed: r.failed, broken: r.broken }, { passed: [2], failed: [1], broken: [0] });
      assert.equal(readFileSync(s.path('src/lib.rs'), 'utf8'), lib);
    } finally {
      s.dispose();
    }
  });
});

test('compiler error lines: gcc, javac, go and rustc, with the file told apart', () => {
  const out = [
    'In file included from examples.cpp:1:',
    'solution.cpp:12:5: error: expected ; before }',
    'solution.cpp:13:1: note: in expansion of',
    'examples.cpp:4:2: error: x was not declared',
    'Solution.java:20: error: cannot find symbol',
    './solution.go:7:3: y declared but not used',
    'warning: unused variable: `z`',
    '  --> src/solution.rs:3:9',
    'error[E0308]: mismatched types',
    '  --> src/solution.rs:30:9',
    'error: aborting due to 1 previous error',
  ].join('\n');
  const mine = (p: string) => /^(\.\/)?(solution\.(cpp|go)|Solution\.java|src\/solution\.rs)$/.test(p);
  assert.deepEqual(errorLinesOf(out, mine), [12, -1, 20, 7, 30]);
});

const hasJava = spawnSync('javac', ['-version'], { stdio: 'ignore' }).status === 0;
describe('screen: a verify command with a build command', { skip: hasJava ? false : 'javac is not installed' }, () => {
  test('java: javac once for every variant, java once per variant; the proof still builds and runs each fix alone', async () => {
    const sol = [
      'class Solution {',
      '    public int clamp(int x, int lo, int hi) {',
      '        if (x < lo) {',
      '            return lo;',
      '        }',
      '        if (x > hi) {',
      '            return lo;',
      '        }',
      '        return x;',
      '    }',
      '}',
      '',
    ].join('\n');
    const main = 'public class Main {\n    public static void main(String[] a) {\n        Solution s = new Solution();\n        if (s.clamp(5, 0, 10) != 5 || s.clamp(11, 0, 10) != 10) throw new AssertionError("clamp");\n    }\n}\n';
    const dir = workspace({ 'Solution.java': sol, 'Main.java': main });
    const p = findTests('Solution.java', dir, { trusted: true, verifyCommand: 'java -ea -cp out Main', verifyBuild: 'javac -d out Solution.java Main.java' });
    assert.ok('kind' in p);
    assert.equal(p.describe, 'javac -d out Solution.java Main.java && java -ea -cp out Main');
    const s = Scratch.create(dir);
    try {
      const base = await runTests(p, s, { trusted: true, timeoutMs: 60000 });
      assert.deepEqual(base.failed.map((f) => f.name), ['verify command'], 'build && command: the original fails');
      const fix = sol.replace('return lo;\n        }\n        return x;', 'return hi;\n        }\n        return x;');
      const wrong = sol.replace('x < lo', 'x <= lo');
      const typeError = sol.replace('return x;', 'return "x";');
      const r = await screenCandidates(p, s, sol, [typeError, wrong, fix], 2, 10, { targets: ['verify command'], timeoutMs: 20000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.deepEqual({ passed: r.passed, failed: r.failed, broken: r.broken, builds: r.builds }, { passed: [2], failed: [1], broken: [0], builds: 2 });
      assert.equal(readFileSync(s.path('Solution.java'), 'utf8'), sol);
      s.write('Solution.java', fix);
      const proof = await runTests(p, s, { trusted: true, timeoutMs: 60000 });
      assert.deepEqual(proof.passed, ['verify command'], 'the fix alone: built and run');
    } finally {
      s.dispose();
    }
  });

  test('c++: g++ once, each variant run from the one binary', { skip: spawnSync('g++', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'g++ is not installed' }, async () => {
    const sol = '#include <vector>\nusing namespace std;\nint total(vector<int> v) {\n    int s = 0;\n    for (int i = 1; i < (int)v.size(); i++) s += v[i];\n    return s;\n}\n';
    const ex = '#include "solution.cpp"\n#include <cassert>\nint main() { assert(total({1, 2, 3}) == 6); }\n';
    const dir = workspace({ 'solution.cpp': sol, 'examples.cpp': ex });
    const p = findTests('solution.cpp', dir, { trusted: true, verifyCommand: './examples', verifyBuild: 'g++ -o examples examples.cpp' });
    assert.ok('kind' in p);
    const s = Scratch.create(dir);
    try {
      const fix = sol.replace('int i = 1', 'int i = 0');
      const wrong = sol.replace('s += v[i]', 's -= v[i]');
      const r = await screenCandidates(p, s, sol, [wrong, fix, sol.replace('return s;', 'return t;')], 3, 7, { targets: ['verify command'], timeoutMs: 20000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.deepEqual({ passed: r.passed, failed: r.failed, broken: r.broken }, { passed: [1], failed: [0], broken: [2] });
    } finally {
      s.dispose();
    }
  });
});

describe('screen: go, every candidate broken', { skip: hasGo ? false : 'go is not installed' }, () => {
  test('all broken is an answer (none passes), not a failed screen', async () => {
    const calc = 'package calc\n\nfunc Two() int {\n\treturn 1\n}\n';
    const dir = goWorkspace(calc, 'package calc\n\nimport "testing"\n\nfunc TestTwo(t *testing.T) {\n\tif Two() != 2 {\n\t\tt.Fatal("two")\n\t}\n}\n');
    const plan = planOf('calc/calc.go', dir);
    const s = Scratch.create(dir);
    try {
      const r = await screenCandidates(plan, s, calc, [calc.replace('return 1', 'return "1"'), calc.replace('return 1', 'return []int(1)')], 3, 5, { targets: ['TestTwo'], timeoutMs: 5000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.deepEqual({ passed: r.passed, broken: r.broken, builds: r.builds }, { passed: [], broken: [0, 1], builds: 1 });
    } finally {
      s.dispose();
    }
  });
});

describe('test mutants', () => {
  test('each copy of a test moves one literal: a number plus one, a string one character shorter; names and format strings stay', () => {
    const go = 'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, x1) != 3.5 { // 9\n\t\tt.Fatalf("%d", Len("ab"))\n\t}\n}\n';
    const m = withTestMutants(go, 'go', 4)!;
    assert.deepEqual(m.names, ['TestAdd__treasure_m0', 'TestAdd__treasure_m1', 'TestAdd__treasure_m2']);
    assert.match(m.text, /func TestAdd__treasure_m0\(t \*testing\.T\) \{\n\tif Add\(3, x1\) != 3\.5 \{/);
    assert.match(m.text, /func TestAdd__treasure_m1\(t \*testing\.T\) \{\n\tif Add\(2, x1\) != 4\.5 \{ \/\/ 9\n\t\tt\.Fatalf\("%d", Len\("ab"\)\)/);
    assert.match(m.text, /func TestAdd__treasure_m2\(t \*testing\.T\) \{\n\tif Add\(2, x1\) != 3\.5 \{ \/\/ 9\n\t\tt\.Fatalf\("%d", Len\("a"\)\)/);
    assert.ok(m.text.startsWith(go.trimEnd()), 'the original tests stay as they were');
    const rs = 'pub fn f(x: i32) -> i32 { x }\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn one() {\n        assert_eq!(f(1), 1);\n    }\n}\n';
    const r = withTestMutants(rs, 'rust', 4)!;
    assert.deepEqual(r.names, ['one__treasure_m0', 'one__treasure_m1']);
    assert.match(r.text, /#\[test\]\n    fn one__treasure_m0\(\) \{\n        assert_eq!\(f\(2\), 1\);/);
    assert.match(r.text, /fn one__treasure_m1\(\) \{\n        assert_eq!\(f\(1\), 2\);\n    \}\n\}\n$/, 'inside the tests module');
  });

  test('a literal\'s alternatives: numbers moved, strings shortened, reversed, and changed at the end where a bound\'s fixes part', () => {
    const alts = (text: string, kind: 'number' | 'string') => literalAlternatives({ text, kind, start: 0, end: text.length } as Parameters<typeof literalAlternatives>[0]);
    assert.deepEqual(alts('3', 'number'), ['4', '2', '0', '6']);
    assert.deepEqual(alts('"aaa"', 'string'), ['"aa"', '"aaaa"', '"aa7"', '""', '"AAA"']);
    assert.deepEqual(alts('"ab1"', 'string'), ['"ab"', '"b1"', '"1ba"', '"ab11"', '"abZ"', '"aab1"', '""', '"AB1"']);
    assert.deepEqual(alts('"a\\n"', 'string'), [], 'an escape is left alone');
  });

  test('a signature keeps outcomes and values, not times or places', () => {
    const a = '=== RUN   TestX__treasure_m0\n    x_test.go:9: \n        \tError Trace:\tx_test.go:9\n        \tError:      \tNot equal: \n        \t            \texpected: 3\n        \t            \tactual  : 4\n--- FAIL: TestX__treasure_m0 (0.00s)\n';
    assert.equal(behaviourSignature(a, false), 'Error:      \tNot equal:\nexpected: 3\nactual  : 4\n--- FAIL: TestX__treasure_m0');
    assert.equal(behaviourSignature(a.replace('(0.00s)', '(0.03s)'), false), behaviourSignature(a, false));
    assert.notEqual(behaviourSignature(a.replace('actual  : 4', 'actual  : 5'), false), behaviourSignature(a, false));
  });
});

describe('mutants of go tests tell two fixes that pass apart', { skip: hasGo ? false : 'go is not installed' }, () => {
  test('x > 2 and x >= 3 agree on the tests and their mutants; x > 1 passes the tests and differs on a mutant', async () => {
    const src = 'package calc\n\nfunc Big(x int) bool {\n\treturn x > 5\n}\n';
    const dir = goWorkspace(src, 'package calc\n\nimport "testing"\n\nfunc TestBig(t *testing.T) {\n\tif !Big(3) {\n\t\tt.Fatalf("got %v", Big(3))\n\t}\n\tif Big(1) {\n\t\tt.Fatal("1")\n\t}\n}\n');
    const plan = planOf('calc/calc.go', dir);
    const s = Scratch.create(dir);
    try {
      const docs = [src.replace('x > 5', 'x > 2'), src.replace('x > 5', 'x >= 3'), src.replace('x > 5', 'x > 1')];
      const r = await compareOnTestMutants(plan, s, src, docs, 3, 5, { timeoutMs: 5000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.equal(r.signatures[0], r.signatures[1]);
      assert.notEqual(r.signatures[0], r.signatures[2], 'Big(2): false for x > 2, true for x > 1');
      assert.equal(readFileSync(s.path('calc/calc_test.go'), 'utf8').includes('treasure_m'), false, 'the copy is put back');
    } finally {
      s.dispose();
    }
  });
});

describe('recorded calls in the mutants of go and rust tests', () => {
  test('the literals moved are the call\'s arguments; each call in a copy prints its value; one copy runs the tests\' own inputs', () => {
    const go = 'package calc\n\nimport "testing"\n\nfunc TestSign(t *testing.T) {\n\tif Sign(5) <= 0 {\n\t\tt.Fatal("5")\n\t}\n\ta, b := Pair(2)\n\t_ = a + b\n}\n';
    const m = withTestMutants(go, 'go', 4, 'Sign', true)!;
    assert.deepEqual(m.names, ['TestSign__treasure_mr0', 'TestSign__treasure_m0', 'TestSign__treasure_m1', 'TestSign__treasure_m2', 'TestSign__treasure_m3'], 'only the argument 5 is moved, to 6, 4, 0 and 10 (0 is an expected bound)');
    assert.match(m.text, /^package calc\nimport treasure_fmt "fmt"\n/);
    assert.match(m.text, /func TestSign__treasure_m0\(t \*testing\.T\) \{\n\tif treasure_rec\(Sign\(6\)\) <= 0 \{/);
    assert.match(m.text, /func treasure_rec\[T any\]\(v T\) T \{/);
    const pair = withTestMutants(go, 'go', 4, 'Pair', true)!;
    assert.ok(pair.text.includes('a, b := Pair(3)') && !pair.text.includes('treasure_rec(Pair'), 'a call with several results is not wrapped');
    const table = 'package calc\n\nimport "testing"\n\nfunc TestTable(t *testing.T) {\n\tfor _, c := range []int{7} {\n\t\tif Sign(c) <= 0 {\n\t\t\tt.Fatal(c)\n\t\t}\n\t}\n}\n';
    assert.match(withTestMutants(table, 'go', 4, 'Sign', true)!.text, /range \[\]int\{8\}/, 'a table of cases: its literals move');
    const plain = withTestMutants(go, 'go', 4, 'Sign', false)!;
    assert.ok(!plain.text.includes('treasure_rec'), 'without recording: copies alone');
  });

  test('go: two fixes that pass and pass every moved input alike answer differently, and the recording tells them apart', { skip: hasGo ? false : 'go is not installed' }, async () => {
    const src = 'package calc\n\nfunc Sign(x int) int {\n\treturn -x\n}\n';
    const dir = goWorkspace(src, 'package calc\n\nimport "testing"\n\nfunc TestSign(t *testing.T) {\n\tif Sign(5) <= 0 {\n\t\tt.Fatal("5")\n\t}\n}\n');
    const plan = planOf('calc/calc.go', dir, { functionName: 'Sign' });
    const s = Scratch.create(dir);
    try {
      const docs = [src.replace('return -x', 'return x'), src.replace('return -x', 'return 1'), src.replace('return -x', 'return +x')];
      const r = await compareOnTestMutants(plan, s, src, docs, 3, 5, { timeoutMs: 5000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.equal(r.signatures[0], r.signatures[2]);
      assert.notEqual(r.signatures[0], r.signatures[1], 'Sign(5): 5 against 1, though both pass');
      assert.match(r.signatures[0]!, /treasure: 5/);
    } finally {
      s.dispose();
    }
  });

  test('rust: the same through cargo test (--nocapture)', { skip: hasCargo ? false : 'cargo is not installed' }, async () => {
    const lib = 'pub fn sign(x: i32) -> i32 {\n    -x\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn positive() {\n        assert!(sign(5) > 0);\n    }\n}\n';
    const dir = workspace({ 'Cargo.toml': '[package]\nname = "signs"\nversion = "0.1.0"\nedition = "2021"\n', 'src/lib.rs': lib });
    const plan = planOf('src/lib.rs', dir, { functionName: 'sign' });
    const s = Scratch.create(dir);
    try {
      const docs = [lib.replace('    -x\n', '    x\n'), lib.replace('    -x\n', '    1\n')];
      const r = await compareOnTestMutants(plan, s, lib, docs, 1, 3, { timeoutMs: 20000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.notEqual(r.signatures[0], r.signatures[1]);
      assert.match(r.signatures[0]!, /treasure: 5/);
    } finally {
      s.dispose();
    }
  });
});

describe('recorded calls of a verify command\'s tests (java, c++)', () => {
  test('the function\'s name, which the tests call, from its declaration', () => {
    assert.equal(functionNameOf(['    @Override', '    public List<Integer> sortArray(List<Integer> arr) {'], 0, 'java'), 'sortArray');
    assert.equal(functionNameOf(['vector<int> make_a_pile(int n){'], 0, 'cpp'), 'make_a_pile');
    assert.equal(functionNameOf(['  if (x) {'], 0, 'cpp'), undefined);
    assert.equal(functionNameOf(['def below_zero(ops):'], 0, 'python'), 'below_zero');
    assert.equal(functionNameOf(['const add = (a, b) => a + b;'], 0, 'javascript'), 'add');
  });

  test('each call of the function is wrapped and its literal arguments become mutants; a declaration is left alone', () => {
    const cpp = '#include "solution.cpp"\n#include <cassert>\nint total(vector<int> v);\nint main() {\n    assert(total({1, 2, 3}) == 6);\n    assert(total(vector<int>{total({4})}) == 4 && "x");\n}\n';
    const r = instrumentTests(cpp, 'cpp', 'total', 12)!;
    assert.equal(r.calls, 3);
    // 1 -> 2, 0; 2 -> 3, 1, 0, 4; 3 -> 4, 2, 0, 6; 4 -> 5, 3, 0, 8 (the literal 4 of a nested call once); 6 and "x" are no arguments
    assert.equal(instrumentTests(cpp, 'cpp', 'total', 100)!.mutants, 14);
    assert.equal(r.mutants, 12);
    assert.ok(r.text.includes('assert(treasure_rec(total({(treasure_mutant() == 0 ? 2 : treasure_mutant() == 4 ? 0 : 1), (treasure_mutant() == 1 ? 3 : treasure_mutant() == 5 ? 1 : '), r.text);
    assert.ok(r.text.includes('int total(vector<int> v);'), 'the declaration is not a call');
    const shift = r.text.split('\n').length - cpp.split('\n').length;
    assert.deepEqual(r.lines, [5 + shift, 6 + shift]);
    const skipped = instrumentTests(cpp, 'cpp', 'total', 12, new Set([5 + shift]))!;
    assert.equal(skipped.calls, 2, 'a line a compiler rejected keeps no edit');

    const java = 'import java.util.*;\npublic class Main {\n    public static void main(String[] args) {\n        Solution s = new Solution();\n        if (!new Solution().f(Arrays.asList("ab", "c")).equals(s.f(List.of()))) throw new AssertionError();\n    }\n}\n';
    const j = instrumentTests(java, 'java', 'f', 12)!;
    assert.equal(j.text.split('\n').length, java.split('\n').length, 'no line moves');
    assert.ok(j.text.includes('Main.treasure_rec(new Solution().f(Arrays.asList((Main.treasure_mutant == 0 ? "a" : Main.treasure_mutant == 2 ? "b" : Main.treasure_mutant == 4 ? "ba" : Main.treasure_mutant == 6 ? "abb" : Main.treasure_mutant == 8 ? "a7" : Main.treasure_mutant == 9 ? "aab" : Main.treasure_mutant == 10 ? "" : Main.treasure_mutant == 11 ? "AB" : "ab"), (Main.treasure_mutant == 1 ? "" : Main.treasure_mutant == 3 ? "cc" : Main.treasure_mutant == 5 ? "7" : Main.treasure_mutant == 7 ? "C" : "c"))))'), j.text);
    assert.ok(j.text.includes('.equals(Main.treasure_rec(s.f(List.of())))'));
    assert.ok(j.text.includes('public static void treasure_main0(String[] args)') && j.text.includes('Main.treasure_main0(treasure_args)'));
    assert.equal(instrumentTests(java.replace('static void main', 'static void start'), 'java', 'f'), undefined, 'no main to drive the mutants');
  });

  const hasGpp = spawnSync('g++', ['--version'], { stdio: 'ignore' }).status === 0;
  test('c++: a fix and a rival that pass the tests answer a moved input differently; an equal rewrite agrees', { skip: hasGpp ? false : 'g++ is not installed' }, async () => {
    const sol = '#include <vector>\nusing namespace std;\nint total(vector<int> v) {\n    int s = 0;\n    for (int i = 1; i < (int)v.size(); i++) s += v[i];\n    return s;\n}\n';
    const ex = '#include "solution.cpp"\n#include <cassert>\nint main() { assert(total({1, 2, 3}) == 6); }\n';
    const dir = workspace({ 'solution.cpp': sol, 'examples.cpp': ex });
    const p = findTests('solution.cpp', dir, { trusted: true, verifyCommand: './examples', verifyBuild: 'g++ -std=c++17 -w -o examples examples.cpp', functionName: 'total' });
    assert.ok('kind' in p);
    const s = Scratch.create(dir);
    try {
      const fix = sol.replace('int i = 1', 'int i = 0');
      const same = sol.replace('int i = 1', 'int i = 0').replace('i++', '++i');
      const rival = sol.replace('int s = 0', 'int s = 1');
      const r = await compareOnTestMutants(p, s, sol, [fix, same, rival], 3, 7, { timeoutMs: 5000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.equal(r.signatures[0], r.signatures[1]);
      assert.notEqual(r.signatures[0], r.signatures[2], 'total({2, 2, 3}): 7 for the fix, 6 for the rival');
      assert.ok(r.signatures[0]!.startsWith('#-1\n6\npassed'), r.signatures[0]);
      assert.equal(readFileSync(s.path('examples.cpp'), 'utf8'), ex, 'the copy is put back');
    } finally {
      s.dispose();
    }
  });

  test('c++: a rival that agrees wherever the input ends as the tests\' does is told apart by an input whose end differs', { skip: hasGpp ? false : 'g++ is not installed' }, async () => {
    // HumanEvalFix CPP/18's trap: counting from 1 over one window too few equals counting every window when the last one matches
    const sol = '#include <string>\nusing namespace std;\nint count(string s, string t) {\n    int out = 0;\n    for (int i = 0; i < (int)s.size() - (int)t.size(); i++) if (s.substr(i, t.size()) == t) out += 1;\n    return out;\n}\n';
    const ex = '#include "solution.cpp"\n#include <cassert>\nint main() { assert(count("aaa", "a") == 3); }\n';
    const dir = workspace({ 'solution.cpp': sol, 'examples.cpp': ex });
    const p = findTests('solution.cpp', dir, { trusted: true, verifyCommand: './examples', verifyBuild: 'g++ -std=c++17 -w -o examples examples.cpp', functionName: 'count' });
    assert.ok('kind' in p);
    const s = Scratch.create(dir);
    try {
      const fix = sol.replace('i < (int)s.size()', 'i <= (int)s.size()');
      const rival = sol.replace('int out = 0', 'int out = 1');
      const r = await compareOnTestMutants(p, s, sol, [fix, rival], 2, 7, { timeoutMs: 5000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.notEqual(r.signatures[0], r.signatures[1], 'count("aa7", "a"): 2 for the fix, 3 for the rival');
    } finally {
      s.dispose();
    }
  });

  test('java: one JVM runs every mutant; a rival that returns the tests\' constant is told apart', { skip: hasJava ? false : 'javac is not installed' }, async () => {
    const sol = 'class Solution {\n    public int clamp(int x, int lo, int hi) {\n        if (x < lo) {\n            return lo;\n        }\n        if (x > hi) {\n            return lo;\n        }\n        return x;\n    }\n}\n';
    const main = 'public class Main {\n    public static void main(String[] a) {\n        Solution s = new Solution();\n        if (s.clamp(5, 0, 10) != 5 || s.clamp(15, 0, 10) != 10) throw new AssertionError("clamp");\n    }\n}\n';
    const dir = workspace({ 'Solution.java': sol, 'Main.java': main });
    const p = findTests('Solution.java', dir, { trusted: true, verifyCommand: 'java -ea -cp out Main', verifyBuild: 'javac -d out Solution.java Main.java', functionName: 'clamp' });
    assert.ok('kind' in p);
    const s = Scratch.create(dir);
    try {
      const fix = sol.replace('return lo;\n        }\n        return x;', 'return hi;\n        }\n        return x;');
      const rival = sol.replace('return lo;\n        }\n        return x;', 'return 10;\n        }\n        return x;');
      const r = await compareOnTestMutants(p, s, sol, [fix, rival], 2, 10, { timeoutMs: 20000 });
      assert.ok(!('none' in r), 'none' in r ? r.none : '');
      assert.ok(r.signatures[0]!.startsWith('mutant -1\n5\n10\nok\nmutant 0'), r.signatures[0]);
      assert.notEqual(r.signatures[0], r.signatures[1], 'clamp(15, 0, 11): 11 for the fix, 10 for the rival');
      assert.equal(readFileSync(s.path('Main.java'), 'utf8'), main);
    } finally {
      s.dispose();
    }
  });
});
