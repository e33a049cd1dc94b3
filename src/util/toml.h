/*
 * toml: a TOML 1.0 reader for configuration files (the plugin's scheduler config, the coming
 * `influx2iceberg serve` config). The document becomes a jansson object tree so the rest of the
 * program reads config through one model whether it came as JSON or TOML.
 *
 * Mapping: table and inline table -> object; array and array of tables -> array; string -> string
 * (may hold U+0000 from "\u0000"); integer -> integer (int64, range checked); float -> real;
 * boolean -> true/false.
 *
 * Not representable in JSON, so refused with a clear error rather than changed silently:
 *   - inf and nan floats (jansson has no non-finite reals);
 *   - offset/local date-times, dates and times (a config should quote them; a silent
 *     conversion to a string would lose the type the file's author meant);
 *   - keys containing U+0000 (jansson keys are C strings).
 *
 * Every error is I2I_ERR_FORMAT with "line L, column C: what" (columns count characters, from 1).
 * NUL bytes and invalid UTF-8 anywhere are errors; arrays and inline tables nest at most
 * TOML_MAX_DEPTH deep so hostile input cannot exhaust the stack. Sized for config files: how each
 * table was defined is kept in a list searched linearly (20,000 tables parse in well under a
 * second; far larger documents would want a hash there).
 */
#ifndef I2I_TOML_H
#define I2I_TOML_H

#include <jansson.h>
#include <stddef.h>

#include "util/util.h"

#define TOML_MAX_DEPTH 64

/* Parse text[0..len) into a new object (*out, owned by the caller: json_decref). */
int toml_parse(const char *text, size_t len, json_t **out, i2i_error *err);
/* Read and parse a file; errors are prefixed with the path. */
int toml_parse_file(const char *path, json_t **out, i2i_error *err);

#endif /* I2I_TOML_H */
