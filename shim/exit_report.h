/* The report at process exit (exit_report.c). Internal to the shim. */
#ifndef THREADLEAK_EXIT_REPORT_H
#define THREADLEAK_EXIT_REPORT_H

/* Runs the exit verdict once and reports; returns the status the process should end with. */
int exit_report_run(int status);

/* The lock module's report of a live deadlock, made when it is found (docs/locks.md): the JSON
 * report with locks as the lock findings and no leak verdict (threads still run), into report_dir
 * when it is set. The exit report, if the process gets there, writes it again, whole. */
struct tl__lock_findings;
void exit_report_now(const struct tl__lock_findings *locks);

#endif
