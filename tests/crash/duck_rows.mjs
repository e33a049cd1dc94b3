// DuckDB as the second reader of a crash-campaign table: reads the given live Parquet files (the
// table's current snapshot, listed by the driver from PyIceberg's scan plan) and prints every row
// as canonical JSON, one per line, in judgelib's canonical form (int64 as decimal text, doubles
// as the 16 hex digits of their IEEE-754 bits, timestamps as integers in the table's unit).
//
//   node duck_rows.mjs <spec.json>   spec: {"files": [local paths], "columns": {name: kind}}
//   kinds: "ts_us", "ts_ns", "long", "double", "string", "bool"
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const interop = process.env.I2I_INTEROP_DIR || path.join(path.dirname(fileURLToPath(import.meta.url)), '../interop')
const req = createRequire(path.join(interop, 'package.json'))
const { DuckDBInstance } = req('@duckdb/node-api')

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const cols = Object.entries(spec.columns)
const q = s => '"' + s.replaceAll('"', '""') + '"'
const lit = s => "'" + s.replaceAll("'", "''") + "'"

function dbits (x) {
  if (Number.isNaN(x)) return 'NaN'
  const dv = new DataView(new ArrayBuffer(8))
  dv.setFloat64(0, x)
  return [...new Uint8Array(dv.buffer)].map(b => b.toString(16).padStart(2, '0')).join('')
}

const db = await DuckDBInstance.create(':memory:')
const con = await db.connect()
if (spec.files.length > 0) {
  const sel = cols.map(([n, k]) =>
    k === 'ts_us' ? `epoch_us(${q(n)})::BIGINT AS ${q(n)}`
      : k === 'ts_ns' ? `epoch_ns(${q(n)})::BIGINT AS ${q(n)}`
        : q(n)).join(', ')
  const files = '[' + spec.files.map(lit).join(', ') + ']'
  // union_by_name: a file written before a column existed reads it as NULL
  const res = await con.runAndReadAll(`SELECT ${sel} FROM read_parquet(${files}, union_by_name = true)`)
  const out = []
  for (const row of res.getRows()) {
    const o = {}
    cols.forEach(([n, k], i) => {
      const v = row[i]
      if (v === null || v === undefined) return
      if (k === 'double') o[n] = dbits(v)
      else if (k === 'string' || k === 'bool') o[n] = v
      else o[n] = v.toString()
    })
    out.push(JSON.stringify(o))
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''))
}
