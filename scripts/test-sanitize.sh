#!/usr/bin/env bash
# Runs the test suite and the native fuzzer against the sanitizer build of the addon
# (AddressSanitizer and UndefinedBehaviorSanitizer; npm run build:sanitize), with Node preloading
# the sanitizer runtimes. Any sanitizer report fails the run.
#   FUZZ_SEEDS (default 1..8) and FUZZ_CALLS (default 10000) size the fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build:sanitize --silent
# The reference fixtures are made first (by one quick test run's set-up), without the sanitizers in Python.
npx vitest run test/create.test.ts >/dev/null
runtime="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export TORCHLET_ADDON=$PWD/build-sanitize/Release/torchlet.node
# Leaks are not checked: Node and libtorch keep process-lifetime allocations that LeakSanitizer
# reports at exit. Oversized allocations (over 8 GiB, as the API fuzzer's address-space limit
# without the sanitizers) fail as malloc would, instead of aborting.
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=8192:halt_on_error=1:abort_on_error=1:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Every test but those of packaging, building and loading (TORCHLET_ADDON decides what loads here),
# and the soak, whose RSS figures mean nothing under ASan (its quarantine holds freed memory).
LD_PRELOAD="$runtime" npx vitest run --exclude test/package.test.ts --exclude test/bench.test.ts --exclude test/addon-build.test.ts \
  --exclude test/native.test.ts --exclude test/cli/doctor.test.ts --exclude test/soak.test.ts
log=$(mktemp)
for seed in ${FUZZ_SEEDS:-1 2 3 4 5 6 7 8}; do
  if ! LD_PRELOAD="$runtime" node scripts/fuzz-native.mjs --seed "$seed" --calls "${FUZZ_CALLS:-10000}" --log "$log"; then
    echo "test-sanitize: the fuzzer failed with seed $seed; its last call was:" >&2
    tail -1 "$log" >&2
    exit 1
  fi
done
echo "test-sanitize: clean"
