/*
 * cli: the influx2iceberg command. Options are named after the plugin's argument keys
 * (--measurement for measurement, --batch-size for batch_size, ...) and are turned into the same
 * JSON arguments the plugin and the HTTP service pass, so one parser (replicate/job.h) validates
 * all three entry points.
 */
#ifndef I2I_CLI_H
#define I2I_CLI_H

#include <jansson.h>

#include "../util/util.h"

/* Exit codes. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2

/* Parse argv (after the subcommand) into plugin-style arguments. Returns CLI_EXIT_OK, or
 * CLI_EXIT_USAGE with a message in err. *help is set when --help was given. */
int cli_parse_args(int argc, char **argv, const char *subcommand, json_t **args, int *help,
                   i2i_error *err);

void cli_print_usage(const char *subcommand);

#endif
