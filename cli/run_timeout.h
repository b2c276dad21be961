/* `threadleak run --timeout DURATION`: when PROG runs longer, every process of its tree that runs
 * under the shim is asked for a thread dump (debug=2, on its stderr, like Go's test timeout),
 * then the whole tree is killed with SIGKILL and the CLI exits with TL_STATUS_TIMED_OUT, as
 * timeout(1) does. A CI hang thus ends with stacks instead of silence. */
#ifndef THREADLEAK_CLI_RUN_TIMEOUT_H
#define THREADLEAK_CLI_RUN_TIMEOUT_H

#include <stdbool.h>
#include <sys/types.h>

#define TL_STATUS_TIMED_OUT 124

/* How long the CLI waits for the dumps before killing, beyond each dump's own deadline. */
#define TL_TIMEOUT_DUMP_WAIT_S 10.0

/* Waits for pid (the CLI's child, set up by child_setup/child_spawn) like child_wait_prog, but
 * at most timeout_s; then dumps and kills as above and sets *timed_out. report_dir is where the
 * processes write their dumps. Returns pid's wait status. */
int run_timeout_wait(pid_t pid, double timeout_s, const char *report_dir, bool *timed_out);

#endif
