/* TOML reader: every construct the config files use, the upstream plugin's scheduler template,
 * and malformed inputs whose messages must point at the right line and column. */
#include <math.h>
#include <stdlib.h>

#include "test.h"
#include "util/toml.h"

static json_t *parse_ok(const char *text)
{
    i2i_error err = {0};
    json_t *doc = NULL;
    int rc = toml_parse(text, strlen(text), &doc, &err);
    if (rc != I2I_OK) i2i_test_fail(__FILE__, __LINE__, "parse failed: %s\n--- input:\n%s", err.msg, text);
    return doc;
}

/* The input must fail with a message that starts with `where` ("line L, column C:") and
 * contains `what`. */
#define EXPECT_ERR(text, where, what) expect_err(__LINE__, text, strlen(text), where, what)
static void expect_err(int line, const char *text, size_t len, const char *where, const char *what)
{
    i2i_error err = {0};
    json_t *doc = NULL;
    int rc = toml_parse(text, len, &doc, &err);
    if (rc == I2I_OK) {
        i2i_test_fail(__FILE__, line, "accepted malformed input: %s", text);
        json_decref(doc);
        return;
    }
    if (rc != I2I_ERR_FORMAT || strncmp(err.msg, where, strlen(where)) != 0 || !strstr(err.msg, what))
        i2i_test_fail(__FILE__, line, "wanted '%s ... %s', got %d '%s'", where, what, rc, err.msg);
    if (doc) i2i_test_fail(__FILE__, line, "output set on failure");
}

static const char *str_at(json_t *doc, const char *path)
{
    /* path is dot-separated object keys; array indices as "#n" */
    char buf[256];
    json_t *v = doc;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "/"); tok && v; tok = strtok(NULL, "/"))
        v = tok[0] == '#' ? json_array_get(v, (size_t)atoi(tok + 1)) : json_object_get(v, tok);
    return json_string_value(v);
}

static json_t *at(json_t *doc, const char *path)
{
    char buf[256];
    json_t *v = doc;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "/"); tok && v; tok = strtok(NULL, "/"))
        v = tok[0] == '#' ? json_array_get(v, (size_t)atoi(tok + 1)) : json_object_get(v, tok);
    return v;
}

TEST(comments_and_bare_quoted_dotted_keys)
{
    json_t *d = parse_ok("# top\n"
                         "  a = 1 # trailing\n"
                         "bare_key-1 = 2\n"
                         "\"quoted key\" = 3\n"
                         "'lit.key' = 4\n"
                         "\"s3.endpoint\" = \"x\"\n"
                         "t.\"s3.region\" = 5\n"
                         "t . inner . z = 6\n"
                         "\"\" = 7\n"
                         "1234 = 8\n"
                         "\t\n#\tlast comment");
    REQUIRE(d);
    CHECK_EQ_INT(json_integer_value(at(d, "a")), 1);
    CHECK_EQ_INT(json_integer_value(at(d, "bare_key-1")), 2);
    CHECK_EQ_INT(json_integer_value(at(d, "quoted key")), 3);
    CHECK_EQ_INT(json_integer_value(at(d, "lit.key")), 4);
    CHECK_EQ_STR(str_at(d, "s3.endpoint"), "x"); /* one key holding a dot */
    CHECK(json_object_get(d, "s3") == NULL);
    CHECK_EQ_INT(json_integer_value(at(d, "t/s3.region")), 5);
    CHECK_EQ_INT(json_integer_value(at(d, "t/inner/z")), 6);
    CHECK_EQ_INT(json_integer_value(json_object_get(d, "")), 7);
    CHECK_EQ_INT(json_integer_value(at(d, "1234")), 8);
    CHECK_EQ_INT(json_object_size(d), 8);
    json_decref(d);
}

TEST(basic_strings_and_escapes)
{
    json_t *d = parse_ok("a = \"tab\\there\\\\ \\\"q\\\" \\b\\f\\r\\n\"\n"
                         "u = \"\\u00e9\\U0001F600\\u0041\"\n"
                         "z = \"nul\\u0000in\"\n"
                         "utf = \"caf\xc3\xa9 \xe2\x82\xac\"\n"
                         "lit = 'C:\\Users\\nodoubt \"x\"'\n"
                         "empty = \"\"\n"
                         "empty_lit = ''\n");
    REQUIRE(d);
    CHECK_EQ_STR(str_at(d, "a"), "tab\there\\ \"q\" \b\f\r\n");
    CHECK_EQ_STR(str_at(d, "u"), "\xc3\xa9\xf0\x9f\x98\x80" "A");
    CHECK_EQ_INT(json_string_length(at(d, "z")), 6);
    CHECK_EQ_MEM(json_string_value(at(d, "z")), "nul\0in", 6);
    CHECK_EQ_STR(str_at(d, "utf"), "caf\xc3\xa9 \xe2\x82\xac");
    CHECK_EQ_STR(str_at(d, "lit"), "C:\\Users\\nodoubt \"x\"");
    CHECK_EQ_STR(str_at(d, "empty"), "");
    CHECK_EQ_STR(str_at(d, "empty_lit"), "");
    json_decref(d);
}

TEST(multiline_strings)
{
    json_t *d = parse_ok("a = \"\"\"\nRoses\nViolets\"\"\"\n"
                         "b = \"\"\"\\\n   The quick \\\n\n   brown \\   \r\n  fox.\\\n   \"\"\"\n"
                         "c = \"\"\"two quotes \"\" inside, one at end\"\"\"\"\n"
                         "d = \"\"\"\"\"x\"\"\"\"\"\n"
                         "e = '''\nraw \\n text\n  kept '''\n"
                         "f = ''''quoted'''' \n"
                         "g = \"\"\"crlf\r\nline\"\"\"\n"
                         "h = \"\"\"\"\"\"\n");
    REQUIRE(d);
    CHECK_EQ_STR(str_at(d, "a"), "Roses\nViolets");
    CHECK_EQ_STR(str_at(d, "b"), "The quick brown fox.");
    CHECK_EQ_STR(str_at(d, "c"), "two quotes \"\" inside, one at end\"");
    CHECK_EQ_STR(str_at(d, "d"), "\"\"x\"\"");
    CHECK_EQ_STR(str_at(d, "e"), "raw \\n text\n  kept ");
    CHECK_EQ_STR(str_at(d, "f"), "'quoted'");
    CHECK_EQ_STR(str_at(d, "g"), "crlf\nline");
    CHECK_EQ_STR(str_at(d, "h"), "");
    json_decref(d);
}

TEST(integers)
{
    json_t *d = parse_ok("a = 99\nb = +17\nc = -5\nd = 0\ne = -0\nf = 1_000_000\n"
                         "g = 0xDEAD_beef\nh = 0o755\ni = 0b1101_0110\n"
                         "max = 9223372036854775807\nmin = -9223372036854775808\n"
                         "hmax = 0x7FFFFFFFFFFFFFFF\n");
    REQUIRE(d);
    CHECK_EQ_INT(json_integer_value(at(d, "a")), 99);
    CHECK_EQ_INT(json_integer_value(at(d, "b")), 17);
    CHECK_EQ_INT(json_integer_value(at(d, "c")), -5);
    CHECK(json_is_integer(at(d, "d")) && json_integer_value(at(d, "e")) == 0);
    CHECK_EQ_INT(json_integer_value(at(d, "f")), 1000000);
    CHECK_EQ_INT(json_integer_value(at(d, "g")), 0xDEADBEEF);
    CHECK_EQ_INT(json_integer_value(at(d, "h")), 0755);
    CHECK_EQ_INT(json_integer_value(at(d, "i")), 0xD6);
    CHECK(json_integer_value(at(d, "max")) == INT64_MAX);
    CHECK(json_integer_value(at(d, "min")) == INT64_MIN);
    CHECK(json_integer_value(at(d, "hmax")) == INT64_MAX);
    json_decref(d);
}

TEST(floats_and_booleans)
{
    json_t *d = parse_ok("a = 1.0\nb = +3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\nf = -2E-2\n"
                         "g = 6.626e-34\nh = 224_617.445_991\ni = 1e1_0\nj = -0.0\n"
                         "t = true\nu = false\n");
    REQUIRE(d);
    CHECK(json_is_real(at(d, "a")) && json_real_value(at(d, "a")) == 1.0);
    CHECK(json_real_value(at(d, "b")) == 3.1415);
    CHECK(json_real_value(at(d, "c")) == -0.01);
    CHECK(json_real_value(at(d, "d")) == 5e22);
    CHECK(json_real_value(at(d, "e")) == 1e6);
    CHECK(json_real_value(at(d, "f")) == -2e-2);
    CHECK(json_real_value(at(d, "g")) == 6.626e-34);
    CHECK(json_real_value(at(d, "h")) == 224617.445991);
    CHECK(json_real_value(at(d, "i")) == 1e10);
    CHECK(json_real_value(at(d, "j")) == 0.0 && signbit(json_real_value(at(d, "j"))));
    CHECK(json_is_true(at(d, "t")) && json_is_false(at(d, "u")));
    json_decref(d);
}

TEST(arrays_and_inline_tables)
{
    json_t *d = parse_ok("a = [ 1, 2, 3 ]\n"
                         "b = [\n  \"x\", # comment\n\n  'y',\n]\n"
                         "c = [ [1, 2], [\"a\", 'b'], [] ]\n"
                         "mixed = [ 1, \"two\", 3.0, true, {k = 1} ]\n"
                         "empty = []\n"
                         "p = { x = 1, y = \"two\", n.o = 3, \"q.r\" = 4 }\n"
                         "e = {}\n"
                         "nest = { a = { b = [ {c = 1} ] } }\n");
    REQUIRE(d);
    CHECK_EQ_INT(json_array_size(at(d, "a")), 3);
    CHECK_EQ_INT(json_integer_value(at(d, "a/#2")), 3);
    CHECK_EQ_STR(str_at(d, "b/#1"), "y");
    CHECK_EQ_INT(json_array_size(at(d, "b")), 2);
    CHECK_EQ_STR(str_at(d, "c/#1/#1"), "b");
    CHECK_EQ_INT(json_array_size(at(d, "c/#2")), 0);
    CHECK(json_is_true(at(d, "mixed/#3")));
    CHECK_EQ_INT(json_integer_value(at(d, "mixed/#4/k")), 1);
    CHECK(json_is_array(at(d, "empty")));
    CHECK_EQ_STR(str_at(d, "p/y"), "two");
    CHECK_EQ_INT(json_integer_value(at(d, "p/n/o")), 3);
    CHECK_EQ_INT(json_integer_value(at(d, "p/q.r")), 4);
    CHECK(json_is_object(at(d, "e")) && json_object_size(at(d, "e")) == 0);
    CHECK_EQ_INT(json_integer_value(at(d, "nest/a/b/#0/c")), 1);
    json_decref(d);
}

TEST(tables_and_arrays_of_tables)
{
    json_t *d = parse_ok("top = 0\n"
                         "[server]\nhost = \"h\"\n"
                         "[server.tls]\non = true\n"
                         "[ \"quoted.table\" . sub ]\nk = 1\n"
                         "[x.y.z]\nv = 1\n"
                         "[x]\nw = 2\n" /* a super-table after its sub-table is allowed */
                         "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n"
                         "[fruit.apple.texture]\nsmooth = true\n" /* sub-table of a dotted one */
                         "[[products]]\nname = \"Hammer\"\n"
                         "[[products]]\n"
                         "[[products]]\nname = \"Nail\"\n"
                         "[[fruits]]\nname = \"apple\"\n[fruits.physical]\ncolor = \"red\"\n"
                         "[[fruits.varieties]]\nname = \"red delicious\"\n"
                         "[[fruits.varieties]]\nname = \"granny smith\"\n"
                         "[[fruits]]\nname = \"banana\"\n"
                         "[[fruits.varieties]]\nname = \"plantain\"\n");
    REQUIRE(d);
    CHECK_EQ_INT(json_integer_value(at(d, "top")), 0);
    CHECK_EQ_STR(str_at(d, "server/host"), "h");
    CHECK(json_is_true(at(d, "server/tls/on")));
    CHECK_EQ_INT(json_integer_value(at(d, "quoted.table/sub/k")), 1);
    CHECK_EQ_INT(json_integer_value(at(d, "x/y/z/v")), 1);
    CHECK_EQ_INT(json_integer_value(at(d, "x/w")), 2);
    CHECK_EQ_STR(str_at(d, "fruit/apple/color"), "red");
    CHECK(json_is_true(at(d, "fruit/apple/taste/sweet")));
    CHECK(json_is_true(at(d, "fruit/apple/texture/smooth")));
    CHECK_EQ_INT(json_array_size(at(d, "products")), 3);
    CHECK_EQ_STR(str_at(d, "products/#0/name"), "Hammer");
    CHECK_EQ_INT(json_object_size(at(d, "products/#1")), 0);
    CHECK_EQ_STR(str_at(d, "products/#2/name"), "Nail");
    CHECK_EQ_INT(json_array_size(at(d, "fruits")), 2);
    CHECK_EQ_STR(str_at(d, "fruits/#0/physical/color"), "red");
    CHECK_EQ_STR(str_at(d, "fruits/#0/varieties/#1/name"), "granny smith");
    CHECK_EQ_STR(str_at(d, "fruits/#1/varieties/#0/name"), "plantain");
    CHECK_EQ_INT(json_array_size(at(d, "fruits/#1/varieties")), 1);
    json_decref(d);
}

TEST(crlf_bom_and_empty)
{
    json_t *d = parse_ok("\xEF\xBB\xBF" "a = 1\r\n[t]\r\nb = 'x'\r\n");
    REQUIRE(d);
    CHECK_EQ_INT(json_integer_value(at(d, "a")), 1);
    CHECK_EQ_STR(str_at(d, "t/b"), "x");
    json_decref(d);
    d = parse_ok("");
    CHECK(d && json_object_size(d) == 0);
    json_decref(d);
    d = parse_ok("\n\n   # only a comment\n");
    CHECK(d && json_object_size(d) == 0);
    json_decref(d);
}

/* The upstream plugin's scheduler template, parsed from the file itself: every active line must
 * come through with its value and type. */
TEST(plugin_scheduler_template)
{
#ifdef I2I_TOML_TEMPLATE
    i2i_error err = {0};
    json_t *d = NULL;
    REQUIRE_OK(toml_parse_file(I2I_TOML_TEMPLATE, &d, &err), &err);
    CHECK_EQ_STR(str_at(d, "measurement"), "your_measurement");
    CHECK_EQ_STR(str_at(d, "window"), "your_window");
    /* the optional parameters are commented out in the template */
    CHECK(!at(d, "included_fields") && !at(d, "excluded_fields") && !at(d, "namespace"));
    CHECK(!at(d, "table_name") && !at(d, "auto_update_schema"));
    CHECK_EQ_INT(json_object_size(d), 3);
    json_t *c = at(d, "catalog_configs");
    REQUIRE(json_is_object(c));
    CHECK_EQ_STR(str_at(c, "type"), "your_catalog_type");
    CHECK_EQ_STR(str_at(c, "uri"), "your_catalog_uri");
    CHECK_EQ_STR(str_at(c, "warehouse"), "your_warehouse_path");
    CHECK_EQ_STR(str_at(c, "s3.endpoint"), "your_s3_endpoint");
    CHECK_EQ_STR(str_at(c, "s3.region"), "your_s3_region");
    CHECK(json_is_true(at(c, "s3.path-style-access")));
    CHECK_EQ_STR(str_at(c, "s3.access-key-id"), "your_access_key");
    CHECK_EQ_STR(str_at(c, "s3.secret-access-key"), "your_secret_key");
    CHECK_EQ_STR(str_at(c, "supportedAPIVersion"), "your_api_version");
    CHECK_EQ_INT(json_object_size(c), 9);
    json_decref(d);
#else
    fprintf(stderr, "note: plugin template not found at configure time (I2I_PLUGIN_SEED_DIR)\n");
#endif
}

/* The template's commented-out lines, uncommented, must parse to what they say. */
TEST(plugin_template_optional_lines)
{
    json_t *d = parse_ok(
        "included_fields = [\"field1\", \"field2\", \"tag1\"]  # e.g., [\"temp\", \"hum\", \"sensor_id\"]\n"
        "excluded_fields = [\"field3\", \"field4\", \"tag2\"]\n"
        "namespace = \"your_namespace\"  # e.g., \"analytics\", \"production\"\n"
        "table_name = \"your_table_name\"\n"
        "auto_update_schema = false  # e.g., true to enable automatic schema updates\n");
    REQUIRE(d);
    CHECK_EQ_STR(str_at(d, "included_fields/#2"), "tag1");
    CHECK_EQ_STR(str_at(d, "excluded_fields/#0"), "field3");
    CHECK_EQ_STR(str_at(d, "namespace"), "your_namespace");
    CHECK_EQ_STR(str_at(d, "table_name"), "your_table_name");
    CHECK(json_is_false(at(d, "auto_update_schema")));
    json_decref(d);
}

TEST(file_errors_name_the_path)
{
    i2i_error err = {0};
    json_t *d = NULL;
    char path[512];
    CHECK_EQ_INT(toml_parse_file("/nonexistent/x.toml", &d, &err), I2I_ERR_IO);
    CHECK(strstr(err.msg, "/nonexistent/x.toml") != NULL);
    snprintf(path, sizeof path, "%s/bad.toml", i2i_test_tmpdir());
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fputs("a = 1\nb = \n", f);
    fclose(f);
    CHECK_EQ_INT(toml_parse_file(path, &d, &err), I2I_ERR_FORMAT);
    CHECK(strstr(err.msg, path) == err.msg);
    CHECK(strstr(err.msg, "line 2, column 5: expected a value") != NULL);
    CHECK(d == NULL);
}

TEST(malformed_keys_and_lines)
{
    EXPECT_ERR("a = 1\nb 2\n", "line 2, column 3:", "expected '=' after key");
    EXPECT_ERR("= 1\n", "line 1, column 1:", "where a key was expected");
    EXPECT_ERR("a.= 1\n", "line 1, column 3:", "where a key was expected");
    EXPECT_ERR("a = \n", "line 1, column 5:", "expected a value");
    EXPECT_ERR("a = 1 b = 2\n", "line 1, column 7:", "expected the end of the line");
    EXPECT_ERR("a = 1\na = 2\n", "line 2, column 1:", "duplicate key 'a'");
    EXPECT_ERR("x.y = 1\nx.y = 2\n", "line 2, column 3:", "duplicate key 'x.y'");
    EXPECT_ERR("a = 1\na.b = 2\n", "line 2, column 1:", "cannot be extended");
    EXPECT_ERR("\"\"\"k\"\"\" = 1\n", "line 1, column 1:", "multi-line");
    EXPECT_ERR("a = 1\rb = 2\n", "line 1, column 6:", "carriage return");
}

TEST(malformed_strings)
{
    EXPECT_ERR("a = \"open\n", "line 1, column 10:", "newline in a single-line string");
    EXPECT_ERR("a = \"open", "line 1, column 5:", "unterminated string");
    EXPECT_ERR("a = 1\nb = \"\"\"never closed\n\n", "line 2, column 5:", "unterminated string");
    EXPECT_ERR("a = 'lit\nx'\n", "line 1, column 9:", "newline in a single-line string");
    EXPECT_ERR("a = \"bad \\q escape\"\n", "line 1, column 10:", "invalid escape sequence '\\q'");
    EXPECT_ERR("a = \"\\u12\"\n", "line 1, column 6:", "\\u needs 4 hex digits");
    EXPECT_ERR("a = \"\\U0000FFG0\"\n", "line 1, column 6:", "\\U needs 8 hex digits");
    EXPECT_ERR("a = \"\\uD800\"\n", "line 1, column 6:", "not a Unicode scalar value");
    EXPECT_ERR("a = \"\\U00110000\"\n", "line 1, column 6:", "not a Unicode scalar value");
    EXPECT_ERR("a = \"\\e\"\n", "line 1, column 6:", "invalid escape"); /* \e is TOML 1.1 */
    EXPECT_ERR("a = \"ctl \x01\"\n", "line 1, column 10:", "control character U+0001");
    EXPECT_ERR("a = 'del \x7f'\n", "line 1, column 10:", "control character U+007F");
    EXPECT_ERR("a = \"\"\"x\"\"\"\"\"\"\n", "line 1, column 14:", "too many quotes");
    EXPECT_ERR("a = \"\"\"x \\ y\"\"\"\n", "line 1, column 10:", "invalid escape");
    EXPECT_ERR("# comment \x02 here\n", "line 1, column 11:", "control character U+0002 in comment");
    EXPECT_ERR("a = \"\\u0000\" \n\"\\u0000\" = 1\n", "line 2, column 1:", "U+0000");
}

TEST(malformed_numbers_and_values)
{
    EXPECT_ERR("a = 01\n", "line 1, column 5:", "leading zeros");
    EXPECT_ERR("a = 1__0\n", "line 1, column 6:", "underscore");
    EXPECT_ERR("a = 1_\n", "line 1, column 6:", "underscore");
    EXPECT_ERR("a = _1\n", "line 1, column 5:", "strings must be quoted");
    EXPECT_ERR("a = 9223372036854775808\n", "line 1, column 5:", "does not fit in 64 bits");
    EXPECT_ERR("a = -9223372036854775809\n", "line 1, column 5:", "does not fit in 64 bits");
    EXPECT_ERR("a = 0x8000000000000000\n", "line 1, column 5:", "does not fit in 64 bits");
    EXPECT_ERR("a = 0xG1\n", "line 1, column 7:", "invalid character 'G'");
    EXPECT_ERR("a = 0o8\n", "line 1, column 7:", "invalid character '8'");
    EXPECT_ERR("a = 0b102\n", "line 1, column 9:", "invalid character '2'");
    EXPECT_ERR("a = +0x10\n", "line 1, column 7:", "invalid character 'x'");
    EXPECT_ERR("a = 1.\n", "line 1, column 7:", "expected digits after the decimal point");
    EXPECT_ERR("a = .5\n", "line 1, column 5:", "invalid value");
    EXPECT_ERR("a = 1e\n", "line 1, column 7:", "expected digits");
    EXPECT_ERR("a = 1.5e3.2\n", "line 1, column 10:", "invalid character '.'");
    EXPECT_ERR("a = 1e999\n", "line 1, column 5:", "out of range");
    EXPECT_ERR("a = inf\n", "line 1, column 5:", "no inf or nan");
    EXPECT_ERR("a = -nan\n", "line 1, column 5:", "no inf or nan");
    EXPECT_ERR("a = TRUE\n", "line 1, column 5:", "strings must be quoted");
    EXPECT_ERR("a = bare\n", "line 1, column 5:", "strings must be quoted");
    EXPECT_ERR("a = 1979-05-27T07:32:00Z\n", "line 1, column 5:", "dates and times are not supported");
    EXPECT_ERR("a = 07:32:00\n", "line 1, column 5:", "dates and times are not supported");
    EXPECT_ERR("\n\n  a = @\n", "line 3, column 7:", "unexpected character '@'");
}

TEST(malformed_arrays_and_inline_tables)
{
    EXPECT_ERR("a = [1, 2\n", "line 1, column 5:", "unterminated array");
    EXPECT_ERR("a = [1 2]\n", "line 1, column 8:", "expected ',' or ']'");
    EXPECT_ERR("a = [1,,2]\n", "line 1, column 8:", "unexpected character ','");
    EXPECT_ERR("a = [,]\n", "line 1, column 6:", "unexpected character ','");
    EXPECT_ERR("a = {x = 1,}\n", "line 1, column 12:", "trailing comma");
    EXPECT_ERR("a = {x = 1\n}\n", "line 1, column 11:", "newline in an inline table");
    EXPECT_ERR("a = {x = 1 y = 2}\n", "line 1, column 12:", "expected ',' or '}'");
    EXPECT_ERR("a = {x = 1, x = 2}\n", "line 1, column 13:", "duplicate key 'x'");
    EXPECT_ERR("a = {x = {y = 1}, x.z = 2}\n", "line 1, column 19:", "cannot be extended");
    EXPECT_ERR("a = {x", "line 1, column 7:", "expected '=' after key");
    EXPECT_ERR("a = {x = 1", "line 1, column 5:", "unterminated inline table");
    EXPECT_ERR("a = {x = 1}\na.y = 2\n", "line 2, column 1:", "cannot be extended");
    EXPECT_ERR("a = {x = 1}\n[a]\n", "line 2, column 1:", "defined more than once");
    EXPECT_ERR("a = {x = 1}\n[a.b]\n", "line 2, column 2:", "cannot hold tables");
    EXPECT_ERR("a = [{x = 1}]\n[[a]]\n", "line 2, column 1:", "not an array of tables");
    EXPECT_ERR("a = [{x = 1}]\n[a.b]\n", "line 2, column 2:", "cannot hold tables");
}

TEST(malformed_tables)
{
    EXPECT_ERR("[a]\nx = 1\n[a]\n", "line 3, column 1:", "table 'a' is defined more than once");
    EXPECT_ERR("[a.b]\n[a]\n[a]\n", "line 3, column 1:", "defined more than once");
    EXPECT_ERR("[a]\nb = 1\n[a.b]\n", "line 3, column 1:", "table 'a.b' is defined more than once");
    EXPECT_ERR("[a]\nb.c = 1\n[a.b]\n", "line 3, column 1:", "defined more than once");
    EXPECT_ERR("[a.b.c]\n[a]\nb.d = 1\n", "line 3, column 1:", "cannot be extended");
    EXPECT_ERR("a = 1\n[a.b]\n", "line 2, column 2:", "'a' is already a value");
    EXPECT_ERR("[[a]]\n[a]\n", "line 2, column 1:", "defined more than once");
    EXPECT_ERR("[a]\n[[a]]\n", "line 2, column 1:", "not an array of tables");
    EXPECT_ERR("[a\n", "line 1, column 3:", "expected ']' to close the table header");
    EXPECT_ERR("[[a]\n", "line 1, column 4:", "expected ']]'");
    EXPECT_ERR("[[a] ]\n", "line 1, column 4:", "expected ']]'");
    EXPECT_ERR("[]\n", "line 1, column 2:", "where a key was expected");
    EXPECT_ERR("[a] b = 1\n", "line 1, column 5:", "expected the end of the line");
    EXPECT_ERR("[a]]\n", "line 1, column 4:", "expected the end of the line");
}

TEST(encoding_and_depth)
{
    expect_err(__LINE__, "a = 1\nb = \"x\0y\"\n", 14, "line 2, column 7:", "NUL byte");
    EXPECT_ERR("a = 1\n  b = \"\xff\"\n", "line 2, column 8:", "invalid UTF-8");
    EXPECT_ERR("a = \"\xc3\xa9\xc3\"\n", "line 1, column 7:", "invalid UTF-8");
    EXPECT_ERR("k = \"\xed\xa0\x80\"\n", "line 1, column 6:", "invalid UTF-8"); /* surrogate */
    EXPECT_ERR("k = \"\xc0\xaf\"\n", "line 1, column 6:", "invalid UTF-8");     /* overlong */
    /* columns count characters: the error after two 2-byte characters is at column 11 */
    EXPECT_ERR("a = \"\xc3\xa9\xc3\xa9\" x\n", "line 1, column 10:", "expected the end of the line");

    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "a = ");
    for (int i = 0; i < 70; i++) deep[n++] = '[';
    for (int i = 0; i < 70; i++) deep[n++] = ']';
    deep[n] = '\0';
    EXPECT_ERR(deep, "line 1, column 69:", "nested deeper than 64");
    n = (size_t)snprintf(deep, sizeof deep, "a = ");
    for (int i = 0; i < 70; i++) n += (size_t)snprintf(deep + n, sizeof deep - n, "{b=");
    EXPECT_ERR(deep, "line 1, column", "nested deeper than 64");
    /* exactly the limit is fine */
    n = (size_t)snprintf(deep, sizeof deep, "a = ");
    for (int i = 0; i < 64; i++) deep[n++] = '[';
    for (int i = 0; i < 64; i++) deep[n++] = ']';
    deep[n] = '\0';
    json_t *d = parse_ok(deep);
    CHECK(d != NULL);
    json_decref(d);
}

/* Hostile input: random byte edits, truncations and splices of a document that uses every
 * construct must each either parse or fail with a positioned message, never crash or leak
 * (the Debug build runs this under ASan and UBSan). */
TEST(random_mutations_fail_cleanly)
{
    static const char base[] =
        "# c\na = 1\nb.c = \"s\\u00e9\"\n'l' = '''x\ny'''\nm = \"\"\"\\\n  z\"\"\"\n"
        "arr = [1, 2.5e3, [true], {x = 0x1F}, ]\n[t.u]\nk = 0b101\n[[aot]]\nv = 1_000\n"
        "[[aot]]\nw = { p.q = 'r' }\n";
    char doc[sizeof base];
    unsigned seed = 7;
    const char alphabet[] = "[]{}=.,\"'\\#\n\r\t _-+0x1e\xc3\xa9\x80";
    json_t *valid = parse_ok(base); /* the unmutated document is valid */
    REQUIRE(valid);
    CHECK_EQ_STR(str_at(valid, "aot/#1/w/p/q"), "r");
    json_decref(valid);
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = sizeof base - 1;
        memcpy(doc, base, n);
        for (int k = 1 + rand_r(&seed) % 3; k > 0; k--)
            doc[rand_r(&seed) % n] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
        if (rand_r(&seed) % 4 == 0) n = (size_t)rand_r(&seed) % n;
        i2i_error err = {0};
        json_t *d = NULL;
        int rc = toml_parse(doc, n, &d, &err);
        if (rc == I2I_OK) {
            CHECK(json_is_object(d));
            json_decref(d);
        } else {
            CHECK(rc == I2I_ERR_FORMAT && strncmp(err.msg, "line ", 5) == 0 && d == NULL);
            if (i2i_test_failed_now()) {
                i2i_test_fail(__FILE__, __LINE__, "iteration %d: %d %s", iter, rc, err.msg);
                return;
            }
        }
    }
}
