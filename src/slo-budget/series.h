#ifndef SLO_BUDGET_SERIES_H
#define SLO_BUDGET_SERIES_H
/*
 * A series: the (good, total) counts of one SLO (and group) in fixed-width time
 * buckets, kept in a ring that covers slo_span_ms() back from the newest bucket.
 * Memory is fixed when the series is made (span / bucket width buckets, 20 bytes
 * each: 30d at 1m is 43,200 buckets, 864 KB) and stays flat however many events
 * arrive.  Every source adds into it: events (good 0 or 1, total 1), --counts
 * records, Prometheus increases (not integers).
 *
 * Bucket b holds the events with b*width <= t < (b+1)*width (t in ms since the
 * epoch, floor division, so buckets are aligned to UTC multiples of the width).
 * Events may arrive in any order: one inside the ring is added to its bucket; one in
 * a bucket older than the ring (newest bucket - span) is dropped and counted as
 * late; one after the limit set with slo_series_set_until() is ignored and counted
 * as future.  Adding is O(1) and never allocates: each bucket remembers which lap
 * of the ring it belongs to, so a stale bucket is reset when it is reused instead of
 * clearing the buckets a jump in time skips.
 *
 * Running sums.  So that evaluating at the head is cheap (--follow evaluates every
 * minute of event time), a series also keeps the sums of the windows slo_evaluate
 * reads: the SLO window (rolling: its length; calendar: from the period's first
 * bucket) and the 7 burn windows of status.h, each over its buckets before the newest
 * one (the newest is added when asked, so adding to it costs nothing more).  An add
 * to an older bucket inside a window changes that window's sum; when the newest
 * bucket moves on, the buckets leaving each window are subtracted (amortised O(1) per
 * bucket, and a jump longer than a window just empties it).  The sums are exact, and
 * so identical to summing the buckets in any order, because they are kept only while
 * every bucket in the ring holds whole numbers no larger than 2^52 / buckets (every
 * sum of up to two rings of them is then an exact double).  A bucket that is not
 * (Prometheus increases, huge --counts) suspends them: slo_series_sums() answers 0
 * and the caller sums the buckets, until that bucket has left the ring, when they
 * are summed afresh once.
 */
#include <stdint.h>

#include "slo.h"
#include "srerr.h"

struct slo_series;

/*
 * Make an empty series for d (which must pass slo_def_check; only its bucket width
 * and span are read, d is not kept).  Returns NULL with "limit" if the ring would
 * exceed SLO_MAX_BUCKETS, "range" for a definition that is not checked, or "oom".
 * Free it with slo_series_free().
 */
struct slo_series *slo_series_new(const struct slo_def *d, struct srerr *e);
void slo_series_free(struct slo_series *s);

/*
 * Add good of total at time t.  Returns
 *    1  added;
 *    0  not added: t is in a bucket older than the ring (counted as late) or after
 *       the limit of slo_series_set_until (counted as future);
 *   -1  invalid values, nothing added: NaN or infinite counts, a negative count,
 *       good > total, or t outside TM_MIN_MS..TM_MAX_MS.
 * A total of 0 (with good 0) is valid and adds nothing but may move the ring on.
 */
int slo_series_add(struct slo_series *s, int64_t t, double good, double total);

/*
 * Ignore events after until (ms): batch mode with --now sets it before reading so
 * that later events neither count nor push older ones out of the ring.  INT64_MAX
 * (the default) ignores nothing.
 */
void slo_series_set_until(struct slo_series *s, int64_t until);

/* The largest t added so far (an event time, not a bucket start); INT64_MIN when
 * nothing was added.  Batch mode's default "now". */
int64_t slo_series_newest(const struct slo_series *s);
/* Events dropped as older than the ring, and ignored as after the limit. */
uint64_t slo_series_late(const struct slo_series *s);
uint64_t slo_series_future(const struct slo_series *s);

/* The bucket width and the number of buckets in the ring. */
int64_t slo_series_bucket_ms(const struct slo_series *s);
int64_t slo_series_buckets(const struct slo_series *s);

/*
 * The counts of bucket b (absolute index: start b * width).  Returns 1 and fills
 * *good and *total when b is inside the ring's range [newest - buckets + 1, newest]
 * and has data; 0 (with both 0) otherwise.  For slo_evaluate and tests.
 */
int slo_series_bucket(const struct slo_series *s, int64_t b, double *good,
		      double *total);

/* ---- window sums ---------------------------------------------------------------- */

/*
 * The sums of a run of buckets as slo_evaluate counts them.  Occurrences: good and
 * total are the summed counts.  Timeslices: the number of good slices (buckets with
 * events whose good/total reaches the slice objective) and of slices with events.
 * events: the summed totals (events) either way.
 */
struct slo_sums {
	double good, total, events;
};

/* The SLO window and the burn windows of status.h, in that order. */
#define SLO_SERIES_WINDOWS 8

/*
 * The sign (-1, 0, 1) of x*p - y*q, exactly for whole x and y below 2^63 (128-bit
 * products where the compiler has them), else in long double.  x, y >= 0.  Whether a
 * slice is good (good*den >= total*num) and whether the SLI breaches the target.
 */
int slo_compare_products(double x, int64_t p, double y, int64_t q);

/*
 * Add one bucket's counts (good of total) to *a as d's method counts them (see struct
 * slo_sums): the summing step of slo_evaluate, shared by its full scan.
 */
void slo_sums_add_bucket(struct slo_sums *a, const struct slo_def *d, double good,
			 double total);

/*
 * The sums of window j over buckets first[j]..last (absolute indexes; first[j] >
 * last is an empty window) for the SLO_SERIES_WINDOWS windows, from the running sums.
 * Returns 1 with out[] exactly what summing those buckets with
 * slo_sums_add_bucket() gives, or 0 (out[] zeroed) when the running sums cannot say:
 * a bucket in the ring or the newest one is not a small whole number, or d's bucket
 * width, method or slice objective is not the series'.  Any first[] and last are
 * answered, at a cost of one step per bucket between them and the windows kept
 * (nothing when last is the newest bucket and first[] are those windows' starts),
 * never more than summing them.  A calendar window asked from a new first[0] moves
 * the SLO window's running sum there: that cache inside s is updated even though s is
 * const, so a series must not be read from two threads at once.
 */
int slo_series_sums(const struct slo_series *s, const struct slo_def *d, int64_t last,
		    const int64_t first[SLO_SERIES_WINDOWS],
		    struct slo_sums out[SLO_SERIES_WINDOWS]);

/*
 * How many buckets the running sums have read so far (moving the head on, adds to
 * older buckets, slo_series_sums): what their cost is, for tests and benchmarks.
 * Evaluating at the newest bucket reads none; the head moving on one bucket, one per
 * window whose start moves (not a calendar window's).
 */
uint64_t slo_series_reads(const struct slo_series *s);

#endif
