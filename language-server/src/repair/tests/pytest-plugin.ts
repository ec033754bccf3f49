// The pytest plugin our runs load with `-p _treasure_pytest` (written once to a temp folder and put on
// PYTHONPATH). It writes one JSON object a line to $TREASURE_REPORT, flushed as it goes, so a run
// killed on time-out still says which test was running:
//   {"event":"start","id":...}
//   {"event":"result","id":...,"outcome":"passed|failed|skipped","message"?,"expected"?,"actual"?,"traceback"?,"lines"?}
//   {"event":"error","id":...,"message":...}      (a collection error: a test file that does not import)
// With $TREASURE_TRACE_FILE set, it records with sys.settrace the lines of that one file each test
// runs (setup, call and teardown): the coverage spectrum for localization, with nothing installed.
// Expected/actual come from pytest's own assertion-comparison hook (assert actual == expected).
import { existsSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperDir } from './env';

export const PLUGIN_MODULE = '_treasure_pytest';

export const PLUGIN_SOURCE = String.raw`
import json, os, re, sys, threading

import pytest

_out = None
_root = None
_trace_target = None
_is_target = {}
_lines = None
_state = {}
_compare = []


def _watch_parent():
    # the language server that started this run may die without killing it (SIGKILL, a crash): then a
    # test stuck in a loop would run for ever, orphaned; exit as soon as that process is gone
    try:
        pid = int(os.environ.get('TREASURE_PARENT_PID', ''))
    except ValueError:
        return

    def loop():
        import time
        while True:
            time.sleep(0.5)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(70)
            except OSError:
                pass

    threading.Thread(target=loop, name='treasure-parent-watch', daemon=True).start()


_watch_parent()


def _emit(obj):
    global _out
    if _out is None:
        _out = open(os.environ['TREASURE_REPORT'], 'a', buffering=1, encoding='utf-8')
    _out.write(json.dumps(obj) + '\n')
    _out.flush()


def _short(x, n=400):
    try:
        s = repr(x)
    except Exception:
        s = '<unrepresentable>'
    return s if len(s) <= n else s[:n] + '...'


def _local(frame, event, arg):
    if event == 'line':
        _lines.add(frame.f_lineno)
    return _local


def _global(frame, event, arg):
    fn = frame.f_code.co_filename
    hit = _is_target.get(fn)
    if hit is None:
        hit = _is_target[fn] = os.path.realpath(fn) == _trace_target
    return _local if hit else None


_first = set()
_stop_on = set()
_session = None


def pytest_configure(config):
    # read per session, not at import: the warm worker runs many sessions in one process
    global _root, _out, _trace_target, _first, _stop_on
    _root = str(config.rootpath)
    _out = None
    _first, _stop_on = set(), set()
    order = os.environ.get('TREASURE_ORDER_FILE')
    if order:
        with open(order, encoding='utf-8') as f:
            o = json.load(f)
        _first, _stop_on = set(o.get('first', [])), set(o.get('stopOn', []))
    _trace_target = os.environ.get('TREASURE_TRACE_FILE') or None
    if _trace_target:
        _trace_target = os.path.realpath(_trace_target)
    _is_target.clear()
    _state.clear()


def pytest_unconfigure(config):
    global _out
    if _out is not None:
        _out.close()
        _out = None


def pytest_sessionstart(session):
    global _session
    _session = session


@pytest.hookimpl(trylast=True)  # after plugins that shuffle (pytest-randomly)
def pytest_collection_modifyitems(session, config, items):
    # the tests that failed before run first (a stable sort keeps the rest in their order)
    if _first:
        items.sort(key=lambda it: 0 if it.nodeid in _first else 1)


def pytest_collectreport(report):
    if report.failed:
        _emit({'event': 'error', 'id': report.nodeid, 'message': str(report.longrepr)[-3000:]})


def pytest_runtest_logstart(nodeid, location):
    global _lines
    _state[nodeid] = {'outcome': 'passed'}
    del _compare[:]
    _emit({'event': 'start', 'id': nodeid})
    if _trace_target:
        _lines = set()
        threading.settrace(_global)
        sys.settrace(_global)


def pytest_assertrepr_compare(config, op, left, right):
    _compare.append((op, _short(left), _short(right)))
    return None


def pytest_exception_interact(node, call, report):
    st = _state.get(report.nodeid)
    if st is None or 'message' in st:
        return
    ei = call.excinfo
    try:
        value = str(ei.value)
    except Exception:
        value = '<unprintable>'
    st['message'] = (ei.typename + ': ' + value)[:2000]
    frames = []
    for entry in ei.traceback:
        p = str(entry.path)
        if _root and (p == _root or p.startswith(_root + os.sep)):
            frames.append({'file': p, 'line': entry.lineno + 1})
    st['traceback'] = frames
    eq = [c for c in _compare if c[0] == '==']
    if eq:
        st['actual'], st['expected'] = eq[-1][1], eq[-1][2]


def pytest_runtest_logreport(report):
    st = _state.setdefault(report.nodeid, {'outcome': 'passed'})
    if report.failed:
        st['outcome'] = 'failed'
        # pytest_exception_interact comes after this hook and writes the structured message
        st.setdefault('longrepr', str(report.longrepr)[-2000:])
    elif report.skipped and st['outcome'] == 'passed':
        st['outcome'] = 'skipped'
    if report.when == 'teardown':
        if _trace_target:
            sys.settrace(None)
            threading.settrace(None)
            st['lines'] = sorted(_lines)
        longrepr = st.pop('longrepr', None)
        if st['outcome'] == 'failed' and 'message' not in st:
            st['message'] = longrepr or 'failed'
        st['event'] = 'result'
        st['id'] = report.nodeid
        _emit(st)
        _state.pop(report.nodeid, None)
        if st['outcome'] == 'failed' and report.nodeid in _stop_on and _session is not None:
            # a candidate that fails a test it had to pass is rejected: the rest is not needed
            _emit({'event': 'stopped', 'id': report.nodeid})
            _session.shouldstop = 'treasure: ' + report.nodeid + ' failed'
`;

let written: string | undefined;

/** The folder holding the plugin module (written once per process, keyed by the source's hash). */
export function pluginDir(): string {
  if (written && existsSync(join(written, `${PLUGIN_MODULE}.py`))) return written;
  const h = createHash('sha256').update(PLUGIN_SOURCE).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `treasure-pytest-${h}-${process.pid}`);
  helperDir(dir);
  writeFileSync(join(dir, `${PLUGIN_MODULE}.py`), PLUGIN_SOURCE);
  written = dir;
  return dir;
}
