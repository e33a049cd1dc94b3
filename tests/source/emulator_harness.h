/*
 * Spawn the InfluxDB 3 emulator (tests/emulator/influxdb3_emulator.py) on a random free port for
 * one test process, and make sure it dies on every exit path:
 *   - emu_stop() (SIGTERM, then SIGKILL after 3 s) from the test;
 *   - an atexit handler and SIGINT/SIGTERM/SIGHUP handlers for early returns and interrupts;
 *   - PR_SET_PDEATHSIG in the child for crashes (ASan abort, segfault, SIGKILL of the test).
 * The emulator's stderr goes to <tmpdir>/emulator-<n>.log and is printed when start fails.
 */
#ifndef I2I_TEST_EMULATOR_HARNESS_H
#define I2I_TEST_EMULATOR_HARNESS_H

#include <sys/types.h>

#include "util/util.h"

typedef struct emu {
    pid_t pid;
    int port;
    char url[64];      /* http://127.0.0.1:<port> */
    char log[512];     /* emulator stderr */
} emu;

/* Start with extra command-line arguments (NULL-terminated list, may be NULL), e.g.
 * {"--token", "T", NULL} or {"--no-auth", NULL}. 0 on success; -1 (reason on stderr). */
int emu_start(emu *e, const char *const *args);
void emu_stop(emu *e);

/* Call the emulator's control API (/_emulator/fault, /_emulator/config, /_emulator/stats,
 * /_emulator/reset). body may be NULL. Returns the HTTP status (or -1); out (may be NULL)
 * receives the body. */
long emu_admin(const emu *e, const char *method, const char *path, const char *body, i2i_buf *out);

/* Number of requests the emulator saw for "METHOD /path" since the last stats reset, or -1. */
long emu_request_count(const emu *e, const char *method_path);

#endif
