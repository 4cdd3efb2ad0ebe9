/* Internal to the regio program: subcommand entry points. Each returns the process exit code. */
#ifndef REGIO_CLI_H
#define REGIO_CLI_H

int cli_run_main(int argc, char **argv, const char *command_line);
int cli_info_main(int argc, char **argv);
int cli_gen_main(int argc, char **argv);

#endif
