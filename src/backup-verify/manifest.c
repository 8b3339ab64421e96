/*
 * Manifests: entries with a hash index by path, loading (NDJSON and sha256sum),
 * writing (backup.entry records and sha256sum lines) and comparison.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "manifest.h"
#include "ndjson.h"
#include "sha.h"
#include "tm.h"

#include "banned.h"

#define BV_MANIFEST_MAX ((size_t)1 << 30)   /* largest manifest file read: 1 GiB */

static const char *const type_names[] = {
	[ARC_FILE] = "file", [ARC_DIR] = "dir", [ARC_SYMLINK] = "symlink",
	[ARC_HARDLINK] = "hardlink", [ARC_CHR] = "chr", [ARC_BLK] = "blk",
	[ARC_FIFO] = "fifo", [ARC_SOCK] = "sock", [ARC_OTHER] = "other",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *bv_type_name(enum arc_type t)
{
	if ((size_t)t >= NTYPES)
		return "other";
	return type_names[t];
}

int bv_type_parse(const char *s, enum arc_type *out)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(s, type_names[i])) {
			*out = (enum arc_type)i;
			return 0;
		}
	return -1;
}

void bv_entry_init(struct bv_entry *ent)
{
	memset(ent, 0, sizeof(*ent));
	ent->type = ARC_FILE;
	ent->size = -1;
	ent->mode = BV_MODE_UNKNOWN;
	ent->mtime_ms = INT64_MIN;
}

/* ---- paths ---------------------------------------------------------------------- */

char *bv_path_normalise(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	const char *p = path;
	size_t n = 0;

	if (!out)
		return NULL;
	if (*p == '/')
		out[n++] = *p++;
	while (*p) {
		const char *seg = p;
		size_t slen = strcspn(p, "/");

		p += slen;
		while (*p == '/')
			p++;
		/* "." segments only lead: "./a" is "a", but "a/./b" keeps its dot, as tar
		 * never writes one there and a sha256sum line means exactly that file. */
		if ((slen == 0 || (slen == 1 && seg[0] == '.')) && n == 0)
			continue;
		if (n > 0 && out[n - 1] != '/')
			out[n++] = '/';
		memcpy(out + n, seg, slen);
		n += slen;
	}
	if (n == 0)
		out[n++] = '.';
	out[n] = '\0';
	return out;
}

static int is_root(const char *path)
{
	return path[0] == '.' && path[1] == '\0';
}

/* ---- the hash index (SipHash-1-3 with a random key per manifest: paths come from
 * untrusted archives, and a crafted set of colliding names must not make the index
 * quadratic) ------------------------------------------------------------------------ */

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t path_hash(uint64_t seed, const char *s)
{
	uint64_t k0 = seed, k1 = seed * 0x9e3779b97f4a7c15u + 1;
	uint64_t v0 = k0 ^ 0x736f6d6570736575u, v1 = k1 ^ 0x646f72616e646f6du;
	uint64_t v2 = k0 ^ 0x6c7967656e657261u, v3 = k1 ^ 0x7465646279746573u;
	size_t len = strlen(s), i;
	uint64_t m, b = (uint64_t)len << 56;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, s + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)(unsigned char)s[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t new_seed(void)
{
	uint64_t seed;
	struct timespec ts;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);   /* no entropy yet: still varies per run */
	return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec ^
	       (uint64_t)(uintptr_t)&seed;
}

/* The slot holding path (whose hash is h), or the empty slot where it would go.  The
 * hash is compared first, so a probe reads an entry only when it is the one. */
static size_t find_slot(const struct bv_manifest *m, uint64_t h, const char *path)
{
	size_t mask = m->nslots - 1;
	size_t i = (size_t)h & mask;

	while (m->slots[i].idx &&
	       (m->slots[i].hash != h || strcmp(m->v[m->slots[i].idx - 1].path, path)))
		i = (i + 1) & mask;
	return i;
}

static int grow_index(struct bv_manifest *m, struct srerr *e)
{
	size_t nslots = m->nslots ? m->nslots * 2 : 64;
	struct bv_slot *old = m->slots;
	size_t oldn = m->nslots;

	m->slots = calloc(nslots, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	m->nslots = nslots;
	for (size_t i = 0; i < oldn; i++) {
		size_t j = (size_t)old[i].hash & (nslots - 1);

		if (!old[i].idx)
			continue;
		while (m->slots[j].idx)           /* paths are distinct: only a free slot */
			j = (j + 1) & (nslots - 1);
		m->slots[j] = old[i];
	}
	free(old);
	return 0;
}

/* The entry with this (already normalised) path, or NULL. */
static const struct bv_entry *lookup(const struct bv_manifest *m, const char *path)
{
	size_t i;

	if (!m->nslots)
		return NULL;
	i = find_slot(m, path_hash(m->seed, path), path);
	return m->slots[i].idx ? &m->v[m->slots[i].idx - 1] : NULL;
}

/* ---- manifests ------------------------------------------------------------------ */

void bv_manifest_init(struct bv_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->seed = new_seed();
}

void bv_manifest_release(struct bv_manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].path);
		free(m->v[i].link);
	}
	free(m->v);
	free(m->slots);
	bv_manifest_init(m);
}

/* Copy ent into dst, with path (already allocated) and a copy of link. */
static int copy_entry(struct bv_entry *dst, const struct bv_entry *ent, char *path,
		      const char *link, struct srerr *e)
{
	char *copy = NULL;

	if (link && !(copy = strdup(link))) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	*dst = *ent;
	dst->path = path;
	dst->link = copy;
	dst->sha256[sizeof(dst->sha256) - 1] = '\0';
	return 0;
}

static int append_entry(struct bv_manifest *m, struct srerr *e)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct bv_entry *v = reallocarray(m->v, cap, sizeof(*v));

		if (!v) {
			srerr_set(e, "oom", "out of memory");
			return -1;
		}
		m->v = v;
		m->cap = cap;
	}
	if ((m->n + 1) * 2 > m->nslots && grow_index(m, e) < 0)
		return -1;
	return 0;
}

/* bv_manifest_add with the path and link given apart from ent's other values. */
static int add_parts(struct bv_manifest *m, const struct bv_entry *ent, const char *path,
		     const char *link, struct srerr *e)
{
	char *norm;
	size_t slot;
	uint64_t h;

	if (!path) {
		srerr_set(e, "invalid", "entry without a path");
		return -1;
	}
	if (!(norm = bv_path_normalise(path))) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	if (append_entry(m, e) < 0)
		goto fail;
	h = path_hash(m->seed, norm);
	slot = find_slot(m, h, norm);
	if (m->slots[slot].idx) {
		struct bv_entry *old = &m->v[m->slots[slot].idx - 1], prev = *old;

		if (copy_entry(old, ent, norm, link, e) < 0)
			goto fail;
		free(prev.path);
		free(prev.link);
		m->duplicates++;
		return 0;
	}
	if (copy_entry(&m->v[m->n], ent, norm, link, e) < 0)
		goto fail;
	m->slots[slot] = (struct bv_slot){ .hash = h, .idx = ++m->n };
	return 0;
fail:
	free(norm);
	return -1;
}

int bv_manifest_add(struct bv_manifest *m, const struct bv_entry *ent, struct srerr *e)
{
	return add_parts(m, ent, ent->path, ent->link, e);
}

const struct bv_entry *bv_manifest_find(const struct bv_manifest *m, const char *path)
{
	char *norm = bv_path_normalise(path);
	const struct bv_entry *ent;

	if (!norm)
		return NULL;
	ent = lookup(m, norm);
	free(norm);
	return ent;
}

/* ---- writing -------------------------------------------------------------------- */

jv bv_entry_record(const struct bv_entry *ent, int64_t now_ms)
{
	char ts[TM_RFC3339_SIZE], mode[8];
	jv rec = jv_object();

	rec = jv_object_set(rec, jv_string("kind"), jv_string("backup.entry"));
	if (tm_format_rfc3339(now_ms, ts, NULL) == 0)
		rec = jv_object_set(rec, jv_string("time"), jv_string(ts));
	rec = jv_object_set(rec, jv_string("path"), jv_string(ent->path));
	rec = jv_object_set(rec, jv_string("type"), jv_string(bv_type_name(ent->type)));
	if (ent->size >= 0)
		rec = jv_object_set(rec, jv_string("size"), jv_number((double)ent->size));
	if (ent->mode != BV_MODE_UNKNOWN) {
		snprintf(mode, sizeof(mode), "%04o", ent->mode & BV_MODE_MASK);
		rec = jv_object_set(rec, jv_string("mode"), jv_string(mode));
	}
	if (ent->mtime_ms != INT64_MIN && tm_format_rfc3339(ent->mtime_ms, ts, NULL) == 0)
		rec = jv_object_set(rec, jv_string("mtime"), jv_string(ts));
	if (ent->sha256[0])
		rec = jv_object_set(rec, jv_string("sha256"), jv_string(ent->sha256));
	if (ent->link)
		rec = jv_object_set(rec, jv_string("link"), jv_string(ent->link));
	return rec;
}

int bv_entry_write_sha256sum(FILE *fp, const struct bv_entry *ent)
{
	const char *p = ent->path;
	int escape = p[strcspn(p, "\\\n\r")] != '\0';

	if (!ent->sha256[0])
		return 0;
	if (escape && putc('\\', fp) == EOF)
		return -1;
	if (fputs(ent->sha256, fp) == EOF || fputs("  ", fp) == EOF)
		return -1;
	for (; *p; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : NULL;

		if (esc && escape ? fputs(esc, fp) == EOF : putc(*p, fp) == EOF)
			return -1;
	}
	if (putc('\n', fp) == EOF)
		return -1;
	return 1;
}

/* ---- loading: common ------------------------------------------------------------ */

/* Read everything from fp into a new buffer (NUL-terminated) of *len bytes. */
static char *read_all(FILE *fp, const char *name, size_t *len, struct srerr *e)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *nbuf;

	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, fp);
		if (ferror(fp)) {
			srerr_set(e, "io", "cannot read '%s': %s", name, strerror(errno));
			free(buf);
			return NULL;
		}
		if (feof(fp)) {
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		if (cap > BV_MANIFEST_MAX) {
			srerr_set(e, "limit", "manifest '%s' is larger than %zu MiB", name,
				  BV_MANIFEST_MAX >> 20);
			free(buf);
			return NULL;
		}
		nbuf = realloc(buf, cap * 2);
		if (!nbuf)
			free(buf);
		buf = nbuf;
		cap *= 2;
	}
	srerr_set(e, "oom", "out of memory");
	return NULL;
}

static int is_hex64(const char *s, size_t len)
{
	if (len != SHA_HEX_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
			return 0;
	return 1;
}

static void copy_hex_lower(char out[65], const char *s)
{
	for (size_t i = 0; i < 64; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	out[64] = '\0';
}

/* ---- loading: NDJSON ------------------------------------------------------------ */

/* The value of key in rec, or jv_invalid() when absent or null.  Does not consume rec. */
static jv field(jv rec, const char *key)
{
	jv v = jv_object_get(jv_copy(rec), jv_string(key));

	if (jv_get_kind(v) == JV_KIND_NULL) {
		jv_free(v);
		return jv_invalid();
	}
	return v;
}

/* A string field without NUL bytes: 1 and *out (pointer into v), 0 absent, -1 bad. */
static int string_field(jv v, const char **out)
{
	if (!jv_is_valid(v))
		return 0;
	if (jv_get_kind(v) != JV_KIND_STRING ||
	    strlen(jv_string_value(v)) != (size_t)jv_string_length_bytes(jv_copy(v)))
		return -1;
	*out = jv_string_value(v);
	return 1;
}

static int parse_mode(const char *s, unsigned *mode)
{
	size_t len = strlen(s);
	unsigned v = 0;

	if (len < 3 || len > 4 || strspn(s, "01234567") != len)
		return -1;
	for (size_t i = 0; i < len; i++)
		v = v * 8 + (unsigned)(s[i] - '0');
	*mode = v;
	return 0;
}

static int entry_size(jv v, struct bv_entry *ent)
{
	double d;

	if (!jv_is_valid(v))
		return 0;
	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return -1;
	d = jv_number_value(v);
	if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(int64_t)d)
		return -1;
	ent->size = (int64_t)d;
	return 0;
}

static int entry_mtime(jv v, struct bv_entry *ent)
{
	if (!jv_is_valid(v))
		return 0;
	if (jv_get_kind(v) == JV_KIND_NUMBER)
		return tm_from_epoch_seconds(jv_number_value(v), &ent->mtime_ms, NULL);
	if (jv_get_kind(v) != JV_KIND_STRING)
		return -1;
	return tm_parse_rfc3339_mem(jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)),
				    &ent->mtime_ms, NULL);
}

/* Fill ent from the fields of rec other than path and link (which point into rec
 * and are set by the caller).  Returns the name of the bad field, or NULL. */
static const char *entry_values(jv rec, struct bv_entry *ent)
{
	jv v;
	const char *s;
	int rc;

	v = field(rec, "type");
	rc = string_field(v, &s);
	rc = rc == 1 ? bv_type_parse(s, &ent->type) : -1;
	jv_free(v);
	if (rc < 0)
		return "type";
	v = field(rec, "size");
	rc = entry_size(v, ent);
	jv_free(v);
	if (rc < 0)
		return "size";
	v = field(rec, "mode");
	rc = string_field(v, &s);
	rc = rc == 1 ? parse_mode(s, &ent->mode) : rc;
	jv_free(v);
	if (rc < 0)
		return "mode";
	v = field(rec, "mtime");
	rc = entry_mtime(v, ent);
	jv_free(v);
	if (rc < 0)
		return "mtime";
	v = field(rec, "sha256");
	rc = string_field(v, &s);
	if (rc == 1 && is_hex64(s, strlen(s)))
		copy_hex_lower(ent->sha256, s);
	jv_free(v);
	return rc < 0 || (rc == 1 && !ent->sha256[0]) ? "sha256" : NULL;
}

static const char *const field_wants[] = {
	"type", "one of file, dir, symlink, hardlink, chr, blk, fifo, sock, other",
	"size", "a non-negative integer",
	"mode", "a string of 3 or 4 octal digits like \"0644\"",
	"mtime", "an RFC 3339 time or epoch seconds",
	"sha256", "64 hex digits",
	"path", "a non-empty string without NUL",
	"link", "a string without NUL",
};

static void bad_field(struct ndj_reader *r, const char *name, struct srerr *e)
{
	const char *want = "valid";

	for (size_t i = 0; i < sizeof(field_wants) / sizeof(*field_wants); i += 2)
		if (!strcmp(field_wants[i], name))
			want = field_wants[i + 1];
	srerr_set(e, "parse", "%s:%zu: invalid backup.entry: \"%s\" must be %s", ndj_file(r),
		  ndj_line(r), name, want);
}

/* One record: skipped (0) unless its kind is backup.entry; added (0) or -1. */
static int add_record(struct ndj_reader *r, jv rec, struct bv_manifest *m, struct srerr *e)
{
	jv kind = field(rec, "kind"), path = field(rec, "path"), link = field(rec, "link");
	struct bv_entry ent;
	const char *bad = NULL, *k, *p = NULL, *l = NULL;
	int rc = 0;

	bv_entry_init(&ent);
	if (string_field(kind, &k) != 1) {
		srerr_set(e, "parse", "%s:%zu: record without a string \"kind\"", ndj_file(r),
			  ndj_line(r));
		rc = -1;
	} else if (!strcmp(k, "backup.entry")) {
		if (string_field(path, &p) != 1 || !p[0])
			bad = "path";
		else if (string_field(link, &l) < 0)
			bad = "link";
		else
			bad = entry_values(rec, &ent);
		if (bad)
			bad_field(r, bad, e);
		rc = bad ? -1 : add_parts(m, &ent, p, l, e);
	}
	jv_free(kind);
	jv_free(path);
	jv_free(link);
	return rc;
}

static int load_ndjson(const char *buf, size_t len, const char *name,
		       struct bv_manifest *m, struct srerr *e)
{
	struct ndj_reader *r = ndj_reader_new_mem(buf, len, name, NULL, e);
	jv rec;
	int rc;

	if (!r)
		return -1;
	while ((rc = ndj_next(r, &rec, e)) == 1) {
		rc = add_record(r, rec, m, e);
		jv_free(rec);
		if (rc < 0)
			break;
	}
	ndj_reader_free(r);
	return rc < 0 ? -1 : 0;
}

/* ---- loading: sha256sum --------------------------------------------------------- */

/* Decode an escaped name in place (coreutils' filename_unescape): 0, or -1. */
static int unescape(char *s, size_t *len)
{
	size_t n = 0;

	for (size_t i = 0; i < *len; i++) {
		if (s[i] != '\\') {
			s[n++] = s[i];
			continue;
		}
		if (++i == *len)
			return -1;
		if (s[i] == 'n')
			s[n++] = '\n';
		else if (s[i] == 'r')
			s[n++] = '\r';
		else if (s[i] == '\\')
			s[n++] = '\\';
		else
			return -1;
	}
	s[n] = '\0';
	*len = n;
	return 0;
}

/* State of one sha256sum file: -1 format unknown, 0 standard, 1 "HASH NAME"
 * (BSD md5 -r); mixing them is refused as coreutils does. */
struct sum_state {
	int bsd_reversed;
};

#define ISWHITE(c) ((c) == ' ' || (c) == '\t')

/* "SHA256 (NAME) = HASH" (s after "SHA256"): the name and hash, or -1. */
static int split_tagged(char *s, size_t len, char **name, size_t *nlen, char **hash)
{
	size_t i = 0, end;

	if (s[i] == ' ')
		i++;
	if (s[i] != '(')
		return -1;
	s += i + 1;
	len -= i + 1;
	for (end = len; end > 0 && s[end - 1] != ')'; end--)
		;
	if (end == 0)
		return -1;
	*name = s;
	*nlen = end - 1;
	for (i = end; ISWHITE(s[i]); i++)
		;
	if (s[i++] != '=')
		return -1;
	while (ISWHITE(s[i]))
		i++;
	*hash = s + i;
	return is_hex64(s + i, len - i) ? 0 : -1;
}

/* "HASH  NAME", "HASH *NAME" or "HASH NAME": as coreutils' split_3. */
static int split_plain(struct sum_state *st, char *s, size_t len, char **name,
		       size_t *nlen, char **hash)
{
	size_t i = 64;

	if (len < 66 || !ISWHITE(s[i]) || !is_hex64(s, 64))
		return -1;
	*hash = s;
	i++;
	if (len - i == 1 || (s[i] != ' ' && s[i] != '*')) {
		if (st->bsd_reversed == 0)
			return -1;
		st->bsd_reversed = 1;
	} else if (st->bsd_reversed != 1) {
		st->bsd_reversed = 0;
		i++;
	}
	*name = s + i;
	*nlen = len - i;
	return 0;
}

/*
 * One line (NUL-terminated, without its newline, neither empty nor a comment):
 * *name (decoded in place) and *hash, or -1 and *why.
 */
static int parse_sum_line(struct sum_state *st, char *line, size_t len, char **name,
			  char **hash, const char **why)
{
	size_t i = 0, nlen;
	int escaped = 0, rc;

	while (ISWHITE(line[i]))
		i++;
	if (line[i] == '\\') {
		escaped = 1;
		i++;
	}
	if (!strncmp(line + i, "SHA256", 6))
		rc = split_tagged(line + i + 6, len - i - 6, name, &nlen, hash);
	else
		rc = split_plain(st, line + i, len - i, name, &nlen, hash);
	*why = "improperly formatted sha256sum line";
	if (rc < 0)
		return -1;
	*why = "invalid escape in name (only \\\\, \\n and \\r are known)";
	if (escaped && unescape(*name, &nlen) < 0)
		return -1;
	*why = "empty name";
	if (nlen == 0)
		return -1;
	(*name)[nlen] = '\0';
	return 0;
}

/* Add the entry of one line (NUL-terminated, without its newline) unless the line is
 * empty or a comment.  Returns 0, or -1 and e. */
static int add_sum_line(struct sum_state *st, char *line, size_t len, const char *file,
			size_t lineno, struct bv_manifest *m, struct srerr *e)
{
	struct bv_entry ent;
	const char *why = "NUL byte in line";
	char *name, *hash;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0 || line[0] == '#')
		return 0;
	if (!memchr(line, '\0', len) && parse_sum_line(st, line, len, &name, &hash, &why) == 0) {
		bv_entry_init(&ent);
		ent.path = name;
		copy_hex_lower(ent.sha256, hash);
		return bv_manifest_add(m, &ent, e);
	}
	srerr_set(e, "parse", "%s:%zu: %s", file, lineno, why);
	return -1;
}

static int load_sha256sum(char *buf, size_t len, const char *name,
			  struct bv_manifest *m, struct srerr *e)
{
	struct sum_state st = { .bsd_reversed = -1 };
	size_t lineno = 0;
	char *p = buf, *end = buf + len;

	m->hashes_only = 1;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t llen = (size_t)((nl ? nl : end) - p);

		lineno++;
		if (llen > BV_LINE_MAX) {
			srerr_set(e, "limit", "%s:%zu: line longer than %u bytes", name, lineno,
				  BV_LINE_MAX);
			return -1;
		}
		p[llen] = '\0';
		if (add_sum_line(&st, p, llen, name, lineno, m, e) < 0)
			return -1;
		p += llen + 1;
	}
	return 0;
}

/* ---- loading: entry point ------------------------------------------------------- */

int bv_manifest_load_fp(FILE *fp, const char *name, struct bv_manifest *m, struct srerr *e)
{
	size_t len, i;
	char *buf = read_all(fp, name, &len, e);
	int rc;

	if (!buf)
		return -1;
	for (i = 0; i < len && strchr(" \t\r\n", buf[i]) && buf[i]; i++)
		;
	if (i < len && (buf[i] == '{' || buf[i] == '['))
		rc = load_ndjson(buf, len, name, m, e);
	else
		rc = load_sha256sum(buf, len, name, m, e);
	free(buf);
	return rc;
}

int bv_manifest_load(const char *path, struct bv_manifest *m, struct srerr *e)
{
	FILE *fp;
	int rc;

	if (!strcmp(path, "-"))
		return bv_manifest_load_fp(stdin, "<stdin>", m, e);
	fp = fopen(path, "rb");
	if (!fp) {
		srerr_set(e, "io", "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	rc = bv_manifest_load_fp(fp, path, m, e);
	fclose(fp);
	return rc;
}

/* ---- comparison ----------------------------------------------------------------- */

static enum arc_type content_type(enum arc_type t)
{
	return t == ARC_HARDLINK ? ARC_FILE : t;
}

static int is_special(enum arc_type t)
{
	return t == ARC_CHR || t == ARC_BLK || t == ARC_FIFO || t == ARC_SOCK;
}

/* Whether ent's content size is known (a hardlink's only when its hash is). */
static int size_known(const struct bv_entry *ent)
{
	return ent->size >= 0 && (ent->type != ARC_HARDLINK || ent->sha256[0]);
}

struct cmp {
	const struct bv_compare_opts *o;
	bv_diff_fn cb;
	void *arg;
};

static void diff_size(const struct cmp *c, const struct bv_entry *x, const struct bv_entry *a)
{
	char ex[24], ac[24];

	if (content_type(x->type) != ARC_FILE || !size_known(x) || !size_known(a) ||
	    x->size == a->size)
		return;
	snprintf(ex, sizeof(ex), "%" PRId64, x->size);
	snprintf(ac, sizeof(ac), "%" PRId64, a->size);
	c->cb(c->arg, "changed_size", x->path, ex, ac);
}

static void diff_mode(const struct cmp *c, const struct bv_entry *x, const struct bv_entry *a)
{
	char ex[8], ac[8];

	if ((c->o->flags & BV_CMP_NO_MODE) || x->type == ARC_SYMLINK ||
	    x->mode == BV_MODE_UNKNOWN || a->mode == BV_MODE_UNKNOWN ||
	    ((x->mode ^ a->mode) & BV_MODE_MASK) == 0)
		return;
	snprintf(ex, sizeof(ex), "%04o", x->mode & BV_MODE_MASK);
	snprintf(ac, sizeof(ac), "%04o", a->mode & BV_MODE_MASK);
	c->cb(c->arg, "changed_mode", x->path, ex, ac);
}

/* The differences of one path present on both sides, in the documented order. */
static void diff_pair(const struct cmp *c, int hashes_only, const struct bv_entry *x,
		      const struct bv_entry *a)
{
	if (content_type(x->type) != content_type(a->type)) {
		c->cb(c->arg, "changed_type", x->path, bv_type_name(x->type),
		      bv_type_name(a->type));
		return;
	}
	if (!hashes_only)
		diff_size(c, x, a);
	if (x->sha256[0] && a->sha256[0] && strcmp(x->sha256, a->sha256))
		c->cb(c->arg, "changed_hash", x->path, x->sha256, a->sha256);
	if (hashes_only)
		return;
	diff_mode(c, x, a);
	if (x->type == ARC_SYMLINK && x->link && a->link && strcmp(x->link, a->link))
		c->cb(c->arg, "changed_link", x->path, x->link, a->link);
}

/* 1 when ent takes no part in the comparison, 0 when it does, -1 on a regex error. */
static int left_out(const struct cmp *c, const struct bv_entry *ent, struct srerr *e)
{
	if (is_root(ent->path))
		return 1;
	if ((c->o->flags & BV_CMP_NO_SPECIAL) && is_special(ent->type))
		return 1;
	if (!c->o->ignore)
		return 0;
	return rx_match(c->o->ignore, ent->path, strlen(ent->path), e);
}

int bv_manifest_compare(const struct bv_manifest *expected, const struct bv_manifest *actual,
			const struct bv_compare_opts *opts, bv_diff_fn cb, void *arg,
			struct srerr *e)
{
	static const struct bv_compare_opts none;
	struct cmp c = { .o = opts ? opts : &none, .cb = cb, .arg = arg };
	int skip;

	for (size_t i = 0; i < expected->n; i++) {
		const struct bv_entry *x = &expected->v[i], *a;

		if ((skip = left_out(&c, x, e)) != 0) {
			if (skip < 0)
				return -1;
			continue;
		}
		a = lookup(actual, x->path);
		if (!a)
			cb(arg, "missing", x->path, bv_type_name(x->type), NULL);
		else
			diff_pair(&c, expected->hashes_only, x, a);
	}
	for (size_t i = 0; i < actual->n; i++) {
		const struct bv_entry *a = &actual->v[i];

		if (expected->hashes_only && content_type(a->type) != ARC_FILE)
			continue;
		if (lookup(expected, a->path))
			continue;
		if ((skip = left_out(&c, a, e)) != 0) {
			if (skip < 0)
				return -1;
			continue;
		}
		cb(arg, "extra", a->path, NULL, bv_type_name(a->type));
	}
	return 0;
}
