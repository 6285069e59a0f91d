#!/usr/bin/env bash
# Sets torchlet up on a fresh Debian or Ubuntu machine: CMake, g++ and gloo's headers (apt, through
# sudo when not root; tl.distributed binds libtorch's Gloo process group, whose header needs
# gloo's), PyTorch 2.13 for the CPU in the project's .venv (pip from whatever index the machine
# has; no sudo), Keras 3 on TensorFlow 2.21 for the CPU in .venv-keras (the tests' oracle for
# Keras semantics), the npm packages, and the build against that PyTorch. Safe to run again.
#   TORCHLET_TORCH    the pip requirement for PyTorch (default torch==2.13.0+cpu; on a machine
#                     with internet, pip finds +cpu builds with PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu)
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
packages=(cmake g++ make python3 python3-venv libgloo-dev)
missing=$(dpkg-query -W -f='${Status} ${Package}\n' "${packages[@]}" 2>&1 | grep -cv '^install ok installed' || true)
if [ "$missing" -gt 0 ]; then
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${packages[@]}"
fi
bash scripts/setup-venv.sh .venv "${TORCHLET_TORCH:-torch==2.13.0+cpu}" numpy
bash scripts/setup-venv.sh .venv-keras tensorflow-cpu==2.21.0
npm ci
npm run build
