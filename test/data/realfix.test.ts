// The real-fix data (models/data/realfix, issue 28): which release pairs count as patch pairs, how a
// tarball is read, and which changed functions become small-edit pairs (innermost function, 1-3 lines,
// code not layout, no version bump), and how a pair becomes the buggy and the fixed document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patchPairs, parseVersion } from '../../models/data/realfix/versions';
import { fileSkipReason, functionPairs, hunkOf, isTestPath, languageOfPath, smallEditReason } from '../../models/data/realfix/pairs';
import { untar } from '../../models/data/realfix/registry';
import { applyFilePatch, isFixPatch, parseDep3, parseUnifiedDiff } from '../../models/data/realfix/patches';
import { buggyAndFixed, splitOf } from '../../models/data/realfix/rank';
import { packageNames } from '../../models/data/realfix/collect';
import type { Manifest } from '../../models/data/corpus/types';

test('patch pairs: x.y.z -> x.y.(z+1) of plain releases, newest first, capped; gaps, prereleases and 0.0.x are no pairs', () => {
  const versions = ['0.0.1', '0.0.2', '1.0.0', '1.0.1', '1.0.3', '1.0.4', '1.1.0-beta.1', '1.1.0', '1.1.1', '2.0.0', '2.0.1-rc.1', '2.0.1'];
  assert.deepEqual(patchPairs(versions, 10), [
    { from: '2.0.0', to: '2.0.1' }, { from: '1.1.0', to: '1.1.1' }, { from: '1.0.3', to: '1.0.4' }, { from: '1.0.0', to: '1.0.1' },
  ]);
  assert.deepEqual(patchPairs(versions, 2).map((p) => p.to), ['2.0.1', '1.1.1']);
  assert.equal(parseVersion('1.2.3-alpha'), null);
  assert.deepEqual(parseVersion('10.20.30'), { major: 10, minor: 20, patch: 30 });
});

test('untar reads a real npm-style tarball: files under package/, the path filter applied', () => {
  const dir = mkdtempSync(join(tmpdir(), 'realfix-tar-'));
  try {
    mkdirSync(join(dir, 'package', 'lib'), { recursive: true });
    writeFileSync(join(dir, 'package', 'package.json'), '{"name":"x","license":"MIT"}');
    writeFileSync(join(dir, 'package', 'lib', 'a.js'), 'module.exports = 1;\n');
    writeFileSync(join(dir, 'package', 'README.md'), '# x\n');
    execFileSync('tar', ['-czf', join(dir, 'x.tgz'), '-C', dir, 'package']);
    const files = untar(readFileSync(join(dir, 'x.tgz')), (p) => p.endsWith('.js') || p === 'package.json');
    assert.deepEqual([...files.keys()].sort(), ['lib/a.js', 'package.json']);
    assert.equal(files.get('lib/a.js'), 'module.exports = 1;\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paths: JavaScript/TypeScript sources only, no declaration files, build output or minified files; tests marked', () => {
  const limits = { maxFileBytes: 262144, minFileBytes: 64, maxLineLength: 1000, maxMeanLineLength: 100, maxPackageBytes: 5e7 };
  const code = 'function add(a, b) {\n  return a + b;\n}\nmodule.exports = { add };\n';
  assert.equal(languageOfPath('src/a.mjs'), 'javascript');
  assert.equal(languageOfPath('src/a.tsx'), 'typescript');
  assert.equal(languageOfPath('index.d.ts'), null);
  assert.equal(languageOfPath('README.md'), null);
  assert.equal(fileSkipReason('src/add.js', code, limits), null);
  assert.equal(fileSkipReason('dist/add.js', code, limits), 'build_output');
  assert.equal(fileSkipReason('add.min.js', code, limits), 'lock_or_data_name');
  assert.equal(fileSkipReason('lib/add.js', `${code}//# sourceMappingURL=add.js.map\n`, limits), 'minified');
  assert.ok(isTestPath('test/add.js') && isTestPath('src/add.spec.ts') && !isTestPath('src/testing.js'));
});

test('the hunk and the small-edit rule: 1-3 lines of code in a function of at most 40 lines, not a formatter edit', () => {
  assert.deepEqual(hunkOf(['a', 'b', 'c', 'd'], ['a', 'B', 'c', 'd']), { prefix: 1, removed: 1, added: 1 });
  assert.deepEqual(hunkOf(['a', 'd'], ['a', 'b', 'c', 'd']), { prefix: 1, removed: 0, added: 2 });
  const fn = ['function f(x) {', '  return x + 1;', '}'];
  assert.equal(smallEditReason(fn, ['function f(x) {', '  return x - 1;', '}'], 'javascript'), null);
  assert.equal(smallEditReason(fn, ['function f(x) {', '  return x+1; // one more', '}'], 'javascript'), 'layout_or_comment');
  assert.equal(smallEditReason(['function v() {', "  return '1.2.3';", '}'], ['function v() {', "  return '1.2.4';", '}'], 'javascript'), 'version_string');
  assert.equal(smallEditReason(fn, ['function f(x) {', '  a();', '  b();', '  c();', '  return x;', '}'], 'javascript'), 'big_edit');
  assert.equal(smallEditReason(['function f(t) {', '  return t.a === "x" && (t.b / 2);', '}'], ['function f(t) {', "  return t.a === 'x' && t.b / 2;", '}'], 'javascript'), 'formatting');
  assert.equal(smallEditReason(['function f(a, b, c) {', '  return (a + b) * c;', '}'], ['function f(a, b, c) {', '  return a + b * c;', '}'], 'javascript'), null);
  const long = ['function f(x) {', ...Array.from({ length: 40 }, (_, i) => `  x += ${i};`), '}'];
  assert.equal(smallEditReason(long, long.map((l) => l.replace('+= 3;', '-= 3;')), 'javascript'), 'long_function');
});

test('function pairs: the innermost changed function, matched by its first line; big and layout changes counted, not kept', async () => {
  const before = [
    'function outer(list) {',
    '  function inner(x) {',
    '    return x > 0;',
    '  }',
    '  return list.filter(inner);',
    '}',
    '',
    'function g(a) {',
    '  return a + 1;',
    '}',
    '',
    'function h(s) {',
    '  return s.trim();',
    '}',
    '',
  ].join('\n');
  const after = before.replace('x > 0', 'x >= 0').replace('a + 1', 'a+1').replace('s.trim()', 's.trim()\n    .toLowerCase()\n    .split(",")\n    .join(";")\n    .trim()');
  const reasons: Record<string, number> = {};
  const pairs = await functionPairs(before, after, 'javascript', reasons);
  assert.equal(pairs.length, 1);
  assert.equal(pairs[0]!.startLine, 1); // inner, not outer
  assert.equal(pairs[0]!.endLine, 3);
  assert.equal(pairs[0]!.hunkLine, 2);
  assert.equal(pairs[0]!.before, '  function inner(x) {\n    return x > 0;\n  }');
  assert.equal(pairs[0]!.after, '  function inner(x) {\n    return x >= 0;\n  }');
  assert.deepEqual(reasons, { changed: 3, layout_or_comment: 1, big_edit: 1 });
  assert.deepEqual(await functionPairs(before, before, 'javascript'), []);
  // a method replaced under the same annotation is no pair (matched by its header, not by `@Override`)
  const java = (name: string, body: string) => `class A {\n  @Override\n  public String ${name}() {\n    return ${body};\n  }\n}\n`;
  assert.deepEqual(await functionPairs(java('getUser', 'user'), java('getQuery', 'query'), 'java'), []);
  assert.equal((await functionPairs(java('getUser', 'user'), java('getUser', 'user.name'), 'java')).length, 1);
});

test('a pair as documents: the old file, and the old file with the function replaced (line breaks normalised)', () => {
  const doc = 'const a = 1;\r\nfunction f(x) {\r\n  return x > 0;\r\n}\r\nmodule.exports = f;\r\n';
  const { buggy, fixed } = buggyAndFixed({ doc, startLine: 1, endLine: 3, after: 'function f(x) {\n  if (x == null) return false;\n  return x > 0;\n}' });
  assert.equal(buggy, 'const a = 1;\nfunction f(x) {\n  return x > 0;\n}\nmodule.exports = f;\n');
  assert.equal(fixed, 'const a = 1;\nfunction f(x) {\n  if (x == null) return false;\n  return x > 0;\n}\nmodule.exports = f;\n');
});

test('split by package: stable, about the asked share in valid; package names from the list and the manifest', () => {
  const names = Array.from({ length: 2000 }, (_, i) => `pkg-${i}`);
  const valid = names.filter((n) => splitOf(n, 0.1, 28) === 'valid').length;
  assert.ok(valid > 140 && valid < 260, `valid ${valid}`);
  assert.equal(splitOf('lodash', 0.1, 28), splitOf('lodash', 0.1, 28));
  const manifest = { sources: [{ kind: 'npm', packages: ['@babel/parser@8.1.2', 'lodash@4.17.21'] }, { kind: 'deb', packages: ['bash'] }] } as unknown as Manifest;
  assert.deepEqual(packageNames('# comment\nlodash\n\nms\n', manifest), ['lodash', 'ms', '@babel/parser']);
});

test('Debian patches: DEP-3 fix or packaging; a unified diff from diff -u applied in memory, with an offset, or refused', () => {
  const fix = parseDep3('Description: Fix off-by-one in the buffer length\n it read one byte too many\nBug-Debian: https://bugs.debian.org/1\nAuthor: A\n---\n--- a/x.c\n+++ b/x.c\n');
  assert.equal(fix.bug, true);
  assert.match(fix.description, /^Fix off-by-one in the buffer length it read one byte too many$/);
  assert.equal(isFixPatch(fix), true);
  assert.equal(isFixPatch(parseDep3('Description: Fix FTBFS with GCC 12\nBug-Debian: https://bugs.debian.org/2\n')), false);
  assert.equal(isFixPatch(parseDep3('Subject: Use the system zlib\n')), false);
  assert.equal(isFixPatch(parseDep3('Description: GSSAPI key exchange support\nBug-Debian: https://bugs.debian.org/3\n')), false);
  assert.equal(isFixPatch(parseDep3('Description: CVE-2025-1234\nBug-Debian: https://bugs.debian.org/4\n')), true);
  const dir = mkdtempSync(join(tmpdir(), 'realfix-diff-'));
  try {
    const old = Array.from({ length: 30 }, (_, i) => `line ${i};`);
    const neu = [...old];
    neu[10] = 'line 10 fixed;';
    neu.splice(20, 0, 'added;');
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'a', 'x.c'), old.join('\n') + '\n');
    writeFileSync(join(dir, 'b', 'x.c'), neu.join('\n') + '\n');
    const r = (() => { try { return execFileSync('diff', ['-u', 'a/x.c', 'b/x.c'], { cwd: dir }).toString(); } catch (e) { return (e as { stdout: Buffer }).stdout.toString(); } })();
    const [fp] = parseUnifiedDiff(`Description: fix\n---\n${r}`);
    assert.equal(fp!.newPath, 'x.c');
    assert.equal(fp!.hunks.length, 2);
    assert.equal(applyFilePatch(old.join('\n') + '\n', fp!), neu.join('\n') + '\n');
    // three lines more at the top (an earlier patch): found with an offset
    assert.equal(applyFilePatch(['x;', 'y;', 'z;', ...old].join('\n') + '\n', fp!), ['x;', 'y;', 'z;', ...neu].join('\n') + '\n');
    assert.equal(applyFilePatch(old.map((l) => l.replace('10', 'ten')).join('\n'), fp!), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
