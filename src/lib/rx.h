#ifndef SRETOOLS_RX_H
#define SRETOOLS_RX_H
/*
 * Regular expressions over untrusted text: PCRE2 (UTF-8) with hard limits, so that a
 * pattern that backtracks catastrophically on some input gives a reported "no
 * verdict" (code "limit") instead of a hang.
 *
 * Patterns are compiled with PCRE2_UTF | PCRE2_MATCH_INVALID_UTF: the pattern must be
 * valid UTF-8, the subject need not be (an invalid sequence simply matches nothing,
 * not even "."), and \C is refused.  Subjects are a pointer and a length, so they may
 * contain NUL bytes.  Every match runs with a match limit of RX_MATCH_LIMIT, a depth
 * limit of RX_DEPTH_LIMIT and a heap limit of RX_HEAP_LIMIT_KIB; the pattern is
 * JIT-compiled where PCRE2 supports it, with its own JIT stack of at most
 * RX_JIT_STACK_MAX bytes, and matched by the interpreter otherwise (or when the
 * pattern starts with (*NO_JIT)).  A pattern's own (*LIMIT_MATCH=n) and friends can
 * only lower these limits.
 *
 * A struct rx holds its match data, so one compiled pattern must not be used by two
 * threads at once.
 */
#include <stddef.h>
#include <jv.h>

#include "srerr.h"

/* rx_compile flags */
#define RX_CASELESS  0x1u  /* case-insensitive (Unicode case folding) */
#define RX_MULTILINE 0x2u  /* ^ and $ also match at newlines inside the subject */
#define RX_DOTALL    0x4u  /* . also matches a newline */

#define RX_PATTERN_MAX    4096u      /* longest pattern accepted, in bytes */
#define RX_MATCH_LIMIT    1000000u   /* pcre2_set_match_limit */
#define RX_DEPTH_LIMIT    10000u     /* pcre2_set_depth_limit (interpreter only) */
#define RX_HEAP_LIMIT_KIB 16384u     /* pcre2_set_heap_limit: 16 MiB (interpreter only) */
#define RX_JIT_STACK_START (32u * 1024)
#define RX_JIT_STACK_MAX   (1024u * 1024)

struct rx;

/*
 * Compile pattern (a NUL-terminated string; write a NUL to match as \x00) with the
 * RX_* flags.  Returns the compiled pattern, to be freed with rx_free, or NULL with e
 * filled: code "regex" and a message naming the pattern and the offset, e.g.
 * "invalid regex '(a': missing closing parenthesis at offset 2".  An unknown flag
 * bit is an error too.
 */
struct rx *rx_compile(const char *pattern, unsigned flags, struct srerr *e);

/* Free r and everything it owns; r may be NULL. */
void rx_free(struct rx *r);

/* The pattern r was compiled from (owned by r). */
const char *rx_pattern(const struct rx *r);

/* 1 when r is matched by PCRE2's JIT, 0 when by the interpreter. */
int rx_uses_jit(const struct rx *r);

/*
 * Look for r anywhere in subject[0..len).  Returns 1 on a match, 0 on none, -1 on an
 * error with e filled: code "limit" when a match, depth, heap or JIT stack limit was
 * hit (no verdict: the subject may or may not match), code "regex" for anything else.
 * subject may be NULL when len is 0.
 */
int rx_match(struct rx *r, const char *subject, size_t len, struct srerr *e);

/*
 * As rx_match; on a match also stores the byte offsets of the whole match in
 * *start and *end (subject + *start up to, not including, subject + *end).  The
 * offsets are left alone when there is no match or an error.
 */
int rx_match_span(struct rx *r, const char *subject, size_t len,
		  size_t *start, size_t *end, struct srerr *e);

/*
 * As rx_match; on a match sets *out to a new jv object (owned by the caller) holding
 * the capture groups: every named group under its name, or, when the pattern has no
 * named groups, every numbered group under "1", "2", ...  A group that did not take
 * part in the match is null; the other values are strings (always valid UTF-8, since
 * an invalid byte never takes part in a match).  The whole match is not included
 * (rx_match_span gives it).  On no match and on error *out is jv_invalid(), which needs no freeing.
 */
int rx_groups(struct rx *r, const char *subject, size_t len, jv *out,
	      struct srerr *e);

#endif
