// Copies reference cases with deliberately wrong expectations, to prove each checker fails when the
// data differs: one value per column changed (stats kept consistent), a field id and a kv value.
// Writes DST/expected_mismatches.txt: one extended regex per line that every checker's output
// must match.
//
//   node mutate.mjs REF_DIR DST_DIR
import fs from 'node:fs';
import path from 'node:path';
import { statsOf, compare } from './common.mjs';

const [src, dst] = process.argv.slice(2);
if (!src || !dst) { console.error('usage: node mutate.mjs REF_DIR DST_DIR'); process.exit(2); }
fs.mkdirSync(dst, { recursive: true });
const patterns = [];
const esc = s => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function load(name) {
  fs.copyFileSync(path.join(src, `${name}.parquet`), path.join(dst, `${name}.parquet`));
  return JSON.parse(fs.readFileSync(path.join(src, `${name}.expected.json`), 'utf8'));
}
function save(name, exp) {
  for (const c of exp.columns) c.stats = statsOf(c.kind, c.values);
  fs.writeFileSync(path.join(dst, `${name}.expected.json`), JSON.stringify(exp));
}

// A value in the middle of the file becomes another value of the same column that is neither the
// column's min nor its max, so the file-level statistics stay what they were.
const m = load('ref_matrix_zstd');
for (const col of m.columns) {
  if (col.kind === 'bool') { // both values stay present, so min/max stay false/true
    const r = col.values.findIndex((v, i) => i >= 1000 && v !== null);
    col.values[r] = !col.values[r];
    patterns.push(`MISMATCH ref_matrix_zstd\\.parquet column ${esc(col.name)} row ${r}:`);
    continue;
  }
  const st = statsOf(col.kind, col.values);
  const inner = v => v !== null && compare(col.kind, v, st.min) > 0 && compare(col.kind, v, st.max) < 0 &&
    !(col.kind === 'double' && v === 'NaN');
  const r = col.values.findIndex((v, i) => i >= 1000 && inner(v));
  const other = col.values.find(v => inner(v) && v !== col.values[r]);
  if (r < 0 || other === undefined) { console.error(`mutate: no mutable value in ${col.name}`); process.exit(2); }
  col.values[r] = other;
  patterns.push(`MISMATCH ref_matrix_zstd\\.parquet column ${esc(col.name)} row ${r}:`);
}
m.columns[0].field_id += 1;
patterns.push(`MISMATCH ref_matrix_zstd\\.parquet column ${esc(m.columns[0].name)} .*field_id`);
save('ref_matrix_zstd', m);

const k = load('ref_kv');
k.kv[1].value += '!';
patterns.push(`MISMATCH ref_kv\\.parquet kv "${esc(k.kv[1].key)}"`);
save('ref_kv', k);

fs.writeFileSync(path.join(dst, 'expected_mismatches.txt'), patterns.join('\n') + '\n');
console.log(`mutate: ${patterns.length} deliberate mismatches in ${dst}`);
