/* `threadleak dump [--timeout DURATION] PID`: a full debug=2 thread dump of a process running
 * under the shim, like a JVM's thread dump on SIGQUIT.
 *
 * Exit status: 0 when the dump was printed (or, for a process without report_dir, requested: it
 * then goes to that process's stderr only); 1 when the process cannot be asked (gone, another
 * user's, not under threadleak, or not listening; the message says which); 2 for a usage error;
 * 124 when no dump arrived within --timeout (default 10s). */
#ifndef THREADLEAK_CLI_DUMP_H
#define THREADLEAK_CLI_DUMP_H

#define TL_DUMP_STATUS_CANNOT   1
#define TL_DUMP_STATUS_TIMEOUT  124
#define TL_DUMP_DEFAULT_TIMEOUT 10.0

/* argv[0] is "dump". */
int cli_dump_main(int argc, char **argv);

#endif
