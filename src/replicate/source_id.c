/* Identity of a replication stream: which server, database, measurement and column selection.
 * Two runs with the same identity share committed ranges; anything else is a different stream. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "replicate.h"

/* FNV-1a, 64 bit: small, stable across platforms; collisions only matter between streams that
 * write into the same table. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    h = fnv1a(h, s, strlen(s));
    return fnv1a(h, "", 1); /* separator, so ("ab","c") != ("a","bc") */
}

/* scheme://[user@]host[:port]/path -> lower-cased scheme and host, no user info, no trailing '/'.
 * Credentials never enter the id, and "HTTP://Host/" equals "http://host". */
static void normalize_host(const char *url, char *out, size_t outsz)
{
    const char *p = strstr(url, "://"), *host, *at, *slash;
    size_t n = 0, i;
    if (!p) p = url;
    else p += 3;
    for (i = 0; url + i < p && n + 1 < outsz; i++) out[n++] = (char)tolower((unsigned char)url[i]);
    slash = strchr(p, '/');
    at = strchr(p, '@');
    host = (at && (!slash || at < slash)) ? at + 1 : p;
    for (; *host && host != slash && n + 1 < outsz; host++) out[n++] = (char)tolower((unsigned char)*host);
    for (; slash && *slash && n + 1 < outsz; slash++) out[n++] = *slash;
    while (n > 0 && out[n - 1] == '/') n--;
    out[n] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint64_t mix_list(uint64_t h, const char *tag, char **list)
{
    size_t n = 0, i;
    char **sorted;
    h = mix_str(h, tag);
    if (!list) return h;
    while (list[n]) n++;
    sorted = malloc(n * sizeof *sorted + 1);
    if (!sorted) {
        for (i = 0; i < n; i++) h = mix_str(h, list[i]);
        return h;
    }
    memcpy(sorted, list, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_str);
    for (i = 0; i < n; i++) h = mix_str(h, sorted[i]);
    free(sorted);
    return h;
}

void replicate_source_id(const replicate_job *job, char out[17])
{
    char host[1024];
    uint64_t h = UINT64_C(14695981039346656037);
    normalize_host(job->host ? job->host : "", host, sizeof host);
    h = mix_str(h, host);
    h = mix_str(h, job->database ? job->database : "");
    h = mix_str(h, job->measurement ? job->measurement : "");
    h = mix_list(h, "include", job->included);
    h = mix_list(h, "exclude", job->excluded);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void replicate_ranges_property(const char *source_id, char *out, size_t outsz)
{
    snprintf(out, outsz, "influx2iceberg.ranges.%s", source_id);
}
