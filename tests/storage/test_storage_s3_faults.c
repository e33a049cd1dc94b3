/*
 * The S3 back-end against a scripted server on loopback (libmicrohttpd, in this process): what
 * moto cannot do. Each request gets the next canned reply, so 5xx and throttling replies, a part
 * upload that fails, and S3's "200 with an error inside" for CompleteMultipartUpload can be
 * staged. Proves retries with backoff on 5xx/SlowDown (and none on 403), that a failed multipart
 * upload is aborted (DELETE ?uploadId), and that x-amz-content-sha256 is the SHA-256 of the body
 * actually sent (moto does not check it).
 */
#include <microhttpd.h>
#include <stdlib.h>

#include "../../src/storage/s3_sigv4.h"
#include "../../src/storage/storage.h"
#include "test.h"

typedef struct canned {
    unsigned status;
    const char *body;
    const char *etag; /* NULL: no ETag header */
} canned;

typedef struct request_seen {
    char method[8];
    int has_upload_id; /* ?uploadId=... */
    int has_uploads;   /* ?uploads */
    size_t body_len;
} request_seen;

#define MAX_SEEN 32

static struct {
    struct MHD_Daemon *d;
    unsigned port;
    const canned *replies;
    size_t nreplies, served;
    request_seen seen[MAX_SEEN];
    int bad_payload_hash; /* requests whose x-amz-content-sha256 did not match the body */
    int unsigned_requests;
} S;

typedef struct conn_state {
    s3_sha256_ctx sha;
    size_t len;
} conn_state;

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    conn_state *cs = *con_cls;
    const canned *c;
    const char *claimed, *auth;
    uint8_t digest[32];
    char hex[65];
    struct MHD_Response *resp;
    enum MHD_Result ret;
    (void)cls;
    (void)url;
    (void)version;
    if (!cs) {
        cs = calloc(1, sizeof *cs);
        if (!cs) return MHD_NO;
        s3_sha256_init(&cs->sha);
        *con_cls = cs;
        return MHD_YES;
    }
    if (*upload_data_size) {
        s3_sha256_update(&cs->sha, upload_data, *upload_data_size);
        cs->len += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    s3_sha256_final(&cs->sha, digest);
    i2i_hex(digest, sizeof digest, hex);
    claimed = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-amz-content-sha256");
    if (!claimed || strcmp(claimed, hex) != 0) S.bad_payload_hash++;
    auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!auth || strncmp(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/", 37) != 0)
        S.unsigned_requests++;
    if (S.served < MAX_SEEN) {
        request_seen *r = &S.seen[S.served];
        snprintf(r->method, sizeof r->method, "%s", method);
        r->has_upload_id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "uploadId") != NULL;
        r->has_uploads = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "uploads") != NULL;
        r->body_len = cs->len;
    }
    c = &S.replies[S.served < S.nreplies ? S.served : S.nreplies - 1];
    S.served++;
    resp = MHD_create_response_from_buffer(strlen(c->body), (void *)c->body, MHD_RESPMEM_MUST_COPY);
    if (c->etag) MHD_add_response_header(resp, "ETag", c->etag);
    ret = MHD_queue_response(conn, c->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static storage *serve(const canned *replies, size_t n, const char *part_size)
{
    const union MHD_DaemonInfo *info;
    char endpoint[64];
    storage *s = NULL;
    i2i_error err;
    json_t *props;
    memset(&S, 0, sizeof S);
    S.replies = replies;
    S.nreplies = n;
    S.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, NULL,
                           MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!S.d) return NULL;
    info = MHD_get_daemon_info(S.d, MHD_DAEMON_INFO_BIND_PORT);
    S.port = info ? info->port : 0;
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%u", S.port);
    props = json_pack("{s:s, s:s, s:s, s:s}", "s3.endpoint", endpoint, "s3.access-key-id",
                      "AKIDTEST", "s3.secret-access-key", "test-secret", "s3.region", "us-east-1");
    if (props && part_size)
        json_object_set_new(props, "s3.multipart.part-size-bytes", json_string(part_size));
    if (!props || storage_open_for("s3://bkt/wh", props, &s, &err) != I2I_OK) s = NULL;
    json_decref(props);
    return s;
}

static void stop(storage *s)
{
    storage_close(s);
    if (S.d) MHD_stop_daemon(S.d);
    S.d = NULL;
}

TEST(server_errors_and_throttling_are_retried)
{
    static const canned r[] = {
        {503, "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>", NULL},
        {500, "<Error><Code>InternalError</Code><Message>oops</Message></Error>", NULL},
        {200, "", "\"e\""}};
    storage *s = serve(r, 3, NULL);
    i2i_error err;
    REQUIRE(s);
    CHECK_OK(storage_put(s, "s3://bkt/wh/t/metadata/v1.metadata.json", "{}", 2, &err), &err);
    CHECK_EQ_INT(S.served, 3);
    CHECK_EQ_INT(S.bad_payload_hash, 0);
    CHECK_EQ_INT(S.unsigned_requests, 0);
    stop(s);
}

TEST(access_denied_is_not_retried)
{
    static const canned r[] = {
        {403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", NULL}};
    storage *s = serve(r, 1, NULL);
    i2i_error err;
    i2i_buf out = I2I_BUF_INIT;
    REQUIRE(s);
    CHECK_EQ_INT(storage_get(s, "s3://bkt/wh/x", &out, &err), I2I_ERR_AUTH);
    CHECK(strstr(err.msg, "AccessDenied: Access Denied") != NULL);
    CHECK(strstr(err.msg, "s3://bkt/wh/x") != NULL);
    CHECK_EQ_INT(S.served, 1);
    i2i_buf_free(&out);
    stop(s);
}

static uint8_t *six_mib(void)
{
    size_t n = (size_t)6 << 20, i;
    uint8_t *b = malloc(n);
    if (b)
        for (i = 0; i < n; i++) b[i] = (uint8_t)(i * 31 + 7);
    return b;
}

TEST(a_failed_part_is_retried_and_the_upload_completes)
{
    static const canned r[] = {
        {200, "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>", NULL},
        {503, "<Error><Code>SlowDown</Code><Message>slow</Message></Error>", NULL},
        {200, "", "\"e1\""},
        {200, "", "\"e2\""},
        {200, "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>", NULL}};
    storage *s = serve(r, 5, "5242880");
    storage_writer *w = NULL;
    uint8_t *data = six_mib();
    i2i_error err;
    REQUIRE(s && data);
    REQUIRE_OK(storage_writer_open(s, "s3://bkt/wh/t/data/f.parquet", &w, &err), &err);
    REQUIRE_OK(storage_writer_write(s, w, data, (size_t)6 << 20, &err), &err);
    CHECK_OK(storage_writer_commit(s, w, &err), &err);
    CHECK_EQ_INT(S.served, 5);
    CHECK(S.seen[0].has_uploads && strcmp(S.seen[0].method, "POST") == 0);
    CHECK_EQ_INT(S.seen[2].body_len, (size_t)5 << 20); /* the retried part, whole again */
    CHECK_EQ_INT(S.seen[3].body_len, (size_t)1 << 20);
    CHECK(strcmp(S.seen[4].method, "POST") == 0 && S.seen[4].has_upload_id);
    CHECK_EQ_INT(S.bad_payload_hash, 0);
    free(data);
    stop(s);
}

TEST(a_part_that_fails_for_good_aborts_the_upload)
{
    static const canned r[] = {
        {200, "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>", NULL},
        {200, "", "\"e1\""},
        {400, "<Error><Code>InvalidArgument</Code><Message>bad part</Message></Error>", NULL},
        {204, "", NULL}};
    storage *s = serve(r, 4, "5242880");
    storage_writer *w = NULL;
    uint8_t *data = six_mib();
    i2i_error err;
    REQUIRE(s && data);
    REQUIRE_OK(storage_writer_open(s, "s3://bkt/wh/t/data/f.parquet", &w, &err), &err);
    REQUIRE_OK(storage_writer_write(s, w, data, (size_t)6 << 20, &err), &err);
    CHECK_EQ_INT(storage_writer_commit(s, w, &err), I2I_ERR_HTTP);
    CHECK(strstr(err.msg, "InvalidArgument") != NULL);
    CHECK_EQ_INT(S.served, 4);
    CHECK(strcmp(S.seen[3].method, "DELETE") == 0 && S.seen[3].has_upload_id);
    free(data);
    stop(s);
}

TEST(complete_answering_200_with_an_error_fails_and_aborts)
{
    static const canned r[] = {
        {200, "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>", NULL},
        {200, "", "\"e1\""},
        {200, "", "\"e2\""},
        {200, "<Error><Code>InternalError</Code><Message>try again</Message></Error>", NULL},
        {204, "", NULL}};
    storage *s = serve(r, 5, "5242880");
    storage_writer *w = NULL;
    uint8_t *data = six_mib();
    i2i_error err;
    REQUIRE(s && data);
    REQUIRE_OK(storage_writer_open(s, "s3://bkt/wh/t/data/f.parquet", &w, &err), &err);
    REQUIRE_OK(storage_writer_write(s, w, data, (size_t)6 << 20, &err), &err);
    CHECK(storage_writer_commit(s, w, &err) != I2I_OK);
    CHECK(strstr(err.msg, "InternalError") != NULL);
    CHECK_EQ_INT(S.served, 5);
    CHECK(strcmp(S.seen[4].method, "DELETE") == 0 && S.seen[4].has_upload_id);
    free(data);
    stop(s);
}
