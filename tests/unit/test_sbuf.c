/* Unit tests for src/lib/sbuf: the growing string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sbuf.h"
#include "banned.h"

static void test_empty(void **state)
{
	struct sbuf b = SBUF_INIT;

	(void)state;
	assert_string_equal(sbuf_str(&b), "");
	assert_null(b.p);
	sbuf_release(&b);
	assert_int_equal(b.len, 0);
}

static void test_appends(void **state)
{
	struct sbuf b = SBUF_INIT;

	(void)state;
	sbuf_puts(&b, "probe");
	sbuf_putc(&b, ' ');
	sbuf_add(&b, "okay", 2);
	sbuf_printf(&b, " %d/%s", 42, "x");
	assert_string_equal(sbuf_str(&b), "probe ok 42/x");
	assert_int_equal(b.len, strlen("probe ok 42/x"));
	assert_int_equal(b.oom, 0);
	sbuf_release(&b);
	assert_null(b.p);
	assert_int_equal(b.len + b.cap, 0);
}

/* Past the 256-byte first buffer and the stack buffer of sbuf_printf. */
static void test_long(void **state)
{
	struct sbuf b = SBUF_INIT;
	char *big = malloc(5001);
	size_t i;

	(void)state;
	memset(big, 'a', 5000);
	big[5000] = '\0';
	sbuf_printf(&b, "[%s]", big);
	for (i = 0; i < 1000; i++)
		sbuf_putc(&b, 'z');
	assert_int_equal(b.len, 5002 + 1000);
	assert_int_equal(strlen(sbuf_str(&b)), b.len);
	assert_int_equal(b.p[0], '[');
	assert_int_equal(b.p[5001], ']');
	assert_int_equal(b.p[6001], 'z');
	assert_true(b.cap > b.len);
	sbuf_release(&b);
	free(big);
}

/* After a failed allocation every append is dropped, so a line is never half there. */
static void test_oom_sticks(void **state)
{
	struct sbuf b = SBUF_INIT;

	(void)state;
	sbuf_puts(&b, "kept");
	b.oom = 1;
	sbuf_puts(&b, " dropped");
	sbuf_printf(&b, "%s", " dropped");
	assert_string_equal(sbuf_str(&b), "kept");
	sbuf_release(&b);
	assert_int_equal(b.oom, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_oom_sticks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
