/*
 * backup-verify's pure logic: option values (settings.c), problem counting, the
 * records and the judgement of a backup (report.c), the text lines' escaping and
 * details (output.c) and the progress line (progress.c).
 *
 * The Makefile links tests/unit/test_backup_verify_*.c with backup-verify's objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/backup-verify/output.h"
#include "../../src/backup-verify/progress.h"
#include "../../src/backup-verify/report.h"
#include "../../src/backup-verify/settings.h"

#define HOUR_MS (3600 * 1000LL)

/* ---- option values ---------------------------------------------------------------------- */

static void test_sizes(void **state)
{
	uint64_t v;
	struct srerr e;

	(void)state;
	assert_int_equal(bv_parse_size("--min-size", "1000000", &v, &e), 0);
	assert_int_equal(v, 1000000);
	assert_int_equal(bv_parse_size("--min-size", "512k", &v, &e), 0);
	assert_int_equal(v, 512 * 1024);
	assert_int_equal(bv_parse_size("--min-size", "100MiB", &v, &e), 0);
	assert_int_equal(v, 100ull << 20);
	assert_int_equal(bv_parse_size("--max-bytes", "2G", &v, &e), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(bv_parse_size("--max-bytes", "3T", &v, &e), 0);
	assert_int_equal(v, 3ull << 40);
	static const char *const bad[] = { "", "0", "-1", "1x", "k", " 1", "1.5G", "99999999999T" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bv_parse_size("--min-size", bad[i], &v, &e), -1);
		assert_string_equal(e.code, "usage");
	}
	assert_int_equal(bv_parse_size("--min-size", "1x", &v, &e), -1);
	assert_string_equal(e.msg, "invalid --min-size '1x': expected a size like 1000000, "
			    "512k, 100M or 2G");
}

static void test_counts_tolerance_ratio(void **state)
{
	uint64_t n;
	double d;
	struct srerr e;

	(void)state;
	assert_int_equal(bv_parse_count("--max-entries", "10", &n, &e), 0);
	assert_int_equal(n, 10);
	assert_int_equal(bv_parse_count("--max-entries", "0", &n, &e), -1);
	assert_int_equal(bv_parse_count("--max-entries", "1k", &n, &e), -1);
	assert_string_equal(e.msg, "invalid --max-entries '1k': expected a whole number, at least 1");
	assert_int_equal(bv_parse_tolerance("50%", &d, &e), 0);
	assert_true(d == 0.5);
	assert_int_equal(bv_parse_tolerance("20", &d, &e), 0);
	assert_true(d == 0.2);
	assert_int_equal(bv_parse_tolerance("0", &d, &e), 0);
	assert_true(d == 0);
	assert_int_equal(bv_parse_tolerance("2.5%", &d, &e), 0);
	assert_true(d == 0.025);
	assert_int_equal(bv_parse_tolerance("-5%", &d, &e), -1);
	assert_int_equal(bv_parse_tolerance("5%%", &d, &e), -1);
	assert_int_equal(bv_parse_tolerance("1001", &d, &e), -1);
	assert_int_equal(bv_parse_tolerance("%", &d, &e), -1);
	assert_string_equal(e.msg, "invalid --tolerance '%': expected a percentage like 50% (0 to 1000)");
	assert_int_equal(bv_parse_ratio("100", &d, &e), 0);
	assert_true(d == 100);
	assert_int_equal(bv_parse_ratio("1", &d, &e), -1);
	assert_int_equal(bv_parse_ratio("nan", &d, &e), -1);
	assert_int_equal(bv_parse_ratio("1e999", &d, &e), -1);
}

static void test_settings_go_together(void **state)
{
	struct bv_settings s;
	struct cli c = { .quiet = 0, .format = CLI_FMT_NDJSON };
	struct srerr e;

	(void)state;
	bv_settings_init(&s, BV_VERB_CHECK);
	assert_int_equal(bv_settings_option(&s, OPT_KEEP, NULL, &e), 0);
	assert_int_equal(bv_settings_finish(&s, &c, &e), -1);
	assert_string_equal(e.msg, "--keep needs --restore-test");
	assert_int_equal(bv_settings_option(&s, OPT_VALIDATE, "true", &e), 0);
	assert_int_equal(bv_settings_finish(&s, &c, &e), 0);
	assert_true(s.restore_test);
	bv_settings_release(&s);

	bv_settings_init(&s, BV_VERB_CHECK);
	assert_int_equal(bv_settings_option(&s, OPT_TOLERANCE, "10%", &e), 0);
	assert_int_equal(bv_settings_finish(&s, &c, &e), -1);
	assert_string_equal(e.msg, "--tolerance needs --history");
	bv_settings_release(&s);

	bv_settings_init(&s, BV_VERB_CHECK);
	assert_int_equal(bv_settings_option(&s, OPT_AGE_FROM, "mtime", &e), -1);
	assert_string_equal(e.msg, "invalid --age-from 'mtime': expected archive or entries");
	assert_int_equal(bv_settings_option(&s, OPT_MAX_AGE, "26x", &e), -1);
	assert_int_equal(bv_settings_option(&s, OPT_HISTORY_COUNT, "1001", &e), -1);
	assert_int_equal(bv_settings_option(&s, 'Z', NULL, &e), -1);
	assert_int_equal(bv_settings_option(&s, OPT_IGNORE, "^tmp/", &e), 0);
	assert_int_equal(bv_settings_option(&s, OPT_IGNORE, "\\.log$", &e), 0);
	assert_int_equal(bv_settings_option(&s, OPT_PROGRESS, NULL, &e), 0);
	c.quiet = 1;
	assert_int_equal(bv_settings_finish(&s, &c, &e), 0);
	assert_int_equal(s.progress, BV_PROGRESS_OFF);
	assert_int_equal(rx_match(s.ignore, "tmp/x", 5, NULL), 1);
	assert_int_equal(rx_match(s.ignore, "a/b.log", 7, NULL), 1);
	assert_int_equal(rx_match(s.ignore, "a/tmp/b.logx", 12, NULL), 0);
	bv_settings_release(&s);

	bv_settings_init(&s, BV_VERB_CHECK);
	assert_int_equal(bv_settings_option(&s, OPT_IGNORE, "(", &e), 0);
	assert_int_equal(bv_settings_finish(&s, &c, &e), -1);
	assert_string_equal(e.code, "regex");
	assert_non_null(strstr(e.msg, "--ignore: invalid regex '('"));
	bv_settings_release(&s);

	bv_settings_init(&s, BV_VERB_MANIFEST);
	c.format = CLI_FMT_JSON;
	assert_int_equal(bv_settings_finish(&s, &c, &e), 0);
	assert_int_equal(s.listing, BV_LIST_JSON);
	bv_settings_release(&s);
	bv_settings_init(&s, BV_VERB_MANIFEST);
	assert_int_equal(bv_settings_option(&s, OPT_MANIFEST_FORMAT, "sha256sum", &e), 0);
	assert_int_equal(bv_settings_finish(&s, &c, &e), 0);
	assert_int_equal(s.listing, BV_LIST_SHA256SUM);
	assert_int_equal(bv_settings_option(&s, OPT_MANIFEST_FORMAT, "md5", &e), -1);
	assert_string_equal(e.msg, "invalid --format 'md5': expected one of ndjson, json, sha256sum");
	bv_settings_release(&s);
}

/* ---- counting and records ------------------------------------------------------------- */

static jv field(jv rec, const char *key)
{
	return jv_object_get(jv_copy(rec), jv_string(key));
}

static void assert_field_string(jv rec, const char *key, const char *want)
{
	jv v = field(rec, key);

	assert_int_equal(jv_get_kind(v), JV_KIND_STRING);
	assert_string_equal(jv_string_value(v), want);
	jv_free(v);
}

static void assert_field_number(jv rec, const char *key, double want)
{
	jv v = field(rec, key);

	assert_int_equal(jv_get_kind(v), JV_KIND_NUMBER);
	assert_true(jv_number_value(v) == want);
	jv_free(v);
}

static void assert_no_field(jv rec, const char *key)
{
	jv v = field(rec, key);

	assert_int_equal(jv_get_kind(v), JV_KIND_INVALID);
	jv_free(v);
}

static void test_counts_and_report_record(void **state)
{
	struct bv_report r;
	struct bv_problem p1 = { "missing", "a", "file", NULL, "'a' is missing" };
	struct bv_problem p2 = { "changed_hash", "b", "x", "y", "'b': sha256 y, expected x" };
	jv rec, v;

	(void)state;
	bv_report_init(&r, "db", "/b/db.tar.gz");
	assert_true(bv_report_ok(&r));
	snprintf(r.format, sizeof(r.format), "tar (pax)");
	r.filters[0] = "gzip";
	r.nfilters = 1;
	r.entries = 3;
	r.bytes = 1000;
	r.data_bytes = 5000;
	r.mtime_ms = 0;
	memset(r.sha256, 'a', 64);
	rec = bv_report_record(&r, 1000);
	assert_field_string(rec, "kind", "backup.report");
	assert_field_string(rec, "time", "1970-01-01T00:00:01.000Z");
	assert_field_string(rec, "name", "db");
	assert_field_string(rec, "path", "/b/db.tar.gz");
	assert_field_string(rec, "format", "tar (pax)");
	assert_field_number(rec, "entries", 3);
	assert_field_number(rec, "bytes", 1000);
	assert_field_number(rec, "data_bytes", 5000);
	assert_field_string(rec, "mtime", "1970-01-01T00:00:00.000Z");
	assert_no_field(rec, "error");
	assert_no_field(rec, "restore");
	v = field(rec, "ok");
	assert_int_equal(jv_get_kind(v), JV_KIND_TRUE);
	jv_free(v);
	v = field(rec, "filters");
	assert_int_equal(jv_array_length(jv_copy(v)), 1);
	jv_free(v);
	jv_free(rec);

	bv_report_count(&r, &p1);
	bv_report_count(&r, &p2);
	bv_report_count(&r, &p1);
	assert_false(bv_report_ok(&r));
	assert_int_equal(r.nproblems, 3);
	assert_int_equal(r.ncodes, 2);
	rec = bv_report_record(&r, 0);
	v = field(rec, "problems");
	assert_field_number(v, "missing", 2);
	assert_field_number(v, "changed_hash", 1);
	jv_free(v);
	v = field(rec, "error");
	assert_field_string(v, "code", "missing");
	assert_field_string(v, "message", "3 problems, the first: 'a' is missing");
	jv_free(v);
	jv_free(rec);
	bv_report_release(&r);
}

static void test_too_many_codes_become_other(void **state)
{
	struct bv_report r;
	char code[16];
	struct bv_problem p = { code, NULL, NULL, NULL, NULL };

	(void)state;
	bv_report_init(&r, "n", "p");
	for (int i = 0; i < BV_REPORT_CODES + 5; i++) {
		snprintf(code, sizeof(code), "code_%d", i);
		bv_report_count(&r, &p);
	}
	assert_int_equal(r.ncodes, BV_REPORT_CODES);
	assert_string_equal(r.counts[BV_REPORT_CODES - 1].code, "other");
	assert_int_equal(r.counts[BV_REPORT_CODES - 1].n, 6);
	assert_string_equal(r.first.msg, "code_0");
	bv_report_release(&r);
}

static void test_trouble_report(void **state)
{
	struct bv_report r;
	struct srerr e;
	jv rec, err;

	(void)state;
	bv_report_init(&r, "n", "/nope.tar");
	srerr_set(&e, "io", "cannot open '/nope.tar': No such file or directory");
	bv_report_trouble(&r, &e);
	assert_false(bv_report_ok(&r));
	rec = bv_report_record(&r, 0);
	err = field(rec, "error");
	assert_field_string(err, "code", "io");
	assert_field_string(err, "message", "cannot open '/nope.tar': No such file or directory");
	jv_free(err);
	assert_no_field(rec, "sha256");
	assert_no_field(rec, "format");
	jv_free(rec);
	bv_report_release(&r);
}

static void test_problem_record(void **state)
{
	struct bv_problem p = { "changed_size", "etc/x", "1024", "1000", "'etc/x': size 1000, expected 1024" };
	struct bv_problem q = { "too_old", NULL, NULL, NULL, NULL };
	jv rec = bv_problem_record("db", "/b/db.tgz", &p, 0);

	(void)state;
	assert_field_string(rec, "kind", "backup.problem");
	assert_field_string(rec, "name", "db");
	assert_field_string(rec, "backup", "/b/db.tgz");
	assert_field_string(rec, "path", "etc/x");
	assert_field_string(rec, "problem", "changed_size");
	assert_field_string(rec, "expected", "1024");
	assert_field_string(rec, "actual", "1000");
	jv_free(rec);
	rec = bv_problem_record("db", "/b/db.tgz", &q, 0);
	assert_no_field(rec, "path");
	assert_no_field(rec, "expected");
	assert_field_string(rec, "message", "too_old");
	jv_free(rec);
}

static void test_restore_json(void **state)
{
	struct bv_restore_result res;
	jv j, v;

	(void)state;
	j = bv_restore_json(NULL, 0, "not attempted");
	assert_field_string(j, "message", "not attempted");
	v = field(j, "ok");
	assert_int_equal(jv_get_kind(v), JV_KIND_FALSE);
	jv_free(v);
	jv_free(j);

	memset(&res, 0, sizeof(res));
	res.ok = 0;
	res.seconds = 1.23456;
	res.validated = 1;
	res.validate_exit = -1;
	res.validate_signal = 9;
	res.validate_seconds = 0.5;
	res.validate_output = (char *)(uintptr_t)"boom";
	j = bv_restore_json(&res, 1, NULL);
	assert_field_number(j, "seconds", 1.235);
	v = field(j, "validate");
	assert_field_string(v, "signal", "SIGKILL");
	assert_field_string(v, "output", "boom");
	assert_no_field(v, "timed_out");
	jv_free(j);
	j = field(v, "exit");       /* killed: no exit status */
	assert_int_equal(jv_get_kind(j), JV_KIND_NULL);
	jv_free(v);
	jv_free(j);
}

static void test_diff_messages(void **state)
{
	char buf[256];

	(void)state;
	bv_diff_message(buf, sizeof(buf), "missing", "etc/x", "file", NULL);
	assert_string_equal(buf, "'etc/x' is missing");
	bv_diff_message(buf, sizeof(buf), "extra", "etc/x", NULL, "file");
	assert_string_equal(buf, "'etc/x' is not in the manifest");
	bv_diff_message(buf, sizeof(buf), "changed_size", "x", "1024", "1000");
	assert_string_equal(buf, "'x': size 1000, expected 1024");
	bv_diff_message(buf, sizeof(buf), "changed_hash", "x",
			"9f2c000000000000000000000000000000000000000000000000000000000000",
			"7d86000000000000000000000000000000000000000000000000000000000000");
	assert_string_equal(buf, "'x': sha256 7d8600000000..., expected 9f2c00000000...");
	bv_diff_message(buf, sizeof(buf), "changed_mode", "x", "0644", "0600");
	assert_string_equal(buf, "'x': mode 0600, expected 0644");
	bv_diff_message(buf, sizeof(buf), "changed_type", "x", "file", "dir");
	assert_string_equal(buf, "'x': dir, expected file");
	bv_diff_message(buf, sizeof(buf), "changed_link", "x", "a", "b");
	assert_string_equal(buf, "'x': link target 'b', expected 'a'");
	bv_diff_message(buf, sizeof(buf), "restore_missing", "x", "file", NULL);
	assert_string_equal(buf, "'x' is missing after the restore");
	bv_diff_message(buf, sizeof(buf), "restore_extra", "x", NULL, "file");
	assert_string_equal(buf, "'x' is extra after the restore");
	bv_diff_message(buf, sizeof(buf), "odd", "x", NULL, NULL);
	assert_string_equal(buf, "'x': odd: expected , found ");
}

/* ---- judgement -------------------------------------------------------------------------- */

struct judged {
	char codes[8][32];
	char expected[8][96], actual[8][96], message[8][256];
	int n;
};

static void collect(void *arg, const struct bv_problem *p)
{
	struct judged *j = arg;

	assert_true(j->n < 8);
	snprintf(j->codes[j->n], sizeof(j->codes[0]), "%s", p->code);
	snprintf(j->expected[j->n], sizeof(j->expected[0]), "%s", p->expected ? p->expected : "");
	snprintf(j->actual[j->n], sizeof(j->actual[0]), "%s", p->actual ? p->actual : "");
	snprintf(j->message[j->n], sizeof(j->message[0]), "%s", p->message);
	j->n++;
}

static void test_newest_time(void **state)
{
	(void)state;
	assert_true(bv_newest_time(BV_AGE_BOTH, 5, 7) == 7);
	assert_true(bv_newest_time(BV_AGE_BOTH, 9, 7) == 9);
	assert_true(bv_newest_time(BV_AGE_BOTH, INT64_MIN, 7) == 7);
	assert_true(bv_newest_time(BV_AGE_BOTH, INT64_MIN, INT64_MIN) == INT64_MIN);
	assert_true(bv_newest_time(BV_AGE_ARCHIVE, 5, 7) == 5);
	assert_true(bv_newest_time(BV_AGE_ENTRIES, 5, INT64_MIN) == INT64_MIN);
}

static void test_judge_age(void **state)
{
	struct bv_settings s;
	struct bv_report r;
	struct judged j = { .n = 0 };
	int64_t now = 100 * HOUR_MS;

	(void)state;
	bv_settings_init(&s, BV_VERB_CHECK);
	s.max_age_ms = 26 * HOUR_MS;
	bv_report_init(&r, "n", "p");
	r.mtime_ms = now - 30 * HOUR_MS;
	r.newest_entry_ms = now - 20 * HOUR_MS;
	bv_report_judge(&r, &s, NULL, now, collect, &j);
	assert_int_equal(j.n, 0);                     /* the newer of both: 20h */
	assert_true(r.age_ms == 20 * HOUR_MS);
	s.age_from = BV_AGE_ARCHIVE;
	bv_report_judge(&r, &s, NULL, now, collect, &j);
	assert_int_equal(j.n, 1);
	assert_string_equal(j.codes[0], "too_old");
	assert_string_equal(j.expected[0], "at most 1d2h");
	assert_string_equal(j.actual[0], "1d6h");
	assert_string_equal(j.message[0], "the backup is 1d6h old, more than --max-age 1d2h");
	s.age_from = BV_AGE_ENTRIES;
	r.newest_entry_ms = INT64_MIN;
	bv_report_judge(&r, &s, NULL, now, collect, &j);
	assert_int_equal(j.n, 2);
	assert_string_equal(j.message[1], "the backup's age is unknown: no entry has a modification time");
	s.max_age_ms = 0;
	bv_report_judge(&r, &s, NULL, now, collect, &j);
	assert_int_equal(j.n, 2);
	bv_report_release(&r);
	bv_settings_release(&s);
}

static void test_judge_size_and_history(void **state)
{
	struct bv_settings s;
	struct bv_report r;
	struct bv_history h = { 5, 1000, 10 };
	struct judged j = { .n = 0 };

	(void)state;
	bv_settings_init(&s, BV_VERB_CHECK);
	bv_report_init(&r, "n", "p");
	s.min_size = 2000;
	r.bytes = 1999;
	r.entries = 10;
	bv_report_judge(&r, &s, &h, 0, collect, &j);
	assert_int_equal(j.n, 2);
	assert_string_equal(j.codes[0], "too_small");
	assert_string_equal(j.expected[0], "at least 2000 bytes");
	assert_string_equal(j.actual[0], "1999 bytes");
	assert_string_equal(j.codes[1], "size_anomaly");   /* 1999 > 1000 + 50% */
	assert_string_equal(j.expected[1], "1000 +- 50%");
	assert_string_equal(j.actual[1], "1999");
	r.bytes = 1500;
	r.entries = 4;
	s.min_size = 0;
	bv_report_judge(&r, &s, &h, 0, collect, &j);
	assert_int_equal(j.n, 3);
	assert_string_equal(j.codes[2], "entries_anomaly");
	assert_string_equal(j.message[2], "entry count 4 differs from the median 10 of earlier "
			    "reports by more than 50%");
	h.n = 0;    /* no history: nothing to compare */
	r.entries = 1000;
	bv_report_judge(&r, &s, &h, 0, collect, &j);
	assert_int_equal(j.n, 3);
	bv_report_release(&r);
	bv_settings_release(&s);
}

/* ---- text pieces ------------------------------------------------------------------------ */

static void test_text_escape(void **state)
{
	int esc;
	char *s;

	(void)state;
	s = bv_text_escape("plain name", &esc);
	assert_string_equal(s, "plain name");
	assert_int_equal(esc, 0);
	free(s);
	/* as sha256sum -c: only a newline makes it escape */
	s = bv_text_escape("a\\b\rc", &esc);
	assert_string_equal(s, "a\\b\rc");
	assert_int_equal(esc, 0);
	free(s);
	s = bv_text_escape("a\\b\nc\rd", &esc);
	assert_string_equal(s, "a\\\\b\\nc\\rd");
	assert_int_equal(esc, 1);
	free(s);
}

static void test_text_detail(void **state)
{
	char buf[256];
	struct bv_problem p = { "changed_size", "x", "1024", "1000", "m" };

	(void)state;
	bv_text_detail(buf, sizeof(buf), &p, "b.tar");
	assert_string_equal(buf, "size 1000, expected 1024");
	p.code = "changed_hash";
	bv_text_detail(buf, sizeof(buf), &p, "b.tar");
	assert_string_equal(buf, "");
	p.code = "restore_changed_mode";
	p.expected = "0644";
	p.actual = "0600";
	bv_text_detail(buf, sizeof(buf), &p, "b.tar");
	assert_string_equal(buf, "mode 0600, expected 0644");
	p.code = "truncated";
	p.message = "'b.tar': truncated: 'x' ends after 1536 of 4096 bytes";
	bv_text_detail(buf, sizeof(buf), &p, "b.tar");
	assert_string_equal(buf, "'x' ends after 1536 of 4096 bytes");
	p.code = "too_old";
	p.message = "the backup is 2d old";
	bv_text_detail(buf, sizeof(buf), &p, "b.tar");
	assert_string_equal(buf, "the backup is 2d old");
}

static void test_progress_line(void **state)
{
	char buf[256];

	(void)state;
	bv_progress_format(buf, sizeof(buf), "db.tgz", 1u << 30, 4ull << 30, 2000000000LL);
	assert_string_equal(buf, "db.tgz: 1.0 GiB of 4.0 GiB (25%), 512.0 MiB/s, ETA 0:06");
	bv_progress_format(buf, sizeof(buf), "d", 100, 0, 1000000000LL);
	assert_string_equal(buf, "d: 100 B, 100 B/s");
	bv_progress_format(buf, sizeof(buf), "d", 0, 100, 0);
	assert_string_equal(buf, "d: 0 B of 100 B (0%), 0 B/s, ETA ?");
	bv_progress_format(buf, sizeof(buf), "d", 1, 7200, 1000000000LL);
	assert_string_equal(buf, "d: 1 B of 7.0 KiB (0%), 1 B/s, ETA 1:59:59");
	assert_int_equal(bv_progress_wanted(BV_PROGRESS_AUTO, 1, 65u << 20), 1);
	assert_int_equal(bv_progress_wanted(BV_PROGRESS_AUTO, 1, 64u << 20), 0);
	assert_int_equal(bv_progress_wanted(BV_PROGRESS_AUTO, 0, 1u << 30), 0);
	assert_int_equal(bv_progress_wanted(BV_PROGRESS_ON, 0, 1), 1);
	assert_int_equal(bv_progress_wanted(BV_PROGRESS_OFF, 1, 1u << 30), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_counts_tolerance_ratio),
		cmocka_unit_test(test_settings_go_together),
		cmocka_unit_test(test_counts_and_report_record),
		cmocka_unit_test(test_too_many_codes_become_other),
		cmocka_unit_test(test_trouble_report),
		cmocka_unit_test(test_problem_record),
		cmocka_unit_test(test_restore_json),
		cmocka_unit_test(test_diff_messages),
		cmocka_unit_test(test_newest_time),
		cmocka_unit_test(test_judge_age),
		cmocka_unit_test(test_judge_size_and_history),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_text_detail),
		cmocka_unit_test(test_progress_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
