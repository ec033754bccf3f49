// Python: one long-lived python3 that compiles every candidate with the built-in compile() (parser,
// symbol table and code generation; nothing runs), so 'return' outside a function or a misplaced
// `nonlocal` count as errors too, exactly as importing the file would report them.
import {
  DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT_MS, checkSizes, parseAnswer, probe, findTool, inBatches, raceAbort, runShort,
  verdict, type Prover, type ProverOptions,
} from './common';
import type { ParseError, ParseVerdict } from '../types';
import { LineWorker } from './worker';

// Reads {"texts": [...]} lines, answers one JSON array per line: per text a list of [line0, col16, message].
// Columns are converted to UTF-16 units here, where the line text is at hand.
const WORKER = String.raw`
import sys, json, re
_lines = re.compile(r'\r\n|\r|\n')
def col16(line, chars):
    return len(line[:chars].encode('utf-16-le')) // 2
def check(src, name):
    try:
        compile(src, name, 'exec', 0, True)
        return []
    except SyntaxError as e:
        msg = type(e).__name__ + ': ' + (e.msg if isinstance(getattr(e, 'msg', None), str) else str(e))
        if e.lineno is None:
            i = src.find('\0')
            if i >= 0:
                pre = _lines.split(src[:i])
                return [[len(pre) - 1, len(pre[-1].encode('utf-16-le')) // 2, msg]]
            return [[0, 0, msg]]
        lines = _lines.split(src)
        ln = max(0, e.lineno - 1)
        text = lines[ln] if ln < len(lines) else ''
        off = max(0, (e.offset or 1) - 1)
        return [[ln, col16(text, off), msg]]
    except (ValueError, RecursionError, MemoryError, OverflowError) as e:
        return [[0, 0, type(e).__name__ + ': ' + str(e)]]
out = sys.stdout
for raw in sys.stdin.buffer:
    req = json.loads(raw)
    name = req.get('name') or '<candidate>'
    out.write(json.dumps([check(t, name) for t in req['texts']]) + '\n')
    out.flush()
`;

export async function pythonProver(opts: ProverOptions = {}): Promise<Prover | null> {
  const exe = findTool('python3') ?? findTool('python');
  if (!exe) return null;
  const v = await runShort(exe, ['--version']);
  const m = /Python (\d+)\.(\d+)/.exec(v.out);
  if (v.code !== 0 || !m || Number(m[1]) !== 3 || Number(m[2]) < 8) return null;
  const name = `python ${m[1]}.${m[2]} compile`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  // -I: ignore PYTHON* variables and the user's site folder; -S: no site import (faster start-up)
  const worker = new LineWorker({ label: name, command: exe, args: ['-I', '-S', '-u', '-c', WORKER], startupMs: 5_000 });
  const prover = {
    name,
    kind: 'native',
    firstErrorOnly: true,
    precision: 'column',
    async parse(texts, o = {}) {
      checkSizes(texts, maxChars, name);
      return inBatches(texts, o.signal, async (batch) => {
        const line = await raceAbort(worker.request(JSON.stringify({ name: o.path ?? '<candidate>', texts: batch }), timeoutMs), o.signal);
        const answer = parseAnswer<[number, number, string][][]>(line, name);
        return answer.map((errs): ParseVerdict => verdict(errs.map(([l, c, msg]): ParseError => ({ line: l, column: c, message: msg }))));
      });
    },
    dispose: () => worker.dispose(),
    worker,
  } as Prover & { worker: LineWorker };
  return probe(prover, 'def f(:\n');
}
