/* The report at process exit (exit_report.c). Internal to the shim. */
#ifndef THREADLEAK_EXIT_REPORT_H
#define THREADLEAK_EXIT_REPORT_H

/* Runs the exit verdict once and reports; returns the status the process should end with. */
int exit_report_run(int status);

#endif
