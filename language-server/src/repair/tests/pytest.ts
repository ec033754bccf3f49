// pytest: the command line our runs use, and the plugin's JSON-lines report read back as a TestReport.
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, sep } from 'node:path';
import { PLUGIN_MODULE, pluginDir } from './pytest-plugin';
import { notEqualParts, type Frame, type TestFailure } from './report';

/**
 * Arguments after `python -m pytest`: our plugin, no cache folder, quiet, no colour, the scratch as
 * rootdir; then the node ids to run (or the test files). `-x` is not used: every test's verdict counts.
 */
export function pytestArgs(targets: string[]): string[] {
  // --maxfail overrides an `-x` in the project's addopts (ini options come first, the last one wins)
  return ['-p', PLUGIN_MODULE, '-p', 'no:cacheprovider', '-q', '--no-header', '--color=no', '-o', 'console_output_style=classic', '--maxfail=1000000000', '--rootdir=.', ...targets];
}

/**
 * Where the module under test is imported from, in the copy: the folder above its topmost package
 * (src/pkg/mod.py with pkg/__init__.py: src). It goes first on the path, so the candidate's copy is
 * imported even when the project is installed in editable mode (pointing at the user's folder).
 */
export function importRoot(scratchRoot: string, relFile: string): string {
  let dir = dirname(join(scratchRoot, relFile));
  while (dir.startsWith(scratchRoot + sep) && existsSync(join(dir, '__init__.py'))) dir = dirname(dir);
  return dir;
}

/** The environment additions a pytest run needs: the plugin and the import roots on PYTHONPATH, the report file. */
export function pytestEnv(base: NodeJS.ProcessEnv, reportFile: string, traceFile?: string, orderFile?: string, paths: string[] = []): Record<string, string> {
  const extra: Record<string, string> = {
    PYTHONPATH: [pluginDir(), ...paths, base.PYTHONPATH].filter(Boolean).join(delimiter),
    TREASURE_REPORT: reportFile,
  };
  if (traceFile) extra.TREASURE_TRACE_FILE = traceFile;
  if (orderFile) extra.TREASURE_ORDER_FILE = orderFile;
  return extra;
}

export interface PytestParsed {
  passed: string[];
  failed: TestFailure[];
  skipped: string[];
  errors: string[];
  coverage: Map<string, number[]>;
  /** A test that started and never finished (the run was killed while it ran). */
  running?: string;
  /** The run stopped early at a test it had to pass (`order.stopOn`). */
  stopped?: string;
}

/** Reads the plugin's report; `rel` maps an absolute path of the scratch to a workspace-relative one. */
export function parsePytestReport(text: string, rel: (p: string) => string): PytestParsed {
  const out: PytestParsed = { passed: [], failed: [], skipped: [], errors: [], coverage: new Map() };
  const started = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line cut by a kill
    }
    const id = String(ev.id ?? '');
    if (ev.event === 'start') started.add(id);
    else if (ev.event === 'stopped') out.stopped = id;
    else if (ev.event === 'error') out.errors.push(`${id || 'collection'}: ${String(ev.message ?? '')}`);
    else if (ev.event === 'result') {
      started.delete(id);
      if (Array.isArray(ev.lines)) out.coverage.set(id, ev.lines as number[]);
      if (ev.outcome === 'passed') out.passed.push(id);
      else if (ev.outcome === 'skipped') out.skipped.push(id);
      else {
        const message = String(ev.message ?? 'failed');
        const f: TestFailure = {
          name: id,
          message,
          traceback: ((ev.traceback as Frame[] | undefined) ?? []).map((fr) => ({ file: rel(fr.file), line: fr.line })),
        };
        if (typeof ev.expected === 'string') {
          f.expected = ev.expected;
          f.actual = String(ev.actual);
        } else {
          const ne = notEqualParts(message);
          if (ne) Object.assign(f, ne);
        }
        out.failed.push(f);
      }
    }
  }
  const running = [...started];
  if (running.length) out.running = running[running.length - 1];
  return out;
}
