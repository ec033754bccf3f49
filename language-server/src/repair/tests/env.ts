// The environment a test command gets, and the trust gate every entry point goes through.
//
// Secrets stay out: variables whose names look like credentials are dropped (tests run code the
// user did not necessarily write, e.g. a dependency's conftest). HOME is kept: toolchains live there
// (pyenv shims, ~/.cargo, the Go build cache), and a different HOME breaks them. The scratch copy
// protects the workspace's files, not the rest of the machine: it is not a sandbox.

import { existsSync, mkdirSync, rmSync } from 'node:fs';

const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE_KEY|ACCESS_KEY|AUTH|SESSION|COOKIE)/i;

export class UntrustedWorkspaceError extends Error {
  constructor(what: string) {
    super(`${what}: the workspace is not trusted, so none of its tests or commands are run (trust the folder to verify fixes with its tests)`);
    this.name = 'UntrustedWorkspaceError';
  }
}

/** Every entry point that runs workspace code calls this first. */
export function requireTrust(trusted: boolean, what: string): void {
  if (trusted !== true) throw new UntrustedWorkspaceError(what);
}

/** The parent's environment without secrets, plus settings that make test runs repeatable. */
export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || SECRET_NAME.test(k)) continue;
    // our own test runner's settings must not leak into the user's `node --test`
    if (k === 'NODE_TEST_CONTEXT' || k === 'NODE_OPTIONS' || k === 'NODE_V8_COVERAGE') continue;
    env[k] = v;
  }
  // .pyc files are keyed by mtime (1 s) and size: a same-size candidate written in the same second
  // would run the previous candidate's bytecode. Never write them.
  env.PYTHONDONTWRITEBYTECODE = '1';
  env.PYTHONUNBUFFERED = '1';
  env.NO_COLOR = '1';
  env.FORCE_COLOR = '0';
  env.CI = '1';
  // a run exits when this process is gone: killed hard (SIGKILL, a crash), it cannot kill its runs'
  // process groups, and a test stuck in a loop would run on for ever (the pytest plugin watches it)
  env.TREASURE_PARENT_PID = String(process.pid);
  return { ...env, ...extra };
}

/** A folder of our own helper files (plugin, reporter, worker) for this process, removed when it exits. */
export function helperDir(dir: string): string {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return dir;
}
