/* tl_report: the findings of one check, rendered on demand in the text or JSON layout that the
 * exit report uses too (docs/report-format.md, docs/json-schema.md). */
#include "test_api_internal.h"

#include "json_report.h"
#include "locks_hooks.h"
#include "text_report.h"

#include <stdlib.h>

THREADLEAK_API size_t tl_report_count(const tl_report *r)
{
    if (!r)
        return 0;
    return r->locks ? locks_findings_count(r->locks) : r->findings->leaked;
}

THREADLEAK_API int tl_report_write(const tl_report *r, FILE *out, int format)
{
    if (!r || !out)
        return -1;
    switch (format & ~TL_FORMAT_COLOR) {
    case TL_FORMAT_TEXT:
        if (r->locks)
            return test_api_write_lock_text(out, r, (format & TL_FORMAT_COLOR) != 0);
        return report_write_text(out, r->findings, (format & TL_FORMAT_COLOR) != 0);
    case TL_FORMAT_JSON:
        return report_write_json(out, r->findings);
    default:
        return -1;
    }
}

THREADLEAK_API char *tl_report_string(const tl_report *r, int format)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    int rc = tl_report_write(r, out, format);
    /* The buffer is complete, NUL included, only once the stream is closed. */
    if (fclose(out) != 0 || rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

THREADLEAK_API void tl_report_free(tl_report *r)
{
    if (!r)
        return;
    findings_free(r->findings);
    locks_findings_free(r->locks);
    free(r);
}
