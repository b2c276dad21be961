/* The endpoint's pages: which path gives which rendering of a fresh thread profile.
 *
 *   /                                  HTML overview (also /debug/pprof/)
 *   /debug/threads                     debug=1 text (?debug=1), debug=2 (?debug=2),
 *                                      JSON (?format=json), pprof (?debug=0)
 *   /debug/pprof/goroutine, /threads   pprof (default, ?debug=0), or ?debug=1 / ?debug=2 text
 *   /metrics                           Prometheus (kernel states only: no thread is signalled)
 *   /debug/locks                       held locks, waiters, the lock-order graph, lock findings:
 *                                      text, or JSON (?format=json); 404 without the lock module
 *   /debug/threads/growth              live threads per creation site over time, with a trend:
 *                                      text, or JSON (?format=json); growth_sampler.h
 *
 * Anything else is 404; methods other than GET and HEAD get 405; a Host header that is not a
 * loopback name gets 403; a bad ?debug or ?format gets 400. Every response is built completely in
 * memory before the server sends a byte, and no lock that pthread_create or the exit path needs
 * is held by then. */
#ifndef THREADLEAK_ENDPOINT_ROUTES_H
#define THREADLEAK_ENDPOINT_ROUTES_H

#include "http/http_module.h"

/* Answers one request. module is the loaded HTTP module, whose pprof encoder the pprof rendering
 * uses. Called by endpoint.c's tl__http_host.handle; calls nothing of endpoint.c back. */
void endpoint_routes_answer(const struct tl__http_request *request,
                            struct tl__http_response *response,
                            const struct tl__http_module *module);

#endif
