/* The retry policy shared by every retry loop: jittered exponential backoff, Retry-After, and
 * waits that a cancel flag cuts short (a stopping run must not sit out a 60 s backoff). */
#include "util.h"

#include <stdatomic.h>

#define CANCEL_POLL_MS 50

int64_t i2i_retry_delay_ms(const i2i_retry_policy *p, int retry, int64_t retry_after_ms)
{
    int64_t d = p->base_wait_ms, max = p->max_wait_ms, delay = 0;
    uint32_t rnd = 0;
    int i;
    if (max < d) max = d;
    for (i = 0; i < retry && d < max; i++) d *= 2;
    if (d > max) d = max;
    if (d > 0) {
        (void)i2i_random_bytes(&rnd, sizeof rnd, NULL); /* no randomness: the lower bound */
        delay = d / 2 + (int64_t)(rnd % (uint64_t)(d / 2 + 1));
    }
    if (retry_after_ms > delay) delay = retry_after_ms;
    if (delay > max) delay = max;
    return delay > 0 ? delay : 0;
}

int i2i_retry_check_cancel(const i2i_retry_policy *p, const char *what, i2i_error *err)
{
    if (p && i2i_cancel_raised(p->cancel))
        return i2i_error_set(err, I2I_ERR_CANCELLED, "%s: stopped on request", what ? what : "retry");
    return I2I_OK;
}

int i2i_sleep_cancellable(int64_t ms, const volatile int *cancel, const char *what, i2i_error *err)
{
    i2i_retry_policy p = {0, 0, 0, cancel};
    while (ms > 0) {
        int64_t slice = cancel && ms > CANCEL_POLL_MS ? CANCEL_POLL_MS : ms;
        I2I_TRY(i2i_retry_check_cancel(&p, what, err));
        i2i_sleep_ms(slice);
        ms -= slice;
    }
    return i2i_retry_check_cancel(&p, what, err);
}

/* Every retry of the process, for the service's /metrics (a counter, never reset). */
static atomic_llong retries_total;

int64_t i2i_retry_count(void) { return (int64_t)atomic_load(&retries_total); }

int i2i_retry_wait(const i2i_retry_policy *p, int retry, int64_t retry_after_ms, i2i_error *err)
{
    atomic_fetch_add(&retries_total, 1);
    return i2i_sleep_cancellable(i2i_retry_delay_ms(p, retry, retry_after_ms), p->cancel,
                                 "waiting to retry", err);
}
