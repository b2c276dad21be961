/* `threadleak dump`: check the target, send the request, print the dump it writes. */
#include "cli_dump.h"

#include "dump_request.h"
#include "duration.h"
#include "run_options.h"
#include "suggest.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("Usage: threadleak dump [--timeout DURATION] PID\n"
          "\n"
          "Asks process PID, running under threadleak, for a full thread dump (every thread's\n"
          "current stack, state and creator, as /debug/threads?debug=2 shows it) and prints it.\n"
          "The process also writes it to its own stderr. It must run under `threadleak run\n"
          "--dump-listener` (or --timeout, --http), or with THREADLEAK_DUMP_LISTENER=1 or\n"
          "THREADLEAK_OPTIONS=http=... in its environment.\n"
          "\n"
          "Options:\n"
          "  --timeout DURATION   how long to wait for the dump (e.g. 500ms, 10s; default 10s)\n"
          "  -h, --help           show this help\n"
          "\n"
          "Exit status: 0 dump printed; 1 the process cannot be asked (the message says why);\n"
          "2 usage error; 124 no dump within --timeout. See docs/endpoint.md.\n",
          out);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("threadleak dump: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'threadleak dump --help'.\n", stderr);
    return TL_STATUS_USAGE;
}

struct dump_options {
    double timeout_s;
    pid_t pid;
    bool help;
};

static int parse(int argc, char **argv, struct dump_options *o)
{
    static const struct option long_options[] = {
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct dump_options){.timeout_s = TL_DUMP_DEFAULT_TIMEOUT};
    opterr = 0;
    optind = 0;
    for (int opt; (opt = getopt_long(argc, argv, "+:h", long_options, NULL)) != -1;) {
        if (opt == 'h') {
            o->help = true;
            return 0;
        }
        if (opt == 't' && !duration_parse(optarg, &o->timeout_s))
            return usage_error("--timeout '%s': expected a duration such as 500ms, 10s or 2m",
                               optarg);
        if (opt == '?') {
            char hint[96], message[512];
            suggest_option_hint(argv[optind - 1], long_options, hint, sizeof hint);
            snprintf(message, sizeof message, "bad option '%s'%s", argv[optind - 1], hint);
            return usage_error("%s", message);
        }
        if (opt == ':')
            return usage_error("bad option '%s'", argv[optind - 1]);
    }
    if (optind + 1 != argc)
        return usage_error("%s", "expected exactly one PID");
    char *end;
    errno = 0;
    long pid = strtol(argv[optind], &end, 10);
    if (errno || *end || end == argv[optind] || pid <= 0 || pid > 0x3fffffff)
        return usage_error("'%s' is not a process id", argv[optind]);
    o->pid = (pid_t)pid;
    return 0;
}

/* Sends the request and prints the dump; the exit status. */
static int request_dump(const struct dump_options *o)
{
    char report_dir[PATH_MAX];
    bool has_dir = dump_target_report_dir(o->pid, report_dir, sizeof report_dir);
    long request = dump_request_number();
    if (dump_request_send(o->pid, request) != 0) {
        fprintf(stderr, "threadleak dump: cannot signal process %ld: %s\n", (long)o->pid,
                strerror(errno));
        return TL_DUMP_STATUS_CANNOT;
    }
    if (!has_dir) {
        fprintf(stderr,
                "threadleak dump: requested; process %ld writes the dump to its own stderr (it "
                "has no report_dir, so it cannot be shown here)\n",
                (long)o->pid);
        return 0;
    }
    char *text = dump_request_wait(report_dir, o->pid, request, o->timeout_s);
    if (!text) {
        fprintf(stderr, "threadleak dump: no dump from process %ld within %g s\n", (long)o->pid,
                o->timeout_s);
        return TL_DUMP_STATUS_TIMEOUT;
    }
    fputs(text, stdout);
    free(text);
    return fflush(stdout) == 0 ? 0 : TL_DUMP_STATUS_CANNOT;
}

int cli_dump_main(int argc, char **argv)
{
    struct dump_options o;
    int status = parse(argc, argv, &o);
    if (status != 0)
        return status;
    if (o.help) {
        usage(stdout);
        return 0;
    }
    char why[512];
    if (dump_target_check(o.pid, why, sizeof why) != DUMP_TARGET_OK) {
        fprintf(stderr, "threadleak dump: %s\n", why);
        return TL_DUMP_STATUS_CANNOT;
    }
    return request_dump(&o);
}
