// The engine's two proven paths (docs/CONTRACTS.md "Repair"), as functions of the model they rank with:
// a syntax error searched for and proven by the language's parser, and a function's fix proven by the
// workspace's tests. The Engine (engine.ts) calls them from fixAt; they call back its scoring and rewrite.
import { dirname, resolve } from 'node:path';
import { contextMarkers, errorTypeFor, regionForLine, type Analysis, type FixTarget, type LineRegion, type MarkerLayers } from '../context';
import { DecodeAbortedError } from '../decode';
import { InputError, type FixAtRequest, type FixOutcome } from '../engine-api';
import { mergeMarkers, typedMarkers, type Markers } from '../markers';
import { judgeCandidate, NoProverError, ProverInputError, proverFor, syntaxView, type Prover } from './prove';
import { treeSitterProver } from './prove/treesitter';
import { editedScreen } from './prove/treesitter-edits';
import { failureDiagnostic } from './failure';
import { screenPolicy } from './screen-policy';
import { searchSemanticFix } from './semantic';
import { searchSyntaxFix, syntaxStudy, targetError } from './syntax';
import { lineStarts, offsetAt, toTextEdits } from './text';
import type { TestFailure } from './tests/report';
import type { ParseVerdict } from './types';

/** The most lines of a syntax error's region the model reads to rank candidates (those around the edits:
 * the prompt and each answer cost their tokens); studies compare another figure (syntaxStudy.scoreAll). */
const SYNTAX_SCORING_LINES = 20;
const SYNTAX_SCORING_LINES_ALT = 40;

/** A syntax error's region the model rewrites when the search found nothing (longer ones: no rewrite). */
const MAX_REWRITE_LINES = 40;

/** What the paths need of the engine: its scores of candidate documents and its own rewrite of a target. */
export interface RepairModel {
  /** false: a model trained without markers (no marker list is given). */
  readonly markers: boolean;
  /** How the syntax search orders what the parser accepts: the model's score with the prior, or the prior alone. */
  readonly syntaxRank: 'model' | 'prior';
  /** maxLines: the most lines of the target's region the model reads (those around the edits). */
  scoreCandidates(a: Analysis, target: FixTarget, docs: readonly string[], given: Markers, signal?: AbortSignal, maxLines?: number): Promise<number[]>;
  scoreEditCandidates(a: Analysis, target: FixTarget, docs: readonly string[], given: Markers, signal?: AbortSignal): Promise<number[]>;
  fixTarget(a: Analysis, target: FixTarget, layers: Required<MarkerLayers>, req: FixAtRequest, t0: number): Promise<FixOutcome>;
}

const NOT_A_NAME = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'sizeof', 'synchronized', 'throw', 'new', 'decltype', 'alignof', 'typeof']);

/**
 * The name of the function whose region starts at `startLine` (0-based): `def f`, `function f`, `fn f`,
 * `func f`, `f = (...) =>`; in Java and the C family the word before the declaration's first `(` (a
 * modifier or an annotation's line above it is skipped). The rival checks call the function by this name.
 */
export function functionNameOf(lines: readonly string[], startLine: number, codeType: string): string | undefined {
  const first = lines[startLine] ?? '';
  const named = /(?:def|function|fn|func)\s+(\w+)|(\w+)\s*=\s*(?:async\s*)?(?:function|\()/.exec(first)?.slice(1).find(Boolean);
  if (named || !['java', 'c', 'cpp', 'csharp'].includes(codeType)) return named;
  for (const line of lines.slice(startLine, startLine + 4)) {
    const code = line.replace(/\/\/.*$/, '').replace(/@\w+(\([^)]*\))?/g, ' ');
    for (const m of code.matchAll(/([A-Za-z_]\w*)\s*\(/g)) if (!NOT_A_NAME.has(m[1]!)) return m[1];
    if (code.includes('{')) break;
  }
  return undefined;
}

/**
 * The tested path (repair/semantic.ts): operator edits at the lines the failing tests blame, ranked by
 * the model, proven by the tests, with the model's own rewrite among them. No tests, or an untrusted
 * workspace: the model's rewrite, unverified, says why. Tests that pass, or no candidate that passes: no fix.
 */
export async function repairWithTests(model: RepairModel, a: Analysis, target: FixTarget, layers: Required<MarkerLayers>, req: FixAtRequest, t0: number): Promise<FixOutcome> {
  const v = req.verify!;
  const ms = () => Math.round(performance.now() - t0);
  const given = model.markers ? mergeMarkers({ explicit: layers.explicit, settings: layers.settings, context: contextMarkers(a, target, 'CodeFix') }).markers : {};
  const useModel = v.rank !== 'prior';
  const prover = await proverFor(a.language.codeType).catch(() => undefined);
  let own: FixOutcome | undefined;
  // the first failing test goes into the prompt as its Error line (issue 28; TREASURE_FAILURE_PROMPT=off: not)
  const told = (failed: TestFailure[] = []): FixTarget => (failed[0] && process.env.TREASURE_FAILURE_PROMPT !== 'off' ? { ...target, diagnostic: failureDiagnostic(failed[0]) } : target);
  const rewrite = async (failed?: TestFailure[]) => (own ??= await model.fixTarget(a, told(failed), layers, req, t0));
  const lines = (r: LineRegion) => `lines ${r.startLine + 1}-${r.endLine + 1}`;
  const found = await searchSemanticFix({
    text: a.text, codeType: a.language.codeType, file: resolve(a.path!), root: resolve(v.root), trusted: v.trusted, verifyCommand: v.command, verifyBuild: v.build, testFiles: v.testFiles,
    fromLine: target.region.startLine + 1, toLine: target.region.endLine + 1, functionName: functionNameOf(a.lines, target.region.startLine, a.language.codeType),
    rank: useModel ? (docs, failed) => model.scoreEditCandidates(a, told(failed), docs, given, req.signal).catch((e: unknown) => { if (e instanceof InputError) return docs.map(() => 0); throw e; }) : undefined,
    parses: prover ? async (docs) => (await prover.parse(docs, { signal: req.signal, path: a.path })).map((x) => x.ok) : undefined,
    extra: useModel ? async (failed) => { const o = await rewrite(failed); return o.fix ? { fixed: o.fix.fixed, label: `the model's rewrite of ${lines(target.region)}` } : null; } : undefined,
    limits: v.limits, signal: req.signal,
  });
  const counts = { candidates: found.tried, verifyMs: found.verifyMs, plausible: found.plausible, behaviours: found.behaviour?.groups.length, rivals: found.rivals?.rivals, rivalsMs: found.rivals?.ms, rivalsNote: found.rivals?.note, contested: found.fix?.contested, replaced: found.fix?.replaced, replacedFixed: found.fix?.replacedFixed, screen: found.screen };
  if (found.fix) {
    const f = found.fix;
    const proof = { verified: true, verifiedBy: f.provenBy, label: f.label, tests: f.tests, ...(f.contested ? { contested: f.contested } : {}), ...counts, latencyMs: ms() };
    if (f.origin === 'model' && own?.fix) return { ...own, fix: { ...own.fix, ...proof }, ...counts, latencyMs: ms() };
    const edits = toTextEdits(a.text, f.edits!);
    const end = edits[edits.length - 1]!.range.end.line;
    const region = { start: { line: edits[0]!.range.start.line, character: 0 }, end: { line: end, character: a.lines[end]?.length ?? 0 } };
    return { fix: { edits, fixed: f.fixed, markers: { given: typedMarkers(given), inferred: {} }, ...proof, region, target: 'function' }, ...counts, latencyMs: ms() };
  }
  if (found.outcome === 'tests_pass' || found.outcome === 'no_fix') return { fix: null, reason: found.reason, ...counts, latencyMs: ms() };
  // nothing could prove anything: the model's rewrite, unverified, with why
  const o = await rewrite();
  return o.fix ? { ...o, fix: { ...o.fix, unverified: found.reason, verifyMs: found.verifyMs }, ...counts, latencyMs: ms() } : { ...o, reason: `${o.reason} (${found.reason})`, ...counts, latencyMs: ms() };
}

/**
 * The syntax path (docs/CONTRACTS.md "Repair"): the language's parser reads the document; where it
 * reports an error, single- and two-token edits around it are proposed, the parser proves them, the
 * model ranks what it accepts. When nothing is proven, the model's own rewrite gets the same proof.
 * null: not a syntax matter (the parser accepts the code and the target is an editor diagnostic, or
 * there is no target): the caller goes on with the model's rewrite.
 */
export async function repairSyntax(model: RepairModel, a: Analysis, target: FixTarget | null, layers: Required<MarkerLayers>, req: FixAtRequest, t0: number): Promise<FixOutcome | null> {
  const ms = () => Math.round(performance.now() - t0);
  let prover: Prover;
  try {
    prover = await proverFor(a.language.codeType, { workspaceRoot: a.path ? dirname(a.path) : undefined });
  } catch (e) {
    if (e instanceof NoProverError) return null;
    throw e;
  }
  let verdict: ParseVerdict;
  try {
    [verdict] = (await prover.parse([a.text], { signal: req.signal, path: a.path })) as [ParseVerdict];
  } catch (e) {
    if (e instanceof ProverInputError) throw new InputError(e.message);
    throw e;
  }
  if (req.signal?.aborted) throw new DecodeAbortedError();
  // a compiler that also reports names and types it cannot resolve (g++ without the project's headers):
  // the search reads its syntax errors alone, and the title says what else it reports
  const view = syntaxView(prover, verdict);
  prover = view.prover;
  verdict = view.verdict;
  let elsewhere = view.others.length > 0 ? `, syntax only (it also reports ${view.others.length} error${view.others.length > 1 ? 's' : ''} of names or types)` : '';
  // gcc and g++ without a file's headers give up on a definition whose types they do not know (`int
  // area(Shape *s) {`, `std::vector<Widget*>`) and never read the error the user sees in it: where such an
  // error of names or types opens the definition that holds the target, and no syntax error of theirs is
  // one tree-sitter sees too (theirs are then misreadings of the unknown types), tree-sitter proves, and
  // says why; the fix must then add no syntax error of theirs (compilerAgrees). Elsewhere the error stays
  // tree-sitter's alone (a macro it misreads) or theirs.
  const grammar = a.language.grammar;
  const opens = (line: number) => { let l = line; while (l > 0 && !/^[A-Za-z_]/.test(a.lines[l] ?? '')) l--; return l; };
  const treeSitterSees = (e: { line: number }) => a.issues.some((i) => Math.abs(i.start.row - e.line) <= 1);
  let compilerAgrees: ((fixed: string) => Promise<boolean>) | undefined;
  let compilerName = '';
  if (target && grammar && view.others.some((e) => e.line >= opens(target!.line) && e.line <= target!.line) && !verdict.errors.some(treeSitterSees)) {
    const fallback = treeSitterProver(grammar);
    const [v] = fallback ? ((await fallback.parse([a.text], { signal: req.signal, path: a.path })) as [ParseVerdict]) : [undefined];
    if (fallback && v && !v.ok) {
      const compiler = prover;
      compilerName = compiler.name;
      const before = new Set(verdict.errors.map((e) => e.message));
      compilerAgrees = async (fixed) => (await compiler.parse([fixed], { signal: req.signal, path: a.path }))[0]!.errors.every((e) => before.has(e.message));
      elsewhere = ` (${prover.name} cannot read this file without its headers)`;
      prover = fallback;
      verdict = v;
    }
  }
  if (verdict.ok) {
    if (target?.kind === 'syntax') return { fix: null, reason: `${prover.name} ${elsewhere ? 'finds no syntax error in' : 'accepts'} this code as it is: the syntax error at line ${target.line + 1} is tree-sitter's alone${view.others.length ? ` (${prover.name} reports ${view.others.length} error(s) of names or types, such as line ${view.others[0]!.line + 1}: ${view.others[0]!.message.slice(0, 60)})` : ''}`, latencyMs: ms() };
    return null;
  }
  const first = targetError(verdict.errors, target?.line, prover);
  // the user's error (tree-sitter's or the editor's) when it is near the parser's, or in Python its own
  // block (the parser is run on that block alone); else the parser's first error
  const ownBlock = !!target && Math.abs(target.line - first.line) > 3 && a.language.codeType === 'python';
  if (!target || (Math.abs(target.line - first.line) > 3 && !ownBlock)) {
    const message = `Syntax error: ${first.message}`;
    target = { kind: 'syntax', line: first.line, column: first.column, region: regionForLine(a, first.line), diagnostic: message, errorType: errorTypeFor(message) ?? 'syntax_error' };
  }
  const starts = lineStarts(a.text);
  const offset = Math.min(a.text.length, (starts[target.line] ?? a.text.length) + (target.column ?? 0));
  const given = model.markers ? mergeMarkers({ explicit: layers.explicit, settings: layers.settings, context: contextMarkers(a, target, 'CodeFix') }).markers : {};
  const t = target;
  const rank = (docs: string[]) => model.scoreCandidates(a, t, docs, given, req.signal, syntaxStudy.scoringLines ?? SYNTAX_SCORING_LINES).catch((e: unknown) => {
    if (e instanceof InputError) return docs.map(() => 0); // too long for the model: the prior decides
    throw e;
  });
  const rankNarrow = syntaxStudy.scoreAll && syntaxStudy.scoreAlt ? (docs: string[]) => model.scoreCandidates(a, t, docs, given, req.signal, SYNTAX_SCORING_LINES_ALT) : undefined;
  // tree-sitter screens the candidates before the language's parser (screen-policy.ts)
  const policy = screenPolicy(a.language.codeType);
  const screen = policy && prover.kind === 'native' && grammar ? treeSitterProver(grammar) ?? undefined : undefined;
  const edited = screen && grammar ? editedScreen(grammar) : undefined; // the original's tree kept for the search
  const found = await searchSyntaxFix({ screen, screenEdits: edited?.parse, screenRescue: policy?.rescue, screenOrder: policy?.order, limits: policy ? { slowProve: policy.slowProve } : undefined, text: a.text, codeType: a.language.codeType, target: { offset, message: target.diagnostic }, prover, originalVerdict: verdict, path: a.path, rank: model.syntaxRank === 'model' ? rank : undefined, rankAlt: rankNarrow, signal: req.signal, otherErrorLines: a.issues.filter((i) => Math.abs(i.start.row - t.line) > 3).map((i) => i.start.row), ownBlock }).finally(() => edited?.dispose());
  const region = (r: LineRegion) => ({ start: { line: r.startLine, character: 0 }, end: { line: r.endLine, character: a.lines[r.endLine]?.length ?? 0 } });
  if (found.fix && compilerAgrees && !(await compilerAgrees(found.fix.fixed))) {
    return { fix: null, candidates: found.tried, reason: `no fix that both tree-sitter and ${compilerName} accept: tree-sitter's best (${found.fix.label}) makes ${compilerName} report a syntax error it did not (it cannot read this file without its headers)`, latencyMs: ms() };
  }
  if (found.fix) {
    const edits = toTextEdits(a.text, found.fix.edits);
    const line = edits[0]!.range.start.line;
    // a file with more errors: this fix is for one of them; the label says how many others tree-sitter sees
    const others = found.fix.remaining ? new Set(a.issues.filter((i) => Math.abs(i.start.row - t.line) > 3).map((i) => i.start.row)).size : 0;
    const label = others > 0 ? `${found.fix.label} (${others} more error${others > 1 ? 's' : ''} elsewhere in the file)` : found.fix.label;
    return {
      fix: {
        edits, fixed: found.fix.fixed, markers: { given: typedMarkers(given), inferred: {} }, verified: true, verifiedBy: found.fix.provenBy + elsewhere, label,
        candidates: found.tried, latencyMs: ms(), region: region({ startLine: line, endLine: edits[edits.length - 1]!.range.end.line }), target: 'syntax',
      },
      candidates: found.tried,
      latencyMs: ms(),
    };
  }
  if (found.parserAcceptsOriginal) return { fix: null, reason: found.reason, latencyMs: ms() };
  // the model's own rewrite, held to the same proof (of a region short enough for it to write quickly)
  const lines = target.region.endLine - target.region.startLine + 1;
  if (lines > MAX_REWRITE_LINES) return { fix: null, candidates: found.tried, reason: `no fix that ${prover.name} accepts: ${found.reason}; the region (${lines} lines) is too long for the model to rewrite quickly`, latencyMs: ms() };
  const own = await model.fixTarget(a, target, layers, req, t0);
  if (own.fix) {
    const [v] = (await prover.parse([own.fix.fixed], { signal: req.signal, path: a.path })) as [ParseVerdict];
    const offs = own.fix.edits.map((e) => ({ start: offsetAt(a.text, starts, e.range.start), end: offsetAt(a.text, starts, e.range.end), newText: e.newText }));
    const j = judgeCandidate({ original: a.text, originalVerdict: verdict, target: first, candidate: { fixed: own.fix.fixed, edits: offs }, candidateVerdict: v, prover });
    if (j.proven) return { ...own, fix: { ...own.fix, verified: true, verifiedBy: prover.name + elsewhere, label: `the model's rewrite of lines ${own.fix.region.start.line + 1}-${own.fix.region.end.line + 1}`, candidates: found.tried + 1 }, candidates: found.tried + 1 };
    return { ...own, fix: null, candidates: found.tried + 1, reason: `no fix that ${prover.name} accepts: ${found.reason}; the model's rewrite: ${j.reason}` };
  }
  return { ...own, candidates: found.tried + 1, reason: `no fix that ${prover.name} accepts: ${found.reason}; the model's rewrite: ${own.reason}` };
}
