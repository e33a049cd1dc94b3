#!/usr/bin/env bash
# Installs what the Spark judge (tests/judges/judge_spark.py) needs, project-locally:
#   build/spark-venv   pyspark, pinned by tests/judges/requirements-spark.txt
#   build/spark-jars   the Iceberg Spark runtime and sqlite-jdbc, from Maven Central, sha256-checked
# After this the judge runs offline. Needs python3 (venv) and a Java 17+ runtime (Spark 4).
# Idempotent and quick when everything is present. SPARK_VENV / SPARK_JARS override the places.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=${SPARK_VENV:-build/spark-venv}
JARS=${SPARK_JARS:-build/spark-jars}
REQ=tests/judges/requirements-spark.txt
MAVEN=https://repo1.maven.org/maven2
# path under $MAVEN, sha256
ARTIFACTS=(
  "org/apache/iceberg/iceberg-spark-runtime-4.1_2.13/1.12.0/iceberg-spark-runtime-4.1_2.13-1.12.0.jar 3123c3798af642dd537230923548e013ef41cc28b6626e5225808cf5670a0f82"
  "org/xerial/sqlite-jdbc/3.54.1.0/sqlite-jdbc-3.54.1.0.jar f8dce420a6016278497f4f0560f65602b9db858de141b541cf91a4644ebe4639"
)

if ! command -v java >/dev/null 2>&1; then
  echo "install_spark: no java on PATH; Spark 4 needs Java 17+ (Debian: openjdk-17-jre-headless)" >&2
  exit 1
fi

if [ ! -f "$VENV/.install-stamp" ] || [ "$REQ" -nt "$VENV/.install-stamp" ]; then
  echo "install_spark: pyspark into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
  touch "$VENV/.install-stamp"
fi

mkdir -p "$JARS"
for a in "${ARTIFACTS[@]}"; do
  path=${a% *}
  sum=${a#* }
  jar="$JARS/$(basename "$path")"
  if [ -f "$jar" ] && echo "$sum  $jar" | sha256sum -c --status; then
    continue
  fi
  echo "install_spark: $(basename "$path")"
  curl -fsSL --retry 3 -o "$jar.part" "$MAVEN/$path"
  if ! echo "$sum  $jar.part" | sha256sum -c --status; then
    rm -f "$jar.part"
    echo "install_spark: $MAVEN/$path does not have the pinned sha256 $sum" >&2
    exit 1
  fi
  mv "$jar.part" "$jar"
done
# only the pinned jars: an older version left behind would be on Spark's classpath too
for jar in "$JARS"/*.jar; do
  keep=0
  for a in "${ARTIFACTS[@]}"; do
    p=${a% *}
    [ "$(basename "$p")" = "$(basename "$jar")" ] && keep=1
  done
  [ "$keep" = 1 ] || rm -f "$jar"
done
