// DuckDB (its own C++ Parquet reader) reads every file of the interop corpus: every value, the
// schema (parquet_schema), per-row-group metadata and statistics (parquet_metadata), key-value
// metadata, and row-group pruning on the statistics (a WHERE col = v count must match).
//
//   node check_duckdb.mjs CASE_DIR
import { DuckDBInstance } from '@duckdb/node-api';
import {
  Report, loadCases, caseDir, canonDouble, canonInt, canonString, canonBool, normExpected,
  checkDictionary, checkRowGroups, expectedStats, sameStat, mayOmitMinMax,
} from './common.mjs';

const report = new Report('duckdb');
let notedNanos = false;
const inst = await DuckDBInstance.create(':memory:', {
  autoinstall_known_extensions: 'false', autoload_known_extensions: 'false',
});
const con = await inst.connect();
// Timestamps with time zone print in the session zone; UTC makes stats text parse back exactly.
await con.run("SET TimeZone = 'UTC'");

const lit = s => `'${String(s).replaceAll("'", "''")}'`;
const ident = s => `"${String(s).replaceAll('"', '""')}"`;
const rows = async (sql, params) => (await con.runAndReadAll(sql, params)).getRowObjects();

// DuckDB's text for a statistic back to canonical form.
async function canonStatText(kind, text) {
  if (text === null || text === undefined) return null;
  switch (kind) {
    case 'bool': return text === 'true' ? true : text === 'false' ? false : `<bool text ${text}>`;
    case 'int32': case 'int64': case 'decimal': return canonInt(text);
    case 'double': {
      const special = { nan: NaN, '-nan': NaN, inf: Infinity, '-inf': -Infinity, infinity: Infinity, '-infinity': -Infinity };
      const t = text.toLowerCase();
      return canonDouble(t in special ? special[t] : Number(text));
    }
    case 'string': return canonString(text);
    case 'ts_us': {
      const r = await rows('SELECT CAST(epoch_us(CAST($1 AS TIMESTAMPTZ)) AS VARCHAR) AS v', [text]);
      return r[0].v;
    }
    case 'ts_ns': {
      // A zone suffix (if DuckDB adds one for UTC-adjusted nanos) must be +00; drop it for the cast.
      const m = /^(.*?)(\+00(:00)?)?$/.exec(text);
      const r = await rows('SELECT CAST(epoch_ns(CAST($1 AS TIMESTAMP_NS)) AS VARCHAR) AS v', [m[1]]);
      return r[0].v;
    }
  }
  return `<unknown kind ${kind}>`;
}

// SQL that renders a column exactly: integers and decimals as text, timestamps as epoch integers,
// strings as hex of their bytes. Doubles and booleans come through the client as JS values.
function selectExpr(col) {
  const c = ident(col.name);
  switch (col.kind) {
    case 'int32': case 'int64': case 'decimal': return `CAST(${c} AS VARCHAR)`;
    case 'ts_us': return `CAST(epoch_us(${c}) AS VARCHAR)`;
    case 'ts_ns': return `CAST(epoch_ns(${c}) AS VARCHAR)`;
    case 'string': return `lower(hex(${c}))`;
    default: return c;
  }
}

function canonValue(kind, v) {
  if (v === null) return null;
  switch (kind) {
    case 'bool': return canonBool(v);
    case 'double': return canonDouble(v);
    default: return typeof v === 'string' ? v : `<unexpected ${typeof v}>`;
  }
}

// A literal of the column's DuckDB type, folded to a constant so the scan can prune on stats.
function literal(col, v, duckType) {
  switch (col.kind) {
    case 'int32': return `CAST(${lit(v)} AS INTEGER)`;
    case 'int64': return `CAST(${lit(v)} AS BIGINT)`;
    case 'decimal': return `CAST(${lit(v)} AS DECIMAL(20,0))`;
    case 'ts_us': return `CAST(make_timestamp(CAST(${lit(v)} AS BIGINT)) AS ${duckType})`;
    case 'ts_ns': return `CAST(make_timestamp_ns(CAST(${lit(v)} AS BIGINT)) AS ${duckType})`;
    case 'string': return `decode(from_hex(${lit(v)}))`;
    default: return null;
  }
}

function logicalMatches(exp, got) {
  if (exp === null) return got === null;
  if (got === null) return false;
  switch (exp.type) {
    case 'STRING': return /^StringType\(/.test(got);
    case 'TIMESTAMP':
      return got.startsWith(`TimestampType(isAdjustedToUTC=${exp.utc ? 1 : 0},`) &&
        got.includes(exp.unit === 'MICROS' ? 'MICROS=MicroSeconds()' : 'NANOS=NanoSeconds()');
    case 'DECIMAL': return got === `DecimalType(scale=${exp.scale}, precision=${exp.precision})`;
  }
  return false;
}

const expectedDuckType = {
  bool: () => 'BOOLEAN', int32: () => 'INTEGER', int64: () => 'BIGINT', double: () => 'DOUBLE',
  string: () => 'VARCHAR', decimal: () => 'DECIMAL(20,0)',
  ts_us: col => col.logical?.utc ? 'TIMESTAMP WITH TIME ZONE' : 'TIMESTAMP',
  ts_ns: col => col.logical?.utc ? null /* DuckDB's choice; the values decide */ : 'TIMESTAMP_NS',
};

async function checkCase(c) {
  const f = c.name, exp = c.exp, p = lit(c.file);

  // File metadata.
  const fm = (await rows(`SELECT created_by, num_rows, num_row_groups, format_version FROM parquet_file_metadata(${p})`))[0];
  report.eq(f, 'num_rows', String(exp.num_rows), String(fm.num_rows));
  report.ok(f, 'created_by', new RegExp(exp.created_by_regex).test(fm.created_by ?? ''), `created_by ${JSON.stringify(fm.created_by)} does not match ${exp.created_by_regex}`);

  // Schema.
  const schema = await rows(`SELECT name, type, type_length, repetition_type, num_children, converted_type, scale, precision, field_id, logical_type, duckdb_type FROM parquet_schema(${p})`);
  report.eq(f, 'root num_children', String(exp.columns.length), String(schema[0]?.num_children));
  report.eq(f, 'schema leaves', exp.columns.length, schema.length - 1);
  const duckTypes = {};
  exp.columns.forEach((col, i) => {
    const s = schema[i + 1];
    if (!s) return;
    const w = `column ${col.name} schema`;
    report.eq(f, `${w} name`, col.name, s.name);
    report.eq(f, `${w} field_id`, String(col.field_id), String(s.field_id));
    report.eq(f, `${w} physical type`, col.physical, s.type);
    report.eq(f, `${w} repetition`, col.repetition, s.repetition_type);
    if (col.type_length !== undefined) report.eq(f, `${w} type_length`, String(col.type_length), String(s.type_length));
    report.ok(f, `${w} converted_type`, col.converted.includes(s.converted_type), `converted_type ${s.converted_type}, expected one of ${JSON.stringify(col.converted)}`);
    report.ok(f, `${w} logical_type`, logicalMatches(col.logical, s.logical_type), `logical_type ${s.logical_type}, expected ${JSON.stringify(col.logical)}`);
    if (col.logical?.type === 'DECIMAL') {
      report.eq(f, `${w} precision`, String(col.logical.precision), String(s.precision));
      report.eq(f, `${w} scale`, String(col.logical.scale), String(s.scale));
    }
    const dt = expectedDuckType[col.kind](col);
    if (dt) report.eq(f, `${w} duckdb_type`, dt, s.duckdb_type);
    duckTypes[col.name] = s.duckdb_type;
  });

  // DuckDB 1.5 reads TIMESTAMP(NANOS, isAdjustedToUTC=true) as TIMESTAMP WITH TIME ZONE, which
  // holds microseconds: such columns are compared at the precision DuckDB keeps (it truncates
  // toward zero). parquet-wasm and hyparquet compare them to the nanosecond.
  const cols = exp.columns.map(col => {
    if (!(col.kind === 'ts_ns' && duckTypes[col.name] === 'TIMESTAMP WITH TIME ZONE')) return col;
    if (!notedNanos) console.log(`duckdb: NOTE: ${f} ${col.name}: DuckDB reads UTC-adjusted nanosecond timestamps as TIMESTAMPTZ (microseconds); comparing at microsecond precision`);
    notedNanos = true;
    const us = v => v === null ? null : ((BigInt(v) / 1000n) * 1000n).toString();
    return { ...col, values: col.values.map(us), stats: { ...col.stats, min: us(col.stats.min), max: us(col.stats.max) } };
  });

  // Key-value metadata, compared as bytes.
  const kv = await rows(`SELECT key, value FROM parquet_kv_metadata(${p})`);
  const gotKv = new Map(kv.map(r => [Buffer.from(r.key.bytes).toString('hex'), Buffer.from(r.value.bytes).toString('hex')]));
  report.eq(f, 'kv count', exp.kv.length, kv.length);
  for (const { key, value } of exp.kv) {
    report.eq(f, `kv ${JSON.stringify(key)}`, canonString(value), gotKv.get(canonString(key)) ?? null);
  }

  // Row groups and column chunks.
  const md = await rows(`SELECT row_group_id, row_group_num_rows, column_id, num_values, path_in_schema, type, stats_min_value, stats_max_value, stats_null_count, min_is_exact, max_is_exact, compression, encodings, dictionary_page_offset, data_page_offset FROM parquet_metadata(${p}) ORDER BY row_group_id, column_id`);
  const nrg = Number(fm.num_row_groups);
  const rgRows = [];
  for (let g = 0; g < nrg; g++) rgRows.push(Number(md.find(r => Number(r.row_group_id) === g)?.row_group_num_rows ?? 0));
  const bounds = checkRowGroups(report, c, rgRows);
  report.eq(f, 'column chunks', nrg * exp.columns.length, md.length);
  for (const r of md) {
    const g = Number(r.row_group_id), col = cols[Number(r.column_id)];
    if (!col) { report.fail(f, `row group ${g}`, `unexpected column_id ${r.column_id}`); continue; }
    const w = `row group ${g} column ${col.name}`;
    const [start, end] = bounds[g];
    report.eq(f, `${w} path_in_schema`, col.name, r.path_in_schema);
    report.eq(f, `${w} num_values`, String(end - start), String(r.num_values));
    report.eq(f, `${w} compression`, exp.codec, r.compression);
    const want = expectedStats(col, start, end);
    report.eq(f, `${w} null_count`, String(want.null_count), String(r.stats_null_count));
    const gotMin = await canonStatText(col.kind, r.stats_min_value);
    const gotMax = await canonStatText(col.kind, r.stats_max_value);
    if (gotMin === null && gotMax === null && mayOmitMinMax(col, want)) {
      report.checks++; // no min/max: right for an all-null/all-NaN chunk, allowed with NaN or long strings
    } else {
      const same = (a, b) => sameStat(exp, col.kind, a, b);
      report.eq(f, `${w} stats min`, want.min, gotMin, same);
      report.eq(f, `${w} stats max`, want.max, gotMax, same);
    }
    const encodings = (r.encodings ?? '').split(',').map(s => s.trim()).filter(Boolean);
    checkDictionary(report, f, w, col.dictionary, { dictPage: r.dictionary_page_offset !== null, encodings });
    if (r.dictionary_page_offset !== null)
      report.ok(f, `${w} offsets`, Number(r.dictionary_page_offset) < Number(r.data_page_offset), 'dictionary page must come before the data pages');
  }

  // Every value, in file order.
  const sel = exp.columns.map((col, i) => `${selectExpr(col)} AS c${i}`).join(', ');
  const reader = await con.runAndReadAll(`SELECT ${sel} FROM read_parquet(${p}, file_row_number = true) ORDER BY file_row_number`);
  const columns = reader.getColumns();
  cols.forEach((col, i) => report.column(f, col, (columns[i] ?? []).map(v => canonValue(col.kind, v))));

  // Pruning on statistics: count the rows equal to the min and max; wrong stats make DuckDB skip
  // row groups (or pages) that hold them and the count comes out low.
  for (const col of cols) {
    const values = col.values.map(v => normExpected(col.kind, v));
    for (const which of ['min', 'max']) {
      const v = normExpected(col.kind, col.stats[which]);
      const l = v === null ? null : literal(col, v, duckTypes[col.name]);
      if (l === null) continue;
      const want = values.filter(x => x === v).length;
      const got = (await rows(`SELECT count(*) AS n FROM read_parquet(${p}) WHERE ${ident(col.name)} = ${l}`))[0].n;
      report.eq(f, `column ${col.name} count(*) WHERE = ${which}`, String(want), String(got));
    }
  }
  report.files++;
}

for (const c of loadCases(caseDir())) {
  try {
    await checkCase(c);
  } catch (e) {
    report.fail(c.name, 'read', `DuckDB error: ${e.message}`);
  }
}
process.exit(report.finish());
