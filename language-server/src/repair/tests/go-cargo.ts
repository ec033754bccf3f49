// go test -json and cargo test: argv and output parsing (no plugin needed: both report per test).
import type { Frame, TestFailure } from './report';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** go's -run pattern for these tests (a subtest runs with its parent: its top-level name). */
export function goRunPattern(names: string[]): string {
  return `^(${[...new Set(names.map((t) => escapeRe(t.split('/')[0]!)))].join('|')})$`;
}

/** `go test -json -count=1 ./pkg [-run '^(A|B)$']` (count=1: no cached results). */
export function goTestArgs(pkg: string, only: string[] = []): string[] {
  const run = only.length ? ['-run', goRunPattern(only)] : [];
  return ['test', '-json', '-count=1', ...run, pkg];
}

export interface Parsed {
  passed: string[];
  failed: TestFailure[];
  skipped: string[];
  errors: string[];
  running?: string;
}

/** go test -json events; a failing test's message is its output lines ("calc_test.go:12: got 3, want 4"). */
export function parseGoTestJson(text: string, rel: (p: string) => string, pkgDir: string): Parsed {
  const out: Parsed = { passed: [], failed: [], skipped: [], errors: [] };
  const output = new Map<string, string[]>();
  const started = new Set<string>();
  const buildErrors: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) {
      if (line.trim()) buildErrors.push(line);
      continue;
    }
    let ev: { Action?: string; Test?: string; Output?: string; Package?: string };
    try {
      ev = JSON.parse(line);
    } catch {
      continue;
    }
    const t = ev.Test;
    if (!t) {
      if (ev.Action === 'output' && ev.Output && /build failed|cannot|undefined:|syntax error/.test(ev.Output)) buildErrors.push(ev.Output.trimEnd());
      continue;
    }
    if (ev.Action === 'run') started.add(t);
    else if (ev.Action === 'output') {
      const o = ev.Output ?? '';
      if (/^(=== RUN|--- (PASS|FAIL|SKIP)|=== (PAUSE|CONT))/.test(o.trim())) continue;
      const lines = output.get(t) ?? [];
      lines.push(o.trimEnd());
      output.set(t, lines);
    } else if (ev.Action === 'pass' || ev.Action === 'fail' || ev.Action === 'skip') {
      started.delete(t);
      if (ev.Action === 'pass') out.passed.push(t);
      else if (ev.Action === 'skip') out.skipped.push(t);
      else {
        const lines = (output.get(t) ?? []).filter((l) => l.trim());
        const traceback: Frame[] = [];
        // "    calc_test.go:13: got 0, want 10" (t.Errorf, relative to the package) and a panic's
        // "\t/abs/calc/calc.go:8 +0x1a" frames (innermost first); frames outside the workspace dropped
        for (const l of lines) {
          const m = l.match(/^\s*(\/?[\w./-]+\.go):(\d+)/);
          if (!m) continue;
          const file = m[1]!.startsWith('/') ? rel(m[1]!) : `${pkgDir ? pkgDir + '/' : ''}${m[1]}`;
          if (file.startsWith('/')) continue;
          if (m[1]!.startsWith('/')) traceback.unshift({ file, line: Number(m[2]) });
          else traceback.push({ file, line: Number(m[2]) });
        }
        const stackAt = lines.findIndex((l) => /^goroutine \d+ \[/.test(l));
        const head = stackAt >= 0 ? lines.slice(0, stackAt) : lines;
        const message = [...new Set(head.map((l) => l.trim().replace(/ \[recovered\]$/, '')))].join('\n');
        const f: TestFailure = { name: t, message: message.slice(0, 2000) || 'FAIL', traceback };
        const gw = f.message.match(/got:?\s*(.+?),?\s+want:?\s*(.+)$/m);
        if (gw) {
          f.actual = gw[1]!;
          f.expected = gw[2]!;
        }
        out.failed.push(f);
      }
    }
  }
  if (buildErrors.length && out.passed.length + out.failed.length === 0) out.errors.push(buildErrors.join('\n').slice(0, 3000));
  const running = [...started];
  if (running.length) out.running = running[running.length - 1];
  return out;
}

/** `cargo test --no-fail-fast [-- --exact names...]`. */
export function cargoTestArgs(only: string[] = []): string[] {
  return ['test', '--no-fail-fast', '--color', 'never', '--', ...(only.length ? ['--exact', ...only] : []), '--test-threads', '2'];
}

/**
 * cargo test's libtest output: "test a::b ... ok|FAILED|ignored", then "---- a::b stdout ----" sections
 * with "thread 'a::b' (tid) panicked at src/lib.rs:20:9:", the message, and with RUST_BACKTRACE=1 the
 * frames ("at ./src/lib.rs:20:9"). Relative paths are the crate's: `crateDir` makes them workspace-relative.
 */
export function parseCargoTest(text: string, rel: (p: string) => string, crateDir = ''): Parsed {
  const out: Parsed = { passed: [], failed: [], skipped: [], errors: [] };
  const failedNames: string[] = [];
  for (const m of text.matchAll(/^test (\S+) \.\.\. (ok|FAILED|ignored)/gm)) {
    if (m[2] === 'ok') out.passed.push(m[1]!);
    else if (m[2] === 'ignored') out.skipped.push(m[1]!);
    else failedNames.push(m[1]!);
  }
  const fileOf = (f: string) => (f.startsWith('/') ? rel(f) : crateDir ? `${crateDir}/${f.replace(/^\.\//, '')}` : f.replace(/^\.\//, ''));
  const sections = new Map<string, string>();
  for (const m of text.matchAll(/^---- (\S+) stdout ----\n([\s\S]*?)(?=^---- |^failures:|^test result:)/gm)) sections.set(m[1]!, m[2]!);
  for (const name of failedNames) {
    const body = sections.get(name) ?? '';
    const traceback: Frame[] = [];
    // backtrace frames in the crate (innermost first in the output), then the panic's own place
    for (const m of body.matchAll(/^\s+at (\.\/[^\s:]+\.rs|src\/[^\s:]+\.rs):(\d+):\d+$/gm)) traceback.unshift({ file: fileOf(m[1]!), line: Number(m[2]) });
    const at = body.match(/panicked at ([^\s:]+\.rs):(\d+):\d+:?/);
    const panicFrame = at ? { file: fileOf(at[1]!), line: Number(at[2]) } : undefined;
    if (panicFrame && !traceback.some((f) => f.file === panicFrame.file && f.line === panicFrame.line)) traceback.push(panicFrame);
    const after = at ? body.slice(body.indexOf(at[0]) + at[0].length) : body;
    const msg = after.split(/^(?:note: run with|stack backtrace:)/m)[0]!.trim();
    const f: TestFailure = { name, message: (msg || body.trim() || 'FAILED').slice(0, 2000), traceback };
    const left = body.match(/^\s*left: (.+)$/m);
    const right = body.match(/^\s*right: (.+)$/m);
    if (left && right) {
      f.actual = left[1]!;
      f.expected = right[1]!;
    }
    out.failed.push(f);
  }
  if (/^error(\[E\d+\])?: /m.test(text) && out.passed.length + failedNames.length === 0) {
    out.errors.push(text.split('\n').filter((l) => /^error/.test(l) || /^\s+--> /.test(l)).slice(0, 10).join('\n'));
  }
  return out;
}
