/* Trigger schedules: every:<duration> and cron:<expr> as the InfluxDB 3 engine reads them (see
 * trigger.h for the syntax and the choices made). */
#include "service/trigger.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define NS_PER_S INT64_C(1000000000)
#define MAX_EVERY_NS (INT64_C(31557600) * NS_PER_S) /* humantime's 1y = 365.25 days */

/* ---------------------------------------------------------------- every: */

typedef struct unit {
    const char *name;
    int64_t ns;
} unit;

/* humantime's unit names; months and years are its fixed 30.44 and 365.25 days */
static const unit units[] = {
    {"nanos", 1}, {"nsec", 1}, {"ns", 1},
    {"usec", 1000}, {"us", 1000},
    {"millis", 1000000}, {"msec", 1000000}, {"ms", 1000000},
    {"seconds", NS_PER_S}, {"second", NS_PER_S}, {"secs", NS_PER_S}, {"sec", NS_PER_S},
    {"s", NS_PER_S},
    {"minutes", 60 * NS_PER_S}, {"minute", 60 * NS_PER_S}, {"mins", 60 * NS_PER_S},
    {"min", 60 * NS_PER_S}, {"m", 60 * NS_PER_S},
    {"hours", 3600 * NS_PER_S}, {"hour", 3600 * NS_PER_S}, {"hrs", 3600 * NS_PER_S},
    {"hr", 3600 * NS_PER_S}, {"h", 3600 * NS_PER_S},
    {"days", 86400 * NS_PER_S}, {"day", 86400 * NS_PER_S}, {"d", 86400 * NS_PER_S},
    {"weeks", 604800 * NS_PER_S}, {"week", 604800 * NS_PER_S}, {"w", 604800 * NS_PER_S},
    {"months", 2630016 * NS_PER_S}, {"month", 2630016 * NS_PER_S}, {"M", 2630016 * NS_PER_S},
    {"years", 31557600 * NS_PER_S}, {"year", 31557600 * NS_PER_S}, {"y", 31557600 * NS_PER_S},
};

static int parse_every(const char *spec, const char *s, trigger *out, i2i_error *err)
{
    int64_t total = 0;
    const char *p = s;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return i2i_error_set(err, I2I_ERR_INVALID, "trigger spec '%s': empty duration", spec);
    while (*p) {
        int64_t n = 0, u = 0;
        const char *num = p, *name;
        if (!isdigit((unsigned char)*p))
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "trigger spec '%s': expected a number at '%s'", spec, p);
        while (isdigit((unsigned char)*p)) {
            if (n > (INT64_MAX - 9) / 10) goto too_long;
            n = n * 10 + (*p++ - '0');
        }
        while (*p == ' ' || *p == '\t') p++;
        name = p;
        while (isalpha((unsigned char)*p)) p++;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            if (strlen(units[i].name) == (size_t)(p - name) &&
                memcmp(units[i].name, name, (size_t)(p - name)) == 0)
                u = units[i].ns;
        }
        if (!u)
            return i2i_error_set(err, I2I_ERR_INVALID,
                                 "trigger spec '%s': unknown or missing unit after '%.*s' (units: "
                                 "ns, us, ms, s, m/min, h, d, w, M, y)",
                                 spec, (int)(p - num), num);
        if (n > (INT64_MAX - total) / u) goto too_long;
        total += n * u;
        while (isspace((unsigned char)*p)) p++;
    }
    if (total <= 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "trigger spec '%s': the period must be positive",
                             spec);
    if (total > MAX_EVERY_NS) goto too_long;
    /* The engine aligns in whole milliseconds (next = (now_ms / period_ms + 1) * period_ms): a
     * period under 1 ms divides by zero there, and one with a sub-ms remainder drifts off the
     * grid after the first fire. Neither is a schedule anyone means, so both are refused. */
    if (total % 1000000 != 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "trigger spec '%s': the period must be a whole "
                             "number of milliseconds (the engine schedules in ms)", spec);
    out->kind = TRIGGER_EVERY;
    out->every_ns = total;
    return I2I_OK;
too_long:
    return i2i_error_set(err, I2I_ERR_INVALID, "trigger spec '%s': the period is longer than one "
                         "year (365.25 days), the engine's limit", spec);
}

/* ---------------------------------------------------------------- cron: parsing */

typedef struct field {
    const char *name;
    int min, max;
    const char *const *names; /* NULL-terminated pairs "name", value as text; NULL = no names */
    int any_ok;               /* '?' accepted */
} field;

static const char *const month_names[] = {
    "jan", "1", "january", "1", "feb", "2", "february", "2", "mar", "3", "march", "3",
    "apr", "4", "april", "4", "may", "5", "jun", "6", "june", "6", "jul", "7", "july", "7",
    "aug", "8", "august", "8", "sep", "9", "september", "9", "oct", "10", "october", "10",
    "nov", "11", "november", "11", "dec", "12", "december", "12", NULL};
static const char *const dow_names[] = {
    "sun", "1", "sunday", "1", "mon", "2", "monday", "2", "tue", "3", "tues", "3",
    "tuesday", "3", "wed", "4", "wednesday", "4", "thu", "5", "thurs", "5", "thursday", "5",
    "fri", "6", "friday", "6", "sat", "7", "saturday", "7", NULL};

static const field fields[7] = {
    {"seconds", 0, 59, NULL, 0},          {"minutes", 0, 59, NULL, 0},
    {"hours", 0, 23, NULL, 0},            {"day-of-month", 1, 31, NULL, 1},
    {"month", 1, 12, month_names, 0},     {"day-of-week", 1, 7, dow_names, 1},
    {"year", TRIGGER_YEAR_MIN, TRIGGER_YEAR_MAX, NULL, 0},
};

typedef struct cron_ctx {
    const char *spec;
    const field *f;
    i2i_error *err;
} cron_ctx;

static int bad(const cron_ctx *c, const char *what, const char *tok, size_t n)
{
    return i2i_error_set(c->err, I2I_ERR_INVALID, "trigger spec '%s': %s field: %s '%.*s'",
                         c->spec, c->f->name, what, (int)n, tok);
}

/* One value (number or name) at s[0..n): 1 = number, 2 = name, 0 = error (err set). */
static int value(const cron_ctx *c, const char *s, size_t n, int *v)
{
    if (n > 0 && isdigit((unsigned char)s[0])) {
        long x = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)s[i]) || x > 100000) {
                bad(c, "bad number", s, n);
                return 0;
            }
            x = x * 10 + (s[i] - '0');
        }
        if (x < c->f->min || x > c->f->max) {
            i2i_error_set(c->err, I2I_ERR_INVALID,
                          "trigger spec '%s': %s field: %ld is outside %d-%d", c->spec,
                          c->f->name, x, c->f->min, c->f->max);
            return 0;
        }
        *v = (int)x;
        return 1;
    }
    for (const char *const *nm = c->f->names; nm && *nm; nm += 2) {
        if (strlen(*nm) == n && strncasecmp(*nm, s, n) == 0) {
            *v = atoi(nm[1]);
            return 2;
        }
    }
    bad(c, c->f->names ? "unknown name" : "not a number", s, n);
    return 0;
}

/* One list item: '*', '?', value, value-value, each optionally "/step". Sets bits in *set. */
static int item(const cron_ctx *c, const char *s, size_t n, uint64_t *set)
{
    const char *slash = memchr(s, '/', n), *dash;
    size_t base_n = slash ? (size_t)(slash - s) : n;
    int lo, hi, step = 1, kind;
    if (base_n == 0) return bad(c, "empty item", s, n);
    if (slash) {
        long x = 0;
        size_t sn = n - base_n - 1;
        if (sn == 0) return bad(c, "missing step", s, n);
        for (size_t i = 0; i < sn; i++) {
            if (!isdigit((unsigned char)slash[1 + i]) || x > 100000)
                return bad(c, "bad step", s, n);
            x = x * 10 + (slash[1 + i] - '0');
        }
        if (x < 1 || x > c->f->max)
            return i2i_error_set(c->err, I2I_ERR_INVALID,
                                 "trigger spec '%s': %s field: step %ld must be between 1 and %d",
                                 c->spec, c->f->name, x, c->f->max);
        step = (int)x;
    }
    if ((base_n == 1 && s[0] == '*') || (base_n == 1 && s[0] == '?' && c->f->any_ok)) {
        lo = c->f->min;
        hi = c->f->max;
    } else if ((dash = memchr(s, '-', base_n)) != NULL) {
        int k2;
        kind = value(c, s, (size_t)(dash - s), &lo);
        if (!kind) return I2I_ERR_INVALID;
        k2 = value(c, dash + 1, base_n - (size_t)(dash - s) - 1, &hi);
        if (!k2) return I2I_ERR_INVALID;
        if (kind != k2) return bad(c, "a range mixes a name and a number", s, n);
        if (lo > hi) return bad(c, "range start after its end", s, n);
    } else {
        kind = value(c, s, base_n, &lo);
        if (!kind) return I2I_ERR_INVALID;
        if (kind == 2 && slash) return bad(c, "a name cannot take a step", s, n);
        hi = slash ? c->f->max : lo; /* "N/step" runs from N to the field's maximum */
    }
    for (int v = lo; v <= hi; v += step)
        set[(v - c->f->min) / 64] |= UINT64_C(1) << ((v - c->f->min) % 64);
    return I2I_OK;
}

/* A comma list into a bit set of (value - min); set has room for 131 values (the years). */
static int parse_field(const cron_ctx *c, const char *s, size_t n, uint64_t set[3])
{
    size_t start = 0;
    set[0] = set[1] = set[2] = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ',') {
            I2I_TRY(item(c, s + start, i - start, set));
            start = i + 1;
        }
    }
    return I2I_OK;
}

static int parse_cron(const char *spec, const char *s, trigger *out, i2i_error *err)
{
    static const struct {
        const char *name, *expr;
    } shorthands[] = {{"@yearly", "0 0 0 1 1 *"},  {"@monthly", "0 0 0 1 * *"},
                      {"@weekly", "0 0 0 * * 1"},  {"@daily", "0 0 0 * * *"},
                      {"@hourly", "0 0 * * * *"}};
    const char *tok[8];
    size_t len[8];
    int nf = 0;
    while (isspace((unsigned char)*s)) s++;
    for (size_t i = 0; i < sizeof shorthands / sizeof shorthands[0]; i++) {
        size_t k = strlen(shorthands[i].name);
        if (strncmp(s, shorthands[i].name, k) == 0) {
            const char *rest = s + k;
            while (isspace((unsigned char)*rest)) rest++;
            if (!*rest) s = shorthands[i].expr;
        }
    }
    while (*s) {
        if (nf == 8) break;
        tok[nf] = s;
        while (*s && !isspace((unsigned char)*s)) s++;
        len[nf] = (size_t)(s - tok[nf]);
        nf++;
        while (isspace((unsigned char)*s)) s++;
    }
    if (nf != 6 && nf != 7)
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "trigger spec '%s': a cron expression needs 6 or 7 fields (seconds "
                             "minutes hours day-of-month month day-of-week [year]), got %s%d",
                             spec, nf == 8 ? "more than " : "", nf == 8 ? 7 : nf);
    memset(out, 0, sizeof *out);
    out->kind = TRIGGER_CRON;
    for (int i = 0; i < 7; i++) {
        cron_ctx c = {spec, &fields[i], err};
        uint64_t set[3];
        I2I_TRY(parse_field(&c, i < nf ? tok[i] : "*", i < nf ? len[i] : 1, set));
        switch (i) {
        case 0: out->sec = set[0]; break;
        case 1: out->min = set[0]; break;
        case 2: out->hour = (uint32_t)set[0]; break;
        case 3: out->dom = (uint32_t)(set[0] << 1); break; /* stored as bit = day */
        case 4: out->month = (uint16_t)(set[0] << 1); break;
        case 5: out->dow = (uint8_t)(set[0] << 1); break;
        default:
            for (int y = 0; y <= TRIGGER_YEAR_MAX - TRIGGER_YEAR_MIN; y++)
                if (set[y / 64] >> (y % 64) & 1) out->years[y / 8] |= (uint8_t)(1u << (y % 8));
        }
    }
    return I2I_OK;
}

int trigger_parse(const char *spec, trigger *out, i2i_error *err)
{
    const char *s = spec ? spec : "";
    while (isspace((unsigned char)*s)) s++;
    memset(out, 0, sizeof *out);
    if (strncmp(s, "every:", 6) == 0) return parse_every(spec, s + 6, out, err);
    if (strncmp(s, "cron:", 5) == 0) return parse_cron(spec, s + 5, out, err);
    if (strncmp(s, "table:", 6) == 0 || strncmp(s, "all_tables", 10) == 0 ||
        strncmp(s, "request:", 8) == 0)
        return i2i_error_set(err, I2I_ERR_INVALID, "trigger spec '%s' does not run on a schedule; "
                             "use 'every:<DURATION>' or 'cron:<CRON_EXPRESSION>'", s);
    return i2i_error_set(err, I2I_ERR_INVALID, "trigger spec '%s': expected 'every:<DURATION>' or "
                         "'cron:<CRON_EXPRESSION>'", s);
}

/* ---------------------------------------------------------------- next fire */

static int year_ok(const trigger *t, int64_t y)
{
    if (y < TRIGGER_YEAR_MIN || y > TRIGGER_YEAR_MAX) return 0;
    y -= TRIGGER_YEAR_MIN;
    return t->years[y / 8] >> (y % 8) & 1;
}

/* The smallest allowed value >= from in a bit set, or -1. */
static int next_bit(uint64_t set, int from, int max)
{
    for (int v = from; v <= max; v++)
        if (set >> v & 1) return v;
    return -1;
}

static int64_t cron_next(const trigger *t, int64_t after_ns)
{
    /* whole seconds strictly after after_ns */
    int64_t s = i2i_floor_div(after_ns, NS_PER_S) + 1;
    for (;;) {
        int64_t days = i2i_floor_div(s, 86400), sod = s - days * 86400, y;
        unsigned mo, d;
        int h = (int)(sod / 3600), mi = (int)(sod / 60 % 60), sec = (int)(sod % 60), v;
        i2i_civil_from_days(days, &y, &mo, &d);
        if (y > TRIGGER_YEAR_MAX) return INT64_MAX;
        if (!year_ok(t, y)) { /* to 1 January of the next allowed year */
            int64_t ny = y < TRIGGER_YEAR_MIN ? TRIGGER_YEAR_MIN : y + 1;
            while (ny <= TRIGGER_YEAR_MAX && !year_ok(t, ny)) ny++;
            if (ny > TRIGGER_YEAR_MAX) return INT64_MAX;
            s = i2i_days_from_civil(ny, 1, 1) * 86400;
            continue;
        }
        if (!(t->month >> mo & 1)) { /* to the 1st of the next month */
            s = (mo == 12 ? i2i_days_from_civil(y + 1, 1, 1) : i2i_days_from_civil(y, mo + 1, 1)) *
                86400;
            continue;
        }
        /* both day fields must match (the cron crate intersects them); Sunday = 1 */
        if (!(t->dom >> d & 1) || !(t->dow >> (i2i_floor_mod(days + 4, 7) + 1) & 1)) {
            s = (days + 1) * 86400;
            continue;
        }
        if ((v = next_bit(t->hour, h, 23)) != h) {
            s = v < 0 ? (days + 1) * 86400 : days * 86400 + v * 3600;
            continue;
        }
        if ((v = next_bit(t->min, mi, 59)) != mi) {
            s = v < 0 ? days * 86400 + (h + 1) * 3600 : days * 86400 + h * 3600 + v * 60;
            continue;
        }
        if ((v = next_bit(t->sec, sec, 59)) != sec) {
            s = v < 0 ? s - sec + 60 : s - sec + v;
            continue;
        }
        return s > INT64_MAX / NS_PER_S ? INT64_MAX : s * NS_PER_S;
    }
}

int64_t trigger_next_fire(const trigger *t, int64_t after_ns)
{
    if (t->kind == TRIGGER_EVERY) {
        int64_t k = i2i_floor_div(after_ns, t->every_ns) + 1;
        if (k > INT64_MAX / t->every_ns) return INT64_MAX;
        return k * t->every_ns;
    }
    if (t->kind == TRIGGER_CRON) return cron_next(t, after_ns);
    return INT64_MAX;
}
