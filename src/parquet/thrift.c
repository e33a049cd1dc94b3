/* Thrift compact protocol encoder: field headers, zigzag varints, binaries, lists, structs. */
#include "thrift.h"

void pq_thrift_init(pq_thrift *t, i2i_buf *out)
{
    t->out = out;
    t->depth = 0;
    t->status = I2I_OK;
}

static void put_byte(pq_thrift *t, uint8_t v)
{
    if (t->status == I2I_OK && i2i_buf_put_u8(t->out, v) != I2I_OK) t->status = I2I_ERR_NOMEM;
}

static void put_bytes(pq_thrift *t, const void *p, size_t n)
{
    if (t->status == I2I_OK && i2i_buf_append(t->out, p, n) != I2I_OK) t->status = I2I_ERR_NOMEM;
}

static void put_uvarint(pq_thrift *t, uint64_t v)
{
    if (t->status == I2I_OK && i2i_buf_put_uvarint(t->out, v) != I2I_OK) t->status = I2I_ERR_NOMEM;
}

/* i16/i32/i64 values are zigzag varints; zigzag64 of a sign-extended narrower value equals the
 * narrower zigzag, so one function serves all three. */
static void put_zigzag(pq_thrift *t, int64_t v) { put_uvarint(t, i2i_zigzag64(v)); }

static void field_header(pq_thrift *t, uint8_t type, int16_t id)
{
    int32_t delta;
    if (t->status != I2I_OK) return;
    if (t->depth <= 0) {
        t->status = I2I_ERR_INTERNAL;
        return;
    }
    delta = (int32_t)id - t->last_id[t->depth - 1];
    if (delta >= 1 && delta <= 15) {
        put_byte(t, (uint8_t)((delta << 4) | type));
    } else {
        put_byte(t, type);
        put_zigzag(t, id);
    }
    t->last_id[t->depth - 1] = id;
}

void pq_thrift_struct_begin(pq_thrift *t)
{
    if (t->status != I2I_OK) return;
    if (t->depth >= PQ_THRIFT_MAX_DEPTH) {
        t->status = I2I_ERR_INTERNAL;
        return;
    }
    t->last_id[t->depth++] = 0;
}

void pq_thrift_struct_end(pq_thrift *t)
{
    if (t->status != I2I_OK) return;
    if (t->depth <= 0) {
        t->status = I2I_ERR_INTERNAL;
        return;
    }
    put_byte(t, 0);
    t->depth--;
}

void pq_thrift_field_struct(pq_thrift *t, int16_t id)
{
    field_header(t, PQ_T_STRUCT, id);
    pq_thrift_struct_begin(t);
}

void pq_thrift_field_empty_struct(pq_thrift *t, int16_t id)
{
    field_header(t, PQ_T_STRUCT, id);
    put_byte(t, 0);
}

void pq_thrift_field_struct_raw(pq_thrift *t, int16_t id, const uint8_t *body, size_t n)
{
    field_header(t, PQ_T_STRUCT, id);
    put_bytes(t, body, n);
}

void pq_thrift_field_bool(pq_thrift *t, int16_t id, int v)
{
    field_header(t, v ? PQ_T_BOOL_TRUE : PQ_T_BOOL_FALSE, id);
}

void pq_thrift_field_i8(pq_thrift *t, int16_t id, int8_t v)
{
    field_header(t, PQ_T_I8, id);
    put_byte(t, (uint8_t)v);
}

void pq_thrift_field_i16(pq_thrift *t, int16_t id, int16_t v)
{
    field_header(t, PQ_T_I16, id);
    put_zigzag(t, v);
}

void pq_thrift_field_i32(pq_thrift *t, int16_t id, int32_t v)
{
    field_header(t, PQ_T_I32, id);
    put_zigzag(t, v);
}

void pq_thrift_field_i64(pq_thrift *t, int16_t id, int64_t v)
{
    field_header(t, PQ_T_I64, id);
    put_zigzag(t, v);
}

void pq_thrift_field_binary(pq_thrift *t, int16_t id, const void *p, size_t n)
{
    field_header(t, PQ_T_BINARY, id);
    pq_thrift_elem_binary(t, p, n);
}

void pq_thrift_field_string(pq_thrift *t, int16_t id, const char *s)
{
    pq_thrift_field_binary(t, id, s, strlen(s));
}

void pq_thrift_list_header(pq_thrift *t, uint8_t elem_type, uint32_t size)
{
    if (size < 15) {
        put_byte(t, (uint8_t)((size << 4) | elem_type));
    } else {
        put_byte(t, (uint8_t)(0xF0 | elem_type));
        put_uvarint(t, size);
    }
}

void pq_thrift_field_list(pq_thrift *t, int16_t id, uint8_t elem_type, uint32_t size)
{
    field_header(t, PQ_T_LIST, id);
    pq_thrift_list_header(t, elem_type, size);
}

void pq_thrift_elem_i32(pq_thrift *t, int32_t v) { put_zigzag(t, v); }
void pq_thrift_elem_i64(pq_thrift *t, int64_t v) { put_zigzag(t, v); }

void pq_thrift_elem_binary(pq_thrift *t, const void *p, size_t n)
{
    put_uvarint(t, n);
    if (n) put_bytes(t, p, n);
}

void pq_thrift_elem_string(pq_thrift *t, const char *s) { pq_thrift_elem_binary(t, s, strlen(s)); }

void pq_thrift_elem_bool(pq_thrift *t, int v) { put_byte(t, v ? 1 : 2); }
