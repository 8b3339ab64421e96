/*
 * slo-budget's input (input.c): records to per-SLO outcomes by projection and by jq
 * alike, every record error with its file:line, --lenient, --counts, latency, group
 * keys, and the group map; and the plain-path test the input relies on (spec.c).
 *
 * The Makefile links tests/unit/test_slo_budget_*.c with slo-budget's objects (all but
 * main.o).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/slo-budget/input.h"
#include "../../src/slo-budget/spec.h"
#include "tm.h"
#include "banned.h"

#define T0 INT64_C(1772323200000)   /* 2026-03-01T00:00:00Z */

struct warned {
	size_t n;
	char last[SRERR_MSG_MAX];
};

static void on_warn(void *ctx, const struct srerr *e)
{
	struct warned *w = ctx;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", e->msg);
}

/* An input over text with the SLOs slos[0..n-1] (default: one with .ok). */
static struct input *open_text(const char *text, const struct input_slo *slos, size_t n,
			       int counts, int lenient, struct warned *w)
{
	static const struct input_slo plain = { NULL, NULL, 0, NULL };
	struct ndj_reader_opts ro = { .lenient = lenient };
	struct input_conf c = { "time", counts, lenient, slos ? slos : &plain, slos ? n : 1,
				on_warn, w };
	struct srerr e;
	struct ndj_reader *r = ndj_reader_new_mem(text, strlen(text), "t.ndjson", &ro, &e);
	struct input *in;

	assert_non_null(r);
	in = input_new(r, &c, &e);
	if (!in)
		fail_msg("input_new: %s", e.msg);
	return in;
}

/* The error of the first record of text that fails. */
static void expect_error(const char *text, const struct input_slo *slos, int counts,
			 const char *msg)
{
	struct input *in = open_text(text, slos, 1, counts, 0, NULL);
	struct input_event ev;
	struct srerr e;
	int rc;

	while ((rc = input_next(in, &ev, &e)) == 1)
		;
	assert_int_equal(rc, -1);
	assert_string_equal(e.msg, msg);
	input_free(in);
}

static void test_default_projection(void **state)
{
	struct input *in = open_text("{\"time\":\"2026-03-01T00:00:00Z\",\"ok\":true}\n"
				     "{\"ok\":false,\"time\":1772323201.5}\n", NULL, 0, 0, 0, NULL);
	struct input_event ev;
	struct srerr e;

	(void)state;
	assert_true(input_projected(in));
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_int_equal(ev.time_ms, T0);
	assert_true(ev.slo[0].good == 1 && ev.slo[0].total == 1);
	assert_null(ev.slo[0].group);
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_int_equal(ev.time_ms, T0 + 1500);
	assert_true(ev.slo[0].good == 0 && ev.slo[0].total == 1);
	assert_int_equal(input_next(in, &ev, &e), 0);
	assert_int_equal(input_skipped(in), 0);
	input_free(in);
}

/* The same records through projection and through jq give the same outcomes. */
static void test_jq_agrees_with_projection(void **state)
{
	static const char text[] =
		"{\"time\":\"2026-03-01T01:00:00+01:00\",\"ok\":true,\"t\":{\"n\":\"a\"}}\n"
		"{\"time\":\"2026-03-01T00:00:01.999Z\",\"ok\":false,\"t\":{\"n\":\"b\"}}\n"
		"{\"time\":1772323202,\"ok\":true,\"t\":{\"n\":\"a\"}}\n";
	const struct input_slo proj[] = { { ".ok", NULL, 0, ".t.n" } };
	const struct input_slo jq[] = { { ".ok and true", NULL, 0, ".t | .n" } };
	struct input *a = open_text(text, proj, 1, 0, 0, NULL);
	struct input *b = open_text(text, jq, 1, 0, 0, NULL);
	struct input_event ea, eb;
	struct srerr e;
	int n = 0;

	(void)state;
	assert_true(input_projected(a));
	assert_false(input_projected(b));
	while (input_next(a, &ea, &e) == 1) {
		assert_int_equal(input_next(b, &eb, &e), 1);
		assert_int_equal(ea.time_ms, eb.time_ms);
		assert_true(ea.slo[0].good == eb.slo[0].good);
		assert_string_equal(ea.slo[0].group, eb.slo[0].group);
		n++;
	}
	assert_int_equal(n, 3);
	assert_int_equal(input_next(b, &eb, &e), 0);
	input_free(a);
	input_free(b);
}

static void test_several_slos_share_fields(void **state)
{
	const struct input_slo slos[] = {
		{ NULL, NULL, 0, NULL },
		{ NULL, ".ms", 300, ".target" },
		{ ".ok", ".ms", 300, NULL },
	};
	struct input *in = open_text("{\"time\":1772323200,\"ok\":false,\"ms\":12,\"target\":7}\n"
				     "{\"time\":1772323200,\"ok\":true,\"ms\":\"301ms\",\"target\":true}\n",
				     slos, 3, 0, 0, NULL);
	struct input_event ev;
	struct srerr e;

	(void)state;
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_true(ev.slo[0].good == 0);
	assert_true(ev.slo[1].good == 1);          /* fast, whatever .ok says */
	assert_string_equal(ev.slo[1].group, "7");
	assert_true(ev.slo[2].good == 0);          /* fast but not ok */
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_true(ev.slo[0].good == 1);
	assert_true(ev.slo[1].good == 0);          /* 301ms > 300ms */
	assert_string_equal(ev.slo[1].group, "true");
	assert_true(ev.slo[2].good == 0);
	input_free(in);
}

static void test_latency_threshold_is_inclusive(void **state)
{
	const struct input_slo slos[] = { { NULL, ".ms", 300, NULL } };
	struct input *in = open_text("{\"time\":0,\"ms\":300}\n{\"time\":0,\"ms\":300.001}\n"
				     "{\"time\":0,\"ms\":\"0.3s\"}\n", slos, 1, 0, 0, NULL);
	struct input_event ev;
	struct srerr e;

	(void)state;
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_true(ev.slo[0].good == 1);
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_true(ev.slo[0].good == 0);
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_true(ev.slo[0].good == 1);
	input_free(in);
}

static void test_record_errors(void **state)
{
	const struct input_slo lat[] = { { NULL, ".ms", 300, NULL } };
	const struct input_slo grp[] = { { NULL, NULL, 0, ".target" } };
	const struct input_slo through[] = { { ".a.b", NULL, 0, NULL } };
	const struct input_slo jqerr[] = { { ".a | .b", NULL, 0, NULL } };
	const struct input_slo jqgrp[] = { { NULL, NULL, 0, ".target // null" } };

	(void)state;
	expect_error("{\"ok\":true}\n", NULL, 0, "t.ndjson:1: missing .time (see --time-field)");
	expect_error("{\"time\":0,\"ok\":true}\n{\"time\":\"yesterday\",\"ok\":true}\n", NULL, 0,
		     "t.ndjson:2: invalid .time 'yesterday': expected an RFC 3339 time or epoch "
		     "seconds");
	expect_error("{\"time\":null,\"ok\":true}\n", NULL, 0,
		     "t.ndjson:1: invalid .time null: expected an RFC 3339 time or epoch seconds");
	expect_error("{\"time\":1e300,\"ok\":true}\n", NULL, 0,
		     "t.ndjson:1: invalid .time 1e+300: expected an RFC 3339 time or epoch seconds");
	expect_error("{\"time\":0}\n", NULL, 0, "t.ndjson:1: missing .ok (see --good)");
	expect_error("{\"time\":0,\"ok\":\"yes\"}\n", NULL, 0,
		     "t.ndjson:1: .ok is 'yes', expected true or false");
	expect_error("{\"time\":0,\"ok\":{}}\n", NULL, 0,
		     "t.ndjson:1: .ok is an object, expected true or false");
	expect_error("{\"time\":0,\"ms\":-1}\n", lat, 0,
		     "t.ndjson:1: .ms is -1: expected milliseconds or a duration like 250ms");
	expect_error("{\"time\":0}\n", lat, 0, "t.ndjson:1: missing .ms (see --latency-field)");
	expect_error("{\"time\":0,\"ok\":true}\n", grp, 0,
		     "t.ndjson:1: .target is missing (see --group-by)");
	expect_error("{\"time\":0,\"ok\":true,\"target\":null}\n", grp, 0,
		     "t.ndjson:1: .target is null (see --group-by)");
	expect_error("{\"time\":0,\"ok\":true,\"target\":[1]}\n", grp, 0,
		     "t.ndjson:1: .target is an array: a group is a string, number or boolean");
	expect_error("{\"time\":0,\"ok\":true,\"target\":\"a\\u0000b\"}\n", grp, 0,
		     "t.ndjson:1: .target has a NUL character");
	/* a plain path through a non-object is missing, as ndj_next_fields reads it */
	expect_error("{\"time\":0,\"a\":5}\n", through, 0, "t.ndjson:1: missing .a.b");
	expect_error("{\"time\":0,\"a\":5}\n", jqerr, 0,
		     "t.ndjson:1: error in jq expression '.a | .b': Cannot index number with string \"b\"");
	expect_error("{\"time\":0,\"ok\":true}\n", jqgrp, 0,
		     "t.ndjson:1: --group-by '.target // null' gave null");
	expect_error("{\"time\":0,\"ok\":true}\n{\"time\":0,\"ok\":true\n", NULL, 0,
		     "t.ndjson:2: invalid JSON: premature EOF");
}

static void test_jq_good_must_be_boolean(void **state)
{
	const struct input_slo path[] = { { ".status", NULL, 0, NULL } };
	const struct input_slo num[] = { { ".status + 0", NULL, 0, NULL } };
	const struct input_slo none[] = { { "empty", NULL, 0, NULL } };

	(void)state;
	expect_error("{\"time\":0,\"status\":200}\n", path, 0,
		     "t.ndjson:1: .status is 200, expected true or false");
	expect_error("{\"time\":0,\"status\":200}\n", num, 0,
		     "t.ndjson:1: --good '.status + 0' gave 200, expected true or false");
	expect_error("{\"time\":0}\n", none, 0, "t.ndjson:1: --good 'empty' gave no output");
}

static void test_counts(void **state)
{
	struct input *in = open_text("{\"time\":0,\"good\":9,\"total\":10}\n"
				     "{\"time\":0,\"bad\":0.5,\"total\":2.5}\n", NULL, 0, 1, 0, NULL);
	struct input_event ev;
	struct srerr e;

	(void)state;
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_true(ev.slo[0].good == 9 && ev.slo[0].total == 10);
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_true(ev.slo[0].good == 2 && ev.slo[0].total == 2.5);
	input_free(in);
	expect_error("{\"time\":0,\"good\":9}\n", NULL, 1, "t.ndjson:1: missing .total");
	expect_error("{\"time\":0,\"total\":9}\n", NULL, 1, "t.ndjson:1: missing .good (or .bad)");
	expect_error("{\"time\":0,\"good\":1,\"bad\":1,\"total\":2}\n", NULL, 1,
		     "t.ndjson:1: both .good and .bad: give one");
	expect_error("{\"time\":0,\"good\":11,\"total\":10}\n", NULL, 1,
		     "t.ndjson:1: good 11 is more than total 10");
	expect_error("{\"time\":0,\"bad\":11,\"total\":10}\n", NULL, 1,
		     "t.ndjson:1: bad 11 is more than total 10");
	expect_error("{\"time\":0,\"good\":-1,\"total\":10}\n", NULL, 1,
		     "t.ndjson:1: .good is -1: expected a number of events, at least 0");
	expect_error("{\"time\":0,\"good\":1,\"total\":\"10\"}\n", NULL, 1,
		     "t.ndjson:1: .total is '10': expected a number of events, at least 0");
}

static void test_lenient_skips_and_counts(void **state)
{
	struct warned w = { 0 };
	struct input *in = open_text("{\"time\":0,\"ok\":true}\n{\"time\":0,\"ok\":1}\n{oops\n"
				     "{\"ok\":true}\n{\"time\":0,\"ok\":false}\n", NULL, 0, 0, 1, &w);
	struct input_event ev;
	struct srerr e;
	int good = 0, n = 0;

	(void)state;
	while (input_next(in, &ev, &e) == 1) {
		good += ev.slo[0].good == 1;
		n++;
	}
	assert_int_equal(n, 2);
	assert_int_equal(good, 1);
	assert_int_equal(input_skipped(in), 3);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.last, "t.ndjson:4: missing .time (see --time-field)");
	input_free(in);
}

static void test_jq_group_keys(void **state)
{
	const struct input_slo slos[] = { { NULL, NULL, 0, "{a: .a}" }, { NULL, NULL, 0, ".a | . + 1" } };
	struct input *in = open_text("{\"time\":0,\"ok\":true,\"a\":1.5}\n", slos, 2, 0, 0, NULL);
	struct input_event ev;
	struct srerr e;

	(void)state;
	assert_int_equal(input_next(in, &ev, &e), 1);
	assert_string_equal(ev.slo[0].group, "{\"a\":1.5}");
	assert_int_equal(ev.slo[0].group_len, 9);
	assert_string_equal(ev.slo[1].group, "2.5");
	input_free(in);
}

static void test_bad_jq_expression(void **state)
{
	const struct input_slo slos[] = { { ".a |", NULL, 0, NULL } };
	struct input_conf c = { "time", 0, 0, slos, 1, NULL, NULL };
	struct srerr e;
	struct ndj_reader *r = ndj_reader_new_mem("", 0, "t", NULL, &e);

	(void)state;
	assert_null(input_new(r, &c, &e));
	assert_string_equal(e.code, "jq");
}

/* The cached prefix of RFC 3339 times never changes what a time reads as. */
static void test_time_cache_agrees_with_full_parse(void **state)
{
	static const char *const times[] = {
		"2026-03-01T00:00:00.000Z", "2026-03-01T00:00:59.999Z", "2026-03-01T00:00:07Z",
		"2026-03-01T00:00:07.5Z", "2026-03-01T00:00:07.123456Z", "2026-03-01T00:00:07z",
		"2026-03-01T00:00:07.000+01:00", "2026-03-01T00:00:60.000Z", "2026-03-01T00:00:7a.000Z",
		"2026-03-01T00:00:07.0a0Z", "2026-03-01T00:00:07,000Z", "2026-03-01T00:01:00.001Z",
		"2026-12-31T23:59:59.000Z", "2026-12-31T23:59:60.000Z", "2026-12-31T23:59:60Z",
		"2026-12-31T23:59:05Z", "2026-12-31T23:59:05.9Z", "2026-12-31T23:59:0",
	};
	char text[4096] = "";
	size_t n = sizeof(times) / sizeof(times[0]), used = 0;

	(void)state;
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "{\"time\":\"%s\",\"ok\":true}\n", times[i]);
	struct warned w = { 0 };
	struct input *in = open_text(text, NULL, 0, 0, 1, &w);
	struct input_event ev;
	struct srerr e;
	int64_t want;

	for (size_t i = 0; i < n; i++) {
		if (tm_parse_rfc3339(times[i], &want, NULL) == -1)
			continue;       /* skipped by the lenient input */
		assert_int_equal(input_next(in, &ev, &e), 1);
		if (ev.time_ms != want)
			fail_msg("%s read as %lld, not %lld", times[i], (long long)ev.time_ms,
				 (long long)want);
	}
	assert_int_equal(input_next(in, &ev, &e), 0);
	input_free(in);
}

static void test_groups_map(void **state)
{
	struct input_groups *g = input_groups_new();
	char key[32];
	int values[300];
	const char *copy;

	(void)state;
	assert_null(input_groups_find(g, "a", 1));
	for (int i = 0; i < 300; i++) {
		values[i] = i;
		snprintf(key, sizeof(key), "k%03d", 299 - i);
		assert_non_null(copy = input_groups_add(g, key, strlen(key), &values[i]));
		assert_string_equal(copy, key);
	}
	assert_int_equal(input_groups_count(g), 300);
	assert_ptr_equal(input_groups_find(g, "k000", 4), &values[299]);
	assert_ptr_equal(input_groups_find(g, "k299", 4), &values[0]);
	assert_null(input_groups_find(g, "k29", 3));
	/* key order, and finding still works after sorting */
	assert_string_equal(input_groups_key(g, 0), "k000");
	assert_string_equal(input_groups_key(g, 299), "k299");
	assert_ptr_equal(input_groups_value(g, 0), &values[299]);
	assert_ptr_equal(input_groups_find(g, "k150", 4), &values[149]);
	/* a prefix sorts first; keys compare by their bytes and length */
	assert_non_null(input_groups_add(g, "k", 1, &values[0]));
	assert_string_equal(input_groups_key(g, 0), "k");
	assert_ptr_equal(input_groups_find(g, "k", 1), &values[0]);
	input_groups_free(g);
}

static void test_simple_paths(void **state)
{
	char path[64];

	(void)state;
	assert_true(spec_simple_path(".ok", path, sizeof(path)));
	assert_string_equal(path, "ok");
	assert_true(spec_simple_path(".timing_ms.total", path, sizeof(path)));
	assert_string_equal(path, "timing_ms.total");
	assert_true(spec_simple_path("._a9", NULL, 0));
	assert_false(spec_simple_path("ok", NULL, 0));
	assert_false(spec_simple_path(".", NULL, 0));
	assert_false(spec_simple_path(".a.", NULL, 0));
	assert_false(spec_simple_path(".a..b", NULL, 0));
	assert_false(spec_simple_path(".9a", NULL, 0));
	assert_false(spec_simple_path(".a[0]", NULL, 0));
	assert_false(spec_simple_path(".a | .b", NULL, 0));
	assert_false(spec_simple_path(".[\"a\"]", NULL, 0));
	assert_false(spec_simple_path(".a-b", NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_projection),
		cmocka_unit_test(test_jq_agrees_with_projection),
		cmocka_unit_test(test_several_slos_share_fields),
		cmocka_unit_test(test_latency_threshold_is_inclusive),
		cmocka_unit_test(test_record_errors),
		cmocka_unit_test(test_jq_good_must_be_boolean),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_lenient_skips_and_counts),
		cmocka_unit_test(test_jq_group_keys),
		cmocka_unit_test(test_bad_jq_expression),
		cmocka_unit_test(test_time_cache_agrees_with_full_parse),
		cmocka_unit_test(test_groups_map),
		cmocka_unit_test(test_simple_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
