#!/usr/bin/env bash
# One training session on a GPU machine, as named steps run from the repo root there:
#   bash models/train/device.sh STEP [STEP...]
# State lives in $TREASURE_WORK (default /root/treasure), which survives between calls only while the
# machine stays warm (30 s after a call: issue the next call at once, and end each waiting call with the
# sendpieces steps of what may be ready; session 5 lost a whole run to a 2-minute pause, session 8 one to the
# gap between a waiting call and the next: a call that trains must itself end with waitfile + sendpieces of
# what has to come back, sized to fit its 600 s); anything bigger than one call's 64 MiB comes in pieces (carry.py).
# Steps:
#   receive               join carried pieces (.carry/*) into $W/inbox; unpack data archives into $W/data
#   tokenizer             train the BPE tokenizer on $W/data (once; kept in $W/tok/tokenizer.json)
#   kit                   unpack the carried .kit (node, bundled tasks build, grammar wasm) into /root/kit
#   tasks:N               build the tasks from $W/data/corpus with N node workers into $W/data/tasks
#   tokenize              tokenize corpus and tasks into $W/tok (tokenize-corpus, tokenize-tasks: one of them)
#   bg:NAME:S1+S2...      run steps S1, S2, ... in the background (own session) with a log $W/logs/NAME.log
#   after:NAME            block until background job NAME has ended; fail if it failed
#   waitfile:PATH         block until $W/PATH exists
#   finetune-both:MIN[:SEEDS] finetune markers and plain at once (FT_STEPS each: equal compute), each on half of the
#                         GPUs (all on the one GPU of a 1-GPU machine); SEEDS=1234,7: a pair per seed (ft-markers-s7, ...);
#                         FT_DATA=$W/tok-X fine-tunes on the tasks sample of TASKS_OUT=$W/tok-X, FT_SUFFIX=-X names its runs
#   wait:SEC              print the background logs as they grow until every background job ends or SEC pass
#   warm:DIR              warm start: the model folder DIR (e.g. models/treasure, 4-bit) dequantized into $W/runs/base/model.pt
#                         (warmstart.py; WARM_TOKENS: the tokens it has seen, for the lineage), so finetune starts from it;
#                         FT_INIT=PATH starts a fine-tune from any other checkpoint (an earlier run's model.pt, a carried base.pt)
#   pretrain:MIN[:STOP]   pretrain (resumable) on a schedule of MIN minutes into $W/runs/base; STOP ends this call earlier
#   finetune:VARIANT:MIN  fine-tune base -> $W/runs/ft-VARIANT$FT_TAG (markers | plain); FT_STEPS=N schedules on steps, FT_SEED seeds
#   rank:NAME:STEPS       the ranking fine-tune (rank_train.py, issue 28) from $W/runs/base/model.pt (RANK_INIT: another) on
#                         the carried examples in $RANK_DATA (default build/rank/carry: train/valid/hef .jsonl.xz) into
#                         $W/runs/NAME, with the HumanEvalFix ranking before and after in $W/runs/NAME/rank.json; RANK_ARGS: more options
#   export:RUN:NAME       export $W/runs/RUN/model.pt to $W/export/NAME (fp32 + 4-bit)
#   fp32dir:NAME          $W/export/NAME-fp32: the float32 export of NAME as a model folder (quantization loss)
#   level:NAME            $W/export/NAME-i8: NAME with int8 activations (compute_level.py --level 4) in the
#                         compact graph (compact.py: fused onnxruntime ops, the same weights), as shipped
#   shrink:RUN            bf16 copy of a run's weights in $W/back/RUN.pt (to carry home)
#   send:PATH...          split files into $OUT for the way back (<= 15 MiB pieces)
#   home:NAME:DIR         tar $W/DIR (without model.fp32.onnx: fp32dir makes the float folder; HOME_EXCLUDE=tokenizer.json: without it too) and cut it into <= 15.9 MiB pieces in $W/home/NAME (for the way back)
#   sendpieces:NAME:A-B   pieces A..B of home:NAME into $OUT (4 pieces a call: 64 MiB come back; the .json goes with the last)
#   smoke                 a tiny end-to-end run of the whole path, incl. the Hugging Face init path
set -euo pipefail
W=${TREASURE_WORK:-/root/treasure}
T=models/train
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
mkdir -p "$W"/{inbox,data,tok,runs,export,logs}
NGPU=${NGPU:-$(python3 -c 'import torch; print(torch.cuda.device_count())' 2>/dev/null || echo 0)}
# GPUS=0,1 runs on those GPUs only (finetune-both gives each variant half of a machine's GPUs)
launch() {
  local n=$NGPU
  if [ -n "${GPUS:-}" ]; then export CUDA_VISIBLE_DEVICES=$GPUS; n=$(tr ',' '\n' <<<"$GPUS" | wc -l); fi
  if [ "$n" -gt 1 ]; then torchrun --standalone --nproc_per_node "$n" "$@"; else python3 "$@"; fi
}
# the first and second half of the GPUs, as CUDA_VISIBLE_DEVICES lists ("" with one GPU: both share it)
half() { [ "$NGPU" -ge 2 ] || return 0; local h=$((NGPU / 2)); if [ "$1" = 1 ]; then seq -s, 0 $((h - 1)); else seq -s, "$h" $((NGPU - 1)); fi; }

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
    kit)
      mkdir -p /root/kit grammars/wasm
      xz -dc .kit/node.xz >/root/kit/node && chmod +x /root/kit/node
      tar -xJf .kit/grammars.tar.xz -C grammars/wasm
      cp .kit/tasks.js .kit/tasks-worker.js /root/kit/ && /root/kit/node --version ;;
    tasks)
      TREASURE_ROOT=$PWD /root/kit/node /root/kit/tasks.js --corpus "$W/data/corpus" --out "$W/data/tasks" \
        --workers "${a:-8}" --card "$W/tasks-card" ;;
    tokenize|tokenize-corpus|tokenize-tasks)
      [ "$name" = tokenize-tasks ] || python3 $T/prepare.py corpus --data "$W/data" --tokenizer "$W/tok/tokenizer.json" --out "$W/tok"
      # TASKS_OUT=$W/tok-X: a second tasks sample (e.g. another FIX_SHARE) beside the corpus tokens, which it links
      to=${TASKS_OUT:-$W/tok}; mkdir -p "$to"
      [ "$to" = "$W/tok" ] || ln -sf "$W/tok/train.bin" "$W/tok/valid.bin" "$to/"
      [ "$name" = tokenize-corpus ] || python3 $T/prepare.py tasks --data "$W/data" --tokenizer "$W/tok/tokenizer.json" --out "$to" --max-train ${MAX_TRAIN:-0} --fix-share ${FIX_SHARE:-0} --lang-alpha ${LANG_ALPHA:-0} ${PREP_ARGS:-} ;;
    after)
      while kill -0 "$(cat "$W/logs/$a.pid")" 2>/dev/null; do sleep 10; done
      grep -q "^=== done" "$W/logs/$a.log" || { echo "background job $a failed"; exit 1; } ;;
    waitfile)  # until $W/PATH exists (a run's model.pt: written once its schedule ended)
      until [ -e "$W/$a" ]; do sleep 5; done; echo "found $a" ;;
    finetune-both)  # finetune-both:MIN[:SEED,SEED...] -- markers and plain per seed, all at once (equal compute);
      # the first seed's runs are ft-markers/ft-plain, the others ft-markers-sSEED/ft-plain-sSEED
      IFS=, read -ra seeds <<<"${b:-1234}"; pids=(); names=()
      for i in "${!seeds[@]}"; do
        tag=${FT_SUFFIX:-}; [ "$i" -gt 0 ] && tag="$tag-s${seeds[$i]}"
        for v in markers plain; do
          g=$(half $([ $v = markers ] && echo 1 || echo 2))
          GPUS=$g FT_SEED=${seeds[$i]} FT_TAG=$tag bash "$0" "finetune:$v:$a" >"$W/logs/ft-$v$tag.out" 2>&1 & pids+=($!); names+=("$v$tag")
        done
      done
      failed=""; for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed="$failed ${names[$i]}"; done
      grep -H "^final\|^phase" "$W"/logs/ft-*.out || true
      [ -z "$failed" ] || { echo "finetune failed:$failed"; tail -5 "$W"/logs/ft-*.out; exit 1; } ;;
    bg)  # survives the call (own session); the machine stays while calls keep coming
      IFS=+ read -ra steps <<<"$b"
      setsid nohup bash "$0" "${steps[@]}" >"$W/logs/$a.log" 2>&1 </dev/null &
      echo $! >"$W/logs/$a.pid"; echo "started $a: ${steps[*]}" ;;
    wait)
      end=$((SECONDS + a)); declare -A seen=()
      while :; do
        alive=0
        for pf in "$W"/logs/*.pid; do [ -e "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null && alive=1; done
        for lf in "$W"/logs/*.log "$W"/logs/*.out; do
          [ -e "$lf" ] || continue
          n=$(wc -l <"$lf"); from=${seen[$lf]:-0}
          [ "$n" -gt "$from" ] && sed -n "$((from + 1)),${n}p" "$lf" | awk -v t="$(basename "$lf" .log)" '!/^step [0-9]+ loss/ || $2 % 500 == 0 { print "[" t "] " $0 }'
          seen[$lf]=$n
        done
        [ $alive = 0 ] && { echo "all background jobs ended"; break; }
        [ $SECONDS -ge $end ] && { echo "still running after ${a}s"; break; }
        sleep 15
      done ;;
    warm)
      mkdir -p "$W/runs/base"
      python3 $T/warmstart.py --model "$a" --out "$W/runs/base/model.pt" --tokens "${WARM_TOKENS:-0}" ;;
    pretrain)
      init=(); [ -f "$W/inbox/base.pt" ] && [ ! -f "$W/runs/base/last.pt" ] && init=(--init "$W/inbox/base.pt")
      launch $T/train.py --phase pretrain --data "$W/tok" --out "$W/runs/base" --resume --minutes "$a" --stop-after "${b:-0}" --lr ${PT_LR:-1.5e-3} \
        --batch ${BATCH:-32} --compile --config "${MODEL_CONFIG:-{\}}" "${init[@]}" ${TRAIN_ARGS:-} ;;
    finetune)
      launch $T/train.py --phase finetune --variant "$a" --data "${FT_DATA:-$W/tok}" --init "${FT_INIT:-$W/runs/base/model.pt}" \
        --out "$W/runs/ft-$a${FT_TAG:-}" --minutes "$b" --batch ${BATCH:-32} --lr ${FT_LR:-5e-4} --warmup-steps 100 \
        --mix-corpus ${MIX:-0.1} --compile --steps ${FT_STEPS:-0} --seed ${FT_SEED:-1234} ${TRAIN_ARGS:-} ;;
    rank)
      d=${RANK_DATA:-build/rank/carry}
      python3 $T/rank_train.py --init "${RANK_INIT:-$W/runs/base/model.pt}" --train "$d/train.jsonl.xz" --valid "$d/valid.jsonl.xz" \
        --hef "$d/hef.jsonl.xz" --out "$W/runs/$a" --steps "$b" ${RANK_ARGS:-} ;;
    export)
      [ -f "$W/tok/tokenizer.json" ] || cp models/treasure/tokenizer.json "$W/tok/"  # a warm start keeps the shipped tokenizer
      python3 $T/export.py --ckpt "$W/runs/$a/model.pt" --tokenizer "$W/tok/tokenizer.json" --out "$W/export/$b" --quantize --keep-fp32 --block-size ${BLOCK:-32} ;;
    fp32dir)
      d="$W/export/$a-fp32"; mkdir -p "$d"
      for f in tokenizer.json config.json export.json; do cp "$W/export/$a/$f" "$d/"; done
      ln -f "$W/export/$a/model.fp32.onnx" "$d/model.onnx"; ls -la "$d" ;;
    level)
      python3 $T/compute_level.py --model "$W/export/$a" --out "$W/export/$a-l4" --level 4 &&
        python3 $T/compact.py --model "$W/export/$a-l4" --out "$W/export/$a-i8" && rm -rf "$W/export/$a-l4" ;;
    shrink)  # bf16 weights only, to bring a run home for the next session (train.py --init reads it)
      mkdir -p "$W/back"
      python3 -c "import torch,sys; c=torch.load(sys.argv[1],map_location='cpu'); c['model']={k:v.to(torch.bfloat16) for k,v in c['model'].items()}; c.pop('optimizer',None); torch.save(c,sys.argv[2])" \
        "$W/runs/$a/model.pt" "$W/back/$a.pt"; ls -la "$W/back" ;;
    send)
      shift_paths=${step#send:}
      IFS=, read -ra paths <<<"$shift_paths"
      for p in "${paths[@]}"; do python3 $T/carry.py split --max-mb 15 --out "$OUT" "$W/$p"; done
      ls -la "$OUT" ;;
    home)  # home:NAME:DIR -- a model folder (or any dir under $W) as one tar cut into <= 15.9 MiB pieces
      mkdir -p "$W/home/$a" && tar -cf "$W/home/$a.tar" --exclude=model.fp32.onnx ${HOME_EXCLUDE:+--exclude=$HOME_EXCLUDE} -C "$W/$b" . && rm -f "$W/home/$a"/*
      python3 $T/carry.py split --max-mb 15.9 --out "$W/home/$a" "$W/home/$a.tar" && ls "$W/home/$a" ;;
    sendpieces)  # sendpieces:NAME:FROM-TO -- pieces FROM..TO of home:NAME into $OUT (the .json rides with the last)
      # not made yet: say so and go on, so a waiting call can end with the sendpieces of whatever is ready
      [ -f "$W/home/$a/$a.tar.json" ] || { echo "home:$a is not made yet"; continue; }
      IFS=- read -r from to <<<"$b"; n=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['parts'])" "$W/home/$a/$a.tar.json")
      for ((i = from; i <= to && i < n; i++)); do cp "$W/home/$a/$a.tar.p$(printf %03d $i)" "$OUT/"; done
      [ "$to" -ge $((n - 1)) ] && cp "$W/home/$a/$a.tar.json" "$OUT/"
      ls -la "$OUT" ;;
    smoke)
      bash $T/smoke.sh ;;
    *) echo "unknown step $step"; exit 2 ;;
  esac
done
echo "=== done $* ($(date +%T))"
