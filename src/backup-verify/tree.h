#ifndef BACKUP_VERIFY_TREE_H
#define BACKUP_VERIFY_TREE_H
/*
 * A directory tree as a list of bv_entry: for `backup-verify manifest DIR`,
 * `backup-verify check DIR` and re-hashing a restored tree.
 *
 * The walk never follows a symbolic link below root: every directory is opened with
 * openat(O_NOFOLLOW | O_DIRECTORY) relative to its parent's descriptor and every file
 * with openat(O_NOFOLLOW), and a file is hashed only if the descriptor opened is the
 * same file (device and inode) that lstat saw, so a file swapped for a symlink during
 * the walk is an error, not a read through the link.  root itself may be a symlink to
 * a directory (as with find -H).  File systems are crossed.
 *
 * Order: depth first, a directory before its contents, the names of each directory
 * sorted bytewise (strcmp): "a", "a/c", "a-b".  The same tree gives the same order
 * every time.
 *
 * Entries: paths relative to root, without "./" and without a trailing "/" (root
 * itself is not reported).  mode is st_mode & 07777, mtime_ms the modification time
 * in milliseconds (truncated).  Files: type ARC_FILE, size the bytes hashed, sha256.
 * Every name of a hardlinked file is reported as ARC_FILE with its own size and hash
 * (the content is hashed once per device and inode and reused for its other names).
 * Directories, symlinks and special files: size 0 and no hash (as tar stores them);
 * symlinks have link set to the target as readlink gives it.  Character and block
 * devices, FIFOs and sockets are reported as ARC_CHR, ARC_BLK, ARC_FIFO, ARC_SOCK and
 * never opened.
 *
 * Errors (srerr; the message names the path as root/PATH): "io" (a directory or
 * file that cannot be opened, read or stat'ed; a file replaced during the walk),
 * "limit" (nesting deeper than BV_TREE_MAX_DEPTH), "oom", "crypto" (from sha).
 * The walk stops at the first error.
 */
#include "manifest.h"
#include "srerr.h"

#define BV_TREE_MAX_DEPTH 256   /* directory levels below root (one descriptor each) */

/*
 * Called once per entry; ent and its strings are valid only during the call.  Return
 * 0 to go on; any other value stops the walk, and bv_tree_walk returns that value
 * (e is then left alone, so the callback can fill its own error).
 */
typedef int (*bv_tree_fn)(void *arg, const struct bv_entry *ent);

/*
 * Walk the tree at root (a directory), calling cb for every entry in the order
 * above.  Returns 0 when the whole tree was walked, the callback's non-zero value
 * when it stopped the walk, or -1 and e.
 */
int bv_tree_walk(const char *root, bv_tree_fn cb, void *arg, struct srerr *e);

/* bv_tree_walk into a manifest: every entry is added to m (initialised). */
int bv_tree_manifest(const char *root, struct bv_manifest *m, struct srerr *e);

#endif
