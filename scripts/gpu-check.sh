#!/usr/bin/env bash
# The GPU check (issue 7), prepared to run in one call on the device machine:
#   here:   npm ci && bash ../shared/gpu/pack.sh
#   device: run with carry [".gpu"] and the command `bash .gpu/on-device.sh bash scripts/gpu-check.sh`
# on-device.sh builds the addon against the machine's PyTorch (libtorch 2.x with CUDA) first.
# Everything goes to $OUT: backend.json, tests.log, bench-*.md/json. About 8 minutes in all.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
# The reference values come from this machine's PyTorch (python3), not Debian's.
export TORCHLET_ORACLE_PYTHON=${TORCHLET_ORACLE_PYTHON:-python3}

echo "== backend"
node --input-type=module -e "const t = await import('./dist/index.js'); console.log(JSON.stringify({ ...t.backendInfo(), cuda: t.cuda.isAvailable() && t.cuda.memory() }))" | tee "$out/backend.json"

echo "== tests (the CUDA ones run where a GPU is visible)"
timeout 240 npx vitest run --reporter=default 2>&1 | tee "$out/tests.log" | tail -40

echo "== benchmark: seed-cnn at batch 32 and 128, torchlet's modes against PyTorch eager and CUDA-graph"
timeout 200 node scripts/bench/benchmark.mjs --device cuda --python python3 --workload seed-cnn --batch-sizes 32,128 \
  --steps 50 --warmup 10 --repeats 5 --json "$out/bench-seed.json" 2>&1 | tee "$out/bench-seed.md"

echo "== benchmark: airbench at batch 128"
timeout 120 node scripts/bench/benchmark.mjs --device cuda --python python3 --workload airbench --batch-sizes 128 \
  --steps 20 --warmup 5 --repeats 3 --json "$out/bench-airbench.json" 2>&1 | tee "$out/bench-airbench.md"
echo "== done"
