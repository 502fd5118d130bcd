#!/usr/bin/env bash
# Installs, when missing, every Debian package meshsec needs to build, test and run.
# Used by the README quick start, by `scripts/test.sh`, `scripts/run.sh` and by CI (.ci/run).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libabsl-dev
  librocksdb-dev
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  python3-grpcio python3-protobuf
  libsecp256k1-dev
  libssl-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
  librapidcheck-dev
  libgoogle-glog-dev
  libtcmalloc-minimal4
  libgoogle-perftools-dev
  golang-go
  gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# node + npm: the build installs the Cosmos SDK .proto packages with npm
# (proto/cosmos/package-lock.json) and the cosmjs client test runs on node.
# Checked by command, not by package: a node distribution that bundles npm
# (e.g. nodesource's nodejs) is as good as Debian's nodejs + npm.
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
