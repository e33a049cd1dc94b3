// Independent read-back of an Iceberg table written by influx2iceberg.
//
//   node verify_table.mjs <config.json>
//
// config: { metadata_path, table_url, expected (path of a JSON array of rows), icebird (bool),
//           time_unit ("us"|"ns"), min_files?, foreign_marker? (files whose path contains it were
//           written by another tool: read back, but their metrics and headers are not checked) }
//
// Checks, each failing the run with a message:
//   1. icebird (own Avro + hyparquet stack) reads every row: values equal the expected rows.
//   2. DuckDB reads the live data files listed by the manifests: values equal, exactly.
//   3. Per data file, manifest metrics agree with the real file: record_count, file_size_in_bytes,
//      value/null/NaN counts, column sizes (DuckDB parquet_metadata), lower/upper bounds (single-value
//      binary of the column type, strings truncated to 16 code points with the upper incremented),
//      partition value = transform of every row's time.
//   4. Parquet schema carries the Iceberg field ids and types; footer has iceberg.schema.
//   5. Avro headers (read with avsc): every field has a field-id, names and ids as the spec says,
//      metric maps are arrays with logicalType map, header keys present.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const interop = process.env.I2I_INTEROP_DIR
const req = createRequire(path.join(interop, 'package.json'))
const { icebergRead, avroMetadata, avroRead } = await import(path.join(interop, 'node_modules/icebird/src/index.js'))
const { DuckDBInstance } = req('@duckdb/node-api')
const avsc = req('avsc')

let failures = 0
function fail(msg) {
  failures++
  console.error('FAIL: ' + msg)
  if (failures > 30) { console.error('too many failures'); process.exit(1) }
}
function check(cond, msg) { if (!cond) fail(msg) }

// ------------------------------------------------------------------ fetch shim for file:// URLs
const realFetch = globalThis.fetch
globalThis.fetch = async (url, init) => {
  const u = typeof url === 'string' ? url : url.url
  if (!u.startsWith('file:')) return realFetch(url, init)
  const buf = fs.readFileSync(fileURLToPath(u))
  const headers = new Headers(init?.headers)
  const range = headers.get('Range')
  if (range) {
    const m = /bytes=(\d+)-(\d*)/.exec(range)
    const start = Number(m[1]), end = m[2] === '' ? buf.length - 1 : Number(m[2])
    const part = buf.subarray(start, end + 1)
    return new Response(part, { status: 206, headers: { 'content-length': String(part.length) } })
  }
  return new Response(buf, { status: 200, headers: { 'content-length': String(buf.length) } })
}

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const mdText = fs.readFileSync(cfg.metadata_path, 'utf8')
const metadata = JSON.parse(mdText)
// exact 64-bit ids: quote long integers before parsing
const mdExact = JSON.parse(mdText.replace(/([:\[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'))
const expected = JSON.parse(fs.readFileSync(cfg.expected, 'utf8'))
const nsTime = cfg.time_unit === 'ns'
const fv = metadata['format-version']
const schema = metadata.schemas.find(s => s['schema-id'] === metadata['current-schema-id'])
const spec = metadata['partition-specs'].find(s => s['spec-id'] === metadata['default-spec-id'])
const colNames = schema.fields.map(f => f.name)
const typeOf = Object.fromEntries(schema.fields.map(f => [f.name, f.type]))
const idOf = Object.fromEntries(schema.fields.map(f => [f.name, f.id]))

// ------------------------------------------------------------------ canonical rows
function canonValue(name, v) {
  if (v === undefined || v === null) return null
  const t = typeOf[name]
  if (t === 'double') {
    if (typeof v === 'string') return v // "NaN"
    if (Number.isNaN(v)) return 'NaN'
    return Object.is(v, -0) ? '-0' : String(v)
  }
  if (t === 'long' || t.startsWith('timestamp') || t.startsWith('decimal')) return String(v)
  if (t === 'boolean') return Boolean(v)
  return String(v)
}
function canonRow(r, timeFn) {
  const o = {}
  for (const c of colNames) {
    let v = r[c]
    if (c === 'time' && v !== undefined && v !== null && timeFn) v = timeFn(v)
    o[c] = canonValue(c, v)
  }
  return o
}
const rowKey = r => JSON.stringify(colNames.map(c => r[c]))
function compareRows(label, got, want) {
  check(got.length === want.length, `${label}: ${got.length} rows, expected ${want.length}`)
  const a = got.map(rowKey).sort(), b = want.map(rowKey).sort()
  let shown = 0
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      fail(`${label}: row ${i} differs\n   got  ${a[i]}\n   want ${b[i]}`)
      if (++shown >= 5) break
    }
  }
  if (!shown && a.length === b.length) console.log(`ok   ${label}: ${a.length} rows equal`)
}
const expectedExact = expected.map(r => canonRow(r))

// ------------------------------------------------------------------ manifests (icebird's Avro reader)
function readAvro(location) {
  const buf = fs.readFileSync(fileURLToPath(location))
  const reader = { view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), offset: 0 }
  const { metadata: meta, syncMarker } = avroMetadata(reader)
  return { meta, records: avroRead({ reader, metadata: meta, syncMarker }), size: buf.length }
}
const current = mdExact['current-snapshot-id']
const snap = mdExact.snapshots.find(s => String(s['snapshot-id']) === String(current))
check(snap, 'current snapshot present')
const list = readAvro(snap['manifest-list'])
const liveFiles = []
for (const mf of list.records) {
  const m = readAvro(mf.manifest_path)
  check(m.size === Number(mf.manifest_length), `manifest_length ${mf.manifest_length} == real size ${m.size} (${mf.manifest_path})`)
  for (const e of m.records) {
    if (e.status === 2) continue
    liveFiles.push({ entry: e, manifest: mf })
  }
}
if (cfg.min_files) check(liveFiles.length >= cfg.min_files, `at least ${cfg.min_files} live files (got ${liveFiles.length})`)
console.log(`info live data files: ${liveFiles.length}`)

// ------------------------------------------------------------------ 1. icebird
if (cfg.icebird) {
  try {
    const rows = await icebergRead({ tableUrl: cfg.table_url, metadata })
    // hyparquet gives Date (ms, BigInt division toward zero); expected µs -> same ms
    const want = expectedExact.map(r => ({ ...r, time: r.time === null ? null : String(BigInt(r.time) / (nsTime ? 1000000n : 1000n)) }))
    const got = rows.map(r => canonRow(r, d => String(d.getTime())))
    compareRows('icebird', got, want)
  } catch (e) {
    fail('icebird read failed: ' + (e.stack || e))
  }
}

// ------------------------------------------------------------------ 2. DuckDB
const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
const con = await inst.connect()
async function q(sql) { return (await con.runAndReadAll(sql)).getRowObjectsJson() }
const sqlStr = s => "'" + s.replace(/'/g, "''") + "'"
const localPaths = liveFiles.map(f => fileURLToPath(f.entry.data_file.file_path))
{
  const sel = colNames.map(c => {
    const t = typeOf[c]
    if (t.startsWith('timestamp')) return `CAST(${nsTime ? 'epoch_ns' : 'epoch_us'}("${c}") AS VARCHAR) AS "${c}"`
    if (t === 'long' || t.startsWith('decimal')) return `CAST("${c}" AS VARCHAR) AS "${c}"`
    if (t === 'double') return `CASE WHEN isnan("${c}") THEN 'NaN' WHEN CAST("${c}" AS VARCHAR) = '-0.0' THEN '-0' ELSE CAST("${c}" AS VARCHAR) END AS "${c}"`
    return `"${c}"`
  }).join(', ')
  // union_by_name: files written before a column was added simply lack it (NULL)
  const rows = localPaths.length ? await q(`SELECT ${sel} FROM read_parquet([${localPaths.map(sqlStr).join(',')}], union_by_name=true)`) : []
  const got = rows.map(r => {
    const o = {}
    for (const c of colNames) {
      let v = r[c]
      if (v !== null && v !== undefined && typeOf[c] === 'double' && v !== 'NaN' && v !== '-0') v = String(Number(v))
      o[c] = v === undefined ? null : (typeOf[c] === 'boolean' && v !== null ? Boolean(v) : v)
    }
    return o
  })
  compareRows('duckdb', got, expectedExact.map(r => {
    const o = { ...r }
    for (const c of colNames) if (typeOf[c] === 'double' && o[c] !== null && o[c] !== 'NaN' && o[c] !== '-0') o[c] = String(Number(o[c]))
    return o
  }))
}

// ------------------------------------------------------------------ 3. metrics vs real files
const le = (bytes, n) => { let v = 0n; for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]); return v }
const sle = (bytes, n) => BigInt.asIntN(n * 8, le(bytes, n))
function decodeBound(t, b) {
  if (t === 'long' || t.startsWith('timestamp')) return sle(b, 8)
  if (t === 'int' || t === 'date') return sle(b, 4)
  if (t === 'double') return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true)
  if (t === 'boolean') return b[0] !== 0
  if (t === 'string') return Buffer.from(b)
  if (t.startsWith('decimal')) { let v = b[0] & 0x80 ? -1n : 0n; for (const x of b) v = (v << 8n) | BigInt(x); return BigInt.asIntN(b.length * 8, v) }
  return b
}
const cps = s => Array.from(s) // code points
function truncLower(s) { return Buffer.from(cps(s).slice(0, 16).join('')) }
function truncUpper(s) {
  const c = cps(s)
  if (c.length <= 16) return Buffer.from(s)
  const p = c.slice(0, 16).map(x => x.codePointAt(0))
  for (let i = 15; i >= 0; i--) {
    if (p[i] === 0x10ffff) continue
    const n = p[i] === 0xd7ff ? 0xe000 : p[i] + 1
    return Buffer.from(String.fromCodePoint(...p.slice(0, i), n))
  }
  return null
}
const mapOf = arr => new Map((arr || []).map(kv => [kv.key, kv.value]))
const DAY_US = 86400000000n, HOUR_US = 3600000000n
const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b))
let checkedFiles = 0
const foreign = loc => cfg.foreign_marker && loc.includes(cfg.foreign_marker)
for (const { entry, manifest } of liveFiles) {
  const df = entry.data_file
  const p = fileURLToPath(df.file_path)
  if (foreign(df.file_path)) continue // written by another tool: its metrics are not ours to check
  const label = path.basename(p)
  check(entry.status === 1 || entry.status === 0, `${label}: status ${entry.status}`)
  check(df.file_format === 'PARQUET', `${label}: file_format ${df.file_format}`)
  check(fs.statSync(p).size === Number(df.file_size_in_bytes), `${label}: file_size_in_bytes ${df.file_size_in_bytes} == ${fs.statSync(p).size}`)
  const [{ n }] = await q(`SELECT count(*) AS n FROM read_parquet(${sqlStr(p)})`)
  check(String(n) === String(df.record_count), `${label}: record_count ${df.record_count} == ${n}`)
  const pm = await q(`SELECT path_in_schema, sum(total_compressed_size) AS sz, sum(num_values) AS nv FROM parquet_metadata(${sqlStr(p)}) GROUP BY path_in_schema`)
  const colSizes = mapOf(df.column_sizes), vcs = mapOf(df.value_counts), ncs = mapOf(df.null_value_counts)
  const nans = mapOf(df.nan_value_counts), lows = mapOf(df.lower_bounds), ups = mapOf(df.upper_bounds)
  const ps = await q(`SELECT name, field_id, type, converted_type, logical_type FROM parquet_schema(${sqlStr(p)}) WHERE num_children IS NULL`)
  for (const col of ps) {
    const id = idOf[col.name]
    check(id !== undefined && String(col.field_id) === String(id), `${label}: parquet column ${col.name} field_id ${col.field_id} == ${id}`)
    const t = typeOf[col.name]
    if (t === 'timestamp' || t === 'timestamptz') {
      check(col.converted_type === 'TIMESTAMP_MICROS', `${label}: ${col.name} converted type ${col.converted_type}`)
      check(String(col.logical_type).includes(`isAdjustedToUTC=${t === 'timestamptz' ? 1 : 0}`), `${label}: ${col.name} UTC flag in ${col.logical_type}`)
    }
    if (t === 'timestamp_ns' || t === 'timestamptz_ns') check(String(col.logical_type).includes('NANOS=NanoSeconds'), `${label}: ${col.name} is NANOS`)
    if (t === 'string') check(col.converted_type === 'UTF8', `${label}: ${col.name} UTF8`)
  }
  const kv = await q(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${sqlStr(p)})`)
  const ice = kv.find(r => r.k === 'iceberg.schema')
  check(ice && JSON.parse(ice.v).fields.every(f => idOf[f.name] === f.id), `${label}: iceberg.schema key-value metadata`)
  for (const { path_in_schema: name, sz, nv } of pm) {
    const id = idOf[name], t = typeOf[name]
    check(String(colSizes.get(id)) === String(sz), `${label}: column_sizes[${name}] ${colSizes.get(id)} == ${sz}`)
    check(String(vcs.get(id)) === String(nv) && String(nv) === String(n), `${label}: value_counts[${name}] ${vcs.get(id)} == ${nv}`)
    const c = `"${name}"`
    const [st] = await q(`SELECT count(*) - count(${c}) AS nulls${t === 'double' ? `, count(*) FILTER (WHERE isnan(${c})) AS nans, min(${c}) FILTER (WHERE NOT isnan(${c})) AS mn, max(${c}) FILTER (WHERE NOT isnan(${c})) AS mx, count(*) FILTER (WHERE CAST(${c} AS VARCHAR) = '-0.0') AS negz, count(*) FILTER (WHERE CAST(${c} AS VARCHAR) = '0.0') AS posz`
      : t.startsWith('timestamp') ? `, CAST(min(${nsTime ? 'epoch_ns' : 'epoch_us'}(${c})) AS VARCHAR) AS mn, CAST(max(${nsTime ? 'epoch_ns' : 'epoch_us'}(${c})) AS VARCHAR) AS mx`
      : t === 'string' ? `, min(${c}) AS mn, max(${c}) AS mx` : `, CAST(min(${c}) AS VARCHAR) AS mn, CAST(max(${c}) AS VARCHAR) AS mx`} FROM read_parquet(${sqlStr(p)})`)
    check(String(ncs.get(id)) === String(st.nulls), `${label}: null_value_counts[${name}] ${ncs.get(id)} == ${st.nulls}`)
    if (t === 'double') check(String(nans.get(id)) === String(st.nans), `${label}: nan_value_counts[${name}] ${nans.get(id)} == ${st.nans}`)
    else check(!nans.has(id), `${label}: no nan count for ${name}`)
    const lo = lows.get(id), hi = ups.get(id)
    if (st.mn === null || st.mn === undefined) {
      check(!lo && !hi, `${label}: no bounds for all-null/NaN ${name}`)
      continue
    }
    check(lo, `${label}: lower bound for ${name}`)
    if (!lo) continue
    const L = decodeBound(t, lo), U = hi ? decodeBound(t, hi) : null
    if (t === 'string') {
      check(Buffer.compare(L, truncLower(st.mn)) === 0, `${label}: lower[${name}] ${JSON.stringify(L.toString())} == truncate16(${JSON.stringify(st.mn)})`)
      const wantU = truncUpper(st.mx)
      check(wantU === null ? U === null : (U && Buffer.compare(U, wantU) === 0), `${label}: upper[${name}] ${U && JSON.stringify(U.toString())} == ${wantU && JSON.stringify(wantU.toString())}`)
    } else if (t === 'double') {
      const mn = Number(st.mn), mx = Number(st.mx)
      check(L === mn || (mn === 0 && L === 0), `${label}: lower[${name}] ${L} == ${mn}`)
      check(U === mx || (mx === 0 && U === 0), `${label}: upper[${name}] ${U} == ${mx}`)
      if (Number(st.negz) > 0) check(Object.is(L, -0) || L < 0, `${label}: -0.0 present so lower[${name}] must be -0.0 (${Object.is(L, -0) ? '-0' : L})`)
      if (Number(st.posz) > 0) check(Object.is(U, 0) || U > 0, `${label}: +0.0 present so upper[${name}] must be +0.0`)
    } else if (t === 'boolean') {
      check(L === (st.mn === 'true' || st.mn === true), `${label}: lower[${name}]`)
      check(U === (st.mx === 'true' || st.mx === true), `${label}: upper[${name}]`)
    } else {
      check(String(L) === String(st.mn), `${label}: lower[${name}] ${L} == ${st.mn}`)
      check(String(U) === String(st.mx), `${label}: upper[${name}] ${U} == ${st.mx}`)
      if (t.startsWith('timestamp')) check(lo.length === 8 && hi.length === 8, `${label}: timestamp bounds are 8 bytes`)
    }
  }
  // partition tuple == transform of every row's source value (the transforms we can recompute)
  for (const pf of spec.fields) {
    const src = schema.fields.find(f => f.id === pf['source-id'])
    let pv = df.partition[pf.name]
    if (pv instanceof Date) pv = BigInt(Math.round(pv.getTime() / 86400000)) // date logical type
    check(p.includes(`/${pf.name}=`), `${label}: path has ${pf.name}=`)
    if (pf.transform === 'identity') {
      const [mm] = await q(`SELECT count(DISTINCT "${src.name}") AS d, min("${src.name}") AS v, count(*) - count("${src.name}") AS nulls FROM read_parquet(${sqlStr(p)})`)
      if (pv === undefined || pv === null) check(String(mm.nulls) === String(n), `${label}: identity ${pf.name} null for every row`)
      else check(String(mm.d) === '1' && String(mm.v) === String(pv) && String(mm.nulls) === '0', `${label}: identity ${pf.name}=${pv} for every row`)
      continue
    }
    if (pf.transform.startsWith('truncate[')) {
      const w = BigInt(pf.transform.slice(9, -1))
      const [mm] = await q(`SELECT CAST(min("${src.name}") AS VARCHAR) AS mn, CAST(max("${src.name}") AS VARCHAR) AS mx FROM read_parquet(${sqlStr(p)})`)
      if (pv === undefined || pv === null) { check(mm.mn === null, `${label}: truncate ${pf.name} null`); continue }
      const tr = v => BigInt(v) - (((BigInt(v) % w) + w) % w)
      check(tr(mm.mn) === BigInt(pv) && tr(mm.mx) === BigInt(pv), `${label}: ${pf.name}=${pv} covers ${mm.mn}..${mm.mx}`)
      continue
    }
    if (!['day', 'hour', 'month', 'year'].includes(pf.transform)) continue // bucket: hash vectors are unit-tested
    const [mm] = await q(`SELECT CAST(min(${nsTime ? 'epoch_ns' : 'epoch_us'}("${src.name}")) AS VARCHAR) AS mn, CAST(max(${nsTime ? 'epoch_ns' : 'epoch_us'}("${src.name}")) AS VARCHAR) AS mx FROM read_parquet(${sqlStr(p)})`)
    const unit = nsTime ? 1000n : 1n
    const tr = v => {
      const us = floorDiv(BigInt(v), unit)
      if (pf.transform === 'day') return floorDiv(us, DAY_US)
      if (pf.transform === 'hour') return floorDiv(us, HOUR_US)
      const d = new Date(Number(floorDiv(us, 1000n)))
      if (pf.transform === 'month') return BigInt((d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth())
      return BigInt(d.getUTCFullYear() - 1970)
    }
    check(tr(mm.mn) === BigInt(pv) && tr(mm.mx) === BigInt(pv), `${label}: partition ${pf.name}=${pv} covers ${tr(mm.mn)}..${tr(mm.mx)}`)
  }
  checkedFiles++
}
console.log(`ok   metrics checked against ${checkedFiles} data files`)

// ------------------------------------------------------------------ 5. Avro headers with avsc
function header(location) {
  return new Promise((resolve, reject) => {
    avsc.createFileDecoder(fileURLToPath(location))
      .on('metadata', (type, codec, hdr) => resolve({ codec, meta: Object.fromEntries(Object.entries(hdr.meta).map(([k, v]) => [k, v.toString()])) }))
      .on('error', reject)
  })
}
const canon = v => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)) ? Object.fromEntries(Object.keys(x).sort().map(key => [key, x[key]])) : x)
function allFieldsHaveIds(t, where) {
  if (Array.isArray(t)) { t.forEach(x => allFieldsHaveIds(x, where)); return }
  if (typeof t !== 'object' || t === null) return
  if (t.type === 'record') for (const f of t.fields) {
    check(Number.isInteger(f['field-id']), `${where}: field ${f.name} has a field-id`)
    allFieldsHaveIds(f.type, `${where}.${f.name}`)
  }
  if (t.type === 'array') {
    if (!(t.logicalType === 'map')) check(Number.isInteger(t['element-id']), `${where}: array has an element-id`)
    allFieldsHaveIds(t.items, where)
  }
}
function fieldIds(t, out = {}, prefix = '') {
  if (Array.isArray(t)) { t.forEach(x => fieldIds(x, out, prefix)); return out }
  if (typeof t !== 'object' || t === null) return out
  if (t.type === 'record') for (const f of t.fields) { out[prefix + f.name] = f['field-id']; fieldIds(f.type, out, prefix + f.name + '.') }
  if (t.type === 'array') fieldIds(t.items, out, prefix)
  return out
}
{
  const h = await header(snap['manifest-list'])
  const s = JSON.parse(h.meta['avro.schema'])
  check(s.name === 'manifest_file', 'manifest list root record is manifest_file')
  allFieldsHaveIds(s, 'manifest_file')
  const ids = fieldIds(s)
  const want = { manifest_path: 500, manifest_length: 501, partition_spec_id: 502, content: 517, sequence_number: 515, min_sequence_number: 516, added_snapshot_id: 503, added_files_count: 504, existing_files_count: 505, deleted_files_count: 506, added_rows_count: 512, existing_rows_count: 513, deleted_rows_count: 514, partitions: 507, 'partitions.contains_null': 509, 'partitions.contains_nan': 518, 'partitions.lower_bound': 510, 'partitions.upper_bound': 511, key_metadata: 519 }
  if (fv >= 3) want.first_row_id = 520
  for (const [k, v] of Object.entries(want)) check(ids[k] === v, `manifest list field ${k} id ${ids[k]} == ${v}`)
  check(h.codec === 'deflate', `manifest list codec ${h.codec}`)
  check(h.meta['snapshot-id'] === String(snap['snapshot-id']), `manifest list snapshot-id ${h.meta['snapshot-id']}`)
  check(h.meta['parent-snapshot-id'] === (snap['parent-snapshot-id'] === undefined ? 'null' : String(snap['parent-snapshot-id'])), 'manifest list parent-snapshot-id')
  check(h.meta['sequence-number'] === String(snap['sequence-number']), 'manifest list sequence-number')
  check(h.meta['format-version'] === String(fv), 'manifest list format-version')
  if (fv >= 3) check(h.meta['first-row-id'] === String(snap['first-row-id']), 'manifest list first-row-id')
  const seen = new Set()
  for (const mf of list.records) {
    if (seen.has(mf.manifest_path) || !mf.manifest_path.startsWith(cfg.table_url) || foreign(mf.manifest_path)) continue
    seen.add(mf.manifest_path)
    const mh = await header(mf.manifest_path)
    const ms = JSON.parse(mh.meta['avro.schema'])
    check(ms.name === 'manifest_entry', 'manifest root record is manifest_entry')
    allFieldsHaveIds(ms, 'manifest_entry')
    const mids = fieldIds(ms)
    const mwant = { status: 0, snapshot_id: 1, sequence_number: 3, file_sequence_number: 4, data_file: 2, 'data_file.content': 134, 'data_file.file_path': 100, 'data_file.file_format': 101, 'data_file.partition': 102, 'data_file.record_count': 103, 'data_file.file_size_in_bytes': 104, 'data_file.column_sizes': 108, 'data_file.column_sizes.key': 117, 'data_file.column_sizes.value': 118, 'data_file.value_counts': 109, 'data_file.null_value_counts': 110, 'data_file.nan_value_counts': 137, 'data_file.lower_bounds': 125, 'data_file.lower_bounds.key': 126, 'data_file.lower_bounds.value': 127, 'data_file.upper_bounds': 128, 'data_file.key_metadata': 131, 'data_file.split_offsets': 132, 'data_file.equality_ids': 135, 'data_file.sort_order_id': 140 }
    for (const pf of spec.fields) mwant['data_file.partition.' + pf.name] = pf['field-id']
    if (fv >= 3) mwant['data_file.first_row_id'] = 142
    for (const [k, v] of Object.entries(mwant)) check(mids[k] === v, `manifest field ${k} id ${mids[k]} == ${v}`)
    const df = ms.fields.find(f => f.name === 'data_file').type
    const cs = df.fields.find(f => f.name === 'column_sizes').type[1]
    check(cs.type === 'array' && cs.logicalType === 'map' && cs.items.name === 'k117_v118', 'column_sizes is an array<k117_v118> with logicalType map')
    for (const key of ['schema', 'schema-id', 'partition-spec', 'partition-spec-id', 'format-version', 'content']) check(key in mh.meta, `manifest header has ${key}`)
    check(mh.meta.content === 'data', 'manifest content=data')
    check(mh.meta['format-version'] === String(fv), 'manifest format-version')
    check(canon(JSON.parse(mh.meta['partition-spec'])) === canon(spec.fields), `manifest partition-spec ${mh.meta['partition-spec']}`)
    check(Number.isInteger(JSON.parse(mh.meta.schema)['schema-id']) && JSON.parse(mh.meta.schema).fields.length > 0, 'manifest header schema is a table schema')
  }
  console.log(`ok   avsc: manifest list + ${seen.size} manifest header(s) carry the spec's field ids`)
}

if (failures) { console.error(`${failures} check(s) failed`); process.exit(1) }
console.log('ALL CHECKS PASSED')
