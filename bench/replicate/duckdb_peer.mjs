// The peer of the replicate benchmark: DuckDB reads the same JSON Lines from local files and writes
// one zstd Parquet file, with as many threads as ours (SET threads; default 1).
//
//   node duckdb_peer.mjs --glob 'DIR/day-*.jsonl' --out FILE --rows N [--runs R] [--threads T]
//
// Prints {"seconds": best, "rows": n} on stdout. Columns are given explicitly (no sniffing), with
// the types our table gets (timestamp, strings, doubles, bigint, boolean).
import path from 'node:path'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const req = createRequire(path.join(root, 'tests/interop/package.json'))
const { DuckDBInstance } = req('@duckdb/node-api')
const arg = k => { const i = process.argv.indexOf(k); return i > 0 ? process.argv[i + 1] : undefined }
const glob = arg('--glob'), out = arg('--out'), rows = Number(arg('--rows')), runs = Number(arg('--runs') || 2)
const threads = Number(arg('--threads') || 1)

const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
const con = await inst.connect()
await con.run(`SET threads=${threads}`)
const cols = `{time: 'TIMESTAMP', dc: 'VARCHAR', host: 'VARCHAR', load: 'DOUBLE', procs: 'BIGINT', region: 'VARCHAR', state: 'VARCHAR', temp: 'DOUBLE', throttled: 'BOOLEAN', usage_idle: 'DOUBLE', usage_system: 'DOUBLE', usage_user: 'DOUBLE'}`
let best = Infinity
for (let r = 0; r < runs; r++) {
  fs.rmSync(out, { force: true })
  const t0 = process.hrtime.bigint()
  await con.run(`COPY (SELECT * FROM read_json('${glob}', format='newline_delimited', columns=${cols})) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`)
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  best = Math.min(best, s)
}
const n = (await con.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet('${out}')`)).getRowObjectsJson()[0].n
if (Number(n) !== rows) { console.error(`duckdb wrote ${n} rows, expected ${rows}`); process.exit(1) }
console.log(JSON.stringify({ seconds: best, rows: Number(n), bytes: fs.statSync(out).size }))
