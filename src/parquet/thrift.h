/*
 * Thrift compact protocol encoder (internal to the parquet layer).
 *
 * Writes onto an i2i_buf. Errors are sticky: every call is a no-op once one failed, and
 * pq_thrift_status() reports the first failure, so serialisers write a whole structure and check
 * once at the end. Field ids are encoded as deltas from the previous field of the same struct
 * (short form for 1..15, long form otherwise); each nested struct starts again from 0.
 *
 * Usage:
 *   pq_thrift_struct_begin(t);               top-level struct or list element (no field header)
 *   pq_thrift_field_i32(t, 1, 42);           scalar fields
 *   pq_thrift_field_struct(t, 5); ... pq_thrift_struct_end(t);
 *   pq_thrift_field_list(t, 2, PQ_T_STRUCT, n); then n elements (pq_thrift_elem_* or
 *   pq_thrift_struct_begin ... pq_thrift_struct_end)
 *   pq_thrift_struct_end(t);                 writes the stop byte
 */
#ifndef I2I_PARQUET_THRIFT_H
#define I2I_PARQUET_THRIFT_H

#include "../util/util.h"

/* Compact protocol type codes (field header nibble and list element type). */
enum {
    PQ_T_BOOL_TRUE = 1,
    PQ_T_BOOL_FALSE = 2,
    PQ_T_I8 = 3,
    PQ_T_I16 = 4,
    PQ_T_I32 = 5,
    PQ_T_I64 = 6,
    PQ_T_DOUBLE = 7,
    PQ_T_BINARY = 8,
    PQ_T_LIST = 9,
    PQ_T_SET = 10,
    PQ_T_MAP = 11,
    PQ_T_STRUCT = 12
};

#define PQ_THRIFT_MAX_DEPTH 16

typedef struct pq_thrift {
    i2i_buf *out;
    int depth;                          /* open structs */
    int16_t last_id[PQ_THRIFT_MAX_DEPTH]; /* previous field id per open struct */
    int status;                         /* I2I_OK or the first error */
} pq_thrift;

void pq_thrift_init(pq_thrift *t, i2i_buf *out);
static inline int pq_thrift_status(const pq_thrift *t) { return t->status; }

/* Structs. */
void pq_thrift_struct_begin(pq_thrift *t);
void pq_thrift_struct_end(pq_thrift *t);
void pq_thrift_field_struct(pq_thrift *t, int16_t id);
/* An empty struct field (union members such as StringType or TYPE_ORDER): header + stop. */
void pq_thrift_field_empty_struct(pq_thrift *t, int16_t id);
/* A struct field whose body (fields + stop) was serialised separately, starting from delta 0. */
void pq_thrift_field_struct_raw(pq_thrift *t, int16_t id, const uint8_t *body, size_t n);

/* Scalar fields. */
void pq_thrift_field_bool(pq_thrift *t, int16_t id, int v);
void pq_thrift_field_i8(pq_thrift *t, int16_t id, int8_t v);
void pq_thrift_field_i16(pq_thrift *t, int16_t id, int16_t v);
void pq_thrift_field_i32(pq_thrift *t, int16_t id, int32_t v);
void pq_thrift_field_i64(pq_thrift *t, int16_t id, int64_t v);
void pq_thrift_field_binary(pq_thrift *t, int16_t id, const void *p, size_t n);
void pq_thrift_field_string(pq_thrift *t, int16_t id, const char *s);

/* Lists: the field header and list header; then exactly `size` elements. */
void pq_thrift_field_list(pq_thrift *t, int16_t id, uint8_t elem_type, uint32_t size);
void pq_thrift_list_header(pq_thrift *t, uint8_t elem_type, uint32_t size);
void pq_thrift_elem_i32(pq_thrift *t, int32_t v);
void pq_thrift_elem_i64(pq_thrift *t, int64_t v);
void pq_thrift_elem_binary(pq_thrift *t, const void *p, size_t n);
void pq_thrift_elem_string(pq_thrift *t, const char *s);
/* list<bool> element: one byte, 1 = true, 2 = false (declare the list with PQ_T_BOOL_TRUE). */
void pq_thrift_elem_bool(pq_thrift *t, int v);

#endif /* I2I_PARQUET_THRIFT_H */
