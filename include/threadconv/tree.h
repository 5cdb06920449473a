/*
 * tree.h - a folder, a zip or a tar archive read as one read-only tree.
 *
 * Chat and forum exports arrive as a folder, a .zip or a .tar(.gz) with
 * media beside the text.  A tc_tree lists the regular files in any of them
 * the same way -- one sorted list of relative names -- and opens each as a
 * tc_stream.  Archives are read by libarchive in streaming fashion: nothing
 * is extracted to disk, and memory does not grow with the size of the
 * archive (the member list, one entry per member, is the only thing that
 * grows).
 *
 * Ownership, stated once: tc_tree_open gives a new tree, freed with
 * tc_tree_close; tc_tree_open_member gives a new stream, freed with
 * tc_stream_close; every string is borrowed from the tree and valid until
 * it is freed.  A member stream keeps its tree alive, so the tree may be
 * closed before its streams.  A tree and its streams belong to one thread
 * at a time.
 *
 * Names are never trusted as paths.  A member's name is its path inside the
 * tree: UTF-8, '/'-separated, relative, without "." or empty parts (so
 * "./a//b" lists as "a/b").  Folders are not members.  The whole tree is
 * refused (TC_ERR_DATA, the error naming the member and why) when any
 * entry has a name that is absolute, holds a ".." part, a backslash, a
 * control character or a drive letter ("C:"), is not UTF-8 or is longer
 * than TC_TREE_MAX_NAME bytes; when two entries have the same name or a
 * file's name is also a folder's; and when an entry is a symbolic or hard
 * link, a device, a FIFO or a socket -- in an archive and in a folder alike.
 * Names are read only up to a NUL byte, as every zip and tar tool does.
 * libarchive gives the UTF-8 names of zip and pax archives in Unicode NFC;
 * a folder's names are the bytes the file system holds.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef THREADCONV_TREE_H
#define THREADCONV_TREE_H

#include <threadconv/convert.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tc_tree tc_tree;

/* Limits on the member list, so no tree can make it unbounded. */
#define TC_TREE_MAX_MEMBERS 1000000u          /* entries (files, folders) in one tree */
#define TC_TREE_MAX_NAME 4096u                /* bytes in one member name */
#define TC_TREE_MAX_NAMES ((size_t)64 << 20)  /* bytes in all names together */
#define TC_TREE_MAX_DEPTH 128u                /* folders nested in a folder */

/*
 * Open path as a tree: a folder (walked with openat and O_NOFOLLOW; path
 * itself may be a symbolic link to one), or a file libarchive reads as a
 * zip or tar archive, the tar plain or compressed (gzip, bzip2, xz, lzma,
 * lzip, zstd, lz4, compress), whatever its file name.
 *
 * Returns TC_OK with *tree set; TC_EOF when path is not a tree (a plain
 * file, an empty file, standard input "-", a device or FIFO): *tree is
 * NULL and err says so with code TC_EOF, so the caller reads path as an
 * ordinary input instead; TC_ERR_DATA when path cannot be opened, an entry
 * is refused (see above; err->source is "archive.zip:MEMBER", or
 * "folder/MEMBER" for a folder) or the archive is damaged or truncated
 * (err->source is path, or "archive.zip:MEMBER" for the member the damage
 * was found in); TC_ERR_NOMEM.
 */
int tc_tree_open(const char *path, tc_tree **tree, tc_error *err);

/* Number of members (regular files). */
size_t tc_tree_count(const tc_tree *t);

/* The name of member i (0 <= i < count; NULL past the end), in strcmp
 * order, so a folder and an archive of the same files list alike. */
const char *tc_tree_name(const tc_tree *t, size_t i);

/* The size in bytes of member i, as the archive's header or the folder's
 * stat declared it.  A member stream delivers exactly this many bytes or
 * fails, so a caller may refuse a member by its size before reading it. */
uint64_t tc_tree_size(const tc_tree *t, size_t i);

/* The index of the k-th member in the order the archive stores them (a
 * folder's order is the sorted one), SIZE_MAX past the end.  Opening the
 * members in this order reads the archive once; see tc_tree_open_member. */
size_t tc_tree_stored(const tc_tree *t, size_t k);

/* Find a member by its exact name; true with *index set (when not NULL). */
bool tc_tree_find(const tc_tree *t, const char *name, size_t *index);

/*
 * Open member i for reading, as a stream like any input: tc_stream_read,
 * tc_stream_read_line, and tc_stream_make_seekable / tc_stream_seek (an
 * archive member seeks back by reading it again from its start, never
 * through a temporary file).  Its name for messages is "archive.zip:NAME"
 * or "folder/NAME".  Any number of members may be open at once; each open
 * archive member holds its own libarchive handle (for a zip, that handle
 * holds the central directory).  libarchive reads forward only: opening a
 * member stored after the last one opened goes on from there, opening one
 * stored before it reads the archive again from the start -- so a caller
 * that reads every member of an archive goes in tc_tree_stored order.  A
 * member that turns out longer or shorter than tc_tree_size, a
 * damaged one, or a file of a folder that changed since it was listed
 * fails on read with TC_ERR_DATA set on the stream.
 *
 * Returns a new stream, or NULL with err set: TC_ERR_DATA for an encrypted
 * member (threadconv does not decrypt), a damaged archive or a folder
 * member that is gone or no longer a regular file; TC_ERR_USAGE for an
 * index out of range; TC_ERR_NOMEM.
 */
tc_stream *tc_tree_open_member(tc_tree *t, size_t i, tc_error *err);

/*
 * The input stream a TC_FORMAT_READS_TREE reader is given for tree t, as
 * the core makes it for a folder or archive input: it holds no bytes, and
 * tc_stream_tree gives t (borrowed: close the stream before the tree).
 * name names the input in messages (the path given to tc_tree_open).  For
 * programs and tests that drive a tree reader through the checked session
 * (tc_reader_open).  New; NULL on ENOMEM.
 */
tc_stream *tc_stream_open_tree(tc_tree *t, const char *name);

/* Close the tree (its streams stay usable until they are closed).  NULL is
 * allowed. */
void tc_tree_close(tc_tree *t);

#ifdef __cplusplus
}
#endif

#endif /* THREADCONV_TREE_H */
