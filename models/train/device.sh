#!/usr/bin/env bash
# One training session on a GPU machine, as named steps run from the repo root there:
#   bash models/train/device.sh STEP [STEP...]
# State lives in $TREASURE_WORK (default /root/treasure), which survives between calls while the
# machine stays warm; anything bigger than one call's 64 MiB comes in pieces (carry.py).
# Steps:
#   receive               join carried pieces (.carry/*) into $W/inbox; unpack data archives into $W/data
#   tokenizer             train the BPE tokenizer on $W/data (once; kept in $W/tok/tokenizer.json)
#   tokenize              tokenize corpus and tasks into $W/tok
#   pretrain:MIN[:STOP]   pretrain (resumable) on a schedule of MIN minutes into $W/runs/base; STOP ends this call earlier
#   finetune:VARIANT:MIN  fine-tune base -> $W/runs/ft-VARIANT (markers | plain)
#   export:RUN:NAME       export $W/runs/RUN/model.pt to $W/export/NAME (fp32 + 4-bit)
#   shrink:RUN            bf16 copy of a run's weights in $W/back/RUN.pt (to carry home)
#   send:PATH...          split files into $OUT for the way back (<= 15 MiB pieces)
#   smoke                 a tiny end-to-end run of the whole path, incl. the Hugging Face init path
set -euo pipefail
W=${TREASURE_WORK:-/root/treasure}
T=models/train
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
mkdir -p "$W"/{inbox,data,tok,runs,export}
NGPU=$(python3 -c 'import torch; print(torch.cuda.device_count())')
launch() { if [ "$NGPU" -gt 1 ]; then torchrun --standalone --nproc_per_node "$NGPU" "$@"; else python3 "$@"; fi; }

for step in "$@"; do
  IFS=: read -r name a b <<<"$step"
  echo "=== $step ($(date +%T))"
  case $name in
    receive)
      python3 $T/carry.py receive --src .carry --dst "$W/inbox"
      for f in "$W"/inbox/*.tar; do [ -e "$f" ] && tar -xf "$f" -C "$W/data" && rm "$f"; done
      du -sh "$W"/data/* 2>/dev/null || true ;;
    tokenizer)
      [ -f "$W/tok/tokenizer.json" ] && [ -z "${FORCE:-}" ] && { echo "tokenizer exists"; continue; }
      if [ -f "$W/inbox/tokenizer.json" ]; then cp "$W/inbox/tokenizer.json" "$W/tok/"; else
        python3 $T/prepare.py tokenizer --data "$W/data" --out "$W/tok/tokenizer.json" --sample-mb ${SAMPLE_MB:-300}; fi ;;
    tokenize)
      python3 $T/prepare.py corpus --data "$W/data" --tokenizer "$W/tok/tokenizer.json" --out "$W/tok"
      python3 $T/prepare.py tasks --data "$W/data" --tokenizer "$W/tok/tokenizer.json" --out "$W/tok" ;;
    pretrain)
      init=(); [ -f "$W/inbox/base.pt" ] && [ ! -f "$W/runs/base/last.pt" ] && init=(--init "$W/inbox/base.pt")
      launch $T/train.py --phase pretrain --data "$W/tok" --out "$W/runs/base" --resume --minutes "$a" --stop-after "${b:-0}" \
        --batch ${BATCH:-32} --compile --config "${MODEL_CONFIG:-{\}}" "${init[@]}" ${TRAIN_ARGS:-} ;;
    finetune)
      launch $T/train.py --phase finetune --variant "$a" --data "$W/tok" --init "$W/runs/base/model.pt" \
        --out "$W/runs/ft-$a" --minutes "$b" --batch ${BATCH:-32} --lr ${FT_LR:-5e-4} --warmup-steps 100 \
        --mix-corpus ${MIX:-0.1} --compile ${TRAIN_ARGS:-} ;;
    export)
      python3 $T/export.py --ckpt "$W/runs/$a/model.pt" --tokenizer "$W/tok/tokenizer.json" --out "$W/export/$b" --quantize --keep-fp32 ;;
    shrink)  # bf16 weights only, to bring a run home for the next session (train.py --init reads it)
      mkdir -p "$W/back"
      python3 -c "import torch,sys; c=torch.load(sys.argv[1],map_location='cpu'); c['model']={k:v.to(torch.bfloat16) for k,v in c['model'].items()}; c.pop('optimizer',None); torch.save(c,sys.argv[2])" \
        "$W/runs/$a/model.pt" "$W/back/$a.pt"; ls -la "$W/back" ;;
    send)
      shift_paths=${step#send:}
      IFS=, read -ra paths <<<"$shift_paths"
      for p in "${paths[@]}"; do python3 $T/carry.py split --max-mb 15 --out "$OUT" "$W/$p"; done
      ls -la "$OUT" ;;
    smoke)
      bash $T/smoke.sh ;;
    *) echo "unknown step $step"; exit 2 ;;
  esac
done
