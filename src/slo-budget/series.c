/*
 * A ring of (good, total) buckets.  Slot i holds absolute bucket lap[i] * n + i; a
 * slot whose lap is not the one a bucket needs holds stale data and reads as empty,
 * so moving the ring on costs nothing however far time jumps.
 *
 * The running sums (see series.h): window k keeps sum over buckets lo..head-1, where
 * lo = max(anchor, head - len + 1) (rolling windows: anchor INT64_MIN; the calendar
 * window: len is the ring and anchor the period's first bucket).  The head bucket is
 * folded in when the head moves on; asked sums add it then.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"
#include "status.h"
#include "banned.h"

#define NO_LAP INT32_MIN
#define TWO52 4503599627370496.0

_Static_assert(SLO_SERIES_WINDOWS == 1 + SLO_NBURN, "the SLO window and the burn windows");

struct slo_bucket_counts {
	double good, total;
};

struct slo_tracked {
	int64_t len;            /* buckets */
	int64_t anchor;         /* first bucket counted: INT64_MIN rolling, INT64_MAX unasked */
	struct slo_sums sum;    /* over lo..head-1 */
};

/* Apart from the series so that slo_series_sums (const series) may move an anchor. */
struct slo_running {
	struct slo_tracked w[SLO_SERIES_WINDOWS];
	int valid;              /* sums kept: every bucket in the ring is exact */
	int64_t tainted_until;  /* the head after which an inexact bucket has left the ring */
	uint64_t reads;         /* buckets read for the sums: slo_series_reads() */
};

struct slo_series {
	int64_t width;          /* bucket width, ms */
	int64_t n;              /* buckets in the ring */
	int64_t head;           /* newest bucket index; INT64_MIN when empty */
	int64_t head_i, head_lap;   /* its slot and lap */
	int64_t newest;         /* newest event time added */
	int64_t until;          /* events after it are ignored */
	struct slo_bucket_counts *head_slot;
	uint64_t late, future;
	struct slo_bucket_counts *counts;
	int32_t *lap;
	/* what slo_sums_add_bucket reads of the definition */
	enum slo_method method;
	int64_t slice_num, slice_den;
	double limit;           /* the largest exact bucket total: 2^52 / n */
	struct slo_running *run;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- counting buckets ------------------------------------------------------------- */

int slo_compare_products(double x, int64_t p, double y, int64_t q)
{
#ifdef __SIZEOF_INT128__
	if (x == floor(x) && y == floor(y) && x < 9.2e18 && y < 9.2e18) {
		__extension__ __int128 a = (__int128)(int64_t)x * p, b = (__int128)(int64_t)y * q;

		return (a > b) - (a < b);
	}
#endif
	long double a = (long double)x * p, b = (long double)y * q;

	return (a > b) - (a < b);
}

static void count_bucket(struct slo_sums *a, enum slo_method method, int64_t num,
			 int64_t den, double good, double total)
{
	a->events += total;
	if (method == SLO_OCCURRENCES) {
		a->good += good;
		a->total += total;
		return;
	}
	if (total <= 0)
		return;
	a->total += 1;
	if (slo_compare_products(good, den, total, num) >= 0)
		a->good += 1;
}

void slo_sums_add_bucket(struct slo_sums *a, const struct slo_def *d, double good,
			 double total)
{
	int64_t num = 0, bad, den = 1;

	if (d->method == SLO_TIMESLICES)
		slo_decimal_parts(&d->slice_objective, &num, &bad, &den);
	count_bucket(a, d->method, num, den, good, total);
}

/* A bucket as it counts in the series' sums (slices out of line: the head moves on
 * through here once per window). */
static __attribute__((noinline)) struct slo_sums counted_slice(const struct slo_series *s,
							      const struct slo_bucket_counts *c)
{
	struct slo_sums a = { 0, 0, 0 };

	count_bucket(&a, s->method, s->slice_num, s->slice_den, c->good, c->total);
	return a;
}

static struct slo_sums counted(const struct slo_series *s, const struct slo_bucket_counts *c)
{
	if (s->method != SLO_OCCURRENCES)
		return counted_slice(s, c);
	return (struct slo_sums){ c->good, c->total, c->total };
}

static void sums_add(struct slo_sums *a, const struct slo_sums *b)
{
	a->good += b->good;
	a->total += b->total;
	a->events += b->events;
}

static void sums_sub(struct slo_sums *a, const struct slo_sums *b)
{
	a->good -= b->good;
	a->total -= b->total;
	a->events -= b->events;
}

/* Whole counts small enough that sums of two rings of them are exact doubles. */
static int exact_bucket(const struct slo_series *s, const struct slo_bucket_counts *c)
{
	return c->total <= s->limit && c->good == (double)(int64_t)c->good &&
	       c->total == (double)(int64_t)c->total;
}

/* ---- the ring --------------------------------------------------------------------- */

/* Bucket b's slot if it holds b, else NULL; b must be in head-n+1..head.  No
 * division: this is what the sums read. */
static const struct slo_bucket_counts *slot_near(const struct slo_series *s, int64_t b)
{
	int64_t i = s->head_i - (s->head - b), lap = s->head_lap;

	if (i < 0) {
		i += s->n;
		lap--;
	}
	return s->lap[i] == (int32_t)lap ? &s->counts[i] : NULL;
}

/* The slot of bucket b, reset first if it holds an older lap. */
static struct slo_bucket_counts *slot_for(struct slo_series *s, int64_t b)
{
	int64_t lap = floor_div(b, s->n), i = b - lap * s->n;

	if (s->lap[i] != (int32_t)lap) {
		s->lap[i] = (int32_t)lap;
		s->counts[i].good = 0;
		s->counts[i].total = 0;
	}
	return &s->counts[i];
}

/* Add sign * the buckets from..to, which must lie in head-n+1..head. */
static void sum_range(const struct slo_series *s, int64_t from, int64_t to,
		      struct slo_sums *a, int sign)
{
	int64_t i, lap = s->head_lap;

	if (from > to)
		return;
	s->run->reads += (uint64_t)(to - from + 1);
	i = s->head_i - (s->head - from);
	if (i < 0) {
		i += s->n;
		lap--;
	}
	for (int64_t b = from; b <= to; b++) {
		if (s->lap[i] == (int32_t)lap) {
			struct slo_sums x = counted(s, &s->counts[i]);

			if (sign > 0)
				sums_add(a, &x);
			else
				sums_sub(a, &x);
		}
		if (++i == s->n) {
			i = 0;
			lap++;
		}
	}
}

/* ---- running sums ----------------------------------------------------------------- */

static int64_t lower(const struct slo_tracked *w, int64_t head)
{
	int64_t lo = head - w->len + 1;

	return w->anchor > lo ? w->anchor : lo;
}

static void tracked_init(struct slo_series *s, const struct slo_def *d)
{
	struct slo_running *r = s->run;

	r->valid = 1;
	r->tainted_until = INT64_MIN;
	r->w[0].len = d->calendar ? s->n : d->window_ms / s->width;
	r->w[0].anchor = d->calendar ? INT64_MAX : INT64_MIN;
	for (int j = 0; j < SLO_NBURN; j++) {
		int64_t len = slo_burn_windows_ms[j] / s->width;

		r->w[1 + j].len = len > 0 ? len : 1;
		r->w[1 + j].anchor = INT64_MIN;
	}
}

/* Bucket b holds counts the sums cannot keep: suspend them while it is in the ring. */
static void taint(struct slo_series *s, int64_t b)
{
	struct slo_running *r = s->run;

	r->valid = 0;
	if (b + s->n - 1 > r->tainted_until)
		r->tainted_until = b + s->n - 1;
}

/* Sum every window afresh for a head moving on to bucket b (before it does). */
static void rebuild(struct slo_series *s, int64_t b)
{
	struct slo_running *r = s->run;

	for (int k = 0; k < SLO_SERIES_WINDOWS; k++) {
		struct slo_tracked *w = &r->w[k];

		memset(&w->sum, 0, sizeof(w->sum));
		sum_range(s, lower(w, b), s->head, &w->sum, 1);   /* later ones are empty */
	}
	r->valid = 1;
}

/* Window w as the head moves from h (counts hc) to b > h: fold h in, drop the buckets
 * that leave. */
static void slide(const struct slo_series *s, struct slo_tracked *w, int64_t h,
		  const struct slo_sums *hc, int64_t b)
{
	int64_t lo = lower(w, h), lo2 = lower(w, b);

	if (lo2 > h) {
		memset(&w->sum, 0, sizeof(w->sum));
		return;
	}
	if (h >= lo)
		sums_add(&w->sum, hc);
	if (lo2 == lo + 1) {   /* the usual step: one bucket leaves */
		const struct slo_bucket_counts *c = slot_near(s, lo);

		s->run->reads++;
		if (c) {
			struct slo_sums x = counted(s, c);

			sums_sub(&w->sum, &x);
		}
		return;
	}
	sum_range(s, lo, lo2 - 1, &w->sum, -1);
}

/* Before the head moves from s->head to b (b's slot not yet reset). */
static void move_windows(struct slo_series *s, int64_t b)
{
	struct slo_running *r = s->run;
	struct slo_sums hc;

	if (!exact_bucket(s, s->head_slot))
		taint(s, s->head);
	if (!r->valid) {
		if (b > r->tainted_until)
			rebuild(s, b);
		return;
	}
	hc = counted(s, s->head_slot);
	for (int k = 0; k < SLO_SERIES_WINDOWS; k++)
		slide(s, &r->w[k], s->head, &hc, b);
}

/* ---- the series ------------------------------------------------------------------- */

struct slo_series *slo_series_new(const struct slo_def *d, struct srerr *e)
{
	struct slo_series *s;
	int64_t width = slo_bucket_ms(d), span = slo_span_ms(d), bad;

	if (width <= 0 || span <= 0 || span % width != 0) {
		srerr_set(e, "range", "invalid bucket width or span");
		return NULL;
	}
	if (span / width > SLO_MAX_BUCKETS) {
		srerr_set(e, "limit", "a series of %lld buckets is more than the %lld allowed",
			  (long long)(span / width), (long long)SLO_MAX_BUCKETS);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto oom;
	s->width = width;
	s->n = span / width;
	s->head = INT64_MIN;
	s->newest = INT64_MIN;
	s->until = INT64_MAX;
	s->method = d->method;
	s->slice_den = 1;
	if (d->method == SLO_TIMESLICES)
		slo_decimal_parts(&d->slice_objective, &s->slice_num, &bad, &s->slice_den);
	s->limit = floor(TWO52 / (double)s->n);
	s->counts = calloc((size_t)s->n, sizeof(*s->counts));
	s->lap = malloc((size_t)s->n * sizeof(*s->lap));
	s->run = calloc(1, sizeof(*s->run));
	if (!s->counts || !s->lap || !s->run)
		goto oom;
	for (int64_t i = 0; i < s->n; i++)
		s->lap[i] = NO_LAP;
	tracked_init(s, d);
	return s;
oom:
	slo_series_free(s);
	srerr_set(e, "oom", "out of memory for a series of %lld buckets", (long long)(span / width));
	return NULL;
}

void slo_series_free(struct slo_series *s)
{
	if (!s)
		return;
	free(s->counts);
	free(s->lap);
	free(s->run);
	free(s);
}

/* The head moves on to bucket b (the first add included).  Kept out of line, as
 * add_before_head, so that adding to the head stays a few instructions. */
static __attribute__((noinline)) struct slo_bucket_counts *advance(struct slo_series *s, int64_t b)
{
	if (s->head != INT64_MIN)
		move_windows(s, b);
	s->head = b;
	s->head_lap = floor_div(b, s->n);
	s->head_i = b - s->head_lap * s->n;
	s->head_slot = slot_for(s, b);
	return s->head_slot;
}

/* An add to bucket b older than the head, inside the ring: the windows holding b
 * change by what b's count changed. */
static __attribute__((noinline)) void add_before_head(struct slo_series *s, int64_t b, double good, double total)
{
	struct slo_bucket_counts *c = slot_for(s, b);
	struct slo_running *r = s->run;
	struct slo_sums before = { 0, 0, 0 }, after;

	if (r->valid)
		before = counted(s, c);
	c->good += good;
	c->total += total;
	if (!exact_bucket(s, c)) {
		taint(s, b);
		return;
	}
	if (!r->valid)
		return;
	after = counted(s, c);
	sums_sub(&after, &before);
	for (int k = 0; k < SLO_SERIES_WINDOWS; k++)
		if (b >= lower(&r->w[k], s->head))
			sums_add(&r->w[k].sum, &after);
}

int slo_series_add(struct slo_series *s, int64_t t, double good, double total)
{
	struct slo_bucket_counts *c;
	int64_t b;

	/* !(x >= 0) also rejects NaN; total < INFINITY rejects infinity */
	if (!(good >= 0) || !(total >= good) || !(total < INFINITY) ||
	    t < TM_MIN_MS || t > TM_MAX_MS)
		return -1;
	if (t > s->until) {
		s->future++;
		return 0;
	}
	b = floor_div(t, s->width);
	if (b == s->head) {
		c = s->head_slot;
	} else if (b > s->head) {
		c = advance(s, b);
	} else if (b > s->head - s->n) {
		add_before_head(s, b, good, total);
		return 1;
	} else {
		s->late++;
		return 0;
	}
	c->good += good;
	c->total += total;
	if (t > s->newest)
		s->newest = t;
	return 1;
}

void slo_series_set_until(struct slo_series *s, int64_t until)
{
	s->until = until;
}

int64_t slo_series_newest(const struct slo_series *s)
{
	return s->newest;
}

uint64_t slo_series_late(const struct slo_series *s)
{
	return s->late;
}

uint64_t slo_series_future(const struct slo_series *s)
{
	return s->future;
}

int64_t slo_series_bucket_ms(const struct slo_series *s)
{
	return s->width;
}

int64_t slo_series_buckets(const struct slo_series *s)
{
	return s->n;
}

uint64_t slo_series_reads(const struct slo_series *s)
{
	return s->run->reads;
}

int slo_series_bucket(const struct slo_series *s, int64_t b, double *good,
		      double *total)
{
	const struct slo_bucket_counts *c;

	*good = 0;
	*total = 0;
	if (s->head == INT64_MIN || b > s->head || b <= s->head - s->n)
		return 0;
	if (!(c = slot_near(s, b)))
		return 0;
	*good = c->good;
	*total = c->total;
	return 1;
}

/* ---- asking the running sums ------------------------------------------------------ */

static int same_counting(const struct slo_series *s, const struct slo_def *d)
{
	int64_t num = 0, bad, den = 1;

	if (d->method == SLO_TIMESLICES)
		slo_decimal_parts(&d->slice_objective, &num, &bad, &den);
	return slo_bucket_ms(d) == s->width && d->method == s->method &&
	       num == s->slice_num && den == s->slice_den;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/*
 * Move the calendar window's anchor to bucket first: its sum over lo..head-1 goes
 * from starting at c0 to starting at c1, by adding or dropping the buckets between
 * them or by summing it afresh, whichever reads fewer buckets.
 */
static void reanchor(const struct slo_series *s, struct slo_tracked *w, int64_t first)
{
	int64_t h = s->head, c0 = min64(lower(w, h), h), c1;

	w->anchor = first;
	c1 = min64(lower(w, h), h);
	if (c1 - c0 > h - c1 || c0 - c1 > h - c1) {
		memset(&w->sum, 0, sizeof(w->sum));
		sum_range(s, c1, h - 1, &w->sum, 1);
	} else if (c1 > c0) {
		sum_range(s, c0, c1 - 1, &w->sum, -1);
	} else {
		sum_range(s, c1, c0 - 1, &w->sum, 1);
	}
}

/*
 * The buckets first..last of the ring, from window w's sum (over lo..head-1) and the
 * head's counts hc: drop what w has before first and after last, add what it lacks,
 * unless summing first..last directly reads fewer buckets.
 */
static void window_sum(const struct slo_series *s, const struct slo_tracked *w,
		       const struct slo_sums *hc, int64_t first, int64_t last,
		       struct slo_sums *out)
{
	int64_t h = s->head, lo = min64(lower(w, h), h + 1);
	int64_t f = max64(first, h - s->n + 1), l = min64(last, h);

	memset(out, 0, sizeof(*out));
	if (f > l)
		return;
	if (l - f + 1 <= (f > lo ? f - lo : lo - f) + (h - l)) {
		sum_range(s, f, l, out, 1);
		return;
	}
	*out = w->sum;
	if (lo <= h)
		sums_add(out, hc);
	sum_range(s, lo, f - 1, out, -1);
	sum_range(s, l + 1, h, out, -1);
	sum_range(s, f, lo - 1, out, 1);
}

int slo_series_sums(const struct slo_series *s, const struct slo_def *d, int64_t last,
		    const int64_t first[SLO_SERIES_WINDOWS],
		    struct slo_sums out[SLO_SERIES_WINDOWS])
{
	struct slo_running *r = s->run;
	struct slo_sums hc;

	memset(out, 0, SLO_SERIES_WINDOWS * sizeof(*out));
	if (!same_counting(s, d))
		return 0;
	if (s->head == INT64_MIN)
		return 1;
	if (!r->valid || !exact_bucket(s, s->head_slot))
		return 0;
	hc = counted(s, s->head_slot);
	if (r->w[0].anchor != INT64_MIN && r->w[0].anchor != first[0])
		reanchor(s, &r->w[0], first[0]);
	for (int k = 0; k < SLO_SERIES_WINDOWS; k++)
		window_sum(s, &r->w[k], &hc, first[k], last, &out[k]);
	return 1;
}
