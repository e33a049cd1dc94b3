// hyparquet (pure JavaScript, its own Thrift decoder) reads every file of the interop corpus:
// every value, the schema (field ids, types, logical and converted types), per-chunk metadata
// (codec, encodings, encoding_stats, offsets, sizes), statistics both as hyparquet converts them
// and as raw bytes from the footer, and the page index (OffsetIndex + ColumnIndex) page by page.
//
//   node check_hyparquet.mjs CASE_DIR
import fs from 'node:fs';
import { parquetMetadata, parquetReadObjects, readColumnIndex, readOffsetIndex } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import {
  Report, loadCases, caseDir, canonDouble, canonInt, canonBool, canonStatBytes, decimalFromBytes,
  hex, compare, checkDictionary, checkRowGroups, expectedStats, sameStat, mayOmitMinMax, show,
} from './common.mjs';

const report = new Report('hyparquet');

// Keep every value exact: timestamps as the raw BigInt, strings as the hex of their bytes.
const parsers = {
  timestampFromMicroseconds: v => v,
  timestampFromNanoseconds: v => v,
  timestampFromMilliseconds: v => v,
  stringFromBytes: b => (b === undefined || b === null) ? b : hex(b),
};

// FileMetaData straight from Thrift (field ids), for the statistics bytes hyparquet converts lossily
// (decimals become JS numbers) and for fields it does not expose (column_orders).
function rawFooter(ab) {
  const view = new DataView(ab);
  const len = view.getUint32(ab.byteLength - 8, true);
  return deserializeTCompactProtocol({ view, offset: ab.byteLength - 8 - len });
}

function canonValue(kind, v) {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'bool': return canonBool(v);
    case 'int32': case 'int64': case 'ts_us': case 'ts_ns': return canonInt(v);
    case 'double': return canonDouble(v);
    case 'string': return typeof v === 'string' ? v : `<not hex: ${typeof v}>`;
    case 'decimal': return v instanceof Uint8Array ? decimalFromBytes(v) : `<not bytes: ${typeof v} ${v}>`;
  }
  return '<unknown kind>';
}

// hyparquet's converted statistic (decimals excluded: they come back as lossy JS numbers).
function canonConvertedStat(kind, v) {
  if (v === undefined || v === null) return null;
  return kind === 'string' ? v : canonValue(kind, v);
}

function logicalEquals(exp, got) {
  if (exp === null) return got === undefined;
  if (!got || got.type !== exp.type) return false;
  if (exp.type === 'TIMESTAMP') return got.unit === exp.unit && got.isAdjustedToUTC === exp.utc;
  if (exp.type === 'DECIMAL') return got.precision === exp.precision && got.scale === exp.scale;
  return true;
}

// min/max of a chunk or page against the expected ones. Strings may be truncated when the writer
// says so (inexact); the result must still bound the values.
function checkMinMax(f, w, exp, col, want, gotMin, gotMax, inexact) {
  if (gotMin === null && gotMax === null) {
    report.ok(f, `${w} min/max`, mayOmitMinMax(col, want), `min/max missing, expected ${show(want.min)}..${show(want.max)}`);
    return;
  }
  if (want.min === null) {
    report.fail(f, `${w} min/max`, `expected no min/max (no non-NaN values), got ${show(gotMin)}..${show(gotMax)}`);
    return;
  }
  if (col.kind === 'string' && inexact && typeof gotMin === 'string' && typeof gotMax === 'string') {
    report.ok(f, `${w} min (inexact)`, compare('string', gotMin, want.min) <= 0, `truncated min ${show(gotMin)} > true min ${show(want.min)}`);
    report.ok(f, `${w} max (inexact)`, compare('string', gotMax, want.max) >= 0, `truncated max ${show(gotMax)} < true max ${show(want.max)}`);
    return;
  }
  const same = (a, b) => sameStat(exp, col.kind, a, b);
  report.eq(f, `${w} min`, want.min, gotMin, same);
  report.eq(f, `${w} max`, want.max, gotMax, same);
}

// The page index: an OffsetIndex for every chunk (when the writer was asked for one), and a
// ColumnIndex unless the chunk holds a NaN (its pages then have no usable min/max, and writers
// such as parquet-java drop the ColumnIndex too).
function checkPageIndex(f, w, col, ab, chunk, start, rgRowCount, exp, ours, chunkHasNan) {
  const m = chunk.meta_data;
  if (chunk.offset_index_offset === undefined) {
    if (ours && exp.page_index) report.fail(f, w, 'OffsetIndex missing');
    return;
  }
  const at = (off, len) => ({ view: new DataView(ab, Number(off), Number(len)), offset: 0 });
  const oi = readOffsetIndex(at(chunk.offset_index_offset, chunk.offset_index_length));
  const locs = oi.page_locations;
  const n = locs.length;
  report.ok(f, `${w} page count`, n >= Math.max(1, exp.min_pages_per_chunk || 0), `${n} pages, expected at least ${exp.min_pages_per_chunk}`);
  report.eq(f, `${w} first page row`, '0', String(locs[0]?.first_row_index));
  report.eq(f, `${w} first page offset`, String(m.data_page_offset), String(locs[0]?.offset));
  const chunkStart = Number(m.dictionary_page_offset ?? m.data_page_offset);
  const chunkEnd = chunkStart + Number(m.total_compressed_size);
  for (let k = 0; k < n; k++) {
    const l = locs[k];
    const end = k + 1 < n ? Number(locs[k + 1].offset) : chunkEnd;
    report.ok(f, `${w} page ${k} location`, Number(l.offset) + l.compressed_page_size === end,
      `page at ${l.offset} + ${l.compressed_page_size} bytes does not end at ${end} (next page or chunk end)`);
    if (k > 0) report.ok(f, `${w} page ${k} first_row_index`, l.first_row_index > locs[k - 1].first_row_index, 'first_row_index not increasing');
  }
  report.ok(f, `${w} last page row`, n > 0 && Number(locs[n - 1].first_row_index) < rgRowCount, 'last page starts past the row group');
  if (chunk.column_index_offset === undefined) {
    if (ours && exp.page_index) report.ok(f, w, chunkHasNan, 'ColumnIndex missing (allowed only for a chunk holding NaN)');
    return;
  }
  // Raw bytes for min/max: a schema element without logical types makes hyparquet pass them through.
  const ci = readColumnIndex(at(chunk.column_index_offset, chunk.column_index_length), { type: 'FIXED_LEN_BYTE_ARRAY', name: col.name });
  report.eq(f, `${w} column index pages`, n, ci.null_pages.length);
  for (let k = 0; k < n && k < ci.null_pages.length; k++) {
    const a = start + Number(locs[k].first_row_index);
    const b = start + (k + 1 < n ? Number(locs[k + 1].first_row_index) : rgRowCount);
    const want = expectedStats(col, a, b);
    const pw = `${w} page ${k} (rows ${a}..${b - 1})`;
    const allNull = want.null_count === b - a;
    report.eq(f, `${pw} null_page`, allNull, ci.null_pages[k]);
    if (ci.null_counts) report.eq(f, `${pw} null_count`, String(want.null_count), String(ci.null_counts[k]));
    else if (ours) report.fail(f, pw, 'ColumnIndex.null_counts missing');
    if (allNull || want.min === null) continue; // no bounds to compare (all NULL or all NaN)
    checkMinMax(f, `${pw} column index`, exp, col, want, canonStatBytes(col.kind, ci.min_values[k]),
      canonStatBytes(col.kind, ci.max_values[k]), col.kind === 'string');
  }
  // boundary_order is a promise readers act on; check it holds.
  const mins = [], maxs = [];
  for (let k = 0; k < n; k++) if (!ci.null_pages[k]) {
    mins.push(canonStatBytes(col.kind, ci.min_values[k]));
    maxs.push(canonStatBytes(col.kind, ci.max_values[k]));
  }
  const ordered = (arr, sign) => arr.every((v, i) => i === 0 || sign * compare(col.kind, arr[i - 1], v) <= 0);
  if (col.kind !== 'double' || !mins.includes('NaN')) {
    if (ci.boundary_order === 'ASCENDING') report.ok(f, `${w} boundary_order`, ordered(mins, 1) && ordered(maxs, 1), 'ASCENDING but pages are not');
    if (ci.boundary_order === 'DESCENDING') report.ok(f, `${w} boundary_order`, ordered(mins, -1) && ordered(maxs, -1), 'DESCENDING but pages are not');
  }
}

async function checkCase(c) {
  const f = c.name, exp = c.exp, ours = exp.writer === 'influx2iceberg';
  const buf = fs.readFileSync(c.file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const md = parquetMetadata(ab, { parsers });
  const raw = rawFooter(ab);

  report.eq(f, 'version', 1, md.version);
  report.ok(f, 'created_by', new RegExp(exp.created_by_regex).test(md.created_by ?? ''), `created_by ${JSON.stringify(md.created_by)} does not match`);
  report.eq(f, 'num_rows', String(exp.num_rows), String(md.num_rows));
  const kv = new Map((md.key_value_metadata ?? []).map(e => [e.key, e.value]));
  report.eq(f, 'kv count', exp.kv.length, (md.key_value_metadata ?? []).length);
  for (const { key, value } of exp.kv) report.eq(f, `kv ${JSON.stringify(key)}`, value, kv.get(key) ?? null);

  // Schema: a root with num_children and no type, then one leaf per column.
  const root = md.schema[0];
  report.eq(f, 'root num_children', exp.columns.length, root.num_children);
  report.eq(f, 'root type', undefined, root.type);
  report.eq(f, 'schema leaves', exp.columns.length, md.schema.length - 1);
  exp.columns.forEach((col, i) => {
    const s = md.schema[i + 1];
    if (!s) return;
    const w = `column ${col.name} schema`;
    report.eq(f, `${w} name`, col.name, s.name);
    report.eq(f, `${w} field_id`, col.field_id, s.field_id);
    report.eq(f, `${w} type`, col.physical, s.type);
    report.eq(f, `${w} repetition`, col.repetition, s.repetition_type);
    report.eq(f, `${w} type_length`, col.type_length, s.type_length);
    report.ok(f, `${w} converted_type`, col.converted.includes(s.converted_type ?? null), `converted_type ${s.converted_type}, expected one of ${JSON.stringify(col.converted)}`);
    report.ok(f, `${w} logical_type`, logicalEquals(col.logical, s.logical_type), `logical_type ${JSON.stringify(s.logical_type)}, expected ${JSON.stringify(col.logical)}`);
    if (col.logical?.type === 'DECIMAL') {
      report.eq(f, `${w} precision`, col.logical.precision, s.precision);
      report.eq(f, `${w} scale`, col.logical.scale, s.scale);
    }
  });
  if (ours) {
    const orders = raw.field_7;
    report.ok(f, 'column_orders', Array.isArray(orders) && orders.length === exp.columns.length && orders.every(o => o.field_1 !== undefined),
      `column_orders must hold one TYPE_ORDER per column, got ${JSON.stringify(orders)}`);
  }

  // Row groups and chunks.
  const bounds = checkRowGroups(report, c, md.row_groups.map(g => Number(g.num_rows)));
  for (let g = 0; g < md.row_groups.length; g++) {
    const rg = md.row_groups[g], rawRg = raw.field_4[g];
    const [start, end] = bounds[g];
    report.eq(f, `row group ${g} columns`, exp.columns.length, rg.columns.length);
    if (ours) {
      const sum = k => rg.columns.reduce((a, ch) => a + BigInt(ch.meta_data[k]), 0n);
      const first = rg.columns[0]?.meta_data;
      report.eq(f, `row group ${g} total_byte_size`, String(sum('total_uncompressed_size')), String(rg.total_byte_size));
      report.eq(f, `row group ${g} total_compressed_size`, String(sum('total_compressed_size')), String(rg.total_compressed_size));
      report.eq(f, `row group ${g} file_offset`, String(first?.dictionary_page_offset ?? first?.data_page_offset), String(rg.file_offset));
      report.eq(f, `row group ${g} ordinal`, g, rg.ordinal);
    }
    exp.columns.forEach((col, i) => {
      const ch = rg.columns[i];
      if (!ch) return;
      const m = ch.meta_data, w = `row group ${g} column ${col.name}`;
      report.eq(f, `${w} type`, col.physical, m.type);
      report.eq(f, `${w} path_in_schema`, JSON.stringify([col.name]), JSON.stringify(m.path_in_schema));
      report.eq(f, `${w} codec`, exp.codec, m.codec);
      report.eq(f, `${w} num_values`, String(end - start), String(m.num_values));
      report.ok(f, `${w} sizes`, m.total_compressed_size > 0n && m.total_uncompressed_size > 0n, 'chunk sizes must be positive');
      if (m.dictionary_page_offset !== undefined)
        report.ok(f, `${w} offsets`, m.dictionary_page_offset < m.data_page_offset, 'dictionary page must precede the data pages');
      if (ours) report.eq(f, `${w} file_offset`, '0', String(ch.file_offset));

      const es = m.encoding_stats;
      if (ours) report.ok(f, `${w} encoding_stats`, Array.isArray(es) && es.length > 0, 'encoding_stats missing');
      const dataPageEncodings = es ? es.filter(e => e.page_type === 'DATA_PAGE').map(e => e.encoding) : undefined;
      if (es) {
        const dictPages = es.filter(e => e.page_type === 'DICTIONARY_PAGE').reduce((a, e) => a + e.count, 0);
        report.eq(f, `${w} dictionary pages in encoding_stats`, m.dictionary_page_offset !== undefined ? 1 : 0, dictPages);
        report.ok(f, `${w} data page types`, es.every(e => e.page_type === 'DATA_PAGE' || e.page_type === 'DICTIONARY_PAGE'), `page types ${es.map(e => e.page_type).join(',')} (expected data page v1 only)`);
      }
      checkDictionary(report, f, w, col.dictionary, { dictPage: m.dictionary_page_offset !== undefined, encodings: m.encodings, dataPageEncodings });

      // Statistics: raw bytes (exact for every type) and hyparquet's own conversion.
      const want = expectedStats(col, start, end);
      const st = rawRg.field_1[i].field_3.field_12;
      if (ours) report.ok(f, `${w} statistics`, st !== undefined && st.field_3 !== undefined, 'statistics with null_count missing');
      if (st) {
        if (st.field_3 !== undefined) report.eq(f, `${w} null_count`, String(want.null_count), String(st.field_3));
        const rmin = st.field_6 === undefined ? null : canonStatBytes(col.kind, st.field_6);
        const rmax = st.field_5 === undefined ? null : canonStatBytes(col.kind, st.field_5);
        const inexact = st.field_8 === false || st.field_7 === false;
        checkMinMax(f, `${w} stats`, exp, col, want, rmin, rmax, inexact);
        if (ours && rmin !== null) {
          report.ok(f, `${w} is_min/max_value_exact`, st.field_7 !== undefined && st.field_8 !== undefined, 'is_min_value_exact/is_max_value_exact not written');
          if (col.kind === 'string') report.ok(f, `${w} deprecated min/max`, st.field_1 === undefined && st.field_2 === undefined, 'deprecated min/max must not be written for strings');
        }
        // Deprecated min/max, when present, must agree with min_value/max_value.
        if (st.field_2 !== undefined && rmin !== null && col.kind !== 'string') report.eq(f, `${w} deprecated min`, rmin, canonStatBytes(col.kind, st.field_2));
        if (st.field_1 !== undefined && rmax !== null && col.kind !== 'string') report.eq(f, `${w} deprecated max`, rmax, canonStatBytes(col.kind, st.field_1));
        if (col.kind !== 'decimal' && !inexact) {
          const hs = m.statistics ?? {};
          report.eq(f, `${w} hyparquet min_value`, rmin, canonConvertedStat(col.kind, hs.min_value));
          report.eq(f, `${w} hyparquet max_value`, rmax, canonConvertedStat(col.kind, hs.max_value));
        }
      }
      checkPageIndex(f, w, col, ab, ch, start, end - start, exp, ours, want.has_nan);
    });
  }

  // Values. Decimal columns are read with their logical type stripped so hyparquet hands over the
  // raw big-endian bytes instead of a rounded JS number.
  const mdRaw = structuredClone(md);
  exp.columns.forEach((col, i) => {
    if (col.kind === 'decimal') {
      delete mdRaw.schema[i + 1].converted_type;
      delete mdRaw.schema[i + 1].logical_type;
    }
  });
  const rows = await parquetReadObjects({ file: ab, metadata: mdRaw, compressors, parsers });
  report.eq(f, 'rows read', exp.num_rows, rows.length);
  for (const col of exp.columns) report.column(f, col, rows.map(r => canonValue(col.kind, r[col.name])));
  report.files++;
}

for (const c of loadCases(caseDir())) {
  try {
    await checkCase(c);
  } catch (e) {
    report.fail(c.name, 'read', `hyparquet error: ${e.stack ?? e}`);
  }
}
process.exit(report.finish());
