#ifndef BACKUP_VERIFY_MANIFEST_H
#define BACKUP_VERIFY_MANIFEST_H
/*
 * What a backup should contain, and the comparison of two such lists.
 *
 * A manifest is a list of entries (path, type, size, mode, mtime, SHA-256, link
 * target) with a hash index by path.  It comes from a file (bv_manifest_load: the
 * NDJSON that `backup-verify manifest` writes, or a sha256sum file), from an archive
 * (the command adds what arc_next gives) or from a directory (bv_tree_walk).
 *
 * Paths are normalised when added and when looked up, so that the names tar, find,
 * sha256sum and a tree walk give for one file are equal: leading "./" are removed
 * ("./a" and "././a" are "a"), repeated slashes collapse ("a//b" is "a/b"), a
 * trailing "/" goes ("dir/" is "dir"), and the root itself ("", ".", "./") is ".".
 * A leading "/" stays: "/etc/x" never equals "etc/x".  Adding a path that is already
 * there replaces the earlier entry (the last one wins, as extraction does) and counts
 * it in m->duplicates.
 *
 * Unknown values: size -1, mode BV_MODE_UNKNOWN, mtime_ms INT64_MIN, sha256 "", link
 * NULL.  A comparison only looks at values known on both sides.
 *
 * Hardlinks.  bv_tree_walk reports every name of a hardlinked file as a plain file
 * with its own size and SHA-256 (a directory does not say which name came first);
 * tar stores the second and later names as ARC_HARDLINK entries with a header size of
 * 0 and no data.  bv_manifest_compare therefore treats ARC_FILE and ARC_HARDLINK as
 * the same type, never compares the link target of a hardlink (which name is the
 * target depends on the order of archiving), and compares a hardlink's size and hash
 * only when its producer knew the content: a hardlink entry's size counts only when
 * its sha256 is set.  A producer that resolves a hardlink to its target's content
 * (the command does, from the target's earlier entry) sets both.
 *
 * Names in NDJSON are UTF-8: a name with bytes that are not valid UTF-8 is written
 * with U+FFFD in their place (jq's jv does this), so such a name does not survive an
 * NDJSON round trip; the sha256sum format keeps every byte.
 *
 * Errors (srerr codes): "parse" (a malformed manifest line, FILE:LINE: ...), "io"
 * (the file cannot be opened or read), "limit" (a record or line too long, a file
 * over 1 GiB), "oom", "invalid" (an entry without a path), "regex" / "limit" from
 * --ignore (see bv_manifest_compare).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jv.h>

#include "arc.h"
#include "rx.h"
#include "srerr.h"

#define BV_MODE_UNKNOWN 0xffffffffu   /* mode not known (sha256sum manifests) */
#define BV_MODE_MASK 07777u           /* the permission bits a manifest keeps */
#define BV_LINE_MAX (64u << 10)       /* longest sha256sum line accepted */

struct bv_entry {
	char *path;             /* normalised as above (in a manifest; owned by it) */
	enum arc_type type;
	int64_t size;           /* bytes of content; -1 unknown */
	unsigned mode;          /* permission bits incl. setuid/setgid/sticky (& 07777);
				   BV_MODE_UNKNOWN */
	int64_t mtime_ms;       /* INT64_MIN: unknown */
	char sha256[65];        /* 64 lowercase hex digits, "" when none (non-files) */
	char *link;             /* symlink or hardlink target; NULL otherwise */
};

struct bv_slot {                /* private to manifest.c */
	uint64_t hash;
	size_t idx;             /* entry index + 1; 0: empty */
};

struct bv_manifest {
	struct bv_entry *v;     /* entries in the order added (a duplicate keeps the first
				   one's place) */
	size_t n, cap;
	size_t duplicates;      /* adds that replaced an entry with the same path */
	int hashes_only;        /* loaded from a sha256sum file: only files and hashes
				   are known (see bv_manifest_compare) */
	struct bv_slot *slots;  /* private: the hash index (open addressing) */
	size_t nslots;          /* private */
	uint64_t seed;          /* private: per-manifest hash seed */
};

/* An empty manifest (no allocation yet). */
void bv_manifest_init(struct bv_manifest *m);
/* Free everything m owns; m is then empty, as after bv_manifest_init. */
void bv_manifest_release(struct bv_manifest *m);

/* An entry with every value unknown: type ARC_FILE, path and link NULL. */
void bv_entry_init(struct bv_entry *ent);

/*
 * Add a copy of *ent (its path and link strings are copied; the path is normalised).
 * A path already present replaces that entry in place (m->duplicates counts it).
 * Returns 0, or -1 and e: "oom"; "invalid" when ent->path is NULL.
 */
int bv_manifest_add(struct bv_manifest *m, const struct bv_entry *ent, struct srerr *e);

/* The entry for path (normalised before the lookup), or NULL; owned by m. */
const struct bv_entry *bv_manifest_find(const struct bv_manifest *m, const char *path);

/*
 * Normalise path into a new string (malloc; the caller frees it), as described at
 * the top.  NULL when out of memory.
 */
char *bv_path_normalise(const char *path);

/*
 * Load the manifest file at path ("-": stdin) into m (which must be initialised; the
 * entries are added to what it holds).  The format is detected from the first byte
 * that is not whitespace:
 *
 * '{' or '[' — NDJSON, read strictly through ndjson.h.  Records of kind
 *	"backup.entry" are entries; records of other kinds are skipped; a record
 *	without a string "kind" is an error.  Fields: "path" (a non-empty string
 *	without NUL), "type" (file, dir, symlink, hardlink, chr, blk, fifo, sock, other)
 *	required; "size" (an integer 0..2^53), "mode" (a string of 3 or 4 octal digits,
 *	at most 07777: "0644", "4755"), "mtime" (RFC 3339 or epoch seconds), "sha256"
 *	(64 hex digits, either case, stored lowercase), "link" (a string) optional;
 *	null is the same as absent; other fields are ignored.
 *
 * anything else — the sha256sum format, parsed as GNU coreutils 9.1 (Debian 12)
 *	parses it in sha256sum -c: "HASH  NAME" (text mode), "HASH *NAME" (binary
 *	mode), the tagged form "SHA256 (NAME) = HASH" (sha256sum --tag; the name ends
 *	at the last ')'), and "HASH NAME" with a single blank (BSD md5 -r), which, as
 *	in coreutils, is refused after a line of the standard form, and after which
 *	"HASH  NAME" is the name " NAME".  A line beginning with '\' has an escaped
 *	name: "\\" is a backslash, "\n" a newline, "\r" a carriage return; any other
 *	escape, and a name ending in a lone '\', is an error.  Leading blanks (space,
 *	tab) and one trailing "\r" (a file from Windows) are ignored; lines beginning
 *	with '#' and empty lines are skipped, as sha256sum -c does; any other line that
 *	is not in one of these forms, a NUL byte and an empty name are errors (what
 *	sha256sum -c --strict refuses).  HASH is 64 hex digits, either case.  Every
 *	entry is a file with only its hash known, and m->hashes_only is set.
 *
 * An empty file is an empty manifest.  Returns 0, or -1 and e ("FILE:LINE: ..."
 * for a bad line or record; "io", "parse", "limit", "oom").  On error m keeps the
 * entries read before the bad line.
 */
int bv_manifest_load(const char *path, struct bv_manifest *m, struct srerr *e);

/* The same, from an open stream named name in messages (not closed). */
int bv_manifest_load_fp(FILE *fp, const char *name, struct bv_manifest *m, struct srerr *e);

/*
 * ent as a "backup.entry" record (the caller owns the returned jv):
 *	{"kind":"backup.entry","time":TIME,"path":..,"type":..,"size":..,"mode":"0644",
 *	 "mtime":"2026-01-02T03:04:05.000Z","sha256":..,"link":..}
 * TIME is now_ms as RFC 3339.  Values that are unknown are left out; mode is always
 * four octal digits.  Types are named by bv_type_name.
 */
jv bv_entry_record(const struct bv_entry *ent, int64_t now_ms);

/*
 * Write ent as one sha256sum line ("HASH  NAME\n", text mode, as sha256sum writes by
 * default), escaped exactly as GNU coreutils 9.1 (Debian 12) does: a name containing
 * '\\', '\n' or '\r' makes the line begin with '\\' and has "\\\\", "\\n" and "\\r" in
 * place of those bytes.  Only entries with a sha256 are written (files, and
 * hardlinks whose content is known).  Returns 1 when a line was written, 0 when ent
 * has no hash, -1 on a write error (errno set).
 */
int bv_entry_write_sha256sum(FILE *fp, const struct bv_entry *ent);

/* "file", "dir", "symlink", "hardlink", "chr", "blk", "fifo", "sock", "other". */
const char *bv_type_name(enum arc_type t);
/* The type named s (as above); -1 when s names none. */
int bv_type_parse(const char *s, enum arc_type *out);

/* ---- comparison ----------------------------------------------------------------- */

/*
 * One difference: code is one of "missing", "extra", "changed_size", "changed_hash",
 * "changed_mode", "changed_type", "changed_link"; path the normalised path; expected
 * and actual the values as strings (valid only during the call):
 *	missing       expected the type name ("file"),  actual NULL
 *	extra         expected NULL,  actual the type name
 *	changed_size  byte counts ("1024", "1000")
 *	changed_hash  the two hex digests
 *	changed_mode  four octal digits ("0644", "0600")
 *	changed_type  type names ("file", "dir")
 *	changed_link  the two link targets
 */
typedef void (*bv_diff_fn)(void *arg, const char *code, const char *path,
			   const char *expected, const char *actual);

#define BV_CMP_NO_MODE    0x1u  /* do not compare modes (a restore masks them) */
#define BV_CMP_NO_SPECIAL 0x2u  /* skip chr, blk, fifo, sock entries on both sides
				   (a restore does not create them) */

struct bv_compare_opts {
	struct rx *ignore;      /* paths it matches (anywhere, as grep does) are left
				   out on both sides; may be NULL */
	unsigned flags;         /* BV_CMP_* */
};

/*
 * Compare actual against expected and call cb once per difference: first the
 * entries of expected in their order (missing or changed; for one path the codes come
 * in the order changed_type, changed_size, changed_hash, changed_mode, changed_link),
 * then the extra entries of actual in its order.  O(n) through the hash indexes.
 *
 * The root "." is never compared.  ARC_FILE and ARC_HARDLINK are one type (see
 * above).  Sizes are compared for files only (a directory's or a symlink's size
 * depends on the file system), modes for every type but symlinks (always 0777 on
 * Linux), link targets for symlinks only.
 * When expected->hashes_only (a sha256sum file), only files of actual can be extra,
 * and only type and hash are compared.  Unknown values are never compared.
 *
 * opts may be NULL (no ignore, no flags).  Returns 0, or -1 and e when the ignore
 * regex fails on a path (code "limit" from rx: no verdict; the comparison stops).
 */
int bv_manifest_compare(const struct bv_manifest *expected, const struct bv_manifest *actual,
			const struct bv_compare_opts *opts, bv_diff_fn cb, void *arg,
			struct srerr *e);

#endif
