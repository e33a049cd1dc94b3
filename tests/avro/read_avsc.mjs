// Interop check: read the files avro_interop_write made with avsc (an independent JavaScript Avro
// implementation) and compare them with expected.json:
//   - header.meta['avro.schema'] is byte-for-byte the schema we wrote, and every field-id,
//     element-id, key-id, value-id and logicalType in it is where and what we wrote;
//   - every other header key has the value we wrote;
//   - every record decodes to the values we encoded (longs as BigInt, so ids above 2^53 compare
//     exactly).
// Fails on any mismatch, and when no record or no id was compared.
// usage: node read_avsc.mjs <dir>
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const interop = path.resolve(here, '../interop');
if (!fs.existsSync(path.join(interop, 'node_modules', 'avsc'))) {
  console.error(`FAIL: avsc is not installed in ${interop}/node_modules; run \`make deps\` ` +
    '(or `npm ci` in tests/interop)');
  process.exit(1);
}
const avro = createRequire(path.join(interop, 'package.json'))('avsc');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node read_avsc.mjs <dir>');
  process.exit(2);
}

// JSON.parse loses integers above 2^53: parse expected.json with integers as BigInt.
function parseJsonBig(text) {
  let i = 0;
  const ws = () => { while (/\s/.test(text[i])) i++; };
  function value() {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; const o = {}; ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws(); const k = value(); ws();
        if (text[i++] !== ':') throw new Error(`expected ':' at ${i}`);
        o[k] = value(); ws();
        const d = text[i++];
        if (d === '}') return o;
        if (d !== ',') throw new Error(`expected ',' at ${i}`);
      }
    }
    if (c === '[') {
      i++; const a = []; ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value()); ws();
        const d = text[i++];
        if (d === ']') return a;
        if (d !== ',') throw new Error(`expected ',' at ${i}`);
      }
    }
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1));
      i = j + 1;
      return s;
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?|^true|^false|^null/.exec(text.slice(i, i + 400));
    if (!m) throw new Error(`bad JSON at ${i}`);
    i += m[0].length;
    if (m[0] === 'true') return true;
    if (m[0] === 'false') return false;
    if (m[0] === 'null') return null;
    return m[1] || m[2] ? Number(m[0]) : BigInt(m[0]);
  }
  return value();
}

// Longs as BigInt (avsc's default long type refuses values beyond 2^53).
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});

const mismatches = [];
function same(actual, want, where) {
  const bad = (why) => mismatches.push(`${where}: ${why}`);
  if (want === null) { if (actual !== null) bad(`want null, got ${String(actual)}`); return; }
  if (typeof want === 'boolean') { if (actual !== want) bad(`want ${want}, got ${actual}`); return; }
  if (typeof want === 'bigint') {
    const ok = (typeof actual === 'bigint' && actual === want) ||
      (typeof actual === 'number' && Number.isInteger(actual) && BigInt(actual) === want);
    if (!ok) bad(`want ${want}, got ${String(actual)}`);
    return;
  }
  if (typeof want === 'number') {
    if (typeof actual !== 'number' || !Object.is(actual, want)) bad(`want ${want}, got ${String(actual)}`);
    return;
  }
  if (typeof want === 'string') {
    if (typeof actual === 'number') {
      const special = { NaN: Number.isNaN(actual), Infinity: actual === Infinity, '-Infinity': actual === -Infinity };
      if (!special[want]) bad(`want ${want}, got ${actual}`);
    } else if (actual !== want) bad(`want ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`);
    return;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(actual)) { bad('want an array'); return; }
    if (actual.length !== want.length) { bad(`want ${want.length} items, got ${actual.length}`); return; }
    want.forEach((w, k) => same(actual[k], w, `${where}[${k}]`));
    return;
  }
  const keys = Object.keys(want);
  if (keys.length === 1 && keys[0] === '$bytes') {
    if (!Buffer.isBuffer(actual)) bad('want bytes');
    else if (actual.toString('hex') !== want.$bytes) bad(`want ${want.$bytes}, got ${actual.toString('hex')}`);
    return;
  }
  if (actual === null || typeof actual !== 'object') { bad('want an object'); return; }
  const got = Object.keys(actual).sort();
  if (JSON.stringify(got) !== JSON.stringify([...keys].sort())) {
    bad(`want keys ${[...keys].sort()}, got ${got}`);
    return;
  }
  for (const k of keys) same(actual[k], want[k], `${where}.${k}`);
}

// The same walk as collect_ids() in interop_write.c, over the schema avsc gives us.
function collectIds(s, p, out) {
  if (Array.isArray(s)) { for (const b of s) collectIds(b, p, out); return; }
  if (s === null || typeof s !== 'object') return;
  for (const a of ['element-id', 'key-id', 'value-id', 'logicalType']) if (a in s) out.push([p, a, s[a]]);
  if (Array.isArray(s.fields)) {
    for (const f of s.fields) {
      const sub = p ? `${p}.${f.name}` : f.name;
      if ('field-id' in f) out.push([sub, 'field-id', f['field-id']]);
      collectIds(f.type, sub, out);
    }
  }
  if ('items' in s) collectIds(s.items, `${p}[]`, out);
  if ('values' in s) collectIds(s.values, `${p}{}`, out);
}

function decode(file) {
  return new Promise((resolve, reject) => {
    let header = null;
    const records = [];
    avro.createFileDecoder(file, { parseHook: (schema) => avro.Type.forSchema(schema, { registry: { long: bigLong } }) })
      .on('metadata', (type, codec, h) => { header = h; })
      .on('data', (r) => records.push(r))
      .on('error', reject)
      .on('end', () => resolve({ header, records }));
  });
}

const expected = parseJsonBig(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
let nrecords = 0;
let nids = 0;
for (const f of expected.files) {
  const { header, records } = await decode(path.join(dir, f.file));
  const text = header.meta['avro.schema'].toString('utf8');
  if (text !== f.schema) mismatches.push(`${f.file}: avro.schema differs from the schema written`);
  const ids = [];
  collectIds(JSON.parse(text), '', ids);
  const wantIds = f.ids.map(([p, a, v]) => [p, a, typeof v === 'bigint' ? Number(v) : v]);
  if (JSON.stringify(ids) !== JSON.stringify(wantIds)) {
    mismatches.push(`${f.file}: schema ids differ:\n got  ${JSON.stringify(ids)}\n want ${JSON.stringify(wantIds)}`);
  }
  nids += ids.filter(([, a]) => a === 'field-id').length;
  for (const [k, v] of Object.entries(f.meta)) {
    const got = header.meta[k] === undefined ? undefined : header.meta[k].toString('utf8');
    if (got !== v) mismatches.push(`${f.file}: header ${k}: want ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
  }
  if (records.length !== f.records.length) {
    mismatches.push(`${f.file}: want ${f.records.length} records, got ${records.length}`);
  }
  records.forEach((r, k) => { if (k < f.records.length) same(r, f.records[k], `${f.file} record ${k}`); });
  nrecords += Math.min(records.length, f.records.length);
  console.log(`${f.file}: ${records.length} records, ${ids.length} schema ids, codec ${header.meta['avro.codec']}`);
}
if (nrecords === 0 || nids === 0) mismatches.push(`nothing compared (${nrecords} records, ${nids} field ids)`);
if (mismatches.length) {
  console.error(`FAIL: ${mismatches.length} mismatches`);
  for (const m of mismatches.slice(0, 50)) console.error('  ' + m);
  process.exit(1);
}
console.log(`OK: avsc read ${nrecords} records and ${nids} field ids exactly as written`);
