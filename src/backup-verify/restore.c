/*
 * The restore test (restore.h): a private directory owned through a lock, safe
 * extraction with per-entry hashes, the restored tree compared with them, the
 * --validate command, and the cleanup, also from a signal handler.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "manifest.h"
#include "report.h"
#include "restore.h"
#include "sha.h"
#include "tm.h"
#include "tree.h"
#include "banned.h"

#define TMP_PREFIX "backup-verify"
#define TMP_NAME_PREFIX "sretools-" TMP_PREFIX "."
#define TMP_LOCK "lock"
#define TMP_LOCK_NEW "lock.new"
#define TMP_ROOT "root"

/* ---- the directory ----------------------------------------------------------------- */

/*
 * top: the directory this run owns (the temporary one, or --restore-dir DIR); root:
 * where the archive goes (top/root, or DIR itself); lock_name: the lock file's name
 * inside top.  created: top did not exist before this run; owned: top is this run's
 * to clean up (created, or found empty or left over and locked).
 */
struct rdir {
	char *top, *root;
	const char *lock_name;
	int created, owned;
	struct fsx_lock lock;
};

static char *path_join(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static int set_errno(struct srerr *e, const char *what, const char *path)
{
	srerr_set(e, "io", "%s '%s': %s", what, path, strerror(errno));
	return -1;
}

/*
 * The lock is taken on a new name and renamed into place, so that "lock" exists only
 * once it is held: bv_restore_clean_stale never sees a live run's lock free.
 */
static int lock_temp_dir(struct rdir *d, struct srerr *e)
{
	char *tmp = path_join(d->top, TMP_LOCK_NEW), *final = path_join(d->top, TMP_LOCK);
	int rc = -1;

	if (!tmp || !final)
		srerr_set(e, "oom", "out of memory");
	else if (fsx_lock_acquire(&d->lock, tmp, FSX_LOCK_NOWAIT, e) == 0) {
		if (rename(tmp, final) == 0)
			rc = 0;
		else
			set_errno(e, "cannot rename", tmp);
	}
	free(tmp);
	free(final);
	return rc;
}

static int make_temp_dir(struct rdir *d, struct srerr *e)
{
	d->top = fsx_mkdtemp(NULL, TMP_PREFIX, e);
	if (!d->top)
		return -1;
	d->created = d->owned = 1;
	d->lock_name = TMP_LOCK;
	if (lock_temp_dir(d, e) == -1)
		return -1;
	d->root = path_join(d->top, TMP_ROOT);
	if (!d->root) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	if (mkdir(d->root, 0700) == -1)
		return set_errno(e, "cannot create directory", d->root);
	return 0;
}

/* 0: dir holds nothing but maybe keep (*has_keep says); 1: something else; -1: error */
static int dir_contents(const char *dir, const char *keep, int *has_keep, struct srerr *e)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int other = 0;

	*has_keep = 0;
	if (!dp)
		return set_errno(e, "cannot read directory", dir);
	while ((de = readdir(dp)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (keep && !strcmp(de->d_name, keep))
			*has_keep = 1;
		else
			other = 1;
	}
	closedir(dp);
	return other;
}

/* Remove everything in dir but the entry named keep (NULL: everything). */
static int empty_dir(const char *dir, const char *keep, struct srerr *e)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!dp)
		return errno == ENOENT ? 0 : set_errno(e, "cannot read directory", dir);
	while (rc == 0 && (de = readdir(dp)) != NULL) {
		char *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (keep && !strcmp(de->d_name, keep)))
			continue;
		p = path_join(dir, de->d_name);
		if (!p) {
			srerr_set(e, "oom", "out of memory");
			rc = -1;
		} else {
			rc = fsx_remove_tree(p, e);
		}
		free(p);
	}
	closedir(dp);
	return rc;
}

/* --restore-dir DIR exists: it must be empty, or hold only a dead run's lock file. */
static int claim_user_dir(struct rdir *d, struct srerr *e)
{
	char *lock = path_join(d->top, BV_RESTORE_LOCK_NAME);
	int has_lock, other = dir_contents(d->top, BV_RESTORE_LOCK_NAME, &has_lock, e);
	int rc = -1;

	if (!lock)
		srerr_set(e, "oom", "out of memory");
	else if (other == 1 && !has_lock)
		srerr_set(e, "restore_dir", "restore directory '%s' is not empty", d->top);
	else if (other >= 0 && fsx_lock_acquire(&d->lock, lock, FSX_LOCK_NOWAIT, e) == 0) {
		/* a lock found free marks a leftover of a killed run, which began empty */
		d->owned = 1;
		rc = other ? empty_dir(d->top, BV_RESTORE_LOCK_NAME, e) : 0;
	}
	free(lock);
	return rc;
}

static int use_user_dir(struct rdir *d, const char *dir, struct srerr *e)
{
	struct stat st;

	d->lock_name = BV_RESTORE_LOCK_NAME;
	d->top = strdup(dir);
	d->root = strdup(dir);
	if (!d->top || !d->root) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	if (lstat(dir, &st) == -1) {
		if (errno != ENOENT)
			return set_errno(e, "cannot use restore directory", dir);
		if (mkdir(dir, 0700) == -1)
			return set_errno(e, "cannot create restore directory", dir);
		d->created = d->owned = 1;
	} else if (!S_ISDIR(st.st_mode)) {
		srerr_set(e, "restore_dir", "restore directory '%s' is not a directory%s", dir,
			  S_ISLNK(st.st_mode) ? " (a symbolic link is refused)" : "");
		return -1;
	}
	return claim_user_dir(d, e);
}

/* Remove what this run made: all of a temporary dir; DIR's contents (and DIR if new). */
static int rdir_remove(struct rdir *d, struct srerr *e)
{
	struct stat st;
	char *lock;
	int rc;

	if (!d->top || !d->owned)
		return 0;
	if (!strcmp(d->lock_name, TMP_LOCK))
		return fsx_remove_tree(d->top, e);
	/* an archive's "./" entry may have made DIR read-only */
	if (lstat(d->top, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0700) != 0700)
		(void)chmod(d->top, (st.st_mode & 07777) | 0700);
	rc = empty_dir(d->top, d->lock_name, e);
	lock = path_join(d->top, d->lock_name);
	if (rc == 0 && lock && unlink(lock) == -1 && errno != ENOENT)
		rc = set_errno(e, "cannot remove", lock);
	free(lock);
	if (rc == 0 && d->created && rmdir(d->top) == -1)
		rc = set_errno(e, "cannot remove directory", d->top);
	return rc;
}

/* Keep the directory: drop the lock file, so that no later run takes it for a leftover. */
static int rdir_keep(struct rdir *d, struct srerr *e)
{
	char *lock = d->owned ? path_join(d->top, d->lock_name) : NULL;
	int rc = 0;

	if (lock && unlink(lock) == -1 && errno != ENOENT)
		rc = set_errno(e, "cannot remove", lock);
	free(lock);
	return rc;
}

static void rdir_release(struct rdir *d)
{
	fsx_lock_release(&d->lock);
	free(d->top);
	free(d->root);
	memset(d, 0, sizeof(*d));
	d->lock.fd = -1;
}

/* ---- signals ------------------------------------------------------------------------ */

/*
 * What the handler needs, prepared before the directory exists (no malloc in the
 * handler).  sig_armed: 1 while there is a directory to clean up.
 */
static volatile sig_atomic_t sig_armed, sig_pgid;
static char sig_top[PATH_MAX], sig_lock_name[64], sig_keep_msg[PATH_MAX + 128];
static int sig_keep, sig_created;
static pid_t sig_tid;
static struct sigaction sig_old_int, sig_old_term;
static int sig_have_int, sig_have_term;

/* Open subdirectory name of fd to empty it, never through a link, never elsewhere. */
static int sig_open_child(int fd, const char *name, dev_t dev)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int c = openat(fd, name, flags);
	struct stat st;

	if (c < 0 && errno == EACCES && fchmodat(fd, name, 0700, 0) == 0)
		c = openat(fd, name, flags);
	if (c < 0)
		return -1;
	if (fstat(c, &st) < 0 || st.st_dev != dev) {
		close(c);
		return -1;
	}
	(void)fchmod(c, 0700);   /* a restored read-only directory must be emptied */
	return c;
}

/*
 * One pass over the directory fd: unlink what can be unlinked (the entry named keep
 * stays when keep is not NULL).  Returns 0 when nothing was left to descend into, 1
 * with *down open on a non-empty subdirectory, -1 at an entry that cannot be removed.
 */
static int sig_scan(int fd, const char *keep, dev_t dev, int *down)
{
	static char buf[16384] __attribute__((aligned(16)));
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
			const char *name = d->d_name;

			off += d->d_reclen;
			if (!strcmp(name, ".") || !strcmp(name, "..") || (keep && !strcmp(name, keep)))
				continue;
			if (unlinkat(fd, name, 0) == 0 || errno == ENOENT)
				continue;
			if (unlinkat(fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
				continue;
			if (errno != ENOTEMPTY && errno != EEXIST)
				return -1;
			*down = sig_open_child(fd, name, dev);
			return *down < 0 ? -1 : 1;
		}
	}
	return 0;
}

/*
 * Remove what the directory fd holds with system calls only (async-signal-safe):
 * unlink what can be unlinked, descend into each non-empty subdirectory and come back
 * through "..", rescanning, until a scan finds nothing left.  One directory is open
 * at a time and nothing is allocated, so any depth works.  At the top level the entry
 * named keep stays.  Gives up (returns -1) at the first entry that cannot be removed.
 * Closes fd.
 */
static int sig_empty(int fd, const char *keep)
{
	struct stat st;
	long steps = 1L << 22;
	int depth = 0, rc = -1;

	if (fstat(fd, &st) == 0) {
		(void)fchmod(fd, (st.st_mode & 07777) | 0700);
		while (steps-- > 0) {
			int down = -1, r = sig_scan(fd, depth ? NULL : keep, st.st_dev, &down);

			if (r == 0 && depth == 0)
				rc = 0;
			if (r == -1 || rc == 0)
				break;
			if (r == 0)   /* emptied: back up, where a rescan removes it */
				down = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			close(fd);
			fd = down;
			if (fd < 0)
				return -1;
			depth += r == 1 ? 1 : -1;
		}
	}
	close(fd);
	return rc;
}

static void sig_cleanup(void)
{
	int fd;

	if (sig_keep) {
		fd = open(sig_top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			(void)unlinkat(fd, sig_lock_name, 0);
			close(fd);
		}
		if (write(STDERR_FILENO, sig_keep_msg, strlen(sig_keep_msg)) < 0) {
			/* nothing to do about it in a handler */
		}
		return;
	}
	fd = open(sig_top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || sig_empty(fd, sig_lock_name) < 0)
		return;   /* the lock file stays: the next run removes the rest */
	fd = open(sig_top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)unlinkat(fd, sig_lock_name, 0);
	close(fd);
	if (sig_created)
		(void)rmdir(sig_top);
}

static void on_signal(int sig)
{
	sigset_t set;

	if (sig_tid && gettid() != sig_tid) {   /* clean up on the extracting thread */
		(void)tgkill(getpid(), sig_tid, sig);
		return;
	}
	if (sig_pgid > 0)
		(void)kill(-(pid_t)sig_pgid, SIGKILL);
	if (sig_armed) {
		sig_armed = 0;
		sig_cleanup();
	}
	/* die of the same signal: the exit status is 128+sig */
	(void)signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
}

/* Catch sig unless it was ignored when we started (as a background job's SIGINT is). */
static int catch_one(int sig, struct sigaction *old)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, old) == -1 || old->sa_handler == SIG_IGN)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	return sigaction(sig, &sa, NULL) == 0;
}

static void signals_catch(void)
{
	sig_armed = 0;
	sig_pgid = 0;
	sig_tid = gettid();
	sig_have_int = catch_one(SIGINT, &sig_old_int);
	sig_have_term = catch_one(SIGTERM, &sig_old_term);
}

static void signals_restore(void)
{
	if (sig_have_int)
		sigaction(SIGINT, &sig_old_int, NULL);
	if (sig_have_term)
		sigaction(SIGTERM, &sig_old_term, NULL);
	sig_have_int = sig_have_term = 0;
	sig_armed = 0;
	sig_tid = 0;
}

/* Tell the handler about the directory (before it exists: mkdir is what arms it). */
static int signals_arm(const struct rdir *d, int keep, struct srerr *e)
{
	if ((size_t)snprintf(sig_top, sizeof(sig_top), "%s", d->top) >= sizeof(sig_top)) {
		srerr_set(e, "restore_dir", "restore directory '%s' has too long a name", d->top);
		return -1;
	}
	snprintf(sig_lock_name, sizeof(sig_lock_name), "%s", d->lock_name);
	snprintf(sig_keep_msg, sizeof(sig_keep_msg), "%s: kept the restore directory '%s'\n",
		 program_invocation_short_name, d->root);
	sig_keep = keep;
	sig_created = d->created;
	sig_armed = 1;
	return 0;
}

/* RESTORE_DIR must name the directory from inside it too (the command's cwd). */
static int make_absolute(char **path, struct srerr *e)
{
	char *abs;

	if ((*path)[0] == '/')
		return 0;
	abs = realpath(*path, NULL);
	if (!abs)
		return set_errno(e, "cannot resolve", *path);
	free(*path);
	*path = abs;
	return 0;
}

/* Make or claim the directory, with the signal handler armed as soon as it exists. */
static int rdir_open(struct rdir *d, const struct bv_restore_opts *o, struct srerr *e)
{
	sigset_t stop, old;
	int rc;

	/* no signal between creating the directory and arming the handler */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	rc = o->restore_dir ? use_user_dir(d, o->restore_dir, e) : make_temp_dir(d, e);
	if (d->owned && signals_arm(d, o->keep, e) == -1)
		rc = -1;
	if (rc == 0)
		rc = make_absolute(&d->root, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* ---- extraction --------------------------------------------------------------------- */

struct restore {
	const struct bv_restore_opts *o;
	bv_problem_fn problem;
	void *arg;
	struct bv_restore_result *res;
	struct rdir dir;
	struct bv_manifest want;    /* what the extraction wrote, with its hashes */
	struct bv_manifest failed;  /* entries whose writing failed: not compared */
	struct sha_ctx *sha;
	uint64_t entry_bytes;
	int sha_failed;
	char last_error[SRERR_MSG_MAX];   /* the last restore_failed, not to repeat it */
};

static void report(struct restore *rs, const char *code, const char *path,
		   const char *expected, const char *actual, const char *message)
{
	rs->res->problems++;
	if (rs->problem)
		rs->problem(rs->arg, code, path, expected, actual, message);
}

static void on_data(void *arg, const void *buf, size_t len)
{
	struct restore *rs = arg;

	if (sha_update(rs->sha, buf, len, NULL) == -1)
		rs->sha_failed = 1;
	rs->entry_bytes += len;
}

/* The hex digest of the entry just extracted (and a fresh context for the next). */
static int entry_digest(struct restore *rs, char hex[SHA_HEX_LEN + 1], struct srerr *e)
{
	if (rs->sha_failed || sha_final_hex(rs->sha, hex, e) == -1) {
		if (rs->sha_failed)
			srerr_set(e, "crypto", "cannot hash the restored data");
		return -1;
	}
	return 0;
}

/* Every parent directory of path that no entry made is expected as a directory. */
static int add_parents(struct bv_manifest *m, const char *path, struct srerr *e)
{
	char *copy = strdup(path), *slash;
	int rc = 0;

	if (!copy) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	for (slash = strchr(copy + 1, '/'); slash && rc == 0; slash = strchr(slash + 1, '/')) {
		struct bv_entry dir;

		*slash = '\0';
		if (!bv_manifest_find(m, copy)) {
			bv_entry_init(&dir);
			dir.type = ARC_DIR;
			dir.path = copy;
			rc = bv_manifest_add(m, &dir, e);
		}
		*slash = '/';
	}
	free(copy);
	return rc;
}

/*
 * Data written through a hardlink went into the inode all its names share (cpio's
 * newc format stores a file's data with its last name only): the target and every
 * earlier hardlink to it now have that content.
 */
static void update_link_group(struct restore *rs, const struct bv_entry *t,
			      const struct bv_entry *be)
{
	struct bv_entry *target = rs->want.v + (t - rs->want.v);   /* ours to change */

	for (size_t i = 0; i < rs->want.n; i++) {
		struct bv_entry *x = &rs->want.v[i];

		if (x == target || (x->type == ARC_FILE && x->link && !strcmp(x->link, t->path))) {
			x->size = be->size;
			memcpy(x->sha256, be->sha256, sizeof(x->sha256));
		}
	}
}

/*
 * A hardlink is expected as a file with its target's content, or with data of its
 * own (tar and cpio may carry some); a hardlink to a symlink is that symlink.  Its
 * link stays set, to find the names of one inode again (bv_manifest_compare ignores
 * a hardlink's target).
 */
static void hardlink_content(struct restore *rs, struct bv_entry *be)
{
	const struct bv_entry *t = bv_manifest_find(&rs->want, be->link);

	be->type = ARC_FILE;
	if (t && t->type == ARC_SYMLINK) {   /* a second name of the symlink itself */
		be->type = ARC_SYMLINK;
		be->link = t->link;
		be->size = -1;
		be->sha256[0] = '\0';
		return;
	}
	if (!t || t->type != ARC_FILE)
		return;
	if (rs->entry_bytes == 0) {
		be->size = t->size;
		memcpy(be->sha256, t->sha256, sizeof(be->sha256));
		return;
	}
	update_link_group(rs, t, be);
}

/* Remember what extracting ent put on disk. */
static int record_entry(struct restore *rs, const struct arc_entry *ent, const char *path,
			struct srerr *e)
{
	struct bv_entry be;
	char hex[SHA_HEX_LEN + 1];
	/* a hardlink names another entry: by its normalised path, as the manifest has it */
	char *link = !ent->link ? NULL : ent->type == ARC_HARDLINK ? bv_path_normalise(ent->link)
								 : strdup(ent->link);
	int rc;

	if (entry_digest(rs, hex, e) == -1 || (ent->link && !link)) {
		if (ent->link && !link)
			srerr_set(e, "oom", "out of memory");
		free(link);
		return -1;
	}
	bv_entry_init(&be);
	be.path = (char *)(uintptr_t)path;
	be.type = ent->type;
	if (ent->type == ARC_FILE || ent->type == ARC_HARDLINK) {
		be.size = (int64_t)rs->entry_bytes;
		memcpy(be.sha256, hex, sizeof(hex));
	}
	if (ent->type == ARC_SYMLINK || ent->type == ARC_HARDLINK)
		be.link = link;
	if (ent->type == ARC_HARDLINK && link)
		hardlink_content(rs, &be);
	rc = add_parents(&rs->want, path, e);
	if (rc == 0)
		rc = bv_manifest_add(&rs->want, &be, e);
	free(link);
	return rc;
}

static int is_reserved(const struct restore *rs, const char *path)
{
	size_t n = strlen(BV_RESTORE_LOCK_NAME);

	return !strcmp(rs->dir.lock_name, BV_RESTORE_LOCK_NAME) &&
	       !strncmp(path, BV_RESTORE_LOCK_NAME, n) && (path[n] == '\0' || path[n] == '/');
}

static int note_failed(struct restore *rs, const char *path, struct srerr *e)
{
	struct bv_entry be;

	bv_entry_init(&be);
	be.path = (char *)(uintptr_t)path;
	return bv_manifest_add(&rs->failed, &be, e);
}

static void report_failed(struct restore *rs, const char *path, const struct srerr *err)
{
	if (!strcmp(rs->last_error, err->msg))
		return;
	snprintf(rs->last_error, sizeof(rs->last_error), "%s", err->msg);
	report(rs, "restore_failed", path, NULL, err->code, err->msg);
}

/* arc_extract failed: 0 go on, 1 stop (reported), -1 trouble. */
static int extract_failed(struct restore *rs, const struct arc_entry *ent, const char *path,
			  const struct srerr *err, struct srerr *e)
{
	char hex[SHA_HEX_LEN + 1];

	if (entry_digest(rs, hex, e) == -1)   /* reset the context for the next entry */
		return -1;
	if (!strcmp(err->code, "unsafe_path")) {
		rs->res->refused++;
		/* those arc_unsafe_reason sees, the check pass has reported already */
		if (!arc_unsafe_reason(ent))
			report(rs, "unsafe_path", path, NULL, NULL, err->msg);
		return 0;
	}
	if (!strcmp(err->code, "oom")) {
		*e = *err;
		return -1;
	}
	if (!strcmp(err->code, "limit")) {
		report(rs, "limit", path, NULL, NULL, err->msg);
		return 1;
	}
	report_failed(rs, path, err);
	if (strcmp(err->code, "io"))
		return 1;   /* the archive cannot be read on */
	return note_failed(rs, path, e) == -1 ? -1 : 0;
}

/* Extract the current entry: 0 go on, 1 stop (reported), -1 trouble. */
static int extract_one(struct restore *rs, struct arc_reader *r, struct arc_writer *w,
		       const struct arc_entry *ent, struct srerr *e)
{
	char *path = bv_path_normalise(ent->path);
	struct srerr err;
	int skipped = 0, rc = 0;

	if (!path) {
		srerr_set(e, "oom", "out of memory");
		return -1;
	}
	srerr_clear(&err);
	rs->entry_bytes = 0;
	if (is_reserved(rs, path)) {
		rs->res->refused++;
		report(rs, "unsafe_path", path, NULL, NULL,
		       "the name of the restore directory's lock file is reserved");
	} else if (arc_extract(r, w, &rs->o->lim, on_data, rs, &skipped, &err) == -1) {
		rc = extract_failed(rs, ent, path, &err, e);
	} else if (skipped) {
		rs->res->skipped++;
		rc = entry_digest(rs, (char[SHA_HEX_LEN + 1]){ 0 }, e);
	} else {
		rs->res->entries++;
		rs->res->bytes += rs->entry_bytes;
		rc = record_entry(rs, ent, path, e);
	}
	free(path);
	return rc;
}

/* 0: every entry extracted; 1: stopped early (reported); -1: trouble. */
static int extract_all(struct restore *rs, struct arc_reader *r, struct arc_writer *w,
		       struct srerr *e)
{
	struct arc_entry ent;
	struct srerr err;
	int rc;

	for (;;) {
		srerr_clear(&err);
		rc = arc_next(r, &ent, &err);
		if (rc == 0)
			return 0;
		if (rc == -1) {
			if (!strcmp(err.code, "oom")) {
				*e = err;
				return -1;
			}
			report_failed(rs, NULL, &err);
			return 1;
		}
		rc = extract_one(rs, r, w, &ent, e);
		if (rc != 0)
			return rc;
	}
}

/* Open, extract, finish: 0 complete, 1 stopped early (reported), -1 trouble. */
static int restore_archive(struct restore *rs, const char *path, struct srerr *e)
{
	int64_t t0 = tm_monotonic_ns();
	struct arc_reader *r;
	struct arc_writer *w = NULL;
	struct srerr err;
	int rc = -1;

	srerr_clear(&err);
	r = arc_open(path, NULL, NULL, &err);
	if (!r && strcmp(err.code, "oom")) {   /* the check pass says why, as a problem */
		report_failed(rs, NULL, &err);
		rc = 1;
	} else if (!r) {
		*e = err;
	} else if ((w = arc_writer_new(rs->dir.root, e)) != NULL) {
		rc = extract_all(rs, r, w, e);
	}
	srerr_clear(&err);
	if (w && rc != -1 && arc_writer_finish(w, &err) == -1) {
		report_failed(rs, NULL, &err);
		rc = 1;
	}
	arc_writer_free(w);
	arc_close(r);
	rs->res->seconds = (double)(tm_monotonic_ns() - t0) / 1e9;
	return rc;
}

/* ---- the restored tree against the extraction ---------------------------------------- */

struct tree_cmp {
	const struct bv_manifest *skip;
	const char *reserved;
	bv_problem_fn problem;
	void *arg;
	size_t n;
	struct bv_manifest got;
	struct srerr err;
};

static int add_found(void *arg, const struct bv_entry *ent)
{
	struct tree_cmp *tc = arg;

	if ((tc->reserved && !strcmp(ent->path, tc->reserved)) ||
	    (tc->skip && bv_manifest_find(tc->skip, ent->path)))
		return 0;
	return bv_manifest_add(&tc->got, ent, &tc->err) == -1 ? 2 : 0;
}

static void on_diff(void *arg, const char *code, const char *path, const char *expected,
		    const char *actual)
{
	struct tree_cmp *tc = arg;
	char rcode[48], msg[SRERR_MSG_MAX];

	if (tc->skip && bv_manifest_find(tc->skip, path))
		return;
	snprintf(rcode, sizeof(rcode), "restore_%s", code);
	bv_diff_message(msg, sizeof(msg), rcode, path, expected, actual);
	tc->n++;
	if (tc->problem)
		tc->problem(tc->arg, rcode, path, expected, actual, msg);
}

int bv_restore_compare(const char *root, const struct bv_manifest *want,
		       const struct bv_manifest *skip, const char *reserved,
		       bv_problem_fn problem, void *arg, struct srerr *e)
{
	struct bv_compare_opts opts = { .ignore = NULL, .flags = BV_CMP_NO_MODE | BV_CMP_NO_SPECIAL };
	struct tree_cmp tc = { .skip = skip, .reserved = reserved, .problem = problem, .arg = arg };
	int rc;

	bv_manifest_init(&tc.got);
	srerr_clear(&tc.err);
	rc = bv_tree_walk(root, add_found, &tc, &tc.err);
	if (rc != 0) {
		if (e)
			*e = tc.err;
		rc = -1;
	} else {
		rc = bv_manifest_compare(want, &tc.got, &opts, on_diff, &tc, e);
	}
	bv_manifest_release(&tc.got);
	return rc == 0 ? (int)tc.n : -1;
}

/* Walk the restored tree and compare it with what the extraction wrote. */
static int compare_tree(struct restore *rs, struct srerr *e)
{
	const char *reserved = strcmp(rs->dir.lock_name, TMP_LOCK) ? rs->dir.lock_name : NULL;
	int64_t t0 = tm_monotonic_ns();
	struct srerr err;
	int n;

	srerr_clear(&err);
	n = bv_restore_compare(rs->dir.root, &rs->want, &rs->failed, reserved, rs->problem,
			       rs->arg, &err);
	rs->res->verify_seconds = (double)(tm_monotonic_ns() - t0) / 1e9;
	if (n >= 0) {
		rs->res->problems += (size_t)n;
		return 0;
	}
	if (!strcmp(err.code, "oom") || !strcmp(err.code, "crypto")) {
		*e = err;
		return -1;
	}
	report_failed(rs, NULL, &err);   /* e.g. a restored file without read permission */
	return 0;
}

/* ---- --validate ----------------------------------------------------------------------- */

/* The first line of the output, shortened, for a problem's message. */
static void first_line(const char *out, char *buf, size_t size)
{
	size_t n = strcspn(out, "\n");
	char *line = strndup(out, n);

	srerr_shorten(line ? line : "", buf, size);
	free(line);
}

static void report_validate(struct restore *rs, const struct bv_validate_result *v)
{
	char actual[32], msg[SRERR_MSG_MAX], line[200], dur[TM_DURATION_SIZE];

	first_line(v->output, line, sizeof(line));
	if (v->timed_out) {
		tm_format_duration(rs->o->validate_timeout_ms, dur);
		snprintf(msg, sizeof(msg), "the validate command did not finish within %s%s%s",
			 dur, *line ? ": " : "", line);
		report(rs, "validate_timeout", NULL, NULL, dur, msg);
	} else if (v->signal) {
		snprintf(actual, sizeof(actual), "SIG%s", sigabbrev_np(v->signal) ? sigabbrev_np(v->signal) : "?");
		snprintf(msg, sizeof(msg), "the validate command was killed by %s%s%s", actual,
			 *line ? ": " : "", line);
		report(rs, "validate_failed", NULL, "0", actual, msg);
	} else if (v->exit_status != 0) {
		snprintf(actual, sizeof(actual), "%d", v->exit_status);
		snprintf(msg, sizeof(msg), "the validate command exited with status %d%s%s",
			 v->exit_status, *line ? ": " : "", line);
		report(rs, "validate_failed", NULL, "0", actual, msg);
	}
}

static int run_validate(struct restore *rs, struct srerr *e)
{
	struct bv_validate_result v;
	struct bv_restore_result *res = rs->res;
	int rc = bv_validate_run(rs->o->validate_cmd, rs->dir.root, rs->o->validate_timeout_ms,
				 &sig_pgid, &v, e);

	if (rc == 0) {
		res->validated = 1;
		res->validate_exit = v.exit_status;
		res->validate_signal = v.signal;
		res->validate_timed_out = v.timed_out;
		res->validate_seconds = v.seconds;
		res->validate_output_bytes = v.output_bytes;
		report_validate(rs, &v);
		res->validate_output = v.output;
		v.output = NULL;
	}
	bv_validate_result_release(&v);
	return rc;
}

/* ---- the whole test ------------------------------------------------------------------ */

/* Extract, compare, validate: 0 (the verdict is in res), -1 trouble. */
static int run_steps(struct restore *rs, const char *path, struct srerr *e)
{
	int rc = restore_archive(rs, path, e);

	if (rc == 0)
		rc = compare_tree(rs, e);
	else if (rc == 1)
		return 0;   /* an incomplete restore is not worth comparing or validating */
	if (rc == 0 && rs->o->validate_cmd)
		rc = run_validate(rs, e);
	if (rc == 0)
		rs->res->ok = rs->res->problems == 0 && rs->res->refused == 0;
	return rc;
}

/* Keep or remove the directory; a failure to remove it is trouble. */
static int finish_dir(struct restore *rs, int rc, struct srerr *e)
{
	struct srerr err;

	srerr_clear(&err);
	if (rs->o->keep && rs->dir.owned) {
		if (rdir_keep(&rs->dir, &err) == 0)
			rs->res->kept = 1;
	} else if (rdir_remove(&rs->dir, &err) == 0) {
		sig_armed = 0;
		return rc;
	}
	sig_armed = 0;
	if (err.code[0] && rc == 0) {
		*e = err;
		rc = -1;
	}
	return rc;
}

int bv_restore_run(const char *path, const struct bv_restore_opts *o, bv_problem_fn problem,
		   void *arg, struct bv_restore_result *res, struct srerr *e)
{
	struct restore rs = { .o = o, .problem = problem, .arg = arg, .res = res };
	struct srerr local;
	int rc = -1;

	if (!e)
		e = &local;
	srerr_clear(e);
	memset(res, 0, sizeof(*res));
	res->validate_exit = -1;
	rs.dir.lock.fd = -1;
	bv_manifest_init(&rs.want);
	bv_manifest_init(&rs.failed);
	rs.sha = sha_init(e);
	if (rs.sha) {
		signals_catch();
		rc = rdir_open(&rs.dir, o, e);
		if (rc == 0 && !(res->dir = strdup(rs.dir.root))) {
			srerr_set(e, "oom", "out of memory");
			rc = -1;
		}
		if (rc == 0)
			rc = run_steps(&rs, path, e);
		rc = finish_dir(&rs, rc, e);
		signals_restore();
	}
	sha_free(rs.sha);
	bv_manifest_release(&rs.want);
	bv_manifest_release(&rs.failed);
	rdir_release(&rs.dir);
	return rc;
}

void bv_restore_result_release(struct bv_restore_result *res)
{
	free(res->dir);
	free(res->validate_output);
	memset(res, 0, sizeof(*res));
}

/* ---- leftovers of killed runs -------------------------------------------------------- */

/* Remove the temporary directory name of parent if its lock is free. 1 removed, 0 not. */
static int clean_one(int pfd, const char *parent, const char *name)
{
	struct fsx_lock lk = FSX_LOCK_INIT;
	struct stat st;
	char *top, *lock;
	int removed = 0;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid())
		return 0;
	top = path_join(parent, name);
	lock = top ? path_join(top, TMP_LOCK) : NULL;
	/* "lock" exists only once a live run holds it (lock_temp_dir); a kept
	   directory has none */
	if (lock && lstat(lock, &st) == 0 && S_ISREG(st.st_mode) &&
	    fsx_lock_acquire(&lk, lock, FSX_LOCK_NOWAIT, NULL) == 0) {
		removed = fsx_remove_tree(top, NULL) == 0;
		fsx_lock_release(&lk);
	}
	free(lock);
	free(top);
	return removed;
}

int bv_restore_clean_stale(const char *parent, size_t *removed, struct srerr *e)
{
	DIR *dp;
	struct dirent *de;
	size_t n = 0;

	if (!parent) {
		parent = getenv("TMPDIR");
		if (!parent || !*parent)
			parent = "/tmp";
	}
	if (removed)
		*removed = 0;
	dp = opendir(parent);
	if (!dp)
		return set_errno(e, "cannot read directory", parent);
	while ((de = readdir(dp)) != NULL)
		if (!strncmp(de->d_name, TMP_NAME_PREFIX, strlen(TMP_NAME_PREFIX)))
			n += (size_t)clean_one(dirfd(dp), parent, de->d_name);
	closedir(dp);
	if (removed)
		*removed = n;
	return 0;
}
