#ifndef SRETOOLS_SRERR_H
#define SRETOOLS_SRERR_H
/*
 * The error every src/lib function fills instead of printing: a message in git's style
 * (lowercase, no final period, the subject quoted) and a stable machine code, which
 * commands copy into a record's "error": {"code", "message"}.  Functions return -1
 * (or NULL) and fill *e; e may be NULL when the caller does not care why.
 */
#include <stddef.h>

#define SRERR_MSG_MAX 512

struct srerr {
	char code[48];             /* stable machine code, e.g. "parse", "io", "limit" */
	char msg[SRERR_MSG_MAX];   /* one line, no trailing newline */
};

void srerr_clear(struct srerr *e);
void srerr_set(struct srerr *e, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend "prefix: " to the message already in e (e.g. a file name and line). */
void srerr_prefix(struct srerr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Copy text into buf (size bytes) for quoting in a message: whole if it fits, else cut
 * on a UTF-8 boundary and ended with "...", so that a long subject keeps the message
 * one short line.  size must be at least 4.
 */
void srerr_shorten(const char *text, char *buf, size_t size);

#endif
