// Drives the parquet_encode benchmark: our writer (the parquet_encode program) against DuckDB's
// COPY on the same values, and checks that both files hold the same values.
//
//   node duckdb_encode.mjs --bin PARQUET_ENCODE --rows N --codecs zstd,snappy --runs R --out DIR
//
// Builds the table of parquet_encode.c in DuckDB's memory with the same formulas (the hash is exact
// UBIGINT arithmetic), untimed. parquet_encode generates its batches once (untimed) and waits on
// stdin. Then for each codec, R times: one timed run of ours, one timed
// COPY t TO '<DIR>/duckdb_<codec>.parquet' (FORMAT parquet, COMPRESSION <codec>) with SET threads=1;
// interleaving makes load from elsewhere on the machine hit both alike; the best run of each counts.
// Then DuckDB reads both files (count and per-column sums of hash()) and it prints:
//   parquet_encode <codec>: ours X rows/s, duckdb Y rows/s, speed ratio S, size ratio Z
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

// The DuckDB binding is installed with the interop readers (tests/interop/node_modules).
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/interop/package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (i % 2 === 0 ? acc.concat([[a.replace(/^--/, ''), all[i + 1]]]) : acc), []));
const rows = Number(args.rows ?? 10000000), runs = Number(args.runs ?? 3);
const codecs = (args.codecs ?? 'zstd,snappy').split(',');
const out = args.out;
if (!out || !args.bin) { console.error('usage: node duckdb_encode.mjs --bin PARQUET_ENCODE --rows N --codecs C --runs R --out DIR'); process.exit(2); }

// Our writer, waiting for codec names on stdin; each answer is one "ours ..." line.
const child = spawn(args.bin, ['--rows', String(rows), '--out', out, '--stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
const answers = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
async function runOurs(codec) {
  child.stdin.write(`${codec}\n`);
  const { value, done } = await answers.next();
  const m = !done && /^ours (\S+) rows=(\d+) seconds=([\d.]+) bytes=(\d+) file=(.*)$/.exec(value);
  if (!m) throw new Error(`parquet_encode did not answer for ${codec} (got ${JSON.stringify(value)})`);
  return { rows: Number(m[2]), seconds: Number(m[3]), bytes: Number(m[4]), file: m[5] };
}

const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
const con = await db.connect();
await con.run("SET TimeZone = 'UTC'");

// Same formulas as parquet_encode.c. fmix32(x) = x^=x>>16; x*=0x85EBCA6B; x^=x>>13; x*=0xC2B2AE35;
// x^=x>>16 (mod 2^32), over the Weyl step i*0x9E3779B1 + seed; every product fits in UBIGINT.
const M = '4294967296::UBIGINT';
const t0 = Date.now();
await con.run(`CREATE TABLE t AS
WITH s0 AS (SELECT i, (i::UBIGINT * 2654435761::UBIGINT) % ${M} AS a,
                      (i::UBIGINT * 2654435761::UBIGINT + 2135587861::UBIGINT) % ${M} AS b FROM range(${rows}) r(i)),
s1 AS (SELECT i, xor(a, a >> 16) AS a, xor(b, b >> 16) AS b FROM s0),
s2 AS (SELECT i, (a * 2246822507::UBIGINT) % ${M} AS a, (b * 2246822507::UBIGINT) % ${M} AS b FROM s1),
s3 AS (SELECT i, xor(a, a >> 13) AS a, xor(b, b >> 13) AS b FROM s2),
s4 AS (SELECT i, (a * 3266489909::UBIGINT) % ${M} AS a, (b * 3266489909::UBIGINT) % ${M} AS b FROM s3),
s5 AS (SELECT i, xor(a, a >> 16) AS a, xor(b, b >> 16) AS b FROM s4)
SELECT make_timestamptz(1700000000000000 + i * 1000) AS ts,
       'host-' || (i % 100) AS host, 'region-' || (i % 4) AS region, 'dc-' || (i % 10) AS dc,
       a::DOUBLE / 4294967296.0::DOUBLE * 100.0::DOUBLE AS d1,
       (i % 1000)::DOUBLE * 0.5::DOUBLE AS d2,
       sin(i::DOUBLE / 1000.0::DOUBLE) AS d3,
       round(b::DOUBLE / 4294967296.0::DOUBLE * 1000.0::DOUBLE * 10.0::DOUBLE) / 10.0::DOUBLE AS d4,
       (42 + i % 7)::DOUBLE AS d5,
       i::BIGINT AS counter
FROM s5 ORDER BY i`);
console.error(`duckdb_encode: built the ${rows}-row table in ${((Date.now() - t0) / 1000).toFixed(1)} s (untimed)`);
await con.run('SET threads = 1');

const cols = ['ts', 'host', 'region', 'dc', 'd1', 'd2', 'd3', 'd4', 'd5', 'counter'];
// Count, and per column the sum of hash(): equal for both files only if every value is equal.
async function fingerprint(file) {
  const sql = `SELECT count(*)::VARCHAR AS n, ${cols.map(c => `sum(hash(${c}))::VARCHAR AS ${c}`).join(', ')} FROM read_parquet('${file}')`;
  return (await con.runAndReadAll(sql)).getRowObjects()[0];
}

let failed = false;
for (const codec of codecs) {
  const file = path.join(out, `duckdb_${codec}.parquet`);
  let best = Infinity, o = null;
  for (let r = 0; r < runs; r++) {
    const mine = await runOurs(codec);
    if (!o || mine.seconds < o.seconds) o = mine;
    const t = process.hrtime.bigint();
    await con.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION ${codec})`);
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    console.error(`duckdb_encode: ${codec} run ${r + 1}: ours ${mine.seconds.toFixed(3)} s, duckdb ${s.toFixed(3)} s`);
    best = Math.min(best, s);
  }
  const [fa, fb] = [await fingerprint(o.file), await fingerprint(file)];
  const diff = Object.keys(fa).filter(k => fa[k] !== fb[k]);
  if (diff.length || o.rows !== rows || fa.n !== String(rows)) {
    console.error(`duckdb_encode: ${codec}: the two files differ in ${diff.join(', ') || 'row count'}: ours ${JSON.stringify(fa)} duckdb ${JSON.stringify(fb)}`);
    failed = true;
    continue;
  }
  const bytes = fs.statSync(file).size;
  const oursRate = rows / o.seconds, duckRate = rows / best;
  const m = x => `${(x / 1e6).toFixed(1)}M`;
  console.log(`parquet_encode ${codec}: ours ${m(oursRate)} rows/s, duckdb ${m(duckRate)} rows/s, speed ratio ${(oursRate / duckRate).toFixed(2)}, size ratio ${(o.bytes / bytes).toFixed(2)}`);
  console.error(`duckdb_encode: ${codec}: ours ${o.seconds.toFixed(3)} s ${o.bytes} bytes, duckdb ${best.toFixed(3)} s ${bytes} bytes; same ${rows} rows (count + per-column hash sums)`);
}
child.stdin.end();
await new Promise(resolve => child.on('close', resolve));
process.exit(failed ? 1 : 0);
