// Stand-ins for the engine, to check the harness itself without a model (`--engine oracle|null`):
//   oracle — answers every HumanEvalPack request with the canonical solution: its pass@1 must equal the
//            canonical self-check rate, else the harness loses or breaks fixes somewhere on the way.
//   null   — never offers a fix and generates nothing: every problem must fail (counted as no_fix).
// Neither is a result; reports name the engine kind.
import type { EvalEngine, EvalFixResult, EvalGenerateResult, MarkerMap } from './engine-adapter.js';
import { buggyDocument, canonicalDocument, type Problem } from './humanevalpack.js';

export function oracleEngine(problems: Problem[]): EvalEngine {
  const fixes = new Map<string, string>();
  const gens = new Map<string, string>();
  for (const p of problems) {
    fixes.set(buggyDocument(p), canonicalDocument(p));
    fixes.set(buggyDocument(p) + '\n' + p.test, canonicalDocument(p) + '\n' + p.test); // "tests" variant
    gens.set(p.prompt, p.canonical);
  }
  const given = (languageId: string, task: string, m?: MarkerMap): MarkerMap => ({ task, code_type: languageId, ...m });
  return {
    kind: 'oracle (canonical solutions, harness check)',
    modelDir: '(none)',
    async fix(req): Promise<EvalFixResult> {
      const fixed = fixes.get(req.text) ?? null;
      return { fixed, reason: fixed ? undefined : 'unknown document', given: req.mode === 'context' ? given(req.languageId, 'CodeFix', req.markers) : { ...req.markers }, inferred: {}, latencyMs: 0, markersHonored: true };
    },
    async generate(req): Promise<EvalGenerateResult> {
      // length suite: a prompt with an instruction comment on top still maps to its problem
      const key = gens.has(req.prompt) ? req.prompt : req.prompt.slice(req.prompt.indexOf('\n') + 1);
      return { text: gens.get(key) ?? '', given: req.mode === 'context' ? given(req.languageId, 'CodeGeneration', req.markers) : { ...req.markers }, inferred: {}, latencyMs: 0, markersHonored: true };
    },
    async markersAt(req) { return { task: 'CodeFix', code_type: req.languageId }; },
  };
}

export function nullEngine(): EvalEngine {
  return {
    kind: 'null (no answers, harness check)',
    modelDir: '(none)',
    async fix() { return { fixed: null, reason: 'null engine', given: {}, inferred: {}, latencyMs: 0, markersHonored: true }; },
    async generate() { return { text: '', given: {}, inferred: {}, latencyMs: 0, markersHonored: true }; },
    async markersAt() { return {}; },
  };
}
