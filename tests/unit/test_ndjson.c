/*
 * Unit tests of src/lib/ndjson: input forms, strictness (JSONTestSuite's invalid cases,
 * with the 27 that jq 1.6 accepts), every error with its FILE:LINE, limits, lenient
 * skipping and resync, several files and stdin, the projection path against the jv
 * path, and the writer (compact, pretty, flush, write errors).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "ndjson.h"
#include "srerr.h"
#include "banned.h"

#define MAXREC 64
#define L(s) s, sizeof(s) - 1   /* a literal and its length, NULs included */

/* Everything a reader gave for one input. */
struct got {
	int rc;                    /* how reading ended: 0 or -1 */
	size_t n;
	char text[MAXREC][256];    /* each record, compact */
	size_t line[MAXREC];
	char file[MAXREC][128];
	struct srerr err;
	size_t skipped;
	char warn[NDJ_WARNINGS][SRERR_MSG_MAX];
	size_t nwarn;
};

static void dump(jv v, char *buf, size_t size)
{
	jv s = jv_dump_string(v, 0);

	snprintf(buf, size, "%s", jv_string_value(s));
	jv_free(s);
}

static void drain(struct ndj_reader *r, struct got *g)
{
	jv rec;

	memset(g, 0, sizeof(*g));
	while ((g->rc = ndj_next(r, &rec, &g->err)) == 1) {
		assert_true(g->n < MAXREC);
		dump(rec, g->text[g->n], sizeof(g->text[0]));
		g->line[g->n] = ndj_line(r);
		snprintf(g->file[g->n], sizeof(g->file[0]), "%s", ndj_file(r));
		g->n++;
	}
	g->skipped = ndj_skipped(r);
	while (ndj_warning(r, g->nwarn)) {
		snprintf(g->warn[g->nwarn], sizeof(g->warn[0]), "%s", ndj_warning(r, g->nwarn)->msg);
		g->nwarn++;
	}
}

static void read_mem(const char *in, size_t len, const struct ndj_reader_opts *o, struct got *g)
{
	struct srerr e;
	struct ndj_reader *r = ndj_reader_new_mem(in, len, "t", o, &e);

	assert_non_null(r);
	drain(r, g);
	ndj_reader_free(r);
}

static const struct ndj_reader_opts lenient = { 0, 0, 1, 0 };

/* Reading in must fail, after `records` records, with exactly code and msg. */
static void expect_error(const char *in, size_t len, const struct ndj_reader_opts *o,
			 size_t records, const char *code, const char *msg)
{
	struct got g;

	read_mem(in, len, o, &g);
	assert_int_equal(g.rc, -1);
	assert_int_equal(g.n, records);
	assert_string_equal(g.err.code, code);
	assert_string_equal(g.err.msg, msg);
}

/* A scratch directory for files. */
static char tmpdir[256];

static int make_tmpdir(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_ndjson.XXXXXX", t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int remove_tmpdir(void **state)
{
	(void)state;
	return nftw(tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* ---- input forms ---- */

static void test_ndjson_lines(void **state)
{
	struct got g;

	(void)state;
	read_mem(L("{\"a\":1}\n{\"b\":[1,2,{\"c\":null}]}\n{\"s\":\"x\"}\n"), NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.text[0], "{\"a\":1}");
	assert_string_equal(g.text[1], "{\"b\":[1,2,{\"c\":null}]}");
	assert_string_equal(g.text[2], "{\"s\":\"x\"}");
	assert_int_equal(g.line[0], 1);
	assert_int_equal(g.line[2], 3);
	assert_string_equal(g.file[0], "t");
	/* no final newline */
	read_mem(L("{\"a\":1}\n{\"b\":2}"), NULL, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.rc, 0);
}

static void test_concatenated(void **state)
{
	struct got g;

	(void)state;
	read_mem(L("{\"a\":1}{\"b\":2} {\"c\":3}\t{}\n{\"d\":4}"), NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.text[3], "{}");
	assert_int_equal(g.line[3], 1);
	assert_int_equal(g.line[4], 2);
}

static void test_pretty_multiline(void **state)
{
	static const char in[] =
		"{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}\n"
		"{\n  \"c\": {\n    \"d\": \"e\"\n  }\n}{\"f\":\n2}\n";
	struct got g;

	(void)state;
	read_mem(L(in), NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.text[0], "{\"a\":1,\"b\":[true]}");
	assert_string_equal(g.text[1], "{\"c\":{\"d\":\"e\"}}");
	assert_int_equal(g.line[0], 1);
	assert_int_equal(g.line[1], 7);
	assert_int_equal(g.line[2], 11);
}

static void test_top_level_array(void **state)
{
	struct got g;

	(void)state;
	read_mem(L("[{\"a\":1},\n {\"b\":2}]\n[]\n{\"c\":3}\n[\n{\"d\":4}\n]"), NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.text[0], "{\"a\":1}");
	assert_string_equal(g.text[1], "{\"b\":2}");
	assert_string_equal(g.text[2], "{\"c\":3}");
	assert_string_equal(g.text[3], "{\"d\":4}");
	assert_int_equal(g.line[1], 2);
	assert_int_equal(g.line[3], 6);
	/* elements must be objects */
	expect_error(L("[{\"a\":1},\n 2]"), NULL, 1, "parse",
		     "t:2: record is a number, expected an object");
	expect_error(L("[[{\"a\":1}]]"), NULL, 0, "parse",
		     "t:1: record is an array, expected an object");
	expect_error(L("[{}"), NULL, 1, "parse", "t:1: invalid JSON: premature EOF");
}

static void test_empty_and_blank(void **state)
{
	struct got g;

	(void)state;
	read_mem("", 0, NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 0);
	read_mem(L(" \n\t\r\n\n"), NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 0);
	read_mem(L("\n\n{\"a\":1}\n\n\n{\"b\":2}\n\n"), NULL, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.line[0], 3);
	assert_int_equal(g.line[1], 6);
}

static void test_crlf(void **state)
{
	struct got g;

	(void)state;
	read_mem(L("{\"a\":1}\r\n{\"b\":\r\n2}\r\n\r\n{\"c\":3}\r\n"), NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.text[1], "{\"b\":2}");
	assert_int_equal(g.line[2], 5);
	expect_error(L("{\"a\":1}\r\n{\"b\" 2}\r\n"), NULL, 1, "parse",
		     "t:2: invalid JSON: parse error: object key and value must be separated "
		     "by a colon (':')");
}

static void test_trailing_data(void **state)
{
	(void)state;
	expect_error(L("{\"a\":1} x"), NULL, 1, "parse",
		     "t:1: invalid JSON: lexical error: invalid char in json text");
	expect_error(L("{\"a\":1}\n]"), NULL, 1, "parse",
		     "t:2: invalid JSON: parse error: unallowed token at this point in JSON text");
	expect_error(L("{\"a\":1}\n,{\"b\":2}"), NULL, 1, "parse",
		     "t:2: invalid JSON: parse error: unallowed token at this point in JSON text");
	expect_error(L("{\"a\":1}\n\"x\"\n"), NULL, 1, "parse",
		     "t:2: record is a string, expected an object");
	expect_error(L("{\"a\":1}}"), NULL, 1, "parse",
		     "t:1: invalid JSON: parse error: unallowed token at this point in JSON text");
}

static void test_values(void **state)
{
	struct got g;
	struct srerr e;
	struct ndj_reader *r;
	jv rec, s;

	(void)state;
	read_mem(L("{\"n\":[0,-0,1.5,-1e-7,1E21,1e+2,0.1,1e-400,123456789012,5e-324],"
		   "\"s\":\"\\u00e9\\ud834\\udd1e\\n\\t\\\"\\\\\\/\\b\\f\\r\\u2028\",\"\":{}}"), NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_string_equal(g.text[0],
			    "{\"n\":[0,-0,1.5,-1e-07,1e+21,100,0.1,0,123456789012,5e-324],"
			    "\"s\":\"\xc3\xa9\xf0\x9d\x84\x9e\\n\\t\\\"\\\\/\\b\\f\\r\xe2\x80\xa8\",\"\":{}}");
	/* a repeated key: the last value wins, as in jq */
	read_mem(L("{\"a\":1,\"b\":2,\"a\":3}"), NULL, &g);
	assert_string_equal(g.text[0], "{\"a\":3,\"b\":2}");
	/* \u0000 is a NUL inside the string */
	r = ndj_reader_new_mem(L("{\"s\":\"a\\u0000b\"}"), NULL, NULL, &e);
	assert_non_null(r);
	assert_int_equal(ndj_next(r, &rec, &e), 1);
	s = jv_object_get(rec, jv_string("s"));
	assert_int_equal(jv_string_length_bytes(jv_copy(s)), 3);
	assert_memory_equal(jv_string_value(s), "a\0b", 3);
	jv_free(s);
	assert_string_equal(ndj_file(r), "<input>");
	ndj_reader_free(r);
}

/* ---- strictness ---- */

struct nst_case {
	const char *name;
	const char *in;
	size_t len;
	int jq16_accepts;   /* one of the 27 invalid texts jq 1.6 takes */
};

/* JSONTestSuite's n_ (must reject) cases, bytes as in the suite. */
static const struct nst_case nst[] = {
	{ "n_array_1_true_without_comma", "[1 true]", 8, 0 },
	{ "n_array_a_invalid_utf8", "[a\345]", 4, 0 },
	{ "n_array_colon_instead_of_comma", "[\042\042: 1]", 7, 0 },
	{ "n_array_comma_after_close", "[\042\042],", 5, 0 },
	{ "n_array_comma_and_number", "[,1]", 4, 0 },
	{ "n_array_double_comma", "[1,,2]", 6, 0 },
	{ "n_array_double_extra_comma", "[\042x\042,,]", 7, 0 },
	{ "n_array_extra_close", "[\042x\042]]", 6, 0 },
	{ "n_array_extra_comma", "[\042\042,]", 5, 0 },
	{ "n_array_incomplete", "[\042x\042", 4, 0 },
	{ "n_array_incomplete_invalid_value", "[x", 2, 0 },
	{ "n_array_inner_array_no_comma", "[3[4]]", 6, 0 },
	{ "n_array_invalid_utf8", "[\377]", 3, 0 },
	{ "n_array_items_separated_by_semicolon", "[1:2]", 5, 0 },
	{ "n_array_just_comma", "[,]", 3, 0 },
	{ "n_array_just_minus", "[-]", 3, 0 },
	{ "n_array_missing_value", "[   , \042\042]", 9, 0 },
	{ "n_array_newlines_unclosed", "[\042a\042,\0124\012,1,", 11, 0 },
	{ "n_array_number_and_comma", "[1,]", 4, 0 },
	{ "n_array_number_and_several_commas", "[1,,]", 5, 0 },
	{ "n_array_spaces_vertical_tab_formfeed", "[\042\013a\042\134f]", 8, 0 },
	{ "n_array_star_inside", "[*]", 3, 0 },
	{ "n_array_unclosed", "[\042\042", 3, 0 },
	{ "n_array_unclosed_trailing_comma", "[1,", 3, 0 },
	{ "n_array_unclosed_with_new_lines", "[1,\0121\012,1", 8, 0 },
	{ "n_array_unclosed_with_object_inside", "[{}", 3, 0 },
	{ "n_incomplete_false", "[fals]", 6, 0 },
	{ "n_incomplete_null", "[nul]", 5, 0 },
	{ "n_incomplete_true", "[tru]", 5, 0 },
	{ "n_multidigit_number_then_00", "123\000", 4, 1 },
	{ "n_number_++", "[++1234]", 8, 0 },
	{ "n_number_+1", "[+1]", 4, 1 },
	{ "n_number_+Inf", "[+Inf]", 6, 1 },
	{ "n_number_-01", "[-01]", 5, 1 },
	{ "n_number_-1.0.", "[-1.0.]", 7, 0 },
	{ "n_number_-2.", "[-2.]", 5, 1 },
	{ "n_number_-NaN", "[-NaN]", 6, 1 },
	{ "n_number_.-1", "[.-1]", 5, 0 },
	{ "n_number_.2e-3", "[.2e-3]", 7, 1 },
	{ "n_number_0.1.2", "[0.1.2]", 7, 0 },
	{ "n_number_0.3e+", "[0.3e+]", 7, 0 },
	{ "n_number_0.3e", "[0.3e]", 6, 0 },
	{ "n_number_0.e1", "[0.e1]", 6, 1 },
	{ "n_number_0_capital_E+", "[0E+]", 5, 0 },
	{ "n_number_0_capital_E", "[0E]", 4, 0 },
	{ "n_number_0e+", "[0e+]", 5, 0 },
	{ "n_number_0e", "[0e]", 4, 0 },
	{ "n_number_1.0e+", "[1.0e+]", 7, 0 },
	{ "n_number_1.0e-", "[1.0e-]", 7, 0 },
	{ "n_number_1.0e", "[1.0e]", 6, 0 },
	{ "n_number_1_000", "[1 000.0]", 9, 0 },
	{ "n_number_1eE2", "[1eE2]", 6, 0 },
	{ "n_number_2.e+3", "[2.e+3]", 7, 1 },
	{ "n_number_2.e-3", "[2.e-3]", 7, 1 },
	{ "n_number_2.e3", "[2.e3]", 6, 1 },
	{ "n_number_9.e+", "[9.e+]", 6, 0 },
	{ "n_number_Inf", "[Inf]", 5, 1 },
	{ "n_number_NaN", "[NaN]", 5, 1 },
	{ "n_number_U+FF11_fullwidth_digit_one", "[\357\274\221]", 5, 0 },
	{ "n_number_expression", "[1+2]", 5, 0 },
	{ "n_number_hex_1_digit", "[0x1]", 5, 0 },
	{ "n_number_hex_2_digits", "[0x42]", 6, 0 },
	{ "n_number_infinity", "[Infinity]", 10, 1 },
	{ "n_number_invalid+-", "[0e+-1]", 7, 0 },
	{ "n_number_invalid-negative-real", "[-123.123foo]", 13, 0 },
	{ "n_number_invalid-utf-8-in-bigger-int", "[123\345]", 6, 0 },
	{ "n_number_invalid-utf-8-in-exponent", "[1e1\345]", 6, 0 },
	{ "n_number_invalid-utf-8-in-int", "[0\345]", 4, 0 },
	{ "n_number_minus_infinity", "[-Infinity]", 11, 1 },
	{ "n_number_minus_sign_with_trailing_garbage", "[-foo]", 6, 0 },
	{ "n_number_minus_space_1", "[- 1]", 5, 0 },
	{ "n_number_neg_int_starting_with_zero", "[-012]", 6, 1 },
	{ "n_number_neg_real_without_int_part", "[-.123]", 7, 1 },
	{ "n_number_neg_with_garbage_at_end", "[-1x]", 5, 0 },
	{ "n_number_real_garbage_after_e", "[1ea]", 5, 0 },
	{ "n_number_real_with_invalid_utf8_after_e", "[1e\345]", 5, 0 },
	{ "n_number_real_without_fractional_part", "[1.]", 4, 1 },
	{ "n_number_starting_with_dot", "[.123]", 6, 1 },
	{ "n_number_with_alpha", "[1.2a-3]", 8, 0 },
	{ "n_number_with_alpha_char", "[1.8011670033376514H-308]", 25, 0 },
	{ "n_number_with_leading_zero", "[012]", 5, 1 },
	{ "n_object_bad_value", "[\042x\042, truth]", 12, 0 },
	{ "n_object_bracket_key", "{[: \042x\042}\012", 9, 0 },
	{ "n_object_comma_instead_of_colon", "{\042x\042, null}", 11, 0 },
	{ "n_object_double_colon", "{\042x\042::\042b\042}", 10, 0 },
	{ "n_object_emoji", "{\360\237\207\250\360\237\207\255}", 10, 0 },
	{ "n_object_garbage_at_end", "{\042a\042:\042a\042 123}", 13, 0 },
	{ "n_object_key_with_single_quotes", "{key: 'value'}", 14, 0 },
	{ "n_object_lone_continuation_byte_in_key_and_trailing_comma", "{\042\271\042:\0420\042,}", 10, 0 },
	{ "n_object_missing_colon", "{\042a\042 b}", 7, 0 },
	{ "n_object_missing_key", "{:\042b\042}", 6, 0 },
	{ "n_object_missing_semicolon", "{\042a\042 \042b\042}", 9, 0 },
	{ "n_object_missing_value", "{\042a\042:", 5, 0 },
	{ "n_object_no-colon", "{\042a\042", 4, 0 },
	{ "n_object_non_string_key", "{1:1}", 5, 0 },
	{ "n_object_non_string_key_but_huge_number_instead", "{9999E9999:1}", 13, 0 },
	{ "n_object_repeated_null_null", "{null:null,null:null}", 21, 0 },
	{ "n_object_several_trailing_commas", "{\042id\042:0,,,,,}", 13, 0 },
	{ "n_object_single_quote", "{'a':0}", 7, 0 },
	{ "n_object_trailing_comma", "{\042id\042:0,}", 9, 0 },
	{ "n_object_trailing_comment", "{\042a\042:\042b\042}/**/", 13, 0 },
	{ "n_object_trailing_comment_open", "{\042a\042:\042b\042}/**//", 14, 0 },
	{ "n_object_trailing_comment_slash_open", "{\042a\042:\042b\042}//", 11, 0 },
	{ "n_object_trailing_comment_slash_open_incomplete", "{\042a\042:\042b\042}/", 10, 0 },
	{ "n_object_two_commas_in_a_row", "{\042a\042:\042b\042,,\042c\042:\042d\042}", 18, 0 },
	{ "n_object_unquoted_key", "{a: \042b\042}", 8, 0 },
	{ "n_object_unterminated-value", "{\042a\042:\042a", 7, 0 },
	{ "n_object_with_single_string", "{ \042foo\042 : \042bar\042, \042a\042 }", 22, 0 },
	{ "n_object_with_trailing_garbage", "{\042a\042:\042b\042}#", 10, 0 },
	{ "n_single_space", " ", 1, 1 },
	{ "n_string_1_surrogate_then_escape", "[\042\134uD800\134\042]", 11, 0 },
	{ "n_string_1_surrogate_then_escape_u", "[\042\134uD800\134u\042]", 12, 0 },
	{ "n_string_1_surrogate_then_escape_u1", "[\042\134uD800\134u1\042]", 13, 0 },
	{ "n_string_1_surrogate_then_escape_u1x", "[\042\134uD800\134u1x\042]", 14, 0 },
	{ "n_string_accentuated_char_no_quotes", "[\303\251]", 4, 0 },
	{ "n_string_backslash_00", "[\042\134\000\042]", 6, 0 },
	{ "n_string_escape_x", "[\042\134x00\042]", 8, 0 },
	{ "n_string_escaped_backslash_bad", "[\042\134\134\134\042]", 7, 0 },
	{ "n_string_escaped_ctrl_char_tab", "[\042\134\011\042]", 6, 0 },
	{ "n_string_escaped_emoji", "[\042\134\360\237\214\200\042]", 9, 0 },
	{ "n_string_incomplete_escape", "[\042\134\042]", 5, 0 },
	{ "n_string_incomplete_escaped_character", "[\042\134u00A\042]", 9, 0 },
	{ "n_string_incomplete_surrogate", "[\042\134uD834\134uDd\042]", 14, 0 },
	{ "n_string_incomplete_surrogate_escape_invalid", "[\042\134uD800\134uD800\134x\042]", 18, 0 },
	{ "n_string_invalid-utf-8-in-escape", "[\042\134u\345\042]", 7, 0 },
	{ "n_string_invalid_backslash_esc", "[\042\134a\042]", 6, 0 },
	{ "n_string_invalid_unicode_escape", "[\042\134uqqqq\042]", 10, 0 },
	{ "n_string_invalid_utf8_after_escape", "[\042\134\345\042]", 6, 0 },
	{ "n_string_leading_uescaped_thinspace", "[\134u0020\042asd\042]", 13, 0 },
	{ "n_string_no_quotes_with_bad_escape", "[\134n]", 4, 0 },
	{ "n_string_single_doublequote", "\042", 1, 0 },
	{ "n_string_single_quote", "['single quote']", 16, 0 },
	{ "n_string_single_string_no_double_quotes", "abc", 3, 0 },
	{ "n_string_start_escape_unclosed", "[\042\134", 3, 0 },
	{ "n_string_unescaped_ctrl_char", "[\042a\000a\042]", 7, 1 },
	{ "n_string_unescaped_newline", "[\042new\012line\042]", 12, 0 },
	{ "n_string_unescaped_tab", "[\042\011\042]", 5, 0 },
	{ "n_string_unicode_CapitalU", "\042\134UA66D\042", 8, 0 },
	{ "n_string_with_trailing_garbage", "\042\042x", 3, 0 },
	{ "n_structure_U+2060_word_joined", "[\342\201\240]", 5, 0 },
	{ "n_structure_UTF8_BOM_no_data", "\357\273\277", 3, 1 },
	{ "n_structure_angle_bracket_.", "<.>", 3, 0 },
	{ "n_structure_angle_bracket_null", "[<null>]", 8, 0 },
	{ "n_structure_array_trailing_garbage", "[1]x", 4, 0 },
	{ "n_structure_array_with_extra_array_close", "[1]]", 4, 0 },
	{ "n_structure_array_with_unclosed_string", "[\042asd]", 6, 0 },
	{ "n_structure_ascii-unicode-identifier", "a\303\245", 3, 0 },
	{ "n_structure_capitalized_True", "[True]", 6, 0 },
	{ "n_structure_close_unopened_array", "1]", 2, 0 },
	{ "n_structure_comma_instead_of_closing_brace", "{\042x\042: true,", 11, 0 },
	{ "n_structure_double_array", "[][]", 4, 1 },
	{ "n_structure_end_array", "]", 1, 0 },
	{ "n_structure_incomplete_UTF8_BOM", "\357\273{}", 4, 0 },
	{ "n_structure_lone-invalid-utf-8", "\345", 1, 0 },
	{ "n_structure_lone-open-bracket", "[", 1, 0 },
	{ "n_structure_no_data", "", 0, 1 },
	{ "n_structure_null-byte-outside-string", "[\000]", 3, 1 },
	{ "n_structure_number_with_trailing_garbage", "2@", 2, 0 },
	{ "n_structure_object_followed_by_closing_object", "{}}", 3, 0 },
	{ "n_structure_object_unclosed_no_value", "{\042\042:", 4, 0 },
	{ "n_structure_object_with_comment", "{\042a\042:/*comment*/\042b\042}", 20, 0 },
	{ "n_structure_object_with_trailing_garbage", "{\042a\042: true} \042x\042", 15, 1 },
	{ "n_structure_open_array_apostrophe", "['", 2, 0 },
	{ "n_structure_open_array_comma", "[,", 2, 0 },
	{ "n_structure_open_array_open_object", "[{", 2, 0 },
	{ "n_structure_open_array_open_string", "[\042a", 3, 0 },
	{ "n_structure_open_array_string", "[\042a\042", 4, 0 },
	{ "n_structure_open_object", "{", 1, 0 },
	{ "n_structure_open_object_close_array", "{]", 2, 0 },
	{ "n_structure_open_object_comma", "{,", 2, 0 },
	{ "n_structure_open_object_open_array", "{[", 2, 0 },
	{ "n_structure_open_object_open_string", "{\042a", 3, 0 },
	{ "n_structure_open_object_string_with_apostrophes", "{'a'", 4, 0 },
	{ "n_structure_open_open", "[\042\134{[\042\134{[\042\134{[\042\134{", 16, 0 },
	{ "n_structure_single_eacute", "\351", 1, 0 },
	{ "n_structure_single_star", "*", 1, 0 },
	{ "n_structure_trailing_#", "{\042a\042:\042b\042}#{}", 12, 0 },
	{ "n_structure_uescaped_LF_before_string", "[\134u000A\042\042]", 10, 0 },
	{ "n_structure_unclosed_array", "[1", 2, 0 },
	{ "n_structure_unclosed_array_partial_null", "[ false, nul", 12, 0 },
	{ "n_structure_unclosed_array_unfinished_false", "[ true, fals", 12, 0 },
	{ "n_structure_unclosed_array_unfinished_true", "[ false, tru", 12, 0 },
	{ "n_structure_unclosed_object", "{\042asd\042:\042asd\042", 12, 0 },
	{ "n_structure_unicode-identifier", "\303\245", 2, 0 },
	{ "n_structure_whitespace_U+2060_word_joiner", "[\342\201\240]", 5, 0 },
	{ "n_structure_whitespace_formfeed", "[\014]", 3, 0 },
};

/* Valid JSON streams of zero records: as NDJSON streams they are fine. */
static int valid_stream(const char *name)
{
	return strcmp(name, "n_single_space") == 0 || strcmp(name, "n_structure_no_data") == 0 ||
	       strcmp(name, "n_structure_double_array") == 0;
}

static void test_jsontestsuite_invalid(void **state)
{
	size_t i, lax = 0;
	struct got g;

	(void)state;
	for (i = 0; i < sizeof(nst) / sizeof(nst[0]); i++) {
		read_mem(nst[i].in, nst[i].len, NULL, &g);
		lax += nst[i].jq16_accepts;
		if (valid_stream(nst[i].name)) {
			assert_int_equal(g.rc, 0);
			assert_int_equal(g.n, 0);
			continue;
		}
		if (g.rc != -1)
			fail_msg("%s accepted", nst[i].name);
		assert_int_equal(strcmp(g.err.code, "parse") == 0 || strcmp(g.err.code, "limit") == 0, 1);
		assert_int_equal(strncmp(g.err.msg, "t:1: ", 5) == 0 || strncmp(g.err.msg, "t:2: ", 5) == 0 ||
				 strncmp(g.err.msg, "t:3: ", 5) == 0, 1);
	}
	assert_int_equal(lax, 27);
}

/* The 27 cases jq 1.6 accepts, each with the reason we give. */
static void test_jq16_lax_cases(void **state)
{
	static const struct { const char *in; size_t len; const char *msg; } c[] = {
		{ L("123\0"), "t:1: record is a number, expected an object" },
		{ L("[+1]"), "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ L("[+Inf]"), "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ L("[-01]"), "t:1: record is a number, expected an object" },
		{ L("[-2.]"), "t:1: invalid JSON: lexical error: malformed number, a digit is "
			      "required after the decimal point" },
		{ L("[-NaN]"), "t:1: invalid JSON: lexical error: malformed number, a digit is "
			       "required after the minus sign" },
		{ L("[.2e-3]"), "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ L("[0.e1]"), "t:1: invalid JSON: lexical error: malformed number, a digit is "
			       "required after the decimal point" },
		{ L("[2.e+3]"), "t:1: invalid JSON: lexical error: malformed number, a digit is "
				"required after the decimal point" },
		{ L("[2.e-3]"), "t:1: invalid JSON: lexical error: malformed number, a digit is "
				"required after the decimal point" },
		{ L("[2.e3]"), "t:1: invalid JSON: lexical error: malformed number, a digit is "
			       "required after the decimal point" },
		{ L("[Inf]"), "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ L("[NaN]"), "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ L("[Infinity]"), "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ L("[-Infinity]"), "t:1: invalid JSON: lexical error: malformed number, a digit is "
				    "required after the minus sign" },
		{ L("[-012]"), "t:1: record is a number, expected an object" },
		{ L("[-.123]"), "t:1: invalid JSON: lexical error: malformed number, a digit is "
				"required after the minus sign" },
		{ L("[1.]"), "t:1: invalid JSON: lexical error: malformed number, a digit is "
			     "required after the decimal point" },
		{ L("[.123]"), "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ L("[012]"), "t:1: record is a number, expected an object" },
		{ L("[\"a\0a\"]"), "t:1: invalid JSON: NUL byte" },
		{ L("\xef\xbb\xbf"), "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ L("[\0]"), "t:1: invalid JSON: NUL byte" },
		{ L("{\"a\": true} \"x\""), "t:1: record is a string, expected an object" },
	};
	/* and the same numbers where records hold them */
	static const struct { const char *in; const char *msg; } obj[] = {
		{ "{\"a\":NaN}", "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ "{\"a\":Infinity}", "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ "{\"a\":-Infinity}", "t:1: invalid JSON: lexical error: malformed number, a digit "
				       "is required after the minus sign" },
		{ "{\"a\":01}", "t:1: invalid JSON: parse error: after key and value, inside map, "
				"I expect ',' or '}'" },
		{ "{\"a\":-01}", "t:1: invalid JSON: parse error: after key and value, inside map, "
				 "I expect ',' or '}'" },
		{ "{\"a\":+1}", "t:1: invalid JSON: lexical error: invalid char in json text" },
		{ "{\"a\":\"x\x01y\"}", "t:1: invalid JSON: lexical error: invalid character inside string" },
		{ "{\"a\":\"x\ty\"}", "t:1: invalid JSON: lexical error: invalid character inside string" },
		{ "{\"a\":\"x\ny\"}", "t:1: invalid JSON: lexical error: invalid character inside string" },
		{ "{\"a\":1}\n\xef\xbb\xbf{\"a\":2}", "t:2: invalid JSON: lexical error: invalid char in json text" },
		{ "{\"a\":\f1}", "t:1: invalid JSON: control character 0x0c outside a string" },
		{ "{\"a\":\v1}", "t:1: invalid JSON: control character 0x0b outside a string" },
		{ "{\"a\":1}/**/", "t:1: invalid JSON: lexical error: probable comment found in input "
				   "text, comments are not enabled" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)   /* the last one has a record first */
		expect_error(c[i].in, c[i].len, NULL, i + 1 == sizeof(c) / sizeof(c[0]), "parse", c[i].msg);
	for (i = 0; i < sizeof(obj) / sizeof(obj[0]); i++)
		expect_error(obj[i].in, strlen(obj[i].in), NULL, i == 9 || i == 12, "parse", obj[i].msg);
}

/* What yajl 2.1 lets through and the reader must not. */
static void test_utf8_and_surrogates(void **state)
{
	static const struct { const char *in; const char *msg; } c[] = {
		{ "{\"a\":\"\xc0\xaf\"}", "t:1: invalid UTF-8 in string" },         /* overlong */
		{ "{\"a\":\"\xe0\x80\xaf\"}", "t:1: invalid UTF-8 in string" },     /* overlong */
		{ "{\"a\":\"\xed\xa0\x80\"}", "t:1: invalid UTF-8 in string" },     /* surrogate */
		{ "{\"a\":\"\xf4\x90\x80\x80\"}", "t:1: invalid UTF-8 in string" }, /* > U+10FFFF */
		{ "{\"a\":\"\xf5\x80\x80\x80\"}", "t:1: invalid UTF-8 in string" },
		{ "{\"\xc1\xbf\":1}", "t:1: invalid UTF-8 in key" },
		{ "{\"a\":\"\xff\"}", "t:1: invalid JSON: lexical error: invalid bytes in UTF8 string" },
		{ "{\"a\":\"\xc3\"}", "t:1: invalid JSON: lexical error: invalid bytes in UTF8 string" },
		{ "{\"a\":\"\\ud800\"}", "t:1: invalid JSON: unpaired UTF-16 surrogate in a \\u escape" },
		{ "{\"a\":\"\\udc00\"}", "t:1: invalid JSON: unpaired UTF-16 surrogate in a \\u escape" },
		{ "{\"a\":\"\\uDd1e\\uD834\"}", "t:1: invalid JSON: unpaired UTF-16 surrogate in a \\u escape" },
		{ "{\"a\":\"\\ud800\\u0041\"}", "t:1: invalid JSON: unpaired UTF-16 surrogate in a \\u escape" },
		{ "{\"a\":\"\\ud800\\n\"}", "t:1: invalid JSON: unpaired UTF-16 surrogate in a \\u escape" },
		{ "{\"a\":\"\\ud800x\"}", "t:1: invalid JSON: unpaired UTF-16 surrogate in a \\u escape" },
		{ "{\"a\":1}\n{\"b\":\"\\uD800\\uD800\"}", "t:2: invalid JSON: unpaired UTF-16 surrogate in a \\u escape" },
	};
	struct got g;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		expect_error(c[i].in, strlen(c[i].in), NULL, i == 14, "parse", c[i].msg);
	/* the largest code point and a proper pair are fine */
	read_mem(L("{\"a\":\"\xf4\x8f\xbf\xbf\\uDBFF\\uDFFF\"}"), NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_string_equal(g.text[0], "{\"a\":\"\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf\"}");
}

static void test_number_range(void **state)
{
	struct got g;

	(void)state;
	expect_error(L("{\"a\":1}\n{\"a\":[1e400]}"), NULL, 1, "parse",
		     "t:2: number '1e400' is out of range");
	expect_error(L("{\"a\":-1e+9999}"), NULL, 0, "parse", "t:1: number '-1e+9999' is out of range");
	expect_error(L("{\"a\":0.4e006699999999999999999999999999999999999999999999999}"), NULL, 0,
		     "parse", "t:1: number '0.4e006699999999999999999999999999999999...' is out of range");
	/* underflow rounds, huge integers lose precision, as in jq */
	read_mem(L("{\"a\":123e-10000000,\"b\":-123123123123123123123123123123,\"c\":1.7976931348623157e308}"),
		 NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_string_equal(g.text[0], "{\"a\":0,\"b\":-123123123123123120000000000000,\"c\":1.7976931348623157e+308}");
}

static void test_non_objects(void **state)
{
	(void)state;
	expect_error(L("{}\n\n42\n"), NULL, 1, "parse", "t:3: record is a number, expected an object");
	expect_error(L("\"s\""), NULL, 0, "parse", "t:1: record is a string, expected an object");
	expect_error(L("null"), NULL, 0, "parse", "t:1: record is null, expected an object");
	expect_error(L("\n true"), NULL, 0, "parse", "t:2: record is a boolean, expected an object");
	expect_error(L("{} [\n[1]]"), NULL, 1, "parse", "t:2: record is an array, expected an object");
	expect_error(L("7"), NULL, 0, "parse", "t:1: record is a number, expected an object");
}

static void test_premature_eof(void **state)
{
	(void)state;
	expect_error(L("{\"a\":1}\n{\"b\":\n[1,\n2"), NULL, 1, "parse",
		     "t:2: invalid JSON: premature EOF");
	expect_error(L("{\"a\":\"abc"), NULL, 0, "parse", "t:1: invalid JSON: premature EOF");
	expect_error(L("[\n{\"a\":1},\n"), NULL, 1, "parse", "t:3: invalid JSON: premature EOF");
	expect_error(L("{\"a\":tru"), NULL, 0, "parse", "t:1: invalid JSON: premature EOF");
}

/* ---- limits ---- */

static char *repeat(const char *head, const char *unit, size_t n, const char *tail, size_t *len)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(hl + ul * n + tl + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	for (i = 0; i < n; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + n * ul, tail, tl + 1);
	*len = hl + ul * n + tl;
	return s;
}

static void test_depth_limit(void **state)
{
	struct ndj_reader_opts o = { 0, 3, 0, 0 };
	struct got g;
	size_t len, i;
	char *s, *t;

	(void)state;
	read_mem(L("{\"a\":[{\"b\":1}]}\n[{\"a\":{\"b\":{}}}]"), &o, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 2);
	expect_error(L("{\"a\":1}\n{\"a\":[\n{\"b\":[1]}]}"), &o, 1, "limit",
		     "t:3: record nested deeper than 3 levels");
	/* the default, 512 */
	s = repeat("{\"a\":", "[", 511, "", &len);
	t = malloc(len + 512);
	assert_non_null(t);
	memcpy(t, s, len);
	for (i = 0; i < 511; i++)
		t[len + i] = ']';
	t[len + 511] = '}';
	read_mem(t, len + 512, NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 1);
	free(t);
	free(s);
	s = repeat("{\"a\":", "[", 512, "", &len);
	expect_error(s, len, NULL, 0, "limit", "t:1: record nested deeper than 512 levels");
	free(s);
	/* JSONTestSuite's 100000 opening brackets (an array record), deep values */
	s = repeat("", "[", 100000, "", &len);
	expect_error(s, len, NULL, 0, "parse", "t:1: record is an array, expected an object");
	free(s);
	s = repeat("{\"a\":", "[", 100000, "", &len);
	expect_error(s, len, NULL, 0, "limit", "t:1: record nested deeper than 512 levels");
	free(s);
	s = repeat("", "[{\"\":", 50000, "\n", &len);
	expect_error(s, len, NULL, 0, "limit", "t:1: record nested deeper than 512 levels");
	free(s);
}

static void test_record_limit(void **state)
{
	struct ndj_reader_opts o = { 32, 0, 0, 0 }, lo = { 32, 0, 1, 0 };
	struct got g;
	size_t len;
	char *s;

	(void)state;
	/* exactly 32 bytes is fine */
	read_mem(L("{\"a\":\"012345678901234567890123\"}"), &o, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 1);
	expect_error(L("{\"a\":1}\n{\"a\":\n\"01234567890123456789012345\"}"), &o, 1, "limit",
		     "t:2: record longer than 32 bytes");
	/* per element of a top-level array, which itself may be any size */
	read_mem(L("[{\"a\":\"0123456789\"},{\"a\":\"0123456789\"},{\"a\":\"0123456789\"}]"), &o, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 3);
	/* an endless line is cut at the limit, not buffered: 64 MiB against 1 MiB */
	s = repeat("{\"a\":\"", "0123456789abcdef", 4u << 20, "\"}\n{\"b\":2}\n", &len);
	o.max_record = 1u << 20;
	expect_error(s, len, &o, 0, "limit", "t:1: record longer than 1048576 bytes");
	lo.max_record = 1u << 20;
	read_mem(s, len, &lo, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.text[0], "{\"b\":2}");
	assert_int_equal(g.line[0], 2);
	assert_int_equal(g.skipped, 1);
	free(s);
}

/* A long string from a file: read in growing sizes, within the limit. */
static void test_long_string_from_file(void **state)
{
	struct ndj_reader_opts o = { 4u << 20, 0, 0, 4096 };
	char path[300];
	const char *paths[1] = { path };
	struct ndj_reader *r;
	struct srerr e;
	struct ndj_field f[2] = { { "a", NDJ_ABSENT, 0, 0, NULL, 0 }, { "b", NDJ_ABSENT, 0, 0, NULL, 0 } };
	size_t len;
	char *s = repeat("{\"a\":\"", "0123456789abcdef", 3u << 16, "\"}\n{\"b\":1}\n", &len);
	jv rec;

	(void)state;
	snprintf(path, sizeof(path), "%s/long.ndjson", tmpdir);
	write_file(path, s, len);
	r = ndj_reader_new(paths, 1, &o, &e);
	assert_int_equal(ndj_next_fields(r, f, 2, &e), 1);
	assert_int_equal(f[0].type, NDJ_STRING);
	assert_int_equal(f[0].len, 3u << 20);
	assert_int_equal(ndj_next(r, &rec, &e), 1);
	jv_free(rec);
	assert_int_equal(ndj_line(r), 2);
	assert_int_equal(ndj_next(r, &rec, &e), 0);
	ndj_reader_free(r);
	o.max_record = 2u << 20;
	r = ndj_reader_new(paths, 1, &o, &e);
	assert_int_equal(ndj_next(r, &rec, &e), -1);
	assert_string_equal(e.code, "limit");
	ndj_reader_free(r);
	free(s);
}

/*
 * Strings cut by a buffer's end are the rule, not the exception: they must not grow
 * the read buffer (it once doubled at every such cut, up to max_record).  mallinfo2
 * sees the plain allocator only; under ASan or valgrind it reports nothing to compare.
 */
static void test_buffer_stays_small(void **state)
{
	struct ndj_reader_opts o = { 16u << 20, 0, 0, 4096 };
	char path[300];
	const char *paths[1] = { path };
	struct ndj_field f[1] = { { "s", NDJ_ABSENT, 0, 0, NULL, 0 } };
	struct ndj_reader *r;
	struct srerr e;
	struct mallinfo2 before, after;
	size_t len, n = 0;
	char *s = repeat("", "{\"s\":\"0123456789abcdefghijklmnopqrstuvwxyz0123456789\"}\n", 20000, "", &len);

	(void)state;
	snprintf(path, sizeof(path), "%s/many.ndjson", tmpdir);
	write_file(path, s, len);
	before = mallinfo2();
	r = ndj_reader_new(paths, 1, &o, &e);
	while (ndj_next_fields(r, f, 1, &e) == 1)
		n++;
	assert_int_equal(n, 20000);
	after = mallinfo2();
	if (before.uordblks != 0)
		assert_true(after.uordblks - before.uordblks < (1u << 20));
	ndj_reader_free(r);
	free(s);
}

static void test_bad_options(void **state)
{
	struct ndj_reader_opts o = { 0, NDJ_DEPTH_LIMIT + 1, 0, 0 };
	struct srerr e;

	(void)state;
	assert_null(ndj_reader_new_mem("", 0, NULL, &o, &e));
	assert_string_equal(e.code, "usage");
	o.max_depth = 0;
	o.max_record = (size_t)NDJ_RECORD_LIMIT + 1;
	assert_null(ndj_reader_new(NULL, 0, &o, &e));
	assert_string_equal(e.code, "usage");
}

/* ---- lenient mode ---- */

static void test_lenient_skip_and_count(void **state)
{
	static const char in[] =
		"{\"a\":1}\n"
		"{\"a\":NaN}\n"                          /* 2: malformed */
		"{\"b\":2}\n"
		"{\"c\":\"\xc0\xaf\",\"d\":{\"x\":[1]}}\n"  /* 4: invalid UTF-8, skipped exactly */
		"[1,{\"e\":3},\"x\",[{}],{\"f\":4}]\n"   /* 5: three non-objects */
		"{\"g\": 5 x}\n"                         /* 6 */
		"{\"h\":\0}\n"                           /* 7: NUL */
		"{\"i\":6}\n";
	struct got g;

	(void)state;
	read_mem(L(in), &lenient, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.text[0], "{\"a\":1}");
	assert_string_equal(g.text[1], "{\"b\":2}");
	assert_string_equal(g.text[2], "{\"e\":3}");
	assert_string_equal(g.text[3], "{\"f\":4}");
	assert_string_equal(g.text[4], "{\"i\":6}");
	assert_int_equal(g.line[4], 8);
	assert_int_equal(g.skipped, 7);
	assert_int_equal(g.nwarn, 7);
	assert_string_equal(g.warn[0], "t:2: invalid JSON: lexical error: invalid char in json text");
	assert_string_equal(g.warn[1], "t:4: invalid UTF-8 in string");
	assert_string_equal(g.warn[2], "t:5: record is a number, expected an object");
	assert_string_equal(g.warn[3], "t:5: record is a string, expected an object");
	assert_string_equal(g.warn[4], "t:5: record is an array, expected an object");
	assert_string_equal(g.warn[5], "t:6: invalid JSON: lexical error: invalid char in json text");
	assert_string_equal(g.warn[6], "t:7: invalid JSON: NUL byte");
}

static void test_lenient_keeps_first_warnings(void **state)
{
	struct ndj_reader *r;
	struct srerr e;
	size_t len;
	char *s = repeat("", "x\n", 25, "{\"ok\":1}\n", &len);
	jv rec;

	(void)state;
	r = ndj_reader_new_mem(s, len, "f", &lenient, &e);
	assert_non_null(r);
	assert_int_equal(ndj_next(r, &rec, &e), 1);
	jv_free(rec);
	assert_int_equal(ndj_line(r), 26);
	assert_int_equal(ndj_skipped(r), 25);
	assert_non_null(ndj_warning(r, NDJ_WARNINGS - 1));
	assert_string_equal(ndj_warning(r, NDJ_WARNINGS - 1)->msg,
			    "f:10: invalid JSON: lexical error: invalid char in json text");
	assert_string_equal(ndj_warning(r, 0)->code, "parse");
	assert_null(ndj_warning(r, NDJ_WARNINGS));
	assert_int_equal(ndj_next(r, &rec, &e), 0);
	ndj_reader_free(r);
	free(s);
}

/* A writer killed mid-record, then restarted: the next line is not lost. */
static void test_lenient_torn_lines(void **state)
{
	static const char in[] =
		"{\"kind\":\"probe.result\",\"ok\":tr\n"  /* torn inside a literal */
		"{\"n\":1}\n"
		"{\"kind\":\"probe.result\",\n"            /* torn after a comma */
		"{\"n\":2}\n"
		"{\"kind\":\"pro\n"                        /* torn inside a string */
		"  {\"n\":3}\n"
		"{\"kind\":\n"                             /* torn after a colon: swallows n:4 */
		"{\"n\":4}\n"
		"{\"n\":5}\n";
	struct ndj_reader_opts o = lenient;
	char path[300], want[SRERR_MSG_MAX + 300];
	const char *paths[1] = { path };
	struct ndj_reader *r;
	struct srerr e;
	struct got g, h;
	FILE *fp;

	(void)state;
	read_mem(L(in), &lenient, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.text[0], "{\"n\":1}");
	assert_string_equal(g.text[1], "{\"n\":2}");
	assert_string_equal(g.text[2], "{\"n\":3}");
	assert_string_equal(g.text[3], "{\"n\":5}");
	assert_int_equal(g.line[1], 4);
	assert_int_equal(g.line[2], 6);
	assert_int_equal(g.line[3], 9);
	assert_int_equal(g.skipped, 4);
	assert_string_equal(g.warn[1], "t:4: invalid JSON: parse error: invalid object key "
			    "(must be a string)");
	/* the same whatever the read size */
	for (o.chunk = 1; o.chunk < 9; o.chunk++) {
		read_mem(L(in), &o, &h);
		assert_int_equal(h.n, g.n);
		assert_int_equal(h.skipped, g.skipped);
		assert_string_equal(h.text[3], g.text[3]);
		assert_string_equal(h.warn[3], g.warn[3]);
	}
	/* and from a file, or a FILE*, with lines shorter than half a read */
	snprintf(path, sizeof(path), "%s/torn.ndjson", tmpdir);
	write_file(path, L(in));
	for (o.chunk = 0; o.chunk <= 128; o.chunk += 128) {
		r = ndj_reader_new(paths, 1, &o, &e);
		drain(r, &h);
		ndj_reader_free(r);
		assert_int_equal(h.n, g.n);
		assert_int_equal(h.skipped, g.skipped);
		snprintf(want, sizeof(want), "%s%s", path, g.warn[3] + 1);   /* t:8: -> PATH:8: */
		assert_string_equal(h.warn[3], want);
	}
	fp = fopen(path, "r");
	assert_non_null(fp);
	r = ndj_reader_new_fp(fp, "t", &lenient, &e);
	drain(r, &h);
	ndj_reader_free(r);
	fclose(fp);
	assert_int_equal(h.n, g.n);
	assert_string_equal(h.warn[3], g.warn[3]);
}

/* Resuming never reads again what a record already took (found by the fuzzer). */
static void test_lenient_no_rereading(void **state)
{
	static const char in[] = "{\"a\":1}\n{\"c\":\n{\"d\":3}}}\n{\"e\":5}\n";
	struct ndj_reader_opts o = lenient;
	struct got g;

	(void)state;
	for (o.chunk = 0; o.chunk < 9; o.chunk++) {
		read_mem(L(in), &o, &g);
		assert_int_equal(g.rc, 0);
		assert_int_equal(g.n, 3);
		assert_string_equal(g.text[1], "{\"c\":{\"d\":3}}");
		assert_string_equal(g.text[2], "{\"e\":5}");
		assert_int_equal(g.skipped, 1);
		assert_string_equal(g.warn[0], "t:3: invalid JSON: parse error: unallowed token at "
				    "this point in JSON text");
	}
}

static void test_strict_error_sticks(void **state)
{
	struct ndj_reader *r;
	struct srerr e;
	struct ndj_field f[1] = { { "a", NDJ_ABSENT, 0, 0, NULL, 0 } };
	jv rec;

	(void)state;
	r = ndj_reader_new_mem(L("{\"a\":1}\nx\n{\"a\":2}\n"), NULL, NULL, &e);
	assert_non_null(r);
	assert_int_equal(ndj_next(r, &rec, &e), 1);
	jv_free(rec);
	assert_int_equal(ndj_next(r, &rec, &e), -1);
	assert_int_equal(jv_get_kind(rec), JV_KIND_INVALID);
	assert_string_equal(e.msg, "<input>:2: invalid JSON: lexical error: invalid char in json text");
	assert_int_equal(ndj_line(r), 2);
	srerr_clear(&e);
	assert_int_equal(ndj_next(r, &rec, &e), -1);
	assert_string_equal(e.msg, "<input>:2: invalid JSON: lexical error: invalid char in json text");
	srerr_clear(&e);
	assert_int_equal(ndj_next_fields(r, f, 1, &e), -1);
	assert_string_equal(e.code, "parse");
	assert_int_equal(ndj_skipped(r), 0);
	ndj_reader_free(r);
}

/* Tokens and records split across reads anywhere give the same result. */
static void test_read_size_invisible(void **state)
{
	static const char in[] =
		"{\"a\":\"\\u00e9\\ud834\\udd1e\",\"n\":-12.5e-3}{\"b\":[true,false,null]}\n"
		"[{\"c\":\"x\"},\n{\"d\":{\"e\":[]}}]\r\n  {\"f\":123456}\n";
	struct ndj_reader_opts o = { 0, 0, 0, 0 };
	struct got g, h;
	size_t i;

	(void)state;
	read_mem(L(in), NULL, &g);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 5);
	for (o.chunk = 1; o.chunk < 40; o.chunk++) {
		read_mem(L(in), &o, &h);
		assert_int_equal(h.rc, 0);
		assert_int_equal(h.n, g.n);
		for (i = 0; i < g.n; i++) {
			assert_string_equal(h.text[i], g.text[i]);
			assert_int_equal(h.line[i], g.line[i]);
		}
	}
}

/* ---- files, stdin, FILE* ---- */

static void test_several_files(void **state)
{
	char a[300], b[300], c[300], missing[300], dir[300];
	const char *paths[4];
	struct srerr e;
	struct ndj_reader *r;
	struct got g;

	(void)state;
	snprintf(a, sizeof(a), "%s/a.ndjson", tmpdir);
	snprintf(b, sizeof(b), "%s/b.ndjson", tmpdir);
	snprintf(c, sizeof(c), "%s/c.ndjson", tmpdir);
	snprintf(missing, sizeof(missing), "%s/missing.ndjson", tmpdir);
	snprintf(dir, sizeof(dir), "%s/sub", tmpdir);
	write_file(a, L("{\"f\":\"a\",\"n\":1}\n{\"f\":\"a\",\"n\":2}\n"));
	write_file(b, L("\n{\"f\":\"b\",\"n\":1}\n{\"f\":\"b\"\n"));
	write_file(c, L("{\"f\":\"c\"}\n"));
	assert_int_equal(mkdir(dir, 0700), 0);

	/* line numbers restart per file; the file is in each position */
	paths[0] = a;
	paths[1] = c;
	paths[2] = a;
	r = ndj_reader_new(paths, 3, NULL, &e);
	assert_non_null(r);
	assert_string_equal(ndj_file(r), a);
	drain(r, &g);
	ndj_reader_free(r);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.file[2], c);
	assert_int_equal(g.line[2], 1);
	assert_string_equal(g.file[4], a);
	assert_int_equal(g.line[4], 2);

	/* a record never continues into the next file */
	paths[0] = b;
	paths[1] = c;
	r = ndj_reader_new(paths, 2, NULL, &e);
	drain(r, &g);
	ndj_reader_free(r);
	assert_int_equal(g.rc, -1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.line[0], 2);
	snprintf(a, sizeof(a), "%s:3: invalid JSON: premature EOF", b);
	assert_string_equal(g.err.msg, a);

	/* a file that cannot be opened is named; the ones before it are read */
	paths[0] = c;
	paths[1] = missing;
	r = ndj_reader_new(paths, 2, NULL, &e);
	drain(r, &g);
	ndj_reader_free(r);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.rc, -1);
	assert_string_equal(g.err.code, "io");
	snprintf(a, sizeof(a), "cannot open '%s': No such file or directory", missing);
	assert_string_equal(g.err.msg, a);
	/* even in lenient mode */
	r = ndj_reader_new(paths + 1, 1, &lenient, &e);
	drain(r, &g);
	ndj_reader_free(r);
	assert_int_equal(g.rc, -1);
	assert_string_equal(g.err.code, "io");

	/* a read error */
	paths[0] = dir;
	r = ndj_reader_new(paths, 1, NULL, &e);
	drain(r, &g);
	ndj_reader_free(r);
	assert_int_equal(g.rc, -1);
	assert_string_equal(g.err.code, "io");
	snprintf(a, sizeof(a), "cannot read '%s': Is a directory", dir);
	assert_string_equal(g.err.msg, a);
}

static void test_stdin(void **state)
{
	char path[300];
	const char *dash[2] = { "-", NULL };
	int saved = dup(STDIN_FILENO), fd;
	struct ndj_reader_opts o = { 0, 0, 0, 3 };
	struct srerr e;
	struct ndj_reader *r;
	struct got g;

	(void)state;
	assert_true(saved >= 0);
	snprintf(path, sizeof(path), "%s/stdin.ndjson", tmpdir);
	write_file(path, L("{\"a\":1}\n{\"a\":2}\n3\n"));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	r = ndj_reader_new(NULL, 0, &o, &e);
	assert_non_null(r);
	assert_string_equal(ndj_file(r), "<stdin>");
	drain(r, &g);
	ndj_reader_free(r);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.file[1], "<stdin>");
	assert_string_equal(g.err.msg, "<stdin>:3: record is a number, expected an object");
	/* "-" is stdin too, and the reader leaves it open */
	assert_int_equal(lseek(STDIN_FILENO, 0, SEEK_SET), 0);
	r = ndj_reader_new(dash, 1, NULL, &e);
	drain(r, &g);
	ndj_reader_free(r);
	assert_int_equal(g.n, 2);
	assert_true(fcntl(STDIN_FILENO, F_GETFD) >= 0);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	close(fd);
}

static void test_file_pointer(void **state)
{
	static const char in[] = "{\"a\":1}\n{\"b\":\n2}\n{\"c\":3}";
	struct ndj_reader_opts o = { 0, 0, 0, 2 };
	FILE *fp = fmemopen((void *)(uintptr_t)in, sizeof(in) - 1, "r");
	struct srerr e;
	struct ndj_reader *r;
	struct got g;

	(void)state;
	assert_non_null(fp);
	r = ndj_reader_new_fp(fp, "pipe", &o, &e);
	assert_non_null(r);
	drain(r, &g);
	ndj_reader_free(r);
	assert_int_equal(g.rc, 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.file[2], "pipe");
	assert_int_equal(g.line[2], 4);
	fclose(fp);
}

/* ---- projection ---- */

static const char probe[] =
	"{\"kind\":\"probe.result\",\"time\":\"2026-11-01T00:00:00.000Z\",\"target\":\"http://x/\","
	"\"ok\":true,\"timing_ms\":{\"total\":12.5,\"dns\":0.1}}\n";

static void set_paths(struct ndj_field *f, const char *const *paths, size_t n)
{
	size_t i;

	memset(f, 0, n * sizeof(*f));
	for (i = 0; i < n; i++)
		f[i].path = paths[i];
}

static void test_fields_probe(void **state)
{
	static const char *const paths[] = { "time", "ok", "timing_ms.total", "timing_ms", "missing",
					     "timing_ms.missing", "kind.x", "timing_ms.dns" };
	struct ndj_field f[8];
	struct srerr e;
	struct ndj_reader *r = ndj_reader_new_mem(L(probe), NULL, NULL, &e);

	(void)state;
	assert_non_null(r);
	set_paths(f, paths, 8);
	assert_int_equal(ndj_next_fields(r, f, 8, &e), 1);
	assert_int_equal(f[0].type, NDJ_STRING);
	assert_string_equal(f[0].str, "2026-11-01T00:00:00.000Z");
	assert_int_equal(f[0].len, 24);
	assert_int_equal(f[1].type, NDJ_BOOL);
	assert_int_equal(f[1].boolean, 1);
	assert_int_equal(f[2].type, NDJ_NUMBER);
	assert_true(f[2].number == 12.5);
	assert_int_equal(f[3].type, NDJ_OBJECT);
	assert_int_equal(f[4].type, NDJ_ABSENT);
	assert_int_equal(f[5].type, NDJ_ABSENT);
	assert_int_equal(f[6].type, NDJ_ABSENT);   /* through a string */
	assert_int_equal(f[7].type, NDJ_NUMBER);
	assert_true(f[7].number == 0.1);
	assert_int_equal(ndj_line(r), 1);
	assert_int_equal(ndj_next_fields(r, f, 8, &e), 0);
	ndj_reader_free(r);
}

static void test_fields_kinds(void **state)
{
	static const char in[] =
		"{\"a\":null,\"b\":false,\"c\":[1,{\"d\":2}],\"e\":\"x\\u0000y\",\"f\":{\"g\":{\"h\":-0.5}}}\n"
		"{\"a\":{\"b\":1},\"a\":2,\"f\":{\"g\":1},\"f\":{\"g\":{\"h\":\"s\"}}}\n"
		"{\"c\":{\"d\":[]},\"b\":true,\"b\":null}\n";
	static const char *const paths[] = { "a", "b", "c", "c.d", "e", "f.g.h", "a.b" };
	struct ndj_field f[7];
	struct srerr e;
	struct ndj_reader *r = ndj_reader_new_mem(L(in), NULL, NULL, &e);

	(void)state;
	set_paths(f, paths, 7);
	assert_int_equal(ndj_next_fields(r, f, 7, &e), 1);
	assert_int_equal(f[0].type, NDJ_NULL);
	assert_int_equal(f[1].type, NDJ_BOOL);
	assert_int_equal(f[1].boolean, 0);
	assert_int_equal(f[2].type, NDJ_ARRAY);
	assert_int_equal(f[3].type, NDJ_ABSENT);   /* arrays are not indexed */
	assert_int_equal(f[4].type, NDJ_STRING);
	assert_int_equal(f[4].len, 3);
	assert_memory_equal(f[4].str, "x\0y", 4);
	assert_int_equal(f[5].type, NDJ_NUMBER);
	assert_true(f[5].number == -0.5);
	assert_int_equal(f[6].type, NDJ_ABSENT);
	/* repeated keys: the last value wins, as with jv */
	assert_int_equal(ndj_next_fields(r, f, 7, &e), 1);
	assert_int_equal(f[0].type, NDJ_NUMBER);
	assert_true(f[0].number == 2);
	assert_int_equal(f[6].type, NDJ_ABSENT);
	assert_int_equal(f[5].type, NDJ_STRING);
	assert_string_equal(f[5].str, "s");
	assert_int_equal(f[4].type, NDJ_ABSENT);
	assert_int_equal(ndj_next_fields(r, f, 7, &e), 1);
	assert_int_equal(f[1].type, NDJ_NULL);
	assert_int_equal(f[2].type, NDJ_OBJECT);
	assert_int_equal(f[3].type, NDJ_ARRAY);
	assert_int_equal(f[0].type, NDJ_ABSENT);
	assert_int_equal(ndj_line(r), 3);
	ndj_reader_free(r);
}

static void test_fields_bad_paths(void **state)
{
	static const char *const bad[] = { "", ".a", "a.", "a..b" };
	struct ndj_field f[NDJ_MAX_FIELDS + 1];
	struct srerr e;
	struct ndj_reader *r = ndj_reader_new_mem(L("{\"a\":{\"b\":1}}"), NULL, NULL, &e);
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		set_paths(f, bad + i, 1);
		assert_int_equal(ndj_next_fields(r, f, 1, &e), -1);
		assert_string_equal(e.code, "usage");
	}
	assert_string_equal(e.msg, "invalid field path 'a..b'");
	f[0].path = NULL;
	assert_int_equal(ndj_next_fields(r, f, 1, &e), -1);
	for (i = 0; i <= NDJ_MAX_FIELDS; i++)
		f[i].path = "a";
	assert_int_equal(ndj_next_fields(r, f, NDJ_MAX_FIELDS + 1, &e), -1);
	assert_string_equal(e.msg, "too many fields: 65 (at most 64)");
	/* the reader is still usable, 64 fields are fine */
	assert_int_equal(ndj_next_fields(r, f, NDJ_MAX_FIELDS, &e), 1);
	assert_int_equal(f[63].type, NDJ_OBJECT);
	assert_int_equal(ndj_next_fields(r, f, 0, &e), 0);
	ndj_reader_free(r);
}

/* The value at a dotted path, as jq's .a.b would see it; invalid when absent. */
static jv at_path(jv rec, const char *path)
{
	jv v = jv_copy(rec);
	const char *dot;

	for (;;) {
		dot = strchr(path, '.');
		if (jv_get_kind(v) != JV_KIND_OBJECT) {
			jv_free(v);
			return jv_invalid();
		}
		v = jv_object_get(v, jv_string_sized(path, dot ? (int)(dot - path) : (int)strlen(path)));
		if (!dot)
			return v;
		path = dot + 1;
	}
}

/* The projection path gives the jv path's values, records, lines and errors. */
static void test_fields_match_jv(void **state)
{
	static const char in[] =
		"{\"time\":\"t1\",\"ok\":true,\"timing_ms\":{\"total\":1e-3}}\n"
		"[{\"time\":17e8,\"ok\":null},\n{\"ok\":false,\"timing_ms\":[1]}]\n"
		"{\n\"x\":{\"time\":\"no\"},\"timing_ms\":{\"total\":{\"a\":1}},\"time\":\"t3\"\n}\n"
		"{\"time\":\"\\u00e9\",\"skipped\":\"\xc0\xaf\"}\n"   /* invalid UTF-8 in another field */
		"{\"time\":\"t5\",\"big\":[1e999]}\n"                 /* out of range in another field */
		"{\"time\":\"t6\"}\n";
	static const char *const paths[] = { "time", "ok", "timing_ms.total" };
	struct ndj_reader_opts modes[2] = { { 0, 0, 0, 0 }, { 0, 0, 1, 0 } };
	struct ndj_field f[3];
	struct srerr e1, e2;
	size_t m, i;
	int rc1, rc2;


	(void)state;
	for (m = 0; m < 2; m++) {
		struct ndj_reader *a = ndj_reader_new_mem(L(in), NULL, &modes[m], &e1);
		struct ndj_reader *b = ndj_reader_new_mem(L(in), NULL, &modes[m], &e2);
		size_t n = 0;
		jv rec;

		set_paths(f, paths, 3);
		for (;;) {
			rc1 = ndj_next(a, &rec, &e1);
			rc2 = ndj_next_fields(b, f, 3, &e2);
			assert_int_equal(rc1, rc2);
			if (rc1 != 1)
				break;
			n++;
			assert_int_equal(ndj_line(a), ndj_line(b));
			for (i = 0; i < 3; i++) {
				jv v = at_path(rec, paths[i]);

				switch (jv_get_kind(v)) {
				case JV_KIND_INVALID:
					assert_int_equal(f[i].type, NDJ_ABSENT);
					break;
				case JV_KIND_STRING:
					assert_int_equal(f[i].type, NDJ_STRING);
					assert_string_equal(f[i].str, jv_string_value(v));
					break;
				case JV_KIND_NUMBER:
					assert_int_equal(f[i].type, NDJ_NUMBER);
					assert_true(f[i].number == jv_number_value(v));
					break;
				case JV_KIND_TRUE:
				case JV_KIND_FALSE:
					assert_int_equal(f[i].type, NDJ_BOOL);
					assert_int_equal(f[i].boolean, jv_get_kind(v) == JV_KIND_TRUE);
					break;
				case JV_KIND_NULL:
					assert_int_equal(f[i].type, NDJ_NULL);
					break;
				case JV_KIND_OBJECT:
					assert_int_equal(f[i].type, NDJ_OBJECT);
					break;
				default:
					assert_int_equal(f[i].type, NDJ_ARRAY);
					break;
				}
				jv_free(v);
			}
			jv_free(rec);
		}
		assert_int_equal(n, m ? 5 : 4);
		if (rc1 < 0)
			assert_string_equal(e1.msg, e2.msg);
		assert_int_equal(ndj_skipped(a), ndj_skipped(b));
		assert_int_equal(ndj_skipped(b), m ? 2 : 0);
		ndj_reader_free(a);
		ndj_reader_free(b);
	}
}

/* Both calls on one reader, one record each, in any order. */
static void test_fields_and_jv_mixed(void **state)
{
	static const char in[] = "{\"a\":1}\n{\"a\":\"two\"}\n[{\"a\":3},{\"a\":[4]}]\n{\"a\":5}";
	struct ndj_field f[1] = { { "a", NDJ_ABSENT, 0, 0, NULL, 0 } };
	struct srerr e;
	struct ndj_reader *r = ndj_reader_new_mem(L(in), NULL, NULL, &e);
	char buf[64];
	jv rec;

	(void)state;
	assert_int_equal(ndj_next_fields(r, f, 1, &e), 1);
	assert_true(f[0].number == 1);
	assert_int_equal(ndj_next(r, &rec, &e), 1);
	dump(rec, buf, sizeof(buf));
	assert_string_equal(buf, "{\"a\":\"two\"}");
	assert_int_equal(ndj_next_fields(r, f, 1, &e), 1);
	assert_true(f[0].number == 3);
	assert_int_equal(ndj_next(r, &rec, &e), 1);
	dump(rec, buf, sizeof(buf));
	assert_string_equal(buf, "{\"a\":[4]}");
	assert_int_equal(ndj_next_fields(r, f, 1, &e), 1);
	assert_true(f[0].number == 5);
	assert_int_equal(ndj_line(r), 4);
	assert_int_equal(ndj_next(r, &rec, &e), 0);
	ndj_reader_free(r);
}

/* ---- the writer ---- */

static char *written(FILE *fp, char **buf)
{
	assert_int_equal(fclose(fp), 0);
	return *buf;
}

static jv parse(const char *text)
{
	struct srerr e;
	struct ndj_reader *r = ndj_reader_new_mem(text, strlen(text), NULL, NULL, &e);
	jv v;

	assert_non_null(r);
	assert_int_equal(ndj_next(r, &v, &e), 1);
	ndj_reader_free(r);
	return v;
}

static void test_writer_compact(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct ndj_writer w;
	struct srerr e;
	jv rec;

	(void)state;
	ndj_writer_init(&w, fp, 0);
	assert_int_equal(ndj_write(&w, parse("{\"z\":0.1,\"a\":1e-7,\"m\":1e21,\"i\":100,\"f\":2.50,"
					     "\"n\":-0,\"t\":1790000000000}"), &e), 0);
	rec = jv_object_set(jv_object(), jv_string("s"), jv_string("a\x01\x1f\x7f\"\\\n\t\xe2\x80\xa8"));
	assert_int_equal(ndj_write(&w, rec, &e), 0);
	/* invalid UTF-8 never comes out: jq replaces it */
	rec = jv_object_set(jv_object(), jv_string("bad"), jv_string_sized("x\xff\xc0y", 4));
	assert_int_equal(ndj_write(&w, rec, &e), 0);
	rec = jv_object_set(jv_object(), jv_string("nan"), jv_number(0.0 / 0.0));
	assert_int_equal(ndj_write(&w, rec, &e), 0);
	assert_int_equal(ndj_writer_flush(&w, &e), 0);
	assert_string_equal(written(fp, &buf),
			    "{\"z\":0.1,\"a\":1e-07,\"m\":1e+21,\"i\":100,\"f\":2.5,\"n\":-0,\"t\":1790000000000}\n"
			    "{\"s\":\"a\\u0001\\u001f\\u007f\\\"\\\\\\n\\t\xe2\x80\xa8\"}\n"
			    "{\"bad\":\"x\xef\xbf\xbd\xef\xbf\xbdy\"}\n"
			    "{\"nan\":null}\n");
	assert_int_equal(w.err, 0);
	free(buf);
}

static void test_writer_pretty(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct ndj_writer w;
	struct srerr e;

	(void)state;
	ndj_writer_init(&w, fp, NDJ_PRETTY);
	assert_int_equal(ndj_write(&w, parse("{\"a\":[1,{\"b\":null}],\"c\":{},\"d\":[]}"), &e), 0);
	assert_int_equal(ndj_write(&w, parse("{}"), &e), 0);
	assert_string_equal(written(fp, &buf),
			    "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n"
			    "  \"c\": {},\n  \"d\": []\n}\n{}\n");
	free(buf);
}

static void test_writer_flush(void **state)
{
	char path[300], got[64];
	struct ndj_writer w;
	struct srerr e;
	FILE *fp;
	int fd;
	ssize_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.ndjson", tmpdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ndj_writer_init(&w, fp, 0);
	assert_int_equal(ndj_write(&w, parse("{\"a\":1}"), &e), 0);
	assert_int_equal(read(fd, got, sizeof(got)), 0);       /* still buffered */
	w.flags = NDJ_FLUSH;
	assert_int_equal(ndj_write(&w, parse("{\"b\":2}"), &e), 0);
	n = read(fd, got, sizeof(got) - 1);
	assert_int_equal(n, 16);
	got[n] = '\0';
	assert_string_equal(got, "{\"a\":1}\n{\"b\":2}\n");
	close(fd);
	assert_int_equal(fclose(fp), 0);
}

static void test_writer_errors(void **state)
{
	struct ndj_writer w;
	struct srerr e;
	FILE *fp = fopen("/dev/full", "w");
	int i, rc = 0;

	(void)state;
	assert_non_null(fp);
	ndj_writer_init(&w, fp, NDJ_FLUSH);
	assert_int_equal(ndj_write(&w, parse("{\"a\":1}"), &e), -1);
	assert_string_equal(e.code, "io");
	assert_string_equal(e.msg, "cannot write output: No space left on device");
	assert_int_equal(w.err, ENOSPC);
	/* and every write after it; the record is still consumed */
	assert_int_equal(ndj_write(&w, parse("{\"b\":2}"), &e), -1);
	assert_int_equal(ndj_writer_flush(&w, &e), -1);
	fclose(fp);

	/* buffered: the error shows when the buffer goes out, or at the flush */
	fp = fopen("/dev/full", "w");
	assert_non_null(fp);
	ndj_writer_init(&w, fp, 0);
	assert_int_equal(ndj_write(&w, parse("{\"a\":1}"), &e), 0);
	assert_int_equal(ndj_writer_flush(&w, &e), -1);
	assert_int_equal(w.err, ENOSPC);
	fclose(fp);
	fp = fopen("/dev/full", "w");
	ndj_writer_init(&w, fp, 0);
	for (i = 0; i < 10000 && rc == 0; i++)
		rc = ndj_write(&w, parse("{\"a\":\"0123456789\"}"), &e);
	assert_int_equal(rc, -1);
	assert_int_equal(w.err, ENOSPC);
	fclose(fp);

	/* an invalid value is refused (and freed) */
	ndj_writer_init(&w, stdout, 0);
	assert_int_equal(ndj_write(&w, jv_invalid_with_msg(jv_string("boom")), &e), -1);
	assert_string_equal(e.code, "usage");
	assert_int_equal(w.err, 0);
}


/* ---- one value ---- */

static void want_value(const char *text, size_t len, const char *want)
{
	char buf[256];
	struct srerr e;
	jv v;

	srerr_clear(&e);
	if (ndj_parse_value(text, len, 0, &v, &e) != 0)
		fail_msg("ndj_parse_value(%.*s): %s: %s", (int)len, text, e.code, e.msg);
	dump(v, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void want_value_error(const char *text, size_t len, size_t max_depth,
			       const char *code, const char *msg_start)
{
	struct srerr e;
	jv v = jv_number(7);

	srerr_clear(&e);
	assert_int_equal(ndj_parse_value(text, len, max_depth, &v, &e), -1);
	assert_int_equal(jv_get_kind(v), JV_KIND_INVALID);
	assert_string_equal(e.code, code);
	if (strncmp(e.msg, msg_start, strlen(msg_start)))
		fail_msg("'%.*s': message '%s' does not start with '%s'", (int)len, text, e.msg,
			 msg_start);
	assert_null(strchr(e.msg, '\n'));
}

static void test_parse_value_any_type(void **state)
{
	(void)state;
	want_value(L("{\"a\":1}"), "{\"a\":1}");
	want_value(L(" \n[1, [2], {\"b\": null}]\n"), "[1,[2],{\"b\":null}]");
	want_value(L("[]"), "[]");
	want_value(L("0"), "0");
	want_value(L("-1.5e3 "), "-1500");
	want_value(L("\"x\\u00e9\""), "\"xé\"");
	want_value(L("\"\""), "\"\"");
	want_value(L("true"), "true");
	want_value(L("false\n"), "false");
	want_value(L("\tnull"), "null");
	want_value(L("\"\xc3\xa9\""), "\"é\"");
}

static void test_parse_value_is_strict(void **state)
{
	(void)state;
	want_value_error(L("{\"a\":01}"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("01"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("nan"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("NaN"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("[Infinity]"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("+1"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("1."), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("\"a\tb\""), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("\"\xff\""), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("[\"\xc0\xaf\"]"), 0, "parse", "line 1: ");
	want_value_error(L("\"\\ud800\""), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("\xef\xbb\xbf{}"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("[1,]"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("{} // x"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("1e400"), 0, "parse", "line 1: number '1e400' is out of range");
	want_value_error(L("[1e400]"), 0, "parse", "line 1: number '1e400' is out of range");
	want_value_error(L("\n\n{\"a\":\x01}"), 0, "parse", "line 3: invalid JSON: control character 0x01");
	want_value_error(L("{}\0"), 0, "parse", "line 1: invalid JSON: NUL byte");
	want_value_error(L("{\"a\":"), 0, "parse", "line 1: invalid JSON: premature EOF");
}

static void test_parse_value_exactly_one(void **state)
{
	(void)state;
	want_value_error(L(""), 0, "parse", "invalid JSON: no value");
	want_value_error(L(" \n "), 0, "parse", "invalid JSON: no value");
	want_value_error(NULL, 0, 0, "parse", "invalid JSON: no value");
	want_value_error(L("1 2"), 0, "parse", "line 1: invalid JSON: more than one value");
	want_value_error(L("{}\n{}"), 0, "parse", "line 2: invalid JSON: more than one value");
	want_value_error(L("[1][2]"), 0, "parse", "line 1: invalid JSON: more than one value");
	want_value_error(L("\"a\"\"b\""), 0, "parse", "line 1: invalid JSON: more than one value");
	want_value_error(L("{} x"), 0, "parse", "line 1: invalid JSON");
	want_value_error(L("true false"), 0, "parse", "line 1: invalid JSON");
}

static void test_parse_value_limits(void **state)
{
	struct srerr e;
	jv v;

	(void)state;
	want_value(L("[[[1]]]"), "[[[1]]]");
	assert_int_equal(ndj_parse_value(L("[[[1]]]"), 3, &v, &e), 0);
	jv_free(v);
	want_value_error(L("[[[1]]]"), 2, "limit", "line 1: record nested deeper than 2 levels");
	want_value_error(L("{\"a\":{\"b\":{}}}"), 2, "limit", "line 1: record nested deeper");
	/* max_depth beyond NDJ_DEPTH_LIMIT is capped, not refused */
	assert_int_equal(ndj_parse_value(L("[0]"), (size_t)NDJ_DEPTH_LIMIT * 10, &v, &e), 0);
	jv_free(v);
	want_value_error("x", (size_t)NDJ_RECORD_LIMIT + 1, 0, "limit", "JSON text longer than");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndjson_lines),
		cmocka_unit_test(test_concatenated),
		cmocka_unit_test(test_pretty_multiline),
		cmocka_unit_test(test_top_level_array),
		cmocka_unit_test(test_empty_and_blank),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_trailing_data),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_jsontestsuite_invalid),
		cmocka_unit_test(test_jq16_lax_cases),
		cmocka_unit_test(test_utf8_and_surrogates),
		cmocka_unit_test(test_number_range),
		cmocka_unit_test(test_non_objects),
		cmocka_unit_test(test_premature_eof),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_record_limit),
		cmocka_unit_test(test_long_string_from_file),
		cmocka_unit_test(test_buffer_stays_small),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_lenient_skip_and_count),
		cmocka_unit_test(test_lenient_keeps_first_warnings),
		cmocka_unit_test(test_lenient_torn_lines),
		cmocka_unit_test(test_lenient_no_rereading),
		cmocka_unit_test(test_strict_error_sticks),
		cmocka_unit_test(test_read_size_invisible),
		cmocka_unit_test(test_several_files),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_file_pointer),
		cmocka_unit_test(test_fields_probe),
		cmocka_unit_test(test_fields_kinds),
		cmocka_unit_test(test_fields_bad_paths),
		cmocka_unit_test(test_fields_match_jv),
		cmocka_unit_test(test_fields_and_jv_mixed),
		cmocka_unit_test(test_writer_compact),
		cmocka_unit_test(test_writer_pretty),
		cmocka_unit_test(test_writer_flush),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_parse_value_any_type),
		cmocka_unit_test(test_parse_value_is_strict),
		cmocka_unit_test(test_parse_value_exactly_one),
		cmocka_unit_test(test_parse_value_limits),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
