/* Progress bar / periodic log lines for the replicate command. */
#ifndef I2I_CLI_PROGRESS_H
#define I2I_CLI_PROGRESS_H

#include "../replicate/replicate.h"

typedef struct cli_progress {
    int tty;
    int drawn;
    int64_t last_ns;
    int64_t log_every_ns;
} cli_progress;

void cli_progress_init(cli_progress *p, int enabled);
int cli_progress_event(void *ctx, const replicate_progress *r, i2i_error *err);
void cli_progress_clear(cli_progress *p);

#endif
