/* --junit and --sarif: one model of the findings, laid out by each writer into its file. */
#include "ci_reports.h"

#include "ci_findings.h"
#include "junit_writer.h"
#include "sarif_writer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int write_file(const char *option, const char *path, const struct tl__ci_model *model,
                      int (*write)(const struct tl__ci_model *, FILE *))
{
    bool to_stdout = strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(path, "we");
    if (!f) {
        fprintf(stderr, "threadleak: %s %s: %s\n", option, path, strerror(errno));
        return -1;
    }
    bool ok = write(model, f) == 0;
    ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
    if (!ok)
        fprintf(stderr, "threadleak: %s %s: write failed\n", option, path);
    return ok ? 0 : -1;
}

int ci_reports_write(const struct tl__ci_outputs *o, const struct tl__merge_result *m)
{
    if (!o->junit_path && !o->sarif_path)
        return 0;
    struct tl__ci_model model;
    char err[4200];
    if (ci_model_build(m->json, m, o->fail_on, o->source_root, &model, err, sizeof err) != 0) {
        fprintf(stderr, "threadleak: %s: %s\n", o->junit_path ? "--junit" : "--sarif", err);
        return -1;
    }
    int rc = 0;
    if (o->junit_path && write_file("--junit", o->junit_path, &model, junit_write) != 0)
        rc = -1;
    if (o->sarif_path && write_file("--sarif", o->sarif_path, &model, sarif_write) != 0)
        rc = -1;
    ci_model_free(&model);
    return rc;
}
