#ifndef SRETOOLS_FSX_H
#define SRETOOLS_FSX_H
/*
 * Files that survive kill -9 and power loss (DESIGN.md, "Files"): atomic replace,
 * durable append for ledgers and journals, flock(2) locks that name their holder,
 * atomic symlink swap, private temporary directories, safe recursive removal and the
 * cleanup of temporary files left by killed writers.
 *
 * Every function returns -1 (or NULL) on failure and fills e (which may be NULL).
 * Error codes:
 *	io        a system call failed; the message quotes the path and says strerror
 *	notfound  fsx_read_file/fsx_ledger_read: the file does not exist
 *	invalid   a bad argument (empty path, a record without its newline, ...)
 *	locked    fsx_lock_acquire without FSX_LOCK_WAIT: another process holds the lock
 *	exists    fsx_symlink_swap: the link path is a real file or directory
 *	limit     fsx_read_file: the file is larger than the caller's cap
 * A failed fsync is always fatal for the operation and never retried: after an fsync
 * error the kernel may have dropped the dirty pages, so a second fsync that succeeds
 * proves nothing.
 *
 * Temporary files of fsx_atomic_open and fsx_symlink_swap live next to their target as
 *	.NAME.sretools-tmp-PID-XXXXXX
 * (NAME is the target's base name cut to 200 bytes, PID the writer's process id,
 * XXXXXX random).  fsx_clean_stale removes those whose writer is dead; see there.
 */
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "srerr.h"

/* ---- atomic replace ------------------------------------------------------------- */

/* Mode argument: keep the mode of the file being replaced (see fsx_atomic_open). */
#define FSX_MODE_KEEP (-1)

/*
 * Replace the file at path with len bytes of buf, atomically: after a crash or kill -9
 * at any instant, path holds either its old content or all of buf, never a mix.
 * Steps: a temporary file in path's directory, the whole buffer written, fsync, rename
 * over path, fsync of the directory.  mode as for fsx_atomic_open.  On failure path is
 * untouched and no temporary file remains, except when only the final directory fsync
 * failed: then path already holds the new content but it may not survive a power loss
 * (the error says "cannot sync directory").  Returns 0 or -1.
 */
int fsx_write_file(const char *path, const void *buf, size_t len, int mode, struct srerr *e);

/* A replacement in progress: the streaming form of fsx_write_file. */
struct fsx_atomic;

/*
 * Start replacing path: create its temporary file (mode applied at once).  mode is the
 * new file's permission bits, applied exactly (no umask); FSX_MODE_KEEP keeps the mode
 * of an existing regular file at path, or for a new file uses 0666 minus the umask as
 * open(2) would.  The owner of the new file is the writing process, whatever it was.
 * path is replaced as a name: a symbolic link at path is replaced, not followed.
 * A directory at path is refused (code "invalid").  Returns a handle that
 * fsx_atomic_commit or fsx_atomic_abort frees, or NULL.
 */
struct fsx_atomic *fsx_atomic_open(const char *path, int mode, struct srerr *e);

/* The temporary file's descriptor, to write the new content into (write only). */
int fsx_atomic_fd(const struct fsx_atomic *a);

/*
 * A stdio stream on the temporary file, created on first call and owned by a (do not
 * fclose it).  Once it exists, write only through it or fsx_atomic_write, not the fd.
 * NULL and e if fdopen fails.
 */
FILE *fsx_atomic_stdio(struct fsx_atomic *a, struct srerr *e);

/* Write all of buf to the temporary file (through the stdio stream if there is one). */
int fsx_atomic_write(struct fsx_atomic *a, const void *buf, size_t len, struct srerr *e);

/* The temporary file's path (for diagnostics and tests); valid until commit/abort. */
const char *fsx_atomic_tmp_path(const struct fsx_atomic *a);

/*
 * Finish: flush, fsync, close, rename over the target, fsync the directory.  Always
 * frees a.  On failure before the rename, the temporary file is removed and the old
 * file is untouched; see fsx_write_file for a failed directory fsync.  Returns 0 or -1.
 */
int fsx_atomic_commit(struct fsx_atomic *a, struct srerr *e);

/* Give up: close and remove the temporary file, free a.  a may be NULL. */
void fsx_atomic_abort(struct fsx_atomic *a);

/* ---- durable append (ledgers, journals) ----------------------------------------- */

/*
 * Append one record to the ledger at path (created with 0666 minus the umask if
 * missing).  rec must be len > 0 bytes ending in '\n' with no other '\n' (code
 * "invalid" otherwise).  Under an exclusive flock on the ledger itself: a torn tail
 * left by a killed writer (bytes after the last '\n') is truncated away and fsynced,
 * the record is written with O_APPEND in one write loop, then fsynced (and the
 * directory too when the ledger was created).
 *
 * Guarantee, for ledgers written only through fsx_append: the file is always a
 * sequence of complete records followed by at most one torn record, and that torn
 * record is the last one, which no fsx_ledger_* reader ever returns and the next
 * fsx_append removes.  A record for which fsx_append returned 0 survives kill -9 and
 * power loss.  A record for which it returned -1 is not there: a failed write or
 * fsync truncates the file back to its previous length (after a failed fsync what
 * the disk holds is unknown, hence the error).  Power-loss safety assumes a file
 * system that writes data before the size (ext4 data=ordered, xfs, btrfs).
 * Returns 0 or -1.
 */
int fsx_append(const char *path, const void *rec, size_t len, struct srerr *e);

/*
 * Length of the valid prefix of the open ledger fd: up to and including its last
 * '\n', 0 when it holds none.  Reads backwards from the end with pread; does not
 * move the file offset.  -1 and e (naming name) on a read error.
 */
off_t fsx_ledger_valid_len(int fd, const char *name, struct srerr *e);

/*
 * Read the ledger at path (at most max bytes, else code "limit") into a malloc'ed,
 * NUL-terminated buffer holding only complete records: a torn last record is left
 * out.  *buf is the caller's to free.  Code "notfound" when path does not exist.
 */
int fsx_ledger_read(const char *path, size_t max, char **buf, size_t *len, struct srerr *e);

/*
 * Read the whole file at path (at most max bytes, else code "limit") into a malloc'ed
 * buffer with a NUL after the last byte; *buf is the caller's to free.  Code
 * "notfound" when path does not exist.
 */
int fsx_read_file(const char *path, size_t max, char **buf, size_t *len, struct srerr *e);

/* ---- locks ----------------------------------------------------------------------- */

struct fsx_lock {
	int fd;      /* -1 when not held */
	char *path;
};
#define FSX_LOCK_INIT { .fd = -1, .path = NULL }

enum fsx_lock_flags {
	FSX_LOCK_NOWAIT = 0,   /* fail at once with code "locked" if held elsewhere */
	FSX_LOCK_WAIT = 1,     /* block until the holder releases it (signals do not end the wait) */
};

/*
 * Take an exclusive flock(2) on the lock file at path (created 0600 if missing; a
 * symbolic link is refused).  While held, the file holds one line naming the holder:
 *	pid=1234 prog=rollback since=2026-03-01T12:00:00Z
 * (prog is program_invocation_short_name, since the UTC time the lock was taken).
 * When another process holds it and FSX_LOCK_NOWAIT is given, fails with code
 * "locked" and the message "'PATH' is locked by pid 1234 (rollback since TIME)"
 * ("is locked by another process" if the holder has not written its line yet).
 * The lock is released by fsx_lock_release or when the process dies; its descriptor
 * is close-on-exec, but a fork()ed child shares it until the child exits.
 * lk must be FSX_LOCK_INIT or released.  Returns 0 or -1.
 */
int fsx_lock_acquire(struct fsx_lock *lk, const char *path, int flags, struct srerr *e);

/* Empty the holder line and release the lock; harmless on a lock not held. */
void fsx_lock_release(struct fsx_lock *lk);

/* ---- symlinks, temp dirs, removal, stale temps ------------------------------------ */

/*
 * Make linkpath a symbolic link to target, atomically: a reader resolving linkpath
 * sees the old link or the new one, never nothing.  A new link is made at a temporary
 * name in linkpath's directory, renamed over linkpath, then the directory is fsynced.
 * Refused with code "exists" when linkpath is anything but a symbolic link (a real
 * directory or file stays untouched).  Returns 0 or -1.
 */
int fsx_symlink_swap(const char *target, const char *linkpath, struct srerr *e);

/*
 * Create a private directory PARENT/sretools-PREFIX.XXXXXX with mode 0700.  parent
 * NULL means $TMPDIR, or /tmp when that is unset or empty.  prefix is one or more of
 * [A-Za-z0-9_-] (code "invalid" otherwise).  Returns the malloc'ed path (the
 * caller's to free) or NULL.
 */
char *fsx_mkdtemp(const char *parent, const char *prefix, struct srerr *e);

/*
 * Remove path and, if it is a directory, everything under it, without ever following
 * a symbolic link: a link is removed as a link, wherever it points (also when path
 * itself is one).  Never descends into another file system mounted inside (code
 * "io", before anything there is touched).  Uses one open
 * directory at a time, so any depth works.  A missing path is not an error (as
 * rm -rf).  Refuses "", ".", ".." and "/" (code "invalid").  Returns 0 or -1; on
 * failure part of the tree may already be gone.
 */
int fsx_remove_tree(const char *path, struct srerr *e);

/*
 * Remove the temporary files that fsx_atomic_open and fsx_symlink_swap left next to
 * path when their writer was killed.  Only names of exactly our pattern (see the top
 * of this file) that are regular files or symbolic links are considered, and of
 * those only the ones whose writer PID no longer exists (kill(PID, 0) fails with
 * ESRCH); a temporary file of a live writer, ours included, stays.  Nothing else is
 * ever removed.  Caveat: a writer in another PID namespace sharing the directory
 * looks dead; its commit then fails cleanly (rename: no such file), the target stays
 * intact.  Commands call this at start for each state file.  Returns the number of
 * files removed, or -1.
 */
int fsx_clean_stale(const char *path, struct srerr *e);

/* Same, for the temporary files of every target in directory dir. */
int fsx_clean_stale_dir(const char *dir, struct srerr *e);

/* ---- building blocks --------------------------------------------------------------- */

/*
 * write(2) all len bytes of buf to fd, resuming after short writes and EINTR.  On
 * failure, e says "cannot write 'NAME': strerror".  Returns 0 or -1.
 */
int fsx_write_all(int fd, const void *buf, size_t len, const char *name, struct srerr *e);

/* fsync(2) the directory dir ("cannot sync directory 'DIR': ..."). Returns 0 or -1. */
int fsx_fsync_dir(const char *dir, struct srerr *e);

/*
 * Testing aid: cap every write(2) fsx makes at n bytes (0, the default, means no
 * cap), so that a test can kill a writer between two writes of one file or record.
 */
void fsx_set_write_chunk(size_t n);

#endif
