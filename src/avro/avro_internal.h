/*
 * avro internals shared by the writer, the reader and the schema compiler. Not a public header:
 * other layers include only avro.h.
 */
#ifndef I2I_AVRO_INTERNAL_H
#define I2I_AVRO_INTERNAL_H

#include "avro.h"

#define AVRO_MAGIC "Obj\x01"
#define AVRO_MAGIC_LEN 4
#define AVRO_SYNC_LEN 16

/* Limits that keep a corrupt or hostile file from exhausting memory or the stack. */
#define AVRO_MAX_DEPTH 64                        /* nesting of records/arrays/maps/unions */
#define AVRO_MAX_ZERO_SIZE_ITEMS (1 << 20)       /* items of a type that takes no bytes */
#define AVRO_MAX_BLOCK_INFLATED (256u << 20)     /* decompressed size of one block */

/* ------------------------------------------------------------ compiled schema (schema.c) */

typedef enum avro_kind {
    AVRO_NULL,
    AVRO_BOOLEAN,
    AVRO_INT,
    AVRO_LONG,
    AVRO_FLOAT,
    AVRO_DOUBLE,
    AVRO_BYTES,
    AVRO_STRING,
    AVRO_RECORD,
    AVRO_ENUM,
    AVRO_ARRAY,
    AVRO_MAP,
    AVRO_UNION,
    AVRO_FIXED
} avro_kind;

typedef struct avro_node avro_node;
struct avro_node {
    avro_kind kind;
    const char *fullname;  /* named types (record, enum, fixed): namespace.name */
    size_t count;          /* record fields, union branches, enum symbols, fixed size */
    avro_node **child;     /* record field types, union branches; [0] = array items / map values */
    const char **label;    /* record field names, enum symbols */
    size_t min_size;       /* lower bound of the encoded size in bytes (0 = may take no bytes) */
    int state;             /* compiler bookkeeping */
};

/* A compiled schema: nodes live in the arena (named types may refer to themselves). */
typedef struct avro_schema {
    i2i_arena arena;
    avro_node *root;
} avro_schema;

/* Compile a parsed Avro schema. what names the source in error messages. */
int avro_schema_compile(const json_t *schema, const char *what, avro_schema *out, i2i_error *err);
void avro_schema_free(avro_schema *s);
const char *avro_kind_name(avro_kind k);

/* ------------------------------------------------------------ binary decoding (decode.c) */

typedef struct avro_decoder {
    const uint8_t *p, *end;
    const char *file;      /* for messages */
    int64_t block;         /* 1-based block number, 0 = header */
    int64_t record;        /* 1-based record number within the block */
    const char *path[AVRO_MAX_DEPTH + 1]; /* field names leading to the current value */
    int depth;
    i2i_error *err;
} avro_decoder;

/* Low-level reads; they fail with a message naming the file, block, record and field. */
int avro_read_long(avro_decoder *d, int64_t *out);
int avro_read_length(avro_decoder *d, const char *what, size_t *out); /* non-negative, fits */
int avro_decode_fail(avro_decoder *d, int code, const char *fmt, ...) I2I_PRINTF(3, 4);
/* Decode one datum of type n into a new jansson value. */
int avro_decode_value(avro_decoder *d, const avro_node *n, json_t **out);

/* ------------------------------------------------------------ raw deflate (codec.c) */

/* Compress src into out (appended) as a raw RFC 1951 stream. z is a z_stream* set up by
 * avro_deflate_init and reused for every block. */
int avro_deflate_init(void **z, i2i_error *err);
int avro_deflate_block(void *z, const uint8_t *src, size_t n, i2i_buf *out, i2i_error *err);
void avro_deflate_free(void *z);
/* Inflate a raw deflate stream into out (cleared first); *z is created on first use. file and
 * block name the block in error messages. */
int avro_inflate_block(void **z, const uint8_t *src, size_t n, i2i_buf *out, const char *file,
                       int64_t block, i2i_error *err);
void avro_inflate_free(void *z);

#endif /* I2I_AVRO_INTERNAL_H */
