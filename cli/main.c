/* `threadleak`: the command line front end. main only picks the subcommand; each one lives in
 * its own file. A new subcommand (such as `threadleak dump PID`) is one row in `commands`. */
#include "cli_dump.h"
#include "cli_merge.h"
#include "cli_run.h"
#include "run_options.h"
#include "suggest.h"
#include "threadleak_version.h"

#include <stdio.h>
#include <string.h>

static int version_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("threadleak %s\n", THREADLEAK_VERSION);
    return 0;
}

struct command {
    const char *name;
    const char *synopsis; /* arguments, for the usage text */
    const char *summary;
    int (*main)(int argc, char **argv); /* argv[0] is the command's name */
};

static const struct command commands[] = {
    {"run", "[options] -- PROG [ARGS...]", "run PROG under the shim and report leaked threads",
     cli_run_main},
    {"dump", "[--timeout DURATION] PID",
     "print a thread dump of PID, a process running under threadleak", cli_dump_main},
    {"merge", "[--json FILE] DIR...",
     "merge the reports kept by 'run --keep-reports' (one run's subdirectory, or many)",
     cli_merge_main},
    {"version", "", "print threadleak's version (as --version does)", version_main},
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fputs("Usage: threadleak COMMAND [ARGS...]\n"
          "       threadleak --help | --version\n"
          "\n"
          "Finds threads that a C or C++ program leaves running or never joins.\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  threadleak %s%s%s\n      %s\n", commands[i].name,
                *commands[i].synopsis ? " " : "", commands[i].synopsis, commands[i].summary);
    fputs("\nRun 'threadleak COMMAND --help' for a command's options.\n", out);
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

/* The command nearest to word, when word looks like a typo of one. */
static const char *nearest_command(const char *word)
{
    const char *names[COMMAND_COUNT + 1];
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        names[i] = commands[i].name;
    names[COMMAND_COUNT] = "help";
    return suggest_nearest(word, names, COMMAND_COUNT + 1);
}

static int unknown(const char *word)
{
    static const struct option top_options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    if (word[0] == '-') {
        char hint[96];
        suggest_option_hint(word, top_options, hint, sizeof hint);
        fprintf(stderr, "threadleak: unknown option '%s'%s\n", word, hint);
    } else if (nearest_command(word)) {
        fprintf(stderr, "threadleak: unknown command '%s' (did you mean '%s'?)\n", word,
                nearest_command(word));
    } else {
        fprintf(stderr, "threadleak: unknown command '%s' (commands:", word);
        for (size_t i = 0; i < COMMAND_COUNT; i++)
            fprintf(stderr, " %s", commands[i].name);
        fprintf(stderr, ")\nTo run a program under threadleak: threadleak run -- %s ...\n", word);
    }
    fputs("Try 'threadleak --help'.\n", stderr);
    return TL_STATUS_USAGE;
}

/* `threadleak help [COMMAND]`. */
static int help(int argc, char **argv)
{
    if (argc < 3) {
        usage(stdout);
        return 0;
    }
    const struct command *c = find_command(argv[2]);
    if (!c)
        return unknown(argv[2]);
    char help_flag[] = "--help";
    char *args[] = {argv[2], help_flag, NULL};
    return c->main(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TL_STATUS_USAGE;
    }
    const char *word = argv[1];
    if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(word, "help") == 0)
        return help(argc, argv);
    if (strcmp(word, "--version") == 0 || strcmp(word, "-V") == 0) {
        return version_main(argc, argv);
    }
    const struct command *c = find_command(word);
    if (!c)
        return unknown(word);
    return c->main(argc - 1, argv + 1);
}
