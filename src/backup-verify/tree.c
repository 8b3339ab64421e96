/*
 * A directory tree walked without following symlinks, in sorted order, files hashed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha.h"
#include "tree.h"

#include "banned.h"

/* Content of a file with several names, hashed once. */
struct hl_slot {
	dev_t dev;
	ino_t ino;
	int used;
	int64_t size;
	char sha256[SHA_HEX_LEN + 1];
};

struct walk {
	const char *root;
	bv_tree_fn cb;
	void *arg;
	char *path;             /* the current path relative to root */
	size_t len, cap;
	struct hl_slot *hl;     /* hash table of hardlinked files' content */
	size_t hl_n, hl_cap;
	struct srerr *e;
};

#define SHOWN_MAX 256   /* bytes of a path quoted in a message */

/* root/path for a message, cut to SHOWN_MAX bytes (a message is one short line). */
static const char *shown(const struct walk *w, char buf[SHOWN_MAX])
{
	size_t n = strlen(w->root);
	char *full;

	if (asprintf(&full, "%s%s%s", w->root, n && w->root[n - 1] == '/' ? "" : "/",
		     w->path) < 0) {
		srerr_shorten(w->path, buf, SHOWN_MAX);
		return buf;
	}
	srerr_shorten(full, buf, SHOWN_MAX);
	free(full);
	return buf;
}

static void walk_error(struct walk *w, const char *what, int err)
{
	char buf[SHOWN_MAX];

	srerr_set(w->e, "io", "%s '%s': %s", what, shown(w, buf), strerror(err));
}

static void replaced_error(struct walk *w)
{
	char buf[SHOWN_MAX];

	srerr_set(w->e, "io", "'%s' was replaced during the walk", shown(w, buf));
}

/* ---- the current path ----------------------------------------------------------- */

/* Append "/name" (or "name" at the top) to w->path; the old length in *saved. */
static int path_push(struct walk *w, const char *name, size_t *saved)
{
	size_t nlen = strlen(name), need = w->len + nlen + 2;

	if (need > w->cap) {
		size_t cap = need * 2;
		char *p = realloc(w->path, cap);

		if (!p) {
			srerr_set(w->e, "oom", "out of memory");
			return -1;
		}
		w->path = p;
		w->cap = cap;
	}
	*saved = w->len;
	if (w->len)
		w->path[w->len++] = '/';
	memcpy(w->path + w->len, name, nlen + 1);
	w->len += nlen;
	return 0;
}

static void path_pop(struct walk *w, size_t saved)
{
	w->len = saved;
	w->path[saved] = '\0';
}

/* ---- hardlinked files ----------------------------------------------------------- */

static size_t hl_index(const struct walk *w, dev_t dev, ino_t ino)
{
	size_t mask = w->hl_cap - 1;
	size_t i = (size_t)((ino * 0x9e3779b97f4a7c15u) ^ dev) & mask;

	while (w->hl[i].used && (w->hl[i].dev != dev || w->hl[i].ino != ino))
		i = (i + 1) & mask;
	return i;
}

static const struct hl_slot *hl_find(const struct walk *w, const struct stat *st)
{
	const struct hl_slot *s;

	if (!w->hl_cap)
		return NULL;
	s = &w->hl[hl_index(w, st->st_dev, st->st_ino)];
	return s->used ? s : NULL;
}

/* Remember ent's content for the other names of st's inode; failure is harmless
 * (they are hashed again), so it reports nothing. */
static void hl_remember(struct walk *w, const struct stat *st, const struct bv_entry *ent)
{
	struct hl_slot *s;

	if ((w->hl_n + 1) * 2 > w->hl_cap) {
		size_t cap = w->hl_cap ? w->hl_cap * 2 : 64;
		struct hl_slot *old = w->hl;
		size_t oldcap = w->hl_cap;

		if (!(w->hl = calloc(cap, sizeof(*w->hl)))) {
			w->hl = old;
			return;
		}
		w->hl_cap = cap;
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].used)
				w->hl[hl_index(w, old[i].dev, old[i].ino)] = old[i];
		free(old);
	}
	s = &w->hl[hl_index(w, st->st_dev, st->st_ino)];
	*s = (struct hl_slot){ .dev = st->st_dev, .ino = st->st_ino, .used = 1,
			       .size = ent->size };
	memcpy(s->sha256, ent->sha256, sizeof(s->sha256));
	w->hl_n++;
}

/* ---- one entry ------------------------------------------------------------------ */

/* Hash the regular file name in dfd, which lstat described as *st. */
static int hash_file(struct walk *w, int dfd, const char *name, const struct stat *st,
		     struct bv_entry *ent)
{
	unsigned char digest[SHA_DIGEST_LEN];
	const struct hl_slot *s = st->st_nlink > 1 ? hl_find(w, st) : NULL;
	struct stat fst;
	char buf[SHOWN_MAX];
	uint64_t n;
	int fd, rc;

	if (s) {
		ent->size = s->size;
		memcpy(ent->sha256, s->sha256, sizeof(ent->sha256));
		return 0;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		walk_error(w, "cannot open", errno);
		return -1;
	}
	if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) || fst.st_dev != st->st_dev ||
	    fst.st_ino != st->st_ino) {
		replaced_error(w);
		close(fd);
		return -1;
	}
	rc = sha_fd(fd, shown(w, buf), digest, &n, w->e);
	close(fd);
	if (rc < 0)
		return -1;
	sha_hex(digest, ent->sha256);
	ent->size = (int64_t)n;
	if (st->st_nlink > 1)
		hl_remember(w, st, ent);
	return 0;
}

/* readlinkat into a new string (*out, malloc), growing until the target fits. */
static int read_link(struct walk *w, int dfd, const char *name, const struct stat *st,
		     char **out)
{
	size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;

	for (;;) {
		char *buf = malloc(cap);
		ssize_t n;

		if (!buf) {
			srerr_set(w->e, "oom", "out of memory");
			return -1;
		}
		n = readlinkat(dfd, name, buf, cap);
		if (n < 0) {
			walk_error(w, "cannot read link", errno);
			free(buf);
			return -1;
		}
		if ((size_t)n < cap) {
			buf[n] = '\0';
			*out = buf;
			return 0;
		}
		free(buf);
		cap *= 2;
	}
}

static enum arc_type type_of(mode_t mode)
{
	if (S_ISREG(mode))
		return ARC_FILE;
	if (S_ISDIR(mode))
		return ARC_DIR;
	if (S_ISLNK(mode))
		return ARC_SYMLINK;
	if (S_ISCHR(mode))
		return ARC_CHR;
	if (S_ISBLK(mode))
		return ARC_BLK;
	if (S_ISFIFO(mode))
		return ARC_FIFO;
	if (S_ISSOCK(mode))
		return ARC_SOCK;
	return ARC_OTHER;
}

/* Describe name (in dfd, stat'ed as *st) and pass it to the callback. */
static int visit(struct walk *w, int dfd, const char *name, const struct stat *st)
{
	struct bv_entry ent;
	char *link = NULL;
	int rc = 0;

	bv_entry_init(&ent);
	ent.path = w->path;
	ent.type = type_of(st->st_mode);
	ent.size = 0;
	ent.mode = (unsigned)st->st_mode & BV_MODE_MASK;
	ent.mtime_ms = (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
	if (ent.type == ARC_FILE)
		rc = hash_file(w, dfd, name, st, &ent);
	else if (ent.type == ARC_SYMLINK && (rc = read_link(w, dfd, name, st, &link)) == 0)
		ent.link = link;
	if (rc == 0)
		rc = w->cb(w->arg, &ent);
	free(link);
	return rc;
}

/* ---- directories ---------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The names in dir (without . and ..), sorted, into *out (*n of them). */
static int read_names(struct walk *w, DIR *dir, char ***out, size_t *n)
{
	char **names = NULL, **grown;
	size_t cap = 0;
	struct dirent *d;

	*n = 0;
	for (errno = 0; (d = readdir(dir)) != NULL; errno = 0) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			if (!(grown = reallocarray(names, cap, sizeof(*names))))
				goto oom;
			names = grown;
		}
		if (!(names[*n] = strdup(d->d_name)))
			goto oom;
		++*n;
	}
	if (errno) {
		walk_error(w, "cannot read directory", errno);
		free_names(names, *n);
		return -1;
	}
	if (*n)
		qsort(names, *n, sizeof(*names), cmp_names);
	*out = names;
	return 0;
oom:
	srerr_set(w->e, "oom", "out of memory");
	free_names(names, *n);
	return -1;
}

static int walk_dir(struct walk *w, int fd, int depth);

/* Open the subdirectory name of dfd (lstat'ed as *st) and walk it. */
static int descend(struct walk *w, int dfd, const char *name, const struct stat *st,
		   int depth)
{
	struct stat fst;
	char buf[SHOWN_MAX];
	int fd;

	if (depth >= BV_TREE_MAX_DEPTH) {
		srerr_set(w->e, "limit", "'%s' is nested deeper than %d directories", shown(w, buf),
			  BV_TREE_MAX_DEPTH);
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		walk_error(w, "cannot open directory", errno);
		return -1;
	}
	if (fstat(fd, &fst) < 0 || fst.st_dev != st->st_dev || fst.st_ino != st->st_ino) {
		replaced_error(w);
		close(fd);
		return -1;
	}
	return walk_dir(w, fd, depth + 1);
}

/* Visit one name of directory dfd, and walk it if it is a directory. */
static int walk_name(struct walk *w, int dfd, const char *name, int depth)
{
	struct stat st;
	size_t saved;
	int rc;

	if (path_push(w, name, &saved) < 0)
		return -1;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		walk_error(w, "cannot stat", errno);
		rc = -1;
	} else {
		rc = visit(w, dfd, name, &st);
		if (rc == 0 && S_ISDIR(st.st_mode))
			rc = descend(w, dfd, name, &st, depth);
	}
	path_pop(w, saved);
	return rc;
}

/* Walk the directory open as fd (closed here). */
static int walk_dir(struct walk *w, int fd, int depth)
{
	DIR *dir = fdopendir(fd);
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (!dir) {
		walk_error(w, "cannot read directory", errno);
		close(fd);
		return -1;
	}
	if (read_names(w, dir, &names, &n) < 0)
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = walk_name(w, dirfd(dir), names[i], depth);
	free_names(names, n);
	closedir(dir);
	return rc;
}

int bv_tree_walk(const char *root, bv_tree_fn cb, void *arg, struct srerr *e)
{
	struct walk w = { .root = root, .cb = cb, .arg = arg, .e = e };
	int fd, rc;

	w.path = calloc(1, 1);
	if (!w.path) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	w.cap = 1;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		srerr_set(e, "io", "cannot open directory '%s': %s", root, strerror(errno));
		rc = -1;
	} else {
		rc = walk_dir(&w, fd, 0);
	}
	free(w.path);
	free(w.hl);
	return rc;
}

struct to_manifest {
	struct bv_manifest *m;
	struct srerr *e;
};

static int add_to_manifest(void *arg, const struct bv_entry *ent)
{
	struct to_manifest *t = arg;

	return bv_manifest_add(t->m, ent, t->e);
}

int bv_tree_manifest(const char *root, struct bv_manifest *m, struct srerr *e)
{
	struct to_manifest t = { .m = m, .e = e };

	return bv_tree_walk(root, add_to_manifest, &t, e);
}
