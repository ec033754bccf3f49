#!/usr/bin/env bash
# Measures training throughput of a model config on random tokens (plans a run's size and length).
set -euo pipefail
D=/tmp/treasure-throughput; mkdir -p $D
python3 -c "import numpy as np; r=np.random.default_rng(0); r.integers(0,16384,50_000_000).astype(np.uint16).tofile('$D/train.bin'); r.integers(0,16384,1_000_000).astype(np.uint16).tofile('$D/valid.bin')"
PYTHONUNBUFFERED=1 python3 models/train/train.py --phase pretrain --data $D --out $D/run --max-steps ${STEPS:-120} --minutes 10 --batch ${BATCH:-32} --eval-every 100000 --compile --config "${MODEL_CONFIG:-{\}}" | grep -E "params|step (50|100|120) |final"
