/* Test runner behind test.h. */
#include "test.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_TESTS 512

static struct {
    const char *name;
    i2i_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static int current_failed;
static char tmpdir[256];

void i2i_test_register(const char *name, i2i_test_fn fn)
{
    if (ntests < MAX_TESTS) {
        tests[ntests].name = name;
        tests[ntests].fn = fn;
        ntests++;
    }
}

void i2i_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    current_failed = 1;
}

int i2i_test_failed_now(void) { return current_failed; }

const char *i2i_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/i2i-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            abort();
        }
    }
    return tmpdir;
}

int i2i_test_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (!d) return -1;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void remove_tmpdir(void)
{
    if (tmpdir[0] && !getenv("I2I_KEEP_TMP")) {
        char cmd[320];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

int main(int argc, char **argv)
{
    int i, j, passed = 0, failed = 0;
    atexit(remove_tmpdir);
    for (i = 0; i < ntests; i++) {
        if (argc > 1) {
            int wanted = 0;
            for (j = 1; j < argc; j++) wanted |= strcmp(argv[j], tests[i].name) == 0;
            if (!wanted) continue;
        }
        current_failed = 0;
        tests[i].fn();
        if (current_failed) {
            failed++;
            fprintf(stderr, "[FAIL] %s\n", tests[i].name);
        } else {
            passed++;
            printf("[ ok ] %s\n", tests[i].name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
