// Speculative (prompt-lookup) against plain greedy decoding on HumanEvalFix functions, CPU:
//  - decode: one greedy CodeFix decode per function (the engine's first try: the whole buggy function,
//    task and language given): completion tokens per second, model calls per completion token, how
//    many drafted tokens were accepted, and whether the two decodes wrote the same tokens;
//  - fix: engine.fixDetailed per function (every try and branch decode it makes): model calls and
//    milliseconds per fix, and whether both gave the same outcome.
// Plain and speculative runs alternate per function, so machine load hits both alike. With a model
// that returns only the last position's logits ([1, vocab]) speculation never starts: both columns
// are plain decoding (the table says so).
//
//   npm run bench:decode -- [--model DIR] [--data DIR] [--n 10] [--languages python] [--reps 1]
//                           [--skip-fix] [--max-draft 16] [--out FILE]
//   The shipped model gives [1, T, vocab] logits (export since 2026-11-22); an older export gets them
//   with /usr/bin/python3 bench/all-logits.py --model OLD --out build/old-all-logits
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Decoder } from '../language-server/src/decode';
import { defaultModelDir, Engine } from '../language-server/src/engine';
import { repoRoot } from '../language-server/src/paths';
import { buildPrompt } from '../language-server/src/prompt';
import { OrtModel, type LogitsSession, type LogitsSource } from '../language-server/src/runtime';
import { TreasureTokenizer } from '../language-server/src/tokenizer';
import { bodyLine, buggyDocument, LANGUAGE_ID, loadProblems, parseLanguages, codeTypeOf } from '../eval/humanevalpack';
import { humanEvalPackDir } from '../eval/paths';

interface Options { model: string; data: string; n: number; languages: string; reps: number; fix: boolean; out: string; maxDraft?: number }

function parseArgs(argv: string[]): Options {
  const o: Options = {
    model: process.env.TREASURE_MODEL_DIR || defaultModelDir(),
    data: humanEvalPackDir(),
    n: 10,
    languages: 'python',
    reps: 1,
    fix: true,
    out: join(repoRoot(), 'build', 'bench', 'decode.json'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    switch (a) {
      case '--model': o.model = v(); break;
      case '--data': o.data = v(); break;
      case '--n': o.n = Number(v()); break;
      case '--languages': o.languages = v(); break;
      case '--reps': o.reps = Number(v()); break;
      case '--skip-fix': o.fix = false; break;
      case '--max-draft': o.maxDraft = Number(v()); break;
      case '--out': o.out = v(); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  o.model = resolve(o.model);
  return o;
}

/** A LogitsSource that counts model calls and fed tokens (drafts included). */
class Counting implements LogitsSource {
  calls = 0;
  fed = 0;
  constructor(readonly inner: LogitsSource) {}
  get vocabSize() { return this.inner.vocabSize; }
  get contextLength() { return this.inner.contextLength; }
  get allPositions() { return this.inner.allPositions; }
  start(): LogitsSession {
    const s = this.inner.start();
    const self = this;
    const session: LogitsSession = {
      get length() { return s.length; },
      get multiLogits() { return s.multiLogits; },
      feed(ids) { self.calls++; self.fed += ids.length; return s.feed(ids); },
      dispose() { s.dispose(); },
    };
    if (s.feedAll) session.feedAll = (ids) => { self.calls++; self.fed += ids.length; return s.feedAll!(ids); };
    if (s.truncate) session.truncate = (n) => s.truncate!(n);
    return session;
  }
}

interface Totals { ms: number; tokens: number; calls: number; drafted: number; accepted: number; fed: number }
const zero = (): Totals => ({ ms: 0, tokens: 0, calls: 0, drafted: 0, accepted: 0, fed: 0 });

function log(s: string): void {
  process.stderr.write(`bench: ${s}\n`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const ort = await OrtModel.load(o.model, 'cpu');
  const tok = TreasureTokenizer.fromFile(join(o.model, 'tokenizer.json'));
  const model = new Counting(ort);
  const plain = new Decoder(model, tok, { speculate: false });
  const spec = new Decoder(model, tok, { speculate: true, maxDraft: o.maxDraft });
  const problems = parseLanguages(o.languages).flatMap((l) => loadProblems(o.data, l, o.n));
  log(`${o.model}: logits ${ort.allPositions ? '[1, T, vocab]: speculation runs' : '[1, vocab] (last position only): speculation cannot start, both columns are plain'}; ${problems.length} functions, CPU ${cpus()[0]?.model ?? '?'} (${cpus().length} threads)`);

  // 1. one greedy decode per function
  const dec = { plain: zero(), spec: zero() };
  let same = 0;
  const perCase: Record<string, unknown>[] = [];
  for (const p of problems) {
    const code = (p.declaration + p.buggy).replace(/\s+$/, '');
    const given = { task: 'CodeFix', code_type: codeTypeOf(LANGUAGE_ID[p.language])! };
    const promptIds = tok.encode(buildPrompt({ task: 'CodeFix', code, given }), true);
    const maxTokens = Math.min(768, 64 + Math.ceil(tok.encode(code).length * 1.5) + 32, ort.contextLength - promptIds.length);
    const ids: Record<string, number[]> = {};
    const row: Record<string, unknown> = { id: p.taskId, promptTokens: promptIds.length };
    for (let r = 0; r < o.reps; r++) {
      for (const [name, d] of [['plain', plain], ['spec', spec]] as const) {
        const c0 = model.calls;
        const f0 = model.fed;
        const t0 = performance.now();
        const res = await d.run({ promptIds, given, maxTokens, original: code });
        const ms = performance.now() - t0;
        const t = dec[name];
        t.ms += ms;
        t.tokens += res.ids.length;
        t.calls += model.calls - c0;
        t.fed += model.fed - f0;
        t.drafted += res.speculation?.drafted ?? 0;
        t.accepted += res.speculation?.accepted ?? 0;
        ids[name] = res.ids;
        if (r === 0) row[name] = { tokens: res.ids.length, calls: model.calls - c0, ms: Math.round(ms), stop: res.stop, ...res.speculation };
      }
    }
    const eq = ids.plain!.length === ids.spec!.length && ids.plain!.every((x, i) => x === ids.spec![i]);
    if (eq) same++;
    row.identical = eq;
    perCase.push(row);
    log(`${p.taskId}: ${ids.plain!.length} tokens; calls plain ${(row.plain as Totals).calls}, spec ${(row.spec as Totals).calls}; ${eq ? 'identical' : 'DIFFERENT'}`);
  }

  // 2. whole fixes through the engine (tries and branch decodes included)
  const fix = { plain: zero(), spec: zero() };
  let sameFix = 0;
  if (o.fix) {
    const engines = {
      plain: await Engine.load({ logits: model, tokenizer: tok, modelDir: o.model, speculate: false }),
      spec: await Engine.load({ logits: model, tokenizer: tok, modelDir: o.model, speculate: true }),
    };
    for (const p of problems) {
      const outcome: Record<string, string> = {};
      for (const name of ['plain', 'spec'] as const) {
        const c0 = model.calls;
        const t0 = performance.now();
        const r = await engines[name].fixDetailed({ text: buggyDocument(p), languageId: LANGUAGE_ID[p.language], line: bodyLine(p), path: `bench.${p.language}` });
        fix[name].ms += performance.now() - t0;
        fix[name].calls += model.calls - c0;
        fix[name].tokens += 1; // fixes
        outcome[name] = r.fix ? `fix:${r.fix.fixed}` : `none:${r.reason}`;
      }
      if (outcome.plain === outcome.spec) sameFix++;
      else log(`${p.taskId}: engine outcomes differ`);
    }
  }

  const n = problems.length;
  const f = (x: number, d = 1) => x.toFixed(d);
  const lines = [
    `model ${relative(repoRoot(), o.model) || '.'} (logits ${ort.allPositions ? '[1, T, vocab]' : '[1, vocab]'}), ${n} ${o.languages} HumanEvalFix functions, ${o.reps} rep(s), CPU ${cpus()[0]?.model ?? '?'} x${cpus().length}`,
    `                              plain      speculative`,
    `decode: completion tokens     ${String(dec.plain.tokens).padEnd(10)} ${dec.spec.tokens}`,
    `decode: tokens/s              ${f(dec.plain.tokens / (dec.plain.ms / 1000)).padEnd(10)} ${f(dec.spec.tokens / (dec.spec.ms / 1000))}`,
    `decode: model calls/token     ${f(dec.plain.calls / dec.plain.tokens, 3).padEnd(10)} ${f(dec.spec.calls / dec.spec.tokens, 3)}`,
    `decode: model calls/function  ${f(dec.plain.calls / (n * o.reps)).padEnd(10)} ${f(dec.spec.calls / (n * o.reps))}`,
    `decode: tokens fed/token      ${f(dec.plain.fed / dec.plain.tokens, 2).padEnd(10)} ${f(dec.spec.fed / dec.spec.tokens, 2)}   (prompt and rejected drafts included)`,
    `decode: drafted / accepted    -          ${dec.spec.drafted} / ${dec.spec.accepted} (${f(100 * dec.spec.accepted / Math.max(1, dec.spec.drafted))}%)`,
    `decode: identical tokens      ${same}/${n}`,
  ];
  if (o.fix) {
    lines.push(
      `fix: model calls/fix          ${f(fix.plain.calls / n).padEnd(10)} ${f(fix.spec.calls / n)}`,
      `fix: ms/fix (mean)            ${f(fix.plain.ms / n, 0).padEnd(10)} ${f(fix.spec.ms / n, 0)}`,
      `fix: same outcome             ${sameFix}/${n}`,
    );
  }
  const table = lines.join('\n');
  process.stdout.write(table + '\n');
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, JSON.stringify({ options: o, allPositions: ort.allPositions, decode: dec, identical: same, fix: o.fix ? fix : undefined, sameFix, cases: perCase, table }, null, 1));
  log(`wrote ${o.out}`);
  await ort.release();
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
