/* Schemas: parsing the metadata JSON form, building new ones, and adding columns. */
#include "internal.h"

#include <stdlib.h>

const iceberg_field *iceberg_schema_find(const iceberg_schema *s, const char *name)
{
    size_t i;
    if (!s || !name) return NULL;
    for (i = 0; i < s->nfields; i++)
        if (strcmp(s->fields[i].name, name) == 0) return &s->fields[i];
    return NULL;
}

static int is_ascii_letter(uint32_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static int append_code_unit_hex(i2i_buf *out, uint32_t cp)
{
    /* Java (and icebird) escape per UTF-16 code unit: a character past U+FFFF is two escapes. */
    if (cp > 0xFFFF) {
        cp -= 0x10000;
        return i2i_buf_printf(out, "_x%X_x%X", (unsigned)(0xD800 + (cp >> 10)), (unsigned)(0xDC00 + (cp & 0x3FF)));
    }
    return i2i_buf_printf(out, "_x%X", (unsigned)cp);
}

/* PyIceberg and Java keep non-ASCII letters as they are (Unicode isalpha/isLetter); the Avro
 * grammar and icebird do not, and only the Avro grammar is the same in every reader, so that is
 * what we follow: non-ASCII characters are always escaped. ASCII names come out byte-identical to
 * both reference writers. */
int iceberg_parquet_column_name(const char *name, i2i_buf *out, i2i_error *err)
{
    size_t n = strlen(name), pos = 0;
    while (pos < n) {
        uint32_t cp;
        int first = pos == 0, rc;
        if (!i2i_utf8_next(name, n, &pos, &cp))
            return i2i_error_set(err, I2I_ERR_INVALID, "column name is not valid UTF-8 at byte %zu", pos);
        if (is_ascii_letter(cp) || cp == '_') {
            char c = (char)cp;
            rc = i2i_buf_append(out, &c, 1);
        } else if (cp >= '0' && cp <= '9') {
            char d[2] = {'_', (char)cp};
            rc = first ? i2i_buf_append(out, d, 2) : i2i_buf_append(out, d + 1, 1);
        } else {
            rc = append_code_unit_hex(out, cp);
        }
        if (rc < 0) return i2i_error_nomem(err, "column name");
    }
    if (n == 0) return i2i_error_set(err, I2I_ERR_INVALID, "empty column name");
    return I2I_OK;
}

int ice_schema_parse(const json_t *js, iceberg_schema *out, i2i_error *err)
{
    const json_t *fields, *f;
    size_t i;
    int64_t v;
    memset(out, 0, sizeof *out);
    if (!json_is_object(js)) return i2i_error_set(err, I2I_ERR_FORMAT, "schema is not an object");
    I2I_TRY(ice_json_int(js, "schema-id", 0, &v, "schema", err));
    out->schema_id = (int32_t)v;
    fields = json_object_get(js, "fields");
    if (!json_is_array(fields))
        return i2i_error_set(err, I2I_ERR_FORMAT, "schema %d: 'fields' is not a list", (int)v);
    out->nfields = json_array_size(fields);
    if (out->nfields) {
        out->fields = calloc(out->nfields, sizeof *out->fields);
        if (!out->fields) return i2i_error_nomem(err, "schema");
    }
    json_array_foreach(fields, i, f)
    {
        iceberg_field *fd = &out->fields[i];
        const json_t *type = json_object_get(f, "type");
        const json_t *req = json_object_get(f, "required");
        int64_t id;
        int rc = ice_json_req_int(f, "id", &id, "schema field", err);
        if (rc < 0) goto fail;
        fd->id = (int32_t)id;
        fd->name = ice_json_str(f, "name");
        if (!fd->name) {
            rc = i2i_error_set(err, I2I_ERR_FORMAT, "schema field %d has no name", fd->id);
            goto fail;
        }
        fd->required = json_is_true(req);
        if (json_is_string(type)) {
            if (iceberg_type_parse(json_string_value(type), &fd->type, NULL) < 0)
                fd->type.id = ICEBERG_TYPE_OTHER;
        } else if (json_is_object(type)) {
            fd->type.id = ICEBERG_TYPE_NESTED;
        } else {
            rc = i2i_error_set(err, I2I_ERR_FORMAT, "schema field '%s' has no type", fd->name);
            goto fail;
        }
        continue;
    fail:
        ice_schema_clear(out);
        return rc;
    }
    return I2I_OK;
}

void ice_schema_clear(iceberg_schema *s)
{
    if (!s) return;
    free(s->fields);
    memset(s, 0, sizeof *s);
}

json_t *ice_field_json(int32_t id, const char *name, int required, iceberg_type type)
{
    char tbuf[48];
    return json_pack("{s:i, s:s, s:b, s:s}", "id", (json_int_t)id, "name", name, "required",
                     required ? 1 : 0, "type", iceberg_type_format(type, tbuf, sizeof tbuf));
}

json_t *ice_schema_json_new(int32_t schema_id, const iceberg_column_def *cols, size_t n,
                            int32_t first_id)
{
    json_t *fields = json_array(), *s;
    size_t i;
    if (!fields) return NULL;
    for (i = 0; i < n; i++) {
        json_t *f = ice_field_json(first_id + (int32_t)i, cols[i].name, cols[i].required, cols[i].type);
        if (!f || json_array_append_new(fields, f) != 0) {
            json_decref(fields);
            return NULL;
        }
    }
    s = json_pack("{s:s, s:i, s:o}", "type", "struct", "schema-id", (json_int_t)schema_id, "fields",
                  fields);
    return s;
}

static int same_type(iceberg_type a, iceberg_type b)
{
    if (a.id != b.id) return 0;
    if (a.id == ICEBERG_TYPE_DECIMAL) return a.precision == b.precision && a.scale == b.scale;
    if (a.id == ICEBERG_TYPE_FIXED) return a.length == b.length;
    return 1;
}

int ice_schema_apply_change(json_t *md, const iceberg_schema *current, int format_version,
                            const iceberg_schema_change *ch, int *changed, i2i_error *err)
{
    const json_t *cur_js = NULL, *schemas = json_object_get(md, "schemas"), *s;
    json_t *ns = NULL, *fields;
    int64_t last_col = 0, max_schema_id = -1, sid;
    size_t i, j;
    int any = 0;
    char tbuf[48];

    *changed = 0;
    if (!json_is_array(schemas))
        return i2i_error_set(err, I2I_ERR_UNSUPPORTED, "table metadata has no 'schemas' list");
    json_array_foreach(schemas, i, s)
    {
        if (ice_json_int(s, "schema-id", 0, &sid, "schema", err) < 0) return err ? err->code : -1;
        if (sid > max_schema_id) max_schema_id = sid;
        if (sid == current->schema_id) cur_js = s;
    }
    if (!cur_js) return i2i_error_set(err, I2I_ERR_FORMAT, "current schema not found");
    I2I_TRY(ice_json_req_int(md, "last-column-id", &last_col, "table metadata", err));

    /* Validate first: nothing is modified on error. */
    for (i = 0; i < ch->nadd; i++) {
        const iceberg_column_def *c = &ch->add[i];
        const iceberg_field *f = iceberg_schema_find(current, c->name);
        if (!c->name || !*c->name) return i2i_error_set(err, I2I_ERR_INVALID, "empty column name");
        if (f) {
            if (!same_type(f->type, c->type)) {
                char t2[48];
                return i2i_error_set(err, I2I_ERR_INVALID,
                                     "column '%s' exists with type %s, cannot add it as %s", c->name,
                                     iceberg_type_format(f->type, tbuf, sizeof tbuf),
                                     iceberg_type_format(c->type, t2, sizeof t2));
            }
            continue;
        }
        if (c->type.id == ICEBERG_TYPE_NESTED || c->type.id == ICEBERG_TYPE_OTHER)
            return i2i_error_set(err, I2I_ERR_INVALID, "column '%s': type cannot be added", c->name);
        if (format_version < 3 && ice_type_v3_only(c->type))
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "column '%s': type %s needs format v3 (table is v%d)", c->name,
                                 iceberg_type_format(c->type, tbuf, sizeof tbuf), format_version);
        for (j = 0; j < i; j++)
            if (strcmp(ch->add[j].name, c->name) == 0)
                return i2i_error_set(err, I2I_ERR_INVALID, "column '%s' added twice", c->name);
        any = 1;
    }
    for (i = 0; i < ch->nmake_optional; i++) {
        const iceberg_field *f = iceberg_schema_find(current, ch->make_optional[i]);
        if (!f)
            return i2i_error_set(err, I2I_ERR_INVALID, "cannot make unknown column '%s' optional",
                                 ch->make_optional[i]);
        if (f->required) any = 1;
    }
    if (!any) return I2I_OK;

    ns = json_deep_copy(cur_js);
    if (!ns) return i2i_error_nomem(err, "schema");
    fields = json_object_get(ns, "fields");
    /* identifier fields must be required: drop relaxed ones from identifier-field-ids */
    for (i = 0; i < ch->nmake_optional; i++) {
        json_t *f;
        size_t k;
        json_array_foreach(fields, k, f)
        {
            if (strcmp(ice_json_str(f, "name") ? ice_json_str(f, "name") : "", ch->make_optional[i]) == 0) {
                json_t *ids = json_object_get(ns, "identifier-field-ids");
                int64_t fid = 0;
                json_object_set_new(f, "required", json_false());
                ice_json_int(f, "id", 0, &fid, "field", NULL);
                if (json_is_array(ids)) {
                    size_t m;
                    for (m = json_array_size(ids); m-- > 0;)
                        if (json_integer_value(json_array_get(ids, m)) == fid) json_array_remove(ids, m);
                }
            }
        }
    }
    for (i = 0; i < ch->nadd; i++) {
        const iceberg_column_def *c = &ch->add[i];
        json_t *f;
        if (iceberg_schema_find(current, c->name)) continue;
        f = ice_field_json((int32_t)++last_col, c->name, 0, c->type);
        if (!f || json_array_append_new(fields, f) != 0) {
            json_decref(ns);
            return i2i_error_nomem(err, "schema");
        }
    }
    if (json_object_set_new(ns, "schema-id", json_integer(max_schema_id + 1)) != 0 ||
        json_array_append_new((json_t *)schemas, ns) != 0)
        return i2i_error_nomem(err, "schema");
    I2I_TRY(ice_json_set(md, "current-schema-id", json_integer(max_schema_id + 1), err));
    I2I_TRY(ice_json_set(md, "last-column-id", json_integer(last_col), err));
    *changed = 1;
    return I2I_OK;
}
