// HumanEvalPack (eval/data/humanevalpack/{lang}.jsonl, 164 problems per language) and the
// documents the harness builds from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { markersJsonPath } from './paths.js';
import { braceScan } from './truncate.js';

export const HEP_LANGUAGES = ['python', 'js', 'java', 'go', 'cpp', 'rust'] as const;
export type HepLanguage = (typeof HEP_LANGUAGES)[number];

/** VS Code languageId of each HumanEvalPack language (what the editor would send the engine). */
export const LANGUAGE_ID: Record<HepLanguage, string> = {
  python: 'python', js: 'javascript', java: 'java', go: 'go', cpp: 'cpp', rust: 'rust',
};

export interface Problem {
  language: HepLanguage;
  taskId: string;
  index: number;
  prompt: string;
  declaration: string;
  canonical: string;
  buggy: string;
  test: string;
  entryPoint: string;
  /** HumanEvalPack's bug type as an error_type marker value ("missing logic" -> "missing_logic"). */
  bugType: string;
  /** the declaration was cut back to the signature (CPP/38: it holds the start of the body, which the solutions repeat) */
  declarationRepaired?: boolean;
  /** go only */
  goImport?: string;
  goTestSetup?: string;
  /** go: helper functions the prompt defines before the declaration (Go/10, 32, 38, 50 call them, the declaration lacks them) */
  goHelpers?: string;
}

export function parseLanguages(spec: string | undefined): HepLanguage[] {
  if (!spec || spec === 'all') return [...HEP_LANGUAGES];
  const out: HepLanguage[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const l = raw === 'javascript' ? 'js' : raw === 'c++' ? 'cpp' : raw;
    if (!(HEP_LANGUAGES as readonly string[]).includes(l)) throw new Error(`unknown language "${raw}" (known: ${HEP_LANGUAGES.join(', ')})`);
    if (!out.includes(l as HepLanguage)) out.push(l as HepLanguage);
  }
  return out;
}

export function loadProblems(dir: string, language: HepLanguage, limit?: number): Problem[] {
  const lines = readFileSync(join(dir, `${language}.jsonl`), 'utf8').split('\n').filter((l) => l.trim());
  const rows = lines.map((l, index) => {
    const r = JSON.parse(l) as Record<string, string>;
    const p: Problem = {
      language, index,
      taskId: r.task_id!, prompt: r.prompt!, declaration: r.declaration!, canonical: r.canonical_solution!,
      buggy: r.buggy_solution!, test: r.test!, entryPoint: r.entry_point!,
      bugType: String(r.bug_type ?? '').trim().replace(/\s+/g, '_'),
    };
    repairDeclaration(p);
    if (language === 'go') { p.goImport = r.import ?? ''; p.goTestSetup = r.test_setup ?? ''; p.goHelpers = goHelpers(p.prompt, p.declaration); }
    return p;
  });
  return limit !== undefined ? rows.slice(0, limit) : rows;
}

/** The document a user would have open: `declaration + buggy_solution`, exactly. */
export function buggyDocument(p: Problem): string { return p.declaration + p.buggy; }
export function canonicalDocument(p: Problem): string { return p.declaration + p.canonical; }

/** 0-based line (LSP convention) of the first non-blank line of the function body in buggyDocument(p). */
export function bodyLine(p: Problem): number {
  const declLines = p.declaration.split('\n').length - 1; // the buggy solution starts on this line
  const bodyLines = p.buggy.split('\n');
  const first = bodyLines.findIndex((l) => l.trim() !== '');
  return declLines + Math.max(0, first);
}

let codeTypes: Record<string, string> | undefined;
/** code_type marker value for a VS Code languageId, from models/markers.json. */
export function codeTypeOf(languageId: string): string | undefined {
  codeTypes ??= (JSON.parse(readFileSync(markersJsonPath, 'utf8')) as { categories: { code_type: { languageIds: Record<string, string> } } })
    .categories.code_type.languageIds;
  return codeTypes[languageId];
}

/** Go: the top-level functions the prompt defines before the declared one (the declaration has none of them). */
function goHelpers(prompt: string, declaration: string): string {
  const at = prompt.lastIndexOf(declaration.trim());
  const before = at >= 0 ? prompt.slice(0, at) : '';
  return [...before.matchAll(/^func\s+\w+[\s\S]*?^\}[ \t]*$/gm)].map((m) => m[0]).join('\n\n');
}

/**
 * CPP/38's declaration runs past the signature into the first lines of the body, which canonical and buggy
 * solutions repeat, so neither compiles. When `declaration + canonical_solution` leaves braces open, the
 * declaration is cut after the last line that opens the entry point's function.
 */
function repairDeclaration(p: Problem): void {
  if (p.language === 'python') return;
  if (braceScan(p.language, p.declaration + p.canonical).depth === 0) return;
  const lines = p.declaration.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.includes(`${p.entryPoint}(`) && lines[i]!.includes('{')) {
      const cut = lines.slice(0, i + 1).join('\n') + '\n';
      if (braceScan(p.language, cut + p.canonical).depth === 0) { p.declaration = cut; p.declarationRepaired = true; }
      return;
    }
  }
}
