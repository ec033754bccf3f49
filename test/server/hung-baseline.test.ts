// A baseline that hangs (the buggy code loops forever on the tests) is the failure to fix: the run that
// timed out before any test was named gets the WHOLE_RUN failure, and a candidate passes it when its run
// finishes with tests passed and none failed. With real cargo test (libtest names no test that hangs).
// And cargo's candidates are proven one at a time: copies that share a target folder would otherwise run
// each other's builds (cargo judges freshness by mtimes, and names the build by the path in the workspace).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cargoTargetDir, findTests, judge, proveCandidates, runTests, Scratch, WHOLE_RUN, type TestReport } from '../../language-server/src/repair/tests/index';

const temps: string[] = [];
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const report = (r: Partial<TestReport>): TestReport => ({ runner: 'cargo', passed: [], failed: [], skipped: [], errors: [], timedOut: false, cancelled: false, exitCode: 0, ms: 0, outputTail: '', summary: '', ...r });

describe('a hung baseline', () => {
  test('judge: the whole run passes only when it finishes with tests passed and none failed', () => {
    const hang = { name: WHOLE_RUN, message: 'timed out', traceback: [], timedOut: true };
    assert.match(judge(report({ timedOut: true, failed: [hang] }), [], [WHOLE_RUN])!, /still fails: the whole test run/);
    assert.match(judge(report({ passed: ['a'], failed: [{ name: 'b', message: 'x', traceback: [] }] }), [], [WHOLE_RUN])!, /still fails/);
    assert.match(judge(report({ exitCode: 0 }), [], [WHOLE_RUN])!, /still fails/); // nothing ran: no proof
    assert.equal(judge(report({ passed: ['tests::sums'] }), [], [WHOLE_RUN]), undefined);
  });

  const hasCargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' }).status === 0;
  test('cargo test: the hang is the target, the candidate that ends the loop is proven', { skip: hasCargo ? false : 'cargo is not installed (scripts/install-eval-toolchains.sh)' }, async () => {
    const lib = (step: string) => [
      'pub fn sum_to(n: u32) -> u32 {',
      '    let mut i = 0;',
      '    let mut s = 0;',
      '    while i < n {',
      `        s += i;${step}`,
      '    }',
      '    s',
      '}',
      '',
      '#[cfg(test)]',
      'mod tests {',
      '    use super::*;',
      '    #[test]',
      '    fn sums() {',
      '        assert_eq!(sum_to(4), 6);',
      '    }',
      '}',
      '',
    ].join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'treasure-hung-'));
    temps.push(dir);
    for (const [rel, text] of Object.entries({ 'Cargo.toml': '[package]\nname = "hung"\nversion = "0.1.0"\nedition = "2021"\n', 'src/lib.rs': lib('') })) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    const plan = findTests('src/lib.rs', dir, { trusted: true });
    assert.ok('kind' in plan && plan.kind === 'cargo');
    temps.push(cargoTargetDir(plan.root));
    const s = Scratch.create(dir);
    try {
      // built once with the loop ended (the build is then incremental: the hang's run is mostly the hang)
      s.write('src/lib.rs', lib(' i += 1;'));
      const warm = await runTests(plan, s, { trusted: true, timeoutMs: 180000 });
      assert.deepEqual(warm.passed, ['tests::sums']);
      s.reset();
      const baseline = await runTests(plan, s, { trusted: true, timeoutMs: 8000 });
      assert.equal(baseline.timedOut, true);
      assert.deepEqual(baseline.failed.map((f) => [f.name, f.timedOut]), [[WHOLE_RUN, true]]);
      const fixes = [' i += 0;', ' i += 1;'].map((step, k) => ({ id: String(k), files: new Map([['src/lib.rs', lib(step)]]) }));
      const r = await proveCandidates(plan, fixes, baseline, { trusted: true, parallel: 1 });
      assert.deepEqual(r.targets, [WHOLE_RUN]);
      assert.equal(r.winner, '1');
      assert.match(r.results.find((x) => x.id === '0')!.reason!, /still fails: the whole test run/);
      // several candidates asked to run two at a time: each is judged by its own build
      const many = ['1', '2'].map((k, i) => ({ id: String(i), files: new Map([['src/lib.rs', lib(` i += ${k};`).replace('assert_eq!(sum_to(4), 6)', 'assert_eq!(sum_to(4), 2)')]]) }));
      s.reset();
      s.write('src/lib.rs', lib(' i += 1;').replace('assert_eq!(sum_to(4), 6)', 'assert_eq!(sum_to(4), 2)'));
      const base2 = await runTests(plan, s, { trusted: true, timeoutMs: 180000 });
      assert.equal(base2.failed[0]?.name, 'tests::sums');
      const r2 = await proveCandidates(plan, many, base2, { trusted: true, parallel: 2 });
      assert.equal(r2.winner, '1');
      assert.deepEqual(r2.results.filter((x) => x.id === '0').map((x) => x.verdict), ['failed']);
    } finally {
      s.dispose();
    }
  });
});
