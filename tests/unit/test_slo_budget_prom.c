/*
 * slo-budget's Prometheus source (prom.c) and rule generator (rules.c): response
 * parsing on canned JSON, pairing, query expansion, redaction, secret files, the
 * errors prom_fill reports before and without a server, and the rule file's content.
 * The live server is tested in tests/slo-budget-prometheus.bats.
 *
 * The Makefile links tests/unit/test_slo_budget_*.c with slo-budget's objects (all
 * but main.o).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>
#include <cmocka.h>

#include "../../src/slo-budget/prom.h"
#include "../../src/slo-budget/rules.h"
#include "../../src/slo-budget/series.h"
#include "../../src/slo-budget/slo.h"

#define T0 INT64_C(1793491200000)   /* 2026-11-01T00:00:00Z */

static int parse(const char *body, struct prom_matrix *m, struct srerr *e)
{
	return prom_parse_matrix(body, strlen(body), m, e);
}

static void assert_parse_error(const char *body, const char *msg)
{
	struct prom_matrix m;
	struct srerr e;

	assert_int_equal(parse(body, &m, &e), -1);
	assert_string_equal(e.code, "prometheus");
	assert_string_equal(e.msg, msg);
	prom_matrix_release(&m);
}

/* ---- prom_parse_matrix ------------------------------------------------------------- */

static void test_parse_one_series(void **state)
{
	struct prom_matrix m;
	struct srerr e;

	(void)state;
	assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
			       "\"result\":[{\"metric\":{},\"values\":[[1793491260,\"6000\"],"
			       "[1793491320.123,\"0.5\"],[1793491380.5,\"1e3\"],"
			       "[1793491440,\"-2\"]]}]},\"warnings\":[\"w\"]}", &m, &e), 0);
	assert_int_equal(m.series, 1);
	assert_int_equal(m.n, 4);
	assert_int_equal(m.v[0].t, T0 + 60000);
	assert_true(m.v[0].v == 6000.0);
	assert_int_equal(m.v[1].t, T0 + 120123);
	assert_true(m.v[1].v == 0.5);
	assert_int_equal(m.v[2].t, T0 + 180500);
	assert_true(m.v[2].v == 1000.0);
	assert_true(m.v[3].v == -2.0);
	prom_matrix_release(&m);
	assert_null(m.v);
}

/* NaN and the infinities are not numbers of events: they become NaN points, which
   prom_pair skips (documented in prom.h). */
static void test_parse_nan_and_inf_become_nan(void **state)
{
	struct prom_matrix m;
	struct srerr e;

	(void)state;
	assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
			       "\"result\":[{\"metric\":{\"a\":\"b\"},\"values\":[[1,\"NaN\"],"
			       "[2,\"+Inf\"],[3,\"-Inf\"],[4,\"1e999\"],[5,\"7\"]]}]}}", &m, &e), 0);
	assert_int_equal(m.n, 5);
	assert_true(isnan(m.v[0].v) && isnan(m.v[1].v) && isnan(m.v[2].v) && isnan(m.v[3].v));
	assert_true(m.v[4].v == 7.0);
	assert_int_equal(m.v[4].t, 5000);
	prom_matrix_release(&m);
}

static void test_parse_empty_result(void **state)
{
	struct prom_matrix m;
	struct srerr e;

	(void)state;
	assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
			       "\"result\":[]}}", &m, &e), 0);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.series, 0);
	prom_matrix_release(&m);
}

static void test_parse_server_error(void **state)
{
	(void)state;
	assert_parse_error("{\"status\":\"error\",\"errorType\":\"bad_data\","
			   "\"error\":\"1:17: parse error: unclosed left parenthesis\"}",
			   "failed: bad_data: 1:17: parse error: unclosed left parenthesis");
	assert_parse_error("{\"status\":\"error\"}", "failed: no reason given");
}

static void test_parse_wrong_shapes(void **state)
{
	(void)state;
	assert_parse_error("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
			   "\"result\":[]}}", "returns a vector, expected a matrix");
	assert_parse_error("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
			   "{\"metric\":{\"code\":\"200\"},\"values\":[[1,\"1\"]]},"
			   "{\"metric\":{\"code\":\"500\"},\"values\":[[1,\"1\"]]}]}}",
			   "returns 2 series; aggregate it with sum()");
	assert_parse_error("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
			   "\"result\":[{\"metric\":{}}]}}", "returns a series without \"values\"");
	assert_parse_error("{\"status\":\"success\"}",
			   "returns a response without data.resultType and data.result");
	assert_parse_error("{\"status\":\"pending\",\"data\":{}}",
			   "returns a response without \"status\":\"success\"");
	assert_parse_error("[1,2]", "returns a response that is not a JSON object");
}

static void test_parse_strict_json(void **state)
{
	struct prom_matrix m;
	struct srerr e;

	(void)state;
	/* a NaN literal, which jq 1.6 would accept */
	assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
			       "\"result\":[{\"values\":[[NaN,\"1\"]]}]}}", &m, &e), -1);
	assert_string_equal(e.code, "prometheus");
	assert_non_null(strstr(e.msg, "returns a response that is not JSON: "));
	prom_matrix_release(&m);
	assert_int_equal(parse("", &m, &e), -1);
	assert_non_null(strstr(e.msg, "not JSON"));
	prom_matrix_release(&m);
	assert_int_equal(parse("<html>502 Bad Gateway</html>", &m, &e), -1);
	assert_non_null(strstr(e.msg, "not JSON"));
	prom_matrix_release(&m);
}

static void test_parse_bad_samples(void **state)
{
	static const char *const head = "{\"status\":\"success\",\"data\":{\"resultType\":"
		"\"matrix\",\"result\":[{\"values\":[";
	static const struct { const char *values, *msg; } cases[] = {
		{ "[1,\"abc\"]", "returns sample 1 with an invalid value 'abc'" },
		{ "[1,\"1\"],[2,\"0x10\"]", "returns sample 2 with an invalid value '0x10'" },
		{ "[1,\"1.\"]", "returns sample 1 with an invalid value '1.'" },
		{ "[1,\"nan\"]", "returns sample 1 with an invalid value 'nan'" },
		{ "[1,\"\"]", "returns sample 1 with an invalid value ''" },
		{ "[1,\" 1\"]", "returns sample 1 with an invalid value ' 1'" },
		{ "[1,2]", "returns sample 1 whose value is not a string" },
		{ "[\"1\",\"2\"]", "returns sample 1 with an invalid time" },
		{ "[1e300,\"2\"]", "returns sample 1 with an invalid time" },
		{ "[1,\"2\",3]", "returns sample 1 that is not a [time, \"value\"] pair" },
		{ "{}", "returns sample 1 that is not a [time, \"value\"] pair" },
		{ "[2,\"1\"],[1,\"1\"]", "returns samples out of time order" },
		{ "[2,\"1\"],[2,\"1\"]", "returns samples out of time order" },
	};
	char body[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "%s%s]}]}}", head, cases[i].values);
		assert_parse_error(body, cases[i].msg);
	}
}

/* ---- prom_pair ---------------------------------------------------------------------- */

static struct prom_point pts_total[] = {
	{ 60000, 100 }, { 120000, 100 }, { 180000, 100 }, { 240000, 100 }, { 300000, 100 },
	{ 360000, -1 }, { 420000, 0 },
};

static void test_pair_good(void **state)
{
	struct prom_point good[] = {
		{ 0, 5 },            /* no total at this instant: ignored */
		{ 60000, 99 },
		{ 180000, 150 },     /* more than total: clamped */
		{ 240000, -3 },      /* negative: 0 */
		{ 300000, NAN },     /* skipped */
		{ 360000, 1 },       /* negative total: skipped */
		{ 420000, 0 },
	};
	struct prom_matrix q = { good, 7, 1 }, t = { pts_total, 7, 1 };
	struct prom_pair out[7];
	struct prom_stats st = { 0 };
	size_t n = prom_pair(&q, &t, 0, out, &st);

	(void)state;
	assert_int_equal(n, 4);
	assert_int_equal(out[0].t, 60000);
	assert_true(out[0].good == 99 && out[0].total == 100);
	assert_int_equal(out[1].t, 180000);             /* 120000: a gap in good */
	assert_true(out[1].good == 100 && out[1].total == 100);
	assert_true(out[2].good == 0 && out[2].total == 100);
	assert_int_equal(out[3].t, 420000);
	assert_true(out[3].good == 0 && out[3].total == 0);
	assert_int_equal(st.instants, 7);
	assert_int_equal(st.gaps, 1);
	assert_int_equal(st.skipped, 2);
}

static void test_pair_bad(void **state)
{
	struct prom_point bad[] = {
		{ 60000, 1 }, { 180000, 250 }, { 240000, -3 }, { 300000, 7 },
	};
	struct prom_matrix q = { bad, 4, 1 }, t = { pts_total, 5, 1 };
	struct prom_pair out[5];
	struct prom_stats st = { 0 };
	size_t n = prom_pair(&q, &t, 1, out, &st);

	(void)state;
	assert_int_equal(n, 5);
	assert_true(out[0].good == 99 && out[0].total == 100);
	/* no bad value: the error counter did not tick (or does not exist yet) */
	assert_int_equal(out[1].t, 120000);
	assert_true(out[1].good == 100 && out[1].total == 100);
	assert_true(out[2].good == 0 && out[2].total == 100);      /* bad > total */
	assert_true(out[3].good == 100 && out[3].total == 100);    /* bad < 0 */
	assert_true(out[4].good == 93 && out[4].total == 100);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.skipped, 0);
}

static void test_pair_empty(void **state)
{
	struct prom_matrix q = { NULL, 0, 0 }, t = { pts_total, 2, 1 }, none = { NULL, 0, 0 };
	struct prom_pair out[2];

	(void)state;
	assert_int_equal(prom_pair(&q, &t, 0, out, NULL), 0);
	assert_int_equal(prom_pair(&q, &t, 1, out, NULL), 2);
	assert_true(out[1].good == 100);
	assert_int_equal(prom_pair(&t, &none, 0, out, NULL), 0);
}

/* ---- queries, URLs, redaction ------------------------------------------------------- */

static void assert_expands(const char *q, int64_t step, const char *want)
{
	char *got = prom_expand_query(q, step);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_expand_query(void **state)
{
	(void)state;
	assert_expands("http_requests_total{code!~\"5..\"}", 60000,
		       "sum(increase(http_requests_total{code!~\"5..\"}[1m]))");
	assert_expands("sum(increase(x[{{.window}}]))", 60000, "sum(increase(x[1m]))");
	assert_expands("sum(increase(x[{{ .window }}])) - sum(increase(y[{{.window}}]))", 90000,
		       "sum(increase(x[1m30s])) - sum(increase(y[1m30s]))");
	assert_expands("x", 1500, "sum(increase(x[1s500ms]))");
	assert_expands("x", 86400000, "sum(increase(x[1d]))");
	assert_expands("{{.windowx}}", 60000, "sum(increase({{.windowx}}[1m]))");
}

static void assert_display(const char *url, const char *want)
{
	char out[128];

	prom_display_url(url, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_display_url(void **state)
{
	(void)state;
	assert_display("http://user:pw@h:9090/prom", "http://h:9090/prom");
	assert_display("https://us@er:p@w@h/", "https://h/");
	assert_display("http://h:9090/a@b", "http://h:9090/a@b");
	/* a password with '/', '?' or '#' in it is hidden too */
	assert_display("http://bob:pa/ss@h:9090/x", "http://h:9090/x");
	assert_display("http://bob:pa?ss@h:9090", "http://h:9090");
	assert_display("http://bob:pa#s/s@h:9090/x@y", "http://y");
	assert_display("http://bob:/ss@h", "http://h");
	assert_display("http://h:9090", "http://h:9090");
	assert_display("h:9090", "h:9090");
}

static void assert_redacted(const struct prom_source *p, const char *msg, const char *want)
{
	struct srerr e;

	srerr_set(&e, "prometheus", "%s", msg);
	prom_redact(p, &e);
	assert_string_equal(e.msg, want);
}

static void test_redact(void **state)
{
	struct prom_source bearer = { .bearer_token = "tok-SECRET-123" };
	struct prom_source basic = { .basic_auth = "alice:pa55word" };

	(void)state;
	assert_redacted(&bearer, "status 401: bad token tok-SECRET-123!", "status 401: bad token ***!");
	assert_redacted(&bearer, "a quote cut in the token tok-SEC...", "a quote cut in the token ***...");
	assert_redacted(&bearer, "a message cut at tok-SECR", "a message cut at ***");
	assert_redacted(&bearer, "too short to tell: tok", "too short to tell: tok");
	assert_redacted(&bearer, "tok-SECRET is inside, not cut", "tok-SECRET is inside, not cut");
	assert_redacted(&basic, "echo Basic YWxpY2U6cGE1NXdvcmQ= and alice:pa55word",
			"echo Basic *** and ***");
	assert_redacted(&basic, "the password pa55word alone", "the password *** alone");
	assert_redacted(&basic, "no secret here", "no secret here");
	prom_redact(&basic, NULL);
}

/* ---- secret files -------------------------------------------------------------------- */

static char *write_temp(const char *content, size_t len)
{
	char *path = strdup("/tmp/test_slo_budget_prom.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

static void assert_secret(const char *content, size_t len, const char *want, const char *code)
{
	char *path = write_temp(content, len), *got;
	struct srerr e;

	got = prom_read_secret(path, "bearer token", &e);
	if (want) {
		assert_non_null(got);
		assert_string_equal(got, want);
	} else {
		assert_null(got);
		assert_string_equal(e.code, code);
		assert_non_null(strstr(e.msg, "bearer token file '"));
		assert_null(strstr(e.msg, "SECRET"));
	}
	free(got);
	unlink(path);
	free(path);
}

static void test_read_secret(void **state)
{
	char big[PROM_SECRET_MAX + 2], want[PROM_SECRET_MAX + 1];
	struct srerr e;

	(void)state;
	assert_secret("SECRET", 6, "SECRET", NULL);
	assert_secret("SECRET\n", 7, "SECRET", NULL);
	assert_secret("SECRET\r\n", 8, "SECRET", NULL);
	assert_secret("alice:pa ss", 11, "alice:pa ss", NULL);
	assert_secret("", 0, NULL, "usage");
	assert_secret("\n", 1, NULL, "usage");
	assert_secret("SECRET\n\n", 8, NULL, "usage");
	assert_secret("SEC\tRET", 7, NULL, "usage");
	assert_secret("SEC\0RET", 7, NULL, "usage");
	memset(big, 'x', sizeof(big));
	memset(want, 'x', PROM_SECRET_MAX);
	want[PROM_SECRET_MAX] = '\0';
	assert_secret(big, PROM_SECRET_MAX, want, NULL);
	big[PROM_SECRET_MAX] = '\n';         /* the final newline does not count */
	assert_secret(big, PROM_SECRET_MAX + 1, want, NULL);
	big[PROM_SECRET_MAX] = 'x';
	assert_secret(big, PROM_SECRET_MAX + 1, NULL, "usage");
	assert_null(prom_read_secret("/nonexistent/token", "bearer token", &e));
	assert_string_equal(e.code, "io");
	assert_string_equal(e.msg, "cannot read the bearer token file '/nonexistent/token': "
			    "No such file or directory");
}

/* ---- prom_fill without a server ------------------------------------------------------- */

struct fill_env {
	struct slo_def d;
	struct slo_series *s;
};

static int fill_setup(void **state)
{
	struct fill_env *f = calloc(1, sizeof(*f));

	slo_def_init(&f->d);
	assert_int_equal(slo_decimal_parse("99.9", &f->d.objective, NULL), 0);
	f->d.window_ms = 3600000;
	assert_int_equal(slo_def_check(&f->d, NULL), 0);
	f->s = slo_series_new(&f->d, NULL);
	assert_non_null(f->s);
	*state = f;
	return 0;
}

static int fill_teardown(void **state)
{
	struct fill_env *f = *state;

	slo_series_free(f->s);
	slo_def_release(&f->d);
	free(f);
	return 0;
}

static void assert_fill_error(struct fill_env *f, const struct prom_source *p,
			      const char *code, const char *msg)
{
	struct srerr e;

	assert_int_equal(prom_fill(p, &f->d, T0, f->s, &e), -1);
	assert_string_equal(e.code, code);
	if (msg[0] == '~')
		assert_non_null(strstr(e.msg, msg + 1));
	else
		assert_string_equal(e.msg, msg);
	assert_null(strstr(e.msg, "SECRET"));
}

static void test_fill_usage_errors(void **state)
{
	struct fill_env *f = *state;
	struct prom_source p = { .url = "http://127.0.0.1:1", .good_query = "g", .total_query = "t" };

	p.total_query = NULL;
	assert_fill_error(f, &p, "usage", "no total query");
	p.total_query = "t";
	p.bad_query = "b";
	assert_fill_error(f, &p, "usage", "expected exactly one of a good query and a bad query");
	p.good_query = p.bad_query = NULL;
	assert_fill_error(f, &p, "usage", "expected exactly one of a good query and a bad query");
	p.good_query = "";
	assert_fill_error(f, &p, "usage", "empty good query");
	p.good_query = "g";
	p.url = "";
	assert_fill_error(f, &p, "usage", "no prometheus URL");
	p.url = "http://u:SECRET@127.0.0.1:9090/?x=1";
	assert_fill_error(f, &p, "usage", "invalid prometheus URL 'http://127.0.0.1:9090/?x=1': "
			  "expected http(s)://host:port with an optional path, without a query "
			  "or fragment");
	p.url = "ftp://u:SECRET@127.0.0.1/";
	assert_fill_error(f, &p, "usage", "~invalid URL 'ftp://127.0.0.1': expected http:// or https://");
	p.url = "http://127.0.0.1:1";
	p.bearer_token = "SECRET";
	p.basic_auth = "a:SECRET";
	assert_fill_error(f, &p, "usage", "a bearer token and basic auth cannot be used together");
	p.bearer_token = NULL;
	p.basic_auth = "SECRET";
	assert_fill_error(f, &p, "usage", "invalid basic auth: expected user:password without "
			  "control characters");
	p.basic_auth = NULL;
	p.bearer_token = "SECRET\r\nX-Evil: 1";
	assert_fill_error(f, &p, "usage", "invalid bearer token: empty or with a control character");
	assert_int_equal(slo_series_newest(f->s), INT64_MIN);
}

static void test_fill_unreachable(void **state)
{
	struct fill_env *f = *state;
	struct prom_stats st = { 0 };
	struct prom_source p = {
		.url = "http://alice:SECRET@127.0.0.1:1/", .good_query = "g", .total_query = "t",
		.timeout_ms = 5000, .stats = &st,
	};

	assert_fill_error(f, &p, "io", "~cannot query prometheus at 'http://127.0.0.1:1': ");
	assert_int_equal(st.requests, 1);
	p.url = "http://127.0.0.1:1";
	p.stats = NULL;
	assert_int_equal(prom_fill(&p, &f->d, T0, f->s, NULL), -1);
}

/* ---- rules ---------------------------------------------------------------------------- */

static char *rules(const char *name, const char *objective, const char *window,
		   const char *good, const char *total, const char *bad, struct srerr *e)
{
	struct slo_def d;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	int rc;

	slo_def_init(&d);
	d.name = name ? strdup(name) : NULL;
	assert_int_equal(slo_decimal_parse(objective, &d.objective, NULL), 0);
	assert_int_equal(tm_parse_duration(window, &d.window_ms, NULL), 0);
	rc = rules_write(fp, &d, good, total, bad, e);
	fclose(fp);
	slo_def_release(&d);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

static void test_rules_30d(void **state)
{
	char *y = rules("api", "99.9", "30d", NULL, "http_requests_total",
			"http_requests_total{code=~\"5..\"}", NULL);

	(void)state;
	assert_non_null(y);
	assert_non_null(strstr(y, "groups:\n  - name: \"slo-budget-api-sli-recordings\"\n"));
	assert_non_null(strstr(y, "      - record: \"slo:sli_error:ratio_rate5m\"\n        expr: |-\n"
			       "          (sum(rate(http_requests_total{code=~\"5..\"}[5m]))) / "
			       "(sum(rate(http_requests_total[5m])))\n"));
	assert_int_equal(count(y, "- record: \"slo:sli_error:ratio_rate"), 8);
	assert_non_null(strstr(y, "record: \"slo:sli_error:ratio_rate30d\""));
	assert_non_null(strstr(y, "expr: |-\n          vector(0.999)\n"));
	assert_non_null(strstr(y, "expr: |-\n          vector(0.001)\n"));
	assert_non_null(strstr(y, "expr: |-\n          vector(30)\n"));
	assert_int_equal(count(y, "- alert: \"SLOErrorBudgetBurn\""), 4);
	assert_non_null(strstr(y, "max without (slo_window) (slo:sli_error:ratio_rate1h{slo=\"api\"} "
			       ">= (14.4 * 0.001)) and max without (slo_window) "
			       "(slo:sli_error:ratio_rate5m{slo=\"api\"} >= (14.4 * 0.001))"));
	assert_non_null(strstr(y, "ratio_rate6h{slo=\"api\"} >= (6 * 0.001)"));
	assert_non_null(strstr(y, "ratio_rate1d{slo=\"api\"} >= (3 * 0.001)"));
	assert_non_null(strstr(y, "ratio_rate3d{slo=\"api\"} >= (1 * 0.001)"));
	assert_non_null(strstr(y, "          severity: \"page\"\n          slo: \"api\"\n"
			       "          long_window: \"1h\"\n          short_window: \"5m\"\n"));
	free(y);
}

static void test_rules_28d_good_query(void **state)
{
	char *y = rules(NULL, "99.95", "28d", "sum(rate(ok_total[{{.window}}]))",
			"sum(rate(all_total[{{ .window }}]))", NULL, NULL);

	(void)state;
	assert_non_null(y);
	assert_non_null(strstr(y, "1 - ((sum(rate(ok_total[2h]))) / (sum(rate(all_total[2h]))))"));
	assert_non_null(strstr(y, "record: \"slo:sli_error:ratio_rate28d\""));
	assert_null(strstr(y, "ratio_rate4w"));
	assert_non_null(strstr(y, "vector(0.9995)"));
	assert_non_null(strstr(y, "vector(0.0005)"));
	assert_non_null(strstr(y, "vector(28)"));
	assert_non_null(strstr(y, ">= (13.44 * 0.0005)"));
	assert_non_null(strstr(y, ">= (5.6 * 0.0005)"));
	assert_non_null(strstr(y, ">= (2.8 * 0.0005)"));
	assert_non_null(strstr(y, ">= (0.9333333333333333 * 0.0005)"));
	assert_non_null(strstr(y, "slo: \"slo\""));
	free(y);
}

static void test_rules_quoting_and_short_period(void **state)
{
	char *y = rules("we\"ird \\ name", "99", "3d", "good\ttab", "t", NULL, NULL);

	(void)state;
	assert_non_null(y);
	/* the 3d period is also a burn window: recorded once */
	assert_int_equal(count(y, "- record: \"slo:sli_error:ratio_rate"), 7);
	assert_non_null(strstr(y, "slo: \"we\\\"ird \\\\ name\"\n"));
	/* a PromQL string inside a block scalar */
	assert_non_null(strstr(y, "{slo=\"we\\\"ird \\\\ name\"}"));
	/* a control character: a double-quoted scalar */
	assert_non_null(strstr(y, "expr: \"1 - ((sum(rate(good\\ttab[5m])))"));
	assert_non_null(strstr(y, "vector(0.99)"));
	assert_non_null(strstr(y, "vector(0.01)"));
	free(y);
}

static void test_rules_errors(void **state)
{
	struct srerr e;
	struct slo_def d;
	FILE *full;

	(void)state;
	assert_null(rules("x", "99.9", "30d", NULL, "t", NULL, &e));
	assert_string_equal(e.code, "usage");
	assert_null(rules("x", "99.9", "30d", "g", "t", "b", &e));
	assert_string_equal(e.msg, "rules need a total query and exactly one of a good query "
			    "and a bad query");
	assert_null(rules("x", "99.9", "30d", "g", "", NULL, &e));
	assert_null(rules("a\nb", "99.9", "30d", "g", "t", NULL, &e));
	assert_string_equal(e.msg, "invalid SLO name for rules: empty or with a control character");
	assert_null(rules("", "99.9", "30d", "g", "t", NULL, &e));

	slo_def_init(&d);
	assert_int_equal(slo_decimal_parse("99.9", &d.objective, NULL), 0);
	d.calendar = 1;
	assert_int_equal(rules_write(stdout, &d, "g", "t", NULL, &e), -1);
	assert_string_equal(e.msg, "rules need a rolling window (--window): Prometheus cannot "
			    "evaluate calendar periods");
	d.calendar = 0;
	d.method = SLO_TIMESLICES;
	assert_int_equal(rules_write(stdout, &d, "g", "t", NULL, &e), -1);
	assert_string_equal(e.msg, "rules support the occurrences method only");
	d.method = SLO_OCCURRENCES;
	full = fopen("/dev/full", "w");
	if (full) {
		assert_int_equal(rules_write(full, &d, "g", "t", NULL, &e), -1);
		assert_string_equal(e.code, "io");
		assert_string_equal(e.msg, "cannot write the rules: No space left on device");
		fclose(full);
	}
	slo_def_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_one_series),
		cmocka_unit_test(test_parse_nan_and_inf_become_nan),
		cmocka_unit_test(test_parse_empty_result),
		cmocka_unit_test(test_parse_server_error),
		cmocka_unit_test(test_parse_wrong_shapes),
		cmocka_unit_test(test_parse_strict_json),
		cmocka_unit_test(test_parse_bad_samples),
		cmocka_unit_test(test_pair_good),
		cmocka_unit_test(test_pair_bad),
		cmocka_unit_test(test_pair_empty),
		cmocka_unit_test(test_expand_query),
		cmocka_unit_test(test_display_url),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_read_secret),
		cmocka_unit_test_setup_teardown(test_fill_usage_errors, fill_setup, fill_teardown),
		cmocka_unit_test_setup_teardown(test_fill_unreachable, fill_setup, fill_teardown),
		cmocka_unit_test(test_rules_30d),
		cmocka_unit_test(test_rules_28d_good_query),
		cmocka_unit_test(test_rules_quoting_and_short_period),
		cmocka_unit_test(test_rules_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
