/*
 * Evaluating an SLO at an instant and its slo.status record.
 *
 * Every ratio is formed as one division of two products of the counts and the
 * objective's exact integers (long double holds the products of integer counts
 * exactly below 2^64); when both sides are integers below 2^53 the division is done
 * in double, so the result is the double nearest to the true ratio: 500 bad of
 * 1,000,000 at 99.9 is consumed_ratio 0.5, and 14.4 shows as 14.4.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "banned.h"

#define MINUTE INT64_C(60000)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

const int64_t slo_burn_windows_ms[SLO_NBURN] = {
	5 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY,
};
static const char *const burn_names[SLO_NBURN] = { "5m", "30m", "1h", "2h", "6h", "1d", "3d" };
enum { B5M, B30M, B1H, B2H, B6H, B1D, B3D };

const struct slo_alert_rule slo_alert_rules[SLO_NALERTS] = {
	{ SLO_SEV_PAGE, 2, HOUR, 5 * MINUTE, B1H, B5M },
	{ SLO_SEV_PAGE, 5, 6 * HOUR, 30 * MINUTE, B6H, B30M },
	{ SLO_SEV_TICKET, 10, DAY, 2 * HOUR, B1D, B2H },
	{ SLO_SEV_TICKET, 10, 3 * DAY, 6 * HOUR, B3D, B6H },
};

const char *slo_burn_window_name(int i)
{
	return i >= 0 && i < SLO_NBURN ? burn_names[i] : NULL;
}

const char *slo_severity_name(enum slo_severity s)
{
	switch (s) {
	case SLO_SEV_NONE:
		return "none";
	case SLO_SEV_TICKET:
		return "ticket";
	case SLO_SEV_PAGE:
		return "page";
	}
	return "?";
}

/* ---- exact arithmetic ------------------------------------------------------------- */

#define TWO53 9007199254740992.0L

static int exact_integer(long double x)
{
	return fabsl(x) < TWO53 && x == floorl(x);
}

/* num / den, rounded once when both are exact integers (see the top comment). */
static double ratio(long double num, long double den)
{
	if (exact_integer(num) && exact_integer(den))
		return (double)num / (double)den;
	return (double)(num / den);
}

double slo_alert_threshold(int64_t period_ms, int budget_percent, int64_t long_ms)
{
	return ratio((long double)budget_percent * period_ms, 100.0L * long_ms);
}

/* ---- summing windows -------------------------------------------------------------- */

struct window_plan {
	int64_t buckets[SLO_SERIES_WINDOWS];   /* main window, then the burn windows */
	struct slo_sums sums[SLO_SERIES_WINDOWS];
};

static int64_t ceil_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) == (b < 0)) ? q + 1 : q;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Walk back from now's bucket once, taking each window's sum as it is complete. */
static void scan_windows(const struct slo_def *d, const struct slo_series *s, int64_t nb,
			 struct window_plan *w)
{
	int64_t most = 0;
	struct slo_sums run = { 0, 0, 0 };

	for (int j = 0; j < SLO_SERIES_WINDOWS; j++)
		if (w->buckets[j] > most)
			most = w->buckets[j];
	for (int64_t i = 0; i < most; i++) {
		double good, total;

		if (s && slo_series_bucket(s, nb - i, &good, &total))
			slo_sums_add_bucket(&run, d, good, total);
		for (int j = 0; j < SLO_SERIES_WINDOWS; j++)
			if (w->buckets[j] == i + 1)
				w->sums[j] = run;
	}
}

/* The series' running sums when they can tell (exactly the scan's sums), else the scan. */
static void sum_windows(const struct slo_def *d, const struct slo_series *s, int64_t nb,
			int full, struct window_plan *w)
{
	int64_t first[SLO_SERIES_WINDOWS];

	for (int j = 0; j < SLO_SERIES_WINDOWS; j++)
		first[j] = nb - w->buckets[j] + 1;
	if (full || !s || !slo_series_sums(s, d, nb, first, w->sums))
		scan_windows(d, s, nb, w);
}

static void plan_windows(const struct slo_def *d, int64_t nb, int64_t start,
			 struct window_plan *w)
{
	int64_t width = slo_bucket_ms(d);

	memset(w, 0, sizeof(*w));
	w->buckets[0] = nb - ceil_div(start, width) + 1;
	for (int j = 0; j < SLO_NBURN; j++) {
		int64_t n = slo_burn_windows_ms[j] / width;

		w->buckets[1 + j] = n > 0 ? n : 1;
	}
}

/* ---- the status ------------------------------------------------------------------- */

static void budget_numbers(const struct slo_def *d, struct slo_status *st)
{
	int64_t num, bn, den;
	long double left;

	slo_decimal_parts(&d->objective, &num, &bn, &den);
	st->bad = st->total - st->good;
	st->consumed = st->bad;
	st->has_sli = st->total > 0;
	st->sli = st->has_sli ? st->good / st->total : 0;
	if (st->total <= 0) {
		st->consumed_ratio = 0;
		st->remaining_ratio = 1;
		st->remaining_ms = (int64_t)roundl((long double)bn * st->period_ms / den);
		return;
	}
	left = (long double)st->total * bn - (long double)st->bad * den;
	st->allowed = ratio((long double)st->total * bn, den);
	st->remaining = ratio(left, den);
	st->consumed_ratio = ratio((long double)st->bad * den, (long double)st->total * bn);
	st->remaining_ratio = ratio(left, (long double)st->total * bn);
	if (left > 0) {
		long double ms = roundl(left * st->period_ms / ((long double)st->total * den));

		st->remaining_ms = ms < TM_DURATION_MAX_MS ? (int64_t)ms : TM_DURATION_MAX_MS;
	}
	st->exhausted = !st->insufficient && st->consumed_ratio >= 1;
	st->breach = !st->insufficient && slo_compare_products(st->good, den, st->total, num) < 0;
}

static double burn_rate(const struct slo_def *d, const struct slo_sums *a)
{
	int64_t num, bn, den;

	if (a->total <= 0)
		return 0;
	slo_decimal_parts(&d->objective, &num, &bn, &den);
	return ratio((long double)(a->total - a->good) * den, (long double)a->total * bn);
}

static void alerts(const struct slo_def *d, struct slo_status *st)
{
	double min = (double)d->min_events;

	st->severity = SLO_SEV_NONE;
	for (int i = 0; i < SLO_NALERTS; i++) {
		const struct slo_alert_rule *r = &slo_alert_rules[i];
		struct slo_alert_state *a = &st->alerts[i];

		a->threshold = slo_alert_threshold(st->period_ms, r->budget_percent, r->long_ms);
		a->burn_long = st->burn[r->long_burn];
		a->burn_short = st->burn[r->short_burn];
		a->firing = !st->insufficient && st->burn_events[r->long_burn] >= min &&
			a->burn_long >= a->threshold && a->burn_short >= a->threshold;
		if (a->firing && r->severity > st->severity)
			st->severity = r->severity;
	}
}

/*
 * in = remaining_ratio * period / b with b = (bad_h * den) / (total_h * bn), the 1h
 * burn rate, expanded into one division of products so that a whole number of
 * milliseconds (49h at 14.4 with 98% left of 30d) is not cut to 48h59m59.999s.
 */
static void exhaustion(const struct slo_def *d, struct slo_status *st,
		       const struct slo_sums *h)
{
	int64_t num, bn, den;
	long double in;

	st->exhaustion_burn = st->burn[B1H];
	if (st->insufficient)   /* too few events for a verdict: no date either */
		return;
	if (st->consumed_ratio >= 1) {
		st->has_exhaustion = 1;
		st->exhaustion_at = st->now;
		return;
	}
	if (st->exhaustion_burn <= 0)
		return;
	slo_decimal_parts(&d->objective, &num, &bn, &den);
	if (st->total > 0)
		in = ((long double)st->total * bn - (long double)st->bad * den) * st->period_ms *
			h->total / ((long double)st->total * den * (h->total - h->good));
	else   /* a calendar period just begun, burning from the last one: all is left */
		in = (long double)st->period_ms * h->total * bn / ((h->total - h->good) * den);
	in = roundl(in);
	if (!(in <= (long double)(TM_MAX_MS - st->now)))
		return;
	st->has_exhaustion = 1;
	st->exhaustion_in_ms = (int64_t)in;
	st->exhaustion_at = st->now + st->exhaustion_in_ms;
}

static int evaluate(const struct slo_def *d, const struct slo_series *s, int64_t now,
		    int full, struct slo_status *st, struct srerr *e)
{
	struct window_plan w;
	int64_t nb;

	memset(st, 0, sizeof(*st));
	st->now = now;
	if (slo_def_period(d, now, &st->period_ms, &st->window_start, e) != 0)
		return -1;
	nb = floor_div(now, slo_bucket_ms(d));
	plan_windows(d, nb, st->window_start, &w);
	sum_windows(d, s, nb, full, &w);
	st->good = w.sums[0].good;
	st->total = w.sums[0].total;
	st->events = w.sums[0].events;
	st->insufficient = st->events < (double)d->min_events;
	for (int j = 0; j < SLO_NBURN; j++) {
		st->burn[j] = burn_rate(d, &w.sums[1 + j]);
		st->burn_events[j] = w.sums[1 + j].events;
	}
	budget_numbers(d, st);
	alerts(d, st);
	exhaustion(d, st, &w.sums[1 + B1H]);
	st->late = s ? slo_series_late(s) : 0;
	st->ok = st->insufficient || (!st->exhausted && st->severity != SLO_SEV_PAGE);
	return 0;
}

int slo_evaluate(const struct slo_def *d, const struct slo_series *s, int64_t now,
		 struct slo_status *st, struct srerr *e)
{
	return evaluate(d, s, now, 0, st, e);
}

int slo_evaluate_full(const struct slo_def *d, const struct slo_series *s, int64_t now,
		      struct slo_status *st, struct srerr *e)
{
	return evaluate(d, s, now, 1, st, e);
}

/* ---- the record ------------------------------------------------------------------- */

/* Counts summed from non-integer increases show their 15 significant digits, so
 * 0.1 + 0.2 reads 0.3; integers (every event count) are exact and left alone. */
static jv count_jv(double x)
{
	char buf[SLO_NUMBER_SIZE];

	if (x == floor(x))
		return jv_number(x);
	snprintf(buf, sizeof(buf), "%.15g", x);
	return jv_number(strtod(buf, NULL));
}

static jv time_jv(int64_t ms)
{
	char buf[TM_RFC3339_SIZE];

	if (tm_format_rfc3339(ms, buf, NULL) != 0)
		return jv_null();
	return jv_string(buf);
}

static jv duration_jv(int64_t ms)
{
	char buf[TM_DURATION_SIZE];

	return jv_string(slo_duration_format(ms, buf));
}

static jv set(jv obj, const char *key, jv value)
{
	return jv_object_set(obj, jv_string(key), value);
}

static jv window_jv(const struct slo_def *d, const struct slo_status *st)
{
	jv w = jv_object();

	if (d->calendar) {
		w = set(w, "kind", jv_string("calendar"));
		w = set(w, "period", jv_string(tm_period_name(d->period)));
		w = set(w, "tz", jv_string(d->zone ? tm_zone_name(d->zone) : "UTC"));
	} else {
		w = set(w, "kind", jv_string("rolling"));
		w = set(w, "duration", duration_jv(d->window_ms));
	}
	w = set(w, "start", time_jv(st->window_start));
	return set(w, "end", time_jv(st->now));
}

static jv budget_jv(const struct slo_status *st)
{
	jv b = jv_object();

	b = set(b, "allowed", count_jv(st->allowed));
	b = set(b, "consumed", count_jv(st->consumed));
	b = set(b, "remaining", count_jv(st->remaining));
	b = set(b, "consumed_ratio", jv_number(st->consumed_ratio));
	b = set(b, "remaining_ratio", jv_number(st->remaining_ratio));
	b = set(b, "remaining_time", duration_jv(st->remaining_ms));
	return set(b, "remaining_ms", jv_number((double)st->remaining_ms));
}

static jv burn_rates_jv(const struct slo_status *st)
{
	jv b = jv_object();

	for (int j = 0; j < SLO_NBURN; j++)
		b = set(b, burn_names[j], jv_number(st->burn[j]));
	return b;
}

static jv alerts_jv(const struct slo_status *st)
{
	jv list = jv_array();

	for (int i = 0; i < SLO_NALERTS; i++) {
		const struct slo_alert_rule *r = &slo_alert_rules[i];
		const struct slo_alert_state *a = &st->alerts[i];
		jv x = jv_object();

		x = set(x, "severity", jv_string(slo_severity_name(r->severity)));
		x = set(x, "long", jv_string(burn_names[r->long_burn]));
		x = set(x, "short", jv_string(burn_names[r->short_burn]));
		x = set(x, "threshold", jv_number(a->threshold));
		x = set(x, "burn_long", jv_number(a->burn_long));
		x = set(x, "burn_short", jv_number(a->burn_short));
		x = set(x, "firing", jv_bool(a->firing));
		list = jv_array_append(list, x);
	}
	return list;
}

static jv exhaustion_jv(const struct slo_status *st)
{
	jv x = set(jv_object(), "burn_rate", jv_number(st->exhaustion_burn));

	x = set(x, "at", st->has_exhaustion ? time_jv(st->exhaustion_at) : jv_null());
	return set(x, "in", st->has_exhaustion ? duration_jv(st->exhaustion_in_ms) : jv_null());
}

static jv head_jv(const struct slo_def *d, const struct slo_status *st, const char *group)
{
	jv r = set(jv_object(), "kind", jv_string("slo.status"));

	r = set(r, "time", time_jv(st->now));
	r = set(r, "slo", jv_string(d->name ? d->name : "slo"));
	if (group)
		r = set(r, "group", jv_string(group));
	r = set(r, "objective", jv_number(slo_decimal_value(&d->objective)));
	r = set(r, "target", jv_number(slo_decimal_target(&d->objective)));
	r = set(r, "method", jv_string(slo_method_name(d->method)));
	if (d->method == SLO_TIMESLICES) {
		r = set(r, "timeslice", duration_jv(d->timeslice_ms));
		r = set(r, "slice_objective", jv_number(slo_decimal_value(&d->slice_objective)));
	}
	return set(r, "window", window_jv(d, st));
}

jv slo_status_record(const struct slo_def *d, const struct slo_status *st,
		     const char *group)
{
	jv r = head_jv(d, st, group);

	r = set(r, "data", jv_string(st->insufficient ? "insufficient" : "ok"));
	r = set(r, "good", count_jv(st->good));
	r = set(r, "bad", count_jv(st->bad));
	r = set(r, "total", count_jv(st->total));
	r = set(r, "sli", st->has_sli ? jv_number(st->sli) : jv_null());
	r = set(r, "budget", budget_jv(st));
	r = set(r, "burn_rates", burn_rates_jv(st));
	r = set(r, "alerts", alerts_jv(st));
	r = set(r, "severity", jv_string(slo_severity_name(st->severity)));
	r = set(r, "exhaustion", exhaustion_jv(st));
	r = set(r, "late", jv_number((double)st->late));
	return set(r, "ok", jv_bool(st->ok));
}

/* ---- --fail-on -------------------------------------------------------------------- */

static const char *const condition_names[] = { "exhausted", "page", "ticket", "breach" };

int slo_condition_parse(const char *s, enum slo_condition *c, struct srerr *e)
{
	char q[72];

	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, condition_names[i])) {
			*c = (enum slo_condition)i;
			return 0;
		}
	}
	srerr_shorten(s, q, sizeof(q));
	srerr_set(e, "parse", "invalid condition '%s': expected exhausted, page, ticket or breach", q);
	return -1;
}

const char *slo_condition_name(enum slo_condition c)
{
	return (int)c >= 0 && (int)c < 4 ? condition_names[c] : "?";
}

int slo_condition_holds(const struct slo_status *st, enum slo_condition c)
{
	switch (c) {
	case SLO_COND_EXHAUSTED:
		return st->exhausted;
	case SLO_COND_PAGE:
		return st->severity == SLO_SEV_PAGE;
	case SLO_COND_TICKET:
		return st->severity >= SLO_SEV_TICKET;
	case SLO_COND_BREACH:
		return st->breach;
	}
	return 0;
}
