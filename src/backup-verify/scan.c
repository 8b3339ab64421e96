/*
 * The read pass over one backup; see scan.h.
 *
 * Entries wait in a FIFO from arc_next until the hasher thread has their digest
 * (digests come back in the order the entries ended), then go to the caller.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hasher.h"
#include "progress.h"
#include "scan.h"
#include "tree.h"
#include "banned.h"


struct pending {
	struct bv_entry ent;     /* path and link owned */
	uint64_t bytes;          /* data bytes read */
	int failed;              /* its data could not be read to the end */
};

struct scan {
	struct bv_report *r;
	const struct bv_scan_opts *o;
	struct bv_hasher *h;     /* the entries' digests */
	struct bv_hasher *hf;    /* the archive file's digest, on a third thread, so that
				    neither hashing thread is slower than decompression */
	struct bv_progress prog;
	uint64_t raw;            /* raw bytes the tap saw */
	struct pending *q;       /* FIFO: head, n, cap */
	size_t head, n, cap;
	int stopped;             /* the entry callback failed: trouble */
	struct srerr err;
	struct bv_manifest links;  /* symlink entries so far: a later path through one
				      is unsafe (extraction refuses it) */
};

int bv_scan_is_trouble(const char *code)
{
	return !strcmp(code, "io") || !strcmp(code, "oom") || !strcmp(code, "crypto") ||
	       !strcmp(code, "thread");
}

/* A problem; an entry's path is normalised as the manifest's paths are ("./a" is "a"). */
static void problem(struct scan *sc, const char *code, const char *path, const char *expected,
		    const char *actual, const char *message)
{
	char *norm = path ? bv_path_normalise(path) : NULL;
	struct bv_problem p = { code, norm ? norm : path, expected, actual, message };

	if (sc->o->problem)
		sc->o->problem(sc->o->arg, &p);
	free(norm);
}

/* A read error: trouble or a problem.  Returns the bv_scan result it makes. */
static int read_error(struct scan *sc, const struct srerr *e, const char *path)
{
	if (bv_scan_is_trouble(e->code)) {
		bv_report_trouble(sc->r, e);
		return -1;
	}
	problem(sc, e->code[0] ? e->code : "corrupt", path, NULL, NULL, e->msg);
	return 1;
}

/* ---- the pending FIFO ------------------------------------------------------------------ */

static void pending_release(struct pending *p)
{
	free(p->ent.path);
	free(p->ent.link);
}

static struct pending *pending_push(struct scan *sc, const struct arc_entry *a)
{
	struct pending *p;

	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 256;
		struct pending *q = malloc(cap * sizeof(*q));

		if (!q)
			return NULL;
		for (size_t i = 0; i < sc->n; i++)
			q[i] = sc->q[(sc->head + i) % sc->cap];
		free(sc->q);
		sc->q = q;
		sc->cap = cap;
		sc->head = 0;
	}
	p = &sc->q[(sc->head + sc->n) % sc->cap];
	memset(p, 0, sizeof(*p));
	bv_entry_init(&p->ent);
	p->ent.type = a->type;
	p->ent.mode = a->mode & BV_MODE_MASK;
	p->ent.mtime_ms = a->mtime_ms;
	if (!(p->ent.path = strdup(a->path ? a->path : "")) ||
	    (a->link && !(p->ent.link = strdup(a->link)))) {
		pending_release(p);
		return NULL;
	}
	sc->n++;
	return p;
}

/* The entry's size and digest; a data-less hardlink takes its target's. */
static void finish_entry(struct scan *sc, struct pending *p, const char *hex)
{
	struct bv_entry *ent = &p->ent;
	const struct bv_entry *target;

	ent->size = (int64_t)p->bytes;
	if (ent->type == ARC_FILE || (ent->type == ARC_HARDLINK && p->bytes > 0)) {
		memcpy(ent->sha256, hex, sizeof(ent->sha256));
	} else if (ent->type == ARC_HARDLINK) {
		ent->size = -1;
		if (sc->o->keep && ent->link && (target = bv_manifest_find(sc->o->keep, ent->link)) &&
		    target->sha256[0]) {
			ent->size = target->size;
			memcpy(ent->sha256, target->sha256, sizeof(ent->sha256));
		}
	}
}

/* Hand the head entry, whose digest is hex, to the caller. */
static void complete_head(struct scan *sc, const char *hex)
{
	struct pending *p = &sc->q[sc->head];

	sc->head = (sc->head + 1) % sc->cap;
	sc->n--;
	if (!p->failed && !sc->stopped) {
		finish_entry(sc, p, hex);
		if ((sc->o->keep && bv_manifest_add(sc->o->keep, &p->ent, &sc->err) == -1) ||
		    (sc->o->entry && sc->o->entry(sc->o->arg, &p->ent, &sc->err) != 0))
			sc->stopped = 1;
	}
	pending_release(p);
}

/* Complete the entries whose digests are ready (all of them with wait). */
static int drain(struct scan *sc, int wait)
{
	char hex[SHA_HEX_LEN + 1];
	int rc = 0;

	while (sc->n && (rc = bv_hasher_collect(sc->h, hex, wait, &sc->err)) == 1)
		complete_head(sc, hex);
	if (sc->n && rc == -1) {
		sc->stopped = 1;
		return -1;
	}
	return sc->stopped ? -1 : 0;
}

/* ---- archives --------------------------------------------------------------------------- */

static void tap(void *arg, const void *buf, size_t len)
{
	struct scan *sc = arg;

	bv_hasher_feed(sc->hf, buf, len);
	sc->raw += len;
	bv_progress_update(&sc->prog, sc->raw);
}

/* The first symlink entry (seen earlier) that path goes through, or NULL. */
static const char *through_symlink(struct scan *sc, const char *path, char **norm)
{
	char *p;

	if (!sc->links.n || !path || !(p = *norm = bv_path_normalise(path)))
		return NULL;
	for (char *slash = strchr(p, '/'); slash; slash = strchr(slash + 1, '/')) {
		const struct bv_entry *link;

		*slash = '\0';
		link = bv_manifest_find(&sc->links, p);
		*slash = '/';
		if (link)
			return link->path;
	}
	return NULL;
}

/* Why a is unsafe to extract, into why (NULL: it is safe). */
static const char *unsafe_reason(struct scan *sc, const struct arc_entry *a, char *why,
				 size_t size)
{
	const char *reason = arc_unsafe_reason(a), *link;
	char *norm = NULL, quoted[256];

	if (reason)
		return reason;
	if ((link = through_symlink(sc, a->path, &norm)) != NULL) {
		srerr_shorten(link, quoted, sizeof(quoted));
		snprintf(why, size, "path through the symlink '%s'", quoted);
		reason = why;
	} else if (a->type == ARC_HARDLINK) {
		free(norm);
		norm = NULL;
		if ((link = through_symlink(sc, a->link, &norm)) != NULL) {
			srerr_shorten(link, quoted, sizeof(quoted));
			snprintf(why, size, "hardlink target through the symlink '%s'", quoted);
			reason = why;
		}
	}
	free(norm);
	return reason;
}

static void check_unsafe(struct scan *sc, const struct arc_entry *a)
{
	char msg[SRERR_MSG_MAX], quoted[256], why[400];
	const char *reason;
	struct bv_entry link;

	if (!sc->o->check_unsafe)
		return;
	if ((reason = unsafe_reason(sc, a, why, sizeof(why))) != NULL) {
		srerr_shorten(a->path ? a->path : "", quoted, sizeof(quoted));
		snprintf(msg, sizeof(msg), "'%s': unsafe path: %s", quoted, reason);
		problem(sc, "unsafe_path", a->path, NULL,
			a->type == ARC_HARDLINK ? a->link : NULL, msg);
	}
	if (a->type == ARC_SYMLINK && a->path) {
		bv_entry_init(&link);
		link.path = (char *)(uintptr_t)a->path;   /* copied */
		/* out of memory only means fewer checks: the restore test still refuses */
		(void)bv_manifest_add(&sc->links, &link, NULL);
	}
}

/* One entry: its data through the hasher.  Returns 0, or -1 and e (its data could
   not be read to the end; the entry is dropped when its turn comes). */
static int read_entry(struct scan *sc, struct arc_reader *ar, const struct arc_entry *a,
		      struct srerr *e)
{
	struct pending *p = pending_push(sc, a);
	const void *buf;
	size_t len;
	int rc;

	if (!p) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	if (a->mtime_ms != INT64_MIN && a->mtime_ms > sc->r->newest_entry_ms)
		sc->r->newest_entry_ms = a->mtime_ms;
	check_unsafe(sc, a);
	while ((rc = arc_data(ar, &buf, &len, e)) == 1) {
		bv_hasher_feed(sc->h, buf, len);
		p->bytes += len;
	}
	bv_hasher_end(sc->h);
	sc->r->entries++;
	sc->r->data_bytes += p->bytes;
	if (rc == -1)
		p->failed = 1;
	return rc;
}

static void describe(struct bv_report *r, struct arc_reader *ar)
{
	const char *fmt = arc_format(ar);

	if (fmt)
		snprintf(r->format, sizeof(r->format), "%s", fmt);
	r->nfilters = arc_filters(ar, r->filters, ARC_MAX_FILTERS);
	if (r->nfilters > ARC_MAX_FILTERS)
		r->nfilters = ARC_MAX_FILTERS;
}

/* The archive file's digest: from the tap when it saw the whole file, else read again. */
static void file_digest(struct scan *sc, int whole)
{
	struct srerr e;

	bv_hasher_end(sc->hf);
	if (whole && bv_hasher_collect(sc->hf, sc->r->sha256, 1, &e) == 1)
		return;
	if (sha_file_hex(sc->r->path, sc->r->sha256, NULL, &e) == -1)
		sc->r->sha256[0] = '\0';
}

/* Read every entry; returns 0 or the read error's scan result. */
static int read_entries(struct scan *sc, struct arc_reader *ar)
{
	struct arc_entry a;
	struct srerr e;
	int rc;

	while ((rc = arc_next(ar, &a, &e)) == 1) {
		if ((rc = read_entry(sc, ar, &a, &e)) == -1)
			return read_error(sc, &e, bv_scan_is_trouble(e.code) ? NULL : a.path);
		if (drain(sc, 0) == -1)
			return 0;
	}
	if (rc == 0)
		rc = arc_check_trailer(ar, &e);
	return rc == -1 ? read_error(sc, &e, NULL) : 0;
}

static int scan_archive(struct scan *sc)
{
	struct srerr e;
	struct arc_reader *ar;
	int rc;

	if (!(sc->h = bv_hasher_new(&e)) || !(sc->hf = bv_hasher_new(&e))) {
		bv_report_trouble(sc->r, &e);
		return -1;
	}
	if (!(ar = arc_open(sc->r->path, tap, sc, &e))) {
		rc = read_error(sc, &e, NULL);
	} else {
		arc_set_limits(ar, &sc->o->lim);
		rc = read_entries(sc, ar);
		describe(sc->r, ar);
	}
	if (drain(sc, 1) == -1 && sc->stopped && !sc->r->trouble) {
		bv_report_trouble(sc->r, &sc->err);
		rc = -1;
	}
	bv_progress_end(&sc->prog);
	if (rc != -1)
		file_digest(sc, rc == 0);
	arc_close(ar);
	return rc;
}

/* ---- directories -------------------------------------------------------------------------- */

static int tree_entry(void *arg, const struct bv_entry *ent)
{
	struct scan *sc = arg;
	struct bv_report *r = sc->r;

	r->entries++;
	if (ent->type == ARC_FILE && ent->size > 0) {
		r->bytes += (uint64_t)ent->size;
		r->data_bytes += (uint64_t)ent->size;
	}
	if (ent->mtime_ms != INT64_MIN && ent->mtime_ms > r->newest_entry_ms)
		r->newest_entry_ms = ent->mtime_ms;
	bv_progress_update(&sc->prog, r->bytes);
	if ((sc->o->keep && bv_manifest_add(sc->o->keep, ent, &sc->err) == -1) ||
	    (sc->o->entry && sc->o->entry(sc->o->arg, ent, &sc->err) != 0)) {
		sc->stopped = 1;
		return 1;
	}
	return 0;
}

static int scan_dir(struct scan *sc)
{
	struct srerr e;
	int rc;

	snprintf(sc->r->format, sizeof(sc->r->format), "directory");
	rc = bv_tree_walk(sc->r->path, tree_entry, sc, &e);
	bv_progress_end(&sc->prog);
	if (rc == 0)
		return 0;
	if (sc->stopped) {
		bv_report_trouble(sc->r, &sc->err);
		return -1;
	}
	return read_error(sc, &e, NULL);
}

/* ---- the pass ------------------------------------------------------------------------------ */

int bv_scan(struct bv_report *r, const struct bv_scan_opts *o)
{
	struct scan sc = { .r = r, .o = o };
	struct stat st;
	struct srerr e;
	int rc, show;

	if (stat(r->path, &st) == -1) {
		srerr_set(&e, "io", "cannot open '%s': %s", r->path, strerror(errno));
		bv_report_trouble(r, &e);
		return -1;
	}
	r->mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	r->is_dir = S_ISDIR(st.st_mode);
	if (!r->is_dir)
		r->bytes = (uint64_t)st.st_size;
	/* a directory's size is known only at the end: no percentage, no ETA */
	show = bv_progress_wanted(o->progress, o->progress_tty, r->bytes);
	bv_progress_start(&sc.prog, show ? o->progress_fp : NULL, o->progress_tty, r->path,
			  r->bytes);
	bv_manifest_init(&sc.links);
	rc = r->is_dir ? scan_dir(&sc) : scan_archive(&sc);
	sc.stopped = 1;
	while (sc.n)
		complete_head(&sc, "");   /* only after trouble: drop what never completed */
	free(sc.q);
	bv_manifest_release(&sc.links);
	bv_hasher_free(sc.h);
	bv_hasher_free(sc.hf);
	return rc;
}
