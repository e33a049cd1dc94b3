// Read an Iceberg table back independently of influx2iceberg, for the plugin tests.
//
//   node read_table.mjs <metadata location (file:// URL or path)>
//
// Lists the live data files of the current snapshot from the manifest list and manifests
// (icebird's Avro reader), reads them with DuckDB (read_parquet over exactly those files) and
// prints one JSON object: {"columns": [names in schema order], "files": n, "rows": [...]}.
// Timestamps come out as epoch integers in the table's unit, as strings (exact); longs as strings;
// doubles and booleans as JSON values; rows ordered by every column (time first).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const interop = process.env.I2I_INTEROP_DIR
if (!interop) { console.error('I2I_INTEROP_DIR is not set'); process.exit(2) }
const req = createRequire(path.join(interop, 'package.json'))
const { avroMetadata, avroRead } = await import(path.join(interop, 'node_modules/icebird/src/index.js'))
const { DuckDBInstance } = req('@duckdb/node-api')

const toPath = loc => (loc.startsWith('file:') ? fileURLToPath(loc) : loc)
function readAvro(location) {
  const buf = fs.readFileSync(toPath(location))
  const reader = { view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), offset: 0 }
  const { metadata, syncMarker } = avroMetadata(reader)
  return avroRead({ reader, metadata, syncMarker })
}

const text = fs.readFileSync(toPath(process.argv[2]), 'utf8')
// keep 64-bit snapshot ids exact
const md = JSON.parse(text.replace(/("(?:current-snapshot-id|parent-snapshot-id|snapshot-id)"\s*:\s*)(-?\d+)/g, '$1"$2"'))
const schema = md.schemas.find(s => String(s['schema-id']) === String(md['current-schema-id']))
const cols = schema.fields.map(f => ({ name: f.name, type: f.type }))
const current = md['current-snapshot-id']
const files = []
if (current !== undefined && current !== null && String(current) !== '-1') {
  const snap = md.snapshots.find(s => String(s['snapshot-id']) === String(current))
  for (const mf of readAvro(snap['manifest-list'])) {
    for (const e of readAvro(mf.manifest_path)) if (e.status !== 2) files.push(toPath(e.data_file.file_path))
  }
}

let rows = []
if (files.length) {
  const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
  const con = await inst.connect()
  const q = s => "'" + s.replace(/'/g, "''") + "'"
  const id = s => '"' + s.replace(/"/g, '""') + '"'
  const sel = cols.map(c => {
    if (c.type.startsWith('timestamp')) {
      const fn = c.type.endsWith('_ns') ? 'epoch_ns' : 'epoch_us'
      return `CAST(${fn}(${id(c.name)}) AS VARCHAR) AS ${id(c.name)}`
    }
    if (c.type === 'long') return `CAST(${id(c.name)} AS VARCHAR) AS ${id(c.name)}`
    return id(c.name)
  }).join(', ')
  const order = cols.map(c => c.type.startsWith('timestamp') ? `${id(c.name)}` : id(c.name)).join(', ')
  const sql = `SELECT ${sel} FROM read_parquet([${files.map(q).join(', ')}], union_by_name=true) ORDER BY ${order}`
  rows = (await con.runAndReadAll(sql)).getRowObjectsJson()
}
console.log(JSON.stringify({ columns: cols.map(c => c.name), files: files.length, rows }))
