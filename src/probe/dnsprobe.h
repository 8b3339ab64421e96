#ifndef PROBE_DNSPROBE_H
#define PROBE_DNSPROBE_H
/*
 * dns:// probes: getaddrinfo(3), the system resolver (nsswitch, /etc/hosts, DNS), in
 * a worker thread per lookup so that the event loop never blocks on it.
 *
 * A finished lookup announces itself by writing its job pointer to the notify pipe
 * (dnsprobe_pipe) that the event loop watches; dnsprobe_read_done then returns the
 * jobs.  getaddrinfo cannot be cancelled: at a timeout the caller abandons the job,
 * and the thread frees it when the lookup finally returns.
 */
#include <jv.h>

#include "srerr.h"

struct dns_job;

/* The notify pipe's read end (created on first use); -1 and e on failure. */
int dnsprobe_pipe(struct srerr *e);

/*
 * Start resolving name (copied) for family 0 (any), 4 or 6; user is returned by
 * dnsprobe_user.  NULL and e (code "io") if the thread cannot be started.
 */
struct dns_job *dnsprobe_start(const char *name, int family, void *user, struct srerr *e);

/* The next finished job from the notify pipe, or NULL when none is waiting. */
struct dns_job *dnsprobe_read_done(void);

void *dnsprobe_user(const struct dns_job *j);

/*
 * The outcome of a finished job: 0 with *addresses a new array of address strings
 * (the caller owns it; in the resolver's order, duplicates removed), or -1 and e
 * (code "dns", the resolver's message).  *elapsed_ms is the lookup's duration.
 */
int dnsprobe_result(const struct dns_job *j, jv *addresses, double *elapsed_ms,
		    struct srerr *e);

/* Free a finished job. */
void dnsprobe_free(struct dns_job *j);

/* Give up on a running job (timeout): its thread frees it when the lookup returns. */
void dnsprobe_abandon(struct dns_job *j);

#endif
