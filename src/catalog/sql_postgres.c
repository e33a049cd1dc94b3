/* PostgreSQL driver for the SQL catalog (libpq). Accepts PyIceberg/SQLAlchemy URLs
 * ("postgresql+psycopg2://user:pass@host:port/db?sslmode=...") by dropping the "+driver" part and
 * handing the rest to libpq, which speaks the same URI syntax (percent-decoding included). The
 * password never reaches a message: it is registered as a secret, masked in the URI we show, and
 * scrubbed from libpq's own messages. */
#include "catalog_internal.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>

#define PG_MAX_SECRETS 4
#define PG_SETTLE_POLLS 100         /* x 100 ms: how long to wait for a dropped session to end */
#define PG_SETTLE_TERMINATE_AFTER 20 /* polls before asking the server to end it */
/* One outage (a restart, a failover, a dropped network path) is ridden out this long in all, with
 * reconnect attempts 100 ms apart at first, doubling to 1 s: a `pg_ctl restart` takes well under
 * a second, a failover some seconds. Longer, and the operation fails (TRANSIENT) and says so. */
#define PG_RECONNECT_BUDGET_MS 10000
#define PG_RECONNECT_FIRST_WAIT_MS 100
#define PG_RECONNECT_MAX_WAIT_MS 1000

typedef struct pg_conn {
    PGconn *pg;
    char *where; /* masked URI */
    char *secrets[PG_MAX_SECRETS];
    int nsecrets;
    int last_pid;          /* server process that ran the last statement we sent */
    int64_t down_since_ms; /* monotonic time the connection was found lost; 0 while it is up */
    const volatile int *cancel; /* the job's stop flag: ends reconnect and settle waits */
} pg_conn;

/* ---------------------------------------------------------------- URI helpers */

/* [start, end) of the authority's userinfo ("user:pass"), or 0 when there is none. */
static int uri_userinfo(const char *uri, const char **start, const char **end)
{
    const char *a = strstr(uri, "://"), *auth_end, *at = NULL, *p;
    if (!a) return 0;
    a += 3;
    auth_end = a + strcspn(a, "/?#");
    for (p = a; p < auth_end; p++)
        if (*p == '@') at = p; /* the last '@' ends the userinfo */
    if (!at) return 0;
    *start = a;
    *end = at;
    return 1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static char *percent_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t i, o = 0;
    if (!out) return NULL;
    for (i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            out[o++] =
                (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

char *sql_uri_password(const char *uri, int decoded)
{
    const char *s, *e, *colon;
    if (!uri || !uri_userinfo(uri, &s, &e)) return NULL;
    colon = memchr(s, ':', (size_t)(e - s));
    if (!colon) return NULL;
    colon++;
    return decoded ? percent_decode(colon, (size_t)(e - colon))
                   : i2i_strndup(colon, (size_t)(e - colon));
}

/* The value of a "password=" query parameter, raw, or NULL. */
static char *uri_query_password(const char *uri)
{
    const char *q = strchr(uri, '?'), *p;
    if (!q) return NULL;
    for (p = q + 1; *p;) {
        size_t n = strcspn(p, "&#");
        if (n > 9 && strncasecmp(p, "password=", 9) == 0) return i2i_strndup(p + 9, n - 9);
        p += n;
        if (*p != '&') break;
        p++;
    }
    return NULL;
}

char *sql_uri_masked(const char *uri)
{
    i2i_buf b = I2I_BUF_INIT;
    const char *s, *e, *colon, *q, *p;
    if (!uri) return NULL;
    if (uri_userinfo(uri, &s, &e) && (colon = memchr(s, ':', (size_t)(e - s))) != NULL) {
        i2i_buf_append(&b, uri, (size_t)(colon + 1 - uri));
        i2i_buf_append_str(&b, "***");
        p = e;
    } else {
        p = uri;
    }
    q = strchr(p, '?');
    if (!q) {
        i2i_buf_append_str(&b, p);
    } else {
        i2i_buf_append(&b, p, (size_t)(q + 1 - p));
        for (p = q + 1; *p;) {
            size_t n = strcspn(p, "&#");
            if (n >= 9 && strncasecmp(p, "password=", 9) == 0) {
                i2i_buf_append_str(&b, "password=***");
            } else {
                i2i_buf_append(&b, p, n);
            }
            p += n;
            if (*p == '&') {
                i2i_buf_append_str(&b, "&");
                p++;
            } else {
                i2i_buf_append_str(&b, p);
                break;
            }
        }
    }
    if (!i2i_buf_cstr(&b)) {
        i2i_buf_free(&b);
        return NULL;
    }
    return (char *)i2i_buf_detach(&b, NULL);
}

void sql_scrub(char *s, const char *secret)
{
    size_t n;
    char *hit;
    if (!s || !secret || (n = strlen(secret)) < 4) return;
    while ((hit = strstr(s, secret)) != NULL) {
        memcpy(hit, "***", 3);
        memmove(hit + 3, hit + n, strlen(hit + n) + 1);
    }
}

/* ---------------------------------------------------------------- errors */

static void pg_scrub_all(pg_conn *c, char *msg)
{
    int i;
    for (i = 0; i < c->nsecrets; i++) sql_scrub(msg, c->secrets[i]);
}

static int pg_fail(pg_conn *c, PGresult *r, const char *sql, i2i_error *err)
{
    char msg[1200];
    const char *m = r ? PQresultErrorMessage(r) : NULL;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    int code = I2I_ERR_IO;
    size_t n;

    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (primary) {
        /* "ERROR: <primary>[ DETAIL: ...][ HINT: ...]", without the multi-line caret display */
        const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY);
        const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
        const char *hint = PQresultErrorField(r, PG_DIAG_MESSAGE_HINT);
        snprintf(msg, sizeof msg, "%s: %s%s%s%s%s", sev ? sev : "ERROR", primary,
                 detail ? " DETAIL: " : "", detail ? detail : "", hint ? " HINT: " : "",
                 hint ? hint : "");
    } else {
        if (!m || !*m) m = PQerrorMessage(c->pg);
        snprintf(msg, sizeof msg, "%s", m && *m ? m : "unknown error");
    }
    for (n = strlen(msg); n > 0 && isspace((unsigned char)msg[n - 1]); n--) msg[n - 1] = '\0';
    for (n = 0; msg[n]; n++)
        if (msg[n] == '\n' || msg[n] == '\t') msg[n] = ' ';
    pg_scrub_all(c, msg);
    if (PQstatus(c->pg) != CONNECTION_OK)
        code = I2I_ERR_TRANSIENT;
    else if (state && strcmp(state, "23505") == 0)
        code = I2I_ERR_EXISTS;
    else if (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
                       strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                       strcmp(state, "55P03") == 0))
        code = I2I_ERR_TRANSIENT;
    else if (state && strncmp(state, "28", 2) == 0)
        code = I2I_ERR_AUTH;
    return i2i_error_set(err, code, "PostgreSQL %s: statement \"%s\" failed: %s%s%s%s", c->where,
                         sql, msg, state ? " (SQLSTATE " : "", state ? state : "",
                         state ? ")" : "");
}

static int64_t mono_ms(void) { return i2i_monotonic_ns() / I2I_NS_PER_MS; }

/* Re-establish a lost connection. The first call of an outage retries with backoff for up to
 * PG_RECONNECT_BUDGET_MS; later calls of the same outage (the caller's own retries, a settle after
 * a failed statement) try once each, so waits never add up past the budget. A success ends the
 * outage. */
static int pg_reconnect(pg_conn *c, const char *sql, i2i_error *err)
{
    int64_t wait = PG_RECONNECT_FIRST_WAIT_MS, start = mono_ms(), left;
    if (c->down_since_ms == 0) {
        c->down_since_ms = start > 0 ? start : 1;
        I2I_WARN("PostgreSQL %s: connection lost; reconnecting (for up to %d s)", c->where,
                 PG_RECONNECT_BUDGET_MS / 1000);
    }
    for (;;) {
        PQreset(c->pg);
        if (PQstatus(c->pg) == CONNECTION_OK) {
            I2I_INFO("PostgreSQL %s: reconnected after %.1f s", c->where,
                     (double)(mono_ms() - c->down_since_ms) / 1000.0);
            c->down_since_ms = 0;
            return I2I_OK;
        }
        left = c->down_since_ms + PG_RECONNECT_BUDGET_MS - mono_ms();
        if (left <= 0) break;
        if (i2i_sleep_cancellable(wait < left ? wait : left, c->cancel, "", err) < 0)
            return i2i_error_set(err, I2I_ERR_CANCELLED,
                                 "PostgreSQL %s: stopped on request while reconnecting (the "
                                 "connection was lost %.1f s ago)",
                                 c->where, (double)(mono_ms() - c->down_since_ms) / 1000.0);
        if (wait < PG_RECONNECT_MAX_WAIT_MS) wait *= 2;
        if (wait > PG_RECONNECT_MAX_WAIT_MS) wait = PG_RECONNECT_MAX_WAIT_MS;
    }
    pg_fail(c, NULL, sql, err);
    return i2i_error_wrap(err, "the connection was lost %.0f s ago and reconnecting failed",
                          (double)(mono_ms() - c->down_since_ms) / 1000.0);
}

/* Reconnect before a statement when an earlier failure dropped the connection (never inside a
 * transaction: the SQL logic settles a failed transaction before issuing anything else). */
static int pg_ready(pg_conn *c, const char *sql, i2i_error *err)
{
    if (PQstatus(c->pg) == CONNECTION_OK) return I2I_OK;
    return pg_reconnect(c, sql, err);
}

/* Whether a statement whose connection was lost under it may be sent again on a new one: it was
 * sent outside a transaction (nothing of ours was pending on the lost session) and it changes
 * nothing (SELECT) or only opens a transaction (BEGIN). Anything else (UPDATE, INSERT, COMMIT)
 * may have happened: the SQL logic settles the session and reads the row instead. */
static int pg_repeatable(const char *sql, int sent_idle)
{
    return sent_idle && (strncasecmp(sql, "SELECT ", 7) == 0 || strcasecmp(sql, "BEGIN") == 0);
}

/* Run one statement; *out is its result (PQclear it) when it succeeded with `want` (or either
 * success status when want is PGRES_COMMAND_OK), else err is set. A connection known lost is
 * re-established first; one lost under a repeatable statement (a server restart between two
 * commits) is re-established and the statement sent again, once. */
static int pg_run(pg_conn *c, const char *sql, int nparams, const char *const *params,
                  ExecStatusType want, PGresult **out, i2i_error *err)
{
    int attempt;
    *out = NULL;
    for (attempt = 0;; attempt++) {
        PGresult *r;
        ExecStatusType st;
        int idle, rc;
        I2I_TRY(pg_ready(c, sql, err));
        idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
        c->last_pid = PQbackendPID(c->pg);
        r = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
        st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == want || (want == PGRES_COMMAND_OK && st == PGRES_TUPLES_OK)) {
            *out = r;
            return I2I_OK;
        }
        if (attempt == 0 && PQstatus(c->pg) != CONNECTION_OK && pg_repeatable(sql, idle)) {
            PQclear(r);
            continue;
        }
        rc = pg_fail(c, r, sql, err);
        PQclear(r);
        return rc;
    }
}

/* ---------------------------------------------------------------- driver */

static int pg_exec(void *conn, const char *sql, int nparams, const char *const *params,
                   int64_t *affected, i2i_error *err)
{
    pg_conn *c = conn;
    PGresult *r;
    I2I_TRY(pg_run(c, sql, nparams, params, PGRES_COMMAND_OK, &r, err));
    if (affected) {
        const char *t = PQcmdTuples(r);
        *affected = (t && *t) ? strtoll(t, NULL, 10) : 0;
    }
    PQclear(r);
    return I2I_OK;
}

static int pg_query_row(void *conn, const char *sql, int nparams, const char *const *params,
                        int ncols, char **cols, i2i_error *err)
{
    pg_conn *c = conn;
    PGresult *r;
    int i;
    for (i = 0; i < ncols; i++) cols[i] = NULL;
    I2I_TRY(pg_run(c, sql, nparams, params, PGRES_TUPLES_OK, &r, err));
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    if (PQnfields(r) < ncols) {
        PQclear(r);
        return i2i_error_set(err, I2I_ERR_INTERNAL, "PostgreSQL %s: statement \"%s\" returned %d "
                             "columns, expected %d", c->where, sql, PQnfields(r), ncols);
    }
    for (i = 0; i < ncols; i++) {
        if (PQgetisnull(r, 0, i)) continue;
        cols[i] = i2i_strdup(PQgetvalue(r, 0, i));
        if (!cols[i]) {
            int j;
            for (j = 0; j < i; j++) {
                free(cols[j]);
                cols[j] = NULL;
            }
            PQclear(r);
            return i2i_error_nomem(err, "reading a row");
        }
    }
    PQclear(r);
    return 1;
}

static int pg_lost(void *conn) { return PQstatus(((pg_conn *)conn)->pg) != CONNECTION_OK; }

static int pg_settle(void *conn, i2i_error *err)
{
    pg_conn *c = conn;
    char pid[16];
    const char *params[1];
    int i, old_pid = c->last_pid;

    if (PQstatus(c->pg) == CONNECTION_OK) {
        /* Also a probe: libpq may not have noticed yet that the connection is gone. On an idle
         * session ROLLBACK only draws a warning. */
        PQclear(PQexec(c->pg, "ROLLBACK"));
        /* Still the same session: whatever it did is decided now. */
        if (PQstatus(c->pg) == CONNECTION_OK) return 1;
    }
    I2I_TRY(pg_reconnect(c, "(reconnect)", err));
    if (old_pid == 0) return 0;
    /* The old server process may still be running our transaction (it has not noticed the
     * disconnect yet). Once it is gone, its transaction is committed or rolled back for good. */
    snprintf(pid, sizeof pid, "%d", old_pid);
    params[0] = pid;
    for (i = 0; i < PG_SETTLE_POLLS; i++) {
        char *col = NULL;
        int rc = pg_query_row(c,
                              "SELECT 1 FROM pg_stat_activity WHERE pid = $1::int AND pid <> "
                              "pg_backend_pid()",
                              1, params, 1, &col, err);
        free(col);
        if (rc < 0) return rc;
        if (rc == 0) return 1;
        if (i == PG_SETTLE_TERMINATE_AFTER)
            PQclear(PQexecParams(c->pg, "SELECT pg_terminate_backend($1::int)", 1, NULL, params,
                                 NULL, NULL, 0));
        if (i2i_sleep_cancellable(100, c->cancel, "", err) < 0)
            return i2i_error_set(err, I2I_ERR_CANCELLED,
                                 "PostgreSQL %s: stopped on request while waiting for the old "
                                 "session to end",
                                 c->where);
    }
    return 0;
}

static void pg_break(void *conn)
{
    pg_conn *c = conn;
    int fd = PQsocket(c->pg);
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
}

static const char *pg_describe(void *conn) { return ((pg_conn *)conn)->where; }

static void pg_close(void *conn)
{
    pg_conn *c = conn;
    int i;
    if (!c) return;
    if (c->pg) PQfinish(c->pg);
    for (i = 0; i < c->nsecrets; i++) free(c->secrets[i]);
    free(c->where);
    free(c);
}

static void pg_notice(void *arg, const char *message)
{
    pg_conn *c = arg;
    char msg[1024];
    size_t n;
    snprintf(msg, sizeof msg, "%s", message);
    for (n = strlen(msg); n > 0 && isspace((unsigned char)msg[n - 1]); n--) msg[n - 1] = '\0';
    pg_scrub_all(c, msg);
    I2I_DEBUG("PostgreSQL %s: %s", c->where, msg);
}

static void pg_set_cancel(void *conn, const volatile int *cancel)
{
    pg_conn *c = conn;
    c->cancel = cancel;
}

static const sql_driver pg_driver = {
    .dialect = "postgresql",
    .begin_sql = "BEGIN",
    .exec = pg_exec,
    .query_row = pg_query_row,
    .lost = pg_lost,
    .settle = pg_settle,
    .break_connection = pg_break,
    .describe = pg_describe,
    .close = pg_close,
    .set_cancel = pg_set_cancel,
};

static void add_secret(pg_conn *c, char *s)
{
    if (!s) return;
    if (!*s || c->nsecrets == PG_MAX_SECRETS) {
        free(s);
        return;
    }
    i2i_log_add_secret(s);
    c->secrets[c->nsecrets++] = s;
}

int sql_postgres_connect(const char *uri, const sql_driver **drv, void **conn, i2i_error *err)
{
    pg_conn *c;
    char *libpq_uri;
    const char *sep = strstr(uri, "://");
    const char *kw[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "application_name", "dbname", NULL};
    const char *val[8];

    *conn = NULL;
    *drv = &pg_driver;
    if (!sep || !(strncasecmp(uri, "postgresql", 10) == 0 || strncasecmp(uri, "postgres:", 9) == 0))
        return i2i_error_set(err, I2I_ERR_INVALID, "catalog: not a PostgreSQL URI");
    c = calloc(1, sizeof *c);
    if (!c) return i2i_error_nomem(err, "connecting to PostgreSQL");
    /* Secrets first, so nothing below can leak them. */
    add_secret(c, sql_uri_password(uri, 0));
    add_secret(c, sql_uri_password(uri, 1));
    add_secret(c, uri_query_password(uri));
    c->where = sql_uri_masked(uri);
    libpq_uri = cat_printf("postgresql%s", sep); /* drop "+psycopg2" and friends */
    if (!c->where || !libpq_uri) {
        free(libpq_uri);
        pg_close(c);
        return i2i_error_nomem(err, "connecting to PostgreSQL");
    }
    /* Defaults first: the URI's own parameters (expanded at "dbname") override them. */
    val[0] = "10";
    val[1] = "1";
    val[2] = "30";
    val[3] = "10";
    val[4] = "3";
    val[5] = "influx2iceberg";
    val[6] = libpq_uri;
    val[7] = NULL;
    c->pg = PQconnectdbParams(kw, val, 1);
    free(libpq_uri);
    if (!c->pg) {
        pg_close(c);
        return i2i_error_nomem(err, "connecting to PostgreSQL");
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        char msg[1200];
        size_t n;
        int code = I2I_ERR_IO;
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c->pg));
        for (n = strlen(msg); n > 0 && isspace((unsigned char)msg[n - 1]); n--) msg[n - 1] = '\0';
        for (n = 0; msg[n]; n++)
            if (msg[n] == '\n' || msg[n] == '\t') msg[n] = ' ';
        pg_scrub_all(c, msg);
        if (strstr(msg, "authentication failed")) code = I2I_ERR_AUTH;
        i2i_error_set(err, code, "PostgreSQL %s: connect failed: %s", c->where, msg);
        pg_close(c);
        return code;
    }
    PQsetNoticeProcessor(c->pg, pg_notice, c);
    *conn = c;
    return I2I_OK;
}
