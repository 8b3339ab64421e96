#ifndef SRETOOLS_ARC_H
#define SRETOOLS_ARC_H
/*
 * Archives through libarchive, read to the last byte and extracted safely
 * (DESIGN.md, "Hardening rules").
 *
 *	struct arc_reader *r = arc_open(path, tap, tap_arg, &e);
 *	arc_set_limits(r, &lim);
 *	while ((rc = arc_next(r, &ent, &e)) == 1)
 *		while ((rc = arc_data(r, &buf, &len, &e)) == 1)
 *			hash(buf, len);              (or arc_extract(r, w, ...))
 *	if (rc == 0) rc = arc_check_trailer(r, &e);   (required: see below)
 *	arc_close(r);
 *
 * Formats and filters.  Only these are enabled, detected by content: tar (v7, ustar,
 * pax, GNU), cpio (odc, newc, crc, bin), zip, 7zip; compressed with gzip, bzip2, xz,
 * zstd or lz4, or not at all (filters may nest, at most ARC_MAX_FILTERS deep).  Never
 * libarchive's *_all calls and never program filters: each archive_read_support_*
 * call must return ARCHIVE_OK (ARCHIVE_WARN would mean "through an external
 * program"), so no input can start one (test_arc checks this under strace with
 * lrzip, lzop and grzip inputs).  Anything else (uuencode, lrzip, lzop, rar, ar,
 * iso9660, a compressed text file ...) is refused with code "format".  gzip is
 * decoded with zlib (see below; -lz, zlib in the Makefile's PKGS).  A zip or 7z file on disk (or in memory) is read with seeks:
 * a zip through its central directory (libarchive's seekable reader); a zip inside a
 * compression filter is read by its local headers (streamable reader).  Only regular
 * files can be opened (no pipes: the readers seek).
 *
 * Error codes (stable; backup-verify copies them into backup.problem records):
 *	truncated         the input ends inside a header, inside an entry's data, before
 *	                  or inside the tar end-of-archive marker, or inside a compressed
 *	                  stream; also: an entry yielded fewer bytes than its header's size
 *	crc               a checksum mismatch: zip entry CRC-32, gzip member CRC-32 or
 *	                  length, zstd or lz4 checksum, 7-Zip CRC, cpio "crc" data sum
 *	corrupt           any other decode failure: bad deflate data, a bad tar header
 *	                  checksum, a damaged header, more data than the header said, and
 *	                  xz and bzip2 damage (their libraries report a failed check and
 *	                  other damage alike, and libarchive passes on only "corrupted")
 *	format            not an archive of an enabled format, or a feature we cannot read
 *	                  (encrypted entries, an unsupported compression method)
 *	empty             a well-formed archive without a single entry, an empty
 *	                  compressed stream, or a 0-byte file (arc_next's first call)
 *	trailing_garbage  data after the end of the archive (arc_check_trailer; see below)
 *	unsafe_path       arc_extract refused an entry (see arc_unsafe_reason)
 *	limit             a cap of struct arc_limits was hit; the message names it
 *	                  ("--max-bytes", "--max-entries", "--max-ratio"), or more than
 *	                  ARC_MAX_FILTERS nested compression layers
 *	io                reading the archive or writing the restore failed
 *	oom               out of memory
 *	invalid           a call out of order (arc_check_trailer before the end,
 *	                  arc_extract without a current entry): a programming error
 * Messages quote the archive's name (and the entry's path where there is one), e.g.
 *	'db.tar.gz': 'data/x.bin' ends after 1536 of 4096 bytes
 *	'db.tar.gz': gzip member 1: incorrect data check (the trailer's CRC-32 ...)
 * Every error but unsafe_path and invalid finishes the reader: later calls repeat it.
 *
 * What libarchive 3.6.2 (Debian 12) checks by itself, and what arc adds.  Found by
 * experiment with archives from the real tools, each bit flipped, cut and extended at
 * many offsets; tests/unit/test_arc.c keeps the cases.
 *   gzip   libarchive never checks a member's CRC-32 and length ("XXX TODO" in its
 *          source): a flipped bit in stored or deflated data passes silently, and so
 *          does a cut or damaged trailer when the tar ended earlier, or garbage after
 *          the stream.  arc therefore inflates gzip itself with zlib, which checks
 *          every member's trailer ("crc"); concatenated members are one stream; zero
 *          padding after the last member is accepted (as gzip -d does, with a warning);
 *          anything else after it is trailing_garbage; a cut anywhere is "truncated".
 *          Cost: CRC-32 on every byte, ~10% over libarchive's inflate, and still about
 *          half the time of gzip -dc.
 *   tar    libarchive stops at the first zero block and never reads further, so
 *          garbage or a second archive after the end marker goes unnoticed; an input
 *          that ends exactly on a header boundary (no end marker at all) is a silent
 *          end of archive.  arc_check_trailer requires the end marker (none, or one
 *          zero block instead of two, is "truncated") and reads everything after it to
 *          the end of the (decompressed) stream: only zeros may follow (GNU tar pads to
 *          10240-byte records; a cut inside that padding is harmless and passes).
 *          A bad header checksum is "corrupt" (libarchive's ARCHIVE_RETRY); tar has
 *          no data checksum, so a flipped data bit in a plain .tar is only found by a
 *          manifest's SHA-256.
 *   all filters  The format reader stops at its end marker, before the compressed
 *          stream ends, so the last checksum (gzip trailer, lz4 content checksum, the
 *          final zstd frame's checksum, xz's last block check and index) would never
 *          be read: arc_check_trailer reads every decoder to its end.  And when the
 *          format reader fails on damaged data, the decoders are read to their end
 *          first, so that a checksum error (the cause) is reported rather than the
 *          garbage it produced (e.g. a bzip2 block decodes to garbage before its CRC
 *          is checked, which libarchive's tar reader calls "Damaged tar archive").
 *   bzip2  CRCs checked by libbz2 ("corrupt"); libarchive ignores anything after the
 *          last stream: arc checks that libarchive consumed the whole file (zeros
 *          may follow), else trailing_garbage.
 *   xz     checks verified by liblzma ("corrupt"); stream padding (zeros, multiple of
 *          4 bytes) accepted; libarchive reports garbage after the stream like a cut
 *          ("No progress is possible"), so arc looks for the stream footer (CRC-32
 *          checked) before the garbage and reports trailing_garbage when it finds one.
 *   zstd   content checksums verified by libzstd ("crc"); garbage after the last
 *          frame is "Unknown frame descriptor" in libarchive, so arc walks the frame
 *          and block headers (no decoding) to tell trailing_garbage from damage.
 *          zstd allows no padding: zeros after the last frame are trailing_garbage
 *          (as zstd -t says).
 *   lz4    libarchive verifies the content checksum only at the end of the frame
 *          (reached thanks to the drain above, "crc"); garbage after the frame is
 *          caught like bzip2's.
 *   zip    read through the central directory.  A stored entry's bit flip is caught
 *          by the CRC-32 (libarchive reports it as a mere ARCHIVE_WARN: every data
 *          warning is an error here), deflated damage too ("crc" or "corrupt").  A
 *          zip without its end-of-central-directory record (cut near the end) is
 *          quietly read by the streamable reader in libarchive: arc requires the
 *          record in the last 64 KiB ("truncated"), and only zeros after it and its
 *          comment (else trailing_garbage).  Entries exist only through the central
 *          directory: a local entry it does not list is never read (nor reported);
 *          a listed entry whose local header is missing is an error.  Local header
 *          fields other than sizes and CRC (e.g. an extra field's timestamp) are not
 *          compared with the central directory.
 *   7z     CRC-32 of data checked by libarchive (again a warning: "crc"); a cut 7z
 *          loses its header at the end: arc checks the start header's end offset
 *          first ("truncated" rather than libarchive's "Malformed"), and only zeros
 *          after the archive (else trailing_garbage).
 *   cpio   no checksums except the "crc" variant's sum of data bytes, which
 *          libarchive ignores and arc verifies ("crc").  libarchive skips damaged
 *          bytes to the next header with a warning ("Skipped N bytes before finding
 *          valid header"), silently losing entries: every header warning except a
 *          name's charset conversion is an error here ("corrupt").  Only zeros may
 *          follow the TRAILER!!! entry.
 *   empty  an empty tar (just end blocks, or only zeros) is code "empty", as is a
 *          0-byte file and a compressed stream of nothing.
 *   links  newc cpio keeps a hardlinked file's data with its LAST link: libarchive
 *          reports the first links as ARC_FILE of size 0 and the last as ARC_HARDLINK
 *          with the data (size > 0), which belongs to all of them.  tar hardlinks
 *          carry no data.  zip and 7z store hardlinked files twice.
 *   memory libarchive allocates what a header declares (a cpio symlink target of
 *          4 GiB from a 700-byte file): harmless virtual memory without a sanitizer,
 *          it fails cleanly if the allocation does.
 */
#include <stddef.h>
#include <stdint.h>

#include "srerr.h"

/* Filters deeper than this (a .gz inside a .xz inside ...) are refused: code "limit". */
#define ARC_MAX_FILTERS 4

enum arc_type {
	ARC_FILE,       /* a regular file: its data follows */
	ARC_DIR,
	ARC_SYMLINK,    /* link: the target, as stored */
	ARC_HARDLINK,   /* link: the path of an earlier entry; tar/cpio may carry data */
	ARC_CHR,
	ARC_BLK,
	ARC_FIFO,
	ARC_SOCK,
	ARC_OTHER
};

/* The entry arc_next describes.  All pointers are owned by the reader and valid until
 * the next arc_next or arc_close. */
struct arc_entry {
	const char *path;       /* as in the archive, UTF-8 where libarchive can convert */
	enum arc_type type;
	int64_t size;           /* header size in bytes; -1 when the header has none */
	unsigned mode;          /* permission bits incl. setuid/setgid/sticky (07777) */
	int64_t mtime_ms;       /* milliseconds since the epoch; INT64_MIN when absent */
	const char *link;       /* symlink target or hardlink target path; NULL otherwise */
};

/* Caps; 0 means unlimited.  bytes: entry data (decompressed, sparse holes included);
 * entries: entries read; ratio: entry data / archive bytes read so far, judged once
 * there is more than 1 MiB of entry data (so small archives are never refused).  The
 * ratio also caps every decompressed stream, the bytes after the archive's end
 * included (a stream of compressed zeros after a tar is stopped too). */
struct arc_limits {
	uint64_t max_bytes;
	uint64_t max_entries;
	double max_ratio;
};

/* Called with every raw byte of the archive file exactly once, in file order (for the
 * archive's SHA-256 and progress).  The reader may look at parts of the file out of
 * order (a zip's central directory, a 7z header); the tap still sees the file front
 * to back once, the rest of it at the latest in arc_check_trailer. */
typedef void (*arc_tap_fn)(void *arg, const void *buf, size_t len);

struct arc_reader;

/*
 * Open the archive at path for reading (the file stays open until arc_close); tap
 * may be NULL.  Detects filters and format by content; a file that is no archive of
 * an enabled kind fails here or at the first arc_next with code "format".  Returns
 * the reader or NULL and e (codes io, oom, format, limit, truncated, crc, corrupt).
 */
struct arc_reader *arc_open(const char *path, arc_tap_fn tap, void *tap_arg, struct srerr *e);

/* arc_open over len bytes at buf, which must stay valid and unchanged until arc_close;
 * name is used in messages (NULL: "<memory>").  For tests and the fuzzer. */
struct arc_reader *arc_open_mem(const void *buf, size_t len, const char *name, arc_tap_fn tap,
				void *tap_arg, struct srerr *e);

/* Set caps for everything read from now on (copied; lim NULL removes them). */
void arc_set_limits(struct arc_reader *r, const struct arc_limits *lim);

/*
 * Advance to the next entry and describe it in *ent.  Any unread data of the previous
 * entry is read (never skipped) and checked first, so its errors come out here.
 * Returns 1 with *ent filled, 0 at the end of the archive (then call
 * arc_check_trailer), or -1 and e.  A well-formed archive without any entry, an empty
 * compressed stream and an empty (0-byte) file give -1 with code "empty" on the first
 * call.  After -1 the
 * reader is finished: every later call returns -1 with the same error.
 */
int arc_next(struct arc_reader *r, struct arc_entry *ent, struct srerr *e);

/*
 * The next block of the current entry's data, zero-copy: 1 with *buf and *len (valid
 * until the next call on r), 0 at the entry's end (after the byte count was checked
 * against the header's size), or -1 and e.  Sparse holes come out as zeros, so the
 * bytes equal what extraction writes.  Entries without data just return 0.
 */
int arc_data(struct arc_reader *r, const void **buf, size_t *len, struct srerr *e);

/*
 * After arc_next returned 0: read the rest of the input and check the end.  Required
 * for a full verification, because the end of the compressed streams (the gzip
 * trailer, the last xz block's check, ...) is only reached here.  Returns 0 when the
 * archive ends cleanly, or -1 with code trailing_garbage, truncated (no or an
 * incomplete tar end marker, a compressed stream cut short), crc, corrupt or io.  The
 * tap has seen the whole file when this returns 0.
 */
int arc_check_trailer(struct arc_reader *r, struct srerr *e);

/*
 * Stable short names of the archive format, valid after the first successful arc_next
 * (NULL before): "tar (v7)", "tar (ustar)", "tar (gnu)", "tar (pax)", "cpio (odc)",
 * "cpio (newc)", "cpio (crc)", "cpio (bin)", "cpio (afio)", "zip", "7zip".  For tar the
 * richest variant seen in any header so far (pax > gnu > ustar > v7), since libarchive
 * names each header's own variant.
 */
const char *arc_format(const struct arc_reader *r);

/* The compression filters, outermost first ("gzip", "bzip2", "xz", "zstd", "lz4"):
 * stores up to max names (static strings) in names and returns how many there are
 * (0: uncompressed). */
size_t arc_filters(const struct arc_reader *r, const char **names, size_t max);

uint64_t arc_raw_bytes(const struct arc_reader *r);   /* bytes of the file read so far */
uint64_t arc_file_size(const struct arc_reader *r);   /* size of the file (or buffer) */
uint64_t arc_entries(const struct arc_reader *r);     /* entries returned by arc_next */
uint64_t arc_data_bytes(const struct arc_reader *r);  /* entry data bytes read so far */

/* Close the file and free r; NULL is fine. */
void arc_close(struct arc_reader *r);

/* ---- extraction (restore test) --------------------------------------------------- */

struct arc_writer;

/* A writer extracting into the existing directory dir (which should be empty and
 * private).  Returns NULL and e (io, oom) on failure.
 * archive_write_disk has no base directory (and an absolute prefix would defeat
 * SECURE_NOABSOLUTEPATHS), so arc_extract, arc_writer_finish and arc_writer_free
 * fchdir(2) into dir for the duration of the call and back: other threads must not
 * use relative paths meanwhile. */
struct arc_writer *arc_writer_new(const char *dir, struct srerr *e);

/*
 * Extract the current entry (call after arc_next returned 1, instead of arc_data)
 * into w's directory with libarchive's archive_write_disk, always with
 * ARCHIVE_EXTRACT_SECURE_NODOTDOT | SECURE_SYMLINKS | SECURE_NOABSOLUTEPATHS, and:
 *	- never owners (files belong to the restoring user), never setuid/setgid: modes
 *	  are masked with 0777 (sticky dropped too); directories get at least 0700 while
 *	  the restore runs and their own mode in arc_writer_finish;
 *	- device nodes, FIFOs, sockets (and ARC_OTHER) are not created: returns 0 with
 *	  *skipped = 1 (their data, if any, is still read and checked);
 *	- unsafe entries are refused with code "unsafe_path" and nothing is written:
 *	  an absolute path, a ".." component, a path through a symlink (also one made
 *	  by an earlier entry), a hardlink whose target is absolute, has "..", or goes
 *	  through a symlink, or a hardlink to a symlink that carries data; symlinks
 *	  themselves are created as stored.  The entry's data is still read and checked
 *	  (a read error is reported instead), and the reader goes on with arc_next;
 *	  the same holds for an "io" error of the disk (e.g. ENOSPC);
 *	- lim (may be NULL) caps the bytes and entries written and the ratio as for
 *	  arc_set_limits (code "limit", which finishes the reader; the cut file is left
 *	  on disk with its header's size, the rest a hole).
 * Every data byte is also passed to cb(arg, ...) when cb is not NULL (to hash the entry
 * in the same pass), and counted and checked as by arc_data.  *skipped (may be NULL)
 * is set to 0 or 1.  Returns 0 or -1 and e (unsafe_path, limit, io, and the read
 * errors of arc_data).
 */
int arc_extract(struct arc_reader *r, struct arc_writer *w, const struct arc_limits *lim,
		void (*cb)(void *arg, const void *buf, size_t len), void *arg, int *skipped,
		struct srerr *e);

/* Apply the deferred directory modes and times; call once after the last entry.
 * Returns 0 or -1 and e (io). */
int arc_writer_finish(struct arc_writer *w, struct srerr *e);

/* Free w; NULL is fine.  Without arc_writer_finish, libarchive still applies the
 * deferred directory modes and times here (inside the directory). */
void arc_writer_free(struct arc_writer *w);

/*
 * Static safety check of an entry, for check mode without extracting: NULL when
 * extracting it stays inside the restore directory, else a short static reason:
 * "empty path", "absolute path", "contains ..", "empty hardlink target",
 * "absolute hardlink target", "hardlink target contains ..".  Symlink targets are not judged: absolute and
 * outward symlinks are normal in backups, and extraction creates them without ever
 * following them (a later entry whose path goes through a symlink is refused by
 * arc_extract with "unsafe_path").
 */
const char *arc_unsafe_reason(const struct arc_entry *ent);

#endif
