// Writes the data file of the PyIceberg-layout fixture with DuckDB (an independent Parquet
// writer), with Iceberg field ids, plus the expected rows.
//   node make_fixture_parquet.mjs <out.parquet> <expected.json> <rows>
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
const req = createRequire(path.join(process.env.I2I_INTEROP_DIR, 'package.json'))
const { DuckDBInstance } = req('@duckdb/node-api')
const [out, expectedPath, nrows] = process.argv.slice(2)
const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
const con = await inst.connect()
await con.run(`CREATE TABLE t AS SELECT
    TIMESTAMP '2023-06-01 00:00:00' + to_microseconds(i * 10000123) AS time,
    'plugin-host-' || (i % 3) AS host,
    CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 0.25)::DOUBLE END AS usage,
    CASE WHEN i % 4 = 0 THEN NULL ELSE i::BIGINT END AS count
  FROM range(${Number(nrows)}) r(i)`)
await con.run(`COPY t TO '${out}' (FORMAT parquet, COMPRESSION zstd, FIELD_IDS {time: 1, host: 2, usage: 3, count: 4})`)
const rows = (await con.runAndReadAll(`SELECT CAST(epoch_us(time) AS VARCHAR) AS time, host, usage, CAST(count AS VARCHAR) AS count FROM t`)).getRowObjectsJson()
const expected = rows.map(r => {
  const o = { time: r.time, host: r.host }
  if (r.usage !== null) o.usage = Number(r.usage)
  if (r.count !== null) o.count = r.count
  return o
})
fs.writeFileSync(expectedPath, JSON.stringify(expected))
console.log(`fixture parquet: ${rows.length} rows, ${fs.statSync(out).size} bytes`)
