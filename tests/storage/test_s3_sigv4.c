/* The SigV4 signer against AWS's published S3 examples (the "Signature Calculations for the
 * Authorization Header" examples: example credentials, 2013-05-24, bucket examplebucket), and
 * SHA-256 / HMAC-SHA256 against FIPS 180-2 and RFC 4231 vectors. */
#include <stdlib.h>

#include "test.h"

#include "../../src/storage/s3_sigv4.h"
#include "../../src/http/http.h"

static const char *AKID = "AKIAIOSFODNN7EXAMPLE";
static const char *SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
static const char *EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(sha256_vectors)
{
    char hex[65];
    s3_sha256_hex("abc", 3, hex);
    CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    s3_sha256_hex("", 0, hex);
    CHECK_EQ_STR(hex, EMPTY_SHA);
    s3_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    CHECK_EQ_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(sha256_streaming_matches_one_shot)
{
    static uint8_t data[1000];
    uint8_t a[32], b[32];
    s3_sha256_ctx c;
    size_t i;
    for (i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7);
    s3_sha256(data, sizeof data, a);
    s3_sha256_init(&c);
    for (i = 0; i < sizeof data; i += 13)
        s3_sha256_update(&c, data + i, sizeof data - i < 13 ? sizeof data - i : 13);
    s3_sha256_final(&c, b);
    CHECK_EQ_MEM(a, b, 32);
}

TEST(hmac_rfc4231_case2)
{
    uint8_t mac[32];
    char hex[65];
    s3_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    i2i_hex(mac, 32, hex);
    CHECK_EQ_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static char *sign(const char *method, const char *path, const s3_sig_pair *q, size_t nq,
                  const s3_sig_pair *h, size_t nh, const char *payload)
{
    s3_sig_request r;
    i2i_buf out = I2I_BUF_INIT;
    i2i_error err;
    memset(&r, 0, sizeof r);
    r.method = method;
    r.path = path;
    r.query = q;
    r.nquery = nq;
    r.headers = h;
    r.nheaders = nh;
    r.payload_hash = payload;
    r.amz_date = "20130524T000000Z";
    r.region = "us-east-1";
    r.service = "s3";
    r.access_key_id = AKID;
    r.secret_access_key = SECRET;
    if (s3_sigv4_authorization(&r, &out, NULL, &err) != I2I_OK) {
        i2i_buf_free(&out);
        return NULL;
    }
    return i2i_buf_cstr(&out);
}

TEST(aws_example_get_object)
{
    /* Header names in any case and order: the signer lower-cases and sorts them. */
    s3_sig_pair h[] = {{"x-amz-date", "20130524T000000Z"},
                       {"Range", "bytes=0-9"},
                       {"Host", "examplebucket.s3.amazonaws.com"},
                       {"x-amz-content-sha256", EMPTY_SHA}};
    char *a = sign("GET", "/test.txt", NULL, 0, h, 4, EMPTY_SHA);
    CHECK_EQ_STR(a, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                    "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    free(a);
}

TEST(aws_example_put_object)
{
    const char *payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    char hex[65];
    s3_sig_pair h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                       {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                       {"x-amz-date", "20130524T000000Z"},
                       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                       {"x-amz-content-sha256", payload}};
    i2i_buf path = I2I_BUF_INIT;
    char *a;
    s3_sha256_hex("Welcome to Amazon S3.", 21, hex);
    CHECK_EQ_STR(hex, payload);
    /* The key "test$file.text": '$' is percent-encoded in the path. */
    REQUIRE(i2i_buf_append_str(&path, "/") == I2I_OK);
    REQUIRE(http_escape(&path, "test$file.text", 1) == I2I_OK);
    CHECK_EQ_STR(i2i_buf_cstr(&path), "/test%24file.text");
    a = sign("PUT", i2i_buf_cstr(&path), NULL, 0, h, 5, payload);
    CHECK(a && strstr(a, "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
                         "x-amz-storage-class, "));
    CHECK(a && strstr(a, "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
    free(a);
    i2i_buf_free(&path);
}

TEST(aws_example_get_bucket_lifecycle)
{
    s3_sig_pair q[] = {{"lifecycle", ""}};
    s3_sig_pair h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                       {"x-amz-date", "20130524T000000Z"},
                       {"x-amz-content-sha256", EMPTY_SHA}};
    char *a = sign("GET", "/", q, 1, h, 3, EMPTY_SHA);
    CHECK(a && strstr(a, "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
    free(a);
}

TEST(aws_example_list_objects)
{
    /* Query parameters given out of order: the signer sorts them. */
    s3_sig_pair q[] = {{"prefix", "J"}, {"max-keys", "2"}};
    s3_sig_pair h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                       {"x-amz-date", "20130524T000000Z"},
                       {"x-amz-content-sha256", EMPTY_SHA}};
    char *a = sign("GET", "/", q, 2, h, 3, EMPTY_SHA);
    CHECK(a && strstr(a, "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
    free(a);
}

TEST(canonical_request_shape)
{
    s3_sig_request r;
    s3_sig_pair q[] = {{"uploadId", "a b/c"}, {"partNumber", "1"}};
    s3_sig_pair h[] = {{"host", "h:9000"}, {"x-amz-date", "  20130524T000000Z  "}};
    i2i_buf out = I2I_BUF_INIT, canon = I2I_BUF_INIT;
    i2i_error err;
    memset(&r, 0, sizeof r);
    r.method = "PUT";
    r.path = "/b/k";
    r.query = q;
    r.nquery = 2;
    r.headers = h;
    r.nheaders = 2;
    r.payload_hash = "UNSIGNED-PAYLOAD";
    r.amz_date = "20130524T000000Z";
    r.region = "r";
    r.service = "s3";
    r.access_key_id = "k";
    r.secret_access_key = "s";
    REQUIRE_OK(s3_sigv4_authorization(&r, &out, &canon, &err), &err);
    CHECK_EQ_STR(i2i_buf_cstr(&canon), "PUT\n/b/k\npartNumber=1&uploadId=a%20b%2Fc\n"
                                       "host:h:9000\nx-amz-date:20130524T000000Z\n\n"
                                       "host;x-amz-date\nUNSIGNED-PAYLOAD");
    r.amz_date = "2013-05-24";
    CHECK_EQ_INT(s3_sigv4_authorization(&r, &out, NULL, &err), I2I_ERR_INVALID);
    i2i_buf_free(&out);
    i2i_buf_free(&canon);
}

/* The whole-request signer reproduces AWS's GET object example from the URL alone (host from the
 * URL, the empty body's hash, the date from the time given), with Range as an extra header. */
TEST(sign_http_aws_example_get_object)
{
    sigv4_signer sg;
    s3_sig_pair range = {"Range", "bytes=0-9"};
    http_headers *h = NULL;
    i2i_buf canon = I2I_BUF_INIT;
    i2i_error err;
    memset(&sg, 0, sizeof sg);
    sg.region = "us-east-1";
    sg.service = "s3";
    sg.access_key_id = AKID;
    sg.secret_access_key = SECRET;
    REQUIRE_OK(sigv4_sign_http(&sg, "GET", "https://examplebucket.s3.amazonaws.com:443/test.txt",
                               &range, 1, NULL, 0, 1369353600, &h, &canon, &err),
               &err);
    CHECK_EQ_STR(i2i_buf_cstr(&canon),
                 "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                 "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                 "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    http_headers_free(h);
    i2i_buf_free(&canon);
}

/* Non-S3 services (a REST catalog behind API Gateway, Glue) sign the path encoded once more; the
 * query is decoded from the URL and encoded canonically; the session token and Content-Type are
 * signed; the port stays in host when it is not the scheme's default. */
TEST(sign_http_rest_canonical_request)
{
    sigv4_signer sg;
    s3_sig_pair ct = {"Content-Type", "application/json"};
    http_headers *h = NULL;
    i2i_buf canon = I2I_BUF_INIT;
    char body_hash[65], *want;
    i2i_error err;
    memset(&sg, 0, sizeof sg);
    sg.region = "eu-west-1";
    sg.service = "execute-api";
    sg.access_key_id = "AKID";
    sg.secret_access_key = "SECRET";
    sg.session_token = "TOKEN-1";
    sg.double_encode_path = 1;
    s3_sha256_hex("{}", 2, body_hash);
    REQUIRE_OK(sigv4_sign_http(&sg, "POST",
                               "http://127.0.0.1:8181/v1/p/namespaces/a%1Fb/tables?x=1%2F2&a=b", &ct,
                               1, "{}", 2, 1369353600, &h, &canon, &err),
               &err);
    want = NULL;
    {
        i2i_buf w = I2I_BUF_INIT;
        REQUIRE(i2i_buf_printf(&w,
                               "POST\n/v1/p/namespaces/a%%251Fb/tables\na=b&x=1%%2F2\n"
                               "content-type:application/json\nhost:127.0.0.1:8181\n"
                               "x-amz-content-sha256:%s\nx-amz-date:20130524T000000Z\n"
                               "x-amz-security-token:TOKEN-1\n\n"
                               "content-type;host;x-amz-content-sha256;x-amz-date;"
                               "x-amz-security-token\n%s",
                               body_hash, body_hash) == I2I_OK);
        want = i2i_buf_cstr(&w);
    }
    CHECK_EQ_STR(i2i_buf_cstr(&canon), want);
    free(want);
    http_headers_free(h);
    h = NULL;
    i2i_buf_free(&canon);
    CHECK_EQ_INT(sigv4_sign_http(&sg, "GET", "no-scheme", NULL, 0, NULL, 0, 0, &h, NULL, &err),
                 I2I_ERR_INVALID);
    http_headers_free(h);
}
