#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test influx2iceberg:
# Debian packages (compilers, libraries, PostgreSQL, python3-avro, Node.js) and the npm packages
# of the interop readers into tests/interop/node_modules (git-ignored). Idempotent and quick when
# everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config clang git curl ca-certificates
  libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev libzstd-dev libsnappy-dev zlib1g-dev
  libsqlite3-dev libpq-dev time
  postgresql python3 python3-avro
  nodejs npm
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (the CI image has its own); accept any node >= 18.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs/}")
  missing=("${missing[@]/npm/}")
fi
pkgs=()
for p in "${missing[@]}"; do [ -n "$p" ] && pkgs+=("$p"); done
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "install-deps: apt packages missing: ${pkgs[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}"
fi

# Interop readers (DuckDB, parquet-wasm, hyparquet, icebird, avsc), pinned by package-lock.json.
if [ ! -f tests/interop/node_modules/.install-stamp ] ||
   [ tests/interop/package-lock.json -nt tests/interop/node_modules/.install-stamp ]; then
  echo "install-deps: npm packages for the interop tests"
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
  touch tests/interop/node_modules/.install-stamp
fi
