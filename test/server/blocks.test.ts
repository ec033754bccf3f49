// Where Generate Code stops: the block the prompt opened (or the first one the answer opens) is finished.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockEndRule, braceScan } from '../../language-server/src/blocks';

const cut = (codeType: string, prompt: string, text: string) => {
  const rule = blockEndRule(codeType, prompt);
  assert.ok(rule, `a rule for ${codeType}`);
  const at = rule(text);
  return at === undefined ? undefined : text.slice(0, at);
};

test('python: a prompt inside a def ends at the first line back out of the body', () => {
  const prompt = 'import math\n\ndef area(r):\n    """Area of a circle."""\n';
  assert.equal(cut('python', prompt, '    a = math.pi * r ** 2\n\n    return a\n\ndef other():\n    pass\n'), '    a = math.pi * r ** 2\n\n    return a\n\n');
  assert.equal(cut('python', prompt, '    return 1\n'), undefined, 'the body may go on');
  // a method: the class body is not the end, the method's is
  const method = 'class A:\n    def f(self):\n        """Doc."""\n';
  assert.equal(cut('python', method, '        return 1\n    def g(self):\n'), '        return 1\n');
});

test('python: after a request comment, one whole definition (imports and decorators before it kept)', () => {
  const prompt = '# Utilities.\n\n\n# Return the n-th Fibonacci number, iteratively.';
  const text = 'import functools\n@functools.cache\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\nprint(fib(10))\n';
  assert.equal(cut('python', prompt, text), text.replace('print(fib(10))\n', ''));
  assert.equal(cut('python', prompt, 'import functools\nimport math\n'), undefined, 'no body yet: go on');
  // an indented request (inside a class): the method's body ends at the class level
  assert.equal(cut('python', 'class A:\n    x = 1\n    # Double x.', '    def double(self):\n        return self.x * 2\n    def other(self):\n'), '    def double(self):\n        return self.x * 2\n');
});

test('brace languages: the prompt\'s open braces closed, strings and comments skipped', () => {
  const java = 'class Solution {\n    public int f(String s) {\n';
  const body = '        if (s.equals("}")) { return 1; } // }\n        return 0;\n    }\n}\nclass Extra {}\n';
  assert.equal(cut('java', java, body), body.replace('class Extra {}\n', ''));
  assert.equal(cut('java', java, '        return 0;\n    }\n'), undefined, 'the class is still open');
  assert.equal(cut('javascript', 'const f = (s) => {\n', '  const t = `}` + \'{\';\n  return t;\n};\nconsole.log(f(1));\n'), '  const t = `}` + \'{\';\n  return t;\n};\n');
  assert.equal(cut('rust', "fn f<'a>(s: &'a str) -> char {\n", "    let c = '{';\n    c\n}\nfn main() {}\n"), "    let c = '{';\n    c\n}\n");
});

test('brace languages at top level: the first block that spans lines, not braces within a line', () => {
  const text = "import { a } from 'b';\nfunction g(x) {\n  return a(x);\n}\nfunction h() {}\n";
  assert.equal(cut('javascript', '// g applies a.', text), "import { a } from 'b';\nfunction g(x) {\n  return a(x);\n}\n");
  assert.equal(cut('go', '// Sum adds.', 'func Sum(a, b int) int { return a + b }\n'), undefined, 'a one-line function spans no lines: go on');
  assert.equal(braceScan('go', 'import (\n "math"\n)\nfunc F() int {\n').depth, 1);
});

test('languages without a rule: none (the token limit, the length guard and the loop check still hold)', () => {
  assert.equal(blockEndRule('ruby', 'def f\n'), undefined);
  assert.equal(blockEndRule('haskell', 'f x = '), undefined);
});

test('python: a request comment inside a function: statements, until the function ends', () => {
  const prompt = 'def f(items):\n    items = list(items)\n    # Sort them.';
  assert.equal(cut('python', prompt, '    items.sort()\n    for x in items:\n        print(x)\n    return items\ndef g():\n'), '    items.sort()\n    for x in items:\n        print(x)\n    return items\n');
  assert.equal(blockEndRule('python', 'x = 1\ny = 2'), undefined, 'plain continuation of top-level code');
});
