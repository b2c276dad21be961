/* The exit paths' hooks (interpose_exit.c). Internal to the shim. */
#ifndef THREADLEAK_INTERPOSE_EXIT_H
#define THREADLEAK_INTERPOSE_EXIT_H

/* Registered by the constructor (shim_init.c). */
void shim_register_exit_hooks(void);

/* Registered when main starts (interpose_start.c), so that it runs before library destructors. */
void shim_register_main_exit_hook(void);

#endif
