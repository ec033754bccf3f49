// The proof suite's workspaces for Go, Rust, Java and C++ (eval/suites/proof-workspaces.ts): the Rust
// visible test cut from the hidden one, the module's body line, and, with the real toolchains, that the
// visible test fails on the buggy solution and passes on the canonical one through the same command or
// runner the product uses (Go: go test in GOPATH mode; Java, C++: the verify command).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadProblems, type HepLanguage } from '../../eval/humanevalpack.js';
import { humanEvalPackDir } from '../../eval/paths.js';
import { assertCount, goEnvironment, rustExamples, rustStatements, writeCompiledWorkspace } from '../../eval/suites/proof-workspaces.js';

const dataDir = humanEvalPackDir();
const field = (lang: string, i: number, k: string) => (JSON.parse(readFileSync(join(dataDir, `${lang}.jsonl`), 'utf8').split('\n')[i]!) as Record<string, string>)[k]!;

test('rust: the visible test is the hidden test\'s statements up to its k-th assert (k from the Python examples)', () => {
  assert.deepEqual(rustStatements('let a = "x;y";\n assert!(f(a, [1; 3]));\n// c;\nassert_eq!(g(), 2);'), ['let a = "x;y";', 'assert!(f(a, [1; 3]));', '// c;\nassert_eq!(g(), 2);']);
  const k = assertCount(field('python', 0, 'example_test'));
  assert.equal(k, 2);
  const ex = rustExamples(field('rust', 0, 'test'), k);
  assert.equal((ex.match(/assert_eq!/g) ?? []).length, 2);
  assert.match(ex, /^use super::\*;\n\n#\[test\]\nfn examples\(\) \{\n    assert_eq!\(has_close_elements\(vec!\[11\.0/);
  assert.equal(rustExamples(field('rust', 0, 'test'), 0), 'use super::*;\n\n#[test]\nfn examples() {\n}\n');
});

const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const tools: Record<string, boolean> = { go: has('go', ['version']), java: has('javac', ['-version']), cpp: has('g++', ['--version']) };

for (const lang of ['go', 'java', 'cpp'] as HepLanguage[]) {
  test(`${lang}: the module holds the document at the body line; the visible test fails on the buggy code, passes on the canonical`, { skip: tools[lang] ? false : `${lang} toolchain missing` }, async () => {
    const p = loadProblems(dataDir, lang, 1)[0]!;
    const run = async (buggy: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'treasure-pw-test-'));
      try {
        const ws = await writeCompiledWorkspace(dir, { ...p, buggy }, field(lang, 0, 'example_test'));
        const first = buggy.split('\n').find((l) => l.trim())!;
        assert.equal(ws.text.split('\n')[ws.line], first);
        assert.equal(readFileSync(join(dir, ws.module), 'utf8'), ws.text);
        const env = { ...process.env };
        goEnvironment(env);
        const r = lang === 'go' ? spawnSync('go', ['test', '-count=1', './'], { cwd: dir, env, encoding: 'utf8' }) : spawnSync('sh', ['-c', ws.verifyBuild ? `${ws.verifyBuild} && ${ws.verifyCommand}` : ws.verifyCommand!], { cwd: dir, encoding: 'utf8' });
        return r.status;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    assert.notEqual(await run(p.buggy), 0);
    assert.equal(await run(p.canonical), 0);
  });
}

test('no fix offered: "examples pass" only when the tests ran and pass, not the model\'s "nothing to fix" after tests that did not run', async () => {
  const { outcomeWithoutFix } = await import('../../eval/suites/proof.js');
  assert.equal(outcomeWithoutFix('the tests pass (go: 1 passed): nothing to fix'), 'examples_pass');
  assert.equal(outcomeWithoutFix('the model returned the code unchanged: it finds nothing to fix (the tests did not run before any change: # _/tmp/x)'), 'no_fix');
  assert.equal(outcomeWithoutFix('2 different fixes pass t and they disagree beyond the tests (f(1)): unverified, not offered'), 'ambiguous');
  assert.equal(outcomeWithoutFix(undefined), 'no_fix');
});
