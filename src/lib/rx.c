#define PCRE2_CODE_UNIT_WIDTH 8
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcre2.h>

#include "rx.h"
#include "banned.h"

#define RX_SHOWN_MAX 120  /* bytes of a pattern quoted in a message */

struct rx {
	pcre2_code *code;
	pcre2_match_context *mctx;
	pcre2_match_data *mdata;
	pcre2_jit_stack *jit_stack;  /* NULL when matched by the interpreter */
	char *pattern;
	char shown[RX_SHOWN_MAX + 4];
};

static int set_limits(struct rx *r)
{
	r->mctx = pcre2_match_context_create(NULL);
	if (!r->mctx)
		return -1;
	pcre2_set_match_limit(r->mctx, RX_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, RX_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mctx, RX_HEAP_LIMIT_KIB);
	return 0;
}

/*
 * JIT where PCRE2 has it.  Failure to JIT-compile (no JIT on this CPU or build, or
 * not enough executable memory) is not an error: the interpreter does the same job.
 */
static int try_jit(struct rx *r)
{
	if (pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) != 0)
		return 0;
	r->jit_stack = pcre2_jit_stack_create(RX_JIT_STACK_START, RX_JIT_STACK_MAX, NULL);
	if (!r->jit_stack)
		return -1;
	pcre2_jit_stack_assign(r->mctx, NULL, r->jit_stack);
	return 0;
}

static uint32_t compile_options(unsigned flags)
{
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;

	if (flags & RX_CASELESS)
		opts |= PCRE2_CASELESS;
	if (flags & RX_MULTILINE)
		opts |= PCRE2_MULTILINE;
	if (flags & RX_DOTALL)
		opts |= PCRE2_DOTALL;
	return opts;
}

static int compile_code(struct rx *r, unsigned flags, struct srerr *e)
{
	PCRE2_UCHAR why[256];
	PCRE2_SIZE offset = 0;
	int err = 0;

	r->code = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED,
				compile_options(flags), &err, &offset, NULL);
	if (r->code)
		return 0;
	if (pcre2_get_error_message(err, why, sizeof(why)) < 0)
		snprintf((char *)why, sizeof(why), "error %d", err);
	srerr_set(e, "regex", "invalid regex '%s': %s at offset %zu", r->shown,
		  (const char *)why, (size_t)offset);
	return -1;
}

static int check_pattern(const char *pattern, unsigned flags, struct srerr *e)
{
	char shown[RX_SHOWN_MAX + 4];

	if (!pattern) {
		srerr_set(e, "regex", "invalid regex: no pattern");
		return -1;
	}
	srerr_shorten(pattern, shown, sizeof(shown));
	if (flags & ~(RX_CASELESS | RX_MULTILINE | RX_DOTALL)) {
		srerr_set(e, "regex", "invalid regex '%s': unknown flags 0x%x", shown,
			  flags & ~(RX_CASELESS | RX_MULTILINE | RX_DOTALL));
		return -1;
	}
	if (strlen(pattern) > RX_PATTERN_MAX) {
		srerr_set(e, "regex", "invalid regex '%s': longer than %u bytes", shown,
			  RX_PATTERN_MAX);
		return -1;
	}
	return 0;
}

struct rx *rx_compile(const char *pattern, unsigned flags, struct srerr *e)
{
	struct rx *r;

	if (check_pattern(pattern, flags, e) < 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->pattern = strdup(pattern))) {
		free(r);
		srerr_set(e, "nomem", "cannot compile regex: out of memory");
		return NULL;
	}
	srerr_shorten(pattern, r->shown, sizeof(r->shown));
	if (compile_code(r, flags, e) < 0) {
		rx_free(r);
		return NULL;
	}
	if (set_limits(r) < 0 || try_jit(r) < 0 ||
	    !(r->mdata = pcre2_match_data_create_from_pattern(r->code, NULL))) {
		srerr_set(e, "nomem", "cannot compile regex '%s': out of memory", r->shown);
		rx_free(r);
		return NULL;
	}
	return r;
}

void rx_free(struct rx *r)
{
	if (!r)
		return;
	pcre2_match_data_free(r->mdata);
	pcre2_jit_stack_free(r->jit_stack);
	pcre2_match_context_free(r->mctx);
	pcre2_code_free(r->code);
	free(r->pattern);
	free(r);
}

const char *rx_pattern(const struct rx *r)
{
	return r->pattern;
}

int rx_uses_jit(const struct rx *r)
{
	size_t jit_size = 0;

	return pcre2_pattern_info(r->code, PCRE2_INFO_JITSIZE, &jit_size) == 0 &&
	       jit_size > 0;
}

static int is_limit(int rc)
{
	return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	       rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

/* Runs the match; returns pcre2_match's count of set pairs (> 0), 0 or -1. */
static int run_match(struct rx *r, const char *subject, size_t len, struct srerr *e)
{
	PCRE2_UCHAR why[256];
	int rc;

	rc = pcre2_match(r->code, (PCRE2_SPTR)(subject ? subject : ""), len, 0, 0,
			 r->mdata, r->mctx);
	if (rc > 0)
		return rc;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (pcre2_get_error_message(rc, why, sizeof(why)) < 0)
		snprintf((char *)why, sizeof(why), "error %d", rc);
	if (is_limit(rc))
		srerr_set(e, "limit", "regex '%s' gave no verdict: %s", r->shown,
			  (const char *)why);
	else
		srerr_set(e, "regex", "matching regex '%s' failed: %s", r->shown,
			  (const char *)why);
	return -1;
}

int rx_match(struct rx *r, const char *subject, size_t len, struct srerr *e)
{
	int rc = run_match(r, subject, len, e);

	return rc > 0 ? 1 : rc;
}

int rx_match_span(struct rx *r, const char *subject, size_t len,
		  size_t *start, size_t *end, struct srerr *e)
{
	PCRE2_SIZE *ov;
	int rc = run_match(r, subject, len, e);

	if (rc <= 0)
		return rc;
	ov = pcre2_get_ovector_pointer(r->mdata);
	*start = ov[0];
	*end = ov[1];
	return 1;
}

/* The value of group n after a match that set rc pairs: a string, or null if unset. */
static jv group_value(struct rx *r, const char *subject, int rc, uint32_t n)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->mdata);
	PCRE2_SIZE from, to;

	if (n >= (uint32_t)rc || ov[2 * n] == PCRE2_UNSET)
		return jv_null();
	from = ov[2 * n];
	to = ov[2 * n + 1];
	if (to < from || to - from > INT_MAX)
		return jv_null();  /* \K games or a group jv cannot hold */
	return jv_string_sized(subject + from, (int)(to - from));
}

static jv named_groups(struct rx *r, const char *subject, int rc, uint32_t count)
{
	PCRE2_SPTR table;
	uint32_t entry_size, i;
	jv obj = jv_object();

	pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table);
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
	for (i = 0; i < count; i++, table += entry_size) {
		uint32_t n = ((uint32_t)table[0] << 8) | table[1];

		obj = jv_object_set(obj, jv_string((const char *)table + 2),
				    group_value(r, subject, rc, n));
	}
	return obj;
}

static jv numbered_groups(struct rx *r, const char *subject, int rc)
{
	uint32_t count = 0, n;
	char key[16];
	jv obj = jv_object();

	pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &count);
	for (n = 1; n <= count; n++) {
		snprintf(key, sizeof(key), "%u", n);
		obj = jv_object_set(obj, jv_string(key), group_value(r, subject, rc, n));
	}
	return obj;
}

int rx_groups(struct rx *r, const char *subject, size_t len, jv *out,
	      struct srerr *e)
{
	uint32_t names = 0;
	int rc = run_match(r, subject, len, e);

	*out = jv_invalid();
	if (rc <= 0)
		return rc;
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &names);
	if (names > 0)
		*out = named_groups(r, subject, rc, names);
	else
		*out = numbered_groups(r, subject, rc);
	return 1;
}
