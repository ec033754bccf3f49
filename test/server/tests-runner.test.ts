// The test-running and localization layer (language-server/src/repair/tests/) with real pytest and
// real `node --test` on the fixture workspaces under test/fixtures/workspaces/ and on small
// workspaces written to a temp folder for the bad cases (hang, fork, flood, delete, flaky, network).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  cargoTargetDir,
  disposeWarmPools,
  findTests,
  localize,
  proveCandidates,
  rankLines,
  runProcess,
  runTests,
  Scratch,
  substitute,
  testCandidatesOf,
  TestSession,
  UntrustedWorkspaceError,
  WarmPool,
  type TestPlan,
} from '../../language-server/src/repair/tests/index';
import { CLAMP_RS, planOf, tempWorkspace } from './helpers';
import { testEnv } from '../../language-server/src/repair/tests/env';

// The fixtures need no pytest plugins; whatever this machine has installed (hypothesis costs ~1 s a
// start) would only slow every run down. The product itself loads the user's plugins.
process.env.PYTEST_DISABLE_PLUGIN_AUTOLOAD = '1';

const FIXTURES = join(__dirname, '..', 'fixtures', 'workspaces');
const PY = join(FIXTURES, 'py-classify');
const JS = join(FIXTURES, 'js-clamp');
const hasPytest = spawnSync('python3', ['-c', 'import pytest'], { stdio: 'ignore' }).status === 0;
const noPytest = hasPytest ? false : 'python3 -m pytest is not installed (scripts/install-repair-test-tools.sh)';

const temps: string[] = [];
after(() => {
  disposeWarmPools();
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const workspace = (files: Record<string, string>): string => tempWorkspace(temps, 'treasure-ws-test-', files);

/** Gone: no such process, or a zombie waiting for its reaper (it runs nothing). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

const readPids = (f: string) => readFileSync(f, 'utf8').trim().split(/\s+/).map(Number);

// A test that starts a child (the fork) and then loops forever; both pids go to $PID_FILE.
const HANG_TEST = `
import os, subprocess
def test_hangs():
    child = subprocess.Popen(['sleep', '60'])
    with open(os.environ['PID_FILE'], 'w') as f:
        f.write(f"{os.getpid()} {child.pid}")
    while True:
        pass
`;

describe('findTests', () => {
  test('a Python module: pytest over the test files that import it', { skip: noPytest }, () => {
    const p = planOf('classify.py', PY);
    assert.equal(p.kind, 'pytest');
    assert.deepEqual(p.testFiles, ['tests/test_classify.py', 'tests/test_mean.py']);
  });

  test('a JavaScript module: node --test over the node:test files that require it', () => {
    const p = planOf('lib/clamp.js', JS);
    assert.equal(p.kind, 'node');
    assert.deepEqual(p.testFiles, ['test/clamp.test.js']);
  });

  test('a workspace without tests says so', { skip: noPytest }, () => {
    const dir = workspace({ 'mod.py': 'def f():\n    return 1\n' });
    const p = findTests('mod.py', dir, { trusted: true });
    assert.ok('none' in p);
    assert.match(p.none, /no Python tests/);
    const js = workspace({ 'a.js': 'module.exports = 1;\n' });
    const q = findTests('a.js', js, { trusted: true });
    assert.ok('none' in q);
  });

  test('treasure.verify.command wins, placeholders filled in with the scratch copy (shell-quoted)', () => {
    const p = planOf('classify.py', PY, { verifyCommand: "check ${file} ${function} ${workspaceFolder} ${unknown}" });
    assert.equal(p.kind, 'command');
    const s = Scratch.create(PY);
    try {
      const cmd = substitute(p.command!, { ...p, functionName: "it's" }, s);
      assert.equal(cmd, `check '${s.root}/classify.py' 'it'\\''s' '${s.root}' \${unknown}`);
    } finally {
      s.dispose();
    }
  });

  test('untrusted: nothing is looked at or run, and the message says why', async () => {
    assert.throws(() => findTests('classify.py', PY, { trusted: false }), UntrustedWorkspaceError);
    assert.throws(() => new WarmPool({ python: 'python3', trusted: false }), UntrustedWorkspaceError);
    const plan: TestPlan = { kind: 'command', root: PY, file: 'classify.py', testFiles: [], command: 'touch /tmp/never', describe: '' };
    const s = Scratch.create(PY);
    try {
      await assert.rejects(runTests(plan, s, { trusted: false }), /not trusted, so none of its tests or commands are run/);
      await assert.rejects(localize(plan, s, { trusted: false, file: 'classify.py', fromLine: 1, toLine: 9 }), UntrustedWorkspaceError);
      const base = { runner: 'command' as const, passed: [], failed: [], skipped: [], errors: [], timedOut: false, cancelled: false, exitCode: 1, ms: 0, outputTail: '', summary: '' };
      await assert.rejects(proveCandidates(plan, [], base, { trusted: false }), UntrustedWorkspaceError);
    } finally {
      s.dispose();
    }
  });
});

describe('Scratch', () => {
  test('copies sources, links node_modules, skips .git, writes only the copy', () => {
    const dir = workspace({ 'a.py': 'x = 1\n', '.git/HEAD': 'ref\n', 'node_modules/m/index.js': '', 'sub/b.txt': 'b' });
    const s = Scratch.create(dir);
    try {
      assert.equal(readFileSync(join(s.root, 'sub/b.txt'), 'utf8'), 'b');
      assert.ok(!existsSync(join(s.root, '.git')));
      assert.ok(existsSync(join(s.root, 'node_modules/m/index.js')));
      s.write('a.py', 'x = 2\n');
      assert.equal(readFileSync(join(dir, 'a.py'), 'utf8'), 'x = 1\n');
      assert.throws(() => s.write('node_modules/m/index.js', 'bad'), /linked dependency folder/);
      assert.throws(() => s.write('../outside.py', ''), /outside the workspace/);
    } finally {
      s.dispose();
    }
    assert.ok(!existsSync(s.root));
  });

  test('links: an absolute link into the workspace points into the copy; writing a linked file replaces the link', () => {
    const dir = workspace({ 'real.py': 'x = 1\n', 'data/a.txt': 'a' });
    symlinkSync(join(dir, 'data', 'a.txt'), join(dir, 'abs-link.txt'));
    symlinkSync('real.py', join(dir, 'mod.py'));
    const s = Scratch.create(dir);
    try {
      assert.equal(readlinkSync(join(s.root, 'abs-link.txt')), join(s.root, 'data', 'a.txt'));
      writeFileSync(join(s.root, 'abs-link.txt'), 'changed by a test');
      assert.equal(readFileSync(join(dir, 'data', 'a.txt'), 'utf8'), 'a');
      s.write('mod.py', 'x = 2\n');
      assert.equal(readFileSync(join(dir, 'real.py'), 'utf8'), 'x = 1\n');
      assert.equal(readFileSync(join(s.root, 'mod.py'), 'utf8'), 'x = 2\n');
    } finally {
      s.dispose();
    }
  });

  test('reset puts the copy back as it was made: written, deleted, created files and folders, links', () => {
    const dir = workspace({ 'a.py': 'x = 1\n', 'sub/b.txt': 'b', 'sub/deep/c.txt': 'c', 'node_modules/m/index.js': '' });
    symlinkSync('a.py', join(dir, 'link.py'));
    const s = Scratch.create(dir);
    const tree = (root: string): string[] => {
      const out: string[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          const rel = p.slice(root.length + 1);
          if (e.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(p)}`);
          else if (e.isDirectory()) (out.push(`${rel}/`), walk(p));
          else out.push(`${rel}: ${readFileSync(p, 'utf8')}`);
        }
      };
      walk(root);
      return out.sort();
    };
    try {
      const before = tree(s.root);
      s.write('a.py', 'x = 2\n');
      writeFileSync(join(s.root, 'sub/b.txt'), 'B'); // same size, new mtime
      rmSync(join(s.root, 'sub/deep'), { recursive: true });
      mkdirSync(join(s.root, 'new/dir'), { recursive: true });
      writeFileSync(join(s.root, 'new/dir/junk.txt'), 'junk');
      rmSync(join(s.root, 'link.py'));
      writeFileSync(join(s.root, 'link.py'), 'not a link');
      rmSync(join(s.root, 'node_modules'));
      assert.ok(s.reset() >= 6);
      assert.deepEqual(tree(s.root), before);
      assert.equal(s.reset(), 0);
    } finally {
      s.dispose();
    }
  });

  test('a workspace over the size cap is refused with a clear error; files over 1 MB are linked, not copied', () => {
    const dir = workspace({ 'a.txt': 'x'.repeat(200_000), 'b.txt': 'y'.repeat(200_000) });
    assert.throws(() => Scratch.create(dir, { maxBytes: 300_000 }), /too large to copy for running tests/);
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(2 << 20));
    rmSync(join(dir, 'b.txt'));
    const s = Scratch.create(dir, { maxBytes: 300_000 });
    try {
      assert.equal(readlinkSync(join(s.root, 'weights.bin')), join(dir, 'weights.bin'));
      assert.equal(s.bytes, 200_000);
    } finally {
      s.dispose();
    }
  });
});

describe('runTests: pytest', { skip: noPytest }, () => {
  test('reads the failure: test id, assertion, expected/actual, traceback line', async () => {
    const plan = planOf('classify.py', PY);
    const s = Scratch.create(PY);
    try {
      const r = await runTests(plan, s, { trusted: true });
      assert.equal(r.summary, 'pytest: 5 passed, 1 failed');
      assert.ok(r.passed.includes('tests/test_mean.py::MeanTest::test_mean'));
      const [f] = r.failed;
      assert.equal(f!.name, 'tests/test_classify.py::test_ten_is_small');
      assert.match(f!.message, /^AssertionError: assert 'large' == 'small'/);
      assert.equal(f!.actual, "'large'");
      assert.equal(f!.expected, "'small'");
      assert.deepEqual(f!.traceback.at(-1), { file: 'tests/test_classify.py', line: 17 });
      // only the failing test again
      const again = await runTests(plan, s, { trusted: true, only: [f!.name] });
      assert.deepEqual(again.passed, []);
      assert.deepEqual(again.failed.map((x) => x.name), [f!.name]);
    } finally {
      s.dispose();
    }
  });

  test('an exception: its line in the module under test is in the traceback; unittest != gives expected/actual', async () => {
    const dir = workspace({
      'calc.py': 'def div(a, b):\n    return a / b\n',
      'test_calc.py': 'import unittest\nfrom calc import div\n\ndef test_div():\n    assert div(1, 0) == 0\n\nclass T(unittest.TestCase):\n    def test_eq(self):\n        self.assertEqual(div(4, 2), 3)\n',
    });
    const plan = planOf('calc.py', dir);
    const s = Scratch.create(dir);
    try {
      const r = await runTests(plan, s, { trusted: true });
      const div = r.failed.find((f) => f.name === 'test_calc.py::test_div')!;
      assert.match(div.message, /^ZeroDivisionError: division by zero/);
      assert.deepEqual(div.traceback, [{ file: 'test_calc.py', line: 5 }, { file: 'calc.py', line: 2 }]);
      const eq = r.failed.find((f) => f.name === 'test_calc.py::T::test_eq')!;
      assert.equal(eq.actual, '2.0');
      assert.equal(eq.expected, '3');
    } finally {
      s.dispose();
    }
  });

  test('a module that does not import is an error, not a pass', async () => {
    const dir = workspace({ 'm.py': 'def f(:\n', 'test_m.py': 'from m import f\n\ndef test_f():\n    assert f()\n' });
    const s = Scratch.create(dir);
    try {
      const r = await runTests(planOf('m.py', dir), s, { trusted: true });
      assert.equal(r.passed.length, 0);
      assert.equal(r.errors.length, 1);
      assert.match(r.errors[0]!, /SyntaxError/);
    } finally {
      s.dispose();
    }
  });

  test('a hanging test that forked: killed at the time limit with its whole process group', async () => {
    const dir = workspace({ 'm.py': 'x = 1\n', 'test_m.py': `from m import x\n${HANG_TEST}` });
    const pidFile = join(dir, 'pids.txt');
    const s = Scratch.create(dir);
    try {
      // 5 s: a new pytest process on a loaded machine takes seconds before the test starts
      const r = await runTests(planOf('m.py', dir), s, { trusted: true, timeoutMs: 5000, env: { PID_FILE: pidFile } });
      assert.equal(r.timedOut, true);
      assert.equal(r.failed[0]?.name, 'test_m.py::test_hangs');
      assert.equal(r.failed[0]?.timedOut, true);
      for (const pid of readPids(pidFile)) assert.ok(await waitFor(() => gone(pid), 1000), `pid ${pid} still runs`);
    } finally {
      s.dispose();
    }
  });

  test('cancellation: every child is gone within 200 ms of the abort', async () => {
    const dir = workspace({ 'm.py': 'x = 1\n', 'test_m.py': `from m import x\n${HANG_TEST}` });
    const pidFile = join(dir, 'pids.txt');
    const s = Scratch.create(dir);
    try {
      const ctl = new AbortController();
      const running = runTests(planOf('m.py', dir), s, { trusted: true, timeoutMs: 60000, signal: ctl.signal, env: { PID_FILE: pidFile } });
      assert.ok(await waitFor(() => existsSync(pidFile) && readPids(pidFile).length === 2, 20000), 'the test never started');
      const pids = readPids(pidFile);
      ctl.abort();
      const t0 = Date.now();
      assert.ok(await waitFor(() => pids.every(gone), 200), `still running ${Date.now() - t0} ms after the abort: ${pids.filter((p) => !gone(p))}`);
      const r = await running;
      assert.equal(r.cancelled, true);
    } finally {
      s.dispose();
    }
  });

  test('a test that deletes files changes only the scratch copy', async () => {
    const dir = workspace({
      'm.py': 'x = 1\n',
      'data.txt': 'keep me',
      'test_m.py': 'import os, shutil\nfrom m import x\n\ndef test_wipes():\n    os.remove("data.txt")\n    os.remove("m.py")\n    open("new.txt", "w").write("junk")\n',
    });
    const s = Scratch.create(dir);
    try {
      const r = await runTests(planOf('m.py', dir), s, { trusted: true });
      assert.deepEqual(r.passed, ['test_m.py::test_wipes']);
      assert.ok(!existsSync(join(s.root, 'data.txt')));
      assert.equal(readFileSync(join(dir, 'data.txt'), 'utf8'), 'keep me');
      assert.ok(existsSync(join(dir, 'm.py')));
      assert.ok(!existsSync(join(dir, 'new.txt')));
    } finally {
      s.dispose();
    }
  });
});

describe('the warm pytest worker', { skip: noPytest }, () => {
  test('runs candidates in one process: the module under test is reloaded from each scratch copy', async () => {
    const plan = planOf('classify.py', PY);
    const pool = new WarmPool({ python: 'python3', size: 1, trusted: true });
    const text = readFileSync(join(PY, 'classify.py'), 'utf8');
    try {
      const summaries: string[] = [];
      for (const cond of ['n < 10', 'n <= 10', 'n < 10']) {
        const s = Scratch.create(PY);
        s.write('classify.py', text.replace('n < 10', cond));
        try {
          summaries.push((await runTests(plan, s, { trusted: true, warm: pool })).summary);
        } finally {
          s.dispose();
        }
      }
      assert.deepEqual(summaries, ['pytest: 5 passed, 1 failed', 'pytest: 6 passed', 'pytest: 5 passed, 1 failed']);
      assert.equal(pool.pids().length, 1);
    } finally {
      pool.dispose();
    }
  });

  test('a hang kills the worker with its group; the next run starts a fresh one; a stray daemon is killed', async () => {
    const dir = workspace({
      'm.py': 'x = 1\n',
      'test_m.py': `from m import x\n${HANG_TEST}`,
      'test_ok.py': 'import os, subprocess\nfrom m import x\n\ndef test_ok():\n    p = subprocess.Popen(["sleep", "60"])\n    open(os.environ["PID_FILE"], "w").write(str(p.pid))\n',
    });
    const pidFile = join(dir, 'pids.txt');
    const plan = planOf('m.py', dir);
    const pool = new WarmPool({ python: 'python3', size: 1, trusted: true });
    const s = Scratch.create(dir);
    try {
      const hang = await runTests(plan, s, { trusted: true, warm: pool, only: ['test_m.py::test_hangs'], timeoutMs: 3000, env: { PID_FILE: pidFile } });
      assert.equal(hang.timedOut, true);
      assert.equal(hang.failed[0]?.name, 'test_m.py::test_hangs');
      for (const pid of readPids(pidFile)) assert.ok(await waitFor(() => gone(pid), 1000), `pid ${pid} still runs`);
      const ok = await runTests(plan, s, { trusted: true, warm: pool, only: ['test_ok.py::test_ok'], env: { PID_FILE: pidFile } });
      assert.deepEqual(ok.passed, ['test_ok.py::test_ok']);
      const [daemon] = readPids(pidFile);
      assert.ok(await waitFor(() => gone(daemon!), 1000), 'the daemon a test left survived the run');
      assert.equal(pool.pids().length, 1); // the worker itself lives on
    } finally {
      s.dispose();
      pool.dispose();
    }
  });
  test('a suite that ends the worker process falls back to a new process', async () => {
    const dir = workspace({ 'm.py': 'x = 1\n', 'test_m.py': 'import os, sys\nfrom m import x\n\ndef test_exits_in_worker():\n    if sys.argv[0].endswith("worker.py"):\n        os._exit(1)\n' });
    const pool = new WarmPool({ python: 'python3', size: 1, trusted: true });
    const s = Scratch.create(dir);
    try {
      const r = await runTests(planOf('m.py', dir), s, { trusted: true, warm: pool });
      assert.deepEqual([r.passed, r.errors], [['test_m.py::test_exits_in_worker'], []]);
    } finally {
      s.dispose();
      pool.dispose();
    }
  });
});

describe('runTests: node --test', () => {
  test('reads the failure: suite path, expected/actual, stack line', async () => {
    const plan = planOf('lib/clamp.js', JS);
    const s = Scratch.create(JS);
    try {
      const r = await runTests(plan, s, { trusted: true });
      assert.equal(r.summary, 'node: 3 passed, 1 failed');
      const [f] = r.failed;
      assert.equal(f!.name, 'test/clamp.test.js > upper bound > above the bound');
      assert.equal(f!.actual, '0');
      assert.equal(f!.expected, '10');
      assert.deepEqual(f!.traceback.at(-1), { file: 'test/clamp.test.js', line: 19 });
      const only = await runTests(plan, s, { trusted: true, only: [f!.name, 'test/clamp.test.js > inside the range'] });
      assert.deepEqual(only.passed, ['test/clamp.test.js > inside the range']);
      assert.deepEqual(only.failed.map((x) => x.name), [f!.name]);
      // a module that does not load: an error, not a pass
      s.write('lib/clamp.js', 'function clamp(x, lo, hi) {\n  return x;\n');
      const broken = await runTests(plan, s, { trusted: true });
      assert.equal(broken.passed.length, 0);
      assert.match(broken.errors.join('\n'), /SyntaxError/);
    } finally {
      s.dispose();
    }
  });
});

const hasCargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0;
describe('runTests: cargo test', { skip: hasCargo ? false : 'cargo is not installed (scripts/install-eval-toolchains.sh)' }, () => {
  test('reads failures: assert_eq! left/right, the panic place and backtrace frames in the crate; a compile error is an error', async () => {
    const lib = CLAMP_RS;
    const dir = workspace({ 'rs/Cargo.toml': '[package]\nname = "clampy"\nversion = "0.1.0"\nedition = "2021"\n', 'rs/src/lib.rs': lib });
    const plan = planOf('rs/src/lib.rs', dir);
    assert.deepEqual([plan.kind, plan.cwd], ['cargo', 'rs']);
    temps.push(cargoTargetDir(plan.root)); // the build folder goes with the workspace
    const s = Scratch.create(dir);
    try {
      const r = await runTests(plan, s, { trusted: true, timeoutMs: 180000 });
      assert.deepEqual(r.passed, ['tests::inside']);
      const [f] = r.failed;
      assert.equal(f!.name, 'tests::above');
      assert.deepEqual([f!.actual, f!.expected], ['0', '10']);
      assert.match(f!.message, /^assertion `left == right` failed/);
      assert.deepEqual(f!.traceback.at(-1), { file: 'rs/src/lib.rs', line: 20 });
      s.write('rs/src/lib.rs', lib.replace('    x\n}', '    x +\n}'));
      const broken = await runTests(plan, s, { trusted: true, timeoutMs: 180000 });
      assert.equal(broken.passed.length + broken.failed.length, 0);
      assert.match(broken.errors.join('\n'), /^error/);
    } finally {
      s.dispose();
    }
  });
});

const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
describe('runTests: go test', { skip: hasGo ? false : 'go is not installed (scripts/install-eval-toolchains.sh go)' }, () => {
  test('reads failures: got/want, the t.Errorf line, a panic\'s frames in the workspace; -run selects', async () => {
    const dir = workspace({
      'svc/go.mod': 'module example.com/svc\n\ngo 1.19\n',
      'svc/calc/calc.go': 'package calc\n\nfunc Clamp(x, lo, hi int) int {\n\tif x < lo {\n\t\treturn lo\n\t}\n\tif x > hi {\n\t\treturn lo\n\t}\n\treturn x\n}\n\nfunc At(a []int, i int) int {\n\treturn a[i]\n}\n',
      'svc/calc/calc_test.go': [
        'package calc',
        '',
        'import "testing"',
        '',
        'func TestInside(t *testing.T) {',
        '\tif got := Clamp(5, 0, 10); got != 5 {',
        '\t\tt.Errorf("got %d, want %d", got, 5)',
        '\t}',
        '}',
        '',
        'func TestAbove(t *testing.T) {',
        '\tif got := Clamp(11, 0, 10); got != 10 {',
        '\t\tt.Errorf("got %d, want %d", got, 10)',
        '\t}',
        '}',
        '',
        'func TestPanics(t *testing.T) {',
        '\tAt(nil, 1)',
        '}',
        '',
      ].join('\n'),
    });
    const plan = planOf('svc/calc/calc.go', dir);
    assert.deepEqual([plan.kind, plan.cwd, plan.goPackage], ['go', 'svc', './calc']);
    const s = Scratch.create(dir);
    try {
      const r = await runTests(plan, s, { trusted: true, timeoutMs: 180000 });
      assert.deepEqual(r.passed, ['TestInside']);
      const above = r.failed.find((f) => f.name === 'TestAbove')!;
      assert.deepEqual([above.actual, above.expected], ['0', '10']);
      assert.deepEqual(above.traceback, [{ file: 'svc/calc/calc_test.go', line: 13 }]);
      const panics = r.failed.find((f) => f.name === 'TestPanics')!;
      assert.match(panics.message, /^panic: runtime error: index out of range \[1\] with length 0/);
      assert.deepEqual(panics.traceback, [{ file: 'svc/calc/calc_test.go', line: 18 }, { file: 'svc/calc/calc.go', line: 14 }]);
      const only = await runTests(plan, s, { trusted: true, timeoutMs: 180000, only: ['TestAbove'] });
      assert.deepEqual([only.passed, only.failed.map((f) => f.name)], [[], ['TestAbove']]);
    } finally {
      s.dispose();
    }
  });
});

describe('generic commands', () => {
  test('output is capped: the tail is kept, the rest counted', async () => {
    const r = await runProcess(['/bin/sh', '-c', 'head -c 5000000 /dev/zero | tr "\\0" x; echo END'], { cwd: tmpdir(), env: testEnv(), timeoutMs: 20000, outputCap: 65536 });
    assert.equal(r.exitCode, 0);
    assert.equal(r.outputBytes, 5_000_004);
    assert.equal(r.output.length, 65536);
    assert.ok(r.output.endsWith('xxxEND\n'));
  });

  test('a command that fails to start is an error; one that leaves a daemon holding the pipe still returns, daemon killed', async () => {
    const bad = await runProcess(['/no/such/runner'], { cwd: tmpdir(), env: testEnv(), timeoutMs: 5000 });
    assert.match(bad.spawnError ?? '', /ENOENT/);
    const dir = workspace({ 'f.txt': '' });
    const pidFile = join(dir, 'daemon.pid');
    const r = await runProcess(['/bin/sh', '-c', `sleep 60 & echo $! > ${pidFile}; exit 0`], { cwd: dir, env: testEnv(), timeoutMs: 20000 });
    assert.equal(r.exitCode, 0);
    assert.equal(r.timedOut, false);
    const [daemon] = readPids(pidFile);
    assert.ok(await waitFor(() => gone(daemon!), 1000), 'the daemon survived');
  });

  test('the environment drops secrets, keeps PATH', () => {
    process.env.TREASURE_TEST_API_TOKEN = 'x';
    try {
      const env = testEnv();
      assert.equal(env.TREASURE_TEST_API_TOKEN, undefined);
      assert.equal(env.PATH, process.env.PATH);
      assert.equal(env.PYTHONDONTWRITEBYTECODE, '1');
    } finally {
      delete process.env.TREASURE_TEST_API_TOKEN;
    }
  });
});

describe('localize', () => {
  test('Ochiai by hand', () => {
    const cov = new Map([['f', new Set([1, 2, 3])], ['p1', new Set([1, 2])], ['p2', new Set([1])]]);
    const lines = rankLines(cov, new Set(['f']), new Set(), 1, 3);
    assert.deepEqual(lines.map((l) => [l.line, l.score]), [[3, 1], [2, 0.7071], [1, 0.5774]]);
  });

  test('pytest (sys.settrace spectrum): the buggy line is in the top 3', { skip: noPytest }, async () => {
    const s = Scratch.create(PY);
    const pool = new WarmPool({ python: 'python3', size: 1, trusted: true });
    try {
      const loc = await localize(planOf('classify.py', PY), s, { trusted: true, file: 'classify.py', fromLine: 1, toLine: 9 });
      assert.equal(loc.report.failed.length, 1);
      const top3 = loc.lines.slice(0, 3).map((l) => l.line);
      assert.ok(top3.includes(7), `top 3: ${top3}`);
      const seven = loc.lines.find((l) => l.line === 7)!;
      assert.deepEqual([seven.ef, seven.ep], [1, 2]); // run by test_ten_is_small, test_small and test_large
      // the same spectrum from a warm worker, twice (the tracer is set per session, not per process)
      for (let i = 0; i < 2; i++) {
        const warm = await localize(planOf('classify.py', PY), s, { trusted: true, file: 'classify.py', fromLine: 1, toLine: 9, warm: pool });
        assert.deepEqual(warm.lines, loc.lines);
      }
    } finally {
      s.dispose();
      pool.dispose();
    }
  });

  test('node:test (V8 block counts per test, in one run; or one run per test): the buggy line is first', async () => {
    const s = Scratch.create(JS);
    try {
      const loc = await localize(planOf('lib/clamp.js', JS), s, { trusted: true, file: 'lib/clamp.js', fromLine: 3, toLine: 11 });
      assert.equal(loc.report.summary, 'node: 3 passed, 1 failed');
      assert.equal(loc.lines[0]?.line, 8);
      assert.deepEqual([loc.lines[0]!.ef, loc.lines[0]!.ep], [1, 0]);
      const perTest = await localize(planOf('lib/clamp.js', JS), s, { trusted: true, file: 'lib/clamp.js', fromLine: 3, toLine: 11, nodeCoverage: 'per-test' });
      assert.deepEqual(perTest.lines, loc.lines);
    } finally {
      s.dispose();
    }
  });

  test('node:test over two test files, a test that spawns node: per-test spectra, and the child does not record', async () => {
    const dir = workspace({
      'sum.js': 'exports.sum = (xs) => {\n  let s = 0;\n  for (let i = 1; i < xs.length; i++) {\n    s += xs[i];\n  }\n  return s;\n};\nexports.one = (x) => x;\n',
      'test/a.test.js': "const test = require('node:test');\nconst assert = require('node:assert');\nconst { sum } = require('../sum');\ntest('sums', () => assert.equal(sum([1, 2]), 3));\n",
      'test/b.test.js': "const test = require('node:test');\nconst assert = require('node:assert');\nconst { execFileSync } = require('node:child_process');\nconst { one, sum } = require('../sum');\ntest('one', () => assert.equal(one(2), 2));\ntest('empty', () => assert.equal(sum([]), 0));\ntest('spawns', () => { execFileSync(process.execPath, ['-e', 'require(\"./sum\").one(1)']); });\n",
    });
    const plan = planOf('sum.js', dir);
    assert.deepEqual(plan.testFiles, ['test/a.test.js', 'test/b.test.js']);
    const s = Scratch.create(dir);
    try {
      const loc = await localize(plan, s, { trusted: true, file: 'sum.js', fromLine: 1, toLine: 7 });
      assert.deepEqual(loc.report.failed.map((f) => f.name), ['test/a.test.js > sums']);
      assert.deepEqual(loc.report.passed.sort(), ['test/b.test.js > empty', 'test/b.test.js > one', 'test/b.test.js > spawns']);
      const byLine = new Map(loc.lines.map((l) => [l.line, l]));
      assert.deepEqual([byLine.get(4)!.ef, byLine.get(4)!.ep], [1, 0]); // s += xs[i]: only the failing test
      assert.deepEqual([byLine.get(2)!.ef, byLine.get(2)!.ep], [1, 1]); // let s = 0: also 'empty'
      assert.ok(loc.lines.slice(0, 3).some((l) => l.line === 3), 'the loop header is in the top 3');
    } finally {
      s.dispose();
    }
  });
});

describe('proveCandidates', () => {
  const pyText = readFileSync(join(PY, 'classify.py'), 'utf8');
  const variant = (cond: string) => new Map([['classify.py', pyText.replace('if n < 10:', `if ${cond}:`)]]);

  test('pytest: the best-ranked candidate that passes wins; wrong ones are reported with why', { skip: noPytest }, async () => {
    const plan = planOf('classify.py', PY);
    const s = Scratch.create(PY);
    const baseline = await runTests(plan, s, { trusted: true });
    s.dispose();
    const candidates = [
      { id: 'gt', files: variant('n > 10') },
      { id: 'eq', files: variant('n == 10') },
      { id: 'lt100', files: variant('n < 100') },
      { id: 'le10', files: variant('n <= 10') },
      { id: 'syntax', files: variant('n <') },
      { id: 'lt11', files: variant('n < 11') },
    ];
    const pool = new WarmPool({ python: 'python3', size: 2, trusted: true });
    const r = await proveCandidates(plan, candidates, baseline, { trusted: true, parallel: 2, warm: pool }).finally(() => pool.dispose());
    assert.equal(r.winner, 'le10');
    assert.deepEqual(r.targets, ['tests/test_classify.py::test_ten_is_small']);
    assert.ok(r.tried >= 4 && r.tried <= 6, `tried ${r.tried}`);
    const byId = new Map(r.results.map((x) => [x.id, x]));
    assert.equal(byId.get('le10')!.verdict, 'proven');
    assert.equal(byId.get('gt')!.verdict, 'failed');
    // the failing test ran first and the run stopped there: one test, not six
    const gt = byId.get('gt')!.report!;
    assert.deepEqual([gt.passed.length, gt.failed.map((f) => f.name)], [0, ['tests/test_classify.py::test_ten_is_small']]);
    assert.deepEqual(gt.errors, []);
    assert.match(byId.get('eq')!.reason!, /breaks: tests\/test_classify.py::test_small/);
    assert.match(byId.get('lt100')!.reason!, /breaks: tests\/test_classify.py::test_large/);
    assert.equal(r.report!.failed.length, 0);
    // the user's file is untouched
    assert.equal(readFileSync(join(PY, 'classify.py'), 'utf8'), pyText);
  });

  test('node --test: the right return among wrong ones', async () => {
    const plan = planOf('lib/clamp.js', JS);
    const text = readFileSync(join(JS, 'lib/clamp.js'), 'utf8');
    const s = Scratch.create(JS);
    const baseline = await runTests(plan, s, { trusted: true });
    s.dispose();
    const at8 = (line: string) => new Map([['lib/clamp.js', text.split('\n').map((l, i) => (i === 7 ? line : l)).join('\n')]]);
    const r = await proveCandidates(plan, [
      { id: 'x', files: at8('    return x;') },
      { id: 'lo-1', files: at8('    return lo - 1;') },
      { id: 'hi', files: at8('    return hi;') },
    ], baseline, { trusted: true, parallel: 2 });
    assert.equal(r.winner, 'hi');
    assert.equal(r.tried, 3);
  });

  test('a candidate that loops forever is cut at a limit set from the baseline\'s time', { skip: noPytest }, async () => {
    const plan = planOf('classify.py', PY);
    const pool = new WarmPool({ python: 'python3', size: 1, trusted: true });
    try {
      const s = Scratch.create(PY);
      const baseline = await runTests(plan, s, { trusted: true, warm: pool });
      s.dispose();
      const loop = new Map([['classify.py', pyText.replace('if n < 10:', 'while n < 100:\n        pass\n    if n <= 10:')]]);
      const r = await proveCandidates(plan, [{ id: 'loop', files: loop }, { id: 'le10', files: variant('n <= 10') }], baseline, { trusted: true, parallel: 1, warm: pool });
      assert.equal(r.winner, 'le10');
      const l = r.results.find((x) => x.id === 'loop')!;
      assert.equal(l.report?.timedOut, true);
      assert.match(l.reason!, /still fails: tests\/test_classify.py::test_ten_is_small \(timed out after \d+ ms/);
      assert.ok(l.ms < 20000 && l.ms >= 2000, `${l.ms} ms`);
    } finally {
      pool.dispose();
    }
  });

  test('nothing fails: nothing to prove, and it says so', { skip: noPytest }, async () => {
    const plan = planOf('classify.py', PY);
    const pass = { runner: 'pytest' as const, passed: ['a'], failed: [], skipped: [], errors: [], timedOut: false, cancelled: false, exitCode: 0, ms: 0, outputTail: '', summary: '' };
    const r = await proveCandidates(plan, [{ id: 'c', files: variant('n <= 10') }], pass, { trusted: true });
    assert.equal(r.winner, undefined);
    assert.equal(r.tried, 0);
    assert.match(r.reason!, /already pass/);
  });

  test('a network test that fails before and after is no evidence; a flaky pass is not a proof', { skip: noPytest }, async () => {
    const counter = join(mkdtempSync(join(tmpdir(), 'treasure-flaky-')), 'n');
    temps.push(dirname(counter));
    const dir = workspace({
      'm.py': 'def inc(x):\n    return x + 2\n',
      'test_m.py': [
        'import os, socket',
        'from m import inc',
        'def test_inc():',
        '    assert inc(1) == 2',
        'def test_network():',
        '    raise ConnectionRefusedError("[Errno 111] Connection refused")',
        'def test_flaky():',
        '    p = os.environ["FLAKY_COUNTER"]',
        '    n = int(open(p).read()) + 1 if os.path.exists(p) else 1',
        '    open(p, "w").write(str(n))',
        '    if "flaky" in open("m.py").read():',
        '        assert n % 2 == 0',
        '',
      ].join('\n'),
    });
    const plan = planOf('m.py', dir);
    const s = Scratch.create(dir);
    process.env.FLAKY_COUNTER = counter; // testEnv passes it through
    try {
      const baseline = await runTests(plan, s, { trusted: true });
      s.dispose();
      assert.deepEqual(baseline.failed.map((f) => f.name).sort(), ['test_m.py::test_inc', 'test_m.py::test_network']);
      const r = await proveCandidates(plan, [
        // passes its first full run (counter even), fails the repeat (odd): flaky
        { id: 'flaky', files: new Map([['m.py', '# flaky\ndef inc(x):\n    return x + 1\n']]) },
        { id: 'plus1', files: new Map([['m.py', 'def inc(x):\n    return x + 1\n']]) },
      ], baseline, { trusted: true, parallel: 1 });
      assert.deepEqual(r.notEvidence, ['test_m.py::test_network']);
      assert.deepEqual(r.targets, ['test_m.py::test_inc']);
      assert.equal(r.results.find((x) => x.id === 'flaky')!.verdict, 'flaky');
      assert.equal(r.winner, 'plus1');
    } finally {
      delete process.env.FLAKY_COUNTER;
    }
  });

  test('cancelled in the middle: every child of every candidate is gone within 200 ms (new processes and warm workers)', { skip: noPytest }, async () => {
    const pidDir = mkdtempSync(join(tmpdir(), 'treasure-pids-'));
    temps.push(pidDir);
    const dir = workspace({
      'm.py': 'def f(x):\n    return x\n',
      'test_m.py': 'import os\nfrom m import f\n\ndef test_f():\n    open(os.path.join(os.environ["PID_DIR"], str(os.getpid())), "w").close()\n    assert f(1) == 2\n',
    });
    const plan = planOf('m.py', dir);
    const s = Scratch.create(dir);
    const baseline = await runTests(plan, s, { trusted: true });
    s.dispose();
    assert.deepEqual(baseline.failed.map((f) => f.name), ['test_m.py::test_f']);
    // every candidate loops forever
    const candidates = ['a', 'b', 'c', 'd'].map((id) => ({ id, files: new Map([['m.py', `def f(x):\n    while True:\n        pass  # ${id}\n`]]) }));
    process.env.PID_DIR = pidDir;
    try {
      for (const warm of [undefined, new WarmPool({ python: 'python3', size: 2, trusted: true })]) {
        for (const f of readdirSync(pidDir)) rmSync(join(pidDir, f));
        const ctl = new AbortController();
        const proving = proveCandidates(plan, candidates, baseline, { trusted: true, parallel: 2, timeoutMs: 60000, signal: ctl.signal, warm });
        assert.ok(await waitFor(() => readdirSync(pidDir).length === 2, 30000), 'two candidates never started');
        const pids = readdirSync(pidDir).map(Number);
        ctl.abort();
        assert.ok(await waitFor(() => pids.every(gone), 200), `still running 200 ms after the abort (${warm ? 'warm' : 'new processes'}): ${pids.filter((p) => !gone(p))}`);
        const r = await proving;
        assert.equal(r.winner, undefined);
        assert.equal(r.reason, 'cancelled');
        assert.equal(r.tried, 2);
        warm?.dispose();
      }
    } finally {
      delete process.env.PID_DIR;
    }
  });

  test('a src layout whose package is also importable from the user\'s folder (as an editable install makes it): the candidate\'s copy is tested', { skip: noPytest }, async () => {
    const dir = workspace({
      'src/pkg/__init__.py': '',
      'src/pkg/mod.py': 'def f(x):\n    return x - 1\n',
      'tests/test_mod.py': 'from pkg.mod import f\n\ndef test_f():\n    assert f(1) == 2\n\ndef test_g():\n    assert f(0) == 1\n',
    });
    const saved = process.env.PYTHONPATH;
    process.env.PYTHONPATH = join(dir, 'src'); // the user's own copy, importable from anywhere
    try {
      const plan = planOf('src/pkg/mod.py', dir);
      for (const warm of [undefined, new WarmPool({ python: 'python3', size: 1, trusted: true })]) {
        const s = Scratch.create(dir);
        const baseline = await runTests(plan, s, { trusted: true, warm });
        s.dispose();
        assert.equal(baseline.failed.length, 2);
        const r = await proveCandidates(plan, [{ id: 'plus1', files: new Map([['src/pkg/mod.py', 'def f(x):\n    return x + 1\n']]) }], baseline, { trusted: true, warm });
        warm?.dispose();
        assert.equal(r.winner, 'plus1', `${warm ? 'warm' : 'new process'}: ${r.results[0]?.reason}`);
      }
    } finally {
      if (saved === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = saved;
    }
  });

  test('copies are reused between candidates: what a test deleted is back for the next one', { skip: noPytest }, async () => {
    const dir = workspace({
      'm.py': 'def f(x):\n    return x\n',
      'data.txt': '41',
      'test_m.py': 'import os\nfrom m import f\n\ndef test_f():\n    n = int(open("data.txt").read())\n    os.remove("data.txt")\n    assert f(n) == 42\n',
    });
    const plan = planOf('m.py', dir);
    const s = Scratch.create(dir);
    const baseline = await runTests(plan, s, { trusted: true });
    s.dispose();
    assert.deepEqual(baseline.failed.map((f) => f.name), ['test_m.py::test_f']);
    let made = 0;
    const r = await proveCandidates(plan, [
      { id: 'minus', files: new Map([['m.py', 'def f(x):\n    return x - 1\n']]) },
      { id: 'times', files: new Map([['m.py', 'def f(x):\n    return x * 2\n']]) },
      { id: 'plus', files: new Map([['m.py', 'def f(x):\n    return x + 1\n']]) },
    ], baseline, { trusted: true, parallel: 1, scratchFactory: () => (made++, Scratch.create(dir)) });
    assert.equal(r.winner, 'plus');
    assert.equal(made, 1);
    assert.deepEqual(r.results.map((x) => x.reason?.replace(/ \(.*/, '')), ['still fails: test_m.py::test_f', 'still fails: test_m.py::test_f', undefined]);
  });

  test('a verify command that cannot run: no search, and the reason says why', async () => {
    const plan = planOf('classify.py', PY, { verifyCommand: 'no-such-checker ${file}' });
    const s = Scratch.create(PY);
    const baseline = await runTests(plan, s, { trusted: true });
    s.dispose();
    assert.deepEqual([baseline.passed, baseline.failed], [[], []]);
    assert.match(baseline.errors[0]!, /could not run \(exit 127: .*not found/);
    const r = await proveCandidates(plan, [{ id: 'b', files: variant('n <= 10') }], baseline, { trusted: true });
    assert.equal(r.tried, 0);
    assert.match(r.reason!, /the tests did not run before any change: no-such-checker/);
  });

  test('a verify command: exit status 0 proves', async () => {
    const plan = planOf('classify.py', PY, { verifyCommand: "grep -q 'n <= 10' ${file}" });
    const s = Scratch.create(PY);
    const baseline = await runTests(plan, s, { trusted: true });
    s.dispose();
    assert.equal(baseline.failed[0]?.name, 'verify command');
    const r = await proveCandidates(plan, [{ id: 'a', files: variant('n < 11') }, { id: 'b', files: variant('n <= 10') }], baseline, { trusted: true, parallel: 1 });
    assert.equal(r.winner, 'b');
    assert.equal(r.results.find((x) => x.id === 'a')!.verdict, 'failed');
  });
});

describe('TestSession', () => {
  test('pytest: open (baseline + suspicious lines from one traced warm run), then prove in the same copy', { skip: noPytest }, async () => {
    const t = await TestSession.open(join(PY, 'classify.py'), PY, { trusted: true, fromLine: 1, toLine: 9 });
    assert.ok(t instanceof TestSession);
    const kept = t.scratchRoot!;
    assert.ok(existsSync(kept)); // the baseline's copy, kept for prove()
    assert.equal(t.baseline.summary, 'pytest: 5 passed, 1 failed');
    assert.equal(t.cannotProve, undefined);
    assert.ok(t.suspicious.slice(0, 3).some((l) => l.line === 7));
    const text = readFileSync(join(PY, 'classify.py'), 'utf8');
    const fixed = ['n > 10', 'n <= 10'].map((c) => ({ fixed: text.replace('if n < 10:', `if ${c}:`) }));
    const r = await t.prove(testCandidatesOf(t.plan.file, fixed), { parallel: 1 });
    assert.equal(r.winner, '1');
    assert.ok(!existsSync(kept)); // removed after proving
    assert.equal(t.scratchRoot, undefined);
  });

  test('node: the same calls; a folder without tests gives the reason', async () => {
    const t = await TestSession.open('lib/clamp.js', JS, { trusted: true, fromLine: 3, toLine: 11 });
    assert.ok(t instanceof TestSession);
    assert.equal(t.suspicious[0]?.line, 8);
    const kept = t.scratchRoot!;
    t.dispose();
    assert.ok(!existsSync(kept));
    const passing = workspace({ 'a.js': 'exports.f = () => 1;\n', 'a.test.js': "require('node:test')('f', () => require('node:assert').equal(require('./a').f(), 1));\n" });
    const ok = await TestSession.open('a.js', passing, { trusted: true });
    assert.ok(ok instanceof TestSession);
    assert.equal(ok.cannotProve, 'the tests already pass (node: 1 passed): nothing to prove with them');
    ok.dispose();
    const none = await TestSession.open('a.js', workspace({ 'a.js': '' }), { trusted: true });
    assert.ok('none' in none);
    await assert.rejects(TestSession.open('lib/clamp.js', JS, { trusted: false }), UntrustedWorkspaceError);
  });
});
