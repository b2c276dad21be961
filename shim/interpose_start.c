/* __libc_start_main, wrapped so that threadleak gets a moment right before main runs: the only
 * point where an exit handler can be registered after libc's own _dl_fini handler, and so run
 * before library destructors (see interpose_exit.c). Everything else passes through untouched. */
#include "interpose_exit.h"

#include "shim_state.h"

#include <stddef.h>

typedef int (*main_fn)(int, char **, char **);

static main_fn program_main;

static int main_with_exit_hook(int argc, char **argv, char **envp)
{
    shim_register_main_exit_hook();
    return program_main(argc, argv, envp);
}

TL__WRAPPER(int, __libc_start_main, main_fn main, int argc, char **argv, void (*init)(void),
            void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    shim_resolve_real(); /* done by our constructor already, which ld.so runs before _start */
    program_main = main;
    return TL__REAL(__libc_start_main)(main_with_exit_hook, argc, argv, init, fini, rtld_fini,
                                       stack_end);
}
