// parquet-wasm (arrow-rs compiled to WebAssembly) reads every file of the interop corpus into
// Arrow: every value from the raw Arrow buffers (so 64-bit and nanosecond values stay exact),
// field ids (Arrow field metadata PARQUET:field_id), Arrow types and nullability, and the footer as
// arrow-rs sees it (created_by, rows, row groups, codecs, encodings, kv metadata).
//
//   node check_parquet_wasm.mjs CASE_DIR
import fs from 'node:fs';
import { readParquet, ParquetFile, Compression, Encoding } from 'parquet-wasm';
import { tableFromIPC } from 'apache-arrow';
import {
  Report, loadCases, caseDir, canonDouble, hex, checkDictionary, checkRowGroups,
} from './common.mjs';

const report = new Report('parquet-wasm');

function expectedArrowType(col) {
  const tz = '(UTC|\\+00:00)';
  switch (col.kind) {
    case 'bool': return /^Bool$/;
    case 'int32': return /^Int32$/;
    case 'int64': return /^Int64$/;
    case 'double': return /^Float64$/;
    case 'string': return /^(Utf8|LargeUtf8)$/;
    case 'decimal': return new RegExp(`^Decimal\\[${col.logical.precision}e${col.logical.scale}\\]$`);
    case 'ts_us': return new RegExp(`^Timestamp<MICROSECOND${col.logical.utc ? `, ${tz}` : ''}>$`);
    case 'ts_ns': return new RegExp(`^Timestamp<NANOSECOND${col.logical.utc ? `, ${tz}` : ''}>$`);
  }
  return /^$/;
}

// Canonical values of one Arrow Data chunk, read from its buffers.
function chunkValues(kind, d) {
  const out = new Array(d.length);
  const bm = d.nullBitmap;
  for (let i = 0; i < d.length; i++) {
    const j = d.offset + i;
    if (d.nullCount > 0 && bm && bm.length > 0 && !((bm[j >> 3] >> (j & 7)) & 1)) { out[i] = null; continue; }
    switch (kind) {
      case 'bool': out[i] = ((d.values[j >> 3] >> (j & 7)) & 1) === 1; break;
      case 'int32': out[i] = String(d.values[j]); break;
      case 'int64': case 'ts_us': case 'ts_ns': out[i] = d.values[j].toString(); break;
      case 'double': out[i] = canonDouble(d.values[j]); break;
      case 'string': {
        const o = d.valueOffsets;
        out[i] = hex(d.values.subarray(Number(o[j]), Number(o[j + 1])));
        break;
      }
      case 'decimal': { // Decimal128: four little-endian 32-bit words, two's complement
        let v = 0n;
        for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(d.values[j * 4 + w]);
        if (v >= 1n << 127n) v -= 1n << 128n;
        out[i] = v.toString();
        break;
      }
    }
  }
  return out;
}

async function checkCase(c) {
  const f = c.name, exp = c.exp;
  const bytes = new Uint8Array(fs.readFileSync(c.file));

  // Footer as arrow-rs parses it.
  const pf = await ParquetFile.fromFile(new Blob([bytes]));
  const md = pf.metadata();
  const fm = md.fileMetadata();
  report.ok(f, 'created_by', new RegExp(exp.created_by_regex).test(fm.createdBy() ?? ''), `created_by ${JSON.stringify(fm.createdBy())} does not match`);
  report.eq(f, 'num_rows', String(exp.num_rows), String(fm.numRows()));
  report.eq(f, 'version', 1, Number(fm.version()));
  const kv = fm.keyValueMetadata();
  report.eq(f, 'kv count', exp.kv.length, kv.size);
  for (const { key, value } of exp.kv) report.eq(f, `kv ${JSON.stringify(key)}`, value, kv.get(key) ?? null);

  const nrg = md.numRowGroups();
  const rgRows = [];
  for (let g = 0; g < nrg; g++) rgRows.push(Number(md.rowGroup(g).numRows()));
  checkRowGroups(report, c, rgRows);
  for (let g = 0; g < nrg; g++) {
    const rg = md.rowGroup(g);
    report.eq(f, `row group ${g} columns`, exp.columns.length, rg.numColumns());
    exp.columns.forEach((col, i) => {
      if (i >= rg.numColumns()) return;
      const cc = rg.column(i), w = `row group ${g} column ${col.name}`;
      report.eq(f, `${w} path`, JSON.stringify([col.name]), JSON.stringify(cc.columnPath()));
      report.eq(f, `${w} codec`, exp.codec, Compression[cc.compression()] === 'UNCOMPRESSED' ? 'UNCOMPRESSED' : Compression[cc.compression()]);
      report.eq(f, `${w} num_values`, String(rgRows[g]), String(cc.numValues()));
      report.ok(f, `${w} sizes`, Number(cc.compressedSize()) > 0 && Number(cc.uncompressedSize()) > 0, 'chunk sizes must be positive');
      checkDictionary(report, f, w, col.dictionary, { encodings: cc.encodings().map(e => Encoding[e]) });
    });
  }

  // Values through Arrow.
  const table = tableFromIPC(readParquet(bytes).intoIPCStream());
  report.eq(f, 'arrow rows', exp.num_rows, table.numRows);
  report.eq(f, 'arrow fields', exp.columns.length, table.schema.fields.length);
  exp.columns.forEach((col, i) => {
    const field = table.schema.fields[i];
    if (!field) return;
    const w = `column ${col.name}`;
    report.eq(f, `${w} name`, col.name, field.name);
    report.eq(f, `${w} PARQUET:field_id`, String(col.field_id), field.metadata.get('PARQUET:field_id') ?? null);
    report.ok(f, `${w} arrow type`, expectedArrowType(col).test(String(field.type)), `arrow type ${String(field.type)}`);
    report.eq(f, `${w} nullable`, col.repetition === 'OPTIONAL', field.nullable);
    const got = [];
    for (const d of table.getChildAt(i).data) for (const v of chunkValues(col.kind, d)) got.push(v);
    report.column(f, col, got);
  });
  report.files++;
}

for (const c of loadCases(caseDir())) {
  try {
    await checkCase(c);
  } catch (e) {
    report.fail(c.name, 'read', `parquet-wasm error: ${e.message ?? e}`);
  }
}
process.exit(report.finish());
