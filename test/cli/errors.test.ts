// bin/treasure's errors and limits as a user meets them: with --json every error is one JSON object
// on stdout; a long single expression neither crashes nor prints a stack trace; limits are named.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../language-server/src/paths';

const root = repoRoot();
const sample = (f: string) => join(root, 'test/fixtures/samples', f);
const tmp = mkdtempSync(join(tmpdir(), 'treasure-cli-errors-'));

function treasure(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/treasure'), ...args], { encoding: 'utf8', cwd: root });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('--json: every error is one JSON object {error, code} on stdout, nothing on stderr, exit 2', () => {
  writeFileSync(join(tmp, 'big.py'), Buffer.alloc(4 * 1024 * 1024 + 1, 'a'));
  writeFileSync(join(tmp, 'bin.py'), Buffer.from([0x64, 0x00, 0x01]));
  const cases: [string[], string, RegExp][] = [
    [['frob', '--json'], 'usage', /unknown command "frob"/],
    [['fix', '--line', 'x', '--json'], 'usage', /--line expects a line number/], // bad argument before the file
    [['--json'], 'usage', /no command given/],
    [['generate', '--json'], 'usage', /needs --language/],
    [['fix', join(tmp, 'missing.py'), '--json'], 'bad_input', /no such file/],
    [['fix', join(tmp, 'bin.py'), '--json'], 'bad_input', /binary file/],
    [['markers', join(tmp, 'big.py'), '--json'], 'bad_input', /too large: 4194305 bytes, the limit is 4 MiB \(4194304 bytes\)/],
    [['markers', sample('missing_colon.py'), '--line', '99', '--json'], 'bad_input', /--line 99 is out of range .* has 10 lines/],
    [['fix', sample('missing_colon.py'), '--marker', 'nope=1', '--json'], 'bad_input', /nope/],
    [['fix', sample('missing_colon.py'), '--model', tmp, '--json'], 'model', /model\.onnx/],
  ];
  for (const [args, code, re] of cases) {
    const r = treasure(...args);
    const what = args.join(' ');
    assert.equal(r.status, 2, `${what}: exit ${r.status}`);
    assert.equal(r.stderr, '', `${what}: stderr ${r.stderr}`);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `${what}: ${r.stdout}`);
    const o = JSON.parse(lines[0]!) as { error: string; code: string };
    assert.deepEqual(Object.keys(o).sort(), ['code', 'error']);
    assert.equal(o.code, code, what);
    assert.match(o.error, re, what);
  }
  // without --json: the same reason on stderr, nothing on stdout
  const plain = treasure('markers', join(tmp, 'big.py'));
  assert.equal(plain.status, 2);
  assert.equal(plain.stdout, '');
  assert.match(plain.stderr, /^treasure: .*too large: 4194305 bytes, the limit is 4 MiB/);
});

test('a 10 KB single expression: markers and fix answer (no stack overflow, no stack trace)', () => {
  const expr = Array.from({ length: 5000 }, () => '1').join('+');
  writeFileSync(join(tmp, 'expr.py'), `x = ${expr}\n`);
  writeFileSync(join(tmp, 'expr-error.py'), `x = ${expr} +\n`); // a syntax error at its end
  writeFileSync(join(tmp, 'fn.py'), `def f(a):\n    return ${expr.replaceAll('1', 'a')}\n`);
  const m = treasure('markers', join(tmp, 'expr.py'), '--json');
  assert.equal(m.status, 0, m.stderr);
  assert.equal((JSON.parse(m.stdout) as { region: unknown }).region, null);
  const me = treasure('markers', join(tmp, 'expr-error.py'), '--json');
  assert.equal(me.status, 0, me.stderr);
  assert.deepEqual(JSON.parse(me.stdout).markers.error_type, 'syntax_error');
  for (const f of ['expr-error.py', 'fn.py']) {
    // the region is one or two lines of 10 KB: more tokens than the model's context holds
    const r = treasure('fix', join(tmp, f), '--json');
    assert.equal(r.status, 1, `${f}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr, '');
    const o = JSON.parse(r.stdout) as { fixed: unknown; reason: string };
    assert.equal(o.fixed, null);
    assert.match(o.reason, /too long for the model's context of \d+ tokens/);
    const plain = treasure('fix', join(tmp, f));
    assert.equal(plain.status, 1);
    assert.doesNotMatch(plain.stderr, /RangeError|\n\s+at /);
  }
});

test('a function of 200 KB, past what any tokenization could fit, is refused with the context size named', () => {
  const body = Array.from({ length: 12_000 }, (_, i) => `    a${i} = a + ${i}\n`).join('');
  writeFileSync(join(tmp, 'long-fn.py'), `def big(a):\n${body}    return a\n`);
  const r = treasure('fix', join(tmp, 'long-fn.py'), '--json');
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match((JSON.parse(r.stdout) as { reason: string }).reason, /the region \(lines 1-12002\) is too long for the model's context of 2048 tokens/);
});
