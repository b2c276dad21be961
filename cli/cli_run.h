/* `threadleak run`: the command that runs a program under the shim and reports. */
#ifndef THREADLEAK_CLI_RUN_H
#define THREADLEAK_CLI_RUN_H

#define TL_STATUS_TOOL_FAILED 125 /* threadleak itself failed, as with env(1) and timeout(1) */

/* Entry point of the subcommand; argv[0] is "run". Returns the CLI's exit status. */
int cli_run_main(int argc, char **argv);

#endif
