"""Move large files to and from the GPU machine in pieces (each call carries <= 64 MiB, returns 8 x 16 MiB).

Here:   python3 carry.py pack --max-mb 40 --out .carry FILE...   -> .carry/b01/, .carry/b02/, ... (one per call)
There:  python3 carry.py receive --src .carry --dst /root/treasure/inbox  (joins files once all pieces came)
There:  python3 carry.py split --max-mb 15 --out $OUT FILE...          (for the way back)
Here:   python3 carry.py join --src DIR [DIR...] --dst DIR              (joins returned pieces, checks sha256)
Each file travels as NAME.pNNN pieces plus NAME.json {"parts", "sha256", "bytes"}.
"""
import argparse
import glob
import hashlib
import json
import os
import shutil


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pieces(path, size):
    with open(path, "rb") as f:
        i = 0
        while True:
            data = f.read(size)
            if not data and i > 0:
                return
            yield i, data
            i += 1
            if len(data) < size:
                return


def pack(args):
    """Fills each batch to --max-mb: a file is cut wherever a batch ends, so no call carries less than it may."""
    size = int(args.max_mb * 1024 * 1024)
    batch, used, n = None, size, 0
    for path in args.files:
        name = os.path.basename(path)
        meta = {"parts": 0, "sha256": sha256(path), "bytes": os.path.getsize(path)}
        with open(path, "rb") as f:
            i = 0
            while True:
                if used >= size:
                    n += 1
                    batch = os.path.join(args.out, f"b{n:02d}")
                    os.makedirs(batch, exist_ok=True)
                    used = 0
                data = f.read(size - used)
                if not data and i > 0:
                    break
                with open(os.path.join(batch, f"{name}.p{i:03d}"), "wb") as g:
                    g.write(data)
                used += len(data)
                i += 1
                meta["parts"] = i
                if not data:
                    break
        with open(os.path.join(batch, f"{name}.json"), "w") as g:
            json.dump(meta, g)
    print(f"{n} batches in {args.out}")


def split(args):
    size = int(args.max_mb * 1024 * 1024)
    os.makedirs(args.out, exist_ok=True)
    for path in args.files:
        name = os.path.basename(path)
        meta = {"parts": 0, "sha256": sha256(path), "bytes": os.path.getsize(path)}
        for i, data in pieces(path, size):
            with open(os.path.join(args.out, f"{name}.p{i:03d}"), "wb") as f:
                f.write(data)
            meta["parts"] = i + 1
        with open(os.path.join(args.out, f"{name}.json"), "w") as f:
            json.dump(meta, f)


def join(src_dirs, dst):
    """Joins every file whose pieces are all present in src_dirs (searched together)."""
    os.makedirs(dst, exist_ok=True)
    found = {}
    for d in src_dirs:
        for p in glob.glob(os.path.join(d, "*")):
            found[os.path.basename(p)] = p
    done = []
    for name, meta_path in sorted(found.items()):
        if not name.endswith(".json") or f"{name[:-5]}.p000" not in found:
            continue
        base = name[:-5]
        meta = json.load(open(meta_path))
        parts = [found.get(f"{base}.p{i:03d}") for i in range(meta["parts"])]
        if None in parts:
            continue
        out = os.path.join(dst, base)
        with open(out + ".tmp", "wb") as f:
            for p in parts:
                with open(p, "rb") as g:
                    shutil.copyfileobj(g, f)
        if sha256(out + ".tmp") != meta["sha256"]:
            raise SystemExit(f"{base}: checksum mismatch")
        os.replace(out + ".tmp", out)
        done.append(base)
    return done


def receive(args):
    # Pieces wait in a spool until their file is complete (they may arrive over several calls).
    spool = args.dst + ".spool"
    os.makedirs(spool, exist_ok=True)
    for p in glob.glob(os.path.join(args.src, "*", "*")) + glob.glob(os.path.join(args.src, "*.p[0-9]*")) + glob.glob(os.path.join(args.src, "*.json")):
        if os.path.isfile(p):
            shutil.copy(p, spool)
    done = join([spool], args.dst)
    for base in done:
        for p in glob.glob(os.path.join(spool, base + ".p*")) + [os.path.join(spool, base + ".json")]:
            os.remove(p)
    print(f"received: {', '.join(done) or 'nothing complete yet'}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["pack", "split", "join", "receive"])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--max-mb", type=float, default=15.0)
    ap.add_argument("--out")
    ap.add_argument("--src")
    ap.add_argument("--dst")
    args = ap.parse_intermixed_args()
    if args.cmd == "pack":
        pack(args)
    elif args.cmd == "split":
        split(args)
    elif args.cmd == "receive":
        receive(args)
    else:
        # pieces of one file may come back over several calls: every folder named is searched
        print("joined:", ", ".join(join(([args.src] if args.src else []) + args.files, args.dst)) or "nothing")


if __name__ == "__main__":
    main()
