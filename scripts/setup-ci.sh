#!/usr/bin/env bash
# Sets up what CI needs beyond scripts/setup.sh: the two libtorch flavours besides the primary
# one, and the native code checks' tools. Debian's libtorch 1.13.1 with its python3-torch (apt);
# PyTorch 2.14.1 with CUDA 13.0 in .venv-cu130 (pip, --no-deps: its cuda-bindings dependency is
# not needed by the C++ side; the CUDA runtime and headers come from the CUDA 13 toolkit);
# clang-format and clang-tidy (apt). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends libtorch-dev python3-torch cmake g++ make python3 python3-venv libgloo-dev clang-format clang-tidy
bash scripts/setup-venv.sh .venv-cu130 --no-deps torch==2.14.1 \
  nvidia-cublas nvidia-cudnn-cu13 nvidia-nccl-cu13 nvidia-cusparse nvidia-cufft nvidia-curand nvidia-cusolver \
  nvidia-cusparselt-cu13 nvidia-nvjitlink nvidia-nvshmem-cu13 nvidia-cuda-nvrtc nvidia-cuda-cupti nvidia-nvtx nvidia-cufile \
  filelock typing-extensions sympy mpmath networkx jinja2 markupsafe fsspec numpy
