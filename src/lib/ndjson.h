#ifndef SRETOOLS_NDJSON_H
#define SRETOOLS_NDJSON_H
/*
 * The record stream between sretools commands: a strict reader and a writer.
 *
 * Reading.  A reader goes through a list of files (no paths, or "-", mean stdin),
 * a FILE* or a memory buffer, and yields one record per call:
 *
 *	struct ndj_reader *r = ndj_reader_new(paths, npaths, NULL, &e);
 *	jv rec;
 *	while ((rc = ndj_next(r, &rec, &e)) == 1) {
 *		... use rec, then jv_free(rec) ...
 *	}
 *	if (rc < 0) ... e.msg is "FILE:LINE: problem" ...
 *	ndj_reader_free(r);
 *
 * It accepts NDJSON, concatenated JSON (also pretty-printed objects one after
 * another) and top-level arrays, which are read as their elements.  Every record must
 * be an object.  Each file is its own stream: a record never continues into the next
 * file, and line numbers restart at 1.
 *
 * The reader is strict, unlike jq 1.6's own parser: yajl 2 checks the grammar and
 * UTF-8, and this module adds what yajl lets through (form feed and vertical tab as
 * whitespace, overlong or surrogate UTF-8, unpaired \u surrogates) and its limits.
 * Rejected: NaN, Infinity, leading zeros, "+1", "1.", ".5", raw control characters in
 * strings, NUL bytes anywhere, a byte order mark, comments, trailing commas, invalid or
 * overlong UTF-8, unpaired surrogates, numbers beyond the range of a double (1e400;
 * a number too small, like 1e-400, becomes 0), records that are not objects, records
 * longer than max_record bytes and nesting deeper than max_depth.  Memory stays bounded
 * by max_record, whatever the input.  Numbers are doubles, as in jq 1.6; when an object
 * repeats a key, the last value wins (as jq does).
 *
 * Errors.  Messages read "FILE:LINE: problem" ("<stdin>" for stdin), with these codes:
 *	parse	malformed JSON ("invalid JSON: " and yajl's one-line reason), a NUL byte,
 *		a control character outside a string, an unpaired surrogate, invalid UTF-8,
 *		a number out of range, a record that is not an object
 *	limit	a record longer than max_record bytes, nesting deeper than max_depth
 *	io	a file that cannot be opened or read (the message names the file)
 *	usage	invalid options or field paths;  oom  out of memory
 *	internal	a consistency check of this module failed (a bug; never expected)
 * LINE is the line of the offending byte, except for "record is not an object",
 * "record longer than" and "premature EOF", which give the line where the record starts.
 *
 * Strict mode (the default): the first error ends the reader; every later call
 * returns -1 with the same error.  Lenient mode: a bad record is skipped and counted
 * (ndj_skipped), the first NDJ_WARNINGS errors are kept (ndj_warning), and reading goes
 * on.  A record that is well-formed JSON but unusable (not an object, invalid UTF-8 or
 * a number out of range inside it) is skipped exactly.  After malformed JSON, or a
 * limit, reading resumes at the next line, or at the start of the line holding the
 * error when that line begins with '{' and the bad record began on an earlier line
 * (the usual shape of a record cut short by a crashed writer); that line's start
 * must still be at hand, which it always is from memory and otherwise for lines
 * shorter than half a read (32 KiB).  Resuming is line based, so it fits NDJSON best;
 * inside a top-level array it resumes outside the array.  I/O errors and out of memory
 * always end the reader.
 *
 * Projection.  For hot loops that need a few fields, ndj_next_fields extracts them
 * from the same event stream (same strictness, same errors) without building jv values.
 * Both calls may be mixed on one reader: each call reads the next record.
 *
 * Writing.  ndj_write prints one compact object per line, LF-terminated, as
 * jq -c does (numbers in jq 1.6's shortest form: 0.1, 1e-07, 1e+21; control characters
 * escaped; never invalid UTF-8), or indented by two spaces with NDJ_PRETTY (-o json).
 */
#include <stddef.h>
#include <stdio.h>
#include <jv.h>

#include "srerr.h"

#define NDJ_MAX_RECORD (16u << 20)     /* default max_record: 16 MiB */
#define NDJ_MAX_DEPTH 512              /* default max_depth */
#define NDJ_DEPTH_LIMIT 4096           /* the largest max_depth accepted */
#define NDJ_RECORD_LIMIT (1u << 30)    /* the largest max_record accepted: 1 GiB */
#define NDJ_MAX_FIELDS 64              /* fields per ndj_next_fields call */
#define NDJ_WARNINGS 10                /* lenient-mode errors kept for the caller */

struct ndj_reader_opts {
	size_t max_record;   /* longest record in bytes (whitespace inside it counts); 0: default */
	unsigned max_depth;  /* deepest nesting inside a record ({} is 1); 0: default */
	int lenient;         /* skip and count bad records instead of stopping */
	size_t chunk;        /* bytes per read; 0: 64 KiB (from memory: all at once).
				Tests use tiny values; see lenient mode for its one effect */
};

struct ndj_reader;

/*
 * A reader over the files paths[0..npaths-1], opened one after another when reading
 * reaches them (so a missing file is reported, code "io", by the ndj_next call that
 * reaches it).  npaths 0, or a path "-", reads stdin (named "<stdin>").  The paths are
 * copied.  opts may be NULL for the defaults.  Returns NULL and e on invalid options
 * or out of memory.  Free with ndj_reader_free.
 */
struct ndj_reader *ndj_reader_new(const char *const *paths, size_t npaths,
				  const struct ndj_reader_opts *opts, struct srerr *e);

/*
 * A reader over an open stream (not closed by the reader), named name in messages
 * (NULL: "<input>").  Reading stops at each newline, so records piped in are seen as
 * soon as their line arrives.
 */
struct ndj_reader *ndj_reader_new_fp(FILE *fp, const char *name,
				     const struct ndj_reader_opts *opts, struct srerr *e);

/* A reader over len bytes at data, which must stay valid until ndj_reader_free. */
struct ndj_reader *ndj_reader_new_mem(const void *data, size_t len, const char *name,
				      const struct ndj_reader_opts *opts, struct srerr *e);

/*
 * The next record.  Returns 1 and stores it in *out (the caller owns it and frees it
 * with jv_free); 0 at the end of the input; -1 and e on an error.  On 0 and -1, *out is
 * jv_invalid() (nothing to free).
 */
int ndj_next(struct ndj_reader *r, jv *out, struct srerr *e);

enum ndj_type {
	NDJ_ABSENT = 0,  /* no such field, or a path through something that is not an object */
	NDJ_NULL,
	NDJ_BOOL,        /* the value is in .boolean */
	NDJ_NUMBER,      /* in .number */
	NDJ_STRING,      /* in .str and .len */
	NDJ_OBJECT,      /* present, an object: its content is not extracted */
	NDJ_ARRAY,       /* present, an array: its content is not extracted */
};

struct ndj_field {
	const char *path;      /* in: dotted path, "ok" or "timing_ms.total" (keys with a
				  '.' cannot be named; arrays are not indexed) */
	enum ndj_type type;    /* out */
	int boolean;           /* out, NDJ_BOOL: 0 or 1 */
	double number;         /* out, NDJ_NUMBER */
	const char *str;       /* out, NDJ_STRING: UTF-8 and a NUL, owned by the reader and
				  valid until the next call on it */
	size_t len;            /* out, NDJ_STRING: bytes before the NUL (\u0000 may put NULs
				  inside) */
};

/*
 * The next record, projected: fills the outputs of fields[0..nfields-1] (at most
 * NDJ_MAX_FIELDS) from it and builds no jv.  Returns 1, 0 at the end, -1 and e on an
 * error, exactly as ndj_next does for the same input (the outputs are then
 * unspecified).  A field whose value is an object or an array is reported as present
 * with that type, without its content; a path through anything but an object is
 * absent.  A path that is empty or has an empty segment ("a..b") is an error (code
 * "usage") that leaves the reader usable.  Paths are compiled once and reused while
 * the calls pass the same paths.
 */
int ndj_next_fields(struct ndj_reader *r, struct ndj_field *fields, size_t nfields,
		    struct srerr *e);

/*
 * Where the last record returned (or the last error) came from: the file's name
 * ("<stdin>" for stdin) and the line where the record starts (where the error is),
 * for messages about a record's content.  Before the first record: the first file, 0.
 */
const char *ndj_file(const struct ndj_reader *r);
size_t ndj_line(const struct ndj_reader *r);

/* Lenient mode: how many bad records were skipped so far. */
size_t ndj_skipped(const struct ndj_reader *r);

/*
 * Lenient mode: the i-th error skipped, i < min(ndj_skipped, NDJ_WARNINGS), as
 * "FILE:LINE: problem" with its code; NULL beyond.  Owned by the reader.
 */
const struct srerr *ndj_warning(const struct ndj_reader *r, size_t i);

/* Free r and everything it owns (closes the files it opened); NULL is fine. */
void ndj_reader_free(struct ndj_reader *r);

/*
 * Parse exactly one JSON value of any type (object, array or scalar) from len bytes
 * at data, with only whitespace around it, under the reader's strictness (NaN,
 * leading zeros, raw control characters, invalid UTF-8, a BOM ... are rejected).
 * Nesting deeper than max_depth (0: NDJ_MAX_DEPTH; capped at NDJ_DEPTH_LIMIT) and
 * texts longer than NDJ_RECORD_LIMIT are errors (code "limit").  Returns 0 with *out
 * set (the caller owns it), or -1 with *out jv_invalid() and e: code "parse" for
 * malformed JSON, no value or more than one value, messages like
 * "line 3: invalid JSON: ..."; "limit"; "oom".
 */
int ndj_parse_value(const void *data, size_t len, size_t max_depth, jv *out,
		    struct srerr *e);

#define NDJ_PRETTY 1u   /* indent by two spaces, as jq does (-o json) */
#define NDJ_FLUSH  2u   /* fflush after every record (streaming modes) */

struct ndj_writer {
	FILE *fp;
	unsigned flags;
	int err;        /* errno of the first write error (EPIPE, ENOSPC, ...), 0 if none */
};

/* Set up w to write to fp (not closed by the writer) with NDJ_* flags. */
void ndj_writer_init(struct ndj_writer *w, FILE *fp, unsigned flags);

/*
 * Write record (any valid jv, by the stream contract an object) and a newline; flush
 * if NDJ_FLUSH.  Consumes record.  Returns 0, or -1 and e (code "io", w->err set) when
 * writing fails; after a failure every call fails the same way.  An invalid jv is
 * an error (code "usage").
 */
int ndj_write(struct ndj_writer *w, jv record, struct srerr *e);

/* fflush the stream, to see a write error that buffering delayed.  Returns 0 or -1. */
int ndj_writer_flush(struct ndj_writer *w, struct srerr *e);

#endif
