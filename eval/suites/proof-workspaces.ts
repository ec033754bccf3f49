// The proof suite's workspaces for the compiled languages (issue 26): each HumanEvalPack problem laid
// out as the small project a user would have, run by the product's own test path.
//   go    go.mod + solution.go (package main, the imports the code uses) + solution_test.go (test_setup +
//         example_test): `go test`. The suite runs Go in GOPATH mode over Debian's gocode (testify offline):
//         goEnvironment() below, set in the process before the engine runs.
//   rust  Cargo.toml (rand, regex, md5 from Debian's crates, offline: .cargo/config.toml) + src/solution.rs
//         (the document) + src/lib.rs (`include!` of it and `mod examples`) + src/examples.rs: `cargo test`.
//         HumanEvalPack has no Rust example_test: the visible test is the first k statements of the Rust
//         `test` up to its k-th assert, k = the number of asserts in the Python example_test of the same
//         problem (the judge is still the whole `test`).
//   java  Solution.java (the document) + Main.java (the document's imports + example_test): the verify
//         command `javac ... && java -ea ... Main` (treasure.verify.command's path: exit 0 = pass).
//   cpp   solution.cpp (the document) + examples.cpp (`#include "solution.cpp"` + example_test): the verify
//         command `g++ ... examples.cpp && ./examples`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bodyLine, buggyDocument, type Problem } from '../humanevalpack.js';
import { assembleGo, CARGO_REGISTRY, GOPATH, rustDeps } from '../runner.js';

export interface CompiledWorkspace {
  /** The document under repair (exactly what the module file holds). */
  text: string;
  /** Its file, workspace-relative. */
  module: string;
  /** The test file that holds the visible examples (removed for --no-tests). */
  test: string;
  /** 0-based line of the function body's first line in `text`. */
  line: number;
  /** java, cpp: the verify command (treasure.verify.command); go, rust: the runner is found from the files. */
  verifyCommand?: string;
  /** java, cpp: what builds the program the verify command runs (treasure.verify.build). */
  verifyBuild?: string;
}

export const COMPILED_LANGUAGES = ['go', 'rust', 'java', 'cpp'] as const;

/** GOPATH mode over Debian's gocode (testify without a network); only what the user has not set. */
export function goEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  const want: Record<string, string> = { GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOTOOLCHAIN: 'local', GOPROXY: 'off' };
  for (const [k, v] of Object.entries(want)) if (env[k] === undefined) env[k] = v;
}

/** The 0-based line in `text` of the body's first line, where `text` holds the problem's declaration somewhere. */
function lineIn(text: string, p: Problem): number {
  const decl = p.declaration.trimStart();
  const at = text.indexOf(decl);
  if (at < 0) throw new Error(`${p.taskId}: the declaration is not in the module`);
  const declLineInText = text.slice(0, at).split('\n').length - 1;
  const declLineInDoc = p.declaration.slice(0, p.declaration.length - decl.length).split('\n').length - 1;
  return bodyLine(p) - declLineInDoc + declLineInText;
}

/** Top-level statements of a Rust block's body (split at `;` outside brackets and strings), each with its `;`. */
export function rustStatements(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"') {
      for (i++; i < body.length && body[i] !== '"'; i++) if (body[i] === '\\') i++;
    } else if (c === '/' && body[i + 1] === '/') {
      while (i < body.length && body[i] !== '\n') i++;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ';' && depth === 0) {
      out.push(body.slice(start, i + 1).trim());
      start = i + 1;
    }
  }
  return out.filter(Boolean);
}

/** The Rust visible test: the statements of the first #[test] function of `test` up to its k-th assert. */
export function rustExamples(test: string, k: number): string {
  const m = /#\[test\]\s*fn\s+\w+\s*\(\s*\)\s*\{/.exec(test);
  const stmts: string[] = [];
  if (m && k > 0) {
    let depth = 1;
    let i = m.index + m[0].length;
    const from = i;
    for (; i < test.length && depth > 0; i++) {
      if (test[i] === '{') depth++;
      else if (test[i] === '}') depth--;
    }
    let asserts = 0;
    for (const s of rustStatements(test.slice(from, i - 1))) {
      if (asserts >= k) break;
      stmts.push(s);
      if (/^assert/.test(s)) asserts++;
    }
  }
  return ['use super::*;', '', '#[test]', 'fn examples() {', ...stmts.map((s) => `    ${s}`), '}', ''].join('\n');
}

/** How many asserts a Python example_test makes (the size of the visible test, for Rust). */
export function assertCount(pythonExampleTest: string): number {
  return (pythonExampleTest.match(/^\s*assert\b/gm) ?? []).length;
}

const JAVA_FLAGS = '-J-XX:+UseSerialGC -J-XX:TieredStopAtLevel=1 -nowarn -encoding UTF-8';
const JVM_FLAGS = '-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss16m -ea';

/**
 * Writes a compiled language's workspace for problem `p` (its buggy solution, or whatever `p.buggy`
 * holds) with `exampleTest` as the visible test; `pyExample`: the Python example_test (Rust only).
 */
export async function writeCompiledWorkspace(dir: string, p: Problem, exampleTest: string, pyExample = ''): Promise<CompiledWorkspace> {
  const doc = buggyDocument(p);
  switch (p.language) {
    case 'go': {
      const text = assembleGo({ language: 'go', code: doc, test: '', goImport: p.goImport, goHelpers: p.goHelpers });
      const test = exampleTest.trim() ? assembleGo({ language: 'go', code: '', test: exampleTest, goTestSetup: p.goTestSetup }) : 'package main\n';
      writeFileSync(join(dir, 'go.mod'), 'module solution\n\ngo 1.18\n');
      writeFileSync(join(dir, 'solution.go'), text);
      writeFileSync(join(dir, 'solution_test.go'), test);
      return { text, module: 'solution.go', test: 'solution_test.go', line: lineIn(text, p) };
    }
    case 'rust': {
      const deps = await rustDeps();
      const randCompat = join(deps.depsDir, '..', '..', '..', 'rand-compat');
      mkdirSync(join(dir, 'src'), { recursive: true });
      mkdirSync(join(dir, '.cargo'), { recursive: true });
      writeFileSync(join(dir, 'Cargo.toml'), [
        '[package]', 'name = "solution"', 'version = "0.1.0"', 'edition = "2021"', '',
        '[dependencies]', `rand = { path = ${JSON.stringify(randCompat)} }`,
        'regex = { version = "1", default-features = false, features = ["std", "unicode"] }', 'md5 = "0.7"', '',
      ].join('\n'));
      writeFileSync(join(dir, '.cargo', 'config.toml'), ['[source.crates-io]', 'replace-with = "debian"', '[source.debian]', `directory = ${JSON.stringify(CARGO_REGISTRY)}`, '[net]', 'offline = true', ''].join('\n'));
      writeFileSync(join(dir, 'src', 'lib.rs'), '#![allow(unused, deprecated)]\ninclude!("solution.rs");\n\n#[cfg(test)]\nmod examples;\n');
      writeFileSync(join(dir, 'src', 'solution.rs'), doc);
      writeFileSync(join(dir, 'src', 'examples.rs'), rustExamples(p.test, assertCount(pyExample)));
      return { text: doc, module: 'src/solution.rs', test: 'src/examples.rs', line: bodyLine(p) };
    }
    case 'java': {
      const imports = doc.split('\n').filter((l) => /^\s*import\s/.test(l)).join('\n');
      writeFileSync(join(dir, 'Solution.java'), doc);
      // no examples (6 problems): a test that passes, as an empty test file would
      const test = exampleTest.trim() ? exampleTest : 'public class Main { public static void main(String[] args) {} }';
      writeFileSync(join(dir, 'Main.java'), `${imports}\n\n${test}\n`);
      return {
        text: doc, module: 'Solution.java', test: 'Main.java', line: bodyLine(p),
        verifyBuild: `javac ${JAVA_FLAGS} -d classes Solution.java Main.java`,
        verifyCommand: `java ${JVM_FLAGS} -cp classes Main`,
      };
    }
    case 'cpp': {
      writeFileSync(join(dir, 'solution.cpp'), doc);
      writeFileSync(join(dir, 'examples.cpp'), `#include "solution.cpp"\n${exampleTest.trim() ? exampleTest : 'int main() {}'}\n`);
      const libs = /openssl\//.test(doc) ? ' -lcrypto' : '';
      return {
        text: doc, module: 'solution.cpp', test: 'examples.cpp', line: bodyLine(p),
        verifyBuild: `g++ -std=c++17 -O0 -w -pipe -o examples examples.cpp${libs}`,
        verifyCommand: './examples',
      };
    }
    default:
      throw new Error(`${p.language} is not a compiled language of the proof suite`);
  }
}
