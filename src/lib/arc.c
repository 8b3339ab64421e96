#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "arc.h"
#include "banned.h"

#define SRC_BLOCK (1u << 20)       /* raw reads from the file */
#define GZ_OUT (256u << 10)        /* inflated bytes per block */
#define TAIL_MAX (16u << 10)       /* delivered bytes kept for the end-of-archive checks */
#define RATIO_FLOOR (1u << 20)     /* entry bytes before the ratio cap is judged */
#define ZEROS_LEN (64u << 10)
#define ZIP_EOCD_LEN 22
#define ZIP_TAIL_MAX ((64u << 10) + ZIP_EOCD_LEN)
#define SEVENZIP_START_LEN 32

static const unsigned char zeros[ZEROS_LEN];

/* ---- the reader's pieces ---------------------------------------------------------- */

/* The archive file (or buffer), read in blocks; every byte goes through the tap once. */
struct src {
	int fd;                         /* -1 for a memory buffer */
	const unsigned char *mem;
	uint64_t size;
	uint64_t pos;                   /* next read of the format reader (direct mode) */
	uint64_t hiwater;               /* end of the furthest read */
	uint64_t tapped;                /* the file prefix the tap has seen */
	unsigned char *buf;
	arc_tap_fn tap;
	void *tap_arg;
};

/*
 * A byte stream: the file itself, or a decompressor over the stream below it.  The
 * last block delivered stays valid until the next read, and the bytes before it are
 * kept in tail, so that what the consumer left unread at its end can be checked.
 */
enum layer_kind { LAYER_SRC, LAYER_GZIP, LAYER_LIB };
enum gz_state { GZ_MEMBER, GZ_BETWEEN, GZ_ZEROS, GZ_DONE };

struct layer {
	enum layer_kind kind;
	struct arc_reader *r;
	struct layer *below;
	const unsigned char *blk;
	size_t blen;
	uint64_t out_total;             /* bytes delivered so far */
	unsigned char tail[TAIL_MAX];   /* the bytes just before blk */
	size_t tail_len;
	int eof;
	int replay;                     /* deliver blk once more (after a peek) */
	/* LAYER_GZIP */
	z_stream z;
	gz_header gzh;
	int z_ready;
	enum gz_state gz;
	int below_eof;
	uint64_t members;
	unsigned char *out;
	/* LAYER_LIB: libarchive's bzip2, xz, zstd and lz4 filters under its raw format */
	struct archive *a;
	int lib_filters;
};

enum rd_state { RD_HEADER, RD_DATA, RD_END, RD_CHECKED };
enum fmt_family { FAM_NONE, FAM_TAR, FAM_CPIO, FAM_ZIP, FAM_7ZIP };

struct arc_reader {
	char *name;
	struct src src;
	struct layer *layers[ARC_MAX_FILTERS + 1];   /* [0] is the file */
	int nlayers;
	const char *filters[ARC_MAX_FILTERS];
	size_t nfilters;
	struct archive *a;              /* the format reader */
	int direct;                     /* no filter: the format reader reads the file */
	int top_eof;                    /* the format reader asked for more and got none */
	int empty_input;
	enum rd_state state;
	int failed;
	struct srerr err;               /* the first error; every later call repeats it */
	struct arc_limits lim;
	uint64_t entries, data_bytes;
	/* the current entry */
	struct archive_entry *ae;
	struct arc_entry ent;
	uint64_t doff;                  /* data offset reached, holes included */
	uint64_t hole;                  /* zeros still to deliver before pend */
	const void *pend;
	size_t pend_len;
	int sparse;
	int want_sum;                   /* cpio (crc): the header's sum of the data bytes */
	uint32_t expect_sum, sum;
	/* the format, and where the format reader stopped */
	enum fmt_family family;
	const char *fmt_name;
	int fmt_rank;
	uint64_t entry_end_pos;         /* stream position after the last entry's data */
	uint64_t end_pos;               /* stream position where the format reader ended */
	int tail_state;                 /* tar: 0 end marker, 1 lone zero block, 2 none */
};

/* ---- errors ------------------------------------------------------------------------ */

/* Record the reader's first error ("'NAME': message") and finish the reader. */
__attribute__((format(printf, 3, 4)))
static int fail(struct arc_reader *r, const char *code, const char *fmt, ...)
{
	char msg[SRERR_MSG_MAX];
	va_list ap;

	if (r->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	srerr_set(&r->err, code, "'%s': %s", r->name, msg);
	r->failed = 1;
	return -1;
}

static int fail_oom(struct arc_reader *r)
{
	return fail(r, "oom", "out of memory");
}

/* Copy the reader's error into e; returns -1 for the caller to return. */
static int report(const struct arc_reader *r, struct srerr *e)
{
	if (e)
		*e = r->err;
	return -1;
}

static int contains(const char *s, const char *word)
{
	return s && strstr(s, word) != NULL;
}

/* The code of a libarchive error message (its texts are the only detail it gives). */
static const char *classify(const char *msg, int at_eof)
{
	if (contains(msg, "Unrecognized archive format") || contains(msg, "ncrypt") ||
	    contains(msg, "assphrase") || contains(msg, "nsupported") ||
	    contains(msg, "not supported"))
		return "format";
	if (contains(msg, "CRC") || contains(msg, "crc") || contains(msg, "checksum"))
		return "crc";
	if (contains(msg, "runcated") || contains(msg, "remature") ||
	    contains(msg, "No progress is possible"))
		return "truncated";
	if (at_eof && (!msg || contains(msg, "decompression failed")))
		return "truncated";
	return "corrupt";
}

static int layer_read_all(struct arc_reader *r);
static int starts_like_tar(struct arc_reader *r);

/* Fail with libarchive's error on a (unless a callback already failed the reader).
 * When the format reader fails over compressed data, the decoders are read to their
 * end first: damaged compressed data often decodes to garbage before its checksum is
 * reached, and then the checksum error is the real cause. */
static int fail_archive(struct arc_reader *r, struct archive *a, const char *path, int at_eof)
{
	char msgbuf[SRERR_MSG_MAX];
	int tarlike;
	const char *msg = archive_error_string(a);
	const char *code = classify(msg, at_eof);

	if (a == r->a && !strcmp(code, "format") && (tarlike = starts_like_tar(r)) > 0) {
		code = tarlike == 2 ? "truncated" : "corrupt";
		msg = tarlike == 2 ? "the archive ends inside its first tar header"
				   : "damaged tar header at the start of the archive";
	}
	if (msg && a == r->a && r->nlayers > 1 && !r->failed) {
		snprintf(msgbuf, sizeof(msgbuf), "%s", msg);
		msg = msgbuf;
		if (layer_read_all(r) < 0)
			return -1;
	}
	if (!msg)
		msg = !strcmp(code, "truncated") ? "unexpected end of data" : "damaged data";
	if (path)
		return fail(r, code, "'%s': %s", path, msg);
	return fail(r, code, "%s", msg);
}

/* ---- the file ---------------------------------------------------------------------- */

static int is_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static ssize_t pread_full(int fd, unsigned char *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, (off_t)(off + got));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Give the tap the part of [off, off+n) that extends the prefix it has seen. */
static void tap_update(struct src *s, uint64_t off, const unsigned char *p, size_t n)
{
	if (off + n > s->hiwater)
		s->hiwater = off + n;
	if (off > s->tapped || off + n <= s->tapped)
		return;
	if (s->tap)
		s->tap(s->tap_arg, p + (s->tapped - off), (size_t)(off + n - s->tapped));
	s->tapped = off + n;
}

/* Up to SRC_BLOCK bytes of the file at off: their count (0 at the end), or -1. */
static ssize_t src_read_at(struct arc_reader *r, uint64_t off, const unsigned char **p)
{
	struct src *s = &r->src;
	size_t want;

	*p = NULL;
	if (off >= s->size)
		return 0;
	want = s->size - off < SRC_BLOCK ? (size_t)(s->size - off) : SRC_BLOCK;
	if (s->mem) {
		*p = s->mem + off;
	} else {
		ssize_t n = pread_full(s->fd, s->buf, want, off);

		if (n < 0)
			return fail(r, "io", "cannot read: %s", strerror(errno));
		if ((size_t)n < want)
			return fail(r, "io", "the file shrank while being read");
		*p = s->buf;
	}
	tap_update(s, off, *p, want);
	return (ssize_t)want;
}

/*
 * Copy len bytes of the file at off into out; -1 on a read error or a short file.
 * Reads straight into out: the block buffer may still be in use by a decoder or the
 * format reader, and these out-of-order looks need no tap (it catches up at the end).
 */
static int src_copy(struct arc_reader *r, uint64_t off, void *out, size_t len)
{
	const struct src *s = &r->src;
	ssize_t n;

	if (off > s->size || len > s->size - off)
		return -1;
	if (s->mem) {
		memcpy(out, s->mem + off, len);
		return 0;
	}
	n = pread_full(s->fd, out, len, off);
	if (n < 0)
		return fail(r, "io", "cannot read: %s", strerror(errno));
	return (size_t)n == len ? 0 : -1;
}

/* 1 when everything in the file from off to its end is zero, 0 if not, -1 on error. */
static int src_rest_zero(struct arc_reader *r, uint64_t off)
{
	for (;;) {
		const unsigned char *p;
		ssize_t n = src_read_at(r, off, &p);

		if (n <= 0)
			return n < 0 ? -1 : 1;
		if (!is_zero(p, (size_t)n))
			return 0;
		off += (uint64_t)n;
	}
}

/* Let the tap see the rest of the file it has not seen yet. */
static int src_tap_rest(struct arc_reader *r)
{
	while (r->src.tapped < r->src.size) {
		const unsigned char *p;

		if (src_read_at(r, r->src.tapped, &p) <= 0)
			return -1;
	}
	return 0;
}

/* ---- layers -------------------------------------------------------------------------- */

static int layer_read(struct layer *l, const unsigned char **p, size_t *n);
static int over_ratio(const struct arc_reader *r, uint64_t bytes, double max_ratio);

/* Keep the last TAIL_MAX bytes delivered before the block about to be replaced. */
static void keep_tail(struct layer *l)
{
	size_t keep;

	if (l->blen >= TAIL_MAX) {
		memcpy(l->tail, l->blk + l->blen - TAIL_MAX, TAIL_MAX);
		l->tail_len = TAIL_MAX;
		return;
	}
	keep = l->tail_len < TAIL_MAX - l->blen ? l->tail_len : TAIL_MAX - l->blen;
	memmove(l->tail, l->tail + l->tail_len - keep, keep);
	if (l->blen)
		memcpy(l->tail + keep, l->blk, l->blen);
	l->tail_len = keep + l->blen;
}

static int src_next(struct layer *l, const unsigned char **p, size_t *n)
{
	ssize_t k = src_read_at(l->r, l->out_total, p);

	if (k < 0)
		return -1;
	*n = (size_t)k;
	return k > 0;
}

/* Start a gzip member: zlib parses (and checks) its header itself. */
static int gz_member_start(struct layer *l)
{
	if (inflateReset(&l->z) != Z_OK)
		return fail(l->r, "corrupt", "gzip: cannot reset the decoder");
	memset(&l->gzh, 0, sizeof(l->gzh));
	inflateGetHeader(&l->z, &l->gzh);
	l->gz = GZ_MEMBER;
	return 0;
}

static int gz_fill(struct layer *l)
{
	const unsigned char *p;
	size_t n;
	int rc = layer_read(l->below, &p, &n);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		l->below_eof = 1;
		return 0;
	}
	l->z.next_in = (unsigned char *)(uintptr_t)p;
	l->z.avail_in = (uInt)n;
	return 0;
}

/* A decode error: after the first member, bytes that never became a gzip header are
 * garbage after the stream; a trailer mismatch is a CRC error. */
static int gz_error(struct layer *l, int ret)
{
	const char *msg = l->z.msg ? l->z.msg : "invalid data";

	if (ret == Z_MEM_ERROR)
		return fail_oom(l->r);
	if (l->members > 0 && l->gzh.done != 1)
		return fail(l->r, "trailing_garbage",
			    "data after the end of the gzip stream is not a gzip member");
	if (!strcmp(msg, "incorrect data check") || !strcmp(msg, "incorrect length check"))
		return fail(l->r, "crc", "gzip member %llu: %s (the trailer's CRC-32 or "
			    "length does not match the data)", (unsigned long long)l->members + 1, msg);
	return fail(l->r, "corrupt", "gzip member %llu: %s", (unsigned long long)l->members + 1,
		    msg);
}

static int gz_inflate(struct layer *l)
{
	int ret;

	if (l->z.avail_in == 0 && l->below_eof) {
		if (l->members > 0 && l->gzh.done != 1)
			return fail(l->r, "trailing_garbage",
				    "data after the end of the gzip stream is not a gzip member");
		return fail(l->r, "truncated", "the gzip stream ends inside member %llu",
			    (unsigned long long)l->members + 1);
	}
	ret = inflate(&l->z, Z_NO_FLUSH);
	if (ret == Z_STREAM_END) {
		l->members++;
		l->gz = GZ_BETWEEN;
		return 0;
	}
	if (ret == Z_OK || ret == Z_BUF_ERROR)
		return 0;
	return gz_error(l, ret);
}

/* After a member: another member, zero padding (as on tapes), or garbage. */
static int gz_after_member(struct layer *l)
{
	if (l->z.avail_in == 0) {
		if (l->below_eof)
			l->gz = GZ_DONE;
		return 0;
	}
	if (l->gz == GZ_BETWEEN && l->z.next_in[0] != 0)
		return gz_member_start(l);
	l->gz = GZ_ZEROS;
	if (!is_zero(l->z.next_in, l->z.avail_in))
		return fail(l->r, "trailing_garbage",
			    "non-zero data after the zero padding that follows the gzip stream");
	l->z.next_in += l->z.avail_in;
	l->z.avail_in = 0;
	return 0;
}

static int gzip_next(struct layer *l, const unsigned char **p, size_t *n)
{
	l->z.next_out = l->out;
	l->z.avail_out = GZ_OUT;
	while (l->z.avail_out > 0 && l->gz != GZ_DONE) {
		if (l->z.avail_in == 0 && !l->below_eof && gz_fill(l) < 0)
			return -1;
		if ((l->gz == GZ_MEMBER ? gz_inflate(l) : gz_after_member(l)) < 0)
			return -1;
	}
	*p = l->out;
	*n = GZ_OUT - l->z.avail_out;
	return *n > 0;
}

static const char *filter_name(int code);
static uint32_t le32(const unsigned char *p);

/* The length of the zstd frame at off (RFC 8878: header, blocks, checksum), found
 * from the block headers without decoding; 0 when it is incomplete or damaged. */
static uint64_t zstd_frame_len(struct arc_reader *r, uint64_t off)
{
	static const unsigned did_len[4] = { 0, 1, 2, 4 }, fcs_len[4] = { 0, 2, 4, 8 };
	unsigned char d, b[3];
	uint64_t pos;
	unsigned single;

	if (src_copy(r, off + 4, &d, 1) < 0 || (d & 0x08))
		return 0;
	single = (d >> 5) & 1;
	pos = off + 5 + !single + did_len[d & 3] + (d >> 6 ? fcs_len[d >> 6] : single);
	for (;;) {
		uint32_t bh;

		if (src_copy(r, pos, b, 3) < 0)
			return 0;
		bh = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
		if (((bh >> 1) & 3) == 3)
			return 0;
		pos += 3 + (((bh >> 1) & 3) == 1 ? 1 : bh >> 3);
		if (pos > r->src.size)
			return 0;
		if (bh & 1)
			break;
	}
	pos += (d & 0x04) ? 4 : 0;
	return pos <= r->src.size ? pos - off : 0;
}

/* Where the sequence of complete zstd frames at the start of the file ends (0 when
 * one of them is incomplete or damaged). */
static uint64_t zstd_frames_end(struct arc_reader *r)
{
	uint64_t off = 0;
	unsigned char h[8];

	while (off + 8 <= r->src.size && src_copy(r, off, h, 8) == 0) {
		uint64_t n;

		if ((le32(h) & 0xfffffff0) == 0x184d2a50)
			n = 8 + (uint64_t)le32(h + 4);
		else if (le32(h) == 0xfd2fb528)
			n = zstd_frame_len(r, off);
		else
			break;
		if (n == 0 || off + n > r->src.size)
			return 0;
		off += n;
	}
	return off;
}

/* Where the last complete xz stream ends: its footer ("YZ", with a CRC-32 of the
 * backward size and flags) in the last MiB of the file, 4-byte aligned; 0 if none. */
static uint64_t xz_stream_end(struct arc_reader *r)
{
	uint64_t base = r->src.size > SRC_BLOCK ? r->src.size - SRC_BLOCK : 0;
	size_t n = (size_t)(r->src.size - base), p;
	unsigned char *t = malloc(n ? n : 1);
	uint64_t end = 0;

	if (!t || src_copy(r, base, t, n) < 0) {
		free(t);
		return 0;
	}
	for (p = n >= 12 ? n - 12 + 1 : 0; p-- > 0 && !end;)
		if ((base + p) % 4 == 0 && t[p + 10] == 'Y' && t[p + 11] == 'Z' &&
		    crc32(0, t + p + 4, 6) == le32(t + p))
			end = base + p + 12;
	free(t);
	return end;
}

/*
 * libarchive reports bytes after the end of an xz or zstd stream as a decoding error
 * ("No progress is possible", "Unknown frame descriptor"), the same as damage or a
 * cut.  When the file holds complete streams followed by something that is neither
 * another stream nor xz's zero padding, the error is trailing garbage.
 */
static int lib_garbage_after_end(struct layer *l)
{
	struct arc_reader *r = l->r;
	int code = archive_filter_code(l->a, l->lib_filters - 1);
	unsigned char h[6];
	uint64_t end;

	if (l->below->kind != LAYER_SRC || r->failed)
		return 0;
	if (code == ARCHIVE_FILTER_ZSTD)
		return (end = zstd_frames_end(r)) > 0 && end < r->src.size;
	if (code != ARCHIVE_FILTER_XZ || (end = xz_stream_end(r)) == 0 || end >= r->src.size)
		return 0;
	if (r->src.size - end >= 6 && src_copy(r, end, h, 6) == 0 && !memcmp(h, "\xfd" "7zXZ\0", 6))
		return 0;   /* a damaged or cut stream follows */
	return (r->src.size - end) % 4 != 0 || src_rest_zero(r, end) == 0;
}

static int lib_next(struct layer *l, const unsigned char **p, size_t *n)
{
	for (;;) {
		const void *b;
		size_t len;
		la_int64_t off;
		int rc = archive_read_data_block(l->a, &b, &len, &off);

		if (rc == ARCHIVE_EOF)
			return 0;
		if (rc != ARCHIVE_OK) {
			if (lib_garbage_after_end(l))
				return fail(l->r, "trailing_garbage", "data after the end of the %s stream",
					    filter_name(archive_filter_code(l->a, l->lib_filters - 1)));
			return fail_archive(l->r, l->a, NULL, l->below->eof);
		}
		if (len > 0) {
			*p = b;
			*n = len;
			return 1;
		}
	}
}

/* The next block of l's stream: 1 with *p and *n, 0 at its end, -1 (reader failed). */
static int layer_read(struct layer *l, const unsigned char **p, size_t *n)
{
	int rc;

	if (l->replay) {
		l->replay = 0;
		*p = l->blk;
		*n = l->blen;
		return l->blen > 0 && !l->eof;
	}
	if (l->eof || l->r->failed)
		return l->r->failed ? -1 : 0;
	if (l->kind == LAYER_SRC)
		rc = src_next(l, p, n);
	else if (l->kind == LAYER_GZIP)
		rc = gzip_next(l, p, n);
	else
		rc = lib_next(l, p, n);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		l->eof = 1;
		return 0;
	}
	keep_tail(l);
	l->blk = *p;
	l->blen = *n;
	l->out_total += *n;
	if (l->kind != LAYER_SRC && over_ratio(l->r, l->out_total, l->r->lim.max_ratio))
		return fail(l->r, "limit", "the decompressed stream expands more than %g times "
			    "the archive (--max-ratio)", l->r->lim.max_ratio);
	return 1;
}

/*
 * The consumer of l stopped after `consumed` bytes: check that everything l delivered
 * or will deliver after that is zero, reading l to its end.  1 when it is, 0 when
 * not, -1 on an error.
 */
static int layer_rest_zero(struct layer *l, uint64_t consumed)
{
	uint64_t blk_start = l->out_total - l->blen;
	uint64_t seen = blk_start - l->tail_len;
	const unsigned char *p;
	size_t n;
	int rc;

	if (consumed < seen)
		return fail(l->r, "corrupt", "cannot check the end of the archive");
	if (consumed < blk_start &&
	    !is_zero(l->tail + (consumed - seen), (size_t)(blk_start - consumed)))
		return 0;
	if (consumed < l->out_total) {
		uint64_t from = consumed > blk_start ? consumed - blk_start : 0;

		if (!is_zero(l->blk + from, (size_t)(l->blen - from)))
			return 0;
	}
	while ((rc = layer_read(l, &p, &n)) == 1)
		if (!is_zero(p, n))
			return 0;
	return rc < 0 ? -1 : 1;
}

/* Read the top stream (and so every decoder) to its end; -1 when one failed. */
static int layer_read_all(struct arc_reader *r)
{
	const unsigned char *p;
	size_t n;
	int rc;

	while ((rc = layer_read(r->layers[r->nlayers - 1], &p, &n)) == 1)
		;
	return rc;
}

static la_ssize_t lib_read_cb(struct archive *a, void *arg, const void **buf)
{
	struct layer *l = arg;
	const unsigned char *p = NULL;
	size_t n = 0;
	int rc = layer_read(l->below, &p, &n);

	if (rc < 0) {
		archive_set_error(a, EIO, "read error");
		return -1;
	}
	*buf = p;
	return rc ? (la_ssize_t)n : 0;
}

static const char *filter_name(int code)
{
	switch (code) {
	case ARCHIVE_FILTER_GZIP:
		return "gzip";
	case ARCHIVE_FILTER_BZIP2:
		return "bzip2";
	case ARCHIVE_FILTER_XZ:
		return "xz";
	case ARCHIVE_FILTER_ZSTD:
		return "zstd";
	case ARCHIVE_FILTER_LZ4:
		return "lz4";
	default:
		return "unknown";
	}
}

static int add_filter_name(struct arc_reader *r, const char *name)
{
	if (r->nfilters >= ARC_MAX_FILTERS)
		return fail(r, "limit", "more than %d nested compression filters",
			    ARC_MAX_FILTERS);
	r->filters[r->nfilters++] = name;
	return 0;
}

/* Exactly the filters we support, each built into libarchive (ARCHIVE_WARN would
 * mean an external program), and the raw format to hand the bytes on. */
static int lib_enable(struct archive *a)
{
	return archive_read_support_filter_bzip2(a) == ARCHIVE_OK &&
	       archive_read_support_filter_xz(a) == ARCHIVE_OK &&
	       archive_read_support_filter_zstd(a) == ARCHIVE_OK &&
	       archive_read_support_filter_lz4(a) == ARCHIVE_OK &&
	       archive_read_support_format_raw(a) == ARCHIVE_OK;
}

static int lib_open(struct layer *l)
{
	struct arc_reader *r = l->r;
	struct archive_entry *ae;
	int i, rc;

	l->a = archive_read_new();
	if (!l->a)
		return fail_oom(r);
	if (!lib_enable(l->a))
		return fail(r, "format", "libarchive lacks built-in bzip2, xz, zstd or lz4 support");
	archive_read_set_read_callback(l->a, lib_read_cb);
	archive_read_set_callback_data(l->a, l);
	if (archive_read_open1(l->a) != ARCHIVE_OK)
		return fail_archive(r, l->a, NULL, l->below->eof);
	l->lib_filters = archive_filter_count(l->a) - 1;
	if (l->lib_filters < 1)
		return fail(r, "format", "unrecognized compressed data");
	for (i = l->lib_filters - 1; i >= 0; i--)
		if (add_filter_name(r, filter_name(archive_filter_code(l->a, i))) < 0)
			return -1;
	rc = archive_read_next_header(l->a, &ae);
	if (rc == ARCHIVE_EOF)
		l->eof = 1;
	else if (rc < ARCHIVE_WARN)
		return fail_archive(r, l->a, NULL, l->below->eof);
	return 0;
}

static int gzip_open(struct layer *l)
{
	l->out = malloc(GZ_OUT);
	if (!l->out)
		return fail_oom(l->r);
	if (inflateInit2(&l->z, 15 + 16) != Z_OK)
		return fail_oom(l->r);
	l->z_ready = 1;
	if (add_filter_name(l->r, "gzip") < 0)
		return -1;
	return gz_member_start(l);
}

static void layer_free(struct layer *l)
{
	if (!l)
		return;
	if (l->z_ready)
		inflateEnd(&l->z);
	free(l->out);
	if (l->a)
		archive_read_free(l->a);
	free(l);
}

static int layer_push(struct arc_reader *r, enum layer_kind kind)
{
	struct layer *l = calloc(1, sizeof(*l));

	if (!l)
		return fail_oom(r);
	l->kind = kind;
	l->r = r;
	l->below = r->nlayers ? r->layers[r->nlayers - 1] : NULL;
	r->layers[r->nlayers++] = l;
	if (kind == LAYER_GZIP)
		return gzip_open(l);
	if (kind == LAYER_LIB)
		return lib_open(l);
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Which decoder the stream starting with p needs (LAYER_SRC: none, it is the archive). */
static enum layer_kind sniff(const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return LAYER_GZIP;
	if (n >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
		return LAYER_LIB;
	if (n >= 10 && !memcmp(p, "BZh", 3) && p[3] >= '1' && p[3] <= '9' &&
	    (!memcmp(p + 4, "1AY&SY", 6) || !memcmp(p + 4, "\x17\x72\x45\x38\x50\x90", 6)))
		return LAYER_LIB;
	if (n >= 4 && (le32(p) == 0xfd2fb528 || (le32(p) & 0xfffffff0) == 0x184d2a50 ||
		       le32(p) == 0x184d2204 || le32(p) == 0x184c2102))
		return LAYER_LIB;
	return LAYER_SRC;
}

/* Stack a decoder for every compression layer found at the start of the stream. */
static int build_layers(struct arc_reader *r)
{
	if (layer_push(r, LAYER_SRC) < 0)
		return -1;
	for (;;) {
		struct layer *top = r->layers[r->nlayers - 1];
		const unsigned char *p;
		size_t n;
		int rc = layer_read(top, &p, &n);
		enum layer_kind kind;

		if (rc < 0)
			return -1;
		top->replay = 1;
		if (rc == 0) {
			r->empty_input = 1;
			return 0;
		}
		kind = sniff(p, n);
		if (kind == LAYER_SRC)
			return 0;
		if (r->nlayers > ARC_MAX_FILTERS)
			return fail(r, "limit", "more than %d nested compression filters",
				    ARC_MAX_FILTERS);
		if (layer_push(r, kind) < 0)
			return -1;
	}
}

/* Whether the stream starts with the ustar magic of a tar header: 2 when it is also
 * shorter than one header (cut inside it), 1 when not, 0 without the magic. */
static int starts_like_tar(struct arc_reader *r)
{
	struct layer *top = r->layers[r->nlayers - 1];
	unsigned char m[5];

	if (r->direct) {
		if (r->src.size < 262 || src_copy(r, 257, m, sizeof(m)) < 0 || memcmp(m, "ustar", 5))
			return 0;
		return r->src.size < 512 ? 2 : 1;
	}
	if (top->out_total != top->blen || top->blen < 262 || memcmp(top->blk + 257, "ustar", 5))
		return 0;
	return top->blen < 512 ? 2 : 1;
}

/* ---- the format reader --------------------------------------------------------------- */

static la_ssize_t fmt_read_cb(struct archive *a, void *arg, const void **buf)
{
	struct arc_reader *r = arg;
	const unsigned char *p = NULL;
	la_ssize_t n;

	if (r->direct) {
		n = src_read_at(r, r->src.pos, &p);
		if (n > 0)
			r->src.pos += (uint64_t)n;
	} else {
		size_t len = 0;
		int rc = layer_read(r->layers[r->nlayers - 1], &p, &len);

		n = rc < 0 ? -1 : (la_ssize_t)len * rc;
	}
	if (n < 0) {
		archive_set_error(a, EIO, "read error");
		return -1;
	}
	if (n == 0)
		r->top_eof = 1;
	*buf = p;
	return n;
}

static la_int64_t fmt_seek_cb(struct archive *a, void *arg, la_int64_t off, int whence)
{
	struct arc_reader *r = arg;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)r->src.pos
								    : (int64_t)r->src.size;

	(void)a;
	if (off < -base || base + off > (int64_t)r->src.size)
		return ARCHIVE_FATAL;
	r->src.pos = (uint64_t)(base + off);
	return (la_int64_t)r->src.pos;
}

/* Exactly the formats we support, never *_all. */
static int fmt_enable(struct archive *a)
{
	return archive_read_support_format_tar(a) == ARCHIVE_OK &&
	       archive_read_support_format_cpio(a) == ARCHIVE_OK &&
	       archive_read_support_format_zip(a) == ARCHIVE_OK &&
	       archive_read_support_format_7zip(a) == ARCHIVE_OK;
}

static int fmt_open(struct arc_reader *r)
{
	r->a = archive_read_new();
	if (!r->a)
		return fail_oom(r);
	if (!fmt_enable(r->a))
		return fail(r, "format", "libarchive lacks a required format");
	archive_read_set_read_callback(r->a, fmt_read_cb);
	if (r->direct)
		archive_read_set_seek_callback(r->a, fmt_seek_cb);
	archive_read_set_callback_data(r->a, r);
	if (archive_read_open1(r->a) != ARCHIVE_OK)
		return fail_archive(r, r->a, NULL, r->top_eof);
	return 0;
}

/* Stream position of the format reader (bytes of the decompressed stream consumed). */
static uint64_t fmt_pos(const struct arc_reader *r)
{
	la_int64_t n = archive_filter_bytes(r->a, -1);

	return n > 0 ? (uint64_t)n : 0;
}

static const char *fmt_name(int code, int *rank, enum fmt_family *fam)
{
	static const struct { int code, rank; enum fmt_family fam; const char *name; } names[] = {
		{ ARCHIVE_FORMAT_TAR, 1, FAM_TAR, "tar (v7)" },
		{ ARCHIVE_FORMAT_TAR_USTAR, 2, FAM_TAR, "tar (ustar)" },
		{ ARCHIVE_FORMAT_TAR_GNUTAR, 3, FAM_TAR, "tar (gnu)" },
		{ ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, 4, FAM_TAR, "tar (pax)" },
		{ ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, 4, FAM_TAR, "tar (pax)" },
		{ ARCHIVE_FORMAT_CPIO_POSIX, 1, FAM_CPIO, "cpio (odc)" },
		{ ARCHIVE_FORMAT_CPIO_SVR4_NOCRC, 1, FAM_CPIO, "cpio (newc)" },
		{ ARCHIVE_FORMAT_CPIO_SVR4_CRC, 1, FAM_CPIO, "cpio (crc)" },
		{ ARCHIVE_FORMAT_CPIO_BIN_LE, 1, FAM_CPIO, "cpio (bin)" },
		{ ARCHIVE_FORMAT_CPIO_BIN_BE, 1, FAM_CPIO, "cpio (bin)" },
		{ ARCHIVE_FORMAT_CPIO_AFIO_LARGE, 1, FAM_CPIO, "cpio (afio)" },
		{ ARCHIVE_FORMAT_CPIO, 0, FAM_CPIO, "cpio" },
		{ ARCHIVE_FORMAT_ZIP, 1, FAM_ZIP, "zip" },
		{ ARCHIVE_FORMAT_7ZIP, 1, FAM_7ZIP, "7zip" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code) {
			*rank = names[i].rank;
			*fam = names[i].fam;
			return names[i].name;
		}
	*rank = 0;
	*fam = FAM_NONE;
	return NULL;
}

static void note_format(struct arc_reader *r)
{
	enum fmt_family fam;
	int rank;
	const char *name = fmt_name(archive_format(r->a), &rank, &fam);

	if (!name)
		return;
	if (!r->fmt_name || fam != r->family || rank > r->fmt_rank) {
		r->fmt_name = name;
		r->fmt_rank = rank;
		r->family = fam;
	}
}

static int sevenzip_end(struct arc_reader *r, uint64_t *end);

/* ---- open and close --------------------------------------------------------------- */

static struct arc_reader *reader_new(const char *name, arc_tap_fn tap, void *tap_arg,
				     struct srerr *e)
{
	struct arc_reader *r = calloc(1, sizeof(*r));

	if (r)
		r->name = strdup(name);
	if (!r || !r->name) {
		free(r);
		srerr_set(e, "oom", "out of memory");
		return NULL;
	}
	r->src.fd = -1;
	r->src.tap = tap;
	r->src.tap_arg = tap_arg;
	return r;
}

/* Detect filters and format; on failure report e and free r. */
static struct arc_reader *reader_start(struct arc_reader *r, struct srerr *e)
{
	uint64_t end;

	if (r->src.size > 0 && build_layers(r) == 0 && !r->empty_input) {
		r->direct = r->nlayers == 1;
		if (!r->direct || sevenzip_end(r, &end) == 0)
			fmt_open(r);
	} else if (r->src.size == 0) {
		r->empty_input = 1;
	}
	if (r->failed) {
		report(r, e);
		arc_close(r);
		return NULL;
	}
	return r;
}

struct arc_reader *arc_open(const char *path, arc_tap_fn tap, void *tap_arg, struct srerr *e)
{
	struct arc_reader *r = reader_new(path, tap, tap_arg, e);
	struct stat st;

	if (!r)
		return NULL;
	r->src.fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (r->src.fd < 0 || fstat(r->src.fd, &st) < 0) {
		srerr_set(e, "io", "cannot open '%s': %s", path, strerror(errno));
		arc_close(r);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		srerr_set(e, "io", "cannot read '%s': not a regular file", path);
		arc_close(r);
		return NULL;
	}
	r->src.size = (uint64_t)st.st_size;
	r->src.buf = malloc(SRC_BLOCK);
	if (!r->src.buf) {
		srerr_set(e, "oom", "out of memory");
		arc_close(r);
		return NULL;
	}
	return reader_start(r, e);
}

struct arc_reader *arc_open_mem(const void *buf, size_t len, const char *name, arc_tap_fn tap,
				void *tap_arg, struct srerr *e)
{
	struct arc_reader *r = reader_new(name ? name : "<memory>", tap, tap_arg, e);

	if (!r)
		return NULL;
	r->src.mem = buf;
	r->src.size = len;
	return reader_start(r, e);
}

void arc_close(struct arc_reader *r)
{
	int i;

	if (!r)
		return;
	if (r->a)
		archive_read_free(r->a);
	for (i = r->nlayers - 1; i >= 0; i--)
		layer_free(r->layers[i]);
	if (r->src.fd >= 0)
		close(r->src.fd);
	free(r->src.buf);
	free(r->name);
	free(r);
}

void arc_set_limits(struct arc_reader *r, const struct arc_limits *lim)
{
	if (lim)
		r->lim = *lim;
	else
		memset(&r->lim, 0, sizeof(r->lim));
}

/* ---- entries ----------------------------------------------------------------------- */

static enum arc_type entry_type(struct archive_entry *ae)
{
	if (archive_entry_hardlink(ae))
		return ARC_HARDLINK;
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
		return ARC_FILE;
	case AE_IFDIR:
		return ARC_DIR;
	case AE_IFLNK:
		return ARC_SYMLINK;
	case AE_IFCHR:
		return ARC_CHR;
	case AE_IFBLK:
		return ARC_BLK;
	case AE_IFIFO:
		return ARC_FIFO;
	case AE_IFSOCK:
		return ARC_SOCK;
	default:
		return ARC_OTHER;
	}
}

static const char *entry_path(struct archive_entry *ae)
{
	const char *p = archive_entry_pathname_utf8(ae);

	if (!p)
		p = archive_entry_pathname(ae);
	return p ? p : "";
}

static void fill_entry(struct arc_reader *r)
{
	struct archive_entry *ae = r->ae;
	struct arc_entry *ent = &r->ent;

	ent->path = entry_path(ae);
	ent->type = entry_type(ae);
	ent->size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) : -1;
	ent->mode = (unsigned)archive_entry_perm(ae) & 07777;
	ent->mtime_ms = INT64_MIN;
	if (archive_entry_mtime_is_set(ae))
		ent->mtime_ms = (int64_t)archive_entry_mtime(ae) * 1000 +
				archive_entry_mtime_nsec(ae) / 1000000;
	ent->link = NULL;
	if (ent->type == ARC_HARDLINK)
		ent->link = archive_entry_hardlink(ae);
	else if (ent->type == ARC_SYMLINK)
		ent->link = archive_entry_symlink(ae);
	r->doff = 0;
	r->hole = 0;
	r->pend_len = 0;
	r->sparse = archive_entry_sparse_count(ae) > 0;
	r->want_sum = 0;
	r->sum = 0;
}

/* Copy len bytes of the (decompressed) stream at off, if still at hand. */
static int stream_copy(struct arc_reader *r, uint64_t off, void *out, size_t len)
{
	const struct layer *top = r->layers[r->nlayers - 1];
	uint64_t blk_start = top->out_total - top->blen, seen = blk_start - top->tail_len;
	unsigned char *o = out;
	size_t i;

	if (r->direct)
		return src_copy(r, off, out, len);
	if (off < seen || off + len > top->out_total)
		return -1;
	for (i = 0; i < len; i++, off++)
		o[i] = off < blk_start ? top->tail[off - seen] : top->blk[off - blk_start];
	return 0;
}

/* cpio's "crc" format carries the sum of the data bytes in each header (c_check),
 * which libarchive ignores: read it for arc_data to check. */
static void note_cpio_sum(struct arc_reader *r)
{
	char h[110], hex[9];
	char *end;
	unsigned long v;

	if (archive_format(r->a) != ARCHIVE_FORMAT_CPIO_SVR4_CRC ||
	    stream_copy(r, r->entry_end_pos, h, sizeof(h)) < 0 || memcmp(h, "070702", 6) != 0)
		return;
	memcpy(hex, h + 102, 8);
	hex[8] = '\0';
	v = strtoul(hex, &end, 16);
	if (*end != '\0')
		return;
	r->want_sum = 1;
	r->expect_sum = (uint32_t)v;
}

static void add_sum(struct arc_reader *r, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	uint32_t sum = r->sum;
	size_t i;

	for (i = 0; i < n; i++)
		sum += p[i];
	r->sum = sum;
}

/* Where the tar end-of-archive marker stands: libarchive consumes the first zero block,
 * and the second one only when it is zero too; no marker at all is a silent end. */
static void note_end(struct arc_reader *r)
{
	uint64_t used = r->end_pos - r->entry_end_pos;

	r->tail_state = used >= 1024 ? 0 : used >= 512 ? 1 : 2;
}

/* A header warning that does not mean damage: only a name that cannot be converted to
 * the locale's character set (the raw name is used).  Others, such as cpio's "Skipped
 * N bytes before finding valid header", hide lost entries. */
static int harmless_warning(struct archive *a)
{
	return contains(archive_error_string(a), "can't be converted");
}

static int next_header(struct arc_reader *r)
{
	int rc;

	r->entry_end_pos = fmt_pos(r);
	rc = archive_read_next_header(r->a, &r->ae);
	if (rc == ARCHIVE_EOF) {
		r->end_pos = fmt_pos(r);
		r->state = RD_END;
		note_format(r);
		note_end(r);
		if (r->entries == 0)
			return fail(r, "empty", "the archive has no entries");
		return 0;
	}
	if (rc == ARCHIVE_RETRY) {
		if (r->nlayers > 1 && layer_read_all(r) < 0)
			return -1;   /* a decoder's error explains the damage */
		return fail(r, "corrupt", "damaged header after entry %llu: %s",
			    (unsigned long long)r->entries,
			    archive_error_string(r->a) ? archive_error_string(r->a) : "?");
	}
	if (rc < ARCHIVE_WARN || (rc == ARCHIVE_WARN && !harmless_warning(r->a)))
		return fail_archive(r, r->a, NULL, r->top_eof);
	note_format(r);
	fill_entry(r);
	note_cpio_sum(r);
	r->entries++;
	r->state = RD_DATA;
	return 1;
}

int arc_next(struct arc_reader *r, struct arc_entry *ent, struct srerr *e)
{
	int rc;

	if (r->failed)
		return report(r, e);
	if (r->empty_input) {
		fail(r, "empty", r->src.size ? "the compressed stream is empty" : "the file is empty");
		return report(r, e);
	}
	if (r->state == RD_END || r->state == RD_CHECKED)
		return 0;
	if (r->state == RD_DATA) {
		const void *b;
		size_t n;

		while ((rc = arc_data(r, &b, &n, e)) == 1)
			;
		if (rc < 0)
			return -1;
	}
	rc = next_header(r);
	if (rc < 0)
		return report(r, e);
	/* Counted only once a header was really read: an archive of exactly N entries
	 * passes --max-entries N, and only the (N+1)th header is a limit error. */
	if (rc == 1 && r->lim.max_entries && r->entries > r->lim.max_entries) {
		r->entries--;   /* arc_entries() counts the entries handed out */
		fail(r, "limit", "more than %llu entries (--max-entries)",
		     (unsigned long long)r->lim.max_entries);
		return report(r, e);
	}
	if (rc == 1 && ent)
		*ent = r->ent;
	return rc;
}

/* ---- entry data -------------------------------------------------------------------- */

static int over_ratio(const struct arc_reader *r, uint64_t bytes, double max_ratio)
{
	uint64_t raw = r->src.hiwater ? r->src.hiwater : 1;

	return max_ratio > 0 && bytes > RATIO_FLOOR && (double)bytes > max_ratio * (double)raw;
}

/* Count n more bytes of entry data against the caps. */
static int account(struct arc_reader *r, size_t n)
{
	uint64_t total = r->data_bytes + n;

	if (r->lim.max_bytes && total > r->lim.max_bytes)
		return fail(r, "limit", "'%s': more than %llu bytes of data (--max-bytes)",
			    r->ent.path, (unsigned long long)r->lim.max_bytes);
	if (over_ratio(r, total, r->lim.max_ratio))
		return fail(r, "limit", "'%s': data expands more than %g times the archive "
			    "(--max-ratio)", r->ent.path, r->lim.max_ratio);
	r->data_bytes = total;
	r->doff += n;
	return 0;
}

/* At the end of an entry's data: compare what came out with the header's size. */
static int entry_done(struct arc_reader *r)
{
	const struct arc_entry *ent = &r->ent;

	if (ent->type == ARC_FILE && ent->size >= 0 && r->doff != (uint64_t)ent->size) {
		if (r->doff < (uint64_t)ent->size)
			return fail(r, "truncated", "'%s' ends after %llu of %lld bytes", ent->path,
				    (unsigned long long)r->doff, (long long)ent->size);
		return fail(r, "corrupt", "'%s' has %llu bytes, its header says %lld", ent->path,
			    (unsigned long long)r->doff, (long long)ent->size);
	}
	if (r->want_sum && r->sum != r->expect_sum)
		return fail(r, "crc", "'%s': the sum of the data bytes is %08x, the cpio header "
			    "says %08x", ent->path, r->sum, r->expect_sum);
	r->state = RD_HEADER;
	return 0;
}

/* Deliver zeros of a sparse hole, or the block waiting behind it. */
static int deliver_pending(struct arc_reader *r, const void **buf, size_t *len)
{
	size_t n;

	if (r->hole > 0) {
		n = r->hole < ZEROS_LEN ? (size_t)r->hole : ZEROS_LEN;
		if (account(r, n) < 0)
			return -1;
		r->hole -= n;
		*buf = zeros;
		*len = n;
		return 1;
	}
	n = r->pend_len;
	r->pend_len = 0;
	if (account(r, n) < 0)
		return -1;
	*buf = r->pend;
	*len = n;
	return 1;
}

/* Read the next block from libarchive into pend (and hole): 1, 0 at the end, -1. */
static int fetch_block(struct arc_reader *r)
{
	const void *b;
	size_t n;
	la_int64_t off;
	int rc = archive_read_data_block(r->a, &b, &n, &off);

	if (rc == ARCHIVE_EOF) {
		if (r->sparse && r->ent.size > 0 && r->doff < (uint64_t)r->ent.size) {
			r->hole = (uint64_t)r->ent.size - r->doff;
			return 1;
		}
		return 0;
	}
	if (rc != ARCHIVE_OK)   /* zip and 7-Zip CRC errors are mere warnings */
		return fail_archive(r, r->a, r->ent.path, r->top_eof);
	if (off < 0 || (uint64_t)off < r->doff)
		return fail(r, "corrupt", "'%s': data blocks out of order", r->ent.path);
	r->hole = (uint64_t)off - r->doff;
	r->pend = b;
	r->pend_len = n;
	return 1;
}

int arc_data(struct arc_reader *r, const void **buf, size_t *len, struct srerr *e)
{
	*buf = NULL;
	*len = 0;
	if (r->failed)
		return report(r, e);
	if (r->state != RD_DATA)
		return 0;
	for (;;) {
		int rc;

		if (r->hole > 0 || r->pend_len > 0) {
			if (deliver_pending(r, buf, len) < 0)
				return report(r, e);
			if (r->want_sum)
				add_sum(r, *buf, *len);
			return 1;
		}
		rc = fetch_block(r);
		if (rc < 0)
			return report(r, e);
		if (rc == 0)
			return entry_done(r) < 0 ? report(r, e) : 0;
	}
}

/* ---- the end ----------------------------------------------------------------------- */

/* zip: after the end-of-central-directory record and its comment, only zeros. */
static int zip_check_end(struct arc_reader *r)
{
	size_t n = r->src.size < ZIP_TAIL_MAX ? (size_t)r->src.size : ZIP_TAIL_MAX;
	unsigned char *t = malloc(n ? n : 1);
	size_t i, end = 0;
	int found = 0;

	if (!t)
		return fail_oom(r);
	if (src_copy(r, r->src.size - n, t, n) < 0) {
		free(t);
		return fail(r, "io", "cannot read the end of the zip file");
	}
	for (i = n >= ZIP_EOCD_LEN ? n - ZIP_EOCD_LEN + 1 : 0; i-- > 0 && !found;)
		if (!memcmp(t + i, "PK\5\6", 4) &&
		    i + ZIP_EOCD_LEN + (t[i + 20] | t[i + 21] << 8) <= n) {
			found = 1;
			end = i + ZIP_EOCD_LEN + (t[i + 20] | t[i + 21] << 8);
		}
	i = found && is_zero(t + end, n - end);
	free(t);
	if (!found)
		return fail(r, "truncated", "no zip end-of-central-directory record at the end");
	if (!i)
		return fail(r, "trailing_garbage", "data after the zip end-of-central-directory record");
	return 0;
}

/* 7-Zip: where the archive ends by its start header (0: no 7-Zip signature at the
 * start, e.g. a self-extractor); -1 when that lies beyond the end of the file. */
static int sevenzip_end(struct arc_reader *r, uint64_t *end)
{
	unsigned char h[SEVENZIP_START_LEN];
	uint64_t off, len;

	*end = 0;
	if (r->src.size < SEVENZIP_START_LEN || src_copy(r, 0, h, sizeof(h)) < 0 ||
	    memcmp(h, "7z\xbc\xaf\x27\x1c", 6) != 0)
		return 0;
	off = le32(h + 12) | (uint64_t)le32(h + 16) << 32;
	len = le32(h + 20) | (uint64_t)le32(h + 24) << 32;
	*end = SEVENZIP_START_LEN + off + len;
	if (off > r->src.size || len > r->src.size || *end > r->src.size)
		return fail(r, "truncated", "the 7-Zip header lies beyond the end of the file "
			    "(%llu bytes)", (unsigned long long)r->src.size);
	return 0;
}

/* 7-Zip: only zeros may follow the end its start header gives. */
static int sevenzip_check_end(struct arc_reader *r)
{
	uint64_t end;
	int rc;

	if (sevenzip_end(r, &end) < 0)
		return -1;
	if (end == 0)
		return 0;
	rc = src_rest_zero(r, end);
	if (rc == 0)
		return fail(r, "trailing_garbage", "data after the end of the 7-Zip archive");
	return rc < 0 ? -1 : 0;
}

/* tar and cpio: only zeros after the format's end (tar pads to whole records). */
static int stream_check_end(struct arc_reader *r)
{
	int rc;

	if (r->direct)
		rc = src_rest_zero(r, r->end_pos);
	else
		rc = layer_rest_zero(r->layers[r->nlayers - 1], r->end_pos);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return fail(r, "trailing_garbage", "non-zero data after the end of the archive");
	if (r->family == FAM_TAR && r->tail_state == 1)
		return fail(r, "truncated", "the tar end-of-archive marker is incomplete "
			    "(one zero block instead of two)");
	if (r->family == FAM_TAR && r->tail_state == 2)
		return fail(r, "truncated", "the archive ends without a tar end-of-archive marker");
	return 0;
}

static int format_check_end(struct arc_reader *r)
{
	if (r->family == FAM_TAR || r->family == FAM_CPIO)
		return stream_check_end(r);
	if (r->direct && r->family == FAM_ZIP)
		return zip_check_end(r);
	if (r->direct && r->family == FAM_7ZIP)
		return sevenzip_check_end(r);
	return 0;
}

/* Read every decoder to its end (so every trailer and checksum is verified); after a
 * libarchive filter, the bytes below it that it did not use must be zero. */
static int drain_layers(struct arc_reader *r)
{
	int i;

	for (i = r->nlayers - 1; i >= 1; i--) {
		struct layer *l = r->layers[i];
		const unsigned char *p;
		size_t n;
		int rc;

		while ((rc = layer_read(l, &p, &n)) == 1)
			;
		if (rc < 0)
			return -1;
		if (l->kind == LAYER_LIB) {
			rc = layer_rest_zero(l->below, (uint64_t)archive_filter_bytes(l->a, -1));
			if (rc < 0)
				return -1;
			if (rc == 0)
				return fail(r, "trailing_garbage",
					    "data after the end of the %s stream", r->filters[0]);
		}
	}
	return 0;
}

int arc_check_trailer(struct arc_reader *r, struct srerr *e)
{
	if (r->failed)
		return report(r, e);
	if (r->state == RD_CHECKED)
		return 0;
	if (r->state != RD_END) {
		srerr_set(e, "invalid", "'%s': arc_check_trailer before the end of the archive",
			  r->name);
		return -1;
	}
	if (format_check_end(r) < 0 || drain_layers(r) < 0 || src_tap_rest(r) < 0)
		return report(r, e);
	r->state = RD_CHECKED;
	return 0;
}

/* ---- accessors --------------------------------------------------------------------- */

const char *arc_format(const struct arc_reader *r)
{
	return r->fmt_name;
}

size_t arc_filters(const struct arc_reader *r, const char **names, size_t max)
{
	size_t i;

	for (i = 0; i < r->nfilters && i < max; i++)
		names[i] = r->filters[i];
	return r->nfilters;
}

uint64_t arc_raw_bytes(const struct arc_reader *r)
{
	return r->src.tapped;
}

uint64_t arc_file_size(const struct arc_reader *r)
{
	return r->src.size;
}

uint64_t arc_entries(const struct arc_reader *r)
{
	return r->entries;
}

uint64_t arc_data_bytes(const struct arc_reader *r)
{
	return r->data_bytes;
}

/* ---- extraction -------------------------------------------------------------------- */

#define EXTRACT_FLAGS (ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
		       ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |      \
		       ARCHIVE_EXTRACT_TIME)

/*
 * archive_write_disk writes relative to the working directory (it has no base
 * directory, and an absolute prefix would defeat SECURE_NOABSOLUTEPATHS), so the
 * writer enters its directory around every call and returns to where it was.
 */
struct arc_writer {
	struct archive *disk;
	int dirfd;
	int cwdfd;
	char *dir;
	uint64_t bytes, entries;
};

static int has_dotdot(const char *p)
{
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		p += strspn(p, "/");
	}
	return 0;
}

const char *arc_unsafe_reason(const struct arc_entry *ent)
{
	if (!ent->path || !ent->path[0])
		return "empty path";
	if (ent->path[0] == '/')
		return "absolute path";
	if (has_dotdot(ent->path))
		return "contains ..";
	if (ent->type == ARC_HARDLINK && ent->link) {
		if (!ent->link[0])
			return "empty hardlink target";
		if (ent->link[0] == '/')
			return "absolute hardlink target";
		if (has_dotdot(ent->link))
			return "hardlink target contains ..";
	}
	return NULL;
}

struct arc_writer *arc_writer_new(const char *dir, struct srerr *e)
{
	struct arc_writer *w = calloc(1, sizeof(*w));

	if (w)
		w->dirfd = w->cwdfd = -1;
	if (!w || !(w->dir = strdup(dir)) || !(w->disk = archive_write_disk_new())) {
		srerr_set(e, "oom", "out of memory");
		arc_writer_free(w);
		return NULL;
	}
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	w->cwdfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0 || w->cwdfd < 0) {
		srerr_set(e, "io", "cannot open '%s': %s", w->dirfd < 0 ? dir : ".",
			  strerror(errno));
		arc_writer_free(w);
		return NULL;
	}
	archive_write_disk_set_options(w->disk, EXTRACT_FLAGS);
	return w;
}

static int enter(const struct arc_writer *w, struct srerr *e)
{
	if (fchdir(w->dirfd) == 0)
		return 0;
	srerr_set(e, "io", "cannot enter '%s': %s", w->dir, strerror(errno));
	return -1;
}

static int leave(const struct arc_writer *w, struct srerr *e)
{
	if (fchdir(w->cwdfd) == 0)
		return 0;
	srerr_set(e, "io", "cannot return to the working directory: %s", strerror(errno));
	return -1;
}

/* Read the rest of the current entry (checked as ever) without writing it. */
static int drain_entry(struct arc_reader *r, struct srerr *e)
{
	const void *b;
	size_t n;
	int rc;

	while ((rc = arc_data(r, &b, &n, e)) == 1)
		;
	return rc;
}

/* Refuse the current entry (code unsafe_path); a read error of its data wins. */
static int refuse(struct arc_reader *r, const char *why, struct srerr *e)
{
	if (drain_entry(r, e) < 0)
		return -1;
	srerr_set(e, "unsafe_path", "'%s': refusing to extract '%s': %s", r->name, r->ent.path,
		  why);
	return -1;
}

/*
 * A hardlink's target must not go through a symlink in the restore (link(2) would
 * follow it out of the directory), nor be a symlink when data is written through it.
 */
static const char *hardlink_through_symlink(const struct arc_writer *w,
					    const struct arc_entry *ent)
{
	char buf[4096];
	size_t len = strlen(ent->link), i;
	struct stat st;

	if (len >= sizeof(buf))
		return "hardlink target too long";
	memcpy(buf, ent->link, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (fstatat(w->dirfd, buf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
		    (i < len || ent->size > 0))
			return "hardlink target goes through a symlink";
		if (i < len)
			buf[i] = '/';
	}
	return NULL;
}

static int special_type(enum arc_type t)
{
	return t == ARC_CHR || t == ARC_BLK || t == ARC_FIFO || t == ARC_SOCK || t == ARC_OTHER;
}

/* The extraction caps (in addition to the reader's own). */
static int check_write_limits(struct arc_reader *r, struct arc_writer *w,
			      const struct arc_limits *lim, size_t n)
{
	if (!lim)
		return 0;
	if (lim->max_bytes && w->bytes + n > lim->max_bytes)
		return fail(r, "limit", "'%s': more than %llu bytes restored (--max-bytes)",
			    r->ent.path, (unsigned long long)lim->max_bytes);
	if (over_ratio(r, w->bytes + n, lim->max_ratio))
		return fail(r, "limit", "'%s': data expands more than %g times the archive "
			    "(--max-ratio)", r->ent.path, lim->max_ratio);
	return 0;
}

static int write_failed(struct arc_reader *r, struct arc_writer *w, struct srerr *e)
{
	const char *msg = archive_error_string(w->disk);
	int unsafe = contains(msg, "..") || contains(msg, "bsolute") || contains(msg, "symlink") ||
		     contains(msg, "ardlink");

	srerr_set(e, unsafe ? "unsafe_path" : "io", "'%s': cannot extract '%s': %s", r->name,
		  r->ent.path, msg ? msg : "unknown error");
	return -1;
}

/* Write the current entry's header and data inside w's directory. */
static int write_entry(struct arc_reader *r, struct arc_writer *w, const struct arc_limits *lim,
		       void (*cb)(void *, const void *, size_t), void *arg, struct srerr *e)
{
	const void *buf;
	size_t len;
	int rc;

	if (archive_write_header(w->disk, r->ae) < ARCHIVE_WARN) {
		struct srerr we;

		write_failed(r, w, &we);
		if (drain_entry(r, e) < 0)
			return -1;
		if (e)
			*e = we;
		return -1;
	}
	while ((rc = arc_data(r, &buf, &len, e)) == 1) {
		if (check_write_limits(r, w, lim, len) < 0)
			return report(r, e);
		w->bytes += len;
		if (cb)
			cb(arg, buf, len);
		if (archive_write_data_block(w->disk, buf, len, (la_int64_t)(r->doff - len)) <
		    ARCHIVE_WARN)
			return write_failed(r, w, e);
	}
	if (rc < 0)
		return -1;
	if (archive_write_finish_entry(w->disk) < ARCHIVE_WARN)
		return write_failed(r, w, e);
	return 0;
}

int arc_extract(struct arc_reader *r, struct arc_writer *w, const struct arc_limits *lim,
		void (*cb)(void *arg, const void *buf, size_t len), void *arg, int *skipped,
		struct srerr *e)
{
	const char *why;
	int rc;

	if (skipped)
		*skipped = 0;
	if (r->failed)
		return report(r, e);
	if (r->state != RD_DATA) {
		srerr_set(e, "invalid", "'%s': arc_extract without a current entry", r->name);
		return -1;
	}
	why = arc_unsafe_reason(&r->ent);
	if (!why && r->ent.type == ARC_HARDLINK)
		why = hardlink_through_symlink(w, &r->ent);
	if (why)
		return refuse(r, why, e);
	if (special_type(r->ent.type)) {
		if (skipped)
			*skipped = 1;
		return drain_entry(r, e) < 0 ? -1 : 0;
	}
	if (lim && lim->max_entries && w->entries >= lim->max_entries) {
		fail(r, "limit", "more than %llu entries restored (--max-entries)",
		     (unsigned long long)lim->max_entries);
		return report(r, e);
	}
	w->entries++;
	archive_entry_set_perm(r->ae, (mode_t)(r->ent.mode & 0777));
	if (enter(w, e) < 0)
		return -1;
	rc = write_entry(r, w, lim, cb, arg, e);
	if (leave(w, rc < 0 ? NULL : e) < 0)
		return -1;
	return rc;
}

int arc_writer_finish(struct arc_writer *w, struct srerr *e)
{
	int rc;

	if (enter(w, e) < 0)
		return -1;
	rc = archive_write_close(w->disk);
	if (rc < ARCHIVE_WARN) {
		const char *msg = archive_error_string(w->disk);

		srerr_set(e, "io", "cannot finish the restore in '%s': %s", w->dir,
			  msg ? msg : "unknown error");
	}
	if (leave(w, rc < ARCHIVE_WARN ? NULL : e) < 0)
		return -1;
	return rc < ARCHIVE_WARN ? -1 : 0;
}

void arc_writer_free(struct arc_writer *w)
{
	if (!w)
		return;
	if (w->disk) {
		/* archive_write_free applies pending directory fixups by relative path:
		 * only ever inside the restore directory. */
		if (w->dirfd < 0 || w->cwdfd < 0) {
			archive_write_free(w->disk);   /* nothing was written */
		} else if (enter(w, NULL) == 0) {
			archive_write_free(w->disk);
			leave(w, NULL);
		}
		/* else: leak it rather than touch paths relative to the wrong directory */
	}
	if (w->dirfd >= 0)
		close(w->dirfd);
	if (w->cwdfd >= 0)
		close(w->cwdfd);
	free(w->dir);
	free(w);
}
