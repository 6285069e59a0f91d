#!/usr/bin/env bash
# test-flavour.sh FOLDER: builds the addon against the libtorch in FOLDER (as LIBTORCH takes it:
# /usr for Debian's, a PyTorch install's torch/ folder) and runs the test suite against it, with
# the PyTorch of the same version as the oracle (test/setup/reference.ts finds it). The package
# test is left out: `npm test` already installs every flavour's prebuild.
set -euo pipefail
cd "$(dirname "$0")/.."
folder=$1
echo "== test-flavour: libtorch in $folder"
LIBTORCH=$folder npm run build --silent
npx vitest run --exclude test/package.test.ts
