/*
 * slo-budget's SLO options and --spec files (spec.c): each option's value, the
 * options that must or must not come together, and spec files with their errors.
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
#include <unistd.h>
#include <cmocka.h>

#include "../../src/slo-budget/spec.h"
#include "banned.h"

static void set_ok(struct spec_slo *s, const char *field, const char *arg)
{
	struct srerr e;

	if (spec_slo_set(s, field, field, arg, &e) != 0)
		fail_msg("%s '%s': %s", field, arg, e.msg);
}

static void set_fails(const char *field, const char *arg, const char *msg)
{
	struct spec_slo s;
	struct srerr e;

	spec_slo_init(&s);
	assert_int_equal(spec_slo_set(&s, field, field, arg, &e), -1);
	assert_string_equal(e.code, "usage");
	assert_string_equal(e.msg, msg);
	spec_slo_release(&s);
}

static void test_option_values(void **state)
{
	struct spec_slo s;
	struct srerr e;

	(void)state;
	spec_slo_init(&s);
	set_ok(&s, "objective", "99.95");
	set_ok(&s, "window", "28d");
	set_ok(&s, "slice-objective", "90");
	set_ok(&s, "slice_objective", "95");        /* '-' and '_' alike */
	set_ok(&s, "min-events", "0");
	set_ok(&s, "good", ".ok and .fast");
	set_ok(&s, "latency-field", "duration_ms");
	set_ok(&s, "name", "api");
	set_ok(&s, "name", "web");                  /* a later value replaces */
	assert_string_equal(s.objective, "99.95");
	assert_int_equal(s.window_ms, INT64_C(2419200000));
	assert_string_equal(s.slice_objective, "95");
	assert_int_equal(s.min_events, 0);
	assert_string_equal(s.latency_field, ".duration_ms");
	assert_string_equal(s.name, "web");
	assert_int_equal(spec_slo_set(&s, "windw", "windw", "1d", &e), 1);
	spec_slo_release(&s);
	set_fails("objective", "100", "invalid objective '100': expected a percentage above 0 and below 100");
	set_fails("objective", "9x", "invalid objective '9x': expected a percentage like 99.9 (at most 9 decimals)");
	set_fails("window", "-1d", "invalid window '-1d': expected a duration like 30d");
	set_fails("window", "0", "invalid window '0': expected a duration above 0");
	set_fails("calendar", "day", "invalid calendar 'day': expected week, month or quarter");
	set_fails("tz", "Mars/Olympus", "invalid tz 'Mars/Olympus': expected a time zone like Europe/Berlin");
	set_fails("method", "both", "invalid method 'both': expected occurrences or timeslices");
	set_fails("min_events", "1e3", "invalid min_events '1e3': expected a whole number from 0 to 1000000000000000");
	set_fails("min_events", "1000000000000001", "invalid min_events '1000000000000001': expected a whole number from 0 to 1000000000000000");
	set_fails("latency_field", ".a[0]", "invalid latency_field '.a[0]': expected a field path like .duration_ms");
	set_fails("name", "a\tb", "invalid name 'a b': expected a name without control characters");
	set_fails("good_query", "", "invalid good_query '': expected a PromQL query");
}

static void test_copy_is_deep(void **state)
{
	struct spec_slo a, b;
	struct srerr e;

	(void)state;
	spec_slo_init(&a);
	set_ok(&a, "name", "api");
	set_ok(&a, "group_by", ".target");
	assert_int_equal(spec_slo_copy(&b, &a, &e), 0);
	spec_slo_release(&a);
	assert_string_equal(b.name, "api");
	assert_string_equal(b.group_by, ".target");
	assert_int_equal(b.min_events, -1);
	spec_slo_release(&b);
}

/* spec_finish on the options given as field, value pairs; the message or NULL. */
static const char *finish(struct spec_ready *r, const char *const *kv)
{
	static struct srerr e;
	struct spec_slo s;
	int rc;

	spec_slo_init(&s);
	for (; kv[0]; kv += 2)
		set_ok(&s, kv[0], kv[1]);
	rc = spec_finish(&s, r, &e);
	spec_slo_release(&s);
	return rc == 0 ? NULL : e.msg;
}

static void finish_fails(const char *const *kv, const char *msg)
{
	struct spec_ready r;
	const char *got = finish(&r, kv);

	if (!got)
		fail_msg("no error, expected '%s'", msg);
	assert_string_equal(got, msg);
}

static void test_finish_builds_the_definition(void **state)
{
	struct spec_ready r;
	const char *const cal[] = { "objective", "99.9", "calendar", "month", "tz",
				    "Europe/Berlin", "min_events", "5", NULL };
	const char *const ts[] = { "objective", "99", "slice_objective", "95", "timeslice", "5m",
				   NULL };
	const char *const lat[] = { "objective", "99", "latency_field", ".ms", "threshold",
				    "300ms", "name", "latency", NULL };

	(void)state;
	assert_null(finish(&r, cal));
	assert_string_equal(r.def.name, "slo");
	assert_true(r.def.calendar && r.def.period == TM_PERIOD_MONTH);
	assert_string_equal(tm_zone_name(r.def.zone), "Europe/Berlin");
	assert_int_equal(r.def.min_events, 5);
	assert_int_equal(r.def.objective.mantissa, 999);
	spec_ready_release(&r);
	assert_null(finish(&r, ts));
	assert_int_equal(r.def.method, SLO_TIMESLICES);
	assert_int_equal(r.def.timeslice_ms, 300000);
	spec_ready_release(&r);
	assert_null(finish(&r, lat));
	assert_string_equal(r.def.name, "latency");
	assert_string_equal(r.latency_field, ".ms");
	assert_int_equal(r.threshold_ms, 300);
	assert_null(r.good);
	spec_ready_release(&r);
}

static void test_finish_combinations(void **state)
{
	(void)state;
	finish_fails((const char *const[]){ "window", "7d", NULL },
		     "no objective: give --objective PERCENT, like --objective 99.9");
	finish_fails((const char *const[]){ "objective", "99", "window", "7d", "calendar", "week", NULL },
		     "--window and --calendar do not go together");
	finish_fails((const char *const[]){ "objective", "99", "tz", "UTC", NULL },
		     "--tz needs --calendar");
	finish_fails((const char *const[]){ "objective", "99", "method", "occurrences",
					    "timeslice", "1m", NULL },
		     "--timeslice needs --method timeslices");
	finish_fails((const char *const[]){ "objective", "99", "timeslice", "1m", NULL },
		     "--method timeslices needs --slice-objective PERCENT");
	finish_fails((const char *const[]){ "objective", "99", "latency_field", ".ms", NULL },
		     "--latency-field needs --threshold DURATION");
	finish_fails((const char *const[]){ "objective", "99", "threshold", "1s", NULL },
		     "--threshold needs --latency-field PATH");
	finish_fails((const char *const[]){ "objective", "99", "good_query", "a", "bad_query",
					    "b", NULL },
		     "--good-query and --bad-query do not go together");
	finish_fails((const char *const[]){ "objective", "99", "window", "90s", NULL },
		     "window '1m30s' is not a whole number of 1m buckets");
}

/* Write text to a temporary file; returns its path (static). */
static const char *temp_file(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_slo_spec.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_load(void **state)
{
	struct spec_slo tmpl, *v;
	struct srerr e;
	size_t n;
	const char *path = temp_file("[{\"name\":\"a\",\"objective\":99.9},\n"
				     " {\"name\":\"b\",\"objective\":\"99.95\",\"min_events\":3}]\n");

	(void)state;
	spec_slo_init(&tmpl);
	set_ok(&tmpl, "window", "7d");
	assert_non_null(v = spec_load(path, &tmpl, &n, &e));
	unlink(path);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].objective, "99.9");   /* a number as jq prints it */
	assert_int_equal(v[0].window_ms, INT64_C(604800000));
	assert_string_equal(v[1].name, "b");
	assert_int_equal(v[1].min_events, 3);
	for (size_t i = 0; i < n; i++)
		spec_slo_release(&v[i]);
	free(v);
	spec_slo_release(&tmpl);
}

static void load_fails(const char *text, const char *msg_after_path)
{
	struct spec_slo tmpl;
	struct srerr e;
	size_t n;
	char want[512];
	const char *path = temp_file(text);

	spec_slo_init(&tmpl);
	assert_null(spec_load(path, &tmpl, &n, &e));
	snprintf(want, sizeof(want), "%s%s", path, msg_after_path);
	assert_string_equal(e.msg, want);
	assert_int_equal(n, 0);
	unlink(path);
}

static void test_load_errors(void **state)
{
	(void)state;
	load_fails("{\"objective\":99}\n{\"objective\":99,\"windw\":\"1d\"}\n",
		   ":2: unknown field 'windw'");
	load_fails("{\"objective\":99,\"slice-objective\":90}\n",
		   ":1: unknown field 'slice-objective'");
	load_fails("{\"objective\":true}\n",
		   ":1: field 'objective' must be a number or a string, not boolean");
	load_fails("{\"objective\":99,\"min_events\":1.5}\n",
		   ":1: invalid min_events '1.5': expected a whole number from 0 to 1000000000000000");
	load_fails("{\"name\":\"x\",\"objective\":99}\n{\"name\":\"x\",\"objective\":98}\n",
		   ":2: duplicate SLO name 'x': give each SLO its own \"name\"");
	load_fails("", ": no SLOs in the spec file");
	load_fails("{\"objective\":99\n", ":1: invalid JSON: premature EOF");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option_values),
		cmocka_unit_test(test_copy_is_deep),
		cmocka_unit_test(test_finish_builds_the_definition),
		cmocka_unit_test(test_finish_combinations),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
