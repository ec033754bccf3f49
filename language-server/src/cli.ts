// The `treasure` command: the engine without an editor.
//   treasure fix FILE [--line N] [--root DIR] [--verify CMD [--verify-build CMD]] [--no-tests] [--min-confidence X|never] [--marker key=value]... [--json]
//   treasure markers FILE [--line N] [--json]
//   treasure fix-test TEST_FILE (--line N | --test NAME) [--root DIR] [--undecided offer|withhold] [--json]   (cli-fix-test.ts)
//   treasure generate --language L --prompt TEXT [--length-lines N | --length-bucket B] [--marker key=value]... [--json]
//   treasure doctor [--device D] [--model DIR] [--json]   (language-server/src/doctor.ts)
// Exit status: 0 a result, 1 no fix found, 2 bad input or no usable model (one-line reason on stderr;
// with --json, one JSON object {"error", "code"} on stdout instead).
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Engine, InputError, ModelError, markersAt, type FixOutcome } from './engine';
import { languageForPath, resolveLanguage, type LanguageInfo } from './grammars';
import { MarkerError, orderedEntries, parseMarkerArgs, type Markers } from './markers';
import { DEFAULT_MIN_CONFIDENCE, validMinConfidence, type MinConfidence } from './repair/confidence';
import { disposeProvers } from './repair/prove';
import { disposeWarmPools } from './repair/tests';
import { diffLines } from './repair/text';
import { doctor } from './doctor';
import { cmdFixTest } from './cli-fix-test';
import type { Device } from './protocol';
import { UNDECIDED, undecidedLimits, type Undecided } from './settings';

/** The largest source file fix/markers read. */
const MAX_FILE_MIB = 4;
const MAX_FILE_BYTES = MAX_FILE_MIB * 1024 * 1024;

const USAGE = `usage:
  treasure fix FILE [--line N] [--root DIR] [--verify CMD [--verify-build CMD]] [--no-tests] [--undecided offer|withhold] [--min-confidence X|never] [--marker key=value]... [--json]
  treasure markers FILE [--line N] [--json]
  treasure fix-test TEST_FILE (--line N | --test NAME) [--root DIR] [--json]   fix the code a failing test exercises
                    (pytest / node --test), proven by the workspace's tests; the edit is printed, nothing written
  treasure generate --language L --prompt TEXT [--length-lines N | --length-bucket concise|medium|long] [--marker key=value]... [--json]
  treasure doctor [--device D] [--model DIR] [--json]   execution providers tried for the model, the one chosen and why
options:
  --line N          1-based line: fix the diagnostic/syntax error there, else rewrite the function around it.
                    Without --line, fix takes the first syntax error; with none, the file's only function
                    (a file with several functions and no syntax error needs --line).
  --root DIR        the workspace whose tests prove a function's fix (default: FILE's git root, else its folder);
                    the tests run in a scratch copy, never in DIR
  --verify CMD      prove a function's fix with a shell command instead: run in the scratch copy of DIR with the
                    candidate applied to FILE's copy; exit status 0 means it passes
  --verify-build CMD  the shell command that builds what --verify runs (e.g. javac -d out *.java), run
                    before it; a search then builds many candidates into one program and runs CMD's
                    output once per candidate; each fix given is still built and verified alone
  --no-tests        do not look for tests (the model's rewrite, unverified)
  --undecided W     a fix the tests pass while other edits pass them too and behave differently beyond them:
                    offer (default) gives it as "passes the tests, not proven" (JSON proven: false); withhold
                    gives none and says on which input the fixes differ (settings: treasure.verify.undecided)
  --min-confidence X  the least confidence (0-1) of a function's fix no test proved for it to be given
                    (default ${DEFAULT_MIN_CONFIDENCE}, calibrated on HumanEvalFix); never: no such fix
  --marker k=v      force a marker (see models/markers.json), repeatable
  --language L      language id or code_type (fix/markers: overrides the file extension)
  --model DIR       model folder (default: models/treasure; env TREASURE_MODEL_DIR)
  --device D        auto | cpu | gpu
  --max-tokens N    token limit for the model's completion
  --json            machine-readable output; an error is then one JSON object {"error": ..., "code": ...} on stdout
limits: a FILE of at most ${MAX_FILE_MIB} MiB; the region to fix must fit the model's context (its tokens)
exit status: 0 a result, 1 no fix found, 2 bad input or no usable model`;

class UsageError extends Error {}

interface Args {
  cmd: string;
  file?: string;
  line?: number;
  markers: string[];
  json: boolean;
  language?: string;
  prompt?: string;
  lengthLines?: string;
  lengthBucket?: string;
  model?: string;
  device?: Device;
  maxTokens?: number;
  root?: string;
  verify?: string;
  verifyBuild?: string;
  noTests?: boolean;
  minConfidence?: MinConfidence;
  undecided?: Undecided;
  test?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { cmd: '', markers: [], json: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--json': args.json = true; break;
      case '--line': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--line expects a line number (1-based), got "${v}"`);
        args.line = Number(v);
        break;
      }
      case '--marker': args.markers.push(value()); break;
      case '--root': args.root = value(); break;
      case '--verify': args.verify = value(); break;
      case '--verify-build': args.verifyBuild = value(); break;
      case '--no-tests': args.noTests = true; break;
      case '--min-confidence': {
        const v = value();
        const x = v === 'never' ? v : /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
        if (!validMinConfidence(x)) throw new UsageError(`--min-confidence expects a number from 0 to 1 or never, got "${v}"`);
        args.minConfidence = x;
        break;
      }
      case '--undecided': {
        const v = value();
        if (!UNDECIDED.includes(v as Undecided)) throw new UsageError(`--undecided expects ${UNDECIDED.join(' or ')}, got "${v}"`);
        args.undecided = v as Undecided;
        break;
      }
      case '--test': args.test = value(); break;
      case '--language': args.language = value(); break;
      case '--prompt': args.prompt = value(); break;
      case '--length-lines': args.lengthLines = value(); break;
      case '--length-bucket': args.lengthBucket = value(); break;
      case '--model': args.model = value(); break;
      case '--device': {
        const v = value();
        if (v !== 'auto' && v !== 'cpu' && v !== 'gpu') throw new UsageError(`--device expects auto, cpu or gpu, got "${v}"`);
        args.device = v;
        break;
      }
      case '--max-tokens': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--max-tokens expects a positive number, got "${v}"`);
        args.maxTokens = Number(v);
        break;
      }
      case '-h': case '--help': args.cmd = 'help'; break;
      default:
        if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
        rest.push(a);
    }
  }
  if (args.cmd === 'help') return args;
  args.cmd = rest.shift() ?? '';
  if (args.cmd === 'fix' || args.cmd === 'markers' || args.cmd === 'fix-test') {
    args.file = rest.shift();
    if (!args.file) throw new UsageError(`${args.cmd} needs a FILE`);
  }
  if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}`);
  return args;
}

/** Reads a source file: refuses missing, non-regular, huge, binary and non-UTF-8 files. */
function readSource(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new InputError(`${file}: no such file`);
  }
  if (!st.isFile()) throw new InputError(`${file}: not a regular file`);
  if (st.size > MAX_FILE_BYTES) throw new InputError(`${file}: too large: ${st.size} bytes, the limit is ${MAX_FILE_MIB} MiB (${MAX_FILE_BYTES} bytes)`);
  const bytes = readFileSync(file);
  if (bytes.includes(0)) throw new InputError(`${file}: a binary file`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new InputError(`${file}: not UTF-8 text`);
  }
}

function languageOf(args: Args): LanguageInfo {
  if (args.language) {
    const l = resolveLanguage(args.language);
    if (!l) throw new InputError(`unsupported language "${args.language}"`);
    return l;
  }
  const l = languageForPath(args.file!);
  if (!l) throw new InputError(`${args.file}: unsupported language (unknown file extension; pass --language)`);
  return l;
}

function markersOf(args: Args): Record<string, string> {
  try {
    return parseMarkerArgs(args.markers) as Record<string, string>;
  } catch (e) {
    throw new InputError((e as MarkerError).message);
  }
}

function lineOf(args: Args, text: string): number | undefined {
  if (args.line === undefined) return undefined;
  const n = text.split(/\r\n|\n|\r/).length;
  if (args.line > n) throw new InputError(`--line ${args.line} is out of range (${args.file} has ${n} lines)`);
  return args.line - 1;
}

const fmt = (m: Markers) => orderedEntries(m).map(([k, v]) => `${k}=${v}`).join(' ');

async function loadEngine(args: Args): Promise<Engine> {
  return Engine.load({ modelDir: args.model ?? process.env.TREASURE_MODEL_DIR, device: args.device });
}

function printDiff(oldText: string, newText: string, startLine: number): string[] {
  const a = oldText.split(/\r?\n/);
  const b = newText.split(/\r?\n/);
  const out: string[] = [];
  for (const h of diffLines(a, b)) {
    out.push(`@@ line ${startLine + h.a0 + 1} @@`);
    for (let i = h.a0; i < h.a1; i++) out.push(`- ${a[i]}`);
    for (let j = h.b0; j < h.b1; j++) out.push(`+ ${b[j]}`);
  }
  return out;
}

/** What proved a fix, in the words the editor's title uses. */
export function proofWords(fix: { verified: boolean; verifiedBy?: string; target: string; candidates?: number; unverified?: string; confidence?: number; contested?: number }): string {
  const tried = fix.candidates ? ` (${fix.candidates} candidates tried)` : '';
  // a fix the tests pass while other edits pass them too and behave differently is not proven (repair/rivals.ts)
  if (fix.verified && fix.verifiedBy) return `${fix.target === 'syntax' ? 'parses' : fix.contested ? 'passes the tests, not proven' : 'proven'}: ${fix.verifiedBy}${tried}`;
  const confidence = fix.confidence !== undefined ? ` (the model's confidence ${fix.confidence.toFixed(2)}, not a proof)` : '';
  if (fix.unverified) return `unverified: ${fix.unverified}${confidence}`;
  return `unverified: nothing ran or parsed it to prove it${confidence}`;
}

/** The workspace whose tests prove a fix: --root, else the file's git root, else its folder. */
export function workspaceRootOf(file: string, root?: string): string {
  if (root) return resolve(root);
  const dir = dirname(resolve(file));
  const git = spawnSync('git', ['-C', dir, 'rev-parse', '--show-toplevel'], { encoding: 'utf8', timeout: 5000 });
  return git.status === 0 && git.stdout.trim() ? git.stdout.trim() : dir;
}

async function cmdFix(args: Args): Promise<number> {
  const text = readSource(args.file!);
  const lang = languageOf(args);
  const markers = markersOf(args);
  const line = lineOf(args, text);
  const engine = await loadEngine(args);
  // the user ran this on their own files: their tests may run (in a scratch copy)
  const verify = args.noTests ? undefined : { root: workspaceRootOf(args.file!, args.root), trusted: true, command: args.verify, build: args.verify ? args.verifyBuild : undefined, ...(args.undecided ? { limits: undecidedLimits(args.undecided) } : {}) };
  const o: FixOutcome = await engine.fixDetailed({ text, languageId: lang.languageId, line, markers, path: args.file, maxTokens: args.maxTokens, verify, minConfidence: args.minConfidence });
  const fix = o.fix;
  if (args.json) {
    if (fix) {
      process.stdout.write(
        JSON.stringify({
          markers: fix.markers, edits: fix.edits, fixed: fix.fixed, verified: fix.verified, proven: fix.verified && !fix.contested, contested: fix.contested ?? null, verifiedBy: fix.verifiedBy ?? null,
          label: fix.label ?? null, candidates: fix.candidates ?? null, verifyMs: fix.verifyMs ?? null, unverified: fix.unverified ?? null, confidence: fix.confidence ?? null, target: fix.target, latencyMs: fix.latencyMs,
        }) + '\n',
      );
    } else {
      process.stdout.write(JSON.stringify({ markers: o.markers ?? null, edits: [], fixed: null, verified: false, proven: false, verifiedBy: null, candidates: o.candidates ?? null, verifyMs: o.verifyMs ?? null, confidence: o.confidence ?? null, latencyMs: o.latencyMs, reason: o.reason }) + '\n');
    }
  }
  if (!fix) {
    if (!args.json) process.stderr.write(`treasure: no fix: ${o.reason}\n`); // --json: the reason is in the object
    return 1;
  }
  if (!args.json) {
    const { start, end } = fix.region;
    const lines = text.split(/\r?\n/);
    const oldRegion = lines.slice(start.line, end.line + 1).join('\n');
    const fixedLines = fix.fixed.split(/\r?\n/);
    const delta = fixedLines.length - lines.length;
    const newRegion = fixedLines.slice(start.line, end.line + 1 + delta).join('\n');
    const out = [
      `${basename(args.file!)}: ${fix.label ?? `fix for lines ${start.line + 1}-${end.line + 1}`} (${fix.target}), ${proofWords(fix)}, ${fix.latencyMs} ms`,
      `markers given:    ${fmt(fix.markers.given)}`,
      `markers inferred: ${fmt(fix.markers.inferred) || '(none)'}`,
      ...printDiff(oldRegion, newRegion, start.line),
      `edits: ${JSON.stringify(fix.edits)}`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  }
  return 0;
}

async function cmdMarkers(args: Args): Promise<number> {
  const text = readSource(args.file!);
  const lang = languageOf(args);
  const markers = markersOf(args);
  const r = await markersAt({ text, languageId: lang.languageId, line: lineOf(args, text), path: args.file, markers });
  if (args.json) {
    process.stdout.write(JSON.stringify({ markers: r.markers, sources: r.sources, region: r.region ?? null, target: r.target ?? null }) + '\n');
  } else {
    const lines = orderedEntries(r.markers).map(([k, v]) => `${k.padEnd(15)} ${v.padEnd(16)} (${r.sources[k]})`);
    if (r.region) lines.push(`region          lines ${r.region.startLine + 1}-${r.region.endLine + 1} (${r.target})`);
    else lines.push('region          none (no syntax error or function here)');
    lines.push('(the model infers the other categories when it writes a fix)');
    process.stdout.write(lines.join('\n') + '\n');
  }
  return 0;
}

async function cmdGenerate(args: Args): Promise<number> {
  if (!args.language) throw new UsageError('generate needs --language');
  if (args.prompt === undefined) throw new UsageError('generate needs --prompt (use --prompt - to read stdin)');
  if (args.lengthLines && args.lengthBucket) throw new UsageError('give --length-lines or --length-bucket, not both');
  const lang = resolveLanguage(args.language);
  if (!lang) throw new InputError(`unsupported language "${args.language}"`);
  const prompt = args.prompt === '-' ? readFileSync(0, 'utf8') : args.prompt;
  const pairs = [...args.markers];
  if (args.lengthLines) pairs.push(`length_lines=${args.lengthLines}`);
  if (args.lengthBucket) pairs.push(`length_bucket=${args.lengthBucket}`);
  const markers = markersOf({ ...args, markers: pairs });
  const engine = await loadEngine(args);
  const r = await engine.generate({ languageId: lang.languageId, prompt, markers, maxTokens: args.maxTokens });
  if (args.json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    process.stdout.write(r.text.endsWith('\n') ? r.text : r.text + '\n');
    process.stderr.write(`markers given: ${fmt(r.markers.given)}; inferred: ${fmt(r.markers.inferred) || '(none)'}; ${r.latencyMs} ms\n`);
    if (r.droppedLines) process.stderr.write(`${r.droppedLines} generated lines left out: they add a syntax error\n`);
    if (r.promptLinesLeftOut) process.stderr.write(`the prompt is longer than the model's context: its first ${r.promptLinesLeftOut} lines were left out\n`);
    if (r.cutAtLines) process.stderr.write(`the model went past the ${r.cutAtLines}-line limit: its answer was cut there\n`);
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  // decided before parsing: a bad argument next to --json is reported as JSON too
  const json = argv.includes('--json');
  try {
    const args = parseArgs(argv);
    switch (args.cmd) {
      case 'help': process.stdout.write(USAGE + '\n'); return 0;
      case 'fix': return await cmdFix(args);
      case 'markers': return await cmdMarkers(args);
      case 'fix-test': return await cmdFixTest({ file: args.file!, line: args.line, test: args.test, root: workspaceRootOf(args.file!, args.root), json: args.json, maxTokens: args.maxTokens, undecided: args.undecided, engine: () => loadEngine(args) });
      case 'generate': return await cmdGenerate(args);
      case 'doctor': return await doctor({ modelDir: args.model ?? process.env.TREASURE_MODEL_DIR, device: args.device, json: args.json });
      case '': throw new UsageError('no command given');
      default: throw new UsageError(`unknown command "${args.cmd}"`);
    }
  } catch (e) {
    return reportError(e, json);
  }
}

/** Error codes of --json output: what kind of failure, for a caller to branch on. */
export type ErrorCode = 'usage' | 'bad_input' | 'model' | 'internal';

/** Prints an error (one JSON object on stdout with --json, one line on stderr without) and gives the exit status. */
function reportError(e: unknown, json: boolean): number {
  const err = e instanceof Error ? e : new Error(String(e));
  const code: ErrorCode = e instanceof UsageError ? 'usage' : e instanceof InputError ? 'bad_input' : e instanceof ModelError ? 'model' : 'internal';
  // An internal error is a bug: its message, and where it happened only when asked (TREASURE_DEBUG=1).
  const message = code === 'internal' ? `internal error: ${err.message}` : err.message;
  if (json) {
    process.stdout.write(JSON.stringify({ error: message, code }) + '\n');
  } else {
    process.stderr.write(`treasure: ${message}\n`);
    if (code === 'usage') process.stderr.write(USAGE + '\n');
    if (code === 'internal') process.stderr.write(process.env.TREASURE_DEBUG ? `${err.stack}\n` : '(TREASURE_DEBUG=1 shows where)\n');
  }
  return 2;
}

/** The bin/ launcher calls main(); `node dist/cli.js ...` runs it directly too. */
export function main(): void {
  run(process.argv.slice(2))
    .then(
      (code) => { process.exitCode = code; },
      (e: unknown) => { process.stderr.write(`treasure: ${(e as Error).message}\n`); process.exitCode = 2; },
    )
    .finally(() => { disposeProvers(); disposeWarmPools(); }); // parser and pytest workers would keep the process alive
}

if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) main();
