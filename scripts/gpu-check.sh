#!/usr/bin/env bash
# The GPU check (issue 7), prepared to run in one call on the device machine:
#   here:   npm ci && bash ../shared/gpu/pack.sh
#   device: run with carry [".gpu"] and the command `bash .gpu/on-device.sh bash scripts/gpu-check.sh`
# on-device.sh builds the addon against the machine's PyTorch (libtorch 2.x with CUDA) first.
# $OUT gets (besides on-device.sh's device.log, which holds everything printed): tests.log,
# bench-seed.json, bench-airbench.json, event-loop.json, prebuild.log and the CUDA prebuild
# (torchlet.libtorch-<version>.cu<XYZ>.node): 7 files, within the device tool's 8. About 9 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
# The reference values come from this machine's PyTorch (python3), not Debian's.
export TORCHLET_ORACLE_PYTHON=${TORCHLET_ORACLE_PYTHON:-python3}

echo "== backend"
node --input-type=module -e "const t = await import('./dist/index.js'); console.log(JSON.stringify({ ...t.backendInfo(), cuda: t.cuda.isAvailable() && t.cuda.memory() }))"

echo "== tests (the CUDA ones run where a GPU is visible; test/distributed/nccl.test.ts: a group of one on NCCL)"
# The packaging test needs the npm registry and the benchmark test /usr/bin/python3: not there.
timeout 240 npx vitest run --exclude test/package.test.ts --exclude test/bench.test.ts 2>&1 | tee "$out/tests.log" | tail -40

echo "== benchmark: seed-cnn at batch 32 and 128, torchlet's modes against PyTorch eager and CUDA-graph"
timeout 200 node scripts/bench/benchmark.mjs --device cuda --python python3 --workload seed-cnn --batch-sizes 32,128 \
  --steps 50 --warmup 10 --repeats 5 --json "$out/bench-seed.json" 2>&1

echo "== benchmark: airbench at batch 128"
timeout 120 node scripts/bench/benchmark.mjs --device cuda --python python3 --workload airbench --batch-sizes 128 \
  --steps 20 --warmup 5 --repeats 3 --json "$out/bench-airbench.json" 2>&1
echo "== event loop during fit on CUDA (steps off the JS thread, and runEagerly)"
timeout 90 node scripts/bench/event-loop.mjs --steps 300 --json "$out/event-loop.json" 2>&1
echo "== prebuild for this libtorch (to publish with the package)"
timeout 120 node scripts/prebuild.mjs > "$out/prebuild.log" 2>&1 && cp prebuilds/linux-x64/*.node "$out/" && ls -la "$out"/*.node
echo "== done"
