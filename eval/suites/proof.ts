// npm run eval -- --suite proof [--languages python,js] [--limit N] [--only ID,ID] [--rank model,prior] [--order model|prior]
//   [--ambiguous abstain|best|off] [--canonical] [--no-tests] [--prove N] [--budget S] [--out F]
// HumanEvalFix with proof (issue 26): each problem becomes a small workspace, the buggy solution in a
// module and a test file made of the problem's `example_test` (the visible examples a user's test
// suite would hold). The product's engine path runs on it (Engine.fixDetailed with `verify`: the tests
// are found, run, localize, prove); the fix it offers is judged by the hidden `test`, which the search
// never sees. Outcomes: correct (passes the judge), plausible_wrong (passed the examples, fails the
// judge), no_fix, examples_pass (nothing to prove with the examples: the engine says "nothing to fix"),
// unverified (a fix no test proved: must be 0 here). Variants: the model ranks (`model`) or the edit's
// prior alone, no model at all (`prior`): what the model adds.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Engine } from '../../language-server/src/engine';
import { disposeProvers } from '../../language-server/src/repair/prove';
import type { ScreenSummary } from '../../language-server/src/repair/semantic';
import { disposeWarmPools } from '../../language-server/src/repair/tests';
import { bodyLine, buggyDocument, LANGUAGE_ID, loadProblems, type HepLanguage, type Problem } from '../humanevalpack.js';
import { humanEvalPackDir, repoRoot } from '../paths.js';
import { COMPILED_LANGUAGES, goEnvironment, writeCompiledWorkspace } from './proof-workspaces.js';
import { defaultLimits, programFor, runPrograms, toolchain } from '../runner.js';

export const PROOF_LANGUAGES = ['python', 'js', 'go', 'rust', 'java', 'cpp'] as const;
export type ProofVariant = 'model' | 'prior';

export interface ProofOptions {
  languages: HepLanguage[];
  limit?: number;
  /** Problems skipped first (to resume or to shard). */
  skip: number;
  variants: ProofVariant[];
  prove: number;
  budgetMs: number;
  out: string;
  model?: string;
  data?: string;
  /** Only render the report of the records in this .partial.jsonl (a run cut short). */
  report?: string;
  /** Only these task ids (a fixed subset for quick iterations). */
  only?: string[];
  /** The search's order of proof and what it does when the fixes that pass disagree (SemanticLimits). */
  rankFirst?: boolean;
  ambiguous?: 'abstain' | 'best' | 'off';
  /** Candidates that pass collected before the pick (SemanticLimits.plausible; 1: the first that passes wins). */
  plausible?: number;
  /** The canonical (correct) solution instead of the buggy one: a fix offered is a false fix. */
  canonical?: boolean;
  /** No test file in the workspace (the product without tests: the model's rewrite, unverified). */
  noTests?: boolean;
  /** The rival check after a fix passes (SemanticLimits.rivals; default on). */
  rivals?: boolean;
  /** Candidates screened by one build (SemanticLimits.screen; 0: off). */
  screen?: number;
}

export type ProofOutcome = 'correct' | 'plausible_wrong' | 'no_fix' | 'ambiguous' | 'examples_pass' | 'unverified' | 'unchanged' | 'error';

export interface ProofRecord {
  taskId: string;
  language: HepLanguage;
  variant: ProofVariant;
  bugType: string;
  outcome: ProofOutcome;
  label?: string;
  verifiedBy?: string;
  reason?: string;
  candidates?: number;
  ms: number;
  verifyMs?: number;
  /** Candidates that passed the examples, and in how many behaviours they split beyond them. */
  plausible?: number;
  behaviours?: number;
  /** An unverified fix (no tests): whether it passes the hidden test. */
  judged?: boolean;
  /** The rival check (repair/rivals.ts): edits that answer the examples' calls as the fix does, those that behave differently (the fix is then not "proven"), the fix a rival replaced. */
  rivals?: number;
  contested?: number;
  replaced?: string;
  /** Milliseconds the rival check took (the replay, the model's reading, a rival's proof). */
  rivalsMs?: number;
  rivalsNote?: string;
  /** The replaced fix judged by the hidden test (what the run would have offered without the rival check). */
  replacedCorrect?: boolean;
  /** Compiled languages: candidates built into one program and run against the examples first (tests/screen.ts). */
  screen?: ScreenSummary;
}

/** The module and test file names of a language's workspace. */
const FILES: Record<string, { module: string; test: string }> = {
  python: { module: 'solution.py', test: 'test_solution.py' },
  js: { module: 'solution.js', test: 'solution.test.js' },
};

/**
 * The workspace of a problem: the module (exactly the document a user would have open, plus an export
 * line for JavaScript) and a test file made of `example_test` (its final `check(entry)` call becomes a
 * test function). Returns the module's text.
 */
export function writeWorkspace(dir: string, p: Problem, exampleTest: string): string {
  const f = FILES[p.language]!;
  if (p.language === 'python') {
    const text = buggyDocument(p);
    const body = exampleTest.replace(/^check\((\w+)\)\s*$/m, 'def test_examples():\n    check($1)\n');
    writeFileSync(join(dir, f.module), text);
    writeFileSync(join(dir, f.test), `from solution import *\n\n\n${body}`);
    return text;
  }
  const text = `${buggyDocument(p)}\nmodule.exports = { ${p.entryPoint} };\n`;
  writeFileSync(join(dir, f.module), text);
  writeFileSync(join(dir, f.test), [
    "'use strict';",
    "const { test } = require('node:test');",
    `const { ${p.entryPoint} } = require('./solution.js');`,
    '// HumanEvalPack checks with console.assert, which only prints: make a failed one throw',
    "console.assert = (cond, ...msg) => { if (!cond) throw new Error('assertion failed' + (msg.length ? ': ' + msg.join(' ') : '')); };",
    "test('examples', () => {",
    exampleTest,
    '});',
    '',
  ].join('\n'));
  return text;
}

/**
 * No fix offered: the examples already pass (the tests ran and pass: "the tests pass (...): nothing to fix"),
 * the passing fixes disagree (abstained), or no fix. The model's own "nothing to fix" after tests that did
 * not run (Go/9, 10: the buggy code does not compile) is no fix, not examples that pass.
 */
export function outcomeWithoutFix(reason = ''): ProofOutcome {
  if (/^the tests pass \(.*\): nothing to fix/.test(reason)) return 'examples_pass';
  if (/disagree beyond the tests/.test(reason)) return 'ambiguous';
  return 'no_fix';
}

/** An empty folder at `dir` (what was there removed). */
function freshDir(dir: string): string {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

function exampleTests(dataDir: string, lang: HepLanguage): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of readFileSync(join(dataDir, `${lang}.jsonl`), 'utf8').split('\n')) {
    if (!l.trim()) continue;
    const r = JSON.parse(l) as Record<string, string>;
    m.set(r.task_id!, r.example_test ?? '');
  }
  return m;
}

export function quantile(xs: number[], q: number): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The workspace's verify command, with its build apart (one build screens many candidates) or, without a screen, built and run by one command. */
function verifyOf(ws: { verifyCommand?: string; verifyBuild?: string }, screen: boolean): { command: string; build?: string } {
  if (!ws.verifyBuild) return { command: ws.verifyCommand! };
  return screen ? { command: ws.verifyCommand!, build: ws.verifyBuild } : { command: `${ws.verifyBuild} && ${ws.verifyCommand}` };
}

export function summarizeProof(records: ProofRecord[]) {
  const keys = [...new Set(records.map((r) => `${r.language}|${r.variant}`))];
  return keys.map((k) => {
    const [language, variant] = k.split('|') as [HepLanguage, ProofVariant];
    const rs = records.filter((r) => r.language === language && r.variant === variant);
    const n = (o: ProofOutcome) => rs.filter((r) => r.outcome === o).length;
    const offered = n('correct') + n('plausible_wrong') + n('unverified');
    // what abstaining on disagreement would give, from a run that offered them (--ambiguous best)
    const split = rs.filter((r) => (r.behaviours ?? 1) > 1 && (r.outcome === 'correct' || r.outcome === 'plausible_wrong'));
    // a contested fix passed the examples but rivals behave differently: offered, titled "not proven"
    const contested = rs.filter((r) => (r.contested ?? 0) > 0 && (r.outcome === 'correct' || r.outcome === 'plausible_wrong'));
    const contestedCorrect = contested.filter((r) => r.outcome === 'correct').length;
    const contestedWrong = contested.length - contestedCorrect;
    const provenOffered = offered - contested.length;
    const fixMs = rs.filter((r) => r.outcome === 'correct' || r.outcome === 'plausible_wrong').map((r) => r.ms);
    const cands = rs.flatMap((r) => (r.candidates === undefined ? [] : [r.candidates]));
    return {
      language, variant, problems: rs.length, correct: n('correct'), plausibleWrong: n('plausible_wrong'), noFix: n('no_fix'), ambiguous: n('ambiguous'), unchanged: n('unchanged'), examplesPass: n('examples_pass'),
      splitCorrect: split.filter((r) => r.outcome === 'correct').length, splitWrong: split.filter((r) => r.outcome === 'plausible_wrong').length,
      contestedCorrect, contestedWrong, replaced: rs.filter((r) => r.replaced).length,
      provenCorrect: n('correct') - contestedCorrect, provenWrong: n('plausible_wrong') - contestedWrong, provenOffered,
      provenWrongOfProven: provenOffered ? (100 * (n('plausible_wrong') - contestedWrong)) / provenOffered : 0,
      rivalsP50ms: quantile(rs.flatMap((r) => (r.rivalsMs === undefined ? [] : [r.rivalsMs])), 0.5),
      screened: rs.filter((r) => r.screen?.builds).length,
      screenNotes: [...new Set(rs.flatMap((r) => (r.screen && !r.screen.builds && r.screen.note ? [r.screen.note.split(':')[0]!] : [])))],
      screenCandidatesMean: mean(rs.flatMap((r) => (r.screen?.builds ? [r.screen.candidates] : []))),
      screenPassedMean: mean(rs.flatMap((r) => (r.screen?.builds ? [r.screen.passed] : []))),
      screenBrokenMean: mean(rs.flatMap((r) => (r.screen?.builds ? [r.screen.broken] : []))),
      screenBuildsMean: mean(rs.flatMap((r) => (r.screen?.builds ? [r.screen.builds] : []))),
      screenP50ms: quantile(rs.flatMap((r) => (r.screen?.builds ? [r.screen.ms] : [])), 0.5),
      unverifiedJudgedCorrect: rs.filter((r) => r.outcome === 'unverified' && r.judged).length,
      unverified: n('unverified'), errors: n('error'), offered,
      correctPct: rs.length ? (100 * n('correct')) / rs.length : 0,
      plausibleWrongOfOffered: offered ? (100 * n('plausible_wrong')) / offered : 0,
      candidatesMean: mean(cands),
      fixP50ms: quantile(fixMs, 0.5), fixP95ms: quantile(fixMs, 0.95), allP50ms: quantile(rs.map((r) => r.ms), 0.5), allP95ms: quantile(rs.map((r) => r.ms), 0.95),
    };
  });
}

const pct = (x: number) => `${x.toFixed(1)}%`;
const secs = (x: number | undefined) => (x === undefined ? '-' : (x / 1000).toFixed(1));

export function proofMarkdown(rows: ReturnType<typeof summarizeProof>, meta: Record<string, unknown>): string {
  return [
    '## HumanEvalFix with proof (example_test proves, test judges)',
    '',
    `Command: \`${meta.command}\`; ${meta.seconds} s; limits: ${meta.prove} candidates proven at most, ${meta.budgetS} s of proving per problem. ` +
      'correct = the offered fix passes the hidden `test`; plausible-but-wrong = passes `example_test`, fails `test`; examples pass = the buggy code passes `example_test` already (the engine says nothing to fix). ' +
      'Variant model: the model ranks the candidates and its own rewrite is proven among them; prior: the edit priors alone, no model.',
    '',
    '| language | variant | problems | correct | plausible-but-wrong (of offered) | no fix | ambiguous (not offered) | examples pass | unverified (judged correct) | unchanged | candidates tried (mean) | time per fix p50 / p95 s | all problems p50 / p95 s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.language} | ${r.variant} | ${r.problems} | ${r.correct} (${pct(r.correctPct)}) | ${r.plausibleWrong} (${pct(r.plausibleWrongOfOffered)}) | ${r.noFix} | ${r.ambiguous} | ${r.examplesPass} | ${r.unverified} (${r.unverifiedJudgedCorrect}) | ${r.unchanged} | ${r.candidatesMean.toFixed(1)} | ${secs(r.fixP50ms)} / ${secs(r.fixP95ms)} | ${secs(r.allP50ms)} / ${secs(r.allP95ms)} |`),
    '',
    ...(rows.some((r) => r.screened > 0)
      ? [
        'Screen (repair/tests/screen.ts): every candidate built into one program (one build), the examples run once per candidate; only those that pass them are proven alone, as before. Means over the problems screened:',
        '',
        '| language | variant | problems screened | candidates built at once | passed the examples | did not compile | builds | screen p50 s | no screen (why) |',
        '|---|---|---|---|---|---|---|---|---|',
        ...rows.map((r) => `| ${r.language} | ${r.variant} | ${r.screened} | ${r.screenCandidatesMean.toFixed(1)} | ${r.screenPassedMean.toFixed(1)} | ${r.screenBrokenMean.toFixed(1)} | ${r.screenBuildsMean.toFixed(1)} | ${secs(r.screenP50ms)} | ${r.screenNotes.join('; ') || '-'} |`),
        '',
      ]
      : []),
    ...(rows.some((r) => r.splitCorrect + r.splitWrong > 0)
      ? ['Offered fixes whose passing alternatives behave differently beyond the examples: ' + rows.map((r) => `${r.language}/${r.variant}: ${r.splitCorrect} correct, ${r.splitWrong} plausible-but-wrong`).join('; ') + '.', '']
      : []),
    ...(rows.some((r) => r.contestedCorrect + r.contestedWrong + r.replaced > 0)
      ? [
        'Rival check (repair/rivals.ts): a fix that other edits contest (they answer the examples\' calls alike and behave differently) is offered titled "passes the tests, not proven" (what --ambiguous abstain withholds). ' +
          'Offered as proven = offered less the contested ones (unverified ones included, as in the offered column):',
        '',
        '| language | variant | contested correct | contested plausible-but-wrong | offered as proven | correct as proven | plausible-but-wrong of offered as proven | rival replaced the first fix | rival check p50 s |',
        '|---|---|---|---|---|---|---|---|---|',
        ...rows.map((r) => `| ${r.language} | ${r.variant} | ${r.contestedCorrect} | ${r.contestedWrong} | ${r.provenOffered} | ${r.provenCorrect} | ${r.provenWrong} (${pct(r.provenWrongOfProven)}) | ${r.replaced} | ${secs(r.rivalsP50ms)} |`),
        '',
      ]
      : []),
  ].join('\n');
}

/** The report of a run cut short, from the records it wrote as it went. */
export function reportPartial(o: ProofOptions, log: (m: string) => void): { rows: ReturnType<typeof summarizeProof>; records: ProofRecord[] } {
  const records = readFileSync(o.report!, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as ProofRecord);
  // only problems every variant finished, so that the variants compare on the same problems
  const variants = [...new Set(records.map((r) => r.variant))];
  const done = new Set([...new Set(records.map((r) => r.taskId))].filter((id) => variants.every((v) => records.some((r) => r.taskId === id && r.variant === v))));
  const kept = records.filter((r) => done.has(r.taskId));
  const rows = summarizeProof(kept);
  const meta = { command: `npm run eval -- ${process.argv.slice(2).join(' ')} (the report of a run cut short: ${done.size} problems, from ${o.report})`, seconds: Math.round(kept.reduce((a, r) => a + r.ms, 0) / 1000), prove: o.prove, budgetS: o.budgetMs / 1000, problems: done.size };
  writeFileSync(o.out, JSON.stringify({ meta, rows, records: kept }, null, 1) + '\n');
  writeFileSync(o.out.replace(/\.json$/, '.md'), proofMarkdown(rows, meta));
  log(proofMarkdown(rows, meta));
  return { rows, records: kept };
}

export async function runProofSuite(o: ProofOptions, log: (m: string) => void = (m) => console.error(m)): Promise<{ rows: ReturnType<typeof summarizeProof>; records: ProofRecord[] }> {
  if (o.report) return reportPartial(o, log);
  const t0 = Date.now();
  const dataDir = humanEvalPackDir(o.data);
  const engine = await Engine.load({ modelDir: o.model, device: 'cpu' });
  const records: ProofRecord[] = [];
  mkdirSync(dirname(o.out), { recursive: true });
  const partial = o.out.replace(/\.json$/, '.partial.jsonl');
  writeFileSync(partial, '');
  try {
    for (const lang of o.languages) {
      const tc = await toolchain(lang);
      if (!tc.ok) { log(`proof: ${lang} skipped: ${tc.why}`); continue; }
      const examples = exampleTests(dataDir, lang);
      const compiled = (COMPILED_LANGUAGES as readonly string[]).includes(lang);
      const pyExamples = lang === 'rust' ? exampleTests(dataDir, 'python') : undefined;
      if (lang === 'go') goEnvironment();
      const problems = loadProblems(dataDir, lang).filter((p) => !o.only || o.only.includes(p.taskId)).slice(o.skip, o.limit !== undefined ? o.skip + o.limit : undefined);
      log(`proof: ${lang}: ${problems.length} problems, variants ${o.variants.join(', ')}`);
      for (const p of problems) {
        for (const variant of o.variants) {
          // Rust: one workspace folder for every problem, so that the product's cargo target folder (one per
          // workspace root, repair/tests/run.ts) keeps the crates built once; the others: a new folder each
          const dir = lang === 'rust' ? freshDir(join(tmpdir(), 'treasure-proof-rust')) : mkdtempSync(join(tmpdir(), 'treasure-proof-'));
          const t = performance.now();
          let rec: ProofRecord;
          const base = { taskId: p.taskId, language: lang, variant, bugType: p.bugType };
          try {
            const shown = o.canonical ? { ...p, buggy: p.canonical } : p;
            const ws = compiled
              ? await writeCompiledWorkspace(dir, shown, examples.get(p.taskId) ?? '', pyExamples?.get(p.taskId.replace(/^\w+\//, 'Python/')) ?? '')
              : { text: writeWorkspace(dir, shown, examples.get(p.taskId) ?? ''), module: FILES[lang]!.module, test: FILES[lang]!.test, line: bodyLine(shown), verifyCommand: undefined };
            const text = ws.text;
            if (o.noTests) rmSync(join(dir, ws.test));
            const limits = { prove: o.prove, budgetMs: o.budgetMs, ...(o.rankFirst !== undefined ? { rankFirst: o.rankFirst } : {}), ...(o.ambiguous ? { ambiguous: o.ambiguous } : {}), ...(o.plausible ? { plausible: o.plausible } : {}), ...(o.rivals !== undefined ? { rivals: o.rivals } : {}), ...(o.screen !== undefined ? { screen: o.screen } : {}) };
            const out = await engine.fixDetailed({
              text, languageId: LANGUAGE_ID[lang], line: ws.line, mode: 'function', path: join(dir, ws.module),
              verify: { root: dir, trusted: true, rank: variant, limits, ...(ws.verifyCommand && !o.noTests ? verifyOf(ws, o.screen !== 0) : {}) },
            });
            const ms = performance.now() - t;
            const common = { ...base, ms, candidates: out.candidates, verifyMs: out.verifyMs, plausible: out.plausible, behaviours: out.behaviours, rivals: out.rivals, rivalsMs: out.rivalsMs, ...(out.rivalsNote ? { rivalsNote: out.rivalsNote } : {}), ...(out.screen ? { screen: out.screen } : {}), ...(out.fix?.contested ? { contested: out.fix.contested } : {}), ...(out.replaced ? { replaced: out.replaced } : {}) };
            if (!out.fix) rec = { ...common, outcome: outcomeWithoutFix(out.reason), reason: out.reason };
            else if (out.fix.fixed === text) rec = { ...common, outcome: 'unchanged', label: out.fix.label };
            else if (!out.fix.verified) {
              const [r] = await runPrograms([programFor(p, out.fix.fixed)], defaultLimits, 1);
              rec = { ...common, outcome: 'unverified', label: out.fix.label, reason: out.fix.unverified, judged: r!.pass };
            } else {
              // the judge: the hidden test on the fixed document (the export line is harmless to it)
              const [r] = await runPrograms([programFor(p, out.fix.fixed)], defaultLimits, 1);
              rec = { ...common, outcome: r!.pass ? 'correct' : 'plausible_wrong', label: out.fix.label, verifiedBy: out.fix.verifiedBy };
              if (out.replacedFixed) rec.replacedCorrect = (await runPrograms([programFor(p, out.replacedFixed)], defaultLimits, 1))[0]!.pass;
            }
          } catch (e) {
            rec = { ...base, outcome: 'error', reason: (e as Error).message, ms: performance.now() - t };
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
          records.push(rec);
          appendFileSync(partial, JSON.stringify(rec) + '\n');
          log(`proof: ${p.taskId} ${variant}: ${rec.outcome}${rec.label ? ` — ${rec.label}` : ''}${rec.reason ? ` (${rec.reason.slice(0, 160)})` : ''} [${(rec.ms / 1000).toFixed(1)} s]`);
        }
      }
    }
  } finally {
    await disposeProvers();
    disposeWarmPools();
  }
  const rows = summarizeProof(records);
  const meta = { command: `npm run eval -- ${process.argv.slice(2).join(' ')}`, seconds: Math.round((Date.now() - t0) / 1000), prove: o.prove, budgetS: o.budgetMs / 1000, skip: o.skip, limit: o.limit ?? null };
  writeFileSync(o.out, JSON.stringify({ meta, rows, records }, null, 1) + '\n');
  writeFileSync(o.out.replace(/\.json$/, '.md'), proofMarkdown(rows, meta));
  log(proofMarkdown(rows, meta));
  log(`wrote ${o.out} and ${o.out.replace(/\.json$/, '.md')}`);
  return { rows, records };
}

export function parseProofArgs(argv: string[]): ProofOptions {
  const o: ProofOptions = { languages: ['python'], skip: 0, variants: ['model', 'prior'], prove: 40, budgetMs: 20_000, out: resolve(repoRoot, 'build/eval/proof.json') };
  const num = (a: string, v: string) => { const n = Number(v); if (!Number.isFinite(n) || n < 0) throw new Error(`${a} expects a number, got "${v}"`); return n; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => { const x = argv[++i]; if (x === undefined) throw new Error(`${a} needs a value`); return x; };
    switch (a) {
      case '--suite': v(); break;
      case '--languages': o.languages = v().split(',').map((s) => (s.trim() === 'javascript' ? 'js' : s.trim())).filter(Boolean) as HepLanguage[]; break;
      case '--limit': o.limit = num(a, v()); break;
      case '--skip': o.skip = num(a, v()); break;
      case '--rank': case '--variants': o.variants = v().split(',').map((s) => s.trim()) as ProofVariant[]; break;
      case '--prove': o.prove = num(a, v()); break;
      case '--budget': o.budgetMs = num(a, v()) * 1000; break;
      case '--out': o.out = resolve(v()); break;
      case '--model': o.model = resolve(v()); break;
      case '--data': o.data = resolve(v()); break;
      case '--report': o.report = resolve(v()); break;
      case '--only': o.only = v().split(',').map((x) => x.trim()).filter(Boolean); break;
      case '--order': { const x = v(); if (x !== 'model' && x !== 'prior') throw new Error('--order: model or prior'); o.rankFirst = x === 'model'; break; }
      case '--ambiguous': { const x = v(); if (x !== 'abstain' && x !== 'best' && x !== 'off') throw new Error('--ambiguous: abstain, best or off'); o.ambiguous = x; break; }
      case '--canonical': o.canonical = true; break;
      case '--plausible': o.plausible = num(a, v()); break;
      case '--no-tests': o.noTests = true; break;
      case '--screen': o.screen = num(a, v()); break;
      case '--rivals': { const x = v(); if (x !== 'on' && x !== 'off') throw new Error('--rivals: on or off'); o.rivals = x === 'on'; break; }
      default: throw new Error(`unknown option for the proof suite: ${a}`);
    }
  }
  for (const l of o.languages) if (!(PROOF_LANGUAGES as readonly string[]).includes(l)) throw new Error(`--languages: ${l} is not one of ${PROOF_LANGUAGES.join(', ')}`);
  for (const v of o.variants) if (v !== 'model' && v !== 'prior') throw new Error(`--rank: ${v} is not model or prior`);
  return o;
}
