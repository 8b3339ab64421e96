/* Unit tests of src/lib/cli (format names) and src/lib/srerr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "srerr.h"
#include "banned.h"

static void test_parse_format_known(void **state)
{
	enum cli_format f = CLI_FMT_AUTO;
	struct srerr e;

	(void)state;
	assert_int_equal(cli_parse_format("json", CLI_FMT_JSON | CLI_FMT_NDJSON, &f, &e), 0);
	assert_int_equal(f, CLI_FMT_JSON);
	assert_int_equal(cli_parse_format("nagios", CLI_FMT_NAGIOS, &f, &e), 0);
	assert_int_equal(f, CLI_FMT_NAGIOS);
	assert_string_equal(cli_format_name(CLI_FMT_PROMETHEUS), "prometheus");
	assert_string_equal(cli_format_name(CLI_FMT_AUTO), "auto");
}

static void test_parse_format_unsupported(void **state)
{
	enum cli_format f = CLI_FMT_AUTO;
	struct srerr e;

	(void)state;
	/* known name, but not one this command offers */
	assert_int_equal(cli_parse_format("junit", CLI_FMT_NDJSON | CLI_FMT_TEXT, &f, &e), -1);
	assert_string_equal(e.code, "usage");
	assert_string_equal(e.msg, "invalid --format 'junit': expected one of ndjson, text");
	assert_int_equal(f, CLI_FMT_AUTO);
	assert_int_equal(cli_parse_format("", CLI_FMT_NDJSON, &f, &e), -1);
	assert_int_equal(cli_parse_format("JSON", CLI_FMT_JSON, &f, &e), -1);
}

static void test_resolve_format_off_tty(void **state)
{
	struct cli c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.formats = CLI_FMT_NDJSON | CLI_FMT_TEXT;
	/* cmocka's stdout is a pipe or file under the runner */
	cli_resolve_format(&c);
	assert_int_equal(c.format, CLI_FMT_NDJSON);
	c.format = CLI_FMT_TEXT;
	cli_resolve_format(&c);
	assert_int_equal(c.format, CLI_FMT_TEXT);
}

static void test_srerr_set_prefix(void **state)
{
	struct srerr e;

	(void)state;
	srerr_set(&e, "parse", "invalid value '%s'", "x\ny");
	assert_string_equal(e.code, "parse");
	/* control characters cannot forge a second diagnostic line */
	assert_string_equal(e.msg, "invalid value 'x y'");
	srerr_prefix(&e, "%s:%d", "in.ndjson", 7);
	assert_string_equal(e.msg, "in.ndjson:7: invalid value 'x y'");
	srerr_clear(&e);
	assert_string_equal(e.msg, "");
	srerr_set(NULL, "x", "ignored");
	srerr_prefix(NULL, "ignored");
}

static void test_srerr_truncates(void **state)
{
	struct srerr e;
	char big[2000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	srerr_set(&e, "a_code_that_is_much_longer_than_the_code_buffer_can_hold", "%s", big);
	assert_int_equal(strlen(e.msg), SRERR_MSG_MAX - 1);
	assert_int_equal(strlen(e.code), sizeof(e.code) - 1);
}

static void test_srerr_shorten(void **state)
{
	char buf[8];

	(void)state;
	srerr_shorten("short", buf, sizeof(buf));
	assert_string_equal(buf, "short");
	srerr_shorten("exactly", buf, sizeof(buf));
	assert_string_equal(buf, "exactly");
	srerr_shorten("too long text", buf, sizeof(buf));
	assert_string_equal(buf, "too ...");
	/* never cut inside a UTF-8 sequence: "abc\xc3\xa9" cut at 4 would split the e-acute */
	srerr_shorten("abc\xc3\xa9" "defgh", buf, sizeof(buf));
	assert_string_equal(buf, "abc...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format_known),
		cmocka_unit_test(test_parse_format_unsupported),
		cmocka_unit_test(test_resolve_format_off_tty),
		cmocka_unit_test(test_srerr_set_prefix),
		cmocka_unit_test(test_srerr_truncates),
		cmocka_unit_test(test_srerr_shorten),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
