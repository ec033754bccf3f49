// Pure parts of the suites: truncation of generations, held-out task reading and sampling, marker
// scoring and the task confusion table, match metrics, the length suite, and the report writers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { EvalEngine } from '../../eval/engine-adapter.js';
import { loadProblems, parseLanguages } from '../../eval/humanevalpack.js';
import { humanEvalPackDir } from '../../eval/paths.js';
import { headlineTable, renderMarkdown, selfCheckOk, writeJson, writeMarkdown, type RunResults } from '../../eval/report.js';
import { oracleEngine } from '../../eval/stand-ins.js';
import type { SuiteContext } from '../../eval/suites/common.js';
import { fixMarkdown, mcnemarP, pairedVsBaseline, type FixRecord } from '../../eval/suites/humanevalfix.js';
import { runLength, textInstruction, type LengthRecord } from '../../eval/suites/length.js';
import { runMarkers, scoreMarkers, taskConfusion, type MarkerRecord } from '../../eval/suites/markers.js';
import { editSimilarity, normalizeCode, runTail, type TailRecord } from '../../eval/suites/tail.js';
import { languageIdFor, readTasks, sampleTasks, type TaskExample } from '../../eval/tasks-data.js';
import { answerLines, braceScan, truncateGeneration } from '../../eval/truncate.js';

test('python generations end where the function ends', () => {
  const t = truncateGeneration('python', 'def f(x):\n    """doc"""\n', '    y = x + 1\n\n    return y\n\ndef g():\n    pass\nprint(f(1))\n');
  assert.deepEqual(t, { text: '    y = x + 1\n\n    return y\n\n', truncated: true });
  assert.equal(truncateGeneration('python', 'def f():\n', '    return 1\n').truncated, false);
});

test('brace languages: the braces the prompt opened are closed; braces in strings, chars and comments do not count', () => {
  const js = truncateGeneration('js', 'const f = (s) => {\n', '  const t = "}" + \'{\' + `}`; // }\n  /* { */ return t\n}\nconsole.log(f(1))\n');
  assert.equal(js.text, '  const t = "}" + \'{\' + `}`; // }\n  /* { */ return t\n}\n');
  assert.equal(js.truncated, true);
  // Java prompts open the class and the method: both must close
  const java = truncateGeneration('java', 'class Solution {\n    public int f() {\n', '        if (true) { return 1; }\n        return 0;\n    }\n}\nclass Extra {}\n');
  assert.equal(java.text, '        if (true) { return 1; }\n        return 0;\n    }\n}\n');
  // Rust: lifetimes are not char literals; '{' is
  const rs = truncateGeneration('rust', 'fn main(){}\nfn f<\'a>(s: &\'a str) -> char {\n', "    let c = '{';\n    let _x: &'a str = s;\n    c\n}\n#[cfg(test)]\nmod tests {}\n");
  assert.equal(rs.text, "    let c = '{';\n    let _x: &'a str = s;\n    c\n}\n");
  // helper functions after the function are part of the answer (as in Go/72, Rust/145); a main is not
  const go = truncateGeneration('go', 'func F() bool {\n', '    return g()\n}\n\n// g helps\nfunc g() bool {\n    return true\n}\nfunc main() {\n}\n');
  assert.equal(go.text, '    return g()\n}\n\n// g helps\nfunc g() bool {\n    return true\n}\n');
  assert.equal(truncateGeneration('cpp', 'int f(){\n', '    return g();\n}\nint g(){ return 1; }\nint main(){ return f(); }\n').text, '    return g();\n}\nint g(){ return 1; }\n');
  assert.equal(braceScan('go', 'import (\n "math"\n)\nfunc F() int {\n').depth, 1);
  assert.equal(answerLines('\n  a\n\n  b\n\n'), 3);
  assert.equal(answerLines(''), 0);
});

test('the canonical solution completes each prompt exactly (truncation keeps it whole)', () => {
  for (const lang of parseLanguages('all')) {
    for (const p of loadProblems(humanEvalPackDir(), lang, 20)) {
      const t = truncateGeneration(lang, p.prompt, p.canonical + '\n// trailing junk\n');
      assert.equal(t.text.replace(/\s+$/, ''), p.canonical.replace(/\s+$/, ''), p.taskId);
    }
  }
});

const examples: TaskExample[] = [
  { task: 'CodeFix', code: 'def f(x):\n    return x - 1\n', answer: 'def f(x):\n    return x + 1\n', markers: { task: 'CodeFix', code_type: 'python', domain: 'General', error_type: 'operator_misuse', length_bucket: 'concise', source: 'Synthetic' } },
  { task: 'CodeFix', code: 'fn f(x: i32) -> i32 {\n    x - 1\n}\n', answer: 'fn f(x: i32) -> i32 {\n    x + 1\n}\n', markers: { task: 'CodeFix', code_type: 'rust', domain: 'Systems', error_type: 'operator_misuse', length_bucket: 'concise', source: 'Synthetic' } },
  { task: 'CodeGeneration', code: 'def g():\n', answer: '    return 2\n', markers: { task: 'CodeGeneration', code_type: 'python', domain: 'General', length_bucket: 'concise', source: 'Human' } },
  { task: 'CodeGeneration', code: 'g() ->\n', answer: '    2.\n', markers: { task: 'CodeGeneration', code_type: 'haskell', domain: 'General', length_bucket: 'concise', source: 'Human' } },
  { task: 'CodeExplanation', code: 'def h(): pass\n', answer: 'Does nothing.', markers: { task: 'CodeExplanation', code_type: 'python' } },
];

function writeShards(dir: string): void {
  writeFileSync(join(dir, 'test-00000.jsonl'), examples.slice(0, 3).map((e) => JSON.stringify({ ...e, split: 'test' })).join('\n') + '\n');
  writeFileSync(join(dir, 'test-00001.jsonl'), examples.slice(3).map((e) => JSON.stringify({ ...e, split: 'test' })).join('\n') + '\n');
  writeFileSync(join(dir, 'train-00000.jsonl'), JSON.stringify(examples[0]) + '\n');
}

test('held-out shards: read in order (.jsonl and .jsonl.xz), sampled per bucket', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-tasks-'));
  try {
    writeShards(dir);
    const all: TaskExample[] = [];
    for await (const e of readTasks(dir, 'test')) all.push(e);
    assert.equal(all.length, 5);
    assert.equal(all[3]!.markers.code_type, 'haskell');
    const s = await sampleTasks(dir, 'test', (e) => e.task, 1);
    assert.deepEqual([...s.keys()], ['CodeFix', 'CodeGeneration', 'CodeExplanation']);
    assert.equal(s.get('CodeFix')!.length, 1);
    if (spawnSync('xz', ['--version']).status !== 0) { t.diagnostic('xz not installed: .xz reading not checked'); return; }
    spawnSync('xz', [join(dir, 'test-00000.jsonl')]);
    const again: TaskExample[] = [];
    for await (const e of readTasks(dir, 'test')) again.push(e);
    assert.deepEqual(again.map((e) => e.code), all.map((e) => e.code));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(languageIdFor('shell'), 'shellscript');
  assert.equal(languageIdFor('javascript'), 'javascript');
});

/** A stand-in that "infers" fixed markers and answers the held-out examples with their answers. */
function scriptedHeldOut(given: Record<string, string> = {}): EvalEngine {
  const byCode = new Map(examples.map((e) => [e.code, e]));
  return {
    kind: 'test stand-in', modelDir: '(none)',
    async fix(req) {
      const e = byCode.get(req.text)!;
      const inferred = { ...e.markers, domain: 'Web' };
      for (const k of Object.keys(given)) delete (inferred as Record<string, string>)[k];
      return { fixed: e.answer, given, inferred, latencyMs: 1, markersHonored: Object.keys(given).length === 0 };
    },
    async generate(req) {
      const e = byCode.get(req.prompt)!;
      return { text: e.answer, given: {}, inferred: { task: 'CodeFix', code_type: e.markers.code_type! }, latencyMs: 1, markersHonored: true };
    },
    async markersAt() { return {}; },
  };
}

function heldOutCtx(engine: EvalEngine, tasksDir: string): SuiteContext {
  return { engine: async () => engine, languages: [], dataDir: humanEvalPackDir(), tasksDir, limits: { runTimeoutMs: 5000, compileTimeoutMs: 60000, cache: false }, jobs: 2, log: () => {} };
}

test('markers suite: accuracy per category, given markers not scored, task confusion, CodeExplanation skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-markers-'));
  try {
    writeShards(dir);
    const r = await runMarkers(heldOutCtx(scriptedHeldOut(), dir), { perBucket: 10 });
    const s = r.summary as { scores: Record<string, { accuracy: { k: number; n: number } }>; skipped: number; taskConfusion: { rows: Record<string, Record<string, number>> } };
    assert.equal(s.skipped, 1);
    assert.deepEqual(s.scores.task!.accuracy, { n: 4, k: 2, rate: 0.5 }); // generation examples were "inferred" as CodeFix
    assert.deepEqual(s.scores.domain!.accuracy, { n: 4, k: 0, rate: 0 }); // fix examples: Web is wrong; generation: not written = wrong
    assert.equal(s.scores.code_type!.accuracy.k, 4);
    assert.deepEqual(s.taskConfusion.rows, { CodeFix: { CodeFix: 2 }, CodeGeneration: { CodeFix: 2 } });
    assert.match(r.markdown, /\| task \| 50\.0% \(2\/4\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const recs: MarkerRecord[] = [{ task: 'CodeFix', codeType: 'python', truth: { task: 'CodeFix', domain: 'Web' }, given: { task: 'CodeFix' }, inferred: { domain: 'Web' }, latencyMs: 0 }];
  const sc = scoreMarkers(recs);
  assert.equal(sc.task!.given, 1);
  assert.equal(sc.task!.accuracy.n, 0);
  assert.equal(sc.domain!.accuracy.rate, 1);
  assert.deepEqual(taskConfusion(recs).labels, ['given:CodeFix']);
});

test('tail suite: head vs tail languages, exact match and edit similarity', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-tail-'));
  try {
    writeShards(dir);
    const r = await runTail(heldOutCtx(scriptedHeldOut(), dir), { perLanguage: 5 });
    const recs = r.records as TailRecord[];
    assert.equal(recs.length, 4); // CodeExplanation is not part of the tail suite
    assert.deepEqual(recs.map((x) => [x.kind, x.codeType, x.head, x.exact]), [['fix', 'python', true, true], ['fix', 'rust', true, true], ['generation', 'python', true, true], ['generation', 'haskell', false, true]]);
    assert.match(r.markdown, /\| tail \| 1 \| 1 \| 100\.0% \(1\/1\)/);
    assert.ok(r.notes?.some((n) => /no-marker baseline was not run/.test(n)));
    // with --baseline the same examples run on it, side by side (here a baseline that writes nothing)
    const silent: EvalEngine = { ...scriptedHeldOut(), fix: async () => ({ fixed: null, reason: 'none', given: {}, inferred: {}, latencyMs: 1, markersHonored: true }), generate: async () => ({ text: '', given: {}, inferred: {}, latencyMs: 1, markersHonored: true }) };
    const both = await runTail({ ...heldOutCtx(scriptedHeldOut(), dir), baseline: async () => silent }, { perLanguage: 5 });
    assert.equal((both.records as TailRecord[]).length, 8);
    assert.match(both.markdown, /\| fix \| head \| 2 \| 100\.0% \(1\.000\) \| 0\.0% \(0\.000\) \|/);
    assert.ok((both.summary as { baseline?: unknown }).baseline);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(normalizeCode('a  \n\n  b\r\n'), 'a\n  b');
  assert.equal(editSimilarity('abcd', 'abcd'), 1);
  assert.equal(editSimilarity('abcd', 'abed'), 0.75);
  assert.equal(editSimilarity('', 'x'), 0);
});

test('length suite: N from the canonical solution, violations and closeness', async () => {
  const problems = loadProblems(humanEvalPackDir(), 'python', 2);
  const oracle = oracleEngine(problems);
  // a stand-in that writes one extra line when asked in plain text, and obeys the marker
  const engine: EvalEngine = {
    ...oracle,
    async generate(req) {
      const g = await oracle.generate(req);
      return req.prompt.startsWith('#') ? { ...g, text: g.text + '    pass\n' } : g;
    },
  };
  const ctx: SuiteContext = { engine: async () => engine, languages: parseLanguages('python'), limit: 2, dataDir: humanEvalPackDir(), tasksDir: '/none', limits: { runTimeoutMs: 5000, compileTimeoutMs: 60000, cache: false }, jobs: 2, log: () => {} };
  const r = await runLength(ctx, { conditions: ['marker', 'text'], unit: 'lines', runTests: true });
  const recs = r.records as LengthRecord[];
  assert.equal(recs.length, 4);
  for (const x of recs.filter((x) => x.condition === 'marker')) { assert.equal(x.length, x.target); assert.equal(x.violation, false); assert.equal(x.pass, true); }
  for (const x of recs.filter((x) => x.condition === 'text')) { assert.equal(x.length, x.target + 1); assert.equal(x.violation, true); }
  assert.match(r.markdown, /\| marker \| 0\.0% \(0\/2\) \| 0\.0 \| 1\.00/);
  assert.match(r.markdown, /\| text \| 100\.0% \(2\/2\) \| 1\.0 \|/);
  assert.equal(textInstruction(problems[0]!, 7, 'lines'), '# Complete the function in at most 7 lines.\n');
});

test('report writers: JSON keeps every record; Markdown has the self-check and each suite; headline table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasure-eval-report-'));
  try {
    const res: RunResults = {
      meta: { command: 'npm run eval -- --suite humanevalfix', args: [], startedAt: '2026-01-01T00:00:00.000Z', seconds: 90, engine: 'engine', model: '/m', languages: ['python'], machine: { cpus: 2, platform: 'linux-x64', node: 'v20' } },
      selfCheck: [{ language: 'python', n: 164, canonicalPass: 164, buggyFail: 163, infra: 0, canonicalFailures: [], buggyPasses: ['Python/7'] }],
      suites: [{
        suite: 'humanevalfix', records: [{ taskId: 'Python/0', pass: true }],
        summary: { 'context/plain': { pass: { n: 10, k: 3, rate: 0.3 } }, 'baseline/plain': { pass: { n: 10, k: 2, rate: 0.2 } } },
        markdown: '## HumanEvalFix (pass@1)\n\n| x |', notes: ['a caveat'], seconds: 60,
      }],
      errors: [],
    };
    writeJson(join(dir, 'r.json'), res);
    writeMarkdown(join(dir, 'r.md'), res);
    const back = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as RunResults;
    assert.deepEqual(back, res);
    const md = readFileSync(join(dir, 'r.md'), 'utf8');
    assert.equal(md, renderMarkdown(res));
    assert.match(md, /\| python \| 100\.0% \(164\/164\) \| 100% \| 99\.4% \(163\/164\) \| 100% \| 0 \| – \| Python\/7 \|/);
    assert.match(md, /The self-check failed/);
    assert.match(md, /> note: a caveat/);
    assert.equal(selfCheckOk(res.selfCheck), false);
    const head = headlineTable(res);
    assert.match(head, /baseline 0\.200 → markers 0\.300 \(\+50\.0% relative\)/);
    assert.match(head, /`npm run eval -- --suite humanevalfix --model \/m --languages python`/);
    assert.match(head, /canonical solutions pass 164\/164, buggy solutions fail 163\/164/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fix examples: the cursor goes inside the function, past a doc comment; PHP gets its opener', async () => {
  const { exampleLine, fixInput } = await import('../../eval/tasks-data.js');
  assert.equal(exampleLine('def f(x):\n    return x'), 1);
  assert.equal(exampleLine('/**\n * Adds.\n */\nfunction f(x) {\n  return x;\n}'), 4);
  assert.equal(exampleLine('-- | Doc\nf x = do\n  pure x'), 2);
  const php = { task: 'CodeFix', code: 'public function f($x) {\n    return $x;\n}', answer: '', markers: { code_type: 'php' } } as never;
  const input = fixInput(php);
  assert.equal(input.text, '<?php\npublic function f($x) {\n    return $x;\n}');
  assert.equal(input.text.split('\n')[input.line], '    return $x;');
  assert.equal(input.unwrap('<?php\nfixed'), 'fixed');
  const py = fixInput({ task: 'CodeFix', code: 'def f(x):\n    return x', answer: '', markers: { code_type: 'python' } } as never);
  assert.equal(py.text, 'def f(x):\n    return x');
});

test('paired comparison with the baseline: the counts, the relative gain over languages and an exact McNemar p', () => {
  // values from the binomial sums (python: 2 * sum(comb(n, k) for k <= min) / 2**n)
  assert.equal(mcnemarP(0, 0), 1);
  assert.equal(mcnemarP(5, 0), 0.0625);
  assert.ok(Math.abs(mcnemarP(10, 3) - 0.09228515625) < 1e-12);
  assert.ok(Math.abs(mcnemarP(37, 42) - 0.6529643755164596) < 1e-9);
  assert.ok(Math.abs(mcnemarP(500, 400) - 0.0009564441369189461) < 1e-9);
  const rec = (mode: 'context' | 'baseline', language: string, taskId: string, pass: boolean): FixRecord => ({
    language, taskId, bugType: 'value_misuse', mode, variant: 'plain', given: {}, inferred: {}, markersHonored: true, latencyMs: 1, fixReturned: true, pass,
  });
  // python: context fixes P/0 and P/1, the baseline P/1 and P/2; go: context G/0, the baseline nothing
  const records = [
    rec('context', 'python', 'P/0', true), rec('context', 'python', 'P/1', true), rec('context', 'python', 'P/2', false), rec('context', 'python', 'P/3', false),
    rec('baseline', 'python', 'P/0', false), rec('baseline', 'python', 'P/1', true), rec('baseline', 'python', 'P/2', true), rec('baseline', 'python', 'P/3', false),
    rec('context', 'go', 'G/0', true), rec('context', 'go', 'G/1', false), rec('baseline', 'go', 'G/0', false), rec('baseline', 'go', 'G/1', false),
  ];
  const [c, ...rest] = pairedVsBaseline(records);
  assert.equal(rest.length, 0);
  assert.deepEqual({ condition: c!.condition, problems: c!.problems, both: c!.both, onlyCondition: c!.onlyCondition, onlyBaseline: c!.onlyBaseline },
    { condition: 'context/plain', problems: 6, both: 1, onlyCondition: 2, onlyBaseline: 1 });
  // languages' means: context (2/4 + 1/2) / 2 = 0.5, baseline (2/4 + 0) / 2 = 0.25: +100%
  assert.ok(Math.abs(c!.relativeOverLanguages! - 1) < 1e-12);
  assert.equal(c!.mcnemarP, 1);
  assert.match(fixMarkdown(records), /\| context\/plain \| 6 \| 1 \| 2 \| 1 \| \+100\.0% \| 1\.000 \|/);
  assert.deepEqual(pairedVsBaseline(records.filter((r) => r.mode === 'context')), []);
});
