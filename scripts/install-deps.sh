#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test influx2iceberg:
# Debian packages (compilers, libraries, PostgreSQL, python3-avro, Node.js, Chromium for the status
# page test, driven by puppeteer-core, which never downloads a browser) and the npm packages
# of the interop readers into tests/interop/node_modules (git-ignored). Idempotent and quick when
# everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev git curl ca-certificates
  libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev libzstd-dev libsnappy-dev zlib1g-dev
  libsqlite3-dev libpq-dev time
  postgresql python3 python3-avro python3-venv
  nodejs npm
  openjdk-17-jre-headless
  maven default-jdk-headless
  chromium
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
# Java (Spark 4 judge) may come from elsewhere too; accept any java on PATH.
if command -v java >/dev/null 2>&1; then
  missing=("${missing[@]/openjdk-17-jre-headless/}")
fi
# The Iceberg Java judge builds with Maven and a JDK: accept any mvn + javac on PATH.
if command -v mvn >/dev/null 2>&1 && command -v javac >/dev/null 2>&1; then
  missing=("${missing[@]/default-jdk-headless/}")
  missing=("${missing[@]/maven/}")
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

# Python judges (PyIceberg with pyarrow, pandas), pinned by requirements.txt, in a project-local
# venv: tests/interop/.venv (git-ignored). Built with the python3 on PATH.
VENV=tests/interop/.venv
if [ ! -f "$VENV/.install-stamp" ] || [ tests/interop/requirements.txt -nt "$VENV/.install-stamp" ]; then
  echo "install-deps: Python packages for the interop tests (tests/interop/.venv)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r tests/interop/requirements.txt
  touch "$VENV/.install-stamp"
fi

# The Spark judge: pyspark in build/spark-venv (~500 MB, apart from the venv above), the Iceberg
# Spark runtime and sqlite-jdbc in build/spark-jars (sha256-pinned). About a minute when fresh.
tests/judges/install_spark.sh

# Interop readers (DuckDB, parquet-wasm, hyparquet, icebird, avsc), pinned by package-lock.json.
if [ ! -f tests/interop/node_modules/.install-stamp ] ||
   [ tests/interop/package-lock.json -nt tests/interop/node_modules/.install-stamp ]; then
  echo "install-deps: npm packages for the interop tests"
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
  touch tests/interop/node_modules/.install-stamp
fi

# --- Iceberg Java judge (tests/interop/java, see its README.md) ---
# Maven build with a project-local repository (build/m2, never ~/.m2) into
# tests/interop/java/target/{judge.jar,lib/}, then its selftest, which also records the class data
# sharing archive target/judge.jsa that tests/interop/java/judge uses for faster JVM starts.
# Skipped while the stamp is newer than the pom and the Java sources.
JUDGE_DIR="$PWD/tests/interop/java"
JUDGE_STAMP="$JUDGE_DIR/target/.build-stamp"
JUDGE_M2="$PWD/build/m2"
if [ ! -f "$JUDGE_STAMP" ] ||
   [ -n "$(find "$JUDGE_DIR/pom.xml" "$JUDGE_DIR/src" -newer "$JUDGE_STAMP" -print -quit)" ]; then
  echo "install-deps: Iceberg Java judge (Maven, tests/interop/java)"
  rm -rf "$JUDGE_DIR/target/lib" "$JUDGE_DIR/target/judge.jsa"   # no stale jars on the classpath
  (cd "$JUDGE_DIR" && mvn -q -B -Dmaven.repo.local="$JUDGE_M2" package -DskipTests)
  java -XX:ArchiveClassesAtExit="$JUDGE_DIR/target/judge.jsa" -XX:+UseSerialGC \
    -Xlog:disable -cp "$JUDGE_DIR/target/judge.jar:$JUDGE_DIR/target/lib/*" \
    org.influx2iceberg.judge.Judge selftest
  touch "$JUDGE_STAMP"
fi

# --- The Iceberg project's REST catalog server (tests/interop/rest-fixture, see its README.md) ---
# RESTCatalogServer from iceberg-open-api 1.11.0's test fixtures and what it needs at runtime,
# resolved by Maven into tests/interop/rest-fixture/target/{classes,lib/} (same local repository).
# It compiles the judge's LocalFileIO, so the judge's sources count for the stamp too.
FIXTURE_DIR="$PWD/tests/interop/rest-fixture"
FIXTURE_STAMP="$FIXTURE_DIR/target/.build-stamp"
if [ ! -f "$FIXTURE_STAMP" ] ||
   [ -n "$(find "$FIXTURE_DIR/pom.xml" "$JUDGE_DIR/src" -newer "$FIXTURE_STAMP" -print -quit)" ]; then
  echo "install-deps: Iceberg REST catalog fixture (Maven, tests/interop/rest-fixture)"
  rm -rf "$FIXTURE_DIR/target/lib"   # no stale jars on the classpath
  (cd "$FIXTURE_DIR" && mvn -q -B -Dmaven.repo.local="$JUDGE_M2" package)
  touch "$FIXTURE_STAMP"
fi
