/*
 * avro: Avro object container files written and read by hand, because Iceberg manifests need the
 * writer schema stored verbatim (field-id, element-id, logicalType map) and Avro C drops those.
 *
 * Writing: the caller encodes each record field by field with the avro_put_* primitives into the
 * record buffer (fields in writer-schema order), then ends the record. The file is built in
 * memory (manifests and manifest lists are small) and handed back as bytes for the storage layer.
 *
 * Reading: a generic decoder driven by the file's own writer schema turns records into jansson
 * values, good enough to read manifests and manifest lists written by Java Iceberg, PyIceberg and
 * ourselves:
 *   record -> object keyed by field name;  union -> the chosen branch's value (null -> json null);
 *   int/long -> integer;  float/double -> real (NaN/inf as strings "NaN", "Infinity", "-Infinity");
 *   boolean -> true/false;  string -> string;  bytes/fixed -> object {"$bytes": "<lower-case hex>"};
 *   array -> array;  map (string keys) -> object;  enum -> string symbol.
 * (Iceberg's int-keyed maps are Avro arrays of {key, value} records with logicalType "map"; they
 * come back as arrays of {"key": .., "value": ..} objects: logical types are not interpreted.)
 * Only the "null" and "deflate" codecs are read; other codecs fail at open (I2I_ERR_UNSUPPORTED).
 * Arrays, maps and the header's metadata map may use negative block counts with byte sizes.
 * Every error message starts with "avro file '<name>': " and names the block, the record and the
 * field path when it is about a value (e.g. "... block 3 truncated: it declares 812 bytes but
 * only 20 are left", "... block 1, record 2, field 'data_file.file_path': string is not valid
 * UTF-8"). A long whose varint needs more than 64 bits is an error (it is not a valid Avro long).
 *
 * Depends on util, jansson and zlib (raw deflate, as Java and PyIceberg write).
 */
#ifndef I2I_AVRO_H
#define I2I_AVRO_H

#include <jansson.h>

#include "../util/util.h"

typedef enum avro_codec { AVRO_CODEC_NULL = 0, AVRO_CODEC_DEFLATE = 1 } avro_codec;

/* ------------------------------------------------------------ encoding primitives (binary) */
static inline int avro_put_long(i2i_buf *b, int64_t v) { return i2i_buf_put_zigzag(b, v); }
static inline int avro_put_int(i2i_buf *b, int32_t v) { return i2i_buf_put_zigzag(b, v); }
static inline int avro_put_boolean(i2i_buf *b, int v) { return i2i_buf_put_u8(b, v ? 1 : 0); }
int avro_put_double(i2i_buf *b, double v);
int avro_put_float(i2i_buf *b, float v);
int avro_put_bytes(i2i_buf *b, const void *p, size_t n);
int avro_put_string(i2i_buf *b, const char *s); /* NUL-terminated */
int avro_put_stringn(i2i_buf *b, const char *s, size_t n);
/* Union branch index (e.g. 0 for "null" in ["null", T]). */
static inline int avro_put_union(i2i_buf *b, int branch) { return avro_put_long(b, branch); }
/* Arrays and maps: avro_put_long(count) then the items, then avro_put_long(0) to end; an empty
 * array/map is just avro_put_long(0). */

/* ------------------------------------------------------------ container writer */

typedef struct avro_meta {
    const char *key;
    const char *value; /* written as bytes, as Avro metadata values are */
} avro_meta;

typedef struct avro_writer avro_writer;

/* schema_json is stored verbatim under "avro.schema" (it must be valid JSON; it is checked).
 * "avro.codec" is added from codec. Extra metadata (Iceberg: schema, partition-spec,
 * partition-spec-id, format-version, content, snapshot-id, parent-snapshot-id, sequence-number)
 * is written in the given order. The schema must also be a valid Avro schema (it is compiled, so a
 * typo such as an unknown type name fails here); keys starting with "avro." and repeated keys are
 * refused (I2I_ERR_INVALID). */
int avro_writer_open(const char *schema_json, const avro_meta *meta, size_t nmeta, avro_codec codec,
                     avro_writer **out, i2i_error *err);
/* The buffer to encode the next record into (valid until the next call on the writer). Calling it
 * again before avro_writer_end_record discards the unfinished record's bytes (so a record whose
 * encoding failed half-way is simply not written); avro_writer_finish drops one as well. */
i2i_buf *avro_writer_record(avro_writer *w);
/* Mark the record in the buffer complete (blocks are cut at ~64 KiB / 4096 records). */
int avro_writer_end_record(avro_writer *w, i2i_error *err);
int64_t avro_writer_count(const avro_writer *w);
/* Finish and take the file bytes (caller frees with free()); the writer is freed. */
int avro_writer_finish(avro_writer *w, uint8_t **data, size_t *len, i2i_error *err);
void avro_writer_free(avro_writer *w); /* abandon; accepts NULL */

/* ------------------------------------------------------------ container reader */

typedef struct avro_reader avro_reader;

/* Parse the header of an in-memory file (the bytes must outlive the reader). name is used in
 * error messages (e.g. the manifest path). */
int avro_reader_open(const uint8_t *data, size_t len, const char *name, avro_reader **out,
                     i2i_error *err);
/* The writer schema as parsed JSON (owned by the reader) and as the raw header string. */
const json_t *avro_reader_schema(const avro_reader *r);
const char *avro_reader_schema_text(const avro_reader *r);
/* A metadata value by key (NUL-terminated copy owned by the reader), or NULL. */
const char *avro_reader_meta(const avro_reader *r, const char *key);
/* Next record: 1 and *record (new reference, caller json_decref) when there is one, 0 at end,
 * negative on error (truncated block, bad sync marker, unknown codec...). */
int avro_reader_next(avro_reader *r, json_t **record, i2i_error *err);
void avro_reader_free(avro_reader *r);

/* Helper for {"$bytes": hex} values: decode into out (cleared first). */
int avro_json_bytes(const json_t *v, i2i_buf *out, i2i_error *err);

#endif /* I2I_AVRO_H */
