/* Start-up: the constructor's work (configuration, libunwind, the main thread, atfork and exit
 * hooks), once. Internal to the shim. */
#ifndef THREADLEAK_SHIM_INIT_H
#define THREADLEAK_SHIM_INIT_H

/* Runs start-up once; the wrappers and the test API call it first, because another library's
 * constructor may create a thread before ours has run. Cheap after the first call. */
void shim_init(void);

#endif
