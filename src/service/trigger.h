/*
 * service/trigger: the schedule half of an InfluxDB 3 Processing Engine trigger specification,
 * so `influx2iceberg serve` fires when the plugin would have (see specs/influxdb3-api.md §8).
 *
 *   every:<duration>  humantime syntax as the engine parses it: one or more <number><unit> parts,
 *                     optionally separated by spaces ("1h 30m", "1h30m"). Units: ns nsec nanos,
 *                     us usec, ms msec millis, s sec secs second seconds, m min mins minute
 *                     minutes, h hr hrs hour hours, d day days, w week weeks, M month months
 *                     (30.44 d), y year years (365.25 d). The total must be > 0, at most one
 *                     year (365.25 d, the engine's `parse_duration("1 year")` limit) and a whole
 *                     number of milliseconds (the engine computes in ms and would divide by zero
 *                     below 1 ms). Fires at every multiple of the period since the Unix epoch
 *                     (UTC), as the engine's ScheduleTriggerRunner::new_every aligns it:
 *                     every:1h fires on each whole UTC hour.
 *
 *   cron:<expr>       the Rust `cron` crate (0.15) syntax the engine uses, evaluated in UTC:
 *                     "sec min hour day-of-month month day-of-week [year]" (6 or 7 fields; a 5-field
 *                     crontab is an error), or @yearly @monthly @weekly @daily @hourly.
 *                     Each field is a comma list of: *, N, N-M, with an optional /step (N/step
 *                     means N to the field's maximum). Months accept JAN-DEC (and full names),
 *                     days of week SUN-SAT (and full names, TUES, THURS); names work in ranges
 *                     ("MON-FRI/2") but not with a bare step. '?' equals '*' in the two day
 *                     fields. Ranges: sec 0-59, min 0-59, hour 0-23, day 1-31, month 1-12,
 *                     day-of-week 1-7 with 1 = Sunday (the crate's numbering: 0 is an error and
 *                     2 is Monday, unlike Unix cron), year 1970-2100. A step must be between 1 and
 *                     the field's maximum.
 *                     Day-of-month and day-of-week must BOTH match (the crate intersects them;
 *                     Unix cron would take either): "0 0 0 13 * FRI" is Friday the 13th only.
 *
 * Both only fire on whole seconds for cron; the next fire time is strictly after the given time.
 * A trigger holds no allocation (nothing to free).
 */
#ifndef I2I_SERVICE_TRIGGER_H
#define I2I_SERVICE_TRIGGER_H

#include <stdint.h>

#include "util/util.h"

#define TRIGGER_YEAR_MIN 1970
#define TRIGGER_YEAR_MAX 2100

typedef enum trigger_kind { TRIGGER_EVERY = 1, TRIGGER_CRON = 2 } trigger_kind;

typedef struct trigger {
    trigger_kind kind;
    int64_t every_ns; /* TRIGGER_EVERY: the period */
    /* TRIGGER_CRON: the allowed values of each field as bit sets (bit v = value v) */
    uint64_t sec, min;
    uint32_t hour, dom; /* dom: bits 1..31 */
    uint16_t month;     /* bits 1..12 */
    uint8_t dow;        /* bits 1..7, 1 = Sunday */
    uint8_t years[(TRIGGER_YEAR_MAX - TRIGGER_YEAR_MIN + 8) / 8]; /* bit y - TRIGGER_YEAR_MIN */
} trigger;

/* Parse "every:..." or "cron:..." (surrounding whitespace ignored). Any other form, including the
 * engine's non-schedule triggers (table:, all_tables, request:), is I2I_ERR_INVALID with a
 * message naming the spec and what is wrong. */
int trigger_parse(const char *spec, trigger *out, i2i_error *err);

/* The first fire time strictly after after_ns (ns since the epoch, UTC), or INT64_MAX when there
 * is none (a cron whose years are all past, a day that never exists such as Feb 30, or a time
 * beyond what int64 ns can hold). */
int64_t trigger_next_fire(const trigger *t, int64_t after_ns);

#endif /* I2I_SERVICE_TRIGGER_H */
