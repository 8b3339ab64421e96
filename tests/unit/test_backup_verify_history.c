/*
 * Unit tests of src/backup-verify/history: which reports count, medians (odd, even,
 * fewer than asked), the last N, strict and lenient reading, anomalies.
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

#include "../../src/backup-verify/history.h"
#include "srerr.h"
#include "banned.h"

static char *tmp_path;   /* a file in a private directory, rewritten by each test */
static char *tmp_dir;

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	if (asprintf(&tmp_dir, "%s/bv-history-XXXXXX", t && *t ? t : "/tmp") < 0 ||
	    !mkdtemp(tmp_dir) || asprintf(&tmp_path, "%s/history.ndjson", tmp_dir) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(tmp_path);
	rmdir(tmp_dir);
	free(tmp_path);
	free(tmp_dir);
	return 0;
}

static void write_history(const char *text)
{
	FILE *fp = fopen(tmp_path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

#define REPORT(name, ok, bytes, entries) \
	"{\"kind\":\"backup.report\",\"time\":\"2026-01-01T00:00:00.000Z\",\"name\":\"" name \
	"\",\"ok\":" #ok ",\"bytes\":" #bytes ",\"entries\":" #entries "}\n"

static struct bv_history load(const char *name, size_t count)
{
	struct bv_history h;
	struct srerr e;

	srerr_clear(&e);
	if (bv_history_load(tmp_path, name, count, 0, &h, &e) != 0)
		fail_msg("load: %s", e.msg);
	return h;
}

static void test_median(void **state)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 10 }, one[] = { 7 };

	(void)state;
	assert_true(bv_median(odd, 3) == 3);
	assert_true(bv_median(even, 4) == 3.5);
	assert_true(bv_median(one, 1) == 7);
	assert_true(bv_median(NULL, 0) == 0);
}

static void test_anomaly(void **state)
{
	(void)state;
	assert_int_equal(bv_history_anomaly(100, 150, 0.5), 0);   /* exactly 50%: not more */
	assert_int_equal(bv_history_anomaly(100, 50, 0.5), 0);
	assert_int_equal(bv_history_anomaly(100, 151, 0.5), 1);
	assert_int_equal(bv_history_anomaly(100, 49, 0.5), 1);
	assert_int_equal(bv_history_anomaly(100, 0, 0.5), 1);
	assert_int_equal(bv_history_anomaly(100, 100, 0), 0);
	assert_int_equal(bv_history_anomaly(100, 101, 0), 1);
	assert_int_equal(bv_history_anomaly(0, 0, 0.5), 0);
	assert_int_equal(bv_history_anomaly(0, 1, 0.5), 1);
	assert_int_equal(bv_history_anomaly(100, 1000, 10), 0);
}

static void test_missing_file_is_no_history(void **state)
{
	struct bv_history h = { .n = 9, .median_bytes = 1 };
	struct srerr e;

	(void)state;
	unlink(tmp_path);
	assert_int_equal(bv_history_load(tmp_path, "db", 7, 0, &h, &e), 0);
	assert_int_equal(h.n, 0);
	assert_true(h.median_bytes == 0 && h.median_entries == 0);
}

static void test_odd_even_fewer(void **state)
{
	struct bv_history h;

	(void)state;
	write_history(REPORT("db", true, 100, 10) REPORT("db", true, 300, 30)
		      REPORT("db", true, 200, 20));
	h = load("db", 7);                   /* fewer than asked: all three */
	assert_int_equal(h.n, 3);
	assert_true(h.median_bytes == 200 && h.median_entries == 20);
	h = load("db", 2);                   /* the last two: 300 and 200 */
	assert_int_equal(h.n, 2);
	assert_true(h.median_bytes == 250 && h.median_entries == 25);
	h = load("db", 1);
	assert_int_equal(h.n, 1);
	assert_true(h.median_bytes == 200);
	h = load("db", 0);
	assert_int_equal(h.n, 0);
	assert_true(h.median_bytes == 0);
}

static void test_last_n_of_many(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct bv_history h;

	(void)state;
	for (int i = 1; i <= 100; i++)
		fprintf(fp, "{\"kind\":\"backup.report\",\"name\":\"db\",\"ok\":true,"
			"\"bytes\":%d,\"entries\":%d}\n", i * 10, i);
	fclose(fp);
	write_history(buf);
	free(buf);
	h = load("db", 7);                   /* 94..100 */
	assert_int_equal(h.n, 7);
	assert_true(h.median_entries == 97 && h.median_bytes == 970);
	h = load("db", 10);                  /* 91..100 */
	assert_true(h.median_entries == 95.5);
}

static void test_what_counts(void **state)
{
	struct bv_history h;

	(void)state;
	write_history(REPORT("db", true, 100, 10)
		      REPORT("db", false, 999999, 1)             /* not ok */
		      REPORT("web", true, 5, 5)                  /* another backup */
		      REPORT("db2", true, 5, 5)
		      "{\"kind\":\"backup.problem\",\"name\":\"db\",\"ok\":true,\"bytes\":1,\"entries\":1}\n"
		      "{\"kind\":\"backup.report\",\"name\":\"db\",\"ok\":true,\"bytes\":\"1\",\"entries\":1}\n"
		      "{\"kind\":\"backup.report\",\"name\":\"db\",\"ok\":true,\"entries\":1}\n"
		      "{\"kind\":\"backup.report\",\"name\":\"db\",\"ok\":true,\"bytes\":1}\n"
		      "{\"kind\":\"backup.report\",\"name\":\"db\",\"ok\":true,\"bytes\":-1,\"entries\":1}\n"
		      "{\"kind\":\"backup.report\",\"name\":\"db\",\"ok\":true,\"bytes\":1,\"entries\":-1}\n"
		      "{\"kind\":\"backup.report\",\"name\":\"db\",\"ok\":1,\"bytes\":1,\"entries\":1}\n"
		      "{\"kind\":\"backup.report\",\"name\":\"db\\u0000x\",\"ok\":true,\"bytes\":1,\"entries\":1}\n"
		      "{\"kind\":\"backup.report\\u0000\",\"name\":\"db\",\"ok\":true,\"bytes\":1,\"entries\":1}\n"
		      "{\"kind\":\"backup.report\",\"ok\":true,\"bytes\":1,\"entries\":1}\n"
		      "{\"name\":\"db\",\"ok\":true,\"bytes\":1,\"entries\":1}\n"
		      REPORT("db", true, 300, 30));
	h = load("db", 7);
	assert_int_equal(h.n, 2);
	assert_true(h.median_bytes == 200 && h.median_entries == 20);
	h = load("web", 7);
	assert_int_equal(h.n, 1);
	assert_true(h.median_bytes == 5);
	h = load("nobody", 7);
	assert_int_equal(h.n, 0);
}

static void test_malformed(void **state)
{
	struct bv_history h;
	struct srerr e;
	char *want;

	(void)state;
	write_history(REPORT("db", true, 100, 10) "{\"kind\":\"backup.rep\n" REPORT("db", true, 300, 30));
	srerr_clear(&e);
	assert_int_equal(bv_history_load(tmp_path, "db", 7, 0, &h, &e), -1);
	assert_string_equal(e.code, "parse");
	assert_true(asprintf(&want, "%s:2: ", tmp_path) > 0);
	if (strncmp(e.msg, want, strlen(want)))
		fail_msg("message '%s' does not start with '%s'", e.msg, want);
	free(want);
	assert_int_equal(h.n, 0);
	/* lenient: the line cut short by a crashed writer is skipped */
	assert_int_equal(bv_history_load(tmp_path, "db", 7, 1, &h, &e), 0);
	assert_int_equal(h.n, 2);
	assert_true(h.median_bytes == 200);
}

static void test_io_errors(void **state)
{
	struct bv_history h;
	struct srerr e;
	char *p;

	(void)state;
	/* a directory opens but cannot be read */
	srerr_clear(&e);
	assert_int_equal(bv_history_load(tmp_dir, "db", 7, 0, &h, &e), -1);
	assert_string_equal(e.code, "io");
	/* a path through a file: ENOTDIR is not "no history" */
	write_history("");
	assert_true(asprintf(&p, "%s/x", tmp_path) > 0);
	srerr_clear(&e);
	assert_int_equal(bv_history_load(p, "db", 7, 0, &h, &e), -1);
	assert_string_equal(e.code, "io");
	assert_non_null(strstr(e.msg, "cannot open '"));
	assert_non_null(strstr(e.msg, "Not a directory"));
	free(p);
	/* an empty file is an empty history */
	assert_int_equal(bv_history_load(tmp_path, "db", 7, 0, &h, &e), 0);
	assert_int_equal(h.n, 0);
	/* a count beyond the cap */
	srerr_clear(&e);
	assert_int_equal(bv_history_load(tmp_path, "db", BV_HISTORY_COUNT_MAX + 1, 0, &h, &e), -1);
	assert_string_equal(e.code, "limit");
	assert_int_equal(bv_history_load(tmp_path, "db", BV_HISTORY_COUNT_MAX, 0, &h, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median),
		cmocka_unit_test(test_anomaly),
		cmocka_unit_test(test_missing_file_is_no_history),
		cmocka_unit_test(test_odd_even_fewer),
		cmocka_unit_test(test_last_n_of_many),
		cmocka_unit_test(test_what_counts),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_io_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
