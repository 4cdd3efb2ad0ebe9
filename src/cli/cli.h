/* Internal to the regio program: subcommand entry points. Each returns the process exit code. */
#ifndef REGIO_CLI_H
#define REGIO_CLI_H

#include "regio/dist.h"

/* The temporary output file a command is writing ("" when none): main's handler of SIGINT,
 * SIGTERM and SIGHUP removes it before exiting with 128 + the signal. */
#define CLI_TEMP_PATH_MAX 4096
extern char cli_temp_output[CLI_TEMP_PATH_MAX];

int cli_run_main(int argc, char **argv, const char *command_line, regio_dist_t *dist);
int cli_info_main(int argc, char **argv);
int cli_gen_main(int argc, char **argv);
int cli_io_main(int argc, char **argv);

#endif
