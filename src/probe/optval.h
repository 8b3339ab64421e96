#ifndef PROBE_OPTVAL_H
#define PROBE_OPTVAL_H
/*
 * Values of probe's options, parsed the same way from the command line and from
 * -f spec files.  Each returns 0, or -1 and e (code "usage") with a message naming
 * what (the option or field, e.g. "--timeout" or "timeout") and the value.
 */
#include <stddef.h>
#include <stdint.h>
#include <jv.h>

#include "srerr.h"

/* A duration ("250ms", "5s", "1m30s") greater than zero, into *ms. */
int optval_duration(const char *what, const char *s, int64_t *ms, struct srerr *e);

/* A duration from a spec: a string as above, or a number of seconds.  Borrows v. */
int optval_duration_jv(const char *what, jv v, int64_t *ms, struct srerr *e);

/* A whole number in [min, max] into *out. */
int optval_long(const char *what, const char *s, long min, long max, long *out,
		struct srerr *e);

/* A byte count: a number with an optional binary suffix k, m or g (KiB, MiB, GiB;
   "KiB" etc. accepted too), at least 1, at most 1 GiB. */
int optval_size(const char *what, const char *s, size_t *out, struct srerr *e);

/* A number of days, >= 0 (fractions allowed: "0.5"). */
int optval_days(const char *what, const char *s, double *out, struct srerr *e);

#endif
