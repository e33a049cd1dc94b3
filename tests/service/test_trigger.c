/* Trigger schedules: every: and cron: parsing (errors name what is wrong) and next fire times,
 * checked by hand at the tricky places (month ends, Feb 29, weekdays, years) and against a
 * second-by-second reference built on libc's gmtime_r. */
#include <stdlib.h>
#include <time.h>

#include "service/trigger.h"
#include "test.h"

#define S INT64_C(1000000000)

static int64_t ts(const char *iso)
{
    int64_t ns = 0;
    i2i_error err = {0};
    if (i2i_time_parse(iso, strlen(iso), 1, &ns, &err) != I2I_OK)
        i2i_test_fail(__FILE__, __LINE__, "bad test time %s: %s", iso, err.msg);
    return ns;
}

static trigger parse_ok(const char *spec)
{
    trigger t;
    i2i_error err = {0};
    if (trigger_parse(spec, &t, &err) != I2I_OK)
        i2i_test_fail(__FILE__, __LINE__, "'%s' refused: %s", spec, err.msg);
    return t;
}

/* next fire of spec after `after`, formatted like i2i_time_format_rfc3339 ("never" for none) */
static const char *next_of(const char *spec, int64_t after)
{
    static char out[64];
    trigger t = parse_ok(spec);
    int64_t n = trigger_next_fire(&t, after);
    if (n == INT64_MAX) return "never";
    i2i_time_format_rfc3339(n, out, sizeof out);
    out[19] = '\0'; /* whole seconds are enough to compare */
    return out;
}

#define EXPECT_NEXT(spec, after, want) CHECK_EQ_STR(next_of(spec, ts(after)), want)

#define EXPECT_BAD(spec, fragment)                                                                 \
    do {                                                                                           \
        trigger t_;                                                                                \
        i2i_error e_ = {0};                                                                        \
        int rc_ = trigger_parse(spec, &t_, &e_);                                                   \
        if (rc_ != I2I_ERR_INVALID || !strstr(e_.msg, fragment))                                   \
            i2i_test_fail(__FILE__, __LINE__, "'%s': wanted '%s', got %d '%s'", spec, fragment,    \
                          rc_, e_.msg);                                                            \
    } while (0)

TEST(every_parses_humantime_units)
{
    CHECK_EQ_INT(parse_ok("every:10s").every_ns, 10 * S);
    CHECK_EQ_INT(parse_ok("every:5m").every_ns, 300 * S);
    CHECK_EQ_INT(parse_ok("every:5min").every_ns, 300 * S);
    CHECK_EQ_INT(parse_ok("every:1h").every_ns, 3600 * S);
    CHECK_EQ_INT(parse_ok("every:1d").every_ns, 86400 * S);
    CHECK_EQ_INT(parse_ok("every:2w").every_ns, 14 * 86400 * S);
    CHECK_EQ_INT(parse_ok("every:1M").every_ns, 2630016 * S);
    CHECK_EQ_INT(parse_ok("every:1y").every_ns, 31557600 * S);
    CHECK_EQ_INT(parse_ok("every:500ms").every_ns, 500000000);
    CHECK_EQ_INT(parse_ok("every:1h 30m").every_ns, 5400 * S);
    CHECK_EQ_INT(parse_ok("every:1h30m").every_ns, 5400 * S);
    CHECK_EQ_INT(parse_ok("  every: 2 hours 15 minutes ").every_ns, 8100 * S);
    CHECK_EQ_INT(parse_ok("every:90seconds").every_ns, 90 * S);
    CHECK_EQ_INT(parse_ok("every:3days").every_ns, 3 * 86400 * S);
    CHECK_EQ_INT(parse_ok("every:1s").kind, TRIGGER_EVERY);
}

TEST(every_rejects_bad_durations)
{
    EXPECT_BAD("every:", "empty duration");
    EXPECT_BAD("every:0s", "must be positive");
    EXPECT_BAD("every:0h 0m", "must be positive");
    EXPECT_BAD("every:-5m", "expected a number");
    EXPECT_BAD("every:10", "missing unit");
    EXPECT_BAD("every:10x", "unknown or missing unit after '10x'");
    EXPECT_BAD("every:1H", "unknown"); /* humantime's units are case-sensitive (M is months) */
    EXPECT_BAD("every:1y 1s", "longer than one year");
    EXPECT_BAD("every:400d", "longer than one year");
    EXPECT_BAD("every:99999999999999999999s", "longer than one year");
    EXPECT_BAD("every:9223372036854775807y", "longer than one year");
    EXPECT_BAD("every:1.5h", "unknown or missing unit");
    EXPECT_BAD("every:500us", "whole number of milliseconds");
    EXPECT_BAD("every:1s 1ns", "whole number of milliseconds");
}

TEST(every_fires_on_epoch_multiples)
{
    EXPECT_NEXT("every:10s", "2024-05-01T12:00:05Z", "2024-05-01T12:00:10");
    EXPECT_NEXT("every:10s", "2024-05-01T12:00:10Z", "2024-05-01T12:00:20"); /* strictly after */
    EXPECT_NEXT("every:1h", "2024-05-01T12:30:00.5Z", "2024-05-01T13:00:00");
    EXPECT_NEXT("every:1d", "2024-02-28T23:59:59Z", "2024-02-29T00:00:00");
    EXPECT_NEXT("every:1w", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00"); /* epoch was a Thursday */
    trigger t = parse_ok("every:1h 30m");
    int64_t after = ts("2024-05-01T00:00:00Z");
    CHECK_EQ_INT(trigger_next_fire(&t, after), (after / (5400 * S) + 1) * 5400 * S);
    t = parse_ok("every:1h");
    CHECK_EQ_INT(trigger_next_fire(&t, -1), 0);
    CHECK_EQ_INT(trigger_next_fire(&t, -3600 * S), 0);
    CHECK_EQ_INT(trigger_next_fire(&t, -3600 * S - 1), -3600 * S);
    CHECK(trigger_next_fire(&t, INT64_MAX - 1) == INT64_MAX); /* past int64: none */
    t = parse_ok("every:500ms");
    CHECK_EQ_INT(trigger_next_fire(&t, 1700000000 * S + 1), 1700000000 * S + 500000000);
    t = parse_ok("every:1500ms"); /* the grid is k * 1.5 s since the epoch, not the wall clock */
    CHECK_EQ_INT(trigger_next_fire(&t, 0), 1500000000);
    CHECK_EQ_INT(trigger_next_fire(&t, 1500000000), 3000000000);
    CHECK_EQ_INT(trigger_next_fire(&t, 1700000000 * S), 1700000001000000000); /* 1133333334 * 1.5 s */
}

TEST(cron_parses_fields)
{
    trigger t = parse_ok("cron:0 0 * * * *");
    CHECK_EQ_INT(t.kind, TRIGGER_CRON);
    CHECK(t.sec == 1 && t.min == 1 && t.hour == 0xFFFFFF);
    CHECK(t.dom == 0xFFFFFFFEu && t.month == 0x1FFE && t.dow == 0xFE);
    t = parse_ok("cron:*/20 1-10/3 0,12 ? JAN-MAR/2 MON-FRI");
    CHECK(t.sec == ((1ull << 0) | (1ull << 20) | (1ull << 40)));
    CHECK(t.min == ((1ull << 1) | (1ull << 4) | (1ull << 7) | (1ull << 10)));
    CHECK(t.hour == ((1u << 0) | (1u << 12)));
    CHECK(t.dom == 0xFFFFFFFEu);
    CHECK(t.month == ((1u << 1) | (1u << 3)));
    CHECK(t.dow == 0x7C); /* Monday = 2 .. Friday = 6 */
    t = parse_ok("cron:50/5 * * 31 dec,February sunday,Sat,tues,THURS");
    CHECK(t.sec == ((1ull << 50) | (1ull << 55)));
    CHECK(t.dom == 1u << 31);
    CHECK(t.month == ((1u << 12) | (1u << 2)));
    CHECK(t.dow == ((1u << 1) | (1u << 7) | (1u << 3) | (1u << 5)));
    t = parse_ok("cron:0 0 0 1 1 ? 2024,2026-2027");
    CHECK(t.years[(2024 - 1970) / 8] >> ((2024 - 1970) % 8) & 1);
    CHECK(!(t.years[(2025 - 1970) / 8] >> ((2025 - 1970) % 8) & 1));
    t = parse_ok(" cron:  @daily ");
    CHECK(t.sec == 1 && t.min == 1 && t.hour == 1 && t.dom == 0xFFFFFFFEu);
}

TEST(cron_rejects_bad_expressions)
{
    EXPECT_BAD("cron:0 * * * *", "needs 6 or 7 fields");        /* Unix 5-field crontab */
    EXPECT_BAD("cron:0 0 0 * * * 2024 x", "got more than 7");
    EXPECT_BAD("cron:", "got 0");
    EXPECT_BAD("cron:60 * * * * *", "seconds field: 60 is outside 0-59");
    EXPECT_BAD("cron:0 0 24 * * *", "hours field: 24 is outside 0-23");
    EXPECT_BAD("cron:0 0 0 0 * *", "day-of-month field: 0 is outside 1-31");
    EXPECT_BAD("cron:0 0 0 * 13 *", "month field: 13 is outside 1-12");
    EXPECT_BAD("cron:0 0 0 * * 0", "day-of-week field: 0 is outside 1-7"); /* 1 = Sunday */
    EXPECT_BAD("cron:0 0 0 * * * 1969", "year field: 1969 is outside 1970-2100");
    EXPECT_BAD("cron:*/0 * * * * *", "step 0 must be between 1 and 59");
    EXPECT_BAD("cron:*/60 * * * * *", "step 60 must be between 1 and 59");
    EXPECT_BAD("cron:0 5-1 * * * *", "range start after its end '5-1'");
    EXPECT_BAD("cron:? * * * * *", "seconds field: not a number '?'");
    EXPECT_BAD("cron:0 0 0 * JAN-3 *", "mixes a name and a number");
    EXPECT_BAD("cron:0 0 0 * * WED/2", "a name cannot take a step");
    EXPECT_BAD("cron:0 0 0 * FOO *", "month field: unknown name 'FOO'");
    EXPECT_BAD("cron:0 0 0 * * MON-FOO", "day-of-week field: unknown name 'FOO'");
    EXPECT_BAD("cron:0 MON 0 * * *", "minutes field: not a number 'MON'");
    EXPECT_BAD("cron:,1 * * * * *", "empty item");
    EXPECT_BAD("cron:1, * * * * *", "empty item");
    EXPECT_BAD("cron:1/ * * * * *", "missing step");
    EXPECT_BAD("cron:1/x * * * * *", "bad step");
    EXPECT_BAD("cron:1x * * * * *", "bad number '1x'");
    EXPECT_BAD("cron:@reboot", "needs 6 or 7 fields");
    EXPECT_BAD("table:cpu", "does not run on a schedule");
    EXPECT_BAD("all_tables", "does not run on a schedule");
    EXPECT_BAD("request:replicate", "does not run on a schedule");
    EXPECT_BAD("hourly", "expected 'every:<DURATION>' or 'cron:<CRON_EXPRESSION>'");
    EXPECT_BAD("", "expected 'every:");
}

TEST(cron_next_fire_by_hand)
{
    /* sub-second and strictly-after behaviour */
    EXPECT_NEXT("cron:* * * * * *", "2024-05-01T10:00:00Z", "2024-05-01T10:00:01");
    EXPECT_NEXT("cron:* * * * * *", "2024-05-01T09:59:59.999999999Z", "2024-05-01T10:00:00");
    EXPECT_NEXT("cron:*/15 * * * * *", "2024-05-01T12:00:07.5Z", "2024-05-01T12:00:15");
    EXPECT_NEXT("cron:0 0 * * * *", "2024-05-01T12:00:00Z", "2024-05-01T13:00:00");
    /* month ends and leap years */
    EXPECT_NEXT("cron:0 0 0 31 * *", "2024-01-31T00:00:00Z", "2024-03-31T00:00:00");
    EXPECT_NEXT("cron:0 0 0 31 * *", "2024-03-31T00:00:00Z", "2024-05-31T00:00:00");
    EXPECT_NEXT("cron:0 0 0 29 2 *", "2023-03-01T00:00:00Z", "2024-02-29T00:00:00");
    EXPECT_NEXT("cron:0 0 0 29 2 *", "2024-02-29T00:00:00Z", "2028-02-29T00:00:00");
    EXPECT_NEXT("cron:0 0 0 29 2 *", "2096-03-01T00:00:00Z", "never"); /* 2100 is no leap year */
    EXPECT_NEXT("cron:0 0 0 30 2 *", "2024-01-01T00:00:00Z", "never");
    EXPECT_NEXT("cron:0 0 0 * 2 *", "2023-02-28T12:00:00Z", "2024-02-01T00:00:00");
    EXPECT_NEXT("cron:59 59 23 31 12 *", "2024-06-01T00:00:00Z", "2024-12-31T23:59:59");
    EXPECT_NEXT("cron:59 59 23 31 12 *", "2024-12-31T23:59:59Z", "2025-12-31T23:59:59");
    /* day of week: 1 = Sunday, 2 = Monday; 2024-03-10 is a Sunday */
    EXPECT_NEXT("cron:0 0 9 * * MON", "2024-03-10T12:00:00Z", "2024-03-11T09:00:00");
    EXPECT_NEXT("cron:0 0 9 * * 2", "2024-03-10T12:00:00Z", "2024-03-11T09:00:00");
    EXPECT_NEXT("cron:0 0 9 * * 1", "2024-03-10T08:00:00Z", "2024-03-10T09:00:00");
    EXPECT_NEXT("cron:0 0 9 * * SAT", "2024-03-10T08:00:00Z", "2024-03-16T09:00:00");
    EXPECT_NEXT("cron:0 0 0 * * MON-FRI/2", "2024-03-10T00:00:00Z", "2024-03-11T00:00:00");
    EXPECT_NEXT("cron:0 0 0 * * MON-FRI/2", "2024-03-11T00:00:00Z", "2024-03-13T00:00:00");
    /* both day fields must match: Friday the 13th (2024: September and December) */
    EXPECT_NEXT("cron:0 0 0 13 * FRI", "2024-01-01T00:00:00Z", "2024-09-13T00:00:00");
    EXPECT_NEXT("cron:0 0 0 13 * FRI", "2024-09-13T00:00:00Z", "2024-12-13T00:00:00");
    EXPECT_NEXT("cron:0 0 0 ? * FRI", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00");
    /* steps from a start value run to the field's end */
    EXPECT_NEXT("cron:0 50/5 * * * *", "2024-05-01T10:56:00Z", "2024-05-01T11:50:00");
    EXPECT_NEXT("cron:0 0 20/3 * * *", "2024-05-01T23:00:00Z", "2024-05-02T20:00:00");
    /* year field */
    EXPECT_NEXT("cron:0 0 12 * * * 2020", "2024-01-01T00:00:00Z", "never");
    EXPECT_NEXT("cron:0 0 12 1 1 * 2030/5", "2026-06-01T00:00:00Z", "2030-01-01T12:00:00");
    EXPECT_NEXT("cron:0 0 12 1 1 * 2030/5", "2030-01-01T12:00:00Z", "2035-01-01T12:00:00");
    EXPECT_NEXT("cron:0 0 0 1 1 * 2100", "2099-06-01T00:00:00Z", "2100-01-01T00:00:00");
    EXPECT_NEXT("cron:0 0 0 1 1 *", "2100-01-01T00:00:00Z", "never"); /* the crate stops at 2100 */
    /* before 1970 the first fire is in 1970 (the year field's lower bound) */
    EXPECT_NEXT("cron:0 0 0 1 1 *", "1969-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00");
    EXPECT_NEXT("cron:0 0 0 1 * *", "1950-06-01T00:00:00Z", "1970-01-01T00:00:00");
    /* the cron crate's README example */
    const char *ex = "cron:0 30 9,12,15 1,15 May-Aug Mon,Wed,Fri 2018/2";
    const char *want[] = {"2018-06-01T09:30:00", "2018-06-01T12:30:00", "2018-06-01T15:30:00",
                          "2018-06-15T09:30:00", "2018-06-15T12:30:00", "2018-06-15T15:30:00",
                          "2018-08-01T09:30:00", "2018-08-01T12:30:00", "2018-08-01T15:30:00",
                          "2018-08-15T09:30:00"};
    int64_t at = ts("2018-01-01T00:00:00Z");
    trigger t = parse_ok(ex);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char buf[64];
        at = trigger_next_fire(&t, at);
        i2i_time_format_rfc3339(at, buf, sizeof buf);
        buf[19] = '\0';
        CHECK_EQ_STR(buf, want[i]);
    }
    /* shorthands */
    EXPECT_NEXT("cron:@daily", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00");
    EXPECT_NEXT("cron:@hourly", "2024-01-01T00:59:59Z", "2024-01-01T01:00:00");
    EXPECT_NEXT("cron:@weekly", "2024-03-10T00:00:00Z", "2024-03-17T00:00:00");
    EXPECT_NEXT("cron:@monthly", "2024-02-15T00:00:00Z", "2024-03-01T00:00:00");
    EXPECT_NEXT("cron:@yearly", "2024-02-15T00:00:00Z", "2025-01-01T00:00:00");
}

/* Reference: does second s (UTC) match t? Decoded with libc, not with the code under test. */
static int matches(const trigger *t, int64_t s)
{
    time_t tt = (time_t)s;
    struct tm tm;
    gmtime_r(&tt, &tm);
    int y = tm.tm_year + 1900;
    if (y < TRIGGER_YEAR_MIN || y > TRIGGER_YEAR_MAX) return 0;
    if (!(t->years[(y - 1970) / 8] >> ((y - 1970) % 8) & 1)) return 0;
    return (t->month >> (tm.tm_mon + 1) & 1) && (t->dom >> tm.tm_mday & 1) &&
           (t->dow >> (tm.tm_wday + 1) & 1) && (t->hour >> tm.tm_hour & 1) &&
           (t->min >> tm.tm_min & 1) && (t->sec >> tm.tm_sec & 1);
}

/* Every fire in [from, from + days) found by stepping one second at a time must be exactly the
 * chain trigger_next_fire produces, and random points in between must land on the next one. */
static void cross_check(const char *spec, const char *from, int days)
{
    trigger t = parse_ok(spec);
    int64_t start = ts(from) / S, end = start + (int64_t)days * 86400, at = start * S - 1;
    unsigned seed = 12345;
    int fires = 0;
    for (int64_t s = start; s < end; s++) {
        if (!matches(&t, s)) continue;
        int64_t got = trigger_next_fire(&t, at);
        if (got != s * S) {
            i2i_test_fail(__FILE__, __LINE__, "%s after %lld: got %lld, reference %lld", spec,
                          (long long)at, (long long)got, (long long)(s * S));
            return;
        }
        /* a random point between the previous fire and this one must also land here */
        int64_t span = s * S - at;
        int64_t probe = at + (int64_t)(rand_r(&seed) % 1000000) * (span / 1000000 + 1) % span;
        if (trigger_next_fire(&t, probe) != s * S) {
            i2i_test_fail(__FILE__, __LINE__, "%s after probe %lld: not %lld", spec,
                          (long long)probe, (long long)(s * S));
            return;
        }
        at = s * S;
        fires++;
    }
    int64_t last = trigger_next_fire(&t, at);
    CHECK(last >= end * S); /* nothing missed at the end of the range */
    CHECK(fires > 0);
}

TEST(cron_matches_second_by_second_reference)
{
    /* windows cross Feb 29, month ends, a year end and weekends */
    cross_check("cron:*/7 * * * * *", "2024-02-28T22:00:00Z", 3);
    cross_check("cron:0 */13 1-5,20 * * *", "2024-02-27T00:00:00Z", 4);
    cross_check("cron:30 15 10,22 * * MON-FRI", "2024-02-27T00:00:00Z", 6);
    cross_check("cron:0 0 0 29,31 * *", "2024-02-27T00:00:00Z", 5);
    cross_check("cron:45 59 23 * * SUN,SAT", "2024-02-26T00:00:00Z", 9);
    cross_check("cron:5,10 0-10/3 */5 ? FEB,MAR WED-SAT", "2024-02-27T00:00:00Z", 4);
    cross_check("cron:0 0 12 * * * 2024", "2023-12-30T00:00:00Z", 4);
    cross_check("cron:0 30 23 31 12,1 * 2023-2025", "2023-12-30T00:00:00Z", 4);
    cross_check("cron:* 0 0 1 * *", "2024-02-29T23:58:00Z", 2);
}
