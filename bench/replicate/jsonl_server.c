/*
 * A stand-in InfluxDB 3 for the replicate benchmark: it answers /api/v3/query_sql from pre-rendered
 * JSON Lines, one file per day, sent with sendfile(2), so the server costs next to nothing and the
 * benchmark measures the consumer.
 *
 *   jsonl_server gen   --dir D --rows N --days K [--start 2026-01-01]
 *       writes D/day-NNN.jsonl (N/K rows each, in time order, rendered as InfluxDB 3 renders JSONL:
 *       zone-less time with 0/3/6/9 fraction digits, keys in SELECT order) and D/meta.json.
 *       Columns: time; tags host, region, dc; doubles usage_user, usage_system, usage_idle, temp,
 *       load; int64 procs; string state; boolean throttled.
 *   jsonl_server serve --dir D --port-file F [--plan-ms MS]
 *       listens on 127.0.0.1 (a free port, written to F once listening) and answers POSTed
 *       {"db","q","format":"jsonl"} queries:
 *         information_schema.columns            the schema above
 *         SELECT MIN("time") ..., MAX("time")   the data's bounds
 *         SELECT ... WHERE "time" >= 'A' AND "time" < 'B'   the day files covering [A, B); A and B
 *                                               must be day boundaries (the benchmark's 1d windows)
 *       Anything else gets 400. Keep-alive; each connection on its own thread, as a real server
 *       serves several (the client's read-ahead queries the next window on a second connection
 *       while the first one stays open). --plan-ms waits that long before answering a range
 *       query, as a real server plans and sorts before its first byte. SIGTERM stops it.
 *
 * Bench tooling, not product code.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000LL
#define DAY_NS (86400LL * NS)

/* ------------------------------------------------------------------ time */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* "YYYY-MM-DDTHH:MM:SS[.fffffffff]" zone-less, as InfluxDB 3 renders it */
static int fmt_time(int64_t ns, char *out)
{
    int64_t days = floor_div(ns, DAY_NS), rem = ns - days * DAY_NS, secs = rem / NS, frac = rem % NS;
    int y;
    unsigned m, d;
    int n;
    civil_from_days(days, &y, &m, &d);
    n = sprintf(out, "%04d-%02u-%02uT%02d:%02d:%02d", y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60),
                (int)(secs % 60));
    if (frac == 0) return n;
    if (frac % 1000000 == 0) return n + sprintf(out + n, ".%03lld", (long long)(frac / 1000000));
    if (frac % 1000 == 0) return n + sprintf(out + n, ".%06lld", (long long)(frac / 1000));
    return n + sprintf(out + n, ".%09lld", (long long)frac);
}

/* 'YYYY-MM-DDTHH:MM:SS[.f+]Z' -> ns; -1 on a syntax error */
static int parse_time(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se, n = 0;
    int64_t frac = 0, scale = 100000000;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6) return -1;
    s += n;
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++) {
            frac += (*s - '0') * scale;
            scale /= 10;
        }
    }
    if (*s != 'Z') return -1;
    *out = (days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se) * NS + frac;
    return 0;
}

/* ------------------------------------------------------------------ generation */

static const char *HOSTS_REGION[][2] = {{"us-east-1", "dc-1"}, {"us-west-2", "dc-2"}, {"eu-west-1", "dc-3"},
                                        {"eu-central-1", "dc-4"}, {"ap-south-1", "dc-5"}};
static const char *STATES[] = {"running", "idle", "busy", "degraded"};

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* a double with 3 decimals, printed in its shortest form ("47.362", "5.1", "12") */
static int fmt_milli(char *out, int64_t milli)
{
    int n = 0;
    int64_t ip, fp;
    if (milli < 0) {
        out[n++] = '-';
        milli = -milli;
    }
    ip = milli / 1000;
    fp = milli % 1000;
    n += sprintf(out + n, "%lld", (long long)ip);
    if (fp) {
        char f[8];
        int k = sprintf(f, "%03lld", (long long)fp);
        while (k > 0 && f[k - 1] == '0') f[--k] = '\0';
        n += sprintf(out + n, ".%s", f);
    } else {
        n += sprintf(out + n, ".0"); /* keep it a float in JSON ("12.0") */
    }
    return n;
}

static int generate(const char *dir, long long rows, int days, int64_t start_ns)
{
    long long per_day = rows / days, done = 0;
    int64_t step = DAY_NS / per_day;
    char path[1024], line[512];
    int k;
    FILE *meta;
    int64_t min_ns = start_ns, max_ns = start_ns;
    for (k = 0; k < days; k++) {
        long long i, n = k == days - 1 ? rows - done : per_day;
        FILE *f;
        snprintf(path, sizeof path, "%s/day-%03d.jsonl", dir, k);
        f = fopen(path, "w");
        if (!f) {
            perror(path);
            return 1;
        }
        setvbuf(f, NULL, _IOFBF, 1 << 20);
        for (i = 0; i < n; i++) {
            int64_t t = start_ns + k * DAY_NS + i * (n == per_day ? step : DAY_NS / n);
            uint64_t r = rnd();
            int host = (int)(i % 200), hr = host % 5, len = 0;
            char ts[48];
            fmt_time(t, ts);
            len += sprintf(line + len, "{\"time\":\"%s\",\"dc\":\"%s\",\"host\":\"host-%03d\",\"load\":", ts,
                           HOSTS_REGION[hr][1], host);
            len += fmt_milli(line + len, (int64_t)(r % 16000));
            len += sprintf(line + len, ",\"procs\":%d,\"region\":\"%s\",\"state\":\"%s\",\"temp\":",
                           (int)(80 + (r >> 16) % 400), HOSTS_REGION[hr][0], STATES[(r >> 24) % 4]);
            len += fmt_milli(line + len, 35000 + (int64_t)((r >> 28) % 40000));
            len += sprintf(line + len, ",\"throttled\":%s,\"usage_idle\":", (r >> 40) % 10 == 0 ? "true" : "false");
            {
                int64_t user = (int64_t)((r >> 8) % 90000), sys = (int64_t)((r >> 32) % 10000);
                len += fmt_milli(line + len, 100000 - user - sys);
                len += sprintf(line + len, ",\"usage_system\":");
                len += fmt_milli(line + len, sys);
                len += sprintf(line + len, ",\"usage_user\":");
                len += fmt_milli(line + len, user);
            }
            line[len++] = '}';
            line[len++] = '\n';
            fwrite(line, 1, (size_t)len, f);
            if (t > max_ns) max_ns = t;
        }
        done += n;
        if (fclose(f) != 0) {
            perror(path);
            return 1;
        }
    }
    snprintf(path, sizeof path, "%s/meta.json", dir);
    meta = fopen(path, "w");
    if (!meta) return 1;
    fprintf(meta, "{\"rows\":%lld,\"days\":%d,\"start_ns\":%lld,\"min_ns\":%lld,\"max_ns\":%lld}\n", rows, days,
            (long long)start_ns, (long long)min_ns, (long long)max_ns);
    fclose(meta);
    return 0;
}

/* ------------------------------------------------------------------ serving */

typedef struct server {
    const char *dir;
    int days;
    int64_t start_ns, min_ns, max_ns;
    int fds[4096];
    off_t sizes[4096];
    long plan_ms; /* wait before answering a range query (a real server plans and sorts first) */
} server;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int respond(int c, int status, const char *body)
{
    char head[256];
    size_t n = strlen(body);
    snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", status,
             status == 200 ? "OK" : "Bad Request", status == 200 ? "application/jsonl" : "text/plain", n);
    if (write_all(c, head, strlen(head)) < 0) return -1;
    return write_all(c, body, n);
}

static const char *SCHEMA =
    "{\"column_name\":\"dc\",\"data_type\":\"Dictionary(Int32, Utf8)\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"host\",\"data_type\":\"Dictionary(Int32, Utf8)\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"load\",\"data_type\":\"Float64\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"procs\",\"data_type\":\"Int64\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"region\",\"data_type\":\"Dictionary(Int32, Utf8)\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"state\",\"data_type\":\"Utf8\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"temp\",\"data_type\":\"Float64\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"throttled\",\"data_type\":\"Boolean\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"time\",\"data_type\":\"Timestamp(ns)\",\"is_nullable\":\"NO\"}\n"
    "{\"column_name\":\"usage_idle\",\"data_type\":\"Float64\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"usage_system\",\"data_type\":\"Float64\",\"is_nullable\":\"YES\"}\n"
    "{\"column_name\":\"usage_user\",\"data_type\":\"Float64\",\"is_nullable\":\"YES\"}\n";

static int serve_range(server *s, int c, const char *q)
{
    const char *a = strstr(q, "\"time\" >= '"), *b = strstr(q, "\"time\" < '");
    int64_t start, end;
    long long k0, k1, k;
    off_t total = 0;
    char head[256];
    if (!a || !b || parse_time(a + 11, &start) < 0 || parse_time(b + 10, &end) < 0)
        return respond(c, 400, "bench server: cannot read the time range");
    if ((start - s->start_ns) % DAY_NS != 0 || (end - s->start_ns) % DAY_NS != 0 || end <= start)
        return respond(c, 400, "bench server: only whole-day windows are served (use --batch-size 1d "
                               "and day-aligned --backfill-start/--backfill-end)");
    if (s->plan_ms > 0) {
        struct timespec ts = {s->plan_ms / 1000, (s->plan_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    k0 = (start - s->start_ns) / DAY_NS;
    k1 = (end - s->start_ns) / DAY_NS;
    for (k = k0; k < k1; k++)
        if (k >= 0 && k < s->days) total += s->sizes[k];
    snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/jsonl\r\nContent-Length: %lld\r\n\r\n",
             (long long)total);
    if (write_all(c, head, strlen(head)) < 0) return -1;
    for (k = k0; k < k1; k++) {
        off_t off = 0;
        if (k < 0 || k >= s->days) continue;
        while (off < s->sizes[k]) {
            ssize_t w = sendfile(c, s->fds[k], &off, (size_t)(s->sizes[k] - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return -1;
        }
    }
    return 0;
}

static int handle(server *s, int c, const char *body, size_t n)
{
    json_error_t je;
    json_t *j = json_loadb(body, n, 0, &je);
    const char *q = j ? json_string_value(json_object_get(j, "q")) : NULL;
    int rc;
    if (!q) {
        rc = respond(c, 400, "bench server: expected a JSON body with \"q\"");
    } else if (strstr(q, "information_schema.columns")) {
        rc = respond(c, 200, SCHEMA);
    } else if (strstr(q, "MIN(\"time\")") && strstr(q, "MAX(\"time\")")) {
        char a[48], b[48], out[160];
        fmt_time(s->min_ns, a);
        fmt_time(s->max_ns, b);
        snprintf(out, sizeof out, "{\"min_time\":\"%s\",\"max_time\":\"%s\"}\n", a, b);
        rc = respond(c, 200, out);
    } else if (strstr(q, " WHERE \"time\" >= '")) {
        rc = serve_range(s, c, q);
    } else {
        fprintf(stderr, "bench server: unexpected query: %s\n", q);
        rc = respond(c, 400, "bench server: unexpected query");
    }
    json_decref(j);
    return rc;
}

#define CONN_BUF (1 << 16)

static void connection(server *s, int c, char *buf)
{
    const size_t bufsz = CONN_BUF;
    size_t have = 0;
    for (;;) {
        char *end;
        size_t hlen, clen = 0;
        const char *cl;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            ssize_t r;
            if (have == bufsz) return;
            r = read(c, buf + have, bufsz - have);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return;
            have += (size_t)r;
        }
        hlen = (size_t)(end - buf) + 4;
        *end = '\0';
        cl = strcasestr(buf, "\r\nContent-Length:");
        if (cl) clen = (size_t)strtoull(cl + 17, NULL, 10);
        if (strcasestr(buf, "\r\nExpect: 100-continue") && write_all(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0) return;
        if (hlen + clen > bufsz) {
            respond(c, 400, "request too large");
            return;
        }
        while (have < hlen + clen) {
            ssize_t r = read(c, buf + have, bufsz - have);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return;
            have += (size_t)r;
        }
        if (strncmp(buf, "POST /api/v3/query_sql", 22) != 0) {
            if (respond(c, 400, "bench server: POST /api/v3/query_sql only") < 0) return;
        } else if (handle(s, c, buf + hlen, clen) < 0) {
            return;
        }
        memmove(buf, buf + hlen + clen, have - hlen - clen);
        have -= hlen + clen;
    }
}

typedef struct conn {
    server *s;
    int fd;
} conn;

static void *connection_main(void *arg)
{
    conn *k = arg;
    char *buf = malloc(CONN_BUF);
    if (buf) connection(k->s, k->fd, buf);
    free(buf);
    close(k->fd);
    free(k);
    return NULL;
}

static int serve(const char *dir, const char *port_file, long plan_ms)
{
    static server s; /* large (fd and size tables), shared by the connection threads */
    char path[1024];
    json_t *meta;
    int l, one = 1, k;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    FILE *pf;

    memset(&s, 0, sizeof s);
    s.dir = dir;
    s.plan_ms = plan_ms;
    snprintf(path, sizeof path, "%s/meta.json", dir);
    meta = json_load_file(path, 0, NULL);
    if (!meta) {
        fprintf(stderr, "bench server: no %s (run gen first)\n", path);
        return 1;
    }
    s.days = (int)json_integer_value(json_object_get(meta, "days"));
    s.start_ns = json_integer_value(json_object_get(meta, "start_ns"));
    s.min_ns = json_integer_value(json_object_get(meta, "min_ns"));
    s.max_ns = json_integer_value(json_object_get(meta, "max_ns"));
    json_decref(meta);
    if (s.days <= 0 || s.days > 4096) return 1;
    for (k = 0; k < s.days; k++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/day-%03d.jsonl", dir, k);
        s.fds[k] = open(path, O_RDONLY);
        if (s.fds[k] < 0 || fstat(s.fds[k], &st) != 0) {
            perror(path);
            return 1;
        }
        s.sizes[k] = st.st_size;
    }
    signal(SIGPIPE, SIG_IGN);
    l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 16) != 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) != 0) {
        perror("bench server: listen");
        return 1;
    }
    snprintf(path, sizeof path, "%s.tmp", port_file);
    pf = fopen(path, "w");
    if (!pf) return 1;
    fprintf(pf, "%d\n", ntohs(a.sin_port));
    fclose(pf);
    rename(path, port_file);
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR) continue;
            perror("accept");
            return 1;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        {
            /* The server state is read-only after start-up and sendfile is given its own
             * offset, so connections share it without locks. */
            conn *cn = malloc(sizeof *cn);
            pthread_t t;
            if (!cn) {
                close(c);
                continue;
            }
            cn->s = &s;
            cn->fd = c;
            if (pthread_create(&t, NULL, connection_main, cn) != 0) {
                close(c);
                free(cn);
                continue;
            }
            pthread_detach(t);
        }
    }
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *port_file = NULL, *start = "2026-01-01";
    long long rows = 0;
    long plan_ms = 0;
    int days = 0, i;
    if (argc < 2) goto usage;
    for (i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "--rows")) rows = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--days")) days = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--start")) start = argv[i + 1];
        else if (!strcmp(argv[i], "--port-file")) port_file = argv[i + 1];
        else if (!strcmp(argv[i], "--plan-ms")) plan_ms = atol(argv[i + 1]);
        else goto usage;
    }
    if (!strcmp(argv[1], "gen") && dir && rows > 0 && days > 0) {
        int y, m, d;
        if (sscanf(start, "%d-%d-%d", &y, &m, &d) != 3) goto usage;
        return generate(dir, rows, days, days_from_civil(y, (unsigned)m, (unsigned)d) * DAY_NS);
    }
    if (!strcmp(argv[1], "serve") && dir && port_file) return serve(dir, port_file, plan_ms);
usage:
    fprintf(stderr, "usage: jsonl_server gen --dir D --rows N --days K [--start YYYY-MM-DD]\n"
                    "       jsonl_server serve --dir D --port-file F [--plan-ms MS]\n");
    return 2;
}
