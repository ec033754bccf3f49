// One corpus file -> its examples (CodeGeneration, CodeFix, CodeExplanation), markers included.
import type { Parser } from 'web-tree-sitter';
import { analyze, functionsIn, type FnInfo, type FnSpan } from './functions.js';
import { docToBody, docToFunction, continuations, type Pair } from './generation.js';
import { explain } from './explanation.js';
import { fixable, fixWeight, makeFix } from './fix.js';
import { errorShare, getParser, grammarName } from './parsers.js';
import { Rng } from './rng.js';
import type { Settings } from './settings.js';
import { countLines, enumValues, lengthBucket, markerProblems, type Markers } from './taxonomy.js';

export interface CorpusRecord {
  text: string;
  code_type: string;
  package?: string;
  path?: string;
  license?: string;
  domain?: string;
  quality_bucket?: string | number;
  source_kind?: string;
}

export interface Example {
  task: string;
  code: string;
  diagnostic?: string;
  answer: string;
  markers: Markers;
  package: string;
  split: string;
}

/** Extra facts for the card (not written to the example line). */
export interface ExampleMeta { kind: string; op?: string; withDoc?: boolean }

let domains: Set<string> | undefined;
let codeTypes: Set<string> | undefined;

function baseMarkers(rec: CorpusRecord): Markers | null {
  domains ??= new Set(enumValues('domain'));
  codeTypes ??= new Set(enumValues('code_type'));
  if (!codeTypes.has(rec.code_type)) return null;
  const m: Markers = { code_type: rec.code_type, domain: rec.domain && domains.has(rec.domain) ? rec.domain : 'General' };
  const q = rec.quality_bucket === undefined || rec.quality_bucket === null ? '' : String(rec.quality_bucket);
  if (enumValues('quality_bucket').includes(q)) m.quality_bucket = q;
  return m;
}

function example(task: string, pair: { code: string; answer: string; diagnostic?: string }, base: Markers, rec: CorpusRecord, split: string, extra: Markers = {}): Example {
  const lines = Math.max(1, countLines(pair.answer));
  const markers: Markers = {
    task,
    ...base,
    ...extra,
    length_bucket: lengthBucket(lines),
    length_lines: String(Math.min(lines, 2000)),
    source: task === 'CodeFix' ? 'Synthetic' : 'Human',
  };
  const ex: Example = { task, code: pair.code, answer: pair.answer, markers, package: rec.package ?? '', split };
  if (pair.diagnostic) ex.diagnostic = pair.diagnostic;
  return ex;
}

const warned = new Set<string>();
function warnOnce(grammar: string, e: unknown): void {
  if (warned.has(grammar)) return;
  warned.add(grammar);
  console.error(`[tasks] grammar ${grammar} not loaded: ${e instanceof Error ? e.message : String(e)}`);
}

/** `notLanguage`: the file was dropped, its grammar could not read most of it (Settings.maxErrorShare). */
export async function processFile(rec: CorpusRecord, split: string, seed: number, s: Settings): Promise<{ examples: Example[]; meta: ExampleMeta[]; notLanguage?: boolean }> {
  const examples: Example[] = [];
  const meta: ExampleMeta[] = [];
  const base = baseMarkers(rec);
  if (!base || typeof rec.text !== 'string' || !rec.text.trim()) return { examples, meta };
  const text = rec.text.replace(/\r\n?/g, '\n');
  const key = `${rec.package ?? ''}/${rec.path ?? ''}`;
  const push = (task: string, p: Pair | { code: string; answer: string; diagnostic?: string }, m: ExampleMeta, extra: Markers = {}) => {
    const ex = example(task, p, base, rec, split, extra);
    if (markerProblems(ex.markers).length) return;
    examples.push(ex);
    meta.push(m);
  };
  const grammar = grammarName(rec.code_type, rec.path);
  let parser: Parser | undefined;
  if (grammar && text.length <= s.maxFileChars) {
    try {
      parser = await getParser(grammar);
    } catch (e) {
      warnOnce(grammar, e); // that language then gets file continuation only, said once per worker
    }
  }
  let spans: FnSpan[] = [];
  if (parser) {
    const tree = parser.parse(text);
    try {
      // a file its grammar mostly cannot read is not written in its label's language: no examples at all
      if (tree && errorShare(tree.rootNode, text.length) > s.maxErrorShare) return { examples, meta, notLanguage: true };
      if (tree) spans = functionsIn(tree.rootNode, grammar!, text);
    } finally {
      tree?.delete();
    }
  }
  // plain continuation: every language
  for (const p of continuations(text, new Rng(seed, 'cont', key), s)) push('CodeGeneration', p, { kind: p.kind });
  if (!parser || !spans.length) return { examples, meta };
  const rng = new Rng(seed, 'fn', key);
  // analyze lazily: only functions that a task may use
  const infos = new Map<number, FnInfo | null>();
  const info = (i: number) => {
    if (!infos.has(i)) infos.set(i, analyze(parser, text, spans[i]!));
    return infos.get(i)!;
  };
  const idx = spans.map((_, i) => i);
  // documented functions: doc -> body and explanation
  const documented = idx.filter((i) => spans[i]!.comment || grammar === 'python');
  let nDoc = 0;
  let nExpl = 0;
  for (const i of rng.shuffle(documented.slice())) {
    if (nDoc >= s.generation.maxDocFunctionsPerFile && nExpl >= s.explanation.maxPerFile) break;
    if (spans[i]!.lines > s.generation.maxBodyLines + 20) continue;
    const f = info(i);
    if (!f || !f.doc) continue;
    if (nDoc < s.generation.maxDocFunctionsPerFile) {
      // a share of documented functions teach "comment -> whole function" (the Generate Code prompt)
      const p = rng.next() < s.generation.docToFunctionShare ? docToFunction(f, text, rng, s) : docToBody(f, s);
      if (p) { push('CodeGeneration', p, { kind: p.kind }); nDoc++; }
    }
    if (nExpl < s.explanation.maxPerFile) {
      const p = explain(f, s);
      if (p) { push('CodeExplanation', p, { kind: p.kind }); nExpl++; }
    }
  }
  // CodeFix: up to maxFunctionsPerFile functions, HumanEval-sized ones preferred
  const pool = idx.filter((i) => spans[i]!.lines >= s.fix.minLines && spans[i]!.lines <= s.fix.maxLines);
  const ordered = pool.map((i) => ({ i, r: rng.next() ** (1 / (spans[i]!.lines >= s.fix.preferredLines[0] && spans[i]!.lines <= s.fix.preferredLines[1] ? 1 : 0.25)) })).sort((a, b) => b.r - a.r);
  let nFix = 0;
  for (const { i } of ordered) {
    if (nFix >= s.fix.maxFunctionsPerFile) break;
    const f = info(i);
    if (!f || !fixable(f, s)) continue;
    void fixWeight;
    const fx = makeFix(parser, f, new Rng(seed, 'fix', key, i), s);
    if (!fx) continue;
    push('CodeFix', fx, { kind: 'fix', op: fx.op, withDoc: fx.withDoc }, { error_type: fx.errorType });
    nFix++;
    // "nothing to fix": the same function as written, its answer the code unchanged (the model abstains);
    // beside its buggy twin, so the pair teaches what a bug looks like rather than "always edit a line"
    const noFix = s.fix.noFixShare ?? 0;
    if (noFix > 0 && 2 * fx.answer.length <= s.maxExampleChars && new Rng(seed, 'nofix', key, i).chance(noFix)) {
      push('CodeFix', { code: fx.answer, answer: fx.answer }, { kind: 'nofix', op: 'none', withDoc: fx.withDoc }, { error_type: 'none' });
    }
  }
  return { examples, meta };
}
