#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rx.h"
#include "banned.h"

static struct rx *compile_ok(const char *pattern, unsigned flags)
{
	struct srerr e;
	struct rx *r;

	srerr_clear(&e);
	r = rx_compile(pattern, flags, &e);
	if (!r)
		fail_msg("rx_compile('%s'): %s: %s", pattern, e.code, e.msg);
	return r;
}

static int match_str(struct rx *r, const char *s)
{
	struct srerr e;
	int rc;

	srerr_clear(&e);
	rc = rx_match(r, s, strlen(s), &e);
	if (rc < 0)
		fail_msg("rx_match('%s', '%s'): %s: %s", rx_pattern(r), s, e.code, e.msg);
	return rc;
}

/* A subject of n copies of c followed by tail; freed by the caller. */
static char *repeat(char c, size_t n, const char *tail, size_t *len)
{
	size_t tl = strlen(tail);
	char *s = malloc(n + tl + 1);

	assert_non_null(s);
	memset(s, c, n);
	memcpy(s + n, tail, tl + 1);
	*len = n + tl;
	return s;
}

static void test_match_and_no_match(void **state)
{
	struct rx *r = compile_ok("^HTTP/1\\.[01] (\\d{3})", 0);

	(void)state;
	assert_int_equal(match_str(r, "HTTP/1.1 200 OK"), 1);
	assert_int_equal(match_str(r, "HTTP/2 200"), 0);
	assert_int_equal(match_str(r, ""), 0);
	assert_string_equal(rx_pattern(r), "^HTTP/1\\.[01] (\\d{3})");
	rx_free(r);
	rx_free(NULL);
}

static void test_empty_subject_may_be_null(void **state)
{
	struct rx *r = compile_ok("^$", 0);

	(void)state;
	assert_int_equal(rx_match(r, NULL, 0, NULL), 1);
	rx_free(r);
}

static void test_caseless(void **state)
{
	struct rx *plain = compile_ok("healthy", 0);
	struct rx *icase = compile_ok("healthy", RX_CASELESS);
	struct rx *uni = compile_ok("straße", RX_CASELESS);

	(void)state;
	assert_int_equal(match_str(plain, "status: HEALTHY"), 0);
	assert_int_equal(match_str(icase, "status: HEALTHY"), 1);
	assert_int_equal(match_str(uni, "STRAßE"), 1);
	rx_free(plain);
	rx_free(icase);
	rx_free(uni);
}

static void test_multiline_and_dotall(void **state)
{
	struct rx *ml = compile_ok("^b$", RX_MULTILINE);
	struct rx *no_ml = compile_ok("^b$", 0);
	struct rx *dot = compile_ok("a.b", RX_DOTALL);
	struct rx *no_dot = compile_ok("a.b", 0);

	(void)state;
	assert_int_equal(match_str(ml, "a\nb\nc"), 1);
	assert_int_equal(match_str(no_ml, "a\nb\nc"), 0);
	assert_int_equal(match_str(dot, "a\nb"), 1);
	assert_int_equal(match_str(no_dot, "a\nb"), 0);
	rx_free(ml);
	rx_free(no_ml);
	rx_free(dot);
	rx_free(no_dot);
}

static void test_invalid_utf8_subject(void **state)
{
	struct rx *r = compile_ok("ok", 0);
	struct rx *dot = compile_ok("^a.c$", 0);
	static const char bad[] = "\xff\xfe status ok \xc3";
	struct srerr e;

	(void)state;
	srerr_clear(&e);
	assert_int_equal(rx_match(r, bad, sizeof(bad) - 1, &e), 1);
	/* an invalid byte is not a character, so "." does not match it */
	assert_int_equal(rx_match(dot, "a\xff" "c", 3, &e), 0);
	assert_int_equal(rx_match(dot, "a\xc3\xa9" "c", 4, &e), 1);
	rx_free(r);
	rx_free(dot);
}

static void test_nul_in_subject(void **state)
{
	struct rx *r = compile_ok("b", 0);
	struct rx *nul = compile_ok("a\\x00b", 0);
	size_t start = 99, end = 99;
	jv g;

	(void)state;
	assert_int_equal(rx_match(r, "a\0b", 3, NULL), 1);
	assert_int_equal(rx_match(r, "a\0b", 2, NULL), 0);  /* the length counts, not NUL */
	assert_int_equal(rx_match_span(nul, "xa\0b", 4, &start, &end, NULL), 1);
	assert_int_equal(start, 1);
	assert_int_equal(end, 4);
	rx_free(nul);
	nul = compile_ok("(?<v>a\\x00b)", 0);
	assert_int_equal(rx_groups(nul, "xa\0b", 4, &g, NULL), 1);
	assert_true(jv_equal(jv_object_get(jv_copy(g), jv_string("v")),
			     jv_string_sized("a\0b", 3)));
	jv_free(g);
	rx_free(r);
	rx_free(nul);
}

static void test_match_span(void **state)
{
	struct rx *r = compile_ok("\\d+ms", 0);
	size_t start = 7, end = 7;

	(void)state;
	assert_int_equal(rx_match_span(r, "took 123ms", 10, &start, &end, NULL), 1);
	assert_int_equal(start, 5);
	assert_int_equal(end, 10);
	start = end = 7;
	assert_int_equal(rx_match_span(r, "took long", 9, &start, &end, NULL), 0);
	assert_int_equal(start, 7);  /* untouched on no match */
	assert_int_equal(end, 7);
	rx_free(r);
}

static void assert_group(jv obj, const char *name, const char *want)
{
	jv v = jv_object_get(jv_copy(obj), jv_string(name));

	if (!want) {
		assert_int_equal(jv_get_kind(v), JV_KIND_NULL);
	} else {
		assert_int_equal(jv_get_kind(v), JV_KIND_STRING);
		assert_string_equal(jv_string_value(v), want);
	}
	jv_free(v);
}

static void test_named_groups(void **state)
{
	struct rx *r = compile_ok("(?<code>\\d{3}) (?<reason>\\w+)(?: retry=(?<retry>\\d+))?", 0);
	struct srerr e;
	jv g;

	(void)state;
	srerr_clear(&e);
	assert_int_equal(rx_groups(r, "HTTP 503 Unavailable", 20, &g, &e), 1);
	assert_int_equal(jv_get_kind(g), JV_KIND_OBJECT);
	assert_int_equal(jv_object_length(jv_copy(g)), 3);
	assert_group(g, "code", "503");
	assert_group(g, "reason", "Unavailable");
	assert_group(g, "retry", NULL);  /* did not take part in the match */
	jv_free(g);
	assert_int_equal(rx_groups(r, "503 Busy retry=30", 17, &g, &e), 1);
	assert_group(g, "retry", "30");
	jv_free(g);
	assert_int_equal(rx_groups(r, "nothing here", 12, &g, &e), 0);
	assert_int_equal(jv_get_kind(g), JV_KIND_INVALID);
	rx_free(r);
}

static void test_unset_group_between_set_ones(void **state)
{
	struct rx *r = compile_ok("(?<a>x)(?<b>y)?(?<c>z)", 0);
	jv g;

	(void)state;
	assert_int_equal(rx_groups(r, "xz", 2, &g, NULL), 1);
	assert_group(g, "a", "x");
	assert_group(g, "b", NULL);
	assert_group(g, "c", "z");
	jv_free(g);
	rx_free(r);
}

static void test_numbered_groups_without_names(void **state)
{
	struct rx *r = compile_ok("(\\w+)=(\\d+)?(;)?", 0);
	struct rx *none = compile_ok("abc", 0);
	jv g;

	(void)state;
	assert_int_equal(rx_groups(r, "k=", 2, &g, NULL), 1);
	assert_int_equal(jv_object_length(jv_copy(g)), 3);
	assert_group(g, "1", "k");
	assert_group(g, "2", NULL);
	assert_group(g, "3", NULL);
	jv_free(g);
	assert_int_equal(rx_groups(none, "xabcx", 5, &g, NULL), 1);
	assert_int_equal(jv_object_length(jv_copy(g)), 0);
	jv_free(g);
	rx_free(r);
	rx_free(none);
}

/* An invalid byte never takes part in a match, so a group is always valid UTF-8. */
static void test_groups_around_invalid_utf8(void **state)
{
	struct rx *r = compile_ok("<(?<v>[^>]*)>", 0);
	struct rx *any = compile_ok("(?<v>\\w+)$", 0);
	jv g;

	(void)state;
	assert_int_equal(rx_groups(r, "<a\xff" "b>", 5, &g, NULL), 0);
	assert_int_equal(rx_groups(any, "x\xff" "ab", 4, &g, NULL), 1);
	assert_group(g, "v", "ab");
	jv_free(g);
	rx_free(r);
	rx_free(any);
}

static void test_compile_errors(void **state)
{
	struct srerr e;
	char *longpat;
	size_t len;

	(void)state;
	srerr_clear(&e);
	assert_null(rx_compile("(a", 0, &e));
	assert_string_equal(e.code, "regex");
	assert_string_equal(e.msg, "invalid regex '(a': missing closing parenthesis at offset 2");

	assert_null(rx_compile("a[", 0, &e));
	assert_string_equal(e.msg,
			    "invalid regex 'a[': missing terminating ] for character class at offset 2");

	assert_null(rx_compile("ab\xff", 0, &e));  /* the pattern itself must be UTF-8 */
	assert_string_equal(e.code, "regex");
	assert_non_null(strstr(e.msg, "UTF-8 error"));
	assert_non_null(strstr(e.msg, "at offset 2"));

	assert_null(rx_compile("a\\Cb", 0, &e));
	assert_string_equal(e.code, "regex");
	assert_non_null(strstr(e.msg, "using \\C is disabled"));

	assert_null(rx_compile("a", 0x100, &e));
	assert_string_equal(e.msg, "invalid regex 'a': unknown flags 0x100");

	assert_null(rx_compile(NULL, 0, &e));
	assert_string_equal(e.code, "regex");

	longpat = repeat('a', RX_PATTERN_MAX + 1, "", &len);
	assert_null(rx_compile(longpat, 0, &e));
	assert_non_null(strstr(e.msg, "longer than 4096 bytes"));
	assert_non_null(strstr(e.msg, "aaa...'"));  /* the pattern is shortened */
	free(longpat);

	assert_null(rx_compile("(", 0, NULL));  /* e may be NULL */
}

static void expect_limit(const char *pattern, char c, size_t n, const char *tail)
{
	struct rx *r = compile_ok(pattern, 0);
	struct srerr e;
	size_t len;
	char *s = repeat(c, n, tail, &len);

	srerr_clear(&e);
	assert_int_equal(rx_match(r, s, len, &e), -1);
	assert_string_equal(e.code, "limit");
	assert_non_null(strstr(e.msg, "gave no verdict"));
	free(s);
	rx_free(r);
}

/* The catastrophic case of the issue: 2^30 ways to split the a's. */
static void test_catastrophic_backtracking_is_a_limit(void **state)
{
	(void)state;
	expect_limit("(a+)+$", 'a', 30, "b");
	expect_limit("(*NO_JIT)(a+)+$", 'a', 30, "b");
}

/*
 * 22 a's need a few million steps: PCRE2's own default match limit (10 million)
 * would let this run to "no match", so only our lower limit turns it into an error.
 */
static void test_our_match_limit_is_applied(void **state)
{
	(void)state;
	expect_limit("(a+)+$", 'a', 22, "b");
	expect_limit("(*NO_JIT)(a+)+$", 'a', 22, "b");
}

static void test_depth_heap_and_jit_stack_limits(void **state)
{
	struct rx *jit = compile_ok("(a|b)*[cd]", 0);
	struct rx *interp = compile_ok("(*NO_JIT)(a|b)*[cd]", 0);
	char pattern[2048];
	size_t used;
	int i;

	(void)state;
	/* the test covers both engines only where PCRE2 has a JIT */
	assert_int_equal(rx_uses_jit(interp), 0);
	if (rx_uses_jit(jit))
		expect_limit("(a|b)*[cd]", 'a', 100000, "");          /* JIT stack */
	expect_limit("(*NO_JIT)(a|b)*[cd]", 'a', RX_DEPTH_LIMIT + 10, "");  /* depth */
	used = (size_t)snprintf(pattern, sizeof(pattern), "(*NO_JIT)(?:");
	for (i = 0; i < 300; i++)
		used += (size_t)snprintf(pattern + used, sizeof(pattern) - used, "(a)?");
	snprintf(pattern + used, sizeof(pattern) - used, "(a|b))*[cd]");
	expect_limit(pattern, 'a', 5000, "");                        /* heap */
	rx_free(jit);
	rx_free(interp);
}

static void test_inline_limit_only_lowers(void **state)
{
	(void)state;
	/* (*LIMIT_MATCH=) above our limit is capped by it: still an error */
	expect_limit("(*LIMIT_MATCH=4000000000)(a+)+$", 'a', 22, "b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_and_no_match),
		cmocka_unit_test(test_empty_subject_may_be_null),
		cmocka_unit_test(test_caseless),
		cmocka_unit_test(test_multiline_and_dotall),
		cmocka_unit_test(test_invalid_utf8_subject),
		cmocka_unit_test(test_nul_in_subject),
		cmocka_unit_test(test_match_span),
		cmocka_unit_test(test_named_groups),
		cmocka_unit_test(test_unset_group_between_set_ones),
		cmocka_unit_test(test_numbered_groups_without_names),
		cmocka_unit_test(test_groups_around_invalid_utf8),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_catastrophic_backtracking_is_a_limit),
		cmocka_unit_test(test_our_match_limit_is_applied),
		cmocka_unit_test(test_depth_heap_and_jit_stack_limits),
		cmocka_unit_test(test_inline_limit_only_lowers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
