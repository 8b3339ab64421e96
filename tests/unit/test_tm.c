/* Unit tests of src/lib/tm: RFC 3339, epoch seconds, durations, clocks, zones, periods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tm.h"
#include "srerr.h"
#include "banned.h"

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

/* The canonical format of ms, in a rotating static buffer (for assertions only). */
static const char *fmt(int64_t ms)
{
	static char bufs[4][TM_RFC3339_SIZE];
	static int i;
	struct srerr e;
	char *b = bufs[i++ % 4];

	if (tm_format_rfc3339(ms, b, &e) != 0)
		fail_msg("format %lld failed: %s", (long long)ms, e.msg);
	return b;
}

static void ts_bad(const char *s, const char *code, const char *msg)
{
	struct srerr e;
	int64_t v = 12345;

	srerr_clear(&e);
	if (tm_parse_rfc3339(s, &v, &e) != -1)
		fail_msg("'%s' parsed as %lld, expected an error", s, (long long)v);
	assert_int_equal(v, 12345);
	assert_string_equal(e.code, code);
	if (msg)
		assert_string_equal(e.msg, msg);
}

static int64_t dur(const char *s)
{
	struct srerr e;
	int64_t v = -1;

	srerr_clear(&e);
	if (tm_parse_duration(s, &v, &e) != 0)
		fail_msg("duration '%s' failed: %s", s, e.msg);
	return v;
}

static void dur_bad(const char *s, const char *code, const char *msg)
{
	struct srerr e;
	int64_t v = 12345;

	srerr_clear(&e);
	if (tm_parse_duration(s, &v, &e) != -1)
		fail_msg("duration '%s' parsed as %lld, expected an error", s, (long long)v);
	assert_int_equal(v, 12345);
	assert_string_equal(e.code, code);
	if (msg)
		assert_string_equal(e.msg, msg);
}

static struct tm_zone *zone(const char *name)
{
	struct srerr e;
	struct tm_zone *z = tm_zone_load(name, &e);

	if (!z)
		fail_msg("zone %s: %s", name, e.msg);
	return z;
}

/* Bounds of the period containing the instant given as RFC 3339, checked to hold it. */
static void bounds(const struct tm_zone *z, enum tm_period p, const char *at,
		   int64_t *start, int64_t *end)
{
	struct srerr e;
	int64_t t = ts(at);

	if (tm_period_bounds(z, p, t, start, end, &e) != 0)
		fail_msg("bounds %s %s: %s", tm_period_name(p), at, e.msg);
	assert_true(*start <= t && t < *end);
}

static void expect_period(const char *zname, enum tm_period p, const char *at,
			  const char *start_s, const char *end_s, int64_t hours)
{
	struct tm_zone *z = zone(zname);
	int64_t start, end;

	bounds(z, p, at, &start, &end);
	assert_string_equal(fmt(start), start_s);
	assert_string_equal(fmt(end), end_s);
	assert_int_equal(end - start, hours * HOUR_MS);
	tm_zone_free(z);
}

/* ---- RFC 3339 parse --------------------------------------------------------------- */

static void test_parse_basic(void **state)
{
	(void)state;
	assert_int_equal(ts("2026-11-28T14:02:18Z"), INT64_C(1795874538000));
	assert_int_equal(ts("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(ts("1970-01-01T00:00:00.001Z"), 1);
	assert_int_equal(ts("2026-11-28t14:02:18z"), INT64_C(1795874538000));
	assert_int_equal(ts("2026-11-28 14:02:18Z"), INT64_C(1795874538000));
	assert_int_equal(ts("0000-01-01T00:00:00Z"), TM_MIN_MS);
	assert_int_equal(ts("9999-12-31T23:59:59.999Z"), TM_MAX_MS);
}

static void test_parse_fraction(void **state)
{
	(void)state;
	assert_int_equal(ts("1970-01-01T00:00:01.1Z"), 1100);
	assert_int_equal(ts("1970-01-01T00:00:01.12Z"), 1120);
	assert_int_equal(ts("1970-01-01T00:00:01.123Z"), 1123);
	assert_int_equal(ts("2026-11-28T14:02:18.123456Z"), INT64_C(1795874538123));
	/* truncation toward the earlier millisecond, never rounding up */
	assert_int_equal(ts("1970-01-01T00:00:01.9999Z"), 1999);
	assert_int_equal(ts("1970-01-01T00:00:01.999999999Z"), 1999);
	assert_int_equal(ts("1970-01-01T00:00:01.000999999Z"), 1000);
	/* before 1970 too: -0.5 ms is in the millisecond that starts at -1 ms */
	assert_int_equal(ts("1969-12-31T23:59:59.9995Z"), -1);
	assert_int_equal(ts("1969-12-31T23:59:59.000Z"), -1000);
	ts_bad("1970-01-01T00:00:01.1234567890Z", "parse",
	       "invalid timestamp '1970-01-01T00:00:01.1234567890Z': "
	       "fraction of a second longer than 9 digits");
	ts_bad("1970-01-01T00:00:01.Z", "parse",
	       "invalid timestamp '1970-01-01T00:00:01.Z': expected digits after '.'");
	ts_bad("1970-01-01T00:00:01,5Z", "parse", NULL);
}

static void test_parse_offsets(void **state)
{
	(void)state;
	assert_string_equal(fmt(ts("2026-11-28T14:02:18+05:30")), "2026-11-28T08:32:18.000Z");
	assert_string_equal(fmt(ts("2026-11-28T14:02:18-08:00")), "2026-11-28T22:02:18.000Z");
	assert_string_equal(fmt(ts("2026-11-28T14:02:18-00:00")), "2026-11-28T14:02:18.000Z");
	/* offsets that move the instant across a date, month and year boundary */
	assert_string_equal(fmt(ts("2026-01-01T01:00:00+02:00")), "2025-12-31T23:00:00.000Z");
	assert_string_equal(fmt(ts("2025-12-31T20:00:00-08:00")), "2026-01-01T04:00:00.000Z");
	assert_string_equal(fmt(ts("2024-03-01T00:30:00+01:00")), "2024-02-29T23:30:00.000Z");
	assert_string_equal(fmt(ts("2026-11-28T14:02:18.5+23:59")), "2026-11-27T14:03:18.500Z");
	ts_bad("2026-11-28T14:02:18+24:00", "parse",
	       "invalid timestamp '2026-11-28T14:02:18+24:00': offset hour 24 out of range");
	ts_bad("2026-11-28T14:02:18+05:60", "parse",
	       "invalid timestamp '2026-11-28T14:02:18+05:60': offset minute 60 out of range");
	ts_bad("2026-11-28T14:02:18+0530", "parse",
	       "invalid timestamp '2026-11-28T14:02:18+0530': expected Z or an offset like +01:00");
	ts_bad("2026-11-28T14:02:18+5:30", "parse", NULL);
	ts_bad("2026-11-28T14:02:18UTC", "parse", NULL);
}

static void test_parse_leap_years(void **state)
{
	(void)state;
	assert_int_equal(ts("2024-02-29T12:00:00Z"), INT64_C(1709208000000));
	assert_int_equal(ts("2000-02-29T00:00:00Z"), INT64_C(951782400000));
	assert_string_equal(fmt(ts("1600-02-29T00:00:00Z")), "1600-02-29T00:00:00.000Z");
	ts_bad("2100-02-29T00:00:00Z", "parse",
	       "invalid timestamp '2100-02-29T00:00:00Z': day 29 out of range for 2100-02");
	ts_bad("2025-02-29", "parse",
	       "invalid timestamp '2025-02-29': day 29 out of range for 2025-02");
	ts_bad("2026-02-30T00:00:00Z", "parse",
	       "invalid timestamp '2026-02-30T00:00:00Z': day 30 out of range for 2026-02");
	ts_bad("2026-04-31T00:00:00Z", "parse", NULL);
	ts_bad("2026-01-00T00:00:00Z", "parse", NULL);
	ts_bad("2026-13-01T00:00:00Z", "parse",
	       "invalid timestamp '2026-13-01T00:00:00Z': month 13 out of range");
	ts_bad("2026-00-01T00:00:00Z", "parse", NULL);
}

static void test_parse_time_fields(void **state)
{
	(void)state;
	ts_bad("2026-11-28T24:00:00Z", "parse",
	       "invalid timestamp '2026-11-28T24:00:00Z': hour 24 out of range");
	ts_bad("2026-11-28T14:60:00Z", "parse",
	       "invalid timestamp '2026-11-28T14:60:00Z': minute 60 out of range");
	ts_bad("2026-11-28T14:02:61Z", "parse",
	       "invalid timestamp '2026-11-28T14:02:61Z': second 61 out of range");
	ts_bad("2026-11-28T14:02Z", "parse",
	       "invalid timestamp '2026-11-28T14:02Z': expected a time like 14:02:18 after the date");
	ts_bad("2026-11-28T4:02:18Z", "parse", NULL);
	ts_bad("2026-11-28X14:02:18Z", "parse",
	       "invalid timestamp '2026-11-28X14:02:18Z': expected 'T' between the date and the time");
	ts_bad("2026-11-28", "parse",
	       "invalid timestamp '2026-11-28': missing time, expected 'T' and a time like 14:02:18");
}

static void test_parse_leap_second(void **state)
{
	(void)state;
	/* clamped to the last millisecond of the day it ends */
	assert_string_equal(fmt(ts("2016-12-31T23:59:60Z")), "2016-12-31T23:59:59.999Z");
	assert_string_equal(fmt(ts("2016-12-31T23:59:60.5Z")), "2016-12-31T23:59:59.999Z");
	assert_string_equal(fmt(ts("2017-01-01T00:59:60+01:00")), "2016-12-31T23:59:59.999Z");
	assert_string_equal(fmt(ts("2016-12-31T18:59:60-05:00")), "2016-12-31T23:59:59.999Z");
	assert_true(ts("2016-12-31T23:59:59.998Z") < ts("2016-12-31T23:59:60Z"));
	assert_true(ts("2016-12-31T23:59:60Z") < ts("2017-01-01T00:00:00Z"));
	ts_bad("2026-11-28T14:02:60Z", "parse",
	       "invalid timestamp '2026-11-28T14:02:60Z': "
	       "second 60 is only valid as a leap second at 23:59:60 UTC");
	ts_bad("2016-12-31T23:59:60+01:00", "parse", NULL);
}

static void test_parse_zone_and_garbage(void **state)
{
	(void)state;
	ts_bad("2026-11-28T14:02:18", "parse",
	       "invalid timestamp '2026-11-28T14:02:18': "
	       "missing time zone, add Z or an offset like +01:00");
	ts_bad("2026-11-28T14:02:18.123", "parse", NULL);
	ts_bad("2026-11-28T14:02:18Zjunk", "parse",
	       "invalid timestamp '2026-11-28T14:02:18Zjunk': "
	       "unexpected characters after the time zone");
	ts_bad("2026-11-28T14:02:18Z ", "parse", NULL);
	ts_bad("2026-11-28T14:02:18+01:00:00", "parse", NULL);
	ts_bad(" 2026-11-28T14:02:18Z", "parse", NULL);
	ts_bad("", "parse",
	       "invalid timestamp '': empty, expected a date-time like 2026-11-28T14:02:18Z");
	ts_bad("yesterday", "parse",
	       "invalid timestamp 'yesterday': expected a date-time like 2026-11-28T14:02:18Z");
	ts_bad("1700000000", "parse", NULL);
	ts_bad("2026/11/28T14:02:18Z", "parse", NULL);
	ts_bad("26-11-28T14:02:18Z", "parse", NULL);
}

static void test_parse_year_range(void **state)
{
	(void)state;
	ts_bad("10000-01-01T00:00:00Z", "range",
	       "invalid timestamp '10000-01-01T00:00:00Z': year outside 0000-9999");
	ts_bad("-0001-12-31T00:00:00Z", "range", NULL);
	ts_bad("+2026-11-28T14:02:18Z", "range", NULL);
	/* valid local date, but the instant is outside 0000-9999 in UTC */
	ts_bad("0000-01-01T00:00:00+00:01", "range",
	       "invalid timestamp '0000-01-01T00:00:00+00:01': outside years 0000-9999 in UTC");
	ts_bad("9999-12-31T23:59:59-01:00", "range", NULL);
	assert_int_equal(ts("0000-01-01T00:00:00-00:00"), TM_MIN_MS);
}

static void test_parse_mem(void **state)
{
	const char buf[] = "2026-11-28T14:02:18Zgarbage";
	const char nul[] = "2026-11-28T14:02:18Z\0x";
	struct srerr e;
	int64_t v = 0;

	(void)state;
	assert_int_equal(tm_parse_rfc3339_mem(buf, 20, &v, &e), 0);
	assert_int_equal(v, INT64_C(1795874538000));
	assert_int_equal(tm_parse_rfc3339_mem(buf, 19, &v, &e), -1);
	/* an embedded NUL is not the end of the input */
	assert_int_equal(tm_parse_rfc3339_mem(nul, sizeof(nul) - 1, &v, &e), -1);
	assert_string_equal(e.code, "parse");
	assert_int_equal(tm_parse_rfc3339_mem("", 0, &v, &e), -1);
}

static void test_parse_long_subject_is_cut(void **state)
{
	char s[300];
	struct srerr e;
	int64_t v;

	(void)state;
	memset(s, '9', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	assert_int_equal(tm_parse_rfc3339(s, &v, &e), -1);
	assert_non_null(strstr(e.msg, "9999...': "));
	assert_true(strlen(e.msg) < 200);
	/* control characters cannot forge a second diagnostic line */
	assert_int_equal(tm_parse_rfc3339("x\nerror: forged", &v, &e), -1);
	assert_null(strchr(e.msg, '\n'));
	/* e may be NULL */
	assert_int_equal(tm_parse_rfc3339("x", &v, NULL), -1);
}

/* ---- format and round trips ---------------------------------------------------- */

static void test_format(void **state)
{
	char out[TM_RFC3339_SIZE];
	struct srerr e;

	(void)state;
	assert_string_equal(fmt(0), "1970-01-01T00:00:00.000Z");
	assert_string_equal(fmt(-1), "1969-12-31T23:59:59.999Z");
	assert_string_equal(fmt(-DAY_MS), "1969-12-31T00:00:00.000Z");
	assert_string_equal(fmt(-DAY_MS - 1), "1969-12-30T23:59:59.999Z");
	assert_string_equal(fmt(INT64_C(1795874538123)), "2026-11-28T14:02:18.123Z");
	assert_string_equal(fmt(INT64_C(-2208988800000)), "1900-01-01T00:00:00.000Z");
	assert_string_equal(fmt(TM_MIN_MS), "0000-01-01T00:00:00.000Z");
	assert_string_equal(fmt(TM_MAX_MS), "9999-12-31T23:59:59.999Z");
	assert_int_equal(strlen(fmt(TM_MAX_MS)), 24);
	assert_int_equal(tm_format_rfc3339(TM_MAX_MS + 1, out, &e), -1);
	assert_string_equal(out, "");
	assert_string_equal(e.code, "range");
	assert_string_equal(e.msg,
			    "cannot format time 253402300800000 ms: outside years 0000-9999");
	assert_int_equal(tm_format_rfc3339(TM_MIN_MS - 1, out, &e), -1);
	assert_int_equal(tm_format_rfc3339(INT64_MIN, out, NULL), -1);
	assert_int_equal(tm_format_rfc3339(INT64_MAX, out, NULL), -1);
}

/* Compare with glibc's gmtime_r, an independent implementation, and round-trip. */
static void check_against_gmtime(int64_t ms)
{
	char want[64];
	struct tm tm;
	time_t secs = (time_t)((ms - (((ms % 1000) + 1000) % 1000)) / 1000);

	assert_non_null(gmtime_r(&secs, &tm));
	snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (int)(((ms % 1000) + 1000) % 1000));
	assert_string_equal(fmt(ms), want);
	assert_int_equal(ts(fmt(ms)), ms);
}

static void test_round_trip_sweep(void **state)
{
	uint64_t x = 88172645463325252u;
	int64_t ms, span = TM_MAX_MS - TM_MIN_MS + 1;
	int i;

	(void)state;
	for (ms = -5 * DAY_MS; ms <= 5 * DAY_MS; ms += 999983)
		check_against_gmtime(ms);
	for (i = 0; i < 50000; i++) {   /* xorshift over the whole range */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_against_gmtime(TM_MIN_MS + (int64_t)(x % (uint64_t)span));
	}
	check_against_gmtime(TM_MIN_MS);
	check_against_gmtime(TM_MAX_MS);
}

/* ---- epoch seconds --------------------------------------------------------------- */

static int64_t epoch(double s)
{
	struct srerr e;
	int64_t v = 0;

	if (tm_from_epoch_seconds(s, &v, &e) != 0)
		fail_msg("epoch %.17g: %s", s, e.msg);
	return v;
}

static void test_epoch_seconds(void **state)
{
	(void)state;
	assert_int_equal(epoch(0), 0);
	assert_int_equal(epoch(-0.0), 0);
	assert_int_equal(epoch(1.5), 1500);
	assert_int_equal(epoch(1700000000), INT64_C(1700000000000));
	assert_int_equal(epoch(1700000000.123), INT64_C(1700000000123));
	assert_int_equal(epoch(1700000000.1239), INT64_C(1700000000123));
	assert_int_equal(epoch(0.001), 1);
	assert_int_equal(epoch(0.0009), 0);
	assert_int_equal(epoch(-0.5), -500);
	assert_int_equal(epoch(-0.0001), -1);   /* the earlier millisecond */
	assert_int_equal(epoch(-1.001), -1001);
	assert_int_equal(epoch(253402300799.999), TM_MAX_MS);
	assert_int_equal(epoch(253402300799.123), INT64_C(253402300799123));
	assert_int_equal(epoch(-62167219200.0), TM_MIN_MS);
	assert_string_equal(fmt(epoch(1795874538.5)), "2026-11-28T14:02:18.500Z");
}

static void test_epoch_seconds_errors(void **state)
{
	struct srerr e;
	int64_t v = 7;

	(void)state;
	assert_int_equal(tm_from_epoch_seconds(NAN, &v, &e), -1);
	assert_string_equal(e.code, "range");
	assert_string_equal(e.msg, "invalid epoch time nan: not a finite number");
	assert_int_equal(tm_from_epoch_seconds(INFINITY, &v, &e), -1);
	assert_string_equal(e.msg, "invalid epoch time inf: not a finite number");
	assert_int_equal(tm_from_epoch_seconds(-INFINITY, &v, &e), -1);
	assert_int_equal(tm_from_epoch_seconds(1e300, &v, &e), -1);
	assert_string_equal(e.msg, "invalid epoch time 1e+300: outside years 0000-9999");
	assert_int_equal(tm_from_epoch_seconds(253402300800.0, &v, &e), -1);
	assert_int_equal(tm_from_epoch_seconds(-62167219200.001, &v, &e), -1);
	assert_int_equal(tm_from_epoch_seconds(-1e17, &v, NULL), -1);
	assert_int_equal(v, 7);
}

/* ---- clocks ------------------------------------------------------------------------ */

static void test_clocks(void **state)
{
	int64_t before = (int64_t)time(NULL) * 1000, now = tm_now_ms();
	int64_t after = (int64_t)time(NULL) * 1000 + 1000;
	int64_t m1 = tm_monotonic_ns(), m2 = tm_monotonic_ns();

	(void)state;
	/* ordering only, no timing: the realtime clock agrees with time(2) */
	assert_true(before <= now && now < after);
	assert_true(m2 >= m1);
	assert_true(m1 > 0);
}

/* ---- durations ----------------------------------------------------------------------- */

static void test_duration_table(void **state)
{
	static const struct {
		const char *in;
		int64_t ms;
	} cases[] = {
		{ "0", 0 }, { "0s", 0 }, { "0ms", 0 }, { "0w0d", 0 },
		{ "250ms", 250 }, { "10s", 10000 }, { "5m", 300000 }, { "1h", 3600000 },
		{ "1h30m", 5400000 }, { "1d", 86400000 }, { "2w", 1209600000 },
		{ "30d", INT64_C(2592000000) }, { "1d12h", 129600000 },
		{ "1m30s500ms", 90500 }, { "90m", 5400000 }, { "1h90m", 9000000 },
		{ "1w1d1h1m1s1ms", INT64_C(694861001) }, { "01h", 3600000 },
		{ "1.5h", 5400000 }, { "0.25s", 250 }, { "1.0001s", 1000 },
		{ "0.5d", 43200000 }, { "1.999999999s", 1999 }, { "2.5m500ms", 150500 },
		{ "521774w6d23h59m59s999ms", TM_DURATION_MAX_MS },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (dur(cases[i].in) != cases[i].ms)
			fail_msg("duration '%s' is %lld, expected %lld", cases[i].in,
				 (long long)dur(cases[i].in), (long long)cases[i].ms);
}

static void test_duration_errors(void **state)
{
	(void)state;
	dur_bad("3x", "parse", "invalid duration '3x': expected a number and a unit like 30d");
	dur_bad("", "parse", "invalid duration '': empty, expected a number and a unit like 30d");
	dur_bad("-5m", "parse", "invalid duration '-5m': durations cannot be negative");
	dur_bad("30", "parse", "invalid duration '30': expected a number and a unit like 30d");
	dur_bad("00", "parse", NULL);
	dur_bad("1h30", "parse", NULL);
	dur_bad("h", "parse", NULL);
	dur_bad("1mo", "parse", NULL);
	dur_bad("1H", "parse", NULL);
	dur_bad("1 h", "parse", NULL);
	dur_bad("1h 30m", "parse", NULL);
	dur_bad(" 1h", "parse", NULL);
	dur_bad("+5m", "parse", NULL);
	dur_bad("1e3s", "parse", NULL);
	dur_bad(".5h", "parse", NULL);
	dur_bad("1.h", "parse", NULL);
	dur_bad("1h1h", "parse",
		"invalid duration '1h1h': units must decrease and appear once, as in 1h30m");
	dur_bad("30m1h", "parse", NULL);
	dur_bad("1s1m", "parse", NULL);
	dur_bad("1ms1s", "parse", NULL);
	dur_bad("1.5ms", "parse", "invalid duration '1.5ms': milliseconds cannot have a fraction");
	dur_bad("1.1234567891s", "parse",
		"invalid duration '1.1234567891s': more than 9 digits after the decimal point");
	dur_bad("521775w", "range", "invalid duration '521775w': longer than 10000 years");
	dur_bad("521774w6d23h59m59s1000ms", "range", NULL);
	dur_bad("315569520000000ms", "range", NULL);
	dur_bad("99999999999999999999999w", "range", NULL);
	dur_bad("15250284452w", "range", NULL);
	dur_bad("9223372036854775807ms", "range", NULL);
	dur_bad("521774w6d23h59m59s999ms1", "parse", NULL);
}

static void test_duration_mem(void **state)
{
	const char nul[] = "1h\0" "30m";
	struct srerr e;
	int64_t v = 0;

	(void)state;
	assert_int_equal(tm_parse_duration_mem("1h30mjunk", 5, &v, &e), 0);
	assert_int_equal(v, 5400000);
	assert_int_equal(tm_parse_duration_mem(nul, sizeof(nul) - 1, &v, &e), -1);
	assert_int_equal(tm_parse_duration_mem("0", 0, &v, &e), -1);
	assert_int_equal(tm_parse_duration("x", &v, NULL), -1);
}

static void test_duration_format(void **state)
{
	char out[TM_DURATION_SIZE];

	(void)state;
	assert_string_equal(tm_format_duration(5400000, out), "1h30m");
	assert_string_equal(tm_format_duration(250, out), "250ms");
	assert_string_equal(tm_format_duration(0, out), "0s");
	assert_string_equal(tm_format_duration(1209600000, out), "2w");
	assert_string_equal(tm_format_duration(90500, out), "1m30s500ms");
	assert_string_equal(tm_format_duration(INT64_C(694861001), out), "1w1d1h1m1s1ms");
	assert_string_equal(tm_format_duration(129600000, out), "1d12h");
	assert_string_equal(tm_format_duration(-1500, out), "-1s500ms");
	assert_string_equal(tm_format_duration(TM_DURATION_MAX_MS, out),
			    "521774w6d23h59m59s999ms");
	assert_string_equal(tm_format_duration(INT64_MAX, out),
			    "15250284452w3d7h12m55s807ms");
	assert_string_equal(tm_format_duration(INT64_MIN, out),
			    "-15250284452w3d7h12m55s808ms");
}

static void test_duration_round_trip(void **state)
{
	char out[TM_DURATION_SIZE];
	uint64_t x = 2463534242u;
	int64_t ms;
	int i;

	(void)state;
	for (ms = 0; ms < 200000; ms += 7)
		assert_int_equal(dur(tm_format_duration(ms, out)), ms);
	for (i = 0; i < 30000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ms = (int64_t)(x % ((uint64_t)TM_DURATION_MAX_MS + 1));
		if (i % 2)   /* also whole seconds, minutes, ... */
			ms -= ms % (i % 3 ? 1000 : 60000);
		assert_int_equal(dur(tm_format_duration(ms, out)), ms);
	}
}

/* ---- periods and zones ------------------------------------------------------------- */

static void test_period_names(void **state)
{
	enum tm_period p = TM_PERIOD_DAY;
	struct srerr e;

	(void)state;
	assert_int_equal(tm_period_parse("quarter", &p, &e), 0);
	assert_int_equal(p, TM_PERIOD_QUARTER);
	assert_int_equal(tm_period_parse("week", &p, &e), 0);
	assert_int_equal(p, TM_PERIOD_WEEK);
	assert_string_equal(tm_period_name(TM_PERIOD_MONTH), "month");
	assert_string_equal(tm_period_name((enum tm_period)42), "?");
	assert_int_equal(tm_period_parse("fortnight", &p, &e), -1);
	assert_string_equal(e.code, "parse");
	assert_string_equal(e.msg, "invalid calendar period 'fortnight': expected day, "
			    "week, month, quarter or year");
	assert_int_equal(tm_period_parse("Month", &p, NULL), -1);
	assert_int_equal(p, TM_PERIOD_WEEK);
}

static void test_zone_utc(void **state)
{
	struct tm_zone *z = zone("UTC"), *z2 = zone("Etc/UTC");
	int64_t start, end;

	(void)state;
	assert_string_equal(tm_zone_name(z), "UTC");
	assert_int_equal(tm_zone_offset(z, ts("2026-07-01T00:00:00Z")), 0);
	bounds(z2, TM_PERIOD_MONTH, "2026-03-15T12:00:00Z", &start, &end);
	assert_string_equal(fmt(start), "2026-03-01T00:00:00.000Z");
	assert_int_equal(end - start, 31 * DAY_MS);
	bounds(z, TM_PERIOD_YEAR, "2024-06-01T00:00:00Z", &start, &end);
	assert_int_equal(end - start, 366 * DAY_MS);
	bounds(z, TM_PERIOD_DAY, "1969-12-31T23:59:59.999Z", &start, &end);
	assert_string_equal(fmt(start), "1969-12-31T00:00:00.000Z");
	assert_int_equal(end, 0);
	/* 1970-01-01 was a Thursday: its ISO week began on Monday 1969-12-29 */
	bounds(z, TM_PERIOD_WEEK, "1970-01-01T00:00:00Z", &start, &end);
	assert_string_equal(fmt(start), "1969-12-29T00:00:00.000Z");
	tm_zone_free(z);
	tm_zone_free(z2);
}

static void test_berlin_months(void **state)
{
	struct tm_zone *z = zone("Europe/Berlin");

	(void)state;
	assert_int_equal(tm_zone_offset(z, ts("2026-01-15T00:00:00Z")), 3600);
	assert_int_equal(tm_zone_offset(z, ts("2026-07-15T00:00:00Z")), 7200);
	tm_zone_free(z);
	expect_period("Europe/Berlin", TM_PERIOD_MONTH, "2026-03-15T12:00:00Z",
		      "2026-02-28T23:00:00.000Z", "2026-03-31T22:00:00.000Z", 743);
	expect_period("Europe/Berlin", TM_PERIOD_MONTH, "2026-10-01T00:00:00+02:00",
		      "2026-09-30T22:00:00.000Z", "2026-10-31T23:00:00.000Z", 745);
	/* the last millisecond of February in Berlin is still February */
	expect_period("Europe/Berlin", TM_PERIOD_MONTH, "2026-02-28T22:59:59.999Z",
		      "2026-01-31T23:00:00.000Z", "2026-02-28T23:00:00.000Z", 672);
	/* past the transitions in the file: the footer rule */
	expect_period("Europe/Berlin", TM_PERIOD_MONTH, "2050-03-10T00:00:00Z",
		      "2050-02-28T23:00:00.000Z", "2050-03-31T22:00:00.000Z", 743);
	expect_period("Europe/Berlin", TM_PERIOD_MONTH, "2399-10-10T00:00:00Z",
		      "2399-09-30T22:00:00.000Z", "2399-10-31T23:00:00.000Z", 745);
}

static void test_berlin_days_weeks_quarters(void **state)
{
	(void)state;
	expect_period("Europe/Berlin", TM_PERIOD_DAY, "2026-03-29T12:00:00Z",
		      "2026-03-28T23:00:00.000Z", "2026-03-29T22:00:00.000Z", 23);
	expect_period("Europe/Berlin", TM_PERIOD_DAY, "2026-10-25T12:00:00Z",
		      "2026-10-24T22:00:00.000Z", "2026-10-25T23:00:00.000Z", 25);
	expect_period("Europe/Berlin", TM_PERIOD_DAY, "2026-11-28T14:02:18Z",
		      "2026-11-27T23:00:00.000Z", "2026-11-28T23:00:00.000Z", 24);
	/* Wednesday 2026-04-01: the week began on Monday in March */
	expect_period("Europe/Berlin", TM_PERIOD_WEEK, "2026-04-01T12:00:00Z",
		      "2026-03-29T22:00:00.000Z", "2026-04-05T22:00:00.000Z", 168);
	/* a week holding the spring-forward Sunday */
	expect_period("Europe/Berlin", TM_PERIOD_WEEK, "2026-03-29T12:00:00Z",
		      "2026-03-22T23:00:00.000Z", "2026-03-29T22:00:00.000Z", 167);
	/* Sunday late evening local time is still that week */
	expect_period("Europe/Berlin", TM_PERIOD_WEEK, "2026-04-05T23:30:00+02:00",
		      "2026-03-29T22:00:00.000Z", "2026-04-05T22:00:00.000Z", 168);
	expect_period("Europe/Berlin", TM_PERIOD_QUARTER, "2026-02-10T00:00:00Z",
		      "2025-12-31T23:00:00.000Z", "2026-03-31T22:00:00.000Z", 90 * 24 - 1);
	expect_period("Europe/Berlin", TM_PERIOD_QUARTER, "2026-11-10T00:00:00Z",
		      "2026-09-30T22:00:00.000Z", "2026-12-31T23:00:00.000Z", 92 * 24 + 1);
	expect_period("Europe/Berlin", TM_PERIOD_YEAR, "2026-07-01T00:00:00Z",
		      "2025-12-31T23:00:00.000Z", "2026-12-31T23:00:00.000Z", 365 * 24);
	/* New Year's Eve 23:30 UTC is already 2027 in Berlin */
	expect_period("Europe/Berlin", TM_PERIOD_YEAR, "2026-12-31T23:30:00Z",
		      "2026-12-31T23:00:00.000Z", "2027-12-31T23:00:00.000Z", 365 * 24);
}

static void test_new_york(void **state)
{
	struct tm_zone *z = zone("America/New_York");

	(void)state;
	assert_int_equal(tm_zone_offset(z, ts("2026-01-15T00:00:00Z")), -18000);
	assert_int_equal(tm_zone_offset(z, ts("2026-07-15T00:00:00Z")), -14400);
	tm_zone_free(z);
	expect_period("America/New_York", TM_PERIOD_DAY, "2026-03-08T12:00:00Z",
		      "2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z", 23);
	expect_period("America/New_York", TM_PERIOD_DAY, "2026-11-01T12:00:00Z",
		      "2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z", 25);
	expect_period("America/New_York", TM_PERIOD_MONTH, "2026-03-31T23:00:00-04:00",
		      "2026-03-01T05:00:00.000Z", "2026-04-01T04:00:00.000Z", 743);
	/* 02:00 UTC on April 1st is still March in New York */
	expect_period("America/New_York", TM_PERIOD_MONTH, "2026-04-01T02:00:00Z",
		      "2026-03-01T05:00:00.000Z", "2026-04-01T04:00:00.000Z", 743);
}

static void test_lord_howe_half_hour_dst(void **state)
{
	struct tm_zone *z = zone("Australia/Lord_Howe");
	int64_t start, end;

	(void)state;
	assert_int_equal(tm_zone_offset(z, ts("2026-07-01T00:00:00Z")), 37800);
	assert_int_equal(tm_zone_offset(z, ts("2026-12-01T00:00:00Z")), 39600);
	bounds(z, TM_PERIOD_DAY, "2026-10-04T12:00:00+11:00", &start, &end);
	assert_string_equal(fmt(start), "2026-10-03T13:30:00.000Z");
	assert_int_equal(end - start, 23 * HOUR_MS + HOUR_MS / 2);
	bounds(z, TM_PERIOD_DAY, "2026-04-05T12:00:00+10:30", &start, &end);
	assert_string_equal(fmt(start), "2026-04-04T13:00:00.000Z");
	assert_int_equal(end - start, 24 * HOUR_MS + HOUR_MS / 2);
	/* the same far in the future, from the footer rule */
	bounds(z, TM_PERIOD_DAY, "2100-10-03T12:00:00+11:00", &start, &end);
	assert_int_equal(end - start, 23 * HOUR_MS + HOUR_MS / 2);
	tm_zone_free(z);
}

/* DST that begins at midnight: the day starts at 01:00 local time. */
static void test_midnight_gaps(void **state)
{
	(void)state;
	expect_period("America/Santiago", TM_PERIOD_DAY, "2026-09-06T12:00:00Z",
		      "2026-09-06T04:00:00.000Z", "2026-09-07T03:00:00.000Z", 23);
	expect_period("America/Santiago", TM_PERIOD_DAY, "2026-04-04T12:00:00Z",
		      "2026-04-04T03:00:00.000Z", "2026-04-05T04:00:00.000Z", 25);
	/* the repeated hour 23:00-24:00 of Saturday belongs to Saturday */
	expect_period("America/Santiago", TM_PERIOD_DAY, "2026-04-04T23:30:00-04:00",
		      "2026-04-04T03:00:00.000Z", "2026-04-05T04:00:00.000Z", 25);
	expect_period("America/Havana", TM_PERIOD_DAY, "2026-03-08T12:00:00Z",
		      "2026-03-08T05:00:00.000Z", "2026-03-09T04:00:00.000Z", 23);
	expect_period("America/Havana", TM_PERIOD_DAY, "2026-11-01T12:00:00Z",
		      "2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z", 25);
	expect_period("America/Havana", TM_PERIOD_MONTH, "2026-03-08T12:00:00Z",
		      "2026-03-01T05:00:00.000Z", "2026-04-01T04:00:00.000Z", 743);
}

static void test_period_add(void **state)
{
	struct tm_zone *z = zone("Europe/Berlin");
	int64_t t = ts("2026-03-15T12:00:00Z"), out, start, end;
	struct srerr e;

	(void)state;
	assert_int_equal(tm_period_bounds(z, TM_PERIOD_MONTH, t, &start, &end, &e), 0);
	assert_int_equal(tm_period_add(z, TM_PERIOD_MONTH, t, 0, &out, &e), 0);
	assert_int_equal(out, start);
	assert_int_equal(tm_period_add(z, TM_PERIOD_MONTH, t, 1, &out, &e), 0);
	assert_int_equal(out, end);
	assert_int_equal(tm_period_add(z, TM_PERIOD_MONTH, t, -1, &out, &e), 0);
	assert_string_equal(fmt(out), "2026-01-31T23:00:00.000Z");
	assert_int_equal(tm_period_add(z, TM_PERIOD_MONTH, t, 12, &out, &e), 0);
	assert_string_equal(fmt(out), "2027-02-28T23:00:00.000Z");
	assert_int_equal(tm_period_add(z, TM_PERIOD_MONTH, t, -15, &out, &e), 0);
	assert_string_equal(fmt(out), "2024-11-30T23:00:00.000Z");
	assert_int_equal(tm_period_add(z, TM_PERIOD_QUARTER, t, 3, &out, &e), 0);
	assert_string_equal(fmt(out), "2026-09-30T22:00:00.000Z");
	assert_int_equal(tm_period_add(z, TM_PERIOD_YEAR, t, -26, &out, &e), 0);
	assert_string_equal(fmt(out), "1999-12-31T23:00:00.000Z");
	assert_int_equal(tm_period_add(z, TM_PERIOD_WEEK, t, 2, &out, &e), 0);
	assert_string_equal(fmt(out), "2026-03-22T23:00:00.000Z");
	assert_int_equal(tm_period_add(z, TM_PERIOD_DAY, t, 14, &out, &e), 0);
	assert_string_equal(fmt(out), "2026-03-28T23:00:00.000Z");
	assert_int_equal(tm_period_add(z, TM_PERIOD_DAY, t, 15, &out, &e), 0);
	assert_string_equal(fmt(out), "2026-03-29T22:00:00.000Z");
	/* out of range */
	out = 1;
	assert_int_equal(tm_period_add(z, TM_PERIOD_YEAR, t, 8000, &out, &e), -1);
	assert_string_equal(e.code, "range");
	assert_int_equal(tm_period_add(z, TM_PERIOD_DAY, t, INT64_MAX, &out, &e), -1);
	assert_int_equal(tm_period_add(z, TM_PERIOD_DAY, t, INT64_MIN, &out, &e), -1);
	assert_int_equal(tm_period_add(z, TM_PERIOD_MONTH, TM_MAX_MS + 1, 0, &out, &e), -1);
	assert_int_equal(out, 1);
	tm_zone_free(z);
}

static void test_period_edges(void **state)
{
	struct tm_zone *utc = zone("UTC"), *ny = zone("America/New_York");
	int64_t start, end;
	struct srerr e;

	(void)state;
	assert_int_equal(tm_period_bounds(utc, TM_PERIOD_YEAR, TM_MIN_MS, &start, &end, &e), 0);
	assert_int_equal(start, TM_MIN_MS);
	assert_int_equal(tm_period_bounds(utc, TM_PERIOD_YEAR, TM_MAX_MS, &start, &end, &e), 0);
	assert_int_equal(end, TM_MAX_MS + 1);
	/* at TM_MIN_MS it is still year -1 in New York */
	assert_int_equal(tm_period_bounds(ny, TM_PERIOD_DAY, TM_MIN_MS, &start, &end, &e), -1);
	assert_string_equal(e.code, "range");
	assert_int_equal(tm_period_bounds(ny, TM_PERIOD_DAY, TM_MAX_MS, &start, &end, &e), 0);
	assert_string_equal(fmt(start), "9999-12-31T05:00:00.000Z");
	assert_int_equal(end, TM_MAX_MS + 1 + 5 * HOUR_MS);
	assert_int_equal(tm_period_bounds(utc, TM_PERIOD_DAY, TM_MAX_MS + 1, &start, &end, &e), -1);
	assert_string_equal(e.msg,
			    "calendar period of time 253402300800000 ms outside years 0000-9999");
	assert_int_equal(tm_period_bounds(utc, (enum tm_period)9, 0, &start, &end, &e), -1);
	assert_string_equal(e.code, "parse");
	/* the boundaries themselves: start is inside, end is not */
	assert_int_equal(tm_period_bounds(ny, TM_PERIOD_DAY, ts("2026-03-08T05:00:00Z"),
					  &start, &end, &e), 0);
	assert_string_equal(fmt(start), "2026-03-08T05:00:00.000Z");
	assert_int_equal(tm_period_bounds(ny, TM_PERIOD_DAY, ts("2026-03-09T04:00:00Z"),
					  &start, &end, &e), 0);
	assert_string_equal(fmt(start), "2026-03-09T04:00:00.000Z");
	tm_zone_free(utc);
	tm_zone_free(ny);
}

/*
 * Every day of 2000-2040 in zones with odd rules: consecutive days tile time, each
 * starts at local 00:00 unless the clocks skipped it, and lasts 22 to 26 hours.
 */
static void check_days_tile(const char *zname)
{
	struct tm_zone *z = zone(zname);
	int64_t t = ts("2000-01-01T12:00:00Z"), stop = ts("2040-01-01T00:00:00Z");
	int64_t start, end, prev_end = INT64_MIN;
	struct srerr e;

	for (; t < stop; t = end) {
		assert_int_equal(tm_period_bounds(z, TM_PERIOD_DAY, t, &start, &end, &e), 0);
		if (prev_end != INT64_MIN)
			assert_int_equal(start, prev_end);
		assert_true(end - start >= 22 * HOUR_MS && end - start <= 26 * HOUR_MS);
		/* not at local 00:00 only where the clocks skipped midnight */
		if (((start / 1000 + tm_zone_offset(z, start)) % 86400 + 86400) % 86400)
			assert_true(tm_zone_offset(z, start - 1) < tm_zone_offset(z, start));
		prev_end = end;
	}
	tm_zone_free(z);
}

static void test_days_tile(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
		"America/Santiago", "America/Havana", "Africa/Casablanca", "Europe/Dublin",
		"Pacific/Chatham", "Asia/Kolkata", "America/St_Johns", "Pacific/Apia",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		check_days_tile(zones[i]);
}

static int64_t find_change(const struct tm_zone *z, int64_t lo, int64_t hi);

/* glibc's localtime_r reads the same files independently: the offsets must agree. */
static long libc_offset(int64_t ms)
{
	time_t secs = (time_t)((ms - ((ms % 1000) + 1000) % 1000) / 1000);
	struct tm tm;

	assert_non_null(localtime_r(&secs, &tm));
	return tm.tm_gmtoff;
}

static void expect_libc_offset(const struct tm_zone *z, int64_t t)
{
	if (libc_offset(t) != tm_zone_offset(z, t))
		fail_msg("%s at %s: libc %ld, tm %d", tm_zone_name(z), fmt(t), libc_offset(t),
			 tm_zone_offset(z, t));
}

/* Sample every ten days; where the offset changed between samples, find the exact
 * transition by bisection and compare both sides of it. */
static void check_offsets_against_libc(const char *zname)
{
	struct tm_zone *z = zone(zname);
	int64_t t, at, step = 10 * DAY_MS + 1000;

	assert_int_equal(setenv("TZ", zname, 1), 0);
	tzset();
	for (t = ts("1950-01-01T00:00:00Z"); t < ts("2150-01-01T00:00:00Z"); t += step) {
		expect_libc_offset(z, t);
		if (tm_zone_offset(z, t) != tm_zone_offset(z, t + step)) {
			at = find_change(z, t, t + step);
			expect_libc_offset(z, at - 1000);
			expect_libc_offset(z, at);
		}
	}
	tm_zone_free(z);
}

static void test_offsets_against_libc(void **state)
{
	static const char *const zones[] = {
		"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
		"America/Havana", "Europe/Dublin", "Pacific/Chatham", "America/Nuuk",
		"Asia/Tehran", "Africa/Cairo", "Australia/Sydney", "Antarctica/Troll",
	};
	char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		check_offsets_against_libc(zones[i]);
	if (old)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
}

static void zone_bad(const char *name, const char *code, const char *msg)
{
	struct srerr e;
	struct tm_zone *z;

	srerr_clear(&e);
	z = tm_zone_load(name, &e);
	if (z)
		fail_msg("zone '%s' loaded, expected an error", name);
	assert_string_equal(e.code, code);
	if (msg)
		assert_string_equal(e.msg, msg);
}

static void test_zone_names(void **state)
{
	(void)state;
	zone_bad("Europe/Berln", "zone", "unknown time zone 'Europe/Berln'");
	zone_bad("../../etc/passwd", "zone", "invalid time zone name '../../etc/passwd': "
		 "expected a name like Europe/Berlin");
	zone_bad("Europe/../../../etc/passwd", "zone", NULL);
	zone_bad("/etc/passwd", "zone", NULL);
	zone_bad("/usr/share/zoneinfo/UTC", "zone", NULL);
	zone_bad("", "zone", NULL);
	zone_bad("Europe/Berlin\n", "zone", NULL);
	zone_bad("Europe Berlin", "zone", NULL);
	zone_bad("Europe", "zone", "unknown time zone 'Europe'");     /* a directory */
	zone_bad("Europe/", "zone", NULL);
	zone_bad("zone.tab", "zone", "unknown time zone 'zone.tab'"); /* not TZif */
	zone_bad("UTC/x", "zone", NULL);
	assert_null(tm_zone_load("Nowhere/City", NULL));
}

/* ---- zones from crafted files ------------------------------------------------------ */

struct tzbuf {
	unsigned char b[8192];
	size_t len;
};

static void put32(struct tzbuf *t, uint32_t v)
{
	t->b[t->len++] = (unsigned char)(v >> 24);
	t->b[t->len++] = (unsigned char)(v >> 16);
	t->b[t->len++] = (unsigned char)(v >> 8);
	t->b[t->len++] = (unsigned char)v;
}

static void put_header(struct tzbuf *t, char version, uint32_t timecnt, uint32_t typecnt,
		       uint32_t leapcnt)
{
	memcpy(t->b + t->len, "TZif", 4);
	t->b[t->len + 4] = (unsigned char)version;
	memset(t->b + t->len + 5, 0, 15);
	t->len += 20;
	put32(t, 0);        /* isutcnt */
	put32(t, 0);        /* isstdcnt */
	put32(t, leapcnt);
	put32(t, timecnt);
	put32(t, typecnt);
	put32(t, 1);        /* charcnt */
}

/* A TZif file: transitions at trans[] (seconds) to types idx[], types with offsets
 * utoff[], and a footer (version 2) or none (version 1 when footer is NULL). */
static void make_tzif(struct tzbuf *t, const int64_t *trans, const uint8_t *idx,
		      size_t n, const int32_t *utoff, size_t ntypes, const char *footer)
{
	int timesize = footer ? 8 : 4;
	size_t i;

	t->len = 0;
	if (footer) {       /* a minimal version 1 block, as zic -b slim writes */
		put_header(t, '2', 0, 1, 0);
		memset(t->b + t->len, 0, 7);
		t->len += 7;
	}
	put_header(t, footer ? '2' : '\0', (uint32_t)n, (uint32_t)ntypes, 0);
	for (i = 0; i < n; i++) {
		if (timesize == 8)
			put32(t, (uint32_t)((uint64_t)trans[i] >> 32));
		put32(t, (uint32_t)trans[i]);
	}
	for (i = 0; i < n; i++)
		t->b[t->len++] = idx[i];
	for (i = 0; i < ntypes; i++) {
		put32(t, (uint32_t)utoff[i]);
		t->b[t->len++] = i > 0;
		t->b[t->len++] = 0;
	}
	t->b[t->len++] = 0;  /* the one designation character */
	if (footer)
		t->len += (size_t)snprintf((char *)t->b + t->len, sizeof(t->b) - t->len,
					   "\n%s\n", footer);
}

static struct tm_zone *footer_zone(const char *footer)
{
	static const int32_t utc[] = { 0 };
	struct tzbuf t;
	struct srerr e;
	struct tm_zone *z;

	make_tzif(&t, NULL, NULL, 0, utc, 1, footer);
	z = tm_zone_from_tzif(t.b, t.len, footer, &e);
	if (!z)
		fail_msg("footer '%s': %s", footer, e.msg);
	return z;
}

/* The first instant (ms, whole seconds) in (lo, hi] where z's offset differs from
 * its offset at lo, by bisection; z changes at most once in that interval. */
static int64_t find_change(const struct tm_zone *z, int64_t lo, int64_t hi)
{
	int32_t before = tm_zone_offset(z, lo);
	int64_t mid;

	while (hi - lo > 1000) {
		mid = lo + (hi - lo) / 2;
		if (tm_zone_offset(z, mid) == before)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static void expect_same(const struct tm_zone *a, const struct tm_zone *b, int64_t t)
{
	if (tm_zone_offset(a, t) != tm_zone_offset(b, t))
		fail_msg("%s vs %s at %s: %d != %d", tm_zone_name(a), tm_zone_name(b), fmt(t),
			 tm_zone_offset(a, t), tm_zone_offset(b, t));
}

/* Daily samples, and both sides of every change of a, to the second. */
static void check_same_offsets(const struct tm_zone *a, const struct tm_zone *b,
			       const char *from, const char *to)
{
	int64_t t, at, step = DAY_MS + 60000;

	for (t = ts(from); t < ts(to); t += step) {
		expect_same(a, b, t);
		if (tm_zone_offset(a, t) != tm_zone_offset(a, t + step)) {
			at = find_change(a, t, t + step);
			expect_same(a, b, at - 1000);
			expect_same(a, b, at);
		}
	}
}

/* A zone with only a footer rule agrees with the full zone file. */
static void test_footer_rules(void **state)
{
	struct tm_zone *berlin = zone("Europe/Berlin"), *lh = zone("Australia/Lord_Howe");
	struct tm_zone *ny = zone("America/New_York"), *nuuk = zone("America/Nuuk");
	struct tm_zone *f;

	(void)state;
	f = footer_zone("CET-1CEST,M3.5.0,M10.5.0/3");
	check_same_offsets(f, berlin, "1996-01-01T00:00:00Z", "2045-01-01T00:00:00Z");
	tm_zone_free(f);
	f = footer_zone("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
	check_same_offsets(f, lh, "2009-01-01T00:00:00Z", "2045-01-01T00:00:00Z");
	tm_zone_free(f);
	/* no rule given: the US default */
	f = footer_zone("EST5EDT");
	check_same_offsets(f, ny, "2007-01-01T00:00:00Z", "2045-01-01T00:00:00Z");
	tm_zone_free(f);
	/* negative transition time: DST starts at 23:00 on the Saturday */
	f = footer_zone("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
	check_same_offsets(f, nuuk, "2024-01-01T00:00:00Z", "2045-01-01T00:00:00Z");
	assert_int_equal(tm_zone_offset(f, ts("2026-03-29T00:59:59.999Z")), -7200);
	assert_int_equal(tm_zone_offset(f, ts("2026-03-29T01:00:00Z")), -3600);
	tm_zone_free(f);
	tm_zone_free(berlin);
	tm_zone_free(lh);
	tm_zone_free(ny);
	tm_zone_free(nuuk);
}

static void test_footer_julian_and_all_year(void **state)
{
	struct tm_zone *z;
	int64_t t;

	(void)state;
	/* Jn never counts February 29: J60 is March 1st in every year */
	z = footer_zone("AAA0BBB,J60/0,J300/0");
	assert_int_equal(tm_zone_offset(z, ts("2024-02-29T23:59:59Z")), 0);
	assert_int_equal(tm_zone_offset(z, ts("2024-03-01T00:00:00Z")), 3600);
	assert_int_equal(tm_zone_offset(z, ts("2023-03-01T00:00:00Z")), 3600);
	assert_int_equal(tm_zone_offset(z, ts("2024-10-26T22:59:59Z")), 3600);
	assert_int_equal(tm_zone_offset(z, ts("2024-10-26T23:00:00Z")), 0);
	tm_zone_free(z);
	/* zero-based n counts it: day 59 is February 29 in a leap year */
	z = footer_zone("AAA0BBB-2,59/0,299/0");
	assert_int_equal(tm_zone_offset(z, ts("2024-02-29T00:00:00Z")), 7200);
	assert_int_equal(tm_zone_offset(z, ts("2023-02-28T23:59:59Z")), 0);
	assert_int_equal(tm_zone_offset(z, ts("2023-03-01T00:00:00Z")), 7200);
	tm_zone_free(z);
	/* DST all year round */
	z = footer_zone("EST5EDT,0/0,J365/25");
	for (t = ts("2020-12-30T00:00:00Z"); t < ts("2023-01-03T00:00:00Z"); t += 1800000)
		assert_int_equal(tm_zone_offset(z, t), -14400);
	tm_zone_free(z);
	/* a fixed offset */
	z = footer_zone("<+0545>-5:45");
	assert_int_equal(tm_zone_offset(z, 0), 20700);
	tm_zone_free(z);
}

static void test_tzif_transitions_and_v1(void **state)
{
	/* +01:00, then +02:00 from local midnight 1970-01-01 (a gap 00:00-01:00),
	 * then +01:00 again ten days later */
	static const int64_t trans[] = { -3600, 86400 * 10 };
	static const uint8_t idx[] = { 1, 0 };
	static const int32_t utoff[] = { 3600, 7200 };
	struct tzbuf t;
	struct srerr e;
	struct tm_zone *z;
	int64_t start, end;

	(void)state;
	make_tzif(&t, trans, idx, 2, utoff, 2, NULL);   /* version 1, 32-bit */
	z = tm_zone_from_tzif(t.b, t.len, "test/v1", &e);
	assert_non_null(z);
	assert_string_equal(tm_zone_name(z), "test/v1");
	assert_int_equal(tm_zone_offset(z, -3600001), 3600);   /* type 0 before the first */
	assert_int_equal(tm_zone_offset(z, -3600000), 7200);
	assert_int_equal(tm_zone_offset(z, 86400000 * INT64_C(10) - 1), 7200);
	assert_int_equal(tm_zone_offset(z, 86400000 * INT64_C(10)), 3600);
	assert_int_equal(tm_zone_offset(z, INT64_C(86400000) * 100000), 3600);
	/* 1970-01-01 begins at 01:00 local time, when the gap ends */
	assert_int_equal(tm_period_bounds(z, TM_PERIOD_DAY, 0, &start, &end, &e), 0);
	assert_string_equal(fmt(start), "1969-12-31T23:00:00.000Z");
	assert_string_equal(fmt(end), "1970-01-01T22:00:00.000Z");
	assert_int_equal(tm_period_bounds(z, TM_PERIOD_DAY, -3600001, &start, &end, &e), 0);
	assert_string_equal(fmt(start), "1969-12-30T23:00:00.000Z");
	assert_int_equal(end, -3600000);
	tm_zone_free(z);
	/* version 2 with the same data and a footer after the last transition */
	make_tzif(&t, trans, idx, 2, utoff, 2, "XXX-3");
	z = tm_zone_from_tzif(t.b, t.len, "test/v2", &e);
	assert_non_null(z);
	assert_int_equal(tm_zone_offset(z, 86400000 * INT64_C(10)), 3600);
	assert_int_equal(tm_zone_offset(z, 86400000 * INT64_C(10) + 1000), 10800);
	tm_zone_free(z);
}

/* Clocks going back from 00:30 to 23:30 the day before: midnight happens twice, and
 * the repeated half hour before it belongs to the new day, which began earlier. */
static void test_repeated_midnight(void **state)
{
	static const int64_t trans[] = { 862200 };   /* 1970-01-10T23:30:00Z */
	static const uint8_t idx[] = { 1 };
	static const int32_t utoff[] = { 3600, 0 };
	struct tzbuf t;
	struct srerr e;
	struct tm_zone *z;
	int64_t start, end;

	(void)state;
	make_tzif(&t, trans, idx, 1, utoff, 2, "");
	z = tm_zone_from_tzif(t.b, t.len, "test/back", &e);
	assert_non_null(z);
	bounds(z, TM_PERIOD_DAY, "1970-01-10T22:59:59.999Z", &start, &end);
	assert_string_equal(fmt(start), "1970-01-09T23:00:00.000Z");
	assert_string_equal(fmt(end), "1970-01-10T23:00:00.000Z");
	/* local 23:45 on the 10th, for the second time: already the 11th's period */
	bounds(z, TM_PERIOD_DAY, "1970-01-10T23:45:00Z", &start, &end);
	assert_string_equal(fmt(start), "1970-01-10T23:00:00.000Z");
	assert_string_equal(fmt(end), "1970-01-12T00:00:00.000Z");
	bounds(z, TM_PERIOD_MONTH, "1970-01-10T23:45:00Z", &start, &end);
	assert_string_equal(fmt(start), "1969-12-31T23:00:00.000Z");
	tm_zone_free(z);
}

static void tzif_bad(const unsigned char *b, size_t len, const char *why)
{
	struct srerr e;
	char want[SRERR_MSG_MAX];

	srerr_clear(&e);
	assert_null(tm_zone_from_tzif(b, len, "bad", &e));
	assert_string_equal(e.code, "zone");
	snprintf(want, sizeof(want), "invalid time zone file for 'bad': %s", why);
	assert_string_equal(e.msg, want);
}

static void test_tzif_errors(void **state)
{
	static const int64_t trans[] = { 100, 50 };
	static const uint8_t idx[] = { 0, 1 };
	static const int32_t utoff[] = { 3600, 7200 }, huge[] = { 26 * 3600 };
	struct tzbuf t;

	(void)state;
	tzif_bad((const unsigned char *)"", 0, "not a TZif file");
	tzif_bad((const unsigned char *)"TZXf", 4, "not a TZif file");
	make_tzif(&t, NULL, NULL, 0, utoff, 1, "CET-1");
	tzif_bad(t.b, 30, "not a TZif file");
	tzif_bad(t.b, 50, "truncated");
	tzif_bad(t.b, 51, "missing version 2 header");
	tzif_bad(t.b, t.len - 8, "truncated");
	tzif_bad(t.b, t.len - 1, "missing footer");
	make_tzif(&t, trans, idx, 2, utoff, 2, "CET-1");
	tzif_bad(t.b, t.len, "transition times not ascending");
	make_tzif(&t, trans, idx, 1, utoff, 1, "CET-1");
	t.b[51 + 44 + 8] = 3;   /* the first transition's type index */
	tzif_bad(t.b, t.len, "bad local time type index");
	make_tzif(&t, NULL, NULL, 0, huge, 1, "CET-1");
	tzif_bad(t.b, t.len, "UTC offset out of range");
	make_tzif(&t, NULL, NULL, 0, utoff, 1, "CET-1");
	t.b[51 + 28 + 3] = 1;   /* leapcnt of the version 2 header */
	tzif_bad(t.b, t.len, "leap-second tables are not supported");
	make_tzif(&t, NULL, NULL, 0, utoff, 1, "CET-1");
	t.b[51 + 36 + 3] = 0;   /* typecnt */
	tzif_bad(t.b, t.len, "bad number of local time types");
	make_tzif(&t, NULL, NULL, 0, utoff, 1, "CET-1");
	t.b[51 + 20 + 3] = 2;   /* isutcnt != typecnt */
	tzif_bad(t.b, t.len, "bad indicator counts");
}

static void test_footer_errors(void **state)
{
	static const char *const bad[] = {
		"CE-1", "CET", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
		"CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,M3.5.0", "CET-1CEST,M3.5.0,M10.5.0x",
		"CET-25", "CET-1CEST,J0,J10", "CET-1CEST,366,0", "CET-1CEST,M3.5.0/168,M10.5.0",
		"<+1>-1", "<+01-1", "CET-1:60", "CET-1CEST-26,M3.5.0,M10.5.0", "CET-1C",
	};
	static const int32_t utc[] = { 0 };
	struct tzbuf t;
	struct srerr e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_tzif(&t, NULL, NULL, 0, utc, 1, bad[i]);
		if (tm_zone_from_tzif(t.b, t.len, bad[i], &e))
			fail_msg("footer '%s' accepted", bad[i]);
		assert_string_equal(e.code, "zone");
	}
	/* an empty footer is fine: no rule, the last type applies */
	make_tzif(&t, NULL, NULL, 0, utc, 1, "");
	tm_zone_free(tm_zone_from_tzif(t.b, t.len, "empty", &e));
}

/* ---- zones from a directory -------------------------------------------------------- */

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_zone_load_from_dir(void **state)
{
	static const int32_t plus2[] = { 7200 };
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[200], path[256];
	struct tzbuf t;
	struct srerr e;
	struct tm_zone *z;
	unsigned char *big;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/test_tm.XXXXXX", tmp);
	assert_non_null(mkdtemp(dir));
	/* UTC needs no file, other names do */
	z = tm_zone_load_from(dir, "UTC", &e);
	assert_non_null(z);
	assert_int_equal(tm_zone_offset(z, 0), 0);
	tm_zone_free(z);
	z = tm_zone_load_from(dir, "Etc/UTC", &e);
	assert_non_null(z);
	tm_zone_free(z);
	assert_null(tm_zone_load_from(dir, "Europe/Berlin", &e));
	assert_string_equal(e.msg, "unknown time zone 'Europe/Berlin'");
	/* a valid file */
	make_tzif(&t, NULL, NULL, 0, plus2, 1, "EET-2");
	snprintf(path, sizeof(path), "%s/Test", dir);
	write_file(path, t.b, t.len);
	z = tm_zone_load_from(dir, "Test", &e);
	assert_non_null(z);
	assert_int_equal(tm_zone_offset(z, 0), 7200);
	tm_zone_free(z);
	/* a TZif magic with a broken body */
	write_file(path, t.b, 60);
	assert_null(tm_zone_load_from(dir, "Test", &e));
	assert_string_equal(e.msg, "invalid time zone file for 'Test': missing version 2 header");
	/* not TZif, and a FIFO that must not block */
	write_file(path, "hello", 5);
	assert_null(tm_zone_load_from(dir, "Test", &e));
	assert_string_equal(e.msg, "unknown time zone 'Test'");
	snprintf(path, sizeof(path), "%s/Fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(tm_zone_load_from(dir, "Fifo", &e));
	assert_string_equal(e.msg, "unknown time zone 'Fifo'");
	unlink(path);
	/* too large to be a zone file: an I/O error, not "unknown" */
	snprintf(path, sizeof(path), "%s/Big", dir);
	big = calloc(1, 2 * 1024 * 1024);
	memcpy(big, "TZif", 4);
	write_file(path, big, 2 * 1024 * 1024);
	free(big);
	assert_null(tm_zone_load_from(dir, "Big", &e));
	assert_string_equal(e.code, "io");
	assert_string_equal(e.msg, "cannot read time zone 'Big': File too large");
	unlink(path);
	snprintf(path, sizeof(path), "%s/Test", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_fraction),
		cmocka_unit_test(test_parse_offsets),
		cmocka_unit_test(test_parse_leap_years),
		cmocka_unit_test(test_parse_time_fields),
		cmocka_unit_test(test_parse_leap_second),
		cmocka_unit_test(test_parse_zone_and_garbage),
		cmocka_unit_test(test_parse_year_range),
		cmocka_unit_test(test_parse_mem),
		cmocka_unit_test(test_parse_long_subject_is_cut),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip_sweep),
		cmocka_unit_test(test_epoch_seconds),
		cmocka_unit_test(test_epoch_seconds_errors),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_duration_table),
		cmocka_unit_test(test_duration_errors),
		cmocka_unit_test(test_duration_mem),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_duration_round_trip),
		cmocka_unit_test(test_period_names),
		cmocka_unit_test(test_zone_utc),
		cmocka_unit_test(test_berlin_months),
		cmocka_unit_test(test_berlin_days_weeks_quarters),
		cmocka_unit_test(test_new_york),
		cmocka_unit_test(test_lord_howe_half_hour_dst),
		cmocka_unit_test(test_midnight_gaps),
		cmocka_unit_test(test_period_add),
		cmocka_unit_test(test_period_edges),
		cmocka_unit_test(test_days_tile),
		cmocka_unit_test(test_offsets_against_libc),
		cmocka_unit_test(test_zone_names),
		cmocka_unit_test(test_footer_rules),
		cmocka_unit_test(test_footer_julian_and_all_year),
		cmocka_unit_test(test_tzif_transitions_and_v1),
		cmocka_unit_test(test_repeated_midnight),
		cmocka_unit_test(test_tzif_errors),
		cmocka_unit_test(test_footer_errors),
		cmocka_unit_test(test_zone_load_from_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
