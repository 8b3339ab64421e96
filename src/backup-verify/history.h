#ifndef BACKUP_VERIFY_HISTORY_H
#define BACKUP_VERIFY_HISTORY_H
/*
 * Earlier results of one backup, for --history FILE: the median size and entry
 * count of its last ok reports, against which tonight's backup is judged.
 *
 * FILE is NDJSON, typically the stream the nightly run appends to, so it mixes
 * backup.report with backup.problem and other records.  A record counts when its
 * "kind" is "backup.report", its "ok" is true, its "name" equals the name asked for,
 * and its "bytes" and "entries" are numbers (not negative); every other record is
 * skipped.  The last `count` that count, in file order (the order they were
 * appended), make the history.
 */
#include <stddef.h>

#include "srerr.h"

#define BV_HISTORY_COUNT_MAX 100000   /* the largest count accepted */

struct bv_history {
	size_t n;               /* reports used: min(count, ok reports of this name) */
	double median_bytes;    /* of those n reports; 0 when n is 0 */
	double median_entries;
};

/*
 * Read the history of backup `name` from the file at path.  A file that does not
 * exist is an empty history (n 0), not an error.  Strict by default: malformed JSON
 * is an error "FILE:LINE: ..." (codes from ndjson.h: "parse", "limit", "io");
 * lenient: malformed records are skipped (a line cut short by a crashed writer).
 * The median of an even number of values is the mean of the middle two.  count 0
 * gives an empty history; a count above BV_HISTORY_COUNT_MAX is an error ("limit").  Returns 0 with *h filled, or -1 and e (*h is then empty).
 */
int bv_history_load(const char *path, const char *name, size_t count, int lenient,
		    struct bv_history *h, struct srerr *e);

/*
 * The median of the n values at v (reordered in place); 0 when n is 0.
 */
double bv_median(double *v, size_t n);

/*
 * 1 when actual deviates from median by more than tolerance (a fraction: 0.5 is
 * 50%) of the median, in either direction: |actual - median| > tolerance * median.
 * A median of 0 makes any actual above 0 an anomaly.  0 otherwise.
 */
int bv_history_anomaly(double median, double actual, double tolerance);

#endif
