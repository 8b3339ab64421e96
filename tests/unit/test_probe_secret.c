/*
 * probe's secret redaction (secret.c): the safety net for messages cut to a fixed size
 * before they were redacted.
 *
 * The Makefile links tests/unit/test_probe_*.c with probe's objects (all but main.o).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/probe/secret.h"

static void assert_redacts_to(const struct secret_set *s, const char *text, const char *want)
{
	char *r = secret_redact(s, text);
	jv v = secret_redact_jv(s, jv_string(text));

	assert_string_equal(r, want);
	assert_string_equal(jv_string_value(v), want);
	jv_free(v);
	free(r);
}

static void test_cut_secret_at_the_end_is_masked(void **state)
{
	struct secret_set *s = secret_set_new();

	(void)state;
	secret_add(s, "ZZZZSECRETVALUE", 15);
	/* a message cut in the middle of the value */
	assert_redacts_to(s, "request to http://h/x?t=ZZZZSECRETVA", "request to http://h/x?t=***");
	assert_redacts_to(s, "cut at ZZZZ", "cut at ***");
	/* the whole value and a cut one after it */
	assert_redacts_to(s, "ZZZZSECRETVALUE and ZZZZSEC", "*** and ***");
	secret_set_free(s);
}

static void test_short_or_inner_pieces_stay(void **state)
{
	struct secret_set *s = secret_set_new();

	(void)state;
	secret_add(s, "ZZZZSECRETVALUE", 15);
	/* under 4 bytes: too likely to be ordinary text */
	assert_redacts_to(s, "ends in ZZZ", "ends in ZZZ");
	/* a start of the value not at the end of the text is no cut */
	assert_redacts_to(s, "ZZZZSECRET then more", "ZZZZSECRET then more");
	/* the end of the value is not its start */
	assert_redacts_to(s, "ends in VALUE", "ends in VALUE");
	assert_redacts_to(s, "", "");
	secret_set_free(s);
	assert_redacts_to(NULL, "no secrets at all ZZZZ", "no secrets at all ZZZZ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_secret_at_the_end_is_masked),
		cmocka_unit_test(test_short_or_inner_pieces_stay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
