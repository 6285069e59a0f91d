#!/usr/bin/env bash
# Sets torchlet up on a fresh Debian or Ubuntu machine: the system packages (libtorch, and the
# PyTorch the tests compare against), the npm packages, and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends libtorch-dev python3-torch cmake g++ make
npm ci
npm run build
