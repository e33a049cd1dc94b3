/* Time: clocks, civil-date arithmetic, ISO 8601 parsing/formatting, durations. All integer
 * arithmetic on int64 ns; dates before 1970 use floor division. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <time.h>

int64_t i2i_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * I2I_NS_PER_S + ts.tv_nsec;
}

int64_t i2i_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * I2I_NS_PER_S + ts.tv_nsec;
}

void i2i_sleep_ms(int64_t ms)
{
    struct timespec ts;
    if (ms <= 0) return;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Howard Hinnant's civil-from-days algorithms (public domain arithmetic). */
int64_t i2i_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void i2i_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int take_digits(const char *s, size_t n, size_t *i, size_t count, int64_t *out)
{
    int64_t v = 0;
    size_t k;
    if (*i + count > n) return 0;
    for (k = 0; k < count; k++) {
        char c = s[*i + k];
        if (c < '0' || c > '9') return 0;
        v = v * 10 + (c - '0');
    }
    *i += count;
    *out = v;
    return 1;
}

int i2i_time_parse(const char *s, size_t n, int require_zone, int64_t *ns, i2i_error *err)
{
    size_t i = 0;
    int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, offset_s = 0;
    int has_zone = 0, date_only = 0;
    __int128 total;

    while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
    while (i < n && isspace((unsigned char)s[i])) i++;
    if (!take_digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' || !take_digits(s, n, &i, 2, &mo) ||
        i >= n || s[i++] != '-' || !take_digits(s, n, &i, 2, &d))
        goto bad;
    if (i == n) {
        date_only = 1;
    } else {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') goto bad;
        i++;
        if (!take_digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || !take_digits(s, n, &i, 2, &mi))
            goto bad;
        if (i < n && s[i] == ':') {
            i++;
            if (!take_digits(s, n, &i, 2, &sec)) goto bad;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                int digits = 0;
                i++;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (digits < 9) {
                        frac = frac * 10 + (s[i] - '0');
                        digits++;
                    }
                    i++;
                }
                if (digits == 0) goto bad;
                while (digits++ < 9) frac *= 10;
            }
        }
        if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
            has_zone = 1;
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int64_t oh, om = 0;
            int sign = s[i] == '-' ? -1 : 1;
            i++;
            if (!take_digits(s, n, &i, 2, &oh)) goto bad;
            if (i < n && s[i] == ':') i++;
            if (i < n && !take_digits(s, n, &i, 2, &om)) goto bad;
            if (oh > 23 || om > 59) goto bad;
            offset_s = sign * (oh * 3600 + om * 60);
            has_zone = 1;
        }
        if (i != n) goto bad;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) goto bad;
    {
        /* Reject 2023-02-30 and friends: the date must round-trip. */
        int64_t yy;
        unsigned mm, dd;
        i2i_civil_from_days(i2i_days_from_civil(y, (unsigned)mo, (unsigned)d), &yy, &mm, &dd);
        if (yy != y || mm != (unsigned)mo || dd != (unsigned)d) goto bad;
    }
    if (require_zone && !has_zone && !date_only) {
        return i2i_error_set(err, I2I_ERR_INVALID,
                             "time '%.*s' has no time zone: add 'Z' or an offset such as '+00:00'",
                             (int)(n > 64 ? 64 : n), s);
    }
    total = (__int128)i2i_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
            sec - offset_s;
    total = total * I2I_NS_PER_S + frac;
    if (total > INT64_MAX || total < INT64_MIN) {
        return i2i_error_set(err, I2I_ERR_RANGE, "time '%.*s' is outside the int64 nanosecond range",
                             (int)(n > 64 ? 64 : n), s);
    }
    *ns = (int64_t)total;
    return I2I_OK;
bad:
    return i2i_error_set(err, I2I_ERR_INVALID,
                         "cannot parse time '%.*s': expected ISO 8601 like 2024-01-31T00:00:00Z",
                         (int)(n > 64 ? 64 : n), s);
}

void i2i_time_format_rfc3339(int64_t ns, char *out, size_t outsz)
{
    int64_t secs = i2i_floor_div(ns, I2I_NS_PER_S);
    int64_t frac = i2i_floor_mod(ns, I2I_NS_PER_S);
    int64_t days = i2i_floor_div(secs, 86400);
    int64_t sod = i2i_floor_mod(secs, 86400);
    int64_t y;
    unsigned m, d;
    i2i_civil_from_days(days, &y, &m, &d);
    snprintf(out, outsz, "%04lld-%02u-%02uT%02d:%02d:%02d.%09lldZ", (long long)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (long long)frac);
}

int i2i_duration_parse(const char *s, int64_t *ns, i2i_error *err)
{
    const char *p = s;
    int64_t v = 0, unit;
    if (!s || !*s) return i2i_error_set(err, I2I_ERR_INVALID, "empty duration");
    while (*p >= '0' && *p <= '9') {
        if (v > INT64_C(1000000000000)) goto bad;
        v = v * 10 + (*p++ - '0');
    }
    if (p == s || v <= 0) goto bad;
    if (strcmp(p, "ms") == 0) unit = I2I_NS_PER_MS;
    else if (strcmp(p, "s") == 0) unit = I2I_NS_PER_S;
    else if (strcmp(p, "min") == 0 || strcmp(p, "m") == 0) unit = 60 * I2I_NS_PER_S;
    else if (strcmp(p, "h") == 0) unit = 3600 * I2I_NS_PER_S;
    else if (strcmp(p, "d") == 0) unit = 86400 * I2I_NS_PER_S;
    else if (strcmp(p, "w") == 0) unit = 7 * 86400 * I2I_NS_PER_S;
    else goto bad;
    if (v > INT64_MAX / unit) goto bad;
    *ns = v * unit;
    return I2I_OK;
bad:
    return i2i_error_set(err, I2I_ERR_INVALID,
                         "bad duration '%s': expected a positive number and a unit s, min, h, d or w "
                         "(e.g. 30min, 1h, 1d)", s);
}
