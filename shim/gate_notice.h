/* The shim's side of the gate channel (common/gate_protocol.h): it tells `threadleak run` that
 * this process started and whether its report is in place. Internal to the shim. Every call is
 * a no-op outside `threadleak run` (no THREADLEAK_GATE), and none changes errno. */
#ifndef THREADLEAK_GATE_NOTICE_H
#define THREADLEAK_GATE_NOTICE_H

/* Start-up, before main: reads THREADLEAK_GATE and sends "start PID EXE". */
void gate_notice_start(void);

/* The exit report: the report files are in place ("done"), or the JSON report could not be
 * written, err being why ("lost"). */
void gate_notice_delivered(void);
void gate_notice_lost(int err);

#endif
