/* Text around requests: the server's message in an error body, URL redaction, query escaping,
 * and the bounded collecting sink. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "http_internal.h"

/* ---------------------------------------------------------------- server messages */

/* The message inside a JSON error body, malloc'd, or NULL: "error" (a string, with "data" when
 * there is one: InfluxDB), "message", or "error": {"message": ...} (Iceberg REST). */
static char *json_error_text(const char *text, size_t n)
{
    json_t *j = json_loadb(text, n, 0, NULL), *e;
    char *owned = NULL;
    if (!j) return NULL;
    e = json_object_get(j, "error");
    if (json_is_string(e)) {
        json_t *data = json_object_get(j, "data");
        if (data) {
            char *d = json_dumps(data, JSON_COMPACT);
            i2i_buf tmp = I2I_BUF_INIT;
            if (d && i2i_buf_printf(&tmp, "%s: %s", json_string_value(e), d) == I2I_OK)
                owned = i2i_buf_cstr(&tmp);
            else
                i2i_buf_free(&tmp);
            free(d);
        } else {
            owned = i2i_strdup(json_string_value(e));
        }
    } else if (json_is_string(json_object_get(j, "message"))) {
        owned = i2i_strdup(json_string_value(json_object_get(j, "message")));
    } else if (json_is_string(json_object_get(e, "message"))) {
        owned = i2i_strdup(json_string_value(json_object_get(e, "message")));
    }
    json_decref(j);
    return owned;
}

void http_server_message(const i2i_buf *body, size_t total, char *out, size_t outsz)
{
    const char *text = body->data ? (const char *)body->data : "";
    size_t n = body->len, o = 0, i;
    char *owned = NULL;
    int cut;
    if (n > 0 && text[0] == '{' && (owned = json_error_text(text, n)) != NULL) {
        text = owned;
        n = total = strlen(owned);
    }
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ')) n--;
    for (i = 0; i < n && o + 1 < outsz && o < HTTP_SERVER_MSG_MAX; i++) {
        unsigned char ch = (unsigned char)text[i];
        out[o++] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    cut = i < n || (!owned && total > body->len);
    if (cut) {
        /* Back off to a UTF-8 boundary and say how long the whole thing was. */
        while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) o--;
        if (o > 0 && (unsigned char)out[o - 1] >= 0xC0) o--;
        if (o + 40 < outsz) {
            int k = snprintf(out + o, outsz - o, "... (%zu bytes)", !owned && total > n ? total : n);
            if (k > 0) o += (size_t)k;
        }
    }
    if (o >= outsz) o = outsz - 1;
    out[o] = '\0';
    if (o == 0) snprintf(out, outsz, "(empty body)");
    free(owned);
}

/* ---------------------------------------------------------------- URLs */

/* Query parameter names whose values are credentials (AWS presigned URLs, API keys, tokens). */
static int secret_param(const char *name, size_t n)
{
    static const char *const marks[] = {"token", "key", "secret", "password", "passwd",
                                        "signature", "credential", "auth", "sig"};
    size_t i, k;
    for (i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        size_t ml = strlen(marks[i]);
        for (k = 0; k + ml <= n; k++)
            if (strncasecmp(name + k, marks[i], ml) == 0) return 1;
    }
    return 0;
}

int http_redact_url(const char *url, i2i_buf *out)
{
    const char *p = url ? url : "", *scheme_end = strstr(p, "://"), *auth, *auth_end, *at, *q;
    if (!scheme_end) return i2i_buf_append_str(out, p);
    auth = scheme_end + 3;
    auth_end = auth + strcspn(auth, "/?#");
    /* userinfo: keep the user, mask the password */
    at = memchr(auth, '@', (size_t)(auth_end - auth));
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        I2I_TRY(i2i_buf_append(out, p, (size_t)((colon ? colon : at) - p)));
        if (colon) I2I_TRY(i2i_buf_append_str(out, ":***"));
        p = at;
    }
    q = strchr(p, '?');
    if (!q) return i2i_buf_append_str(out, p);
    I2I_TRY(i2i_buf_append(out, p, (size_t)(q + 1 - p)));
    for (p = q + 1; *p && *p != '#';) {
        size_t len = strcspn(p, "&#"), nl = strcspn(p, "=&#");
        if (nl < len && secret_param(p, nl)) {
            I2I_TRY(i2i_buf_append(out, p, nl + 1));
            I2I_TRY(i2i_buf_append_str(out, "***"));
        } else {
            I2I_TRY(i2i_buf_append(out, p, len));
        }
        p += len;
        if (*p == '&') {
            I2I_TRY(i2i_buf_put_u8(out, '&'));
            p++;
        }
    }
    return i2i_buf_append_str(out, p);
}

int http_escape(i2i_buf *out, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~' || (keep_slash && ch == '/')) {
            I2I_TRY(i2i_buf_put_u8(out, ch));
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            I2I_TRY(i2i_buf_append(out, e, 3));
        }
    }
    return I2I_OK;
}

/* ---------------------------------------------------------------- collecting sink */

static int collect_data(void *ctx, const char *data, size_t n, i2i_error *err)
{
    http_collect *c = ctx;
    if (c->out->len + n > c->max)
        return i2i_error_set(err, I2I_ERR_RANGE, "response larger than %zu MiB", c->max >> 20);
    if (i2i_buf_append(c->out, data, n) != I2I_OK) return i2i_error_nomem(err, "receiving a response");
    return I2I_OK;
}

static void collect_mark(void *ctx)
{
    http_collect *c = ctx;
    i2i_buf_reset(c->out);
}

static int collect_rollback(void *ctx)
{
    collect_mark(ctx);
    return 0;
}

void http_collect_sink(http_collect *c, i2i_buf *out, size_t max, http_sink *sink)
{
    c->out = out;
    c->max = max;
    memset(sink, 0, sizeof *sink);
    sink->data = collect_data;
    sink->mark = collect_mark;
    sink->rollback = collect_rollback;
    sink->ctx = c;
}
