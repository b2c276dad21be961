/* JUnit XML from the CI model (ci_findings.h). Strings come from the programs under test and may
 * hold any byte: every one goes through xml_text, which writes only characters that XML 1.0
 * allows. */
#include "junit_writer.h"

#include "utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SUITE_NAME "threadleak"

/* The ANSI escape sequence at s (ESC [ parameters letter), which a report printed under
 * --color always holds: its length, or 0 when s is none. */
static size_t ansi_sequence(const unsigned char *s, size_t n)
{
    if (n < 2 || s[0] != 0x1b || s[1] != '[')
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] >= 0x40 && s[i] <= 0x7e)
            return i + 1;
    return 0;
}

/* One character escaped for XML text (attribute: also quotes and whitespace, which a reader
 * would otherwise normalise). */
static void xml_char(FILE *out, unsigned char c, bool attribute)
{
    switch (c) {
    case '&':
        fputs("&amp;", out);
        return;
    case '<':
        fputs("&lt;", out);
        return;
    case '>':
        fputs("&gt;", out);
        return;
    }
    if (attribute && (c == '"' || c == '\n' || c == '\r' || c == '\t'))
        fprintf(out, c == '"' ? "&quot;" : "&#%d;", c);
    else if (c == '\r')
        fputs("&#13;", out); /* a raw CR would be read as a line break */
    else if (c < 0x20 && c != '\n' && c != '\t')
        fputs("\xef\xbf\xbd", out); /* XML 1.0 has no other control characters */
    else if (c == 0x7f)
        fputs("\xef\xbf\xbd", out);
    else
        fputc(c, out);
}

/* s escaped for XML: colour sequences dropped, ill-formed UTF-8 and characters XML cannot hold
 * replaced by U+FFFD. */
static void xml_text(FILE *out, const char *text, bool attribute)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    size_t n = strlen((const char *)s);
    for (size_t i = 0; i < n;) {
        size_t esc = ansi_sequence(s + i, n - i);
        if (esc) {
            i += esc;
            continue;
        }
        if (s[i] < 0x80) {
            xml_char(out, s[i++], attribute);
            continue;
        }
        int len = tl__utf8_sequence(s + i, n - i);
        /* U+FFFE and U+FFFF are not XML characters either. */
        bool nonchar = len == 3 && s[i] == 0xef && s[i + 1] == 0xbf && s[i + 2] >= 0xbe;
        if (len > 0 && !nonchar)
            fwrite(s + i, 1, (size_t)len, out);
        else
            fputs("\xef\xbf\xbd", out);
        i += len > 0 ? (size_t)len : (size_t)-len;
    }
}

struct counts {
    size_t tests, failures;
};

static bool process_fails(const struct tl__ci_model *m, size_t p)
{
    if (m->process[p].undelivered)
        return true;
    for (size_t i = 0; i < m->nfinding; i++)
        if (m->finding[i].process == p && m->finding[i].failing)
            return true;
    return false;
}

static const struct tl__ci_finding *first_failing(const struct tl__ci_model *m, size_t p,
                                                  size_t *nfailing)
{
    const struct tl__ci_finding *first = NULL;
    *nfailing = 0;
    for (size_t i = 0; i < m->nfinding; i++) {
        const struct tl__ci_finding *f = &m->finding[i];
        if (f->process != p || !f->failing)
            continue;
        if (!first)
            first = f;
        ++*nfailing;
    }
    return first;
}

/* A sanitizer finding's stack, which no threadleak text report of the process shows:
 * "    #0 tests/reference/race_counter.c:25 in record_hits". */
static void stack_lines(FILE *out, const struct tl__ci_model *m, const struct tl__ci_finding *f)
{
    for (size_t i = 0; i < f->nstack; i++) {
        char *frame = ci_frame_text(m, &f->stack[i]);
        fprintf(out, "    #%zu ", i);
        xml_text(out, frame ? frame : f->stack[i].function, false);
        fputc('\n', out);
        free(frame);
    }
}

/* "TL1001 LeakedRunningThread: 2 leaked running threads (...)", one line per finding of p whose
 * failing is as asked. */
static void finding_lines(FILE *out, const struct tl__ci_model *m, size_t p, bool failing)
{
    for (size_t i = 0; i < m->nfinding; i++) {
        const struct tl__ci_finding *f = &m->finding[i];
        if (f->process != p || f->failing != failing)
            continue;
        const struct tl__ci_rule_info *r = ci_rule_info(f->rule);
        fprintf(out, "%s %s: ", r->id, r->name);
        xml_text(out, f->message, false);
        fputc('\n', out);
        if (f->rule >= TL_CI_TSAN_RACE)
            stack_lines(out, m, f);
    }
}

static bool has_findings(const struct tl__ci_model *m, size_t p, bool failing)
{
    for (size_t i = 0; i < m->nfinding; i++)
        if (m->finding[i].process == p && m->finding[i].failing == failing)
            return true;
    return false;
}

static void write_failure(FILE *out, const struct tl__ci_model *m, size_t p)
{
    const struct tl__ci_process *proc = p < m->nprocess ? &m->process[p] : NULL;
    if (proc && proc->undelivered) {
        fputs("      <failure message=\"delivered no report: it ", out);
        xml_text(out, proc->undelivered, true);
        fputs("\" type=\"undelivered\">process ", out);
        fprintf(out, "%ld (", proc->pid);
        xml_text(out, proc->exe, false);
        fputs(") started under the shim and delivered no report; threadleak cannot vouch for "
              "it</failure>\n",
              out);
        return;
    }
    size_t nfailing;
    const struct tl__ci_finding *first = first_failing(m, p, &nfailing);
    const struct tl__ci_rule_info *r = ci_rule_info(first->rule);
    fputs("      <failure message=\"", out);
    xml_text(out, first->message, true);
    if (nfailing > 1)
        fprintf(out, " (and %zu more %s)", nfailing - 1, nfailing == 2 ? "finding" : "findings");
    fprintf(out, "\" type=\"%s %s\">", r->id, r->name);
    finding_lines(out, m, p, true);
    if (proc && proc->text) {
        fputc('\n', out);
        xml_text(out, proc->text, false);
    }
    fputs("</failure>\n", out);
}

/* The run's label, else the executable's base name. */
static const char *class_name(const struct tl__ci_process *p)
{
    if (p && p->label)
        return p->label;
    if (!p || !p->exe || !p->exe[0])
        return SUITE_NAME;
    const char *slash = strrchr(p->exe, '/');
    return slash && slash[1] ? slash + 1 : p->exe;
}

/* One test case; p == nprocess is the findings of processes that left no report. */
static void write_testcase(FILE *out, const struct tl__ci_model *m, size_t p)
{
    const struct tl__ci_process *proc = p < m->nprocess ? &m->process[p] : NULL;
    size_t key = proc ? p : SIZE_MAX;
    fputs("    <testcase name=\"", out);
    xml_text(out, proc ? proc->name : "sanitizer findings of processes without a report", true);
    fputs("\" classname=\"", out);
    xml_text(out, class_name(proc), true);
    fputs("\" time=\"0\">\n", out);
    if (proc ? process_fails(m, p) : has_findings(m, key, true))
        write_failure(out, m, key);
    fputs("      <system-out>", out);
    if (proc)
        fprintf(out, "pid %ld, %s\n", proc->pid, proc->undelivered ? "no report" : "report read");
    if (has_findings(m, key, false)) {
        fputs("findings that do not fail the run (--fail-on):\n", out);
        finding_lines(out, m, key, false);
    }
    fputs("</system-out>\n    </testcase>\n", out);
}

static bool has_orphans(const struct tl__ci_model *m)
{
    for (size_t i = 0; i < m->nfinding; i++)
        if (m->finding[i].process == SIZE_MAX)
            return true;
    return false;
}

int junit_write(const struct tl__ci_model *m, FILE *out)
{
    bool orphans = has_orphans(m);
    struct counts c = {.tests = m->nprocess + orphans};
    for (size_t p = 0; p < m->nprocess; p++)
        c.failures += process_fails(m, p);
    c.failures += orphans && has_findings(m, SIZE_MAX, true);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out,
            "<testsuites name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" time=\"0\">\n"
            "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" "
            "time=\"0\">\n",
            SUITE_NAME, c.tests, c.failures, SUITE_NAME, c.tests, c.failures);
    for (size_t p = 0; p < m->nprocess; p++)
        write_testcase(out, m, p);
    if (orphans)
        write_testcase(out, m, m->nprocess);
    fputs("  </testsuite>\n</testsuites>\n", out);
    return ferror(out) ? -1 : 0;
}
