/*
 * util: the bottom layer every other layer builds on.
 *
 *   - status codes and an error value that carries a readable message;
 *   - I2I_TRY-style check macros (return early, optionally jump to cleanup);
 *   - i2i_buf, the one growable byte buffer used for all encoding;
 *   - i2i_arena, bump allocation for strings that live as long as a batch;
 *   - a logger with levels and a redaction step for secrets;
 *   - time helpers (ISO 8601 parsing and formatting, durations).
 *
 * Conventions: a fallible function returns int (0 = I2I_OK, negative = an i2i_status) and takes
 * `i2i_error *err` last. `err` may be NULL. The message is built once, where the context is known;
 * callers add context with i2i_error_wrap, never by overwriting.
 */
#ifndef I2I_UTIL_H
#define I2I_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define I2I_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define I2I_LIKELY(x) __builtin_expect(!!(x), 1)
#define I2I_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define I2I_PRINTF(a, b)
#define I2I_LIKELY(x) (x)
#define I2I_UNLIKELY(x) (x)
#endif

/* ---------------------------------------------------------------- status + error */

typedef enum i2i_status {
    I2I_OK = 0,
    I2I_ERR_NOMEM = -1,       /* allocation failed */
    I2I_ERR_INVALID = -2,     /* bad argument, option or input value */
    I2I_ERR_IO = -3,          /* file or socket I/O failed */
    I2I_ERR_FORMAT = -4,      /* malformed data read from outside */
    I2I_ERR_NOT_FOUND = -5,   /* table, file, key... does not exist */
    I2I_ERR_CONFLICT = -6,    /* lost a compare-and-swap (commit race); retryable */
    I2I_ERR_HTTP = -7,        /* remote answered with an error status */
    I2I_ERR_UNSUPPORTED = -8, /* valid but not implemented / not allowed */
    I2I_ERR_RANGE = -9,       /* value outside the representable range */
    I2I_ERR_UNKNOWN = -10,    /* outcome unknown (timeout after sending a commit) */
    I2I_ERR_AUTH = -11,       /* authentication or authorization refused */
    I2I_ERR_EXISTS = -12,     /* create-if-absent found something */
    I2I_ERR_INTERNAL = -13,   /* a bug: an invariant did not hold */
    I2I_ERR_CANCELLED = -14,  /* stopped on request */
    I2I_ERR_TRANSIENT = -15   /* temporary failure (5xx, connection reset); retryable */
} i2i_status;

#define I2I_ERROR_MSG_MAX 2048

typedef struct i2i_error {
    int code;                      /* an i2i_status */
    char msg[I2I_ERROR_MSG_MAX];   /* human readable, never contains secrets */
} i2i_error;

/* Set code and message; returns code so callers can `return i2i_error_set(...)`. err may be NULL. */
int i2i_error_set(i2i_error *err, int code, const char *fmt, ...) I2I_PRINTF(3, 4);
/* Prefix context to an existing message ("ctx: old"); keeps the code; returns the code. */
int i2i_error_wrap(i2i_error *err, const char *fmt, ...) I2I_PRINTF(2, 3);
void i2i_error_clear(i2i_error *err);
/* Short stable name of a status ("nomem", "invalid", ...). */
const char *i2i_status_name(int code);
/* Convenience for the common allocation failure. */
int i2i_error_nomem(i2i_error *err, const char *what);

/* Whether an operation that failed with `code` may succeed when tried again, so every retry loop
 * (HTTP requests, catalog commits) decides alike: TRANSIENT (temporary failure, nothing applied),
 * CONFLICT (lost a compare-and-swap: reload, re-apply) and UNKNOWN (outcome unknown: look for
 * the change before trying again). Everything else needs a person to act. */
int i2i_status_retryable(int code);

/* Return early when expr fails; expr's error (if any) is already in err. */
#define I2I_TRY(expr)                                                                              \
    do {                                                                                           \
        int i2i_try_rc_ = (expr);                                                                  \
        if (I2I_UNLIKELY(i2i_try_rc_ < 0)) return i2i_try_rc_;                                     \
    } while (0)

/* Store the status in rc and jump to a cleanup label when expr fails. */
#define I2I_TRY_GOTO(expr, rc, label)                                                              \
    do {                                                                                           \
        (rc) = (expr);                                                                             \
        if (I2I_UNLIKELY((rc) < 0)) goto label;                                                    \
    } while (0)

/* ---------------------------------------------------------------- byte buffer */

/* A growable byte buffer. Zero-initialised is a valid empty buffer. data is NULL until used. */
typedef struct i2i_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} i2i_buf;

#define I2I_BUF_INIT {NULL, 0, 0}

void i2i_buf_init(i2i_buf *b);
void i2i_buf_free(i2i_buf *b);
/* Ensure room for `extra` more bytes; I2I_OK or I2I_ERR_NOMEM. Grows geometrically. */
int i2i_buf_grow(i2i_buf *b, size_t extra);
static inline int i2i_buf_reserve(i2i_buf *b, size_t extra)
{
    if (I2I_LIKELY(b->cap - b->len >= extra)) return I2I_OK;
    return i2i_buf_grow(b, extra);
}
static inline void i2i_buf_reset(i2i_buf *b) { b->len = 0; }
int i2i_buf_append(i2i_buf *b, const void *p, size_t n);
int i2i_buf_append_str(i2i_buf *b, const char *s);
int i2i_buf_printf(i2i_buf *b, const char *fmt, ...) I2I_PRINTF(2, 3);
int i2i_buf_vprintf(i2i_buf *b, const char *fmt, va_list ap);
/* NUL-terminate without counting the NUL in len; returns data as char* (never NULL on success). */
char *i2i_buf_cstr(i2i_buf *b);
/* Hand the storage to the caller (who frees it with free()); the buffer becomes empty. */
uint8_t *i2i_buf_detach(i2i_buf *b, size_t *len);

/* Unchecked appends for hot paths: the caller reserved room first. */
static inline void i2i_buf_put_u8_unchecked(i2i_buf *b, uint8_t v) { b->data[b->len++] = v; }
static inline void i2i_buf_put_unchecked(i2i_buf *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline int i2i_buf_put_u8(i2i_buf *b, uint8_t v)
{
    if (I2I_UNLIKELY(i2i_buf_reserve(b, 1) != I2I_OK)) return I2I_ERR_NOMEM;
    b->data[b->len++] = v;
    return I2I_OK;
}
int i2i_buf_put_le32(i2i_buf *b, uint32_t v);
int i2i_buf_put_le64(i2i_buf *b, uint64_t v);
int i2i_buf_put_be32(i2i_buf *b, uint32_t v);
int i2i_buf_put_be64(i2i_buf *b, uint64_t v);
/* Unsigned LEB128 varint (thrift, avro, parquet RLE headers). */
int i2i_buf_put_uvarint(i2i_buf *b, uint64_t v);
/* Zigzag then varint (thrift i16/i32/i64, avro int/long). */
int i2i_buf_put_zigzag(i2i_buf *b, int64_t v);

static inline uint64_t i2i_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t i2i_unzigzag64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static inline void i2i_store_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void i2i_store_le64(uint8_t *p, uint64_t v)
{
    i2i_store_le32(p, (uint32_t)v);
    i2i_store_le32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t i2i_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t i2i_load_le64(const uint8_t *p)
{
    return (uint64_t)i2i_load_le32(p) | ((uint64_t)i2i_load_le32(p + 4) << 32);
}

/* Read an unsigned varint from [*p, end); advances *p. Returns I2I_OK or I2I_ERR_FORMAT. */
int i2i_read_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out);

/* ---------------------------------------------------------------- arena */

/* Bump allocator for many small allocations freed together (strings of one batch, parsed
 * metadata). Blocks are chained; reset keeps the first block for reuse. */
typedef struct i2i_arena_block i2i_arena_block;
typedef struct i2i_arena {
    i2i_arena_block *head;
    size_t block_size; /* default size of new blocks */
    size_t used_total; /* bytes handed out since the last reset */
} i2i_arena;

void i2i_arena_init(i2i_arena *a, size_t block_size); /* 0 = default (64 KiB) */
void i2i_arena_free(i2i_arena *a);
void i2i_arena_reset(i2i_arena *a);
/* NULL only when out of memory. Memory is aligned to `align` (power of two, <= 16). */
void *i2i_arena_alloc(i2i_arena *a, size_t n, size_t align);
char *i2i_arena_strndup(i2i_arena *a, const char *s, size_t n);
char *i2i_arena_strdup(i2i_arena *a, const char *s);

/* ---------------------------------------------------------------- logging */

typedef enum i2i_log_level {
    I2I_LOG_DEBUG = 0,
    I2I_LOG_INFO = 1,
    I2I_LOG_WARN = 2,
    I2I_LOG_ERROR = 3,
    I2I_LOG_OFF = 4
} i2i_log_level;

/* A sink receives the already-redacted line without trailing newline. Default: stderr. */
typedef void (*i2i_log_sink)(void *ctx, i2i_log_level level, const char *line);

void i2i_log_set_level(i2i_log_level level);
i2i_log_level i2i_log_get_level(void);
void i2i_log_set_sink(i2i_log_sink sink, void *ctx); /* NULL sink = stderr */
/* Per-thread sink (C11 _Thread_local): while set, lines logged by the calling thread go to it
 * instead of the global sink, so a library call made on behalf of one caller (a Processing Engine
 * trigger) reports to that caller even when other threads log at the same time. Lines are
 * redacted and filtered by the global level as usual; the sink runs on the logging thread, outside
 * the logger's lock (it must not log through i2i_log itself). NULL removes it: the thread falls
 * back to the global sink. Only the calling thread is affected; threads it starts inherit nothing. */
void i2i_log_set_thread_sink(i2i_log_sink sink, void *ctx);
/* The calling thread's sink (NULL when none), so a thread started on a caller's behalf can
 * report to the same place (serialising calls itself if the sink is not thread safe). */
void i2i_log_get_thread_sink(i2i_log_sink *sink, void **ctx);
/* Register a secret (token, password, key): every later log line has it replaced by "***".
 * Strings shorter than 4 bytes are ignored (they would mask ordinary words). Thread safe. */
void i2i_log_add_secret(const char *secret);
/* Retire a secret that is no longer in use (an OAuth2 access token that was replaced), so a
 * long-running process does not accumulate every token it ever held. The registry is a set, not
 * a count: only for secrets the caller alone holds. Unknown secrets are ignored. Thread safe. */
void i2i_log_remove_secret(const char *secret);
/* How many secrets are registered (tests: the registry does not grow with refreshed tokens). */
size_t i2i_log_secret_count(void);
void i2i_log_clear_secrets(void);
/* Register the password of a URL's userinfo ("scheme://user:password@host/..."), if any, so a
 * URI quoted anywhere (an error naming the catalog, a driver's message) never shows it. */
void i2i_log_add_url_password(const char *url);
/* Replace every registered secret in s (NUL-terminated, in place, may shorten). */
void i2i_redact_in_place(char *s);
void i2i_log(i2i_log_level level, const char *fmt, ...) I2I_PRINTF(2, 3);
#define I2I_DEBUG(...) i2i_log(I2I_LOG_DEBUG, __VA_ARGS__)
#define I2I_INFO(...) i2i_log(I2I_LOG_INFO, __VA_ARGS__)
#define I2I_WARN(...) i2i_log(I2I_LOG_WARN, __VA_ARGS__)
#define I2I_ERROR(...) i2i_log(I2I_LOG_ERROR, __VA_ARGS__)

/* ---------------------------------------------------------------- time */

#define I2I_NS_PER_US INT64_C(1000)
#define I2I_NS_PER_MS INT64_C(1000000)
#define I2I_NS_PER_S INT64_C(1000000000)

/* Wall clock in ns since the epoch; monotonic clock in ns (for rates and timeouts). */
int64_t i2i_now_ns(void);
int64_t i2i_monotonic_ns(void);
/* Sleep ms milliseconds (the whole time, across signals). */
void i2i_sleep_ms(int64_t ms);

/* Floor division/modulo (toward negative infinity), for time truncation before 1970. */
static inline int64_t i2i_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}
static inline int64_t i2i_floor_mod(int64_t a, int64_t b)
{
    /* from the remainder, not a - q*b: that product overflows next to INT64_MIN */
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t i2i_days_from_civil(int64_t y, unsigned m, unsigned d);
void i2i_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Parse ISO 8601 / RFC 3339: "2024-01-02T03:04:05.123456789Z", "+01:00" offsets, a space instead
 * of 'T'. With require_zone, a time without Z or offset is an error; otherwise it is taken as UTC
 * (the server renders zone-less UTC). A bare date "2024-01-02" is midnight UTC. */
int i2i_time_parse(const char *s, size_t n, int require_zone, int64_t *ns, i2i_error *err);
/* Format as "2024-01-02T03:04:05.123456789Z" (always 9 fraction digits). out >= 32 bytes. */
void i2i_time_format_rfc3339(int64_t ns, char *out, size_t outsz);

/* Durations: "30s", "5min", "1h", "1d", "1w" (the plugin's units: s, min, h, d, w), also "ms"
 * and "m" for minutes. Positive integers only. */
int i2i_duration_parse(const char *s, int64_t *ns, i2i_error *err);

/* ---------------------------------------------------------------- retry policy */

/* The one backoff every retry loop uses: the wait before retry n (n from 0) is uniform in
 * [d/2, d] with d = min(max_wait_ms, base_wait_ms * 2^n) (jitter, so writers that collided do not
 * collide again); a server's Retry-After raises it, max_wait_ms caps it. Waits are cancellable:
 * a non-zero *cancel ends them early with I2I_ERR_CANCELLED. */
typedef struct i2i_retry_policy {
    int max_retries;            /* extra attempts after the first; 0 = no retry */
    int64_t base_wait_ms;       /* 0 = retry at once */
    int64_t max_wait_ms;
    const volatile int *cancel; /* may be NULL */
} i2i_retry_policy;

/* Whether a cancel flag (may be NULL) is raised. The flag is read atomically because it may be
 * raised by another thread (a read-ahead being discarded, a service job stopped) while a transfer
 * or a retry wait polls it; a signal handler's plain store to it is fine too. */
static inline int i2i_cancel_raised(const volatile int *flag)
{
    return flag && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}

/* Sleep ms, checking *cancel (may be NULL) every 50 ms: I2I_OK, or I2I_ERR_CANCELLED as soon as
 * it is raised (err set: "<what>: stopped on request"). */
int i2i_sleep_cancellable(int64_t ms, const volatile int *cancel, const char *what, i2i_error *err);
/* The wait before retry n, in ms (random within the jitter range). */
int64_t i2i_retry_delay_ms(const i2i_retry_policy *p, int retry, int64_t retry_after_ms);
/* Sleep that long, checking p->cancel every 50 ms. I2I_OK or I2I_ERR_CANCELLED (err set). */
int i2i_retry_wait(const i2i_retry_policy *p, int retry, int64_t retry_after_ms, i2i_error *err);
/* I2I_ERR_CANCELLED (err set, naming `what`) when p->cancel is set, else I2I_OK. */
int i2i_retry_check_cancel(const i2i_retry_policy *p, const char *what, i2i_error *err);
/* Retries waited for so far by this process (every layer), for metrics. */
int64_t i2i_retry_count(void);

/* ---------------------------------------------------------------- fault injection */

/* Test fault injection, handed down through options or a handle, never a process-wide switch.
 * Library code calls i2i_fault_at(f, "point", err) where a failure can be simulated; the hook
 * returns 0 to go on, or a negative status (with err set) to fail there as the real failure
 * would. Each layer documents its points. A NULL hook (production) costs one test. */
typedef struct i2i_fault {
    int (*fn)(void *ctx, const char *point, i2i_error *err);
    void *ctx;
} i2i_fault;

static inline int i2i_fault_at(const i2i_fault *f, const char *point, i2i_error *err)
{
    return f && f->fn ? f->fn(f->ctx, point, err) : I2I_OK;
}

/* ---------------------------------------------------------------- misc */

/* Fill with cryptographically random bytes (getrandom); I2I_OK or I2I_ERR_IO. */
int i2i_random_bytes(void *out, size_t n, i2i_error *err);
/* Random v4 UUID as 36 chars + NUL. */
int i2i_uuid4(char out[37], i2i_error *err);
/* Lower-case hex of bytes; out must hold 2n+1. */
void i2i_hex(const uint8_t *in, size_t n, char *out);

/* Base64 (standard or URL-safe alphabet, padding optional, whitespace ignored) into out
 * (appended). I2I_ERR_INVALID with the offending position on bad input. */
int i2i_base64_decode(const char *in, size_t n, i2i_buf *out, i2i_error *err);
int i2i_base64_encode(const void *in, size_t n, i2i_buf *out);

/* Strict UTF-8 (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF). NUL
 * bytes are valid UTF-8; callers that must refuse them check separately. */
int i2i_utf8_valid(const void *s, size_t n);
/* Decode the code point at s[*pos] (pos < n) into *cp and advance *pos; 0 (nothing moved) when the
 * bytes there are not strict UTF-8. */
int i2i_utf8_next(const void *s, size_t n, size_t *pos, uint32_t *cp);

/* Encode code point cp (at most U+10FFFF) into o[0..3]; returns its length, 1 to 4. */
static inline size_t i2i_utf8_encode(uint32_t cp, uint8_t *o)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* strdup that returns NULL on failure (POSIX strdup is not C11). */
char *i2i_strdup(const char *s);
/* A file holding one secret (a token): its first line, trimmed, registered with the logger's
 * redaction. Errors name `what` and the file. */
int i2i_read_secret_file(const char *path, const char *what, char **out, i2i_error *err);
char *i2i_strndup(const char *s, size_t n);

#endif /* I2I_UTIL_H */
