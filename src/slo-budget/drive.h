#ifndef SLO_BUDGET_DRIVE_H
#define SLO_BUDGET_DRIVE_H
/*
 * `slo-budget check`: read the source into series (one per SLO and group), evaluate
 * them, hand the slo.status records to the output, and tell whether a --fail-on
 * condition holds.
 *
 * Batch (the default): read everything, then one status per SLO and group as of
 * --now, or else the newest event time (the clock when there was no event).  With
 * --now, events after it are ignored.
 *
 * --follow: statuses while reading, in event time.  When an event's time reaches the
 * next multiple of --report-every, every SLO and group gets a status at that event's
 * time; between reports, each series is evaluated again whenever event time enters
 * a new bucket (a minute, or the timeslice), and gets a status at once when its
 * alert severity changed.  At the end of the input, a final status for each.  Memory
 * is the series' rings: flat however many events arrive.
 *
 * --fail-on conditions are judged on the final statuses (batch: all of them).
 */
#include <stddef.h>

#include "cli.h"
#include "options.h"
#include "output.h"
#include "srerr.h"

struct drive_conf {
	const struct cli *cli;           /* for warnings and -v */
	const struct options *opts;      /* the SLOs and the mode */
	const char *const *files;        /* input files; none: standard input */
	size_t nfiles;
	struct output *out;
};

/*
 * Run over events or --counts records.  Returns 0 and *problem (1 when a --fail-on
 * condition holds for some final status), or -1 and e: "FILE:LINE: why" for bad
 * input (code "invalid", or the reader's "parse", "limit", "io"), "limit" for too
 * many groups, "oom".
 */
int drive_events(const struct drive_conf *c, int *problem, struct srerr *e);

/* Run over the --prometheus source; the same results ("prometheus", "io" ... from
   prom_fill, or a secret file that cannot be read). */
int drive_prometheus(const struct drive_conf *c, int *problem, struct srerr *e);

#define DRIVE_MAX_SERIES 10000   /* SLO x group series in one run */
#define DRIVE_WARNINGS 10        /* --lenient: skipped records named on stderr */

#endif
