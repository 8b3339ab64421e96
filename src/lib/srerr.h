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

#endif
