/* Running the threadleak CLI from the e2e tests and looking at what it printed. */
#ifndef THREADLEAK_TEST_CLI_HELPERS_H
#define THREADLEAK_TEST_CLI_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct cli_result {
    int status;     /* exit status; 128+N when killed by signal N */
    bool signalled; /* the CLI itself was killed by a signal */
    char *out;      /* everything on stdout, NUL-terminated */
    char *err;      /* everything on stderr */
};

/* Paths given on the test's command line: argv[1] is the CLI, argv[2] the stub shim. */
extern const char *cli_path;
extern const char *stub_shim_path;
void cli_paths_from_args(int argc, char **argv, int first_extra);

/* An optional program's path from the command line: "" when CMake passed "none" (not built). */
const char *cli_optional_path(const char *arg);

/* An environment list for cli_run: THREADLEAK_SHIM=<stub shim> followed by extra (NULL-terminated,
 * may be NULL). Returns a static array, valid until the next call. */
const char *const *with_stub(const char *const *extra);

/* Runs the CLI with args (NULL-terminated, without argv[0]) in the current environment plus env
 * ("NAME=VALUE" to set, "NAME" to unset; NULL-terminated, may be NULL). Collects the output. */
struct cli_result cli_run(const char *const *args, const char *const *env);
void cli_result_free(struct cli_result *r);

/* Starts the CLI with stdout on a pipe and returns its pid; *out_fd is the read end. */
pid_t cli_start(const char *const *args, const char *const *env, int *out_fd);
/* Reads one line (without the newline) from fd into buf; false at end of file. */
bool read_line(int fd, char *buf, size_t len);
/* Waits for pid; the status like cli_result.status. */
int wait_status(pid_t pid, bool *signalled);

/* A fresh directory under $TMPDIR or /tmp, and its recursive removal. */
char *make_temp_dir(void);
void remove_tree(const char *path);

void write_text_file(const char *path, const char *text, unsigned mode);
char *read_text_file(const char *path); /* NULL when missing */
/* The 1-based line of the file at path that holds marker (a test program's source, whose report
 * must name that line); -1 when the file or the marker is missing. */
long file_line_of(const char *path, const char *marker);
void copy_file(const char *from, const char *to, unsigned mode);
bool file_exists(const char *path);

#endif
