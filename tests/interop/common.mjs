// Shared by the Parquet interop checkers: loading the expectation files, canonical value
// encodings, statistics in Parquet sort order, and mismatch reporting.
//
// Expectation file (<case>.expected.json, written by parquet_cases.c or make_reference.mjs):
//   { format: "i2i-parquet-expect/1", writer: "influx2iceberg" | "duckdb", file, num_rows, codec,
//     row_groups: {exact: n} | {min: n}, min_pages_per_chunk, page_index, created_by_regex,
//     kv: [{key, value}],
//     columns: [{ name, field_id, kind, repetition, physical, type_length?, logical, converted,
//                 dictionary: "yes"|"no"|"fallback"|"any",
//                 stats: {null_count, has_nan, min, max}, values: [...] }] }
// kind is bool | int32 | int64 | ts_us | ts_ns | double | string | decimal. Values (and stats
// min/max) are canonical: integers, timestamps and decimals as decimal strings, doubles as the 16
// hex digits of the IEEE-754 bits, strings as lower-case hex of the UTF-8 bytes, booleans as
// true/false, NULL as null. logical is null | {type:"STRING"} | {type:"TIMESTAMP", unit, utc} |
// {type:"DECIMAL", precision, scale}; converted is the list of accepted converted_type values
// (null = absent).
//
// Readers give values in their own shapes; each checker turns them into the canonical form with
// the canon* helpers below and compares strings, so a comparison is exact by construction.
import fs from 'node:fs';
import path from 'node:path';

export const KINDS = ['bool', 'int32', 'int64', 'ts_us', 'ts_ns', 'double', 'string', 'decimal'];

// ---------------------------------------------------------------- canonical encodings

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

// A double as its canonical form. Every NaN is the same value here: JS engines may rewrite NaN
// payloads, and Parquet gives them no meaning.
export function canonDouble(x) {
  if (typeof x !== 'number') return `<not a number: ${typeof x} ${String(x)}>`;
  if (Number.isNaN(x)) return 'NaN';
  return doubleHex(x);
}

// The raw bit pattern (what expectation files hold).
export function doubleHex(x) {
  f64[0] = x;
  return u64[0].toString(16).padStart(16, '0');
}

export function doubleFromHex(h) {
  u64[0] = BigInt('0x' + h);
  return f64[0];
}

// Expected values are canonical already, except that NaN bit patterns collapse to 'NaN'.
export function normExpected(kind, v) {
  if (v === null || v === undefined) return null;
  if (kind === 'double') return Number.isNaN(doubleFromHex(v)) ? 'NaN' : v;
  return v;
}

export function canonInt(x) {
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'number' && Number.isSafeInteger(x)) return String(x);
  if (typeof x === 'string' && /^-?[0-9]+$/.test(x)) return BigInt(x).toString();
  return `<not an integer: ${typeof x} ${String(x)}>`;
}

export function hex(bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function canonString(x) {
  if (typeof x === 'string') return Buffer.from(x, 'utf8').toString('hex');
  if (x instanceof Uint8Array) return hex(x);
  return `<not a string: ${typeof x}>`;
}

export function canonBool(x) {
  if (typeof x === 'boolean') return x;
  return `<not a boolean: ${typeof x} ${String(x)}>`;
}

// Big-endian two's complement bytes (a Parquet DECIMAL in a FIXED_LEN_BYTE_ARRAY) to a string.
export function decimalFromBytes(bytes) {
  if (!bytes || bytes.length === 0) return '<empty decimal>';
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes[0] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v.toString();
}

// PLAIN-encoded statistics bytes (as stored in the footer and the column index) to canonical.
export function canonStatBytes(kind, bytes) {
  if (!(bytes instanceof Uint8Array)) return `<no bytes>`;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = { bool: 1, int32: 4, int64: 8, ts_us: 8, ts_ns: 8, double: 8 }[kind];
  if (need !== undefined && bytes.length !== need) return `<${bytes.length} bytes, expected ${need}: ${hex(bytes)}>`;
  switch (kind) {
    case 'bool': return bytes[0] === 1 ? true : bytes[0] === 0 ? false : `<bool byte ${bytes[0]}>`;
    case 'int32': return String(dv.getInt32(0, true));
    case 'int64': case 'ts_us': case 'ts_ns': return dv.getBigInt64(0, true).toString();
    case 'double': return canonDouble(dv.getFloat64(0, true));
    case 'string': return hex(bytes);
    case 'decimal': return decimalFromBytes(bytes);
  }
  return '<unknown kind>';
}

// ---------------------------------------------------------------- ordering and statistics

function isNaNHex(h) { return Number.isNaN(doubleFromHex(h)); }

// Parquet sort order per kind on canonical values: signed integers, IEEE numeric order, unsigned
// bytewise for strings (lower-case hex preserves it), false < true.
export function compare(kind, a, b) {
  switch (kind) {
    case 'bool': return (a === b) ? 0 : (a ? 1 : -1);
    case 'double': {
      const x = doubleFromHex(a), y = doubleFromHex(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'string': return a < b ? -1 : a > b ? 1 : 0;
    default: {
      const x = BigInt(a), y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}

const NEG_ZERO = '8000000000000000', POS_ZERO = '0000000000000000';

// Statistics of values[start, end) as Parquet writes them: NaN excluded from min/max and a zero
// minimum written as -0.0, a zero maximum as +0.0.
export function statsOf(kind, values, start = 0, end = values.length) {
  let nulls = 0, hasNan = false, min = null, max = null;
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (v === null) { nulls++; continue; }
    if (kind === 'double' && isNaNHex(v)) { hasNan = true; continue; }
    if (min === null || compare(kind, v, min) < 0) min = v;
    if (max === null || compare(kind, v, max) > 0) max = v;
  }
  if (kind === 'double' && min !== null) {
    if (doubleFromHex(min) === 0) min = NEG_ZERO;
    if (doubleFromHex(max) === 0) max = POS_ZERO;
  }
  return { null_count: nulls, has_nan: hasNan, min, max };
}

// Statistics equality. Our writer follows the Parquet rule exactly (a zero min is -0.0, a zero max
// +0.0); other writers (the DuckDB reference files) may write either zero.
export function sameStat(exp, kind, want, got) {
  if (want === got) return true;
  const zero = h => h === NEG_ZERO || h === POS_ZERO;
  return exp.writer !== 'influx2iceberg' && kind === 'double' && zero(want) && zero(got);
}

// min/max may be absent when there is no non-NaN value, when a NaN is present (Parquet allows
// either excluding NaN or omitting the bounds), and for strings whose bounds are long: writers
// omit rather than store huge bounds (ours above 4096 bytes, PQ_STATS_MAX_BOUND).
export const LONG_STRING_BOUND = 4096;
export function mayOmitMinMax(col, want) {
  if (want.min === null || want.has_nan) return true;
  return col.kind === 'string' && (want.min.length / 2 > LONG_STRING_BOUND || want.max.length / 2 > LONG_STRING_BOUND);
}

// ---------------------------------------------------------------- loading expectations

export function loadCases(dir) {
  if (!dir || !fs.existsSync(dir)) throw new Error(`case directory ${dir} does not exist`);
  const names = fs.readdirSync(dir).filter(n => n.endsWith('.expected.json')).sort();
  if (names.length === 0) throw new Error(`no *.expected.json in ${dir}`);
  const only = process.env.I2I_INTEROP_ONLY; // debugging aid: a substring of the case name
  const cases = [];
  for (const n of names) {
    if (only && !n.includes(only)) continue;
    const text = fs.readFileSync(path.join(dir, n), 'utf8');
    if (text.length === 0) throw new Error(`${n} is empty`);
    const exp = JSON.parse(text);
    validate(n, exp);
    const file = path.join(dir, exp.file);
    if (!fs.existsSync(file)) throw new Error(`${n}: data file ${exp.file} is missing`);
    if (fs.statSync(file).size < 12) throw new Error(`${exp.file} is too small to be Parquet`);
    cases.push({ name: exp.file, file, exp });
  }
  return cases;
}

// The expectation must be self-consistent (values per column = num_rows, stats = the values'
// stats), so that a generator bug cannot hide behind a reader that agrees with it.
function validate(n, exp) {
  if (exp.format !== 'i2i-parquet-expect/1') throw new Error(`${n}: unknown format ${exp.format}`);
  if (!Array.isArray(exp.columns) || exp.columns.length === 0) throw new Error(`${n}: no columns`);
  if (!(exp.num_rows > 0)) throw new Error(`${n}: num_rows must be > 0`);
  for (const c of exp.columns) {
    if (!KINDS.includes(c.kind)) throw new Error(`${n}: column ${c.name}: unknown kind ${c.kind}`);
    if (!Array.isArray(c.values) || c.values.length !== exp.num_rows)
      throw new Error(`${n}: column ${c.name} has ${c.values?.length} values, expected ${exp.num_rows}`);
    const s = statsOf(c.kind, c.values);
    const st = c.stats;
    if (s.null_count !== st.null_count || s.has_nan !== st.has_nan ||
        normExpected(c.kind, s.min) !== normExpected(c.kind, st.min) ||
        normExpected(c.kind, s.max) !== normExpected(c.kind, st.max))
      throw new Error(`${n}: column ${c.name}: stats in the file ${JSON.stringify(st)} differ from the ` +
                      `values' stats ${JSON.stringify(s)}`);
    if (c.repetition === 'REQUIRED' && s.null_count) throw new Error(`${n}: required column ${c.name} has nulls`);
  }
}

// ---------------------------------------------------------------- reporting

export function show(v) {
  if (v === undefined) return 'undefined';
  let s = typeof v === 'bigint' ? `${v}n` : JSON.stringify(v, (k, x) => typeof x === 'bigint' ? `${x}n` : x);
  if (s === undefined) s = String(v);
  return s.length > 96 ? `${s.slice(0, 80)}...(${s.length} chars)` : s;
}

export class Report {
  constructor(tool) {
    this.tool = tool;
    this.values = 0;     // column values compared
    this.checks = 0;     // schema, metadata and statistics facts compared
    this.files = 0;
    this.mismatches = 0;
    this.limit = Number(process.env.I2I_INTEROP_MAX_SHOWN || 60);
  }

  fail(file, where, msg) {
    this.mismatches++;
    if (this.mismatches <= this.limit) console.log(`${this.tool}: MISMATCH ${file} ${where}: ${msg}`);
  }

  // Compare one fact; `expected` and `got` must be canonical (strings, booleans, numbers, null).
  eq(file, where, expected, got, same = (a, b) => a === b) {
    this.checks++;
    const ok = same(expected, got);
    if (!ok) this.fail(file, where, `expected ${show(expected)}, got ${show(got)}`);
    return ok;
  }

  ok(file, where, cond, msg) {
    this.checks++;
    if (!cond) this.fail(file, where, msg);
    return !!cond;
  }

  // Compare a whole column: expected (canonical, normalised) against the reader's canonical values.
  column(file, col, got) {
    if (got.length !== col.values.length) {
      this.fail(file, `column ${col.name}`, `reader returned ${got.length} values, expected ${col.values.length}`);
    }
    const n = Math.min(got.length, col.values.length);
    let bad = 0;
    for (let r = 0; r < n; r++) {
      const e = normExpected(col.kind, col.values[r]);
      this.values++;
      if (e !== got[r]) {
        bad++;
        this.fail(file, `column ${col.name} row ${r}`, `expected ${show(e)}, got ${show(got[r])}`);
      }
    }
    return bad;
  }

  // Prints the summary line and returns the exit status. Zero values compared is a failure: a
  // checker that compared nothing proves nothing.
  finish() {
    if (this.mismatches > this.limit) console.log(`${this.tool}: ... ${this.mismatches - this.limit} more mismatches not shown`);
    const line = `${this.tool}: ${this.values} values and ${this.checks} metadata facts compared in ${this.files} files, ${this.mismatches} mismatches`;
    console.log(line);
    if (this.values === 0 || this.files === 0) {
      console.log(`${this.tool}: FAIL: nothing was compared`);
      return 1;
    }
    return this.mismatches === 0 ? 0 : 1;
  }
}

// ---------------------------------------------------------------- shared metadata checks

export const isDictEncoding = e => e === 'RLE_DICTIONARY' || e === 'PLAIN_DICTIONARY';

// What a chunk's dictionary use must look like. info: {dictPage (bool|undefined), encodings
// (names), dataPageEncodings (names of data-page encodings from encoding_stats, or undefined)}.
export function checkDictionary(report, file, where, expect, info) {
  const enc = info.encodings || [];
  const dictEnc = enc.some(isDictEncoding);
  const dp = info.dataPageEncodings;
  switch (expect) {
    case 'any': return;
    case 'no':
      report.ok(file, where, !dictEnc, `dictionary not expected, encodings ${enc.join(',')}`);
      if (info.dictPage !== undefined) report.ok(file, where, !info.dictPage, 'unexpected dictionary page');
      if (dp) report.ok(file, where, !dp.some(isDictEncoding), `data pages use ${dp.join(',')}`);
      return;
    case 'yes':
      report.ok(file, where, dictEnc, `dictionary encoding expected, encodings ${enc.join(',')}`);
      if (info.dictPage !== undefined) report.ok(file, where, info.dictPage, 'dictionary page missing');
      if (dp) report.ok(file, where, dp.length > 0 && dp.every(isDictEncoding), `data pages use ${dp.join(',')}, all dictionary expected`);
      return;
    case 'fallback':
      report.ok(file, where, dictEnc && enc.includes('PLAIN'), `dictionary and PLAIN expected, encodings ${enc.join(',')}`);
      if (info.dictPage !== undefined) report.ok(file, where, info.dictPage, 'dictionary page missing');
      if (dp) report.ok(file, where, dp.some(isDictEncoding) && dp.includes('PLAIN'),
                        `data pages use ${dp.join(',')}, expected dictionary pages then PLAIN pages (fallback)`);
      return;
    default:
      report.fail(file, where, `unknown dictionary expectation ${expect}`);
  }
}

// Row-group boundaries from the per-row-group row counts, checked against the expectation.
export function checkRowGroups(report, c, rgRows) {
  const exp = c.exp;
  const total = rgRows.reduce((a, b) => a + Number(b), 0);
  report.eq(c.name, 'sum of row group num_rows', exp.num_rows, total);
  if (exp.row_groups.exact !== undefined) report.eq(c.name, 'row groups', exp.row_groups.exact, rgRows.length);
  else report.ok(c.name, 'row groups', rgRows.length >= exp.row_groups.min, `${rgRows.length} row groups, expected at least ${exp.row_groups.min}`);
  const starts = [];
  let s = 0;
  for (const n of rgRows) { starts.push([s, s + Number(n)]); s += Number(n); }
  return starts;
}

// Expected statistics of one row group (or page) of a column, normalised for comparison.
export function expectedStats(col, start, end) {
  const s = statsOf(col.kind, col.values, start, end);
  return { null_count: s.null_count, has_nan: s.has_nan, min: normExpected(col.kind, s.min), max: normExpected(col.kind, s.max) };
}

export function caseDir() {
  const dir = process.argv[2];
  if (!dir) {
    console.error(`usage: node ${path.basename(process.argv[1])} CASE_DIR`);
    process.exit(2);
  }
  return dir;
}
