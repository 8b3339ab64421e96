/*
 * Unit tests of slo-budget's engine: the definition and exact percentages (slo.c),
 * the ring of buckets (series.c), evaluation, the slo.status record and --fail-on
 * (status.c), with the hand-computed fixtures of issue 4.
 *
 * The Makefile links tests/unit/test_slo_budget_*.c with slo-budget's objects (all
 * but main.o).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/slo-budget/series.h"
#include "../../src/slo-budget/slo.h"
#include "../../src/slo-budget/status.h"
#include "tm.h"
#include "banned.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)
#define DAY_MS INT64_C(86400000)

/* ---- helpers ------------------------------------------------------------------- */

static int64_t ts(const char *s)
{
	struct srerr e;
	int64_t v = 0;

	srerr_clear(&e);
	if (tm_parse_rfc3339(s, &v, &e) != 0)
		fail_msg("parse '%s' failed: %s", s, e.msg);
	return v;
}

static struct slo_decimal dec(const char *s)
{
	struct slo_decimal d;
	struct srerr e;

	srerr_clear(&e);
	if (slo_decimal_parse(s, &d, &e) != 0)
		fail_msg("slo_decimal_parse('%s'): %s", s, e.msg);
	return d;
}

/* A checked rolling definition at objective obj over window_ms. */
static void def_rolling(struct slo_def *d, const char *obj, int64_t window_ms)
{
	struct srerr e;

	slo_def_init(d);
	d->objective = dec(obj);
	d->window_ms = window_ms;
	srerr_clear(&e);
	if (slo_def_check(d, &e) != 0)
		fail_msg("slo_def_check: %s", e.msg);
}

static struct slo_series *series(const struct slo_def *d)
{
	struct srerr e;
	struct slo_series *s;

	srerr_clear(&e);
	s = slo_series_new(d, &e);
	if (!s)
		fail_msg("slo_series_new: %s", e.msg);
	return s;
}

static void eval(const struct slo_def *d, const struct slo_series *s, int64_t now,
		 struct slo_status *st)
{
	struct srerr e;

	srerr_clear(&e);
	if (slo_evaluate(d, s, now, st, &e) != 0)
		fail_msg("slo_evaluate: %s", e.msg);
}

/* The compact JSON of the record (caller frees). */
static char *record_text(const struct slo_def *d, const struct slo_status *st,
			 const char *group)
{
	jv s = jv_dump_string(slo_status_record(d, st, group), 0);
	char *out = strdup(jv_string_value(s));

	jv_free(s);
	return out;
}

/* jq's text of one field path ("budget.remaining_time") of the record. */
static char *field_text(const struct slo_def *d, const struct slo_status *st,
			const char *path)
{
	jv r = slo_status_record(d, st, NULL);
	char buf[256], *save = NULL, *tok;
	jv s;
	char *out;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		char *end;
		long idx = strtol(tok, &end, 10);

		if (*end == '\0')
			r = jv_array_get(r, (int)idx);
		else
			r = jv_object_get(r, jv_string(tok));
	}
	s = jv_dump_string(r, 0);
	out = strdup(jv_string_value(s));
	jv_free(s);
	return out;
}

static void assert_field(const struct slo_def *d, const struct slo_status *st,
			 const char *path, const char *want)
{
	char *got = field_text(d, st, path);

	if (strcmp(got, want) != 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s: got %s, want %s", path, got, want);
		free(got);
		fail_msg("%s", msg);
	}
	free(got);
}

/* No double of the status is NaN or infinite. */
static void assert_all_finite(const struct slo_status *st)
{
	const double xs[] = { st->good, st->bad, st->total, st->events, st->sli, st->allowed,
			      st->consumed, st->remaining, st->consumed_ratio,
			      st->remaining_ratio, st->exhaustion_burn };

	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		assert_true(isfinite(xs[i]));
	for (int j = 0; j < SLO_NBURN; j++)
		assert_true(isfinite(st->burn[j]));
	for (int i = 0; i < SLO_NALERTS; i++) {
		assert_true(isfinite(st->alerts[i].threshold));
		assert_true(isfinite(st->alerts[i].burn_long));
		assert_true(isfinite(st->alerts[i].burn_short));
	}
}

/* ---- exact percentages ---------------------------------------------------------- */

static void test_decimal_parse(void **state)
{
	struct slo_decimal d;

	(void)state;
	d = dec("99.9");
	assert_int_equal(d.mantissa, 999);
	assert_int_equal(d.scale, 1);
	assert_string_equal(d.text, "99.9");
	d = dec("99.95");
	assert_int_equal(d.mantissa, 9995);
	assert_int_equal(d.scale, 2);
	d = dec("99");
	assert_int_equal(d.mantissa, 99);
	assert_int_equal(d.scale, 0);
	assert_string_equal(d.text, "99");
	d = dec("0.5");
	assert_int_equal(d.mantissa, 5);
	d = dec("099.90");
	assert_int_equal(d.mantissa, 9990);
	assert_int_equal(d.scale, 2);
	assert_string_equal(d.text, "99.90");
	d = dec("99.999999999");
	assert_int_equal(d.mantissa, INT64_C(99999999999));
	assert_int_equal(d.scale, 9);
	d = dec("0.000000001");
	assert_int_equal(d.mantissa, 1);
	assert_int_equal(d.scale, 9);
}

static void test_decimal_errors(void **state)
{
	static const char *const bad_syntax[] = {
		"", ".", "99.", ".5", "-1", "+1", "1e2", "99.9x", " 99", "99 ", "abc",
		"99.1234567890", "9,9", "0x10", "99..9", "inf", "nan",
	};
	static const char *const out_of_range[] = { "0", "0.0", "00", "0.000000000", "100", "100.0",
						    "1000", "99999" };
	struct slo_decimal d = { 7, 3, "keep" };
	struct srerr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_syntax) / sizeof(bad_syntax[0]); i++) {
		srerr_clear(&e);
		if (slo_decimal_parse(bad_syntax[i], &d, &e) != -1)
			fail_msg("'%s' accepted", bad_syntax[i]);
		assert_string_equal(e.code, "parse");
	}
	for (size_t i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++) {
		srerr_clear(&e);
		if (slo_decimal_parse(out_of_range[i], &d, &e) != -1)
			fail_msg("'%s' accepted", out_of_range[i]);
		assert_string_equal(e.code, "range");
	}
	assert_int_equal(d.mantissa, 7);
	assert_string_equal(d.text, "keep");
	slo_decimal_parse("99.9x", &d, &e);
	assert_string_equal(e.msg, "invalid percentage '99.9x': expected a number like 99.9 with at most 9 decimals");
	slo_decimal_parse("100", &d, &e);
	assert_string_equal(e.msg, "percentage '100' out of range: expected more than 0 and less than 100");
	assert_int_equal(slo_decimal_parse("5x", &d, NULL), -1);
}

static void test_decimal_exact_ratios(void **state)
{
	struct slo_decimal d = dec("99.9");
	int64_t num, bad, den;

	(void)state;
	/* exact equality on purpose: the doubles nearest to the decimals */
	assert_true(slo_decimal_value(&d) == 99.9);
	assert_true(slo_decimal_target(&d) == 0.999);
	assert_true(slo_decimal_budget(&d) == 0.001);
	slo_decimal_parts(&d, &num, &bad, &den);
	assert_int_equal(num, 999);
	assert_int_equal(bad, 1);
	assert_int_equal(den, 1000);
	d = dec("99.95");
	assert_true(slo_decimal_target(&d) == 0.9995);
	assert_true(slo_decimal_budget(&d) == 0.0005);
	d = dec("99.999");
	assert_true(slo_decimal_budget(&d) == 0.00001);
	d = dec("95");
	assert_true(slo_decimal_target(&d) == 0.95);
	assert_true(slo_decimal_budget(&d) == 0.05);
	d = dec("99.90");
	assert_true(slo_decimal_budget(&d) == 0.001);
	d = dec("99.999999999");
	slo_decimal_parts(&d, &num, &bad, &den);
	assert_int_equal(bad, 1);
	assert_int_equal(den, INT64_C(100000000000));
}

static void test_number_format(void **state)
{
	char buf[SLO_NUMBER_SIZE];

	(void)state;
	assert_string_equal(slo_number_format(14.4, buf), "14.4");
	assert_string_equal(slo_number_format(0.001, buf), "0.001");
	assert_string_equal(slo_number_format(14.0 / 15.0, buf), "0.9333333333333333");
	assert_string_equal(slo_number_format(1296000, buf), "1296000");
	assert_string_equal(slo_number_format(0.1 + 0.2, buf), "0.30000000000000004");
	assert_string_equal(slo_number_format(1e17, buf), "1e+17");
	assert_string_equal(slo_number_format(-2.5, buf), "-2.5");
	assert_string_equal(slo_number_format(0, buf), "0");
	assert_string_equal(slo_number_format(NAN, buf), "null");
	assert_string_equal(slo_number_format(INFINITY, buf), "null");
}

static void test_method_parse(void **state)
{
	enum slo_method m = SLO_OCCURRENCES;
	struct srerr e;

	(void)state;
	assert_int_equal(slo_method_parse("timeslices", &m, NULL), 0);
	assert_int_equal(m, SLO_TIMESLICES);
	assert_int_equal(slo_method_parse("occurrences", &m, NULL), 0);
	assert_int_equal(m, SLO_OCCURRENCES);
	srerr_clear(&e);
	assert_int_equal(slo_method_parse("ratio", &m, &e), -1);
	assert_string_equal(e.code, "parse");
	assert_string_equal(e.msg, "invalid method 'ratio': expected occurrences or timeslices");
	assert_string_equal(slo_method_name(SLO_TIMESLICES), "timeslices");
	assert_string_equal(slo_method_name(SLO_OCCURRENCES), "occurrences");
	assert_string_equal(slo_method_name((enum slo_method)9), "?");
}

/* ---- the definition ------------------------------------------------------------ */

static void test_def_defaults(void **state)
{
	struct slo_def d;
	struct srerr e;

	(void)state;
	slo_def_init(&d);
	assert_null(d.name);
	assert_int_equal(d.calendar, 0);
	assert_int_equal(d.window_ms, 30 * DAY_MS);
	assert_int_equal(d.method, SLO_OCCURRENCES);
	assert_int_equal(d.min_events, 1);
	assert_int_equal(slo_bucket_ms(&d), MIN_MS);
	assert_int_equal(slo_span_ms(&d), 30 * DAY_MS);
	srerr_clear(&e);
	assert_int_equal(slo_def_check(&d, &e), -1);   /* no objective */
	assert_string_equal(e.code, "range");
	assert_string_equal(e.msg, "missing objective: expected a percentage like 99.9");
	d.objective = dec("99.9");
	assert_int_equal(slo_def_check(&d, NULL), 0);
	d.name = strdup("api");
	d.zone = tm_zone_load("UTC", NULL);
	assert_non_null(d.zone);
	slo_def_release(&d);   /* valgrind: name and zone freed */
	assert_null(d.name);
	assert_null(d.zone);
	slo_def_release(&d);   /* twice is harmless */
}

static void test_def_spans(void **state)
{
	struct slo_def d;

	(void)state;
	def_rolling(&d, "99.9", HOUR_MS);
	assert_int_equal(slo_span_ms(&d), 3 * DAY_MS);     /* the 3d burn window */
	d.window_ms = 90 * DAY_MS;
	assert_int_equal(slo_span_ms(&d), 90 * DAY_MS);
	d.calendar = 1;
	d.period = TM_PERIOD_MONTH;
	assert_int_equal(slo_span_ms(&d), 32 * DAY_MS);
	d.period = TM_PERIOD_QUARTER;
	assert_int_equal(slo_span_ms(&d), 93 * DAY_MS);
	d.period = TM_PERIOD_WEEK;
	assert_int_equal(slo_span_ms(&d), 8 * DAY_MS);
	d.period = TM_PERIOD_DAY;
	assert_int_equal(slo_span_ms(&d), 3 * DAY_MS);
	d.period = TM_PERIOD_YEAR;
	assert_int_equal(slo_span_ms(&d), 367 * DAY_MS);
	d.method = SLO_TIMESLICES;
	d.timeslice_ms = 5 * MIN_MS;
	assert_int_equal(slo_bucket_ms(&d), 5 * MIN_MS);
	slo_def_release(&d);
}

static void expect_check_error(const struct slo_def *d, const char *code, const char *msg)
{
	struct srerr e;

	srerr_clear(&e);
	assert_int_equal(slo_def_check(d, &e), -1);
	assert_string_equal(e.code, code);
	if (msg)
		assert_string_equal(e.msg, msg);
}

static void test_def_check_errors(void **state)
{
	struct slo_def d;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	d.window_ms = 90 * 1000;
	expect_check_error(&d, "range", "window '1m30s' is not a whole number of 1m buckets");
	d.window_ms = 0;
	expect_check_error(&d, "range", "window '0s' is not a whole number of 1m buckets");
	d.window_ms = -MIN_MS;
	expect_check_error(&d, "range", NULL);
	d.window_ms = 3650 * DAY_MS;   /* 5,256,000 buckets */
	expect_check_error(&d, "limit", "a window of 3650d in 1m buckets needs more than 4000000 buckets");
	d.window_ms = 30 * DAY_MS;
	d.method = (enum slo_method)7;
	expect_check_error(&d, "range", "invalid method 7");
	d.method = SLO_TIMESLICES;
	expect_check_error(&d, "range", "missing slice objective: timeslices need one, like 95");
	d.slice_objective = dec("95");
	assert_int_equal(slo_def_check(&d, NULL), 0);
	d.timeslice_ms = 500;
	expect_check_error(&d, "range", "invalid timeslice '500ms': expected at least 1s and a divisor of 1d");
	d.timeslice_ms = 7000;
	expect_check_error(&d, "range", "invalid timeslice '7s': expected at least 1s and a divisor of 1d");
	d.timeslice_ms = 1000;   /* 30d of 1s slices: 2,592,000 buckets */
	assert_int_equal(slo_def_check(&d, NULL), 0);
	d.window_ms = 60 * DAY_MS;
	expect_check_error(&d, "limit", NULL);
	d.timeslice_ms = 7 * MIN_MS;   /* 1d is not a multiple of 7m */
	expect_check_error(&d, "range", NULL);
	d.timeslice_ms = HOUR_MS;
	d.window_ms = 90 * MIN_MS;     /* not a whole number of 1h slices */
	expect_check_error(&d, "range", "window '1h30m' is not a whole number of 1h buckets");
	d.window_ms = 30 * DAY_MS;
	assert_int_equal(slo_def_check(&d, NULL), 0);
	d.method = SLO_OCCURRENCES;
	d.calendar = 1;
	expect_check_error(&d, "zone", "a calendar window needs a time zone");
	d.zone = tm_zone_load("UTC", NULL);
	assert_int_equal(slo_def_check(&d, NULL), 0);
	d.period = (enum tm_period)42;
	expect_check_error(&d, "range", "invalid calendar period 42");
	d.objective.mantissa = 0;
	expect_check_error(&d, "range", NULL);
	slo_def_release(&d);
}

static void test_def_period_rolling(void **state)
{
	struct slo_def d;
	int64_t period = 0, start = 0;
	struct srerr e;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	assert_int_equal(slo_def_period(&d, ts("2026-04-30T12:00:30.500Z"), &period, &start, NULL), 0);
	assert_int_equal(period, 30 * DAY_MS);
	/* whole minutes ending with now's: the first counted minute starts 30d - 1m before it */
	assert_int_equal(start, ts("2026-03-31T12:01:00Z"));
	assert_int_equal(slo_def_period(&d, 0, NULL, NULL, NULL), 0);
	srerr_clear(&e);
	assert_int_equal(slo_def_period(&d, TM_MAX_MS + 1, &period, &start, &e), -1);
	assert_string_equal(e.code, "range");
	assert_int_equal(slo_def_period(&d, TM_MIN_MS - 1, &period, &start, NULL), -1);
	d.calendar = 1;   /* no zone */
	srerr_clear(&e);
	assert_int_equal(slo_def_period(&d, 0, &period, &start, &e), -1);
	assert_string_equal(e.code, "zone");
	slo_def_release(&d);
}

/* ---- the ring ------------------------------------------------------------------- */

static void test_series_new_errors(void **state)
{
	struct slo_def d;
	struct srerr e;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	d.window_ms = 3650 * DAY_MS;
	srerr_clear(&e);
	assert_null(slo_series_new(&d, &e));
	assert_string_equal(e.code, "limit");
	d.window_ms = 3 * DAY_MS + 1;   /* not a whole number of buckets */
	srerr_clear(&e);
	assert_null(slo_series_new(&d, &e));
	assert_string_equal(e.code, "range");
	d.method = SLO_TIMESLICES;
	d.timeslice_ms = 0;
	assert_null(slo_series_new(&d, NULL));
	slo_series_free(NULL);
	slo_def_release(&d);
}

static void test_series_add_and_read(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	int64_t t = ts("2026-04-01T00:00:00Z"), b = t / MIN_MS;
	double good, total;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	assert_int_equal(slo_series_buckets(s), 43200);
	assert_int_equal(slo_series_bucket_ms(s), MIN_MS);
	assert_int_equal(slo_series_newest(s), INT64_MIN);
	assert_int_equal(slo_series_bucket(s, b, &good, &total), 0);
	assert_int_equal(slo_series_add(s, t + 59999, 1, 1), 1);
	assert_int_equal(slo_series_add(s, t, 0, 1), 1);
	assert_int_equal(slo_series_add(s, t + 60000, 2.5, 4), 1);
	assert_int_equal(slo_series_add(s, t - 1, 1, 1), 1);   /* out of order: the minute before */
	assert_int_equal(slo_series_newest(s), t + 60000);
	assert_int_equal(slo_series_bucket(s, b, &good, &total), 1);
	assert_true(good == 1 && total == 2);
	assert_int_equal(slo_series_bucket(s, b + 1, &good, &total), 1);
	assert_true(good == 2.5 && total == 4);
	assert_int_equal(slo_series_bucket(s, b - 1, &good, &total), 1);
	assert_true(good == 1 && total == 1);
	assert_int_equal(slo_series_bucket(s, b + 2, &good, &total), 0);   /* after the newest */
	assert_true(good == 0 && total == 0);
	assert_int_equal(slo_series_bucket(s, b - 2, &good, &total), 0);   /* no data */
	assert_int_equal(slo_series_add(s, t, 0, 0), 1);   /* a zero count is valid */
	assert_int_equal(slo_series_late(s), 0);
	assert_int_equal(slo_series_future(s), 0);
	slo_series_free(s);
	slo_def_release(&d);
}

static void test_series_invalid_values(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	int64_t t = ts("2026-04-01T00:00:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	assert_int_equal(slo_series_add(s, t, NAN, 1), -1);
	assert_int_equal(slo_series_add(s, t, 0, NAN), -1);
	assert_int_equal(slo_series_add(s, t, -1, 1), -1);
	assert_int_equal(slo_series_add(s, t, 0, -1), -1);
	assert_int_equal(slo_series_add(s, t, 2, 1), -1);
	assert_int_equal(slo_series_add(s, t, 1, INFINITY), -1);
	assert_int_equal(slo_series_add(s, t, INFINITY, INFINITY), -1);
	assert_int_equal(slo_series_add(s, TM_MAX_MS + 1, 1, 1), -1);
	assert_int_equal(slo_series_add(s, TM_MIN_MS - 1, 1, 1), -1);
	assert_int_equal(slo_series_add(s, INT64_MIN, 1, 1), -1);
	assert_int_equal(slo_series_newest(s), INT64_MIN);   /* nothing was added */
	assert_int_equal(slo_series_add(s, TM_MIN_MS, 1, 1), 1);
	assert_int_equal(slo_series_add(s, TM_MAX_MS, 1, 1), 1);
	assert_int_equal(slo_series_newest(s), TM_MAX_MS);
	assert_int_equal(slo_series_late(s), 0);
	slo_series_free(s);
	slo_def_release(&d);
}

static void test_series_late_and_future(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	int64_t t = ts("2026-04-01T00:00:00Z");
	double good, total;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	assert_int_equal(slo_series_add(s, t, 1, 1), 1);
	/* the ring holds 43,200 minutes ending with t's: t - 43199m is the oldest */
	assert_int_equal(slo_series_add(s, t - 43199 * MIN_MS, 1, 1), 1);
	assert_int_equal(slo_series_add(s, t - 43200 * MIN_MS, 1, 1), 0);
	assert_int_equal(slo_series_add(s, t - 365 * DAY_MS, 1, 1), 0);
	assert_int_equal(slo_series_late(s), 2);
	/* moving on one minute pushes the oldest one out */
	assert_int_equal(slo_series_add(s, t + MIN_MS, 1, 1), 1);
	assert_int_equal(slo_series_bucket(s, t / MIN_MS - 43199, &good, &total), 0);
	assert_int_equal(slo_series_add(s, t - 43199 * MIN_MS, 1, 1), 0);
	assert_int_equal(slo_series_late(s), 3);
	slo_series_set_until(s, t + MIN_MS);
	assert_int_equal(slo_series_add(s, t + MIN_MS, 1, 1), 1);
	assert_int_equal(slo_series_add(s, t + MIN_MS + 1, 1, 1), 0);
	assert_int_equal(slo_series_add(s, t + 400 * DAY_MS, 1, 1), 0);
	assert_int_equal(slo_series_future(s), 2);
	assert_int_equal(slo_series_newest(s), t + MIN_MS);
	assert_int_equal(slo_series_late(s), 3);
	slo_series_free(s);
	slo_def_release(&d);
}

/* A jump far ahead reuses slots of an older lap: they read as empty, not stale. */
static void test_series_laps(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	int64_t t = ts("2026-04-01T00:00:00Z"), n, b = t / MIN_MS;
	double good, total;

	(void)state;
	def_rolling(&d, "99.9", 3 * DAY_MS);
	s = series(&d);
	n = slo_series_buckets(s);
	assert_int_equal(n, 4320);
	for (int64_t i = 0; i < n; i++)
		assert_int_equal(slo_series_add(s, t + i * MIN_MS, 1, 2), 1);
	/* exactly one lap later: the same slot as the first bucket */
	assert_int_equal(slo_series_add(s, t + 2 * n * MIN_MS, 1, 1), 1);
	assert_int_equal(slo_series_bucket(s, b + 2 * n, &good, &total), 1);
	assert_true(good == 1 && total == 1);
	/* the rest of the ring is from old laps: empty, and addable again */
	assert_int_equal(slo_series_bucket(s, b + 2 * n - 1, &good, &total), 0);
	assert_int_equal(slo_series_bucket(s, b + n + 1, &good, &total), 0);
	assert_int_equal(slo_series_add(s, t + (n + 1) * MIN_MS, 0, 3), 1);
	assert_int_equal(slo_series_bucket(s, b + n + 1, &good, &total), 1);
	assert_true(good == 0 && total == 3);
	assert_int_equal(slo_series_add(s, t + n * MIN_MS, 0, 1), 0);   /* now too old */
	assert_int_equal(slo_series_buckets(s), n);                    /* memory fixed */
	slo_series_free(s);
	slo_def_release(&d);
}

/* Times before 1970 use floor division: -1 ms is in the minute before the epoch. */
static void test_series_before_epoch(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	double good, total;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	assert_int_equal(slo_series_add(s, -1, 1, 1), 1);
	assert_int_equal(slo_series_add(s, -MIN_MS, 0, 1), 1);
	assert_int_equal(slo_series_add(s, 0, 0, 1), 1);
	assert_int_equal(slo_series_bucket(s, -1, &good, &total), 1);
	assert_true(good == 1 && total == 2);
	assert_int_equal(slo_series_bucket(s, 0, &good, &total), 1);
	assert_true(good == 0 && total == 1);
	slo_series_free(s);
	slo_def_release(&d);
}

/* ---- fixtures: the budget --------------------------------------------------------- */

/* 1,000,000 events over 30 days, 500 bad, at 99.9: half the budget, exactly. */
static void test_million_events_half_budget(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t t0 = ts("2026-03-01T00:00:00Z"), last = 0;
	char *rec;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	d.name = strdup("api");
	s = series(&d);
	for (int64_t i = 0; i < 1000000; i++) {
		last = t0 + i * 2592;
		assert_int_equal(slo_series_add(s, last, i % 2000 == 0 ? 0 : 1, 1), 1);
	}
	assert_int_equal(slo_series_newest(s), last);
	eval(&d, s, slo_series_newest(s), &st);
	assert_true(st.total == 1000000);
	assert_true(st.bad == 500);
	assert_true(st.allowed == 1000);
	assert_true(st.remaining == 500);
	assert_true(st.consumed_ratio == 0.5);
	assert_true(st.remaining_ratio == 0.5);
	assert_int_equal(st.remaining_ms, 1296000);
	assert_true(st.sli == 0.9995);
	assert_int_equal(st.insufficient, 0);
	assert_int_equal(st.exhausted, 0);
	assert_int_equal(st.breach, 0);
	assert_int_equal(st.ok, 1);
	assert_all_finite(&st);
	rec = record_text(&d, &st, NULL);
	assert_string_equal(rec,
		"{\"kind\":\"slo.status\",\"time\":\"2026-03-30T23:59:57.408Z\",\"slo\":\"api\","
		"\"objective\":99.9,\"target\":0.999,\"method\":\"occurrences\","
		"\"window\":{\"kind\":\"rolling\",\"duration\":\"30d\","
		"\"start\":\"2026-03-01T00:00:00.000Z\",\"end\":\"2026-03-30T23:59:57.408Z\"},"
		"\"data\":\"ok\",\"good\":999500,\"bad\":500,\"total\":1000000,\"sli\":0.9995,"
		"\"budget\":{\"allowed\":1000,\"consumed\":500,\"remaining\":500,"
		"\"consumed_ratio\":0.5,\"remaining_ratio\":0.5,\"remaining_time\":\"21m36s\","
		"\"remaining_ms\":1296000},"
		"\"burn_rates\":{\"5m\":0,\"30m\":0,\"1h\":0,\"2h\":0.3601008282319049,"
		"\"6h\":0.48001920076803073,\"1d\":0.4800048000480005,\"3d\":0.5},"
		"\"alerts\":["
		"{\"severity\":\"page\",\"long\":\"1h\",\"short\":\"5m\",\"threshold\":14.4,"
		"\"burn_long\":0,\"burn_short\":0,\"firing\":false},"
		"{\"severity\":\"page\",\"long\":\"6h\",\"short\":\"30m\",\"threshold\":6,"
		"\"burn_long\":0.48001920076803073,\"burn_short\":0,\"firing\":false},"
		"{\"severity\":\"ticket\",\"long\":\"1d\",\"short\":\"2h\",\"threshold\":3,"
		"\"burn_long\":0.4800048000480005,\"burn_short\":0.3601008282319049,\"firing\":false},"
		"{\"severity\":\"ticket\",\"long\":\"3d\",\"short\":\"6h\",\"threshold\":1,"
		"\"burn_long\":0.5,\"burn_short\":0.48001920076803073,\"firing\":false}],"
		"\"severity\":\"none\",\"exhaustion\":{\"burn_rate\":0,\"at\":null,\"in\":null},"
		"\"late\":0,\"ok\":true}");
	free(rec);
	slo_series_free(s);
	slo_def_release(&d);
}

/* The 30-day budget at 99.9 is 43m12s of full outage. */
static void test_whole_budget_as_time(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T00:00:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	assert_int_equal(slo_series_add(s, now, 10, 10), 1);
	eval(&d, s, now, &st);
	assert_int_equal(st.remaining_ms, 2592000);
	assert_field(&d, &st, "budget.remaining_time", "\"43m12s\"");
	assert_field(&d, &st, "sli", "1");
	assert_field(&d, &st, "slo", "\"slo\"");
	slo_series_free(s);
	slo_def_release(&d);
}

/* 1000 events a minute for 30 days, and 864 bad in the last hour (72 in each five
 * minutes): a 14.4 burn for 1h, which consumes 2% of the 30-day budget. */
static void fill_steady(struct slo_series *s, int64_t now, int64_t minutes)
{
	static const int bad_per_minute[5] = { 15, 15, 14, 14, 14 };
	int64_t first = now - (minutes - 1) * MIN_MS;

	for (int64_t i = 0; i < minutes; i++) {
		int64_t age = minutes - 1 - i;   /* minutes before now's */
		double bad = age < 60 ? bad_per_minute[age % 5] : 0;

		assert_int_equal(slo_series_add(s, first + i * MIN_MS, 1000 - bad, 1000), 1);
	}
}

static void test_workbook_14_4_is_2_percent(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T11:59:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	fill_steady(s, now, 43200);
	eval(&d, s, now, &st);
	assert_true(st.total == 43200000);
	assert_true(st.bad == 864);
	assert_true(st.burn[2] == 14.4);   /* 1h */
	assert_true(st.burn[0] == 14.4);   /* 5m: 72 of 5000 */
	assert_true(st.consumed_ratio == 0.02);
	assert_true(st.remaining_ratio == 0.98);
	assert_true(st.alerts[0].threshold == 14.4);
	assert_int_equal(st.alerts[0].firing, 1);   /* burn == threshold fires */
	assert_int_equal(st.alerts[1].firing, 0);   /* 6h: 14.4/6 = 2.4 < 6 */
	assert_int_equal(st.severity, SLO_SEV_PAGE);
	assert_int_equal(st.ok, 0);
	assert_int_equal(st.exhausted, 0);
	assert_int_equal(st.breach, 0);
	/* 98% left at 14.4: 0.98 * 30d / 14.4 = 49h exactly */
	assert_true(st.exhaustion_burn == 14.4);
	assert_int_equal(st.has_exhaustion, 1);
	assert_int_equal(st.exhaustion_in_ms, 49 * HOUR_MS);
	assert_field(&d, &st, "exhaustion.in", "\"2d1h\"");
	assert_field(&d, &st, "exhaustion.at", "\"2026-04-03T12:59:00.000Z\"");
	assert_field(&d, &st, "budget.consumed_ratio", "0.02");
	assert_field(&d, &st, "budget.remaining_ratio", "0.98");
	assert_field(&d, &st, "burn_rates.1h", "14.4");
	assert_field(&d, &st, "burn_rates.6h", "2.4");
	assert_field(&d, &st, "alerts.0.firing", "true");
	assert_field(&d, &st, "alerts.0.threshold", "14.4");
	assert_field(&d, &st, "severity", "\"page\"");
	assert_field(&d, &st, "ok", "false");
	assert_true(slo_condition_holds(&st, SLO_COND_PAGE));
	assert_true(slo_condition_holds(&st, SLO_COND_TICKET));
	assert_false(slo_condition_holds(&st, SLO_COND_EXHAUSTED));
	assert_false(slo_condition_holds(&st, SLO_COND_BREACH));
	slo_series_free(s);
	slo_def_release(&d);
}

/* Ten more bad events 55 minutes ago and one more good one now: the 1h burn rises
 * above 14.4 but the 5m burn drops under it, so the page does not fire. */
static void test_workbook_short_window_gates(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T11:59:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	fill_steady(s, now, 43200);
	assert_int_equal(slo_series_add(s, now - 55 * MIN_MS, 0, 10), 1);
	assert_int_equal(slo_series_add(s, now, 1, 1), 1);
	eval(&d, s, now, &st);
	assert_true(st.burn[2] == 874.0 * 1000 / 60011);
	assert_true(st.burn[2] > 14.4);
	assert_true(st.burn[0] == 72.0 * 1000 / 5001);
	assert_true(st.burn[0] < 14.4);
	assert_true(st.alerts[0].burn_long == st.burn[2]);
	assert_true(st.alerts[0].burn_short == st.burn[0]);
	assert_int_equal(st.alerts[0].firing, 0);
	assert_int_equal(st.severity, SLO_SEV_NONE);
	assert_int_equal(st.ok, 1);
	slo_series_free(s);
	slo_def_release(&d);
}

static void test_thresholds_28_and_30_days(void **state)
{
	static const double want30[SLO_NALERTS] = { 14.4, 6, 3, 1 };
	static const double want28[SLO_NALERTS] = { 13.44, 5.6, 2.8, 14.0 / 15.0 };
	struct slo_def d;
	struct slo_status st;
	char buf[SLO_NUMBER_SIZE];

	(void)state;
	for (int i = 0; i < SLO_NALERTS; i++) {
		const struct slo_alert_rule *r = &slo_alert_rules[i];

		assert_true(slo_alert_threshold(30 * DAY_MS, r->budget_percent, r->long_ms) == want30[i]);
		assert_true(slo_alert_threshold(28 * DAY_MS, r->budget_percent, r->long_ms) == want28[i]);
	}
	assert_string_equal(slo_number_format(slo_alert_threshold(28 * DAY_MS, 10, 3 * DAY_MS), buf),
			     "0.9333333333333333");
	def_rolling(&d, "99.9", 28 * DAY_MS);
	eval(&d, NULL, ts("2026-04-01T00:00:00Z"), &st);
	for (int i = 0; i < SLO_NALERTS; i++)
		assert_true(st.alerts[i].threshold == want28[i]);
	assert_field(&d, &st, "alerts.0.threshold", "13.44");
	assert_field(&d, &st, "alerts.3.threshold", "0.9333333333333333");
	assert_field(&d, &st, "window.duration", "\"28d\"");
	slo_def_release(&d);
}

static void test_alert_rule_table(void **state)
{
	(void)state;
	assert_string_equal(slo_burn_window_name(0), "5m");
	assert_string_equal(slo_burn_window_name(6), "3d");
	assert_null(slo_burn_window_name(7));
	assert_null(slo_burn_window_name(-1));
	assert_int_equal(slo_burn_windows_ms[6], 3 * DAY_MS);
	assert_int_equal(slo_alert_rules[0].severity, SLO_SEV_PAGE);
	assert_int_equal(slo_alert_rules[0].budget_percent, 2);
	assert_int_equal(slo_alert_rules[1].budget_percent, 5);
	assert_int_equal(slo_alert_rules[3].long_ms, 3 * DAY_MS);
	assert_int_equal(slo_alert_rules[3].short_ms, 6 * HOUR_MS);
	for (int i = 0; i < SLO_NALERTS; i++) {
		assert_int_equal(slo_burn_windows_ms[slo_alert_rules[i].long_burn], slo_alert_rules[i].long_ms);
		assert_int_equal(slo_burn_windows_ms[slo_alert_rules[i].short_burn], slo_alert_rules[i].short_ms);
	}
	assert_string_equal(slo_severity_name(SLO_SEV_NONE), "none");
	assert_string_equal(slo_severity_name(SLO_SEV_TICKET), "ticket");
	assert_string_equal(slo_severity_name(SLO_SEV_PAGE), "page");
	assert_string_equal(slo_severity_name((enum slo_severity)5), "?");
}

/* ---- fixtures: calendar, order, no data ------------------------------------------- */

/* March 2026 in Europe/Berlin is 743 hours (the clocks go forward on the 29th). */
static void test_calendar_month_berlin_dst(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-03-31T12:00:00Z");
	char *rec;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	d.calendar = 1;
	d.period = TM_PERIOD_MONTH;
	d.zone = tm_zone_load("Europe/Berlin", NULL);
	if (!d.zone)
		skip();   /* tzdata missing */
	assert_int_equal(slo_def_check(&d, NULL), 0);
	s = series(&d);
	assert_int_equal(slo_series_buckets(s), 32 * 1440);
	slo_series_add(s, ts("2026-02-28T22:59:59.999Z"), 0, 1);   /* Feb 28 23:59 local */
	slo_series_add(s, ts("2026-02-28T23:00:00Z"), 1, 1);       /* March 1 00:00 local */
	slo_series_add(s, ts("2026-03-29T01:30:00Z"), 0, 1);       /* 03:30 CEST */
	slo_series_add(s, ts("2026-03-31T11:59:59Z"), 7, 8);
	eval(&d, s, now, &st);
	assert_int_equal(st.period_ms, 743 * HOUR_MS);
	assert_int_equal(st.window_start, ts("2026-02-28T23:00:00Z"));
	assert_true(st.total == 10);
	assert_true(st.bad == 2);
	/* thresholds for 743h: 2% * 743h / 1h = 14.86, 5% * 743 / 6 etc. */
	assert_true(st.alerts[0].threshold == 14.86);
	assert_true(st.alerts[1].threshold == 5.0 * 743 / 600);
	assert_true(st.alerts[2].threshold == 10.0 * 743 / 2400);
	assert_true(st.alerts[3].threshold == 10.0 * 743 / 7200);
	/* budget 0.01 of... here 99.9: allowed 0.01 of 10 events; 2 bad: 20x overspent */
	assert_true(st.allowed == 0.01);
	assert_true(st.consumed_ratio == 200);
	assert_int_equal(st.remaining_ms, 0);
	assert_int_equal(st.exhausted, 1);
	rec = record_text(&d, &st, "eu");
	assert_non_null(strstr(rec, "\"slo\":\"slo\",\"group\":\"eu\","));
	assert_non_null(strstr(rec, "\"window\":{\"kind\":\"calendar\",\"period\":\"month\","
			       "\"tz\":\"Europe/Berlin\",\"start\":\"2026-02-28T23:00:00.000Z\","
			       "\"end\":\"2026-03-31T12:00:00.000Z\"}"));
	free(rec);
	/* a clean budget: the whole 743h budget at 99.9 is 44m34.8s */
	slo_series_free(s);
	s = series(&d);
	slo_series_add(s, now, 5, 5);
	eval(&d, s, now, &st);
	assert_int_equal(st.remaining_ms, 2674800);
	assert_field(&d, &st, "budget.remaining_time", "\"44m34s800ms\"");
	/* April is 720h: back to 14.4 */
	eval(&d, s, ts("2026-04-01T00:00:00Z"), &st);
	assert_int_equal(st.period_ms, 720 * HOUR_MS);
	assert_true(st.alerts[0].threshold == 14.4);
	assert_true(st.total == 0);   /* the new month has no events yet */
	slo_series_free(s);
	slo_def_release(&d);
}

/* Just after a month begins its window is empty, but the last hour burned: the whole
 * budget is left, so exhaustion is the period over the burn rate. */
static void test_calendar_new_period_burning(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	d.calendar = 1;
	d.zone = tm_zone_load("UTC", NULL);
	d.min_events = 0;   /* else the empty window is "insufficient", with no exhaustion */
	s = series(&d);
	slo_series_add(s, ts("2026-03-31T23:50:00Z"), 99, 100);
	eval(&d, s, ts("2026-04-01T00:00:30Z"), &st);
	assert_true(st.total == 0);
	assert_true(st.burn[2] == 10);
	assert_int_equal(st.has_exhaustion, 1);
	d.min_events = 1;
	eval(&d, s, ts("2026-04-01T00:00:30Z"), &st);
	assert_int_equal(st.has_exhaustion, 0);
	d.min_events = 0;
	eval(&d, s, ts("2026-04-01T00:00:30Z"), &st);
	assert_int_equal(st.exhaustion_in_ms, 72 * HOUR_MS);   /* 720h / 10 */
	assert_all_finite(&st);
	assert_field(&d, &st, "exhaustion.in", "\"3d\"");
	slo_series_free(s);
	slo_def_release(&d);
}

static void test_calendar_errors(void **state)
{
	struct slo_def d;
	struct slo_status st;
	struct srerr e;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	d.calendar = 1;
	srerr_clear(&e);
	assert_int_equal(slo_evaluate(&d, NULL, 0, &st, &e), -1);
	assert_string_equal(e.code, "zone");
	d.zone = tm_zone_load("UTC", NULL);
	assert_non_null(d.zone);
	eval(&d, NULL, 0, &st);
	assert_int_equal(st.period_ms, 31 * DAY_MS);   /* January 1970 */
	srerr_clear(&e);
	assert_int_equal(slo_evaluate(&d, NULL, TM_MAX_MS + 1, &st, &e), -1);
	assert_string_equal(e.code, "range");
	slo_def_release(&d);
}

/* Shuffled input gives the same status as ordered input. */
static void test_out_of_order(void **state)
{
	struct slo_def d;
	struct slo_series *a, *b;
	struct slo_status sa, sb;
	int64_t t0 = ts("2026-04-01T00:00:00Z"), n = 5000, now = t0 + (n - 1) * 17000;
	jv ra, rb;

	(void)state;
	def_rolling(&d, "99.9", 1 * DAY_MS);
	a = series(&d);
	b = series(&d);
	for (int64_t i = 0; i < n; i++)
		slo_series_add(a, t0 + i * 17000, i % 7 == 0 ? 0 : 1, 1);
	/* a permutation: i * 2003 mod n visits every index once (gcd(2003, 5000) = 1) */
	for (int64_t i = 0; i < n; i++) {
		int64_t j = (i * 2003) % n;

		assert_int_equal(slo_series_add(b, t0 + j * 17000, j % 7 == 0 ? 0 : 1, 1), 1);
	}
	assert_int_equal(slo_series_newest(a), slo_series_newest(b));
	eval(&d, a, now, &sa);
	eval(&d, b, now, &sb);
	assert_true(sa.total == sb.total && sa.good == sb.good);
	ra = slo_status_record(&d, &sa, NULL);
	rb = slo_status_record(&d, &sb, NULL);
	assert_true(jv_equal(ra, rb));
	slo_series_free(a);
	slo_series_free(b);
	slo_def_release(&d);
}

static void assert_no_data_status(const struct slo_def *d, const struct slo_status *st)
{
	assert_all_finite(st);
	assert_true(st->total == 0 && st->good == 0 && st->bad == 0);
	assert_int_equal(st->has_sli, 0);
	assert_true(st->allowed == 0 && st->consumed_ratio == 0 && st->remaining_ratio == 1);
	assert_int_equal(st->has_exhaustion, 0);
	assert_int_equal(st->severity, SLO_SEV_NONE);
	assert_int_equal(st->exhausted, 0);
	assert_int_equal(st->breach, 0);
	assert_int_equal(st->ok, 1);
	for (int c = SLO_COND_EXHAUSTED; c <= SLO_COND_BREACH; c++)
		assert_false(slo_condition_holds(st, (enum slo_condition)c));
	assert_field(d, st, "sli", "null");
	assert_field(d, st, "budget.consumed_ratio", "0");
	assert_field(d, st, "budget.remaining_ratio", "1");
	assert_field(d, st, "exhaustion", "{\"burn_rate\":0,\"at\":null,\"in\":null}");
}

static void test_no_data(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T00:00:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	eval(&d, NULL, now, &st);
	assert_int_equal(st.insufficient, 1);
	assert_no_data_status(&d, &st);
	assert_field(&d, &st, "data", "\"insufficient\"");
	assert_field(&d, &st, "budget.remaining_time", "\"43m12s\"");
	s = series(&d);
	/* events only long before the window, and zero counts inside it */
	slo_series_add(s, now - 40 * DAY_MS, 0, 5);
	slo_series_add(s, now, 0, 0);
	eval(&d, s, now, &st);
	assert_int_equal(st.insufficient, 1);
	assert_no_data_status(&d, &st);
	/* with --min-events 0 zero traffic is "ok" data, still without NaN */
	d.min_events = 0;
	eval(&d, s, now, &st);
	assert_int_equal(st.insufficient, 0);
	assert_no_data_status(&d, &st);
	assert_field(&d, &st, "data", "\"ok\"");
	slo_series_free(s);
	slo_def_release(&d);
}

/* Below --min-events: insufficient, never pages, however bad. */
static void test_below_min_events(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T00:00:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	d.min_events = 10;
	s = series(&d);
	for (int i = 0; i < 9; i++)
		slo_series_add(s, now - i * 1000, 0, 1);
	eval(&d, s, now, &st);
	assert_int_equal(st.insufficient, 1);
	assert_true(st.burn[0] == 1000);
	assert_true(st.consumed_ratio == 1000);
	assert_int_equal(st.severity, SLO_SEV_NONE);
	assert_int_equal(st.exhausted, 0);
	assert_int_equal(st.breach, 0);
	assert_int_equal(st.ok, 1);
	for (int c = SLO_COND_EXHAUSTED; c <= SLO_COND_BREACH; c++)
		assert_false(slo_condition_holds(&st, (enum slo_condition)c));
	assert_field(&d, &st, "data", "\"insufficient\"");
	assert_field(&d, &st, "alerts.0.firing", "false");
	/* the tenth event makes the data sufficient: everything fires */
	slo_series_add(s, now, 0, 1);
	eval(&d, s, now, &st);
	assert_int_equal(st.insufficient, 0);
	assert_int_equal(st.severity, SLO_SEV_PAGE);
	assert_int_equal(st.exhausted, 1);
	assert_int_equal(st.breach, 1);
	assert_int_equal(st.ok, 0);
	assert_int_equal(st.has_exhaustion, 1);
	assert_int_equal(st.exhaustion_at, now);
	assert_int_equal(st.exhaustion_in_ms, 0);
	assert_field(&d, &st, "exhaustion.in", "\"0s\"");
	assert_field(&d, &st, "budget.remaining_time", "\"0s\"");
	assert_field(&d, &st, "budget.remaining", "-9.99");
	for (int c = SLO_COND_EXHAUSTED; c <= SLO_COND_BREACH; c++)
		assert_true(slo_condition_holds(&st, (enum slo_condition)c));
	slo_series_free(s);
	slo_def_release(&d);
}

/* An alert needs min_events in its long window too: here only the 3d ticket fires. */
static void test_min_events_in_long_window(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T00:00:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	d.min_events = 10;
	s = series(&d);
	slo_series_add(s, now - 2 * DAY_MS, 100, 100);
	slo_series_add(s, now, 0, 5);
	eval(&d, s, now, &st);
	assert_int_equal(st.insufficient, 0);
	assert_true(st.burn[0] == 1000);
	assert_true(st.burn_events[2] == 5);
	assert_int_equal(st.alerts[0].firing, 0);
	assert_int_equal(st.alerts[1].firing, 0);
	assert_int_equal(st.alerts[2].firing, 0);
	assert_int_equal(st.alerts[3].firing, 1);
	assert_int_equal(st.severity, SLO_SEV_TICKET);
	assert_int_equal(st.ok, 0);   /* 5 bad of 105 exhausts the budget */
	assert_true(slo_condition_holds(&st, SLO_COND_TICKET));
	assert_false(slo_condition_holds(&st, SLO_COND_PAGE));
	assert_field(&d, &st, "severity", "\"ticket\"");
	slo_series_free(s);
	slo_def_release(&d);
}

/* A ticket alone leaves the verdict ok; breach is judged against the target. */
static void test_ticket_and_breach(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T00:00:00Z");

	(void)state;
	def_rolling(&d, "99", 30 * DAY_MS);
	s = series(&d);
	/* 1000 an hour for 30 days, 3.5% bad in the last day: burn 3.5 over 1d and 2h
	 * (ticket 3x), 840 / 72,000 / 0.01 = 1.1666.. over 3d and 3.5 over 6h (ticket
	 * 1x), but not 6 over 6h (page) */
	for (int day = 0; day < 30; day++)
		for (int h = 0; h < 24; h++) {
			double total = 1000, bad = day == 29 ? 35 : 0;

			slo_series_add(s, now - (29 - day) * DAY_MS - (23 - h) * HOUR_MS,
				       total - bad, total);
		}
	eval(&d, s, now, &st);
	assert_true(st.burn[5] == 3.5);
	assert_true(st.burn[3] == 3.5);
	assert_true(st.burn[6] == 840.0 * 100 / 72000);
	assert_int_equal(st.alerts[0].firing, 0);
	assert_int_equal(st.alerts[1].firing, 0);
	assert_int_equal(st.alerts[2].firing, 1);
	assert_int_equal(st.alerts[3].firing, 1);
	assert_int_equal(st.severity, SLO_SEV_TICKET);
	assert_int_equal(st.ok, 1);
	assert_int_equal(st.breach, 0);   /* 840 of 720,000 is well above 99% */
	assert_true(st.consumed_ratio == 840.0 * 100 / 720000);
	assert_false(slo_condition_holds(&st, SLO_COND_BREACH));
	/* sli exactly at the target is no breach; one more bad event is */
	slo_series_free(s);
	s = series(&d);
	slo_series_add(s, now, 99, 100);
	eval(&d, s, now, &st);
	assert_true(st.sli == 0.99);
	assert_int_equal(st.breach, 0);
	assert_true(st.consumed_ratio == 1);
	assert_int_equal(st.exhausted, 1);   /* consumed_ratio >= 1 */
	assert_int_equal(st.remaining_ms, 0);
	assert_field(&d, &st, "budget.remaining", "0");
	slo_series_add(s, now, 0, 1);
	eval(&d, s, now, &st);
	assert_int_equal(st.breach, 1);
	assert_true(slo_condition_holds(&st, SLO_COND_BREACH));
	slo_series_free(s);
	slo_def_release(&d);
}

/* Late events are counted in the status; events after now are not counted. */
static void test_late_and_after_now(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T00:00:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	slo_series_add(s, now + 10 * MIN_MS, 0, 50);   /* after now: a later bucket */
	slo_series_add(s, now, 1, 1);
	assert_int_equal(slo_series_add(s, now - 31 * DAY_MS, 0, 1), 0);
	eval(&d, s, now, &st);
	assert_true(st.total == 1 && st.bad == 0);
	assert_int_equal(st.late, 1);
	assert_field(&d, &st, "late", "1");
	slo_series_free(s);
	slo_def_release(&d);
}

/* Exact ratios print cleanly: 7 bad of 10,000 at 99.9 leaves 0.3, not 0.30000000000000004. */
static void test_clean_numbers(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T00:00:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	slo_series_add(s, now, 9993, 10000);
	eval(&d, s, now, &st);
	assert_true(st.consumed_ratio == 0.7);
	assert_true(st.remaining_ratio == 0.3);
	assert_true(st.remaining == 3);
	assert_field(&d, &st, "budget.remaining_ratio", "0.3");
	assert_field(&d, &st, "sli", "0.9993");
	/* fractional counts (Prometheus increases) summed: 0.1 + 0.2 shows as 0.3 */
	slo_series_free(s);
	s = series(&d);
	slo_series_add(s, now - MIN_MS, 0.1, 0.1);
	slo_series_add(s, now, 0.2, 0.2);
	eval(&d, s, now, &st);
	assert_field(&d, &st, "good", "0.3");
	assert_field(&d, &st, "total", "0.3");
	assert_field(&d, &st, "bad", "0");
	slo_series_free(s);
	slo_def_release(&d);
}

static void test_objective_echo(void **state)
{
	struct slo_def d;
	struct slo_status st;

	(void)state;
	def_rolling(&d, "99.95", 30 * DAY_MS);
	eval(&d, NULL, 0, &st);
	assert_field(&d, &st, "objective", "99.95");
	assert_field(&d, &st, "target", "0.9995");
	d.objective = dec("99.999");
	assert_field(&d, &st, "objective", "99.999");
	assert_field(&d, &st, "target", "0.99999");
	d.objective = dec("99.90");
	assert_field(&d, &st, "objective", "99.9");
	slo_def_release(&d);
}

/* ---- timeslices ------------------------------------------------------------------- */

static void test_timeslices(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T00:00:00Z");
	char *rec;

	(void)state;
	def_rolling(&d, "90", 30 * DAY_MS);
	d.method = SLO_TIMESLICES;
	d.timeslice_ms = MIN_MS;
	d.slice_objective = dec("95");
	assert_int_equal(slo_def_check(&d, NULL), 0);
	s = series(&d);
	/* ten minutes: 96/100 good, 95/100 (exactly the slice objective: good), 94/100
	 * (bad), then empty minutes (not counted), one event minute all good */
	slo_series_add(s, now - 9 * MIN_MS, 96, 100);
	slo_series_add(s, now - 8 * MIN_MS, 95, 100);
	slo_series_add(s, now - 7 * MIN_MS, 94, 100);
	slo_series_add(s, now - 1 * MIN_MS, 19, 20);
	slo_series_add(s, now, 1, 1);
	eval(&d, s, now, &st);
	assert_true(st.total == 5);
	assert_true(st.good == 4);
	assert_true(st.bad == 1);
	assert_true(st.events == 321);
	assert_true(st.sli == 0.8);
	assert_true(st.allowed == 0.5);      /* 10% of 5 slices */
	assert_true(st.consumed_ratio == 2);
	assert_int_equal(st.breach, 1);     /* 80% of slices < 90% */
	assert_true(st.burn[0] == 0);       /* 5m: two good slices */
	assert_true(st.burn[1] == 2);       /* 30m: 1 bad of 5 / 0.1 */
	rec = record_text(&d, &st, NULL);
	assert_non_null(strstr(rec, "\"objective\":90,\"target\":0.9,\"method\":\"timeslices\","
			       "\"timeslice\":\"1m\",\"slice_objective\":95,\"window\":"));
	assert_non_null(strstr(rec, "\"good\":4,\"bad\":1,\"total\":5,\"sli\":0.8,"));
	free(rec);
	slo_series_free(s);
	slo_def_release(&d);
}

/* Slices longer than a burn window: the window is one whole slice. */
static void test_timeslices_coarse(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("2026-04-01T00:30:00Z");

	(void)state;
	def_rolling(&d, "99", 30 * DAY_MS);
	d.method = SLO_TIMESLICES;
	d.timeslice_ms = HOUR_MS;
	d.slice_objective = dec("99.5");
	assert_int_equal(slo_def_check(&d, NULL), 0);
	s = series(&d);
	assert_int_equal(slo_series_buckets(s), 720);
	slo_series_add(s, now - HOUR_MS, 1000, 1000);
	slo_series_add(s, now - 10 * MIN_MS, 994, 1000);   /* same slice as now: 99.4% */
	eval(&d, s, now, &st);
	assert_true(st.total == 2 && st.bad == 1);
	assert_true(st.burn[0] == 100);   /* 5m = now's slice: bad */
	assert_true(st.burn[2] == 100);   /* 1h = now's slice */
	assert_true(st.burn[3] == 50);    /* 2h: 1 of 2 */
	assert_field(&d, &st, "timeslice", "\"1h\"");
	assert_field(&d, &st, "slice_objective", "99.5");
	slo_series_free(s);
	slo_def_release(&d);
}

/* ---- --fail-on ------------------------------------------------------------------ */

static void test_condition_parse(void **state)
{
	static const char *const names[] = { "exhausted", "page", "ticket", "breach" };
	enum slo_condition c;
	struct srerr e;

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(slo_condition_parse(names[i], &c, NULL), 0);
		assert_int_equal(c, i);
		assert_string_equal(slo_condition_name(c), names[i]);
	}
	srerr_clear(&e);
	assert_int_equal(slo_condition_parse("pages", &c, &e), -1);
	assert_string_equal(e.code, "parse");
	assert_string_equal(e.msg, "invalid condition 'pages': expected exhausted, page, ticket or breach");
	assert_int_equal(slo_condition_parse("", &c, NULL), -1);
	assert_string_equal(slo_condition_name((enum slo_condition)9), "?");
	assert_int_equal(slo_condition_holds(&(struct slo_status){ .exhausted = 1 },
					     (enum slo_condition)9), 0);
}

/* A burn so slow that exhaustion lies beyond year 9999: no "at". */
static void test_exhaustion_beyond_range(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t now = ts("9999-12-01T00:00:00Z");

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	slo_series_add(s, now, 1e6 - 1, 1e6);
	eval(&d, s, now, &st);
	assert_true(st.burn[2] == 0.001);
	assert_int_equal(st.has_exhaustion, 0);
	assert_field(&d, &st, "exhaustion.at", "null");
	/* the same burn earlier has room: 0.999 * 30d / 0.001 = 29970d */
	slo_series_free(s);
	s = series(&d);
	slo_series_add(s, 0, 1e6 - 1, 1e6);
	eval(&d, s, 0, &st);
	assert_int_equal(st.has_exhaustion, 1);
	assert_int_equal(st.exhaustion_in_ms, 29970 * DAY_MS);
	slo_series_free(s);
	slo_def_release(&d);
}

/* ---- running sums against the full scan ------------------------------------------ */

/*
 * slo_evaluate reads the series' running sums; slo_evaluate_full sums every bucket.
 * Randomized sequences of adds (in order, out of order, late, gaps, jumps longer than
 * the ring, calendar periods changing, timeslices flipping) must give bit-identical
 * statuses at every step, and the sums must be those of the buckets summed here.
 */

struct rng {
	uint64_t x;
};

static uint64_t rnd(struct rng *r)   /* xorshift64* */
{
	r->x ^= r->x >> 12;
	r->x ^= r->x << 25;
	r->x ^= r->x >> 27;
	return r->x * UINT64_C(2685821657736338717);
}

/* A number in lo..hi. */
static int64_t rnd_in(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1));
}

static int64_t div_floor(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void assert_same_double(double run, double full, const char *what, int i)
{
	if (memcmp(&run, &full, sizeof(run)) != 0)
		fail_msg("%s[%d]: running sums give %.17g, the full scan %.17g", what, i, run, full);
}

static void assert_same_status(const struct slo_status *a, const struct slo_status *b)
{
	const double da[] = { a->good, a->bad, a->total, a->events, a->sli, a->allowed,
			      a->consumed, a->remaining, a->consumed_ratio, a->remaining_ratio,
			      a->exhaustion_burn };
	const double db[] = { b->good, b->bad, b->total, b->events, b->sli, b->allowed,
			      b->consumed, b->remaining, b->consumed_ratio, b->remaining_ratio,
			      b->exhaustion_burn };

	for (int i = 0; i < (int)(sizeof(da) / sizeof(da[0])); i++)
		assert_same_double(da[i], db[i], "good bad total events sli allowed ...", i);
	for (int j = 0; j < SLO_NBURN; j++) {
		assert_same_double(a->burn[j], b->burn[j], "burn", j);
		assert_same_double(a->burn_events[j], b->burn_events[j], "burn_events", j);
	}
	for (int i = 0; i < SLO_NALERTS; i++) {
		assert_same_double(a->alerts[i].burn_long, b->alerts[i].burn_long, "burn_long", i);
		assert_same_double(a->alerts[i].burn_short, b->alerts[i].burn_short, "burn_short", i);
		assert_int_equal(a->alerts[i].firing, b->alerts[i].firing);
	}
	assert_int_equal(a->now, b->now);
	assert_int_equal(a->window_start, b->window_start);
	assert_int_equal(a->period_ms, b->period_ms);
	assert_int_equal(a->insufficient, b->insufficient);
	assert_int_equal(a->has_sli, b->has_sli);
	assert_int_equal(a->remaining_ms, b->remaining_ms);
	assert_int_equal(a->severity, b->severity);
	assert_int_equal(a->has_exhaustion, b->has_exhaustion);
	assert_int_equal(a->exhaustion_at, b->exhaustion_at);
	assert_int_equal(a->exhaustion_in_ms, b->exhaustion_in_ms);
	assert_int_equal(a->late, b->late);
	assert_int_equal(a->exhausted, b->exhausted);
	assert_int_equal(a->breach, b->breach);
	assert_int_equal(a->ok, b->ok);
}

/* The first bucket of each window slo_evaluate reads at now, and now's bucket. */
static void window_firsts(const struct slo_def *d, int64_t now, int64_t *nb,
			  int64_t first[SLO_SERIES_WINDOWS])
{
	int64_t width = slo_bucket_ms(d), start = 0;

	assert_int_equal(slo_def_period(d, now, NULL, &start, NULL), 0);
	*nb = div_floor(now, width);
	first[0] = -div_floor(-start, width);   /* the first bucket starting at or after */
	for (int j = 0; j < SLO_NBURN; j++) {
		int64_t n = slo_burn_windows_ms[j] / width;

		first[1 + j] = *nb - (n > 0 ? n : 1) + 1;
	}
}

/* The buckets first..last summed one by one, here. */
static struct slo_sums bucket_sum(const struct slo_def *d, const struct slo_series *s,
				  int64_t first, int64_t last)
{
	struct slo_sums a = { 0, 0, 0 };
	double good, total;

	for (int64_t b = first; b <= last; b++)
		if (slo_series_bucket(s, b, &good, &total))
			slo_sums_add_bucket(&a, d, good, total);
	return a;
}

/*
 * At now: the running sums equal the buckets summed here and slo_evaluate equals
 * slo_evaluate_full, record included.  fast: 1 or 0, what slo_series_sums must
 * answer; -1, either.
 */
static unsigned checks;

static void check_at(const struct slo_def *d, const struct slo_series *s, int64_t now,
		     int fast)
{
	struct slo_sums got[SLO_SERIES_WINDOWS];
	struct slo_status a, b;
	int64_t nb, first[SLO_SERIES_WINDOWS];
	char *ra, *rb;
	int rc;

	window_firsts(d, now, &nb, first);
	rc = slo_series_sums(s, d, nb, first, got);
	if (fast >= 0 && rc != fast)
		fail_msg("slo_series_sums answered %d at %lld, expected %d", rc, (long long)now, fast);
	for (int j = 0; rc && j < SLO_SERIES_WINDOWS; j++) {
		struct slo_sums want = bucket_sum(d, s, first[j], nb);

		assert_same_double(got[j].good, want.good, "window good", j);
		assert_same_double(got[j].total, want.total, "window total", j);
		assert_same_double(got[j].events, want.events, "window events", j);
	}
	eval(d, s, now, &a);
	assert_int_equal(slo_evaluate_full(d, s, now, &b, NULL), 0);
	assert_same_status(&a, &b);
	if (checks++ % 16 != 0)   /* the record is made from the status: now and then */
		return;
	ra = record_text(d, &a, NULL);
	rb = record_text(d, &b, NULL);
	assert_string_equal(ra, rb);
	free(ra);
	free(rb);
}

struct gen {
	struct rng r;
	int64_t t;         /* the clock of in-order events */
	int64_t span;      /* the ring's span, ms */
	int fractional;    /* Prometheus-like increases */
};

/* Counts for one add: whole, or fractional; now and then none, or many. */
static void random_counts(struct gen *g, double *good, double *total)
{
	int64_t k = rnd_in(&g->r, 0, 99), tot = rnd_in(&g->r, 0, 20);

	if (g->fractional) {
		*total = (double)rnd_in(&g->r, 0, 1000) / 7;
		*good = *total * (double)rnd_in(&g->r, 90, 100) / 100;
		return;
	}
	if (k < 3)
		tot *= 100000;
	*total = (double)tot;
	*good = (double)(tot - rnd_in(&g->r, 0, tot < 2 ? tot : 2));
}

/* One add at a time chosen to exercise every path of the ring. */
static void random_add(struct gen *g, struct slo_series *s)
{
	int64_t k = rnd_in(&g->r, 0, 99), t;
	double good, total;

	if (k < 55) {
		g->t += rnd_in(&g->r, 0, 90000);                     /* in order */
		t = g->t;
	} else if (k < 80) {
		t = g->t - rnd_in(&g->r, 0, 4 * HOUR_MS);            /* out of order, recent */
	} else if (k < 92) {
		t = g->t - rnd_in(&g->r, 0, g->span + DAY_MS);       /* anywhere, or late */
	} else if (k < 98) {
		g->t += rnd_in(&g->r, HOUR_MS, DAY_MS);              /* a gap */
		t = g->t;
	} else {
		g->t += rnd_in(&g->r, g->span, 2 * g->span);         /* longer than the ring */
		t = g->t;
	}
	random_counts(g, &good, &total);
	assert_in_range(slo_series_add(s, t, good, total), 0, 1);
}

/* Adds; after every one, checks at the newest event and at a random instant near it
 * (before it, after it, or far after). */
static void run_random(const struct slo_def *d, uint64_t seed, int steps, int every)
{
	struct slo_series *s = series(d);
	struct gen g = { { seed }, ts("2026-03-25T00:00:00Z"), slo_span_ms(d), 0 };
	int fast = 1;

	check_at(d, s, g.t, fast);   /* empty */
	for (int i = 1; i <= steps; i++) {
		int64_t newest, k = rnd_in(&g.r, 0, 9), now;

		random_add(&g, s);
		if (i % every != 0)
			continue;
		newest = slo_series_newest(s);
		now = k < 4 ? newest - rnd_in(&g.r, 0, 3 * HOUR_MS) :
		      k < 9 ? newest + rnd_in(&g.r, 0, 3 * HOUR_MS) :
			      newest + rnd_in(&g.r, g.span / 2, 2 * g.span);
		check_at(d, s, newest, fast);
		check_at(d, s, now, fast);
	}
	slo_series_free(s);
}

static void def_timeslices(struct slo_def *d, const char *obj, int64_t window_ms,
			   int64_t slice_ms, const char *slice_obj)
{
	def_rolling(d, obj, window_ms);
	d->method = SLO_TIMESLICES;
	d->timeslice_ms = slice_ms;
	d->slice_objective = dec(slice_obj);
	assert_int_equal(slo_def_check(d, NULL), 0);
}

/* A calendar definition; 0 when the zone is not installed. */
static int def_calendar(struct slo_def *d, enum tm_period p, const char *zone)
{
	d->calendar = 1;
	d->period = p;
	d->zone = tm_zone_load(zone, NULL);
	return d->zone != NULL && slo_def_check(d, NULL) == 0;
}

static void test_running_sums_rolling(void **state)
{
	struct slo_def d;

	(void)state;
	def_rolling(&d, "99.9", HOUR_MS);   /* a window shorter than most burn windows */
	run_random(&d, 1, 1500, 1);
	d.window_ms = 3 * DAY_MS;           /* the window is the ring */
	run_random(&d, 2, 1500, 1);
	d.window_ms = 30 * DAY_MS;
	assert_int_equal(slo_def_check(&d, NULL), 0);
	run_random(&d, 3, 2000, 100);
	d.min_events = 0;
	run_random(&d, 4, 300, 1);
	slo_def_release(&d);
}

static void test_running_sums_timeslices(void **state)
{
	struct slo_def d;

	(void)state;
	def_timeslices(&d, "90", DAY_MS, MIN_MS, "95");    /* slices flip around 95% */
	run_random(&d, 5, 1500, 1);
	slo_def_release(&d);
	def_timeslices(&d, "99", 2 * DAY_MS, 5 * MIN_MS, "99.5");
	run_random(&d, 6, 1500, 1);
	slo_def_release(&d);
	def_timeslices(&d, "95", 7 * DAY_MS, HOUR_MS, "90");   /* 5m, 30m: one slice */
	run_random(&d, 7, 1500, 1);
	slo_def_release(&d);
}

static void test_running_sums_calendar(void **state)
{
	static const struct { enum tm_period p; const char *zone; int64_t slice; int every; } c[] = {
		{ TM_PERIOD_DAY, "UTC", 0, 1 },
		{ TM_PERIOD_DAY, "Europe/Berlin", 0, 1 },          /* DST on 2026-03-29 */
		{ TM_PERIOD_DAY, "Asia/Kolkata", HOUR_MS, 1 },     /* days start mid-slice */
		{ TM_PERIOD_WEEK, "America/New_York", 15 * MIN_MS, 1 },
		{ TM_PERIOD_MONTH, "Europe/Berlin", 0, 50 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct slo_def d;

		if (c[i].slice)
			def_timeslices(&d, "99", DAY_MS, c[i].slice, "95");
		else
			def_rolling(&d, "99.9", DAY_MS);
		if (!def_calendar(&d, c[i].p, c[i].zone)) {
			slo_def_release(&d);
			skip();   /* tzdata missing */
		}
		run_random(&d, 10 + i, 1500, c[i].every);
		slo_def_release(&d);
	}
}

/* Fractional counts: no running sums while such a bucket is in the ring (the results
 * are the scan's, summed in its order), and running sums again once it has left. */
static void test_running_sums_fractional(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	int64_t t = ts("2026-04-01T00:00:00Z"), n;

	(void)state;
	def_rolling(&d, "99.9", HOUR_MS);
	s = series(&d);
	n = slo_series_buckets(s);
	assert_int_equal(slo_series_add(s, t, 5, 5), 1);
	assert_int_equal(slo_series_add(s, t + MIN_MS, 0.1, 0.1), 1);   /* the head */
	check_at(&d, s, t + MIN_MS, 0);
	assert_int_equal(slo_series_add(s, t + MIN_MS, 0.9, 0.9), 1);   /* now 1: whole */
	check_at(&d, s, t + MIN_MS, 1);
	assert_int_equal(slo_series_add(s, t + 2 * MIN_MS, 1, 1), 1);
	check_at(&d, s, t + 2 * MIN_MS, 1);
	assert_int_equal(slo_series_add(s, t, 0.5, 0.5), 1);             /* an older bucket */
	check_at(&d, s, t + 2 * MIN_MS, 0);
	assert_int_equal(slo_series_add(s, t, 0.5, 0.5), 1);             /* whole again, */
	check_at(&d, s, t + 2 * MIN_MS, 0);                              /* still suspended */
	assert_int_equal(slo_series_add(s, t + (n - 1) * MIN_MS, 1, 2), 1);
	check_at(&d, s, t + (n - 1) * MIN_MS, 0);                        /* t still in the ring */
	assert_int_equal(slo_series_add(s, t + n * MIN_MS, 0, 1), 1);
	check_at(&d, s, t + n * MIN_MS, 1);                              /* t has left it */
	/* a fractional head moving on suspends them too */
	assert_int_equal(slo_series_add(s, t + (n + 1) * MIN_MS, 0.25, 0.5), 1);
	assert_int_equal(slo_series_add(s, t + (n + 2) * MIN_MS, 1, 1), 1);
	check_at(&d, s, t + (n + 2) * MIN_MS, 0);
	assert_int_equal(slo_series_add(s, t + (2 * n + 1) * MIN_MS, 1, 1), 1);
	check_at(&d, s, t + (2 * n + 1) * MIN_MS, 1);
	/* counts too large for exact sums of a ring */
	assert_int_equal(slo_series_add(s, t + (2 * n + 1) * MIN_MS, 0, 0x1p52), 1);
	check_at(&d, s, t + (2 * n + 1) * MIN_MS, 0);
	slo_series_free(s);
	slo_def_release(&d);
}

/* Prometheus-like increases at random: whatever the running sums can say, the
 * statuses are the full scan's, bit for bit. */
static void test_running_sums_fractional_random(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct gen g = { { 99 }, 0, 0, 1 };

	(void)state;
	def_rolling(&d, "99.9", 6 * HOUR_MS);
	s = series(&d);
	g.t = ts("2026-04-01T00:00:00Z");
	g.span = slo_span_ms(&d);
	for (int i = 0; i < 1200; i++) {
		random_add(&g, s);
		if (i == 600)
			g.fractional = 0;   /* whole counts from here: sums come back */
		check_at(&d, s, slo_series_newest(s), -1);
	}
	check_at(&d, s, slo_series_newest(s), 1);
	slo_series_free(s);
	slo_def_release(&d);
}

/* Another definition than the series': the full scan, as before. */
static void test_running_sums_other_definition(void **state)
{
	struct slo_def d, other;
	struct slo_series *s;
	int64_t t = ts("2026-04-01T00:00:00Z");

	(void)state;
	def_timeslices(&d, "99", DAY_MS, MIN_MS, "95");
	def_timeslices(&other, "99", DAY_MS, MIN_MS, "99");
	s = series(&d);
	slo_series_add(s, t, 96, 100);
	slo_series_add(s, t + MIN_MS, 98, 100);
	check_at(&d, s, t + MIN_MS, 1);
	check_at(&other, s, t + MIN_MS, 0);
	other.method = SLO_OCCURRENCES;
	check_at(&other, s, t + MIN_MS, 0);
	other.method = SLO_TIMESLICES;
	other.timeslice_ms = 2 * MIN_MS;
	check_at(&other, s, t + MIN_MS, 0);
	slo_series_free(s);
	slo_def_release(&d);
	slo_def_release(&other);
}

/* What the running sums cost, in buckets read: nothing to evaluate at the newest
 * bucket, one per window as the head moves on a bucket, nothing for a late add or a
 * jump past the ring; a calendar window, nothing once it has been asked. */
static void test_running_sums_cost(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t t = ts("2026-03-02T00:00:00Z"), newest;
	uint64_t r;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	s = series(&d);
	for (int64_t i = 0; i < 43200; i++)
		assert_int_equal(slo_series_add(s, t + i * MIN_MS, i % 97 ? 3 : 1, 3), 1);
	newest = slo_series_newest(s);
	r = slo_series_reads(s);
	eval(&d, s, newest, &st);
	assert_true(st.total == 129600);
	assert_int_equal(slo_series_reads(s), r);
	assert_int_equal(slo_series_add(s, newest + MIN_MS, 1, 1), 1);
	assert_int_equal(slo_series_reads(s), r + SLO_SERIES_WINDOWS);
	r = slo_series_reads(s);
	eval(&d, s, newest + 6 * MIN_MS, &st);   /* 5 buckets after the head */
	assert_in_range(slo_series_reads(s) - r, 1, 5 * SLO_SERIES_WINDOWS);
	r = slo_series_reads(s);   /* 10 days back: never more than summing the windows */
	eval(&d, s, newest - 10 * DAY_MS, &st);
	assert_in_range(slo_series_reads(s) - r, 1, 20 * 1440 + 6335);
	r = slo_series_reads(s);
	assert_int_equal(slo_series_add(s, newest - DAY_MS, 0, 2), 1);
	assert_int_equal(slo_series_reads(s), r);
	check_at(&d, s, newest + MIN_MS, 1);
	r = slo_series_reads(s);
	assert_int_equal(slo_series_add(s, newest + 31 * DAY_MS, 0, 1), 1);
	assert_int_equal(slo_series_reads(s), r);
	check_at(&d, s, newest + 31 * DAY_MS, 1);
	slo_series_free(s);
	slo_def_release(&d);
}

static void test_running_sums_cost_calendar(void **state)
{
	struct slo_def d;
	struct slo_series *s;
	struct slo_status st;
	int64_t t = ts("2026-03-31T20:00:00Z");
	uint64_t r;

	(void)state;
	def_rolling(&d, "99.9", 30 * DAY_MS);
	assert_true(def_calendar(&d, TM_PERIOD_MONTH, "UTC"));
	s = series(&d);
	for (int64_t i = 0; i < 60; i++)
		slo_series_add(s, t + i * MIN_MS, 1, 1);
	eval(&d, s, t + 59 * MIN_MS, &st);   /* first asked: the month so far is summed */
	assert_true(st.total == 60);
	r = slo_series_reads(s);
	for (int64_t i = 60; i < 8 * 60; i++) {   /* into April */
		slo_series_add(s, t + i * MIN_MS, 1, 2);
		eval(&d, s, t + i * MIN_MS, &st);
		assert_true(st.total == (i < 4 * 60 ? 2 * i - 59 + 1 : 2 * (i - 4 * 60 + 1)));
	}
	/* one read per burn window per minute (the month's start does not move), and
	 * none to move it to April's at April's first minute, which is the head */
	assert_int_equal(slo_series_reads(s) - r, 7 * 60 * SLO_NBURN);
	check_at(&d, s, t + (8 * 60 - 1) * MIN_MS, 1);
	slo_series_free(s);
	slo_def_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal_parse),
		cmocka_unit_test(test_decimal_errors),
		cmocka_unit_test(test_decimal_exact_ratios),
		cmocka_unit_test(test_number_format),
		cmocka_unit_test(test_method_parse),
		cmocka_unit_test(test_def_defaults),
		cmocka_unit_test(test_def_spans),
		cmocka_unit_test(test_def_check_errors),
		cmocka_unit_test(test_def_period_rolling),
		cmocka_unit_test(test_series_new_errors),
		cmocka_unit_test(test_series_add_and_read),
		cmocka_unit_test(test_series_invalid_values),
		cmocka_unit_test(test_series_late_and_future),
		cmocka_unit_test(test_series_laps),
		cmocka_unit_test(test_series_before_epoch),
		cmocka_unit_test(test_million_events_half_budget),
		cmocka_unit_test(test_whole_budget_as_time),
		cmocka_unit_test(test_workbook_14_4_is_2_percent),
		cmocka_unit_test(test_workbook_short_window_gates),
		cmocka_unit_test(test_thresholds_28_and_30_days),
		cmocka_unit_test(test_alert_rule_table),
		cmocka_unit_test(test_calendar_month_berlin_dst),
		cmocka_unit_test(test_calendar_new_period_burning),
		cmocka_unit_test(test_calendar_errors),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_no_data),
		cmocka_unit_test(test_below_min_events),
		cmocka_unit_test(test_min_events_in_long_window),
		cmocka_unit_test(test_ticket_and_breach),
		cmocka_unit_test(test_late_and_after_now),
		cmocka_unit_test(test_clean_numbers),
		cmocka_unit_test(test_objective_echo),
		cmocka_unit_test(test_timeslices),
		cmocka_unit_test(test_timeslices_coarse),
		cmocka_unit_test(test_condition_parse),
		cmocka_unit_test(test_exhaustion_beyond_range),
		cmocka_unit_test(test_running_sums_rolling),
		cmocka_unit_test(test_running_sums_timeslices),
		cmocka_unit_test(test_running_sums_calendar),
		cmocka_unit_test(test_running_sums_fractional),
		cmocka_unit_test(test_running_sums_fractional_random),
		cmocka_unit_test(test_running_sums_other_definition),
		cmocka_unit_test(test_running_sums_cost),
		cmocka_unit_test(test_running_sums_cost_calendar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
