/*
 * A tiny test harness: TEST(name) { ... CHECK(...); } and a main() that runs every test in the
 * file (or the ones named on the command line) and ends with "N passed, N failed".
 * A failed CHECK records file:line and the expression and keeps going in the same test;
 * REQUIRE stops the test.
 */
#ifndef I2I_TEST_H
#define I2I_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*i2i_test_fn)(void);
void i2i_test_register(const char *name, i2i_test_fn fn);
void i2i_test_fail(const char *file, int line, const char *fmt, ...);
int i2i_test_failed_now(void);
/* A fresh empty directory for this test process (removed at exit unless I2I_KEEP_TMP is set). */
const char *i2i_test_tmpdir(void);
/* Entries of a local directory other than . and .., hidden ones included; -1 if it cannot be
 * opened. */
int i2i_test_count_entries(const char *dir);

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void register_##name(void)                                 \
    {                                                                                              \
        i2i_test_register(#name, test_##name);                                                     \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) i2i_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                        \
    } while (0)

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            i2i_test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);                               \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) i2i_test_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, a_, b_); \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                                     \
            i2i_test_fail(__FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", #a, #b,               \
                          a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                 \
    } while (0)

#define CHECK_EQ_MEM(a, b, n)                                                                      \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0)                                                            \
            i2i_test_fail(__FILE__, __LINE__, "memcmp(%s, %s, %s) != 0", #a, #b, #n);              \
    } while (0)

/* Check a status is I2I_OK; print the error message otherwise. */
#define CHECK_OK(expr, errp)                                                                       \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != 0)                                                                              \
            i2i_test_fail(__FILE__, __LINE__, "%s failed: %d %s", #expr, rc_, (errp)->msg);        \
    } while (0)

#define REQUIRE_OK(expr, errp)                                                                     \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != 0) {                                                                            \
            i2i_test_fail(__FILE__, __LINE__, "%s failed: %d %s", #expr, rc_, (errp)->msg);        \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
