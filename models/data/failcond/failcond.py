"""Failure-conditioned CodeFix examples (issue 28): a pure Python function of the corpus and a mutant of it
(made by the product's own edit operators, mutants.ts) run on generated inputs in a sandbox; a mutant whose
behaviour differs gives an example whose prompt carries the failing call the way the product reports a
failing test (language-server/src/repair/failure.ts), and whose answer is the original function.

    python3 models/data/failcond/failcond.py extract --corpus DIR --out functions.jsonl [--max-files N]
    npx tsx models/data/failcond/mutants.ts functions.jsonl mutants.jsonl
    python3 models/data/failcond/failcond.py run --mutants mutants.jsonl --out exec.jsonl.xz [--workers N]
    python3 models/data/failcond/failcond.py mix --base SAMPLE/tasks --exec-data exec.jsonl.xz --out DIR

Pure: a top-level function with 1-3 plain parameters whose names are its parameters, its own locals, a few
side-effect-free builtins and itself (no imports, globals, I/O, attributes starting with '_'). Sandbox: each
function runs in a forked child with CPU/memory/file-size limits, an audit hook that refuses files, sockets,
processes and imports, a 50 ms timer per call and a 3 s budget per function; nothing it returns is trusted
beyond its repr. Inputs: random values of a few shapes (ints, floats, strings, lists, dicts), guessed per
parameter from its name and default, kept when the original returns without error.
"""
import argparse
import ast
import glob
import json
import lzma
import multiprocessing as mp
import os
import random
import resource
import signal
import sys

SAFE_BUILTINS = {
    "abs", "all", "any", "bin", "bool", "chr", "dict", "divmod", "enumerate", "filter", "float", "frozenset",
    "hex", "int", "isinstance", "len", "list", "map", "max", "min", "oct", "ord", "pow", "range", "repr",
    "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip", "ValueError", "TypeError", "KeyError",
    "IndexError", "ZeroDivisionError", "Exception", "None", "True", "False", "iter", "next", "hash", "slice",
    "StopIteration", "ArithmeticError", "RuntimeError", "NotImplementedError", "AssertionError",
}
FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Yield, ast.YieldFrom, ast.Await,
                   ast.ClassDef, ast.AsyncFunctionDef, ast.With, ast.AsyncWith, ast.AsyncFor, ast.FunctionDef,
                   ast.Lambda, ast.Delete)


def stored_names(fn):
    names = {a.arg for a in fn.args.args}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def is_pure(fn):
    a = fn.args
    if fn.decorator_list or a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or not 1 <= len(a.args) <= 3:
        return False
    if a.args[0].arg in ("self", "cls"):
        return False
    local = stored_names(fn) | {fn.name}
    for node in ast.walk(fn):
        if node is fn:
            continue
        if isinstance(node, FORBIDDEN_NODES):
            return False
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local and node.id not in SAFE_BUILTINS:
            return False
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            return False
    # something to compute: a return with a value
    return any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(fn))


def extract(args):
    files = sorted(glob.glob(os.path.join(args.corpus, args.shards)))
    seen, out, n_files = set(), [], 0
    for path in files:
        with lzma.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if '"code_type":"python"' not in line:
                    continue
                rec = json.loads(line)
                n_files += 1
                try:
                    tree = ast.parse(rec["text"])
                except (SyntaxError, ValueError, RecursionError):
                    continue
                lines = rec["text"].split("\n")
                for fn in tree.body:
                    if not isinstance(fn, ast.FunctionDef) or not 3 <= fn.end_lineno - fn.lineno + 1 <= 30:
                        continue
                    if not is_pure(fn):
                        continue
                    # the function's own text, without a docstring-free rewrite: exactly the user's code
                    code = "\n".join(lines[fn.lineno - 1:fn.end_lineno])
                    if code in seen or "\t" in code:
                        continue
                    seen.add(code)
                    defaults = [type(d.value).__name__ if isinstance(d, ast.Constant) else None for d in fn.args.defaults]
                    defaults = [None] * (len(fn.args.args) - len(defaults)) + defaults
                    out.append({"name": fn.name, "code": code, "params": [a.arg for a in fn.args.args], "defaults": defaults,
                                "package": rec["package"], "domain": rec.get("domain"), "quality_bucket": rec.get("quality_bucket")})
                if args.max_files and n_files >= args.max_files:
                    break
        if args.max_files and n_files >= args.max_files:
            break
    with open(args.out, "w") as f:
        for r in out:
            f.write(json.dumps(r) + "\n")
    print(f"extract: {n_files} python files -> {len(out)} pure functions -> {args.out}")


# ---- inputs -------------------------------------------------------------------------------------------
WORDS = ["", "a", "ab", "abc", "hello", "Hello World", "foo_bar", "x1", "  pad ", "a,b,c", "racecar", "1234", "Zz", "-", "a.b"]


def gen_value(kind, rng):
    if kind == "int":
        return rng.choice([0, 1, 2, 3, 5, 7, 10, -1, -4, 12, 100, rng.randint(-20, 50)])
    if kind == "float":
        return rng.choice([0.0, 0.5, 1.5, -2.25, 3.0, 10.0, round(rng.uniform(-10, 10), 2)])
    if kind == "str":
        return rng.choice(WORDS)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list_int":
        return [rng.randint(-5, 20) for _ in range(rng.randint(0, 6))]
    if kind == "list_str":
        return [rng.choice(WORDS[1:]) for _ in range(rng.randint(0, 5))]
    if kind == "dict":
        return {rng.choice(WORDS[1:8]): rng.randint(0, 9) for _ in range(rng.randint(0, 4))}
    if kind == "list_float":
        return [round(rng.uniform(-5, 5), 1) for _ in range(rng.randint(1, 5))]
    return None


KINDS = ["int", "str", "list_int", "float", "list_str", "dict", "bool", "list_float"]
NAME_HINTS = [
    (("n", "k", "i", "j", "num", "count", "size", "width", "height", "depth", "index", "idx", "level", "number", "length", "limit", "base", "m", "pos", "start", "end", "year", "month", "day"), "int"),
    (("s", "text", "string", "name", "word", "line", "prefix", "suffix", "sep", "char", "c", "key", "path", "url", "value_str", "msg", "label", "tag", "title", "fmt"), "str"),
    (("lst", "items", "arr", "array", "nums", "numbers", "xs", "values", "seq", "data", "l", "elements", "ints", "vals", "lists", "list"), "list_int"),
    (("words", "names", "strings", "lines", "parts", "tokens", "keys"), "list_str"),
    (("x", "y", "z", "a", "b", "value", "val", "v", "t", "f", "ratio", "rate", "factor", "scale", "alpha"), "float"),
    (("d", "mapping", "dct", "dictionary", "table", "counts", "kwargs", "options", "config"), "dict"),
    (("flag", "verbose", "strict", "reverse", "enabled", "ok"), "bool"),
]


def guess_kinds(params, defaults, rng):
    kinds = []
    for p, d in zip(params, defaults):
        k = {"int": "int", "float": "float", "str": "str", "bool": "bool"}.get(d)
        if k is None:
            low = p.lower()
            for names, kind in NAME_HINTS:
                if low in names or any(low.endswith("_" + n) for n in names if len(n) > 2):
                    k = kind
                    break
        kinds.append(k or rng.choice(KINDS[:4]))
    return kinds


# ---- the sandbox ----------------------------------------------------------------------------------------
class CallTimeout(BaseException):
    pass


def _on_alarm(signum, frame):
    raise CallTimeout()


def _audit(event, args):
    if event.startswith(("open", "socket", "subprocess", "os.", "shutil", "import", "ctypes", "sys._getframe", "exec", "compile")):
        raise PermissionError(f"sandbox: {event}")


def _short(v, n=80):
    r = repr(v)
    return r if len(r) <= n else r[:n - 3] + "..."


def run_in_child(code, name, arg_sets, conn):
    """In a forked child: limits, then every (mutant or original) source on every input; sends outcomes."""
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (4, 4))
        resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
        import copy
        results = []
        compiled = []
        for src in code:
            ns = {"__builtins__": {k: __builtins__[k] if isinstance(__builtins__, dict) else getattr(__builtins__, k) for k in SAFE_BUILTINS if k not in ("None", "True", "False")}}
            try:
                exec(compile(src, "<fn>", "exec"), ns)
                compiled.append(ns.get(name))
            except BaseException:
                compiled.append(None)
        sys.setrecursionlimit(200)
        sys.addaudithook(_audit)
        signal.signal(signal.SIGALRM, _on_alarm)
        for fn in compiled:
            row = []
            for args in arg_sets:
                if fn is None:
                    row.append(["error", "SyntaxError"])
                    continue
                try:
                    signal.setitimer(signal.ITIMER_REAL, 0.05)
                    v = fn(*copy.deepcopy(args))
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    r = repr(v)
                    row.append(["value", r] if " at 0x" not in r and len(r) < 2000 else ["bad", ""])
                except CallTimeout:
                    row.append(["timeout", ""])
                except RecursionError:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    row.append(["error", "RecursionError: maximum recursion depth exceeded"])
                except BaseException as e:  # noqa: BLE001 -- the function's own exception is the outcome
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    msg = str(e).split("\n")[0][:120]
                    row.append(["error", type(e).__name__ + (": " + msg if msg else "")])
            results.append(row)
        conn.send(results)
    except BaseException as e:  # noqa: BLE001
        try:
            conn.send({"fail": type(e).__name__})
        except BaseException:
            pass
    finally:
        os._exit(0)


def sandboxed(code, name, arg_sets, budget=3.0):
    parent, child = mp.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:
        parent.close()
        run_in_child(code, name, arg_sets, child)
    child.close()
    out = None
    if parent.poll(budget):
        try:
            out = parent.recv()
        except (EOFError, OSError):
            out = None
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    parent.close()
    return out if isinstance(out, list) else None


# ---- examples -------------------------------------------------------------------------------------------
FAMILY_ERROR_TYPE = {
    "comparison": "wrong_comparison", "arithmetic": "operator_misuse", "boolean": "operator_misuse",
    "negate": "operator_misuse", "constant": "value_misuse", "literal": "value_misuse", "bound": "value_misuse",
    "operand": "variable_misuse", "name": "variable_misuse", "call": "function_misuse",
    "arguments": "swapped_arguments", "clause": "missing_logic", "drop": "missing_logic", "statement": "missing_logic",
}


def call_text(name, args):
    return f"{name}({', '.join(_short(a, 40) for a in args)})"


def failure_text(name, args, expected, got):
    """The prompt's Error line for a failing call, as language-server/src/repair/failure.ts words a failing
    test: an equality (pytest names the call in its 'where' line) 'expected E, got A'; an exception or a
    timeout under the test's name (the runner does not name the call then)."""
    kind, detail = got
    if kind == "value":
        return f"failing test: {call_text(name, args)}: expected {_short_repr(expected)}, got {_short_repr(detail)}"
    test = f"test_{name}"
    if kind == "timeout":
        return f"failing test: {test}: timed out"
    return f"failing test: {test}: {detail}"


def _short_repr(r, n=80):
    return r if len(r) <= n else r[:n - 3] + "..."


def length_bucket(lines):
    return "concise" if lines <= 10 else "medium" if lines <= 30 else "long"


def work(item):
    """One function and its mutants -> examples (the first failing input of each mutant that differs)."""
    rng = random.Random(hash(item["code"]) & 0xFFFFFFFF)
    name, params = item["name"], item["params"]
    kinds_tries = [guess_kinds(params, item["defaults"], rng) for _ in range(3)]
    arg_sets = []
    for kinds in kinds_tries:
        for _ in range(12):
            arg_sets.append([gen_value(k, rng) for k in kinds])
    base = sandboxed([item["code"]], name, arg_sets)
    if not base:
        return []
    ok = [(a, o[1]) for a, o in zip(arg_sets, base[0]) if o[0] == "value"]
    if len(ok) < 4 or len({r for _, r in ok}) < 2:
        return []
    # distinct inputs, at most 12, in a random order (the failing call shown is the first that differs)
    uniq, seen = [], set()
    for a, r in ok:
        k = repr(a)
        if k not in seen:
            seen.add(k)
            uniq.append((a, r))
    rng.shuffle(uniq)
    uniq = uniq[:12]
    muts = item["mutants"]
    res = sandboxed([m["fixed"] for m in muts], name, [a for a, _ in uniq], budget=4.0)
    if not res:
        return []
    out = []
    for m, row in zip(muts, res):
        for (a, expected), got in zip(uniq, row):
            if got[0] == "bad" or (got[0] == "value" and got[1] == expected):
                continue
            if got[0] == "error" and got[1] == "SyntaxError":
                break
            lines = m["fixed"].count("\n") + 1
            out.append({
                "task": "CodeFix", "code": m["fixed"], "answer": item["code"],
                "diagnostic": failure_text(name, a, expected, got),
                "markers": {"task": "CodeFix", "code_type": "python", "domain": item.get("domain") or "General",
                            "quality_bucket": item.get("quality_bucket") or "3", "error_type": FAMILY_ERROR_TYPE.get(m["family"], "value_misuse"),
                            "length_bucket": length_bucket(lines), "length_lines": str(item["code"].count("\n") + 1), "source": "Synthetic"},
                "package": item["package"], "split": "train", "origin": "exec", "symptom": got[0], "family": m["family"],
            })
            break
    return out


def run(args):
    items = [json.loads(l) for l in open(args.mutants)]
    items = [it for it in items if it["mutants"]]
    n, stats = 0, {}
    with mp.Pool(args.workers) as pool, lzma.open(args.out, "wt", encoding="utf-8", preset=6) as f:
        for exs in pool.imap_unordered(work, items, chunksize=8):
            for ex in exs:
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
                n += 1
                k = ex["symptom"] + "/" + ex["markers"]["error_type"]
                stats[k] = stats.get(k, 0) + 1
    print(f"run: {len(items)} functions -> {n} examples -> {args.out}")
    print(json.dumps(dict(sorted(stats.items())), indent=0))


def mix(args):
    """A carried training sample: --max-base examples of an earlier sample (CodeFix at --fix-share, its
    error_type none examples among them as they come) plus every failure-conditioned example; a few
    packages' exec examples (--valid-exec) go to the validation split beside the earlier sample's."""
    def read(path):
        with lzma.open(path, "rt", encoding="utf-8") as f:
            return [json.loads(l) for l in f]
    rng = random.Random(args.seed)
    base = read(os.path.join(args.base, "train-00000.jsonl.xz"))
    rng.shuffle(base)
    fix = [e for e in base if e["task"] == "CodeFix"][:int(args.max_base * args.fix_share)]
    rest = [e for e in base if e["task"] != "CodeFix"][:args.max_base - len(fix)]
    ex = read(args.exec_data)
    pkgs = sorted({e["package"] for e in ex})
    rng.shuffle(pkgs)
    held, valid_exec = set(), []
    for p in pkgs:
        if len(valid_exec) >= args.valid_exec:
            break
        held.add(p)
        valid_exec += [e for e in ex if e["package"] == p]
    train_exec = [e for e in ex if e["package"] not in held]
    for e in valid_exec:
        e["split"] = "valid"
    train = fix + rest + train_exec
    rng.shuffle(train)
    valid = read(os.path.join(args.base, "valid-00000.jsonl.xz")) + valid_exec
    os.makedirs(os.path.join(args.out, "tasks"), exist_ok=True)
    for split, rows in (("train", train), ("valid", valid)):
        path = os.path.join(args.out, "tasks", f"{split}-00000.jsonl.xz")
        with lzma.open(path, "wt", encoding="utf-8", preset=9) as f:
            for e in rows:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
        counts = {}
        for e in rows:
            k = e["task"] + ("/" + e.get("origin", e["markers"].get("error_type", "")) if e["task"] == "CodeFix" else "")
            counts[k] = counts.get(k, 0) + 1
        print(f"mix {split}: {len(rows)} examples -> {path} ({os.path.getsize(path) / 2**20:.1f} MiB): {json.dumps(dict(sorted(counts.items())))}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["extract", "run", "mix"])
    ap.add_argument("--base", help="mix: an earlier sample's tasks folder (train-00000.jsonl.xz, valid-00000.jsonl.xz)")
    ap.add_argument("--exec-data", help="mix: the failure-conditioned examples (run's --out)")
    ap.add_argument("--max-base", type=int, default=45000)
    ap.add_argument("--fix-share", type=float, default=0.55)
    ap.add_argument("--valid-exec", type=int, default=300)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--corpus")
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-files", type=int, default=0)
    ap.add_argument("--shards", default="train-*.jsonl.xz", help="extract: which corpus shards (a glob; training shards only)")
    ap.add_argument("--mutants")
    ap.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    a = ap.parse_args()
    {"extract": extract, "run": run, "mix": mix}[a.cmd](a)


if __name__ == "__main__":
    main()
