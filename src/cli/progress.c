/* Progress reporting for the replicate command: a one-line bar on a terminal, periodic log lines
 * otherwise. Called from the engine's event hook. */
#include <stdio.h>
#include <unistd.h>

#include "progress.h"

static void human_rate(double v, char *out, size_t n)
{
    if (v >= 1e6) snprintf(out, n, "%.2fM", v / 1e6);
    else if (v >= 1e3) snprintf(out, n, "%.1fk", v / 1e3);
    else snprintf(out, n, "%.0f", v);
}

void cli_progress_init(cli_progress *p, int enabled)
{
    memset(p, 0, sizeof *p);
    p->tty = enabled && isatty(STDERR_FILENO);
    p->log_every_ns = 10 * I2I_NS_PER_S;
}

static void draw(cli_progress *p, const replicate_progress *r)
{
    double secs = (double)r->elapsed_ns / 1e9;
    double rate = secs > 0 ? (double)r->rows / secs : 0;
    int64_t total = r->windows_total > 0 ? r->windows_total : 1;
    double frac = (double)r->windows_done / (double)total;
    char rbuf[32], eta[32] = "--";
    int width = 24, filled = (int)(frac * width + 0.5), i;

    if (frac > 0.001 && frac < 1) {
        double left = secs / frac - secs;
        snprintf(eta, sizeof eta, "%dm%02ds", (int)(left / 60), (int)left % 60);
    }
    human_rate(rate, rbuf, sizeof rbuf);
    if (p->tty) {
        char bar[64];
        for (i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r[%s] %lld/%lld windows  %lld rows  %s rows/s  ETA %s   ", bar,
                (long long)r->windows_done, (long long)r->windows_total, (long long)r->rows, rbuf, eta);
        fflush(stderr);
        p->drawn = 1;
    } else {
        I2I_INFO("progress: %lld/%lld windows (%lld skipped), %lld rows, %s rows/s, ETA %s",
                 (long long)r->windows_done, (long long)r->windows_total, (long long)r->windows_skipped,
                 (long long)r->rows, rbuf, eta);
    }
}

int cli_progress_event(void *ctx, const replicate_progress *r, i2i_error *err)
{
    cli_progress *p = ctx;
    int64_t now = i2i_monotonic_ns();
    (void)err;
    switch (r->event) {
    case REPLICATE_EVENT_START:
        if (!p->tty) {
            char a[40], b[40];
            i2i_time_format_rfc3339(r->range_start, a, sizeof a);
            i2i_time_format_rfc3339(r->range_end, b, sizeof b);
            I2I_INFO("replicating [%s, %s) in %lld window(s)", a, b, (long long)r->windows_total);
        }
        break;
    case REPLICATE_EVENT_BATCH:
        if (p->tty ? now - p->last_ns < I2I_NS_PER_S / 5 : now - p->last_ns < p->log_every_ns) return 0;
        draw(p, r);
        p->last_ns = now;
        break;
    case REPLICATE_EVENT_COMMITTED:
    case REPLICATE_EVENT_SKIPPED:
        if (p->tty) {
            draw(p, r);
            p->last_ns = now;
        } else if (now - p->last_ns >= p->log_every_ns) {
            draw(p, r);
            p->last_ns = now;
        }
        break;
    case REPLICATE_EVENT_DONE:
        if (p->tty && p->drawn) fprintf(stderr, "\r\033[K");
        break;
    default:
        break;
    }
    return 0;
}

void cli_progress_clear(cli_progress *p)
{
    if (p->tty && p->drawn) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
        p->drawn = 0;
    }
}
