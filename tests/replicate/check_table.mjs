// Read an Iceberg table written by `influx2iceberg replicate` back with two independent readers and
// compare EVERY value with the rows that were written to the InfluxDB 3 emulator.
//
//   node check_table.mjs <config.json>
//
// config: a list (or one) of
//   { label, metadata_path (local file), live_files (local paths, from iceberg_table_live_files),
//     expected (datasets.py output file, or a list of them), columns (exact table column names,
//     null = every column of the expected file), ranges ([["start_ns","end_ns"], ...] or null: only expected rows inside them
//     are in the table), time_unit ("us" | "ns"), icebird (bool), min_rows,
//     check_floor (bool: assert pre-1970 sub-µs timestamps exist and were floored, v2 only),
//     new_columns ({name: "null_before_ns"}: rows before that time must read NULL, later ones not all NULL) }
//
// Per table:
//   0. the table schema has exactly the expected columns, time required, the others optional;
//   1. the live data file list we were given equals the one icebird's own Avro reader finds in the
//      manifests (so our file listing is checked too);
//   2. DuckDB reads the live files BY FIELD ID (read_parquet schema=MAP{id: ...}, NULL for columns a
//      file predates) and every row equals an expected row, compared as a multiset of canonical
//      row strings: no row lost, none duplicated, none extra (count, duplicates, missing and extra
//      rows reported separately); a table digest (xor of per-row sha256) is printed;
//   3. icebird reads the whole table (icebergRead: its own Avro, manifest and Parquet stack) and
//      every row is compared the same way (it looks columns up by their Avro-sanitized name, so
//      every column must resolve: see 3a below); then icebird's manifest reading + its
//      hyparquet read every live file with columns matched by field id, every column compared.
//      Timestamps come back as raw integers (hyparquet's timestamp parsers are replaced), so
//      sub-millisecond digits are compared too;
//   4. v2 (µs) tables: ns values were floored (toward negative infinity), checked on the rows whose
//      ns are negative and not a multiple of 1000; v3 (ns) tables keep every digit.
// Values are canonical strings: int64 as decimal text (BigInt, never a JS number), doubles as the
// 16 hex digits of their IEEE-754 bits (so -0.0 differs from 0.0), NaN as "NaN".
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRequire } from 'node:module'

const interop = process.env.I2I_INTEROP_DIR || path.join(path.dirname(fileURLToPath(import.meta.url)), '../interop')
const need = ['@duckdb/node-api', 'icebird']
for (const p of need) {
  if (!fs.existsSync(path.join(interop, 'node_modules', p, 'package.json'))) {
    console.error(`FAIL: ${interop}/node_modules/${p} is missing: run \`make deps\` (npm install in tests/interop)`)
    process.exit(2)
  }
}
const req = createRequire(path.join(interop, 'package.json'))
const { DuckDBInstance } = req('@duckdb/node-api')
const icebirdDir = path.join(interop, 'node_modules/icebird')
const { icebergRead, icebergManifests } = await import(pathToFileURL(path.join(icebirdDir, 'src/index.js')).href)
// The hyparquet icebird uses (its own copy when it has one): raw integers for timestamps.
const hyparquetConvert = fs.existsSync(path.join(icebirdDir, 'node_modules/hyparquet/src/convert.js'))
  ? path.join(icebirdDir, 'node_modules/hyparquet/src/convert.js')
  : path.join(interop, 'node_modules/hyparquet/src/convert.js')
const { DEFAULT_PARSERS } = await import(pathToFileURL(hyparquetConvert).href)
const hyparquetIndex = path.join(path.dirname(hyparquetConvert), 'index.js')
const { asyncBufferFromUrl, cachedAsyncBuffer, parquetMetadataAsync, parquetReadObjects } = await import(pathToFileURL(hyparquetIndex).href)
const compressorsDir = fs.existsSync(path.join(icebirdDir, 'node_modules/hyparquet-compressors'))
  ? path.join(icebirdDir, 'node_modules/hyparquet-compressors') : path.join(interop, 'node_modules/hyparquet-compressors')
const { compressors } = await import(pathToFileURL(path.join(compressorsDir, 'src/index.js')).href)
DEFAULT_PARSERS.timestampFromMicroseconds = v => ({ raw: BigInt(v), unit: 'us' })
DEFAULT_PARSERS.timestampFromNanoseconds = v => ({ raw: BigInt(v), unit: 'ns' })
DEFAULT_PARSERS.timestampFromMilliseconds = v => ({ raw: BigInt(v), unit: 'ms' })

// file:// fetch shim (icebird reads through fetch only)
const realFetch = globalThis.fetch
globalThis.fetch = async (url, init) => {
  const u = typeof url === 'string' ? url : url.url
  if (!u.startsWith('file:')) return realFetch(url, init)
  const buf = fs.readFileSync(fileURLToPath(new URL(u)))
  const range = new Headers(init?.headers).get('Range')
  if (range) {
    const m = /bytes=(\d+)-(\d*)/.exec(range)
    const start = Number(m[1]), end = m[2] === '' ? buf.length - 1 : Number(m[2])
    const part = buf.subarray(start, end + 1)
    return new Response(part, { status: 206, headers: { 'content-length': String(part.length) } })
  }
  return new Response(buf, { status: 200, headers: { 'content-length': String(buf.length) } })
}

let failures = 0
function fail(msg) {
  failures++
  console.error('FAIL: ' + msg)
}
function check(cond, msg) { if (!cond) fail(msg); return !!cond }

const f64 = new Float64Array(1)
const u64 = new BigUint64Array(f64.buffer)
function doubleCanon(x) {
  if (typeof x === 'string') {
    const s = x.toLowerCase()
    if (s === 'nan' || s === '-nan') return 'NaN'
    if (s === 'inf' || s === 'infinity') x = Infinity
    else if (s === '-inf' || s === '-infinity') x = -Infinity
    else x = Number(x)
  }
  if (typeof x !== 'number') return `<not a number: ${typeof x}>`
  if (Number.isNaN(x)) return 'NaN'
  f64[0] = x
  return u64[0].toString(16).padStart(16, '0')
}
const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b))
const sqlStr = s => "'" + s.replace(/'/g, "''") + "'"
const sha = s => crypto.createHash('sha256').update(s).digest('hex')

function compareRows(label, got, want) {
  const a = got.map(r => JSON.stringify(r)), b = want.map(r => JSON.stringify(r))
  const count = new Map()
  for (const s of b) count.set(s, (count.get(s) || 0) + 1)
  const extra = []
  for (const s of a) {
    const n = count.get(s)
    if (n) count.set(s, n - 1)
    else extra.push(s)
  }
  const missing = []
  for (const [s, n] of count) for (let i = 0; i < n; i++) missing.push(s)
  // duplicates: rows read more often than they were written
  const seen = new Map(), wantN = new Map()
  for (const s of a) seen.set(s, (seen.get(s) || 0) + 1)
  for (const s of b) wantN.set(s, (wantN.get(s) || 0) + 1)
  const dups = [...seen].filter(([s, n]) => wantN.has(s) && n > wantN.get(s)).length
  check(a.length === b.length, `${label}: ${a.length} rows read, ${b.length} expected`)
  check(dups === 0, `${label}: ${dups} row(s) read more often than written (duplicates)`)
  const cut = s => (s.length > 400 ? s.slice(0, 400) + '…' : s)
  if (missing.length) fail(`${label}: ${missing.length} expected row(s) not read, e.g.\n     ${missing.slice(0, 3).map(cut).join('\n     ')}`)
  if (extra.length) fail(`${label}: ${extra.length} row(s) read that were not expected, e.g.\n     ${extra.slice(0, 3).map(cut).join('\n     ')}`)
  let digest = 0n
  for (const s of a) digest ^= BigInt('0x' + sha(s).slice(0, 16))
  let wdigest = 0n
  for (const s of b) wdigest ^= BigInt('0x' + sha(s).slice(0, 16))
  if (!missing.length && !extra.length && a.length === b.length) {
    console.log(`ok   ${label}: ${a.length} rows equal (digest ${digest.toString(16).padStart(16, '0')})`)
  }
  return { count: a.length, digest, wdigest }
}

const expectedCache = new Map()

async function checkTable(cfg, con) {
  const label = cfg.label
  const q = async sql => (await con.runAndReadAll(sql)).getRowObjectsJson()
  const metadata = JSON.parse(fs.readFileSync(cfg.metadata_path, 'utf8'))
  // one expected file or several (rows concatenated, columns merged)
  const expected = { columns: {}, rows: [] }
  for (const f of [].concat(cfg.expected)) {
    if (!expectedCache.has(f)) expectedCache.set(f, JSON.parse(fs.readFileSync(f, 'utf8')))
    const e = expectedCache.get(f)
    Object.assign(expected.columns, e.columns)
    expected.rows.push(...e.rows)
  }
  const fv = metadata['format-version']
  const schema = metadata.schemas.find(s => s['schema-id'] === metadata['current-schema-id'])
  const fields = schema.fields
  const names = fields.map(f => f.name)
  const wantCols = cfg.columns || Object.keys(expected.columns)
  const kindOf = expected.columns
  const nsTime = cfg.time_unit === 'ns'

  // 0. schema
  check(JSON.stringify([...names].sort()) === JSON.stringify([...wantCols].sort()),
    `${label}: table columns ${JSON.stringify(names)} == ${JSON.stringify(wantCols)}`)
  for (const f of fields) {
    if (f.name === 'time') {
      check(f.required === true, `${label}: time is required`)
      const tt = nsTime ? ['timestamp_ns', 'timestamptz_ns'] : ['timestamp', 'timestamptz']
      check(tt.includes(f.type), `${label}: time type ${f.type} is one of ${tt}`)
    } else {
      check(f.required === false, `${label}: ${f.name} is optional`)
    }
    if (!check(kindOf[f.name] !== undefined, `${label}: column ${JSON.stringify(f.name)} is a source column`)) return
  }

  // expected rows, restricted to the committed ranges, projected on the table's columns
  const ranges = cfg.ranges ? cfg.ranges.map(([s, e]) => [BigInt(s), BigInt(e)]) : null
  const inRanges = t => !ranges || ranges.some(([s, e]) => t >= s && t < e)
  const timeCanon = ns => (nsTime ? ns : floorDiv(ns, 1000n)).toString()
  const want = []
  for (const r of expected.rows) {
    const t = BigInt(r.time)
    if (!inRanges(t)) continue
    const o = {}
    for (const c of names) {
      const v = r[c]
      o[c] = v === undefined || v === null ? null : c === 'time' ? timeCanon(t) : v
    }
    want.push(o)
  }
  if (cfg.min_rows !== undefined) check(want.length >= cfg.min_rows, `${label}: at least ${cfg.min_rows} expected rows to compare (have ${want.length})`)

  // 1. live files: ours == icebird's manifest reading
  const live = cfg.live_files.map(p => path.resolve(p)).sort()
  let manifestFiles = []
  if (metadata['current-snapshot-id'] !== undefined && metadata['current-snapshot-id'] !== null && metadata['current-snapshot-id'] !== -1) {
    const manifests = await icebergManifests(metadata)
    for (const m of manifests) {
      for (const e of m.entries) if (e.status !== 2 && (e.data_file.content ?? 0) === 0) manifestFiles.push(fileURLToPath(new URL(e.data_file.file_path)))
    }
  }
  manifestFiles = manifestFiles.map(p => path.resolve(p)).sort()
  if (check(JSON.stringify(live) === JSON.stringify(manifestFiles), `${label}: live files (${live.length}) == files in icebird's manifest read (${manifestFiles.length})`)) {
    console.log(`ok   ${label}: ${live.length} live data file(s), same list from icebird's Avro reader`)
  }
  for (const p of live) check(fs.existsSync(p), `${label}: live file exists: ${p}`)

  // 2. DuckDB by field id
  const duckType = f => {
    switch (f.type) {
      case 'timestamp': return 'TIMESTAMP'
      case 'timestamptz': return 'TIMESTAMPTZ'
      case 'timestamp_ns': return 'TIMESTAMP_NS'
      case 'timestamptz_ns': return 'TIMESTAMP_NS'
      case 'long': return 'BIGINT'
      case 'double': return 'DOUBLE'
      case 'string': return 'VARCHAR'
      case 'boolean': return 'BOOLEAN'
      default: throw new Error(`unexpected type ${f.type}`)
    }
  }
  const mapSql = 'MAP{' + fields.map(f => `${f.id}: {name: 'c${f.id}', type: '${duckType(f)}', default_value: NULL}`).join(', ') + '}'
  const sel = fields.map(f => {
    const c = `c${f.id}`
    if (f.type.startsWith('timestamp')) return `CAST(${nsTime ? 'epoch_ns' : 'epoch_us'}(${c}) AS VARCHAR) AS ${c}`
    if (f.type === 'long' || f.type === 'double') return `CAST(${c} AS VARCHAR) AS ${c}`
    return c
  }).join(', ')
  let duckRows = []
  if (live.length) duckRows = await q(`SELECT ${sel} FROM read_parquet([${live.map(sqlStr).join(', ')}], schema=${mapSql})`)
  const canonDuck = r => {
    const o = {}
    for (const f of fields) {
      const v = r[`c${f.id}`]
      if (v === null || v === undefined) { o[f.name] = null; continue }
      if (f.type === 'double') o[f.name] = doubleCanon(v)
      else if (f.type === 'boolean') o[f.name] = v === true || v === 'true'
      else o[f.name] = String(v)
    }
    return o
  }
  const gotDuck = duckRows.map(canonDuck)
  const duck = compareRows(`${label}: duckdb (by field id)`, gotDuck, want)
  check(duck.count > 0 || (cfg.min_rows === 0), `${label}: duckdb read some rows`)

  // 4. timestamp precision, explicitly
  const tid = fields.find(f => f.name === 'time').id
  const timeByKey = new Map()
  for (const r of duckRows) timeByKey.set(r[`c${tid}`], true)
  let subus = 0, bad = 0
  for (const r of expected.rows) {
    const t = BigInt(r.time)
    if (!inRanges(t) || t >= 0n || t % 1000n === 0n) continue
    subus++ // before 1970 with sub-µs digits: floor (toward -inf) and truncation (toward 0) differ
    const got = nsTime ? t : floorDiv(t, 1000n)
    if (!timeByKey.has(got.toString())) bad++
  }
  if (cfg.check_floor) {
    check(subus > 0, `${label}: the data has pre-1970 timestamps with sub-µs digits (${subus})`)
    check(bad === 0, `${label}: ${bad} pre-1970 sub-µs timestamp(s) not ${nsTime ? 'kept exactly' : 'floored to µs'}`)
    if (subus > 0 && bad === 0) console.log(`ok   ${label}: ${subus} pre-1970 timestamps with sub-µs digits ${nsTime ? 'kept to the ns' : 'floored toward -inf (not truncated toward 0)'}`)
  }
  if (nsTime) {
    const ns = expected.rows.filter(r => inRanges(BigInt(r.time)) && BigInt(r.time) % 1000n !== 0n).length
    if (cfg.check_floor) check(ns > 0, `${label}: some timestamps have sub-µs digits`)
  }

  // new columns: NULL in rows before the change, values after
  for (const [name, beforeNs] of Object.entries(cfg.new_columns || {})) {
    const f = fields.find(x => x.name === name)
    if (!check(f, `${label}: new column ${name} in the schema`)) continue
    const others = fields.filter(x => x.name !== name).map(x => x.id)
    check(f.id > Math.max(...others), `${label}: ${name} has a fresh field id (${f.id} > ${Math.max(...others)})`)
    check(f.id > 0 && f.id <= metadata['last-column-id'], `${label}: ${name} id ${f.id} <= last-column-id ${metadata['last-column-id']}`)
    const cut = nsTime ? BigInt(beforeNs) : floorDiv(BigInt(beforeNs), 1000n)
    let oldRows = 0, oldNull = 0, newRows = 0, newNonNull = 0
    for (const r of gotDuck) {
      if (BigInt(r.time) < cut) { oldRows++; if (r[name] === null) oldNull++ } else { newRows++; if (r[name] !== null) newNonNull++ }
    }
    check(oldRows > 0 && oldNull === oldRows, `${label}: ${oldNull}/${oldRows} old rows read NULL for ${name}`)
    check(newRows > 0 && newNonNull > 0, `${label}: ${newNonNull}/${newRows} new rows have ${name}`)
    if (oldRows > 0 && oldNull === oldRows && newNonNull > 0) console.log(`ok   ${label}: new column ${JSON.stringify(name)} (id ${f.id}) reads NULL in ${oldRows} older rows, values in ${newNonNull} newer ones`)
  }

  // 3. icebird
  if (cfg.icebird) {
    const canonIce = (r, cols) => {
      const o = {}
      for (const f of cols) {
        const v = r[f.name]
        if (v === null || v === undefined) { o[f.name] = null; continue }
        if (f.type.startsWith('timestamp')) {
          if (v && typeof v === 'object' && 'raw' in v) {
            const us = v.unit === 'us', ns = v.unit === 'ns'
            o[f.name] = (nsTime ? (ns ? v.raw : v.raw * (us ? 1000n : 1000000n)) : (us ? v.raw : ns ? floorDiv(v.raw, 1000n) : v.raw * 1000n)).toString()
          } else o[f.name] = `<unexpected time ${String(v)}>`
        } else if (f.type === 'double') o[f.name] = doubleCanon(v)
        else if (f.type === 'long') o[f.name] = typeof v === 'bigint' ? v.toString() : `<not a BigInt: ${typeof v} ${v}>`
        else o[f.name] = v
      }
      return o
    }

    // 3a. icebergRead, as it is. It finds a file's columns by name, sanitize(name) (Avro's name
    // grammar, as Iceberg Java and PyIceberg write Parquet column names), not by field id: every
    // column must resolve, so our files' column names are checked too.
    let rows = null
    try {
      rows = live.length ? await icebergRead({ tableUrl: metadata.location, metadata }) : []
    } catch (e) {
      fail(`${label}: icebird read failed: ${e.stack || e}`)
    }
    if (rows) {
      for (const f of fields) {
        const allUndef = rows.length > 0 && rows.every(r => r[f.name] === undefined)
        const anyValue = gotDuck.some(r => r[f.name] !== null)
        check(!(allUndef && anyValue), `${label}: icebird could not find column ${JSON.stringify(f.name)} by its sanitized name`)
      }
      compareRows(`${label}: icebird icebergRead`, rows.map(r => canonIce(r, fields)),
                  want.map(r => Object.fromEntries(fields.map(f => [f.name, r[f.name]]))))
    }

    // 3b. icebird's manifest reading + its hyparquet, columns matched by Parquet field_id (the
    // spec's rule): every column, every value.
    try {
      const byIdRows = []
      const manifests = live.length ? await icebergManifests(metadata) : []
      for (const m of manifests) {
        for (const e of m.entries) {
          if (e.status === 2 || (e.data_file.content ?? 0) !== 0) continue
          const df = e.data_file
          const file = cachedAsyncBuffer(await asyncBufferFromUrl({ url: df.file_path, byteLength: Number(df.file_size_in_bytes) }))
          const md = await parquetMetadataAsync(file)
          const byId = new Map()
          for (const el of md.schema.slice(1)) if (el.field_id !== undefined && el.field_id !== null) byId.set(Number(el.field_id), el.name)
          const cols = fields.filter(f => byId.has(f.id)).map(f => byId.get(f.id))
          const got = await parquetReadObjects({ file, metadata: md, columns: cols, compressors })
          check(got.length === Number(df.record_count), `${label}: ${df.file_path}: ${got.length} rows read, record_count ${df.record_count}`)
          for (const r of got) {
            const o = {}
            for (const f of fields) o[f.name] = byId.has(f.id) ? r[byId.get(f.id)] : undefined
            byIdRows.push(o)
          }
        }
      }
      compareRows(`${label}: icebird manifests + hyparquet by field id`, byIdRows.map(r => canonIce(r, fields)), want)
    } catch (e) {
      fail(`${label}: icebird/hyparquet read by field id failed: ${e.stack || e}`)
    }
  }
}

const cfgs = [].concat(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')))
const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
const con = await inst.connect()
await con.run('SET threads=2')
for (const cfg of cfgs) {
  try {
    await checkTable(cfg, con)
  } catch (e) {
    fail(`${cfg.label}: ${e.stack || e}`)
  }
}
if (failures) {
  console.error(`${failures} check(s) failed`)
  process.exit(1)
}
console.log('ALL CHECKS PASSED')
