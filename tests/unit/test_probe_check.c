/*
 * probe's pure logic: status lists, header checks, excerpts, the verdict of the checks
 * (check.c), retry classification and backoff (retry.c), secrets (secret.c) and
 * option values (optval.c).
 *
 * The Makefile links tests/unit/test_probe_*.c with probe's objects (all but main.o).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/probe/check.h"
#include "../../src/probe/optval.h"
#include "../../src/probe/retry.h"
#include "../../src/probe/secret.h"
#include "banned.h"

/* ---- status lists ------------------------------------------------------------ */

static struct check_status_set parse_ok(const char *s)
{
	struct check_status_set set;
	struct srerr e;

	srerr_clear(&e);
	if (check_status_parse(s, &set, &e) != 0)
		fail_msg("check_status_parse('%s'): %s", s, e.msg);
	return set;
}

static void test_status_single_and_list(void **state)
{
	struct check_status_set set = parse_ok("200");

	(void)state;
	assert_true(check_status_match(&set, 200));
	assert_false(check_status_match(&set, 201));
	set = parse_ok("200, 204");
	assert_true(check_status_match(&set, 204));
	assert_false(check_status_match(&set, 203));
	assert_string_equal(set.text, "200, 204");
}

static void test_status_class_and_range(void **state)
{
	struct check_status_set set = parse_ok("2xx");

	(void)state;
	assert_true(check_status_match(&set, 200));
	assert_true(check_status_match(&set, 299));
	assert_false(check_status_match(&set, 300));
	assert_false(check_status_match(&set, 199));
	set = parse_ok("300-304,4XX");
	assert_true(check_status_match(&set, 300));
	assert_true(check_status_match(&set, 304));
	assert_false(check_status_match(&set, 305));
	assert_true(check_status_match(&set, 451));
	set = parse_ok("500-500");
	assert_true(check_status_match(&set, 500));
}

static void test_status_default(void **state)
{
	struct check_status_set set;

	(void)state;
	check_status_default(&set);
	assert_string_equal(set.text, "200-399");
	assert_true(check_status_match(&set, 200));
	assert_true(check_status_match(&set, 302));
	assert_true(check_status_match(&set, 399));
	assert_false(check_status_match(&set, 400));
	assert_false(check_status_match(&set, 199));
}

static void test_status_invalid(void **state)
{
	static const char *const bad[] = {
		"", " ", "2yy", "99", "1000", "099", "399-200", "200,", ",200", "abc", "20", "2x",
		"0xx", "200-", "-200", "200--300", "2xx-3xx", "+200", "200 204",
	};
	struct check_status_set set;
	struct srerr e;
	char many[256] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		srerr_clear(&e);
		if (check_status_parse(bad[i], &set, &e) != -1)
			fail_msg("'%s' was accepted", bad[i]);
		assert_string_equal(e.code, "usage");
		assert_non_null(strstr(e.msg, "invalid status list"));
	}
	for (int i = 0; i <= CHECK_STATUS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%d", i ? "," : "", 200 + i);
	assert_int_equal(check_status_parse(many, &set, &e), -1);
}

/* ---- header checks and excerpts ---------------------------------------------- */

static void test_header_split(void **state)
{
	const char *pattern;
	size_t n;
	struct srerr e;

	(void)state;
	assert_int_equal(check_header_split("X-Version: ^1\\.", &n, &pattern, &e), 0);
	assert_int_equal(n, 9);
	assert_string_equal(pattern, "^1\\.");
	assert_int_equal(check_header_split("X-A:", &n, &pattern, &e), 0);
	assert_string_equal(pattern, "");
	assert_int_equal(check_header_split("no colon", &n, &pattern, &e), -1);
	assert_string_equal(e.code, "usage");
	assert_int_equal(check_header_split(": x", &n, &pattern, &e), -1);
	assert_int_equal(check_header_split("Bad Name: x", &n, &pattern, &e), -1);
}

static void excerpt_is(const char *data, size_t len, const char *want)
{
	char out[CHECK_EXCERPT_MAX + 8];

	check_excerpt(data, len, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_excerpt(void **state)
{
	char big[300];

	(void)state;
	excerpt_is("", 0, "");
	excerpt_is("ok", 2, "ok");
	excerpt_is("a\x01\x02" "b\r\n\tc\x7f", 9, "a b c");
	excerpt_is("\n\n  lead", 8, "lead");
	excerpt_is("x\0y", 3, "x y");
	excerpt_is("caf\xc3\xa9", 5, "caf\xc3\xa9");
	excerpt_is("a\xc2\x85" "b", 4, "a b");            /* C1 control NEL */
	excerpt_is("bad\xff\xfe!", 6, "bad?" "?!");
	excerpt_is("\xe2\x82", 2, "??");                  /* truncated sequence */
	excerpt_is("\xed\xa0\x80", 3, "???");              /* a surrogate */
	memset(big, 'z', sizeof(big));
	{
		char out[CHECK_EXCERPT_MAX + 8];

		check_excerpt(big, sizeof(big), out, sizeof(out));
		assert_int_equal(strlen(out), CHECK_EXCERPT_MAX + 3);
		assert_string_equal(out + CHECK_EXCERPT_MAX, "...");
	}
	/* a multi-byte character is never cut */
	memset(big, 'a', sizeof(big));
	memcpy(big + CHECK_EXCERPT_MAX - 1, "\xc3\xa9", 2);
	{
		char out[CHECK_EXCERPT_MAX + 8];

		check_excerpt(big, sizeof(big), out, sizeof(out));
		assert_int_equal(strlen(out), CHECK_EXCERPT_MAX - 1 + 3);
	}
}

/* ---- verdicts ---------------------------------------------------------------- */

struct fixture {
	struct probe_checks c;
	struct check_input in;
	struct check_verdict v;
	struct http_header headers[2];
	struct check_header hcheck;
};

static int setup_checks(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	check_init(&f->c);
	f->headers[0].name = (char *)(uintptr_t)"Content-Type";
	f->headers[0].value = (char *)(uintptr_t)"application/json";
	f->headers[1].name = (char *)(uintptr_t)"X-Version";
	f->headers[1].value = (char *)(uintptr_t)"1.2.3";
	f->in.has_status = 1;
	f->in.status = 200;
	f->in.headers = f->headers;
	f->in.nheaders = 2;
	f->in.body = "{\"status\":\"up\",\"n\":3}";
	f->in.body_len = strlen(f->in.body);
	f->in.total_ms = 12.5;
	f->v.checks = jv_invalid();
	f->v.warnings = jv_invalid();
	*state = f;
	return 0;
}

static int teardown_checks(void **state)
{
	struct fixture *f = *state;

	check_verdict_release(&f->v);
	rx_free(f->c.body);
	rx_free(f->hcheck.rx);
	jqx_free(f->c.json);
	free(f);
	return 0;
}

static void run(struct fixture *f)
{
	check_verdict_release(&f->v);
	check_run(&f->c, &f->in, &f->v);
}

/* The check named name in the verdict, as compact JSON. */
static char *check_json(struct fixture *f, const char *name)
{
	static char buf[1024];

	jv_array_foreach(f->v.checks, i, c) {
		jv n = jv_object_get(jv_copy(c), jv_string("check"));
		if (strcmp(jv_string_value(n), name) == 0) {
			jv s = jv_dump_string(c, 0);
			snprintf(buf, sizeof(buf), "%s", jv_string_value(s));
			jv_free(s);
			jv_free(n);
			return buf;
		}
		jv_free(n);
		jv_free(c);
	}
	return NULL;
}

static void test_verdict_status(void **state)
{
	struct fixture *f = *state;

	run(f);
	assert_false(f->v.failed);
	assert_false(f->v.warned);
	assert_string_equal(check_json(f, "status"),
			    "{\"check\":\"status\",\"ok\":true,\"expected\":\"200-399\",\"actual\":200}");
	f->in.status = 503;
	run(f);
	assert_true(f->v.failed);
	assert_true(f->v.retryable_status);
	assert_string_equal(f->v.error.code, "status");
	assert_string_equal(f->v.error.msg, "status 503, expected 200-399");
	f->in.status = 404;
	run(f);
	assert_true(f->v.failed);
	assert_false(f->v.retryable_status);
	f->in.status = 429;
	run(f);
	assert_true(f->v.retryable_status);
	f->in.status = 408;
	run(f);
	assert_true(f->v.retryable_status);
}

static void test_verdict_no_response(void **state)
{
	struct fixture *f = *state;
	struct srerr e;

	f->c.body = rx_compile("up", 0, &e);
	f->in.has_status = 0;
	run(f);
	assert_false(f->v.failed);
	assert_int_equal(jv_array_length(jv_copy(f->v.checks)), 0);
}

static void test_verdict_headers(void **state)
{
	struct fixture *f = *state;
	struct srerr e;

	f->hcheck.name = "x-version";
	f->hcheck.text = "x-version: ^1\\.";
	f->hcheck.rx = rx_compile("^1\\.", 0, &e);
	f->c.headers = &f->hcheck;
	f->c.nheaders = 1;
	run(f);
	assert_false(f->v.failed);
	assert_string_equal(check_json(f, "header"), "{\"check\":\"header\",\"ok\":true,"
			    "\"expected\":\"x-version: ^1\\\\.\",\"actual\":\"1.2.3\"}");
	f->headers[1].value = (char *)(uintptr_t)"2.0";
	run(f);
	assert_true(f->v.failed);
	assert_string_equal(f->v.error.code, "header");
	assert_string_equal(f->v.error.msg, "header 'x-version: 2.0' does not match '^1\\.'");
	f->in.nheaders = 1;
	run(f);
	assert_string_equal(f->v.error.msg, "header 'x-version' missing, expected 'x-version: ^1\\.'");
}

static void test_verdict_body(void **state)
{
	struct fixture *f = *state;
	struct srerr e;

	f->c.body = rx_compile("\"status\":\"up\"", 0, &e);
	run(f);
	assert_false(f->v.failed);
	rx_free(f->c.body);
	f->c.body = rx_compile("down", 0, &e);
	run(f);
	assert_true(f->v.failed);
	assert_string_equal(f->v.error.code, "body");
	assert_string_equal(f->v.error.msg,
			    "body does not match 'down': \"{\"status\":\"up\",\"n\":3}\"");
	rx_free(f->c.body);
	/* a pattern that backtracks without end gives no verdict, and fails */
	f->c.body = rx_compile("(a+)+$", 0, &e);
	f->in.body = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
	f->in.body_len = strlen(f->in.body);
	run(f);
	assert_true(f->v.failed);
	assert_non_null(strstr(f->v.error.msg, "gave no verdict"));
}

static void test_verdict_json(void **state)
{
	struct fixture *f = *state;
	struct srerr e;

	f->c.json = jqx_compile(".status == \"up\" and .n > 2", &e);
	run(f);
	assert_false(f->v.failed);
	assert_string_equal(check_json(f, "json"),
			    "{\"check\":\"json\",\"ok\":true,\"expected\":\".status == \\\"up\\\" and .n > 2\"}");
	jqx_free(f->c.json);
	f->c.json = jqx_compile(".n > 5", &e);
	run(f);
	assert_true(f->v.failed);
	assert_string_equal(f->v.error.code, "json");
	assert_non_null(strstr(f->v.error.msg, "expect-json '.n > 5' is not true"));
	f->in.body = "<html>\x01";
	f->in.body_len = 7;
	run(f);
	assert_string_equal(f->v.error.code, "json");
	assert_null(strstr(f->v.error.msg, "while parsing"));
	assert_non_null(strstr(f->v.error.msg, "response body is not JSON: "));
	/* jq 1.6 parses these; the strict parser in jqx's child does not */
	f->in.body = "{\"status\":\"up\",\"n\":07}";
	f->in.body_len = strlen(f->in.body);
	run(f);
	assert_true(f->v.failed);
	assert_string_equal(f->v.error.code, "json");
	assert_string_equal(f->v.error.msg, "response body is not JSON: line 1: invalid JSON: "
			    "parse error: after key and value, inside map, I expect ',' or '}'");
	f->in.body = "nan";
	f->in.body_len = 3;
	run(f);
	assert_string_equal(f->v.error.code, "json");
	assert_non_null(strstr(f->v.error.msg, "response body is not JSON: line 1: invalid JSON"));
	f->in.body = "[1]";
	f->in.body_len = 3;
	jqx_free(f->c.json);
	f->c.json = jqx_compile(".a", &e);
	run(f);
	assert_true(f->v.failed);
	assert_non_null(strstr(f->v.error.msg, "Cannot index array"));
}

static void test_verdict_latency(void **state)
{
	struct fixture *f = *state;

	run(f);
	assert_null(check_json(f, "latency"));
	f->c.max_latency_ms = 10;
	run(f);
	assert_true(f->v.failed);
	assert_string_equal(f->v.error.code, "latency");
	assert_string_equal(f->v.error.msg, "total 12.5ms over the limit of 10ms");
	f->c.max_latency_ms = 1000;
	f->c.warn_latency_ms = 10;
	run(f);
	assert_false(f->v.failed);
	assert_true(f->v.warned);
	assert_string_equal(f->v.warning.msg, "total 12.5ms over warning threshold 10ms");
	assert_string_equal(check_json(f, "latency"), "{\"check\":\"latency\",\"ok\":true,"
			    "\"expected\":\"< 10ms\",\"actual\":\"12.5ms\",\"state\":\"warning\"}");
	f->c.warn_latency_ms = 100;
	run(f);
	assert_false(f->v.warned);
	assert_string_equal(check_json(f, "latency"), "{\"check\":\"latency\",\"ok\":true,"
			    "\"expected\":\"< 1s\",\"actual\":\"12.5ms\"}");
}

static void test_verdict_cert(void **state)
{
	struct fixture *f = *state;

	f->c.cert_min_days = 30;
	run(f);
	assert_null(check_json(f, "cert_expiry"));     /* no certificate: not applicable */
	f->in.has_cert = 1;
	f->in.days_left = 12.34;
	run(f);
	assert_true(f->v.failed);
	assert_string_equal(f->v.error.code, "cert_expiry");
	assert_string_equal(f->v.error.msg, "certificate expires in 12.3 days, expected at least 30 days");
	assert_string_equal(check_json(f, "cert_expiry"), "{\"check\":\"cert_expiry\",\"ok\":false,"
			    "\"expected\":\">= 30 days\",\"actual\":12.3}");
	f->c.cert_min_days = 7;
	f->c.warn_cert_days = 14;
	run(f);
	assert_false(f->v.failed);
	assert_true(f->v.warned);
	assert_string_equal(f->v.warning.code, "cert_expiry");
	f->in.days_left = -3;
	run(f);
	assert_true(f->v.failed);
}

static void test_verdict_first_failure_wins(void **state)
{
	struct fixture *f = *state;
	struct srerr e;

	f->c.body = rx_compile("nomatch", 0, &e);
	f->c.max_latency_ms = 1;
	f->in.status = 500;
	run(f);
	assert_string_equal(f->v.error.code, "status");
	assert_int_equal(jv_array_length(jv_copy(f->v.checks)), 3);
	f->in.status = 200;
	run(f);
	assert_string_equal(f->v.error.code, "body");
}

/* ---- retries ----------------------------------------------------------------- */

static void test_retryable(void **state)
{
	(void)state;
	assert_true(retry_is_retryable("http", "connect", 0));
	assert_true(retry_is_retryable("http", "dns", 0));
	assert_true(retry_is_retryable("tcp", "timeout", 0));
	assert_true(retry_is_retryable("http", "status", 503));
	assert_true(retry_is_retryable("http", "status", 500));
	assert_true(retry_is_retryable("http", "status", 599));
	assert_true(retry_is_retryable("http", "status", 429));
	assert_true(retry_is_retryable("http", "status", 408));
	assert_false(retry_is_retryable("http", "status", 404));
	assert_false(retry_is_retryable("http", "status", 600));
	assert_false(retry_is_retryable("http", "body", 200));
	assert_false(retry_is_retryable("http", "json", 200));
	assert_false(retry_is_retryable("tls", "tls_verify", 0));
	assert_false(retry_is_retryable("http", "redirect_refused", 302));
	assert_false(retry_is_retryable("http", "latency", 200));
	assert_true(retry_is_retryable("dns", "dns", 0));
	assert_true(retry_is_retryable("exec", "exec_failed", 0));
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(retry_delay_ms(100, 1, 0, -1), 50);
	assert_int_equal(retry_delay_ms(100, 1, 0.5, -1), 75);
	assert_in_range(retry_delay_ms(100, 1, 0.999999, -1), 99, 100);
	assert_int_equal(retry_delay_ms(100, 2, 0, -1), 100);
	assert_int_equal(retry_delay_ms(100, 3, 0, -1), 200);
	assert_in_range(retry_delay_ms(100, 3, 0.99, -1), 390, 400);
	/* the ceiling, and no overflow for large attempt numbers */
	assert_int_equal(retry_delay_ms(1000, 40, 0, -1), RETRY_MAX_DELAY_MS / 2);
	assert_in_range(retry_delay_ms(1000, 1000, 0.99, -1), RETRY_MAX_DELAY_MS / 2,
			RETRY_MAX_DELAY_MS);
	/* a base above the ceiling is kept */
	assert_int_equal(retry_delay_ms(60000, 1, 0, -1), 30000);
	assert_int_equal(retry_delay_ms(60000, 5, 0, -1), 30000);
	/* out-of-range randomness is treated as 0 */
	assert_int_equal(retry_delay_ms(100, 1, 1.5, -1), 50);
	assert_int_equal(retry_delay_ms(0, 1, 0.5, -1), 0);
}

static void test_backoff_retry_after(void **state)
{
	(void)state;
	assert_int_equal(retry_delay_ms(100, 1, 0, 2), 2000);
	assert_int_equal(retry_delay_ms(100, 1, 0, 0), 50);
	assert_int_equal(retry_delay_ms(8000, 1, 0.5, 1), 6000);
	assert_int_equal(retry_delay_ms(100, 1, 0, 60), 60000);
	assert_int_equal(retry_delay_ms(100, 1, 0, 61), -1);
	assert_int_equal(retry_delay_ms(100, 1, 0, 3600), -1);
}

/* ---- secrets ----------------------------------------------------------------- */

static void test_secret_redact(void **state)
{
	struct secret_set *s = secret_set_new();
	char *r;

	(void)state;
	r = secret_redact(s, "nothing to hide");
	assert_string_equal(r, "nothing to hide");
	free(r);
	secret_add(s, "abc", 3);
	secret_add(s, "abcdef", 6);
	secret_add(s, "", 0);
	secret_add(s, "abc", 3);
	r = secret_redact(s, "x abcdef y abc z abab");
	assert_string_equal(r, "x *** y *** z abab");
	free(r);
	r = secret_redact(s, "abcabc");
	assert_string_equal(r, "******");
	free(r);
	secret_set_free(s);
}

static void test_secret_redact_jv(void **state)
{
	struct secret_set *s = secret_set_new();
	jv v, dumped;

	(void)state;
	secret_add(s, "tok", 3);
	v = jv_parse("{\"a\":\"x tok\",\"b\":[1,\"tok\",{\"c\":\"tokentok\"}],\"tok\":true}");
	v = secret_redact_jv(s, v);
	dumped = jv_dump_string(v, 0);
	assert_string_equal(jv_string_value(dumped),
			    "{\"a\":\"x ***\",\"b\":[1,\"***\",{\"c\":\"***en***\"}],\"tok\":true}");
	jv_free(dumped);
	secret_set_free(s);
}

static void test_secret_headers_and_urls(void **state)
{
	struct secret_set *s = secret_set_new();
	char *r;

	(void)state;
	secret_note_header(s, "Authorization: Bearer t0ken");
	secret_note_header(s, "cookie:   a=1; b=2");
	secret_note_header(s, "X-Other: visible");
	secret_note_url(s, "https://user:pa55@host:8443/path?q=1");
	secret_note_url(s, "https://onlyuser@host/");
	secret_note_url(s, "https://host/a@b");
	r = secret_redact(s, "Bearer t0ken | t0ken | a=1; b=2 | visible | user:pa55@ | onlyuser | a@b");
	assert_string_equal(r, "*** | *** | *** | visible | user:***@ | onlyuser | a@b");
	free(r);
	secret_set_free(s);
}

static void test_secret_define_expand(void **state)
{
	struct secret_set *s = secret_set_new();
	struct srerr e;
	char *r;

	(void)state;
	assert_int_equal(secret_define(s, "TOKEN=s3cr3t", &e), 0);
	setenv("PROBE_TEST_SECRET", "fromenv", 1);
	assert_int_equal(secret_define(s, "PROBE_TEST_SECRET", &e), 0);
	r = secret_expand(s, "a {{TOKEN}} b {{PROBE_TEST_SECRET}} {{ x }} {{", &e);
	assert_string_equal(r, "a s3cr3t b fromenv {{ x }} {{");
	free(r);
	assert_null(secret_expand(s, "{{UNDEFINED}}", &e));
	assert_string_equal(e.msg, "unknown secret '{{UNDEFINED}}': define it with --secret UNDEFINED=VALUE");
	r = secret_redact(s, "s3cr3t fromenv");
	assert_string_equal(r, "*** ***");
	free(r);
	assert_int_equal(secret_define(s, "TOKEN=again", &e), -1);
	assert_string_equal(e.msg, "invalid --secret 'TOKEN': defined twice");
	assert_int_equal(secret_define(s, "EMPTY=", &e), -1);
	assert_int_equal(secret_define(s, "1X=a", &e), -1);
	assert_int_equal(secret_define(s, "=a", &e), -1);
	assert_int_equal(secret_define(s, "PROBE_TEST_UNSET_VAR", &e), -1);
	assert_string_equal(e.code, "usage");
	secret_set_free(s);
}

/* ---- option values ----------------------------------------------------------- */

static void test_optval(void **state)
{
	int64_t ms;
	size_t size;
	double days;
	long n;
	struct srerr e;

	(void)state;
	assert_int_equal(optval_duration("--timeout", "1m30s", &ms, &e), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(optval_duration("--timeout", "0", &ms, &e), -1);
	assert_string_equal(e.msg, "invalid --timeout '0': must be more than 0");
	assert_int_equal(optval_duration("--timeout", "5", &ms, &e), -1);
	assert_int_equal(optval_duration_jv("timeout", jv_number(2.5), &ms, &e), 0);
	assert_int_equal(ms, 2500);
	assert_int_equal(optval_duration_jv("timeout", jv_number(0), &ms, &e), -1);
	assert_int_equal(optval_duration_jv("timeout", jv_true(), &ms, &e), -1);
	assert_int_equal(optval_size("--max-body", "512k", &size, &e), 0);
	assert_int_equal(size, 512 * 1024);
	assert_int_equal(optval_size("--max-body", "1MiB", &size, &e), 0);
	assert_int_equal(size, 1 << 20);
	assert_int_equal(optval_size("--max-body", "100", &size, &e), 0);
	assert_int_equal(size, 100);
	assert_int_equal(optval_size("--max-body", "2G", &size, &e), -1);
	assert_int_equal(optval_size("--max-body", "0", &size, &e), -1);
	assert_int_equal(optval_size("--max-body", "-1", &size, &e), -1);
	assert_int_equal(optval_size("--max-body", "1x", &size, &e), -1);
	assert_int_equal(optval_days("--cert-min-days", "0.5", &days, &e), 0);
	assert_true(days == 0.5);
	assert_int_equal(optval_days("--cert-min-days", "-1", &days, &e), -1);
	assert_int_equal(optval_days("--cert-min-days", "nan", &days, &e), -1);
	assert_int_equal(optval_long("--retries", "3", 0, 10, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(optval_long("--retries", "11", 0, 10, &n, &e), -1);
	assert_int_equal(optval_long("--retries", "3x", 0, 10, &n, &e), -1);
	assert_int_equal(optval_long("--retries", "", 0, 10, &n, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_single_and_list),
		cmocka_unit_test(test_status_class_and_range),
		cmocka_unit_test(test_status_default),
		cmocka_unit_test(test_status_invalid),
		cmocka_unit_test(test_header_split),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test_setup_teardown(test_verdict_status, setup_checks, teardown_checks),
		cmocka_unit_test_setup_teardown(test_verdict_no_response, setup_checks, teardown_checks),
		cmocka_unit_test_setup_teardown(test_verdict_headers, setup_checks, teardown_checks),
		cmocka_unit_test_setup_teardown(test_verdict_body, setup_checks, teardown_checks),
		cmocka_unit_test_setup_teardown(test_verdict_json, setup_checks, teardown_checks),
		cmocka_unit_test_setup_teardown(test_verdict_latency, setup_checks, teardown_checks),
		cmocka_unit_test_setup_teardown(test_verdict_cert, setup_checks, teardown_checks),
		cmocka_unit_test_setup_teardown(test_verdict_first_failure_wins, setup_checks,
						teardown_checks),
		cmocka_unit_test(test_retryable),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_backoff_retry_after),
		cmocka_unit_test(test_secret_redact),
		cmocka_unit_test(test_secret_redact_jv),
		cmocka_unit_test(test_secret_headers_and_urls),
		cmocka_unit_test(test_secret_define_expand),
		cmocka_unit_test(test_optval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
