// Writes reference Parquet files with DuckDB (not our writer) plus expectation files in the same
// format as parquet_cases.c. Running the three checkers on them proves the checkers themselves:
// they must pass on a known-good writer, and fail when an expectation is altered (see
// run_parquet_interop.sh --self-test).
//
//   node make_reference.mjs OUTDIR
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { doubleHex, statsOf } from './common.mjs';

const dir = process.argv[2];
if (!dir) { console.error('usage: node make_reference.mjs OUTDIR'); process.exit(2); }
fs.mkdirSync(dir, { recursive: true });

const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
const con = await inst.connect();
await con.run("SET TimeZone = 'UTC'");
await con.run('SET threads = 1'); // keeps rows in insertion order in the file

const hexOf = s => Buffer.from(s, 'utf8').toString('hex');
const dHex = d => doubleHex(d);

// The schema DuckDB writes for each kind (it writes every column OPTIONAL).
const SCHEMA = {
  bool: { sql: 'BOOLEAN', physical: 'BOOLEAN', logical: null, converted: [null] },
  int32: { sql: 'INTEGER', physical: 'INT32', logical: null, converted: ['INT_32'] },
  int64: { sql: 'BIGINT', physical: 'INT64', logical: null, converted: ['INT_64'] },
  ts_us: { sql: 'TIMESTAMPTZ', physical: 'INT64', logical: { type: 'TIMESTAMP', unit: 'MICROS', utc: true }, converted: ['TIMESTAMP_MICROS'] },
  ts_ns: { sql: 'TIMESTAMP_NS', physical: 'INT64', logical: { type: 'TIMESTAMP', unit: 'NANOS', utc: false }, converted: [null] },
  double: { sql: 'DOUBLE', physical: 'DOUBLE', logical: null, converted: [null] },
  string: { sql: 'VARCHAR', physical: 'BYTE_ARRAY', logical: null, converted: ['UTF8'] },
  decimal: { sql: 'DECIMAL(20,0)', physical: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical: { type: 'DECIMAL', precision: 20, scale: 0 }, converted: ['DECIMAL'] },
};

const EDGE = {
  bool: [true, false],
  int32: ['-2147483648', '2147483647', '0', '-1', '65536'],
  int64: ['-9223372036854775808', '9223372036854775807', '0', '-1', '9007199254740993', '-9007199254740993'],
  ts_us: ['0', '-1', '1700000000000001', '-62135596800000000', '253402300799999999'],
  ts_ns: ['0', '-1', '1700000000123456789', '-9000000000000000000', '9000000000000000000'],
  // No +0.0 next to -0.0: DuckDB 1.5.6 dictionary-encodes doubles and merges -0.0 into +0.0.
  double: [NaN, -0, Infinity, -Infinity, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 0.1, 1 / 3].map(dHex),
  string: ['', 'a', 'x'.repeat(65536), 'é'.repeat(32768), 'héllo', '日本語', '😀🎉', 'a\u0000b', '\u{10FFFF}', 'quote" back\\ nl\n'].map(hexOf),
  decimal: ['0', '1', '18446744073709551615', '9223372036854775808', '10000000000000000000'],
};

function matrixValue(kind, idx, salt) {
  switch (kind) {
    case 'bool': return (idx * 31 + salt) % 7 < 3;
    case 'int32': return String((idx - 48) * 12347 + salt);
    case 'int64': return String(BigInt(idx - 48) * 1000000007000n + BigInt(salt));
    case 'ts_us': return String(1700000000000000n + BigInt(idx - 48) * 1000003n);
    case 'ts_ns': return String(1700000000000000000n + BigInt(idx - 48) * 1000000007n);
    case 'double': return dHex((idx - 48) * 0.1 + salt * 0.001);
    case 'string': return hexOf(`s-${idx}-${salt}-välue`);
    case 'decimal': return String((BigInt(idx) * 0x9E3779B97F4A7C15n) % (1n << 64n));
  }
}

// A SQL expression producing exactly the canonical value v.
function sqlValue(kind, v) {
  if (v === null) return 'NULL';
  switch (kind) {
    case 'bool': return v ? 'true' : 'false';
    case 'int32': case 'int64': case 'decimal': return `CAST('${v}' AS ${SCHEMA[kind].sql})`;
    case 'ts_us': return `make_timestamptz(CAST('${v}' AS BIGINT))`;
    case 'ts_ns': return `make_timestamp_ns(CAST('${v}' AS BIGINT))`;
    case 'string': return `decode(from_hex('${v}'))`;
    case 'double': {
      const u = BigInt('0x' + v), d = new Float64Array(new BigUint64Array([u]).buffer)[0];
      if (Number.isNaN(d)) return "CAST('nan' AS DOUBLE)";
      if (d === Infinity) return "CAST('inf' AS DOUBLE)";
      if (d === -Infinity) return "CAST('-inf' AS DOUBLE)";
      if (Object.is(d, -0)) return "CAST('-0.0' AS DOUBLE)";
      return `CAST('${String(d)}' AS DOUBLE)`; // shortest round-trip text: exact
    }
  }
}

async function writeCase(name, nrows, columns, { codec = 'zstd', rowGroupSize, kv = [] } = {}) {
  const cols = columns.map((c, i) => ({ ...c, field_id: 500 + 3 * i, values: Array.from({ length: nrows }, (_, r) => c.gen(r)) }));
  await con.run(`CREATE OR REPLACE TABLE t (${cols.map(c => `"${c.name}" ${SCHEMA[c.kind].sql}`).join(', ')})`);
  for (let r0 = 0; r0 < nrows; r0 += 500) {
    const tuples = [];
    for (let r = r0; r < Math.min(nrows, r0 + 500); r++) tuples.push(`(${cols.map(c => sqlValue(c.kind, c.values[r])).join(', ')})`);
    await con.run(`INSERT INTO t VALUES ${tuples.join(', ')}`);
  }
  const file = `${name}.parquet`;
  const opts = [`FORMAT parquet`, `COMPRESSION ${codec}`, `FIELD_IDS {${cols.map(c => `"${c.name}": ${c.field_id}`).join(', ')}}`];
  if (rowGroupSize) opts.push(`ROW_GROUP_SIZE ${rowGroupSize}`);
  if (kv.length) opts.push(`KV_METADATA {${kv.map(({ key, value }) => `'${key.replaceAll("'", "''")}': '${value.replaceAll("'", "''")}'`).join(', ')}}`);
  await con.run(`COPY t TO '${path.join(dir, file)}' (${opts.join(', ')})`);
  const codecName = { zstd: 'ZSTD', snappy: 'SNAPPY', gzip: 'GZIP', uncompressed: 'UNCOMPRESSED' }[codec];
  const exp = {
    format: 'i2i-parquet-expect/1', writer: 'duckdb', file, num_rows: nrows, codec: codecName,
    row_groups: { min: 1 }, min_pages_per_chunk: 0, page_index: false, created_by_regex: '^DuckDB version v',
    kv,
    columns: cols.map(c => {
      const s = SCHEMA[c.kind], st = statsOf(c.kind, c.values);
      const col = { name: c.name, field_id: c.field_id, kind: c.kind, repetition: 'OPTIONAL', physical: s.physical,
        logical: s.logical, converted: s.converted, dictionary: 'any', stats: st, values: c.values };
      if (s.type_length) col.type_length = s.type_length;
      return col;
    }),
  };
  fs.writeFileSync(path.join(dir, `${name}.expected.json`), JSON.stringify(exp));
  console.log(`make_reference: wrote ${file} (${nrows} rows, ${cols.length} columns)`);
}

const kinds = Object.keys(SCHEMA);
for (const codec of ['zstd', 'snappy', 'gzip', 'uncompressed']) {
  await writeCase(`ref_matrix_${codec}`, 5000, kinds.map((kind, salt) => ({
    name: `${kind}_matrix`, kind,
    gen: r => ((r * 7 + salt) % 5 === 0 || (r >= 100 && r < 300)) ? null : matrixValue(kind, (r * 37 + salt * 11) % 97, salt),
  })), { codec, rowGroupSize: 2048 }); // DuckDB rounds row groups to its 2048-row vectors
}
await writeCase('ref_edge', 60, kinds.map(kind => ({
  name: `${kind}_edge`, kind, gen: r => r % 5 === 4 ? null : EDGE[kind][r % EDGE[kind].length],
})), { codec: 'snappy' });
await writeCase('ref_all_null', 20, [
  { name: 'id', kind: 'int64', gen: r => String(r) },
  ...kinds.map(kind => ({ name: `${kind}_null`, kind, gen: () => null })),
]);
await writeCase('ref_single_row', 1, kinds.map(kind => ({ name: `${kind}_one`, kind, gen: () => EDGE[kind][1] })), { codec: 'gzip' });
await writeCase('ref_kv', 5, [{ name: 'id', kind: 'int64', gen: r => String(r) }], {
  codec: 'uncompressed',
  kv: [{ key: 'iceberg.schema', value: '{"type":"struct","fields":[]}' }, { key: 'unicode.ключ', value: 'värde 😀' }, { key: 'empty', value: '' }],
});
