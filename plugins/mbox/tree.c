/*
 * tree.c - the maildir and eml readers: mail kept one message per file,
 * read by the mbox reader as one mailbox assembled from the files.
 *
 *   maildir  a folder, .zip or .tar (threadconv/tree.h) holding a Maildir:
 *            the files in every cur/ and new/ folder -- the Maildir's own
 *            and its Maildir++ subfolders' (.Sub.Folder/cur), or any
 *            nested Maildir's (notmuch keeps them so) -- are its messages;
 *            tmp/ is not delivered mail and is left out.
 *   eml      one RFC 5322 message per file: a plain file is one message; a
 *            folder or archive is one archive of its *.eml members (every
 *            member with -O eml.members=all).
 *
 * How (doc/formats.md, "maildir and eml (readers)", states the rules):
 *   1. the member names decide which members are messages and their
 *      order (for a Maildir: by folder, then by the delivery time the file
 *      name begins with, then by name, runs of digits compared as numbers);
 *      the order is sorted in the store (store.h), not in memory;
 *   2. each message is read once, in the order the tree stores them (an
 *      archive is read once), and appended to an unlinked temporary file
 *      in $TMPDIR as one mboxrd message: a From_ line made from the
 *      delivery time, the message with CRLF made LF and From lines quoted,
 *      the Maildir flags as Status:/X-Status: lines; an entry per message
 *      in the store says where it is and how its lines map to the file's;
 *   3. the mbox reader (reader.h) reads the mailbox these make, in the
 *      order of step 1, through a stream over the temporary file
 *      (tc_stream_open_source): it indexes, threads and decodes exactly
 *      as it does an mbox; its errors and warnings are passed on naming
 *      the message's file and its line there.
 * Memory does not grow with the number of files (beyond the tree's own
 * list of members): the entries live in the store, spilled to a second
 * temporary file beyond TREE_STORE_KB; the mailbox file grows with the
 * archive, as the mbox reader's spool of standard input does.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tree.h"

#include "reader.h"
#include "store.h"

#include <threadconv/convert.h>
#include <threadconv/tree.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TREE_STORE_KB 1024       /* the entries' page cache */
#define TREE_WRITE_BUF (1 << 18) /* bytes gathered before a write to the mailbox file */
#define TREE_MAX_TIME 253402300799ull /* 9999-12-31T23:59:59Z: asctime has four-digit years */

/* Regions of the store (fewer than MBOX_REGIONS). */
enum {
    R_REC,   /* mt_rec per message, in the archive's order */
    R_ORDER, /* pass 1: uint32 member index per message (sorted here) */
    R_SORT,  /* pass 1: the merge sort's other half */
    R_POS    /* uint32 per member: its message's place in the order + 1, 0: not a message */
};

/* mt_rec.flags */
enum {
    F_OWN_FROM = 1, /* the file starts with a From_ line: the entry's stands for it */
    F_ADDED_NL = 2, /* the file does not end in a newline: the entry's last byte is ours */
    F_MARKED = 4,   /* our writer's message (X-Threadconv-Id): a blank line after it */
    F_NO_DATE = 8   /* no Date:, and the From_ line's date is the epoch we gave it */
};

/* Where one message is: its bytes in the temporary file, its place in the
 * mailbox the mbox reader reads, and how its lines map to the file's. */
typedef struct mt_rec {
    uint64_t toff, tlen; /* the entry in the temporary file */
    uint64_t voff, vlen; /* in the mailbox */
    uint64_t line0;      /* the mailbox's number of the entry's first line (its From_ line) */
    uint64_t clines;     /* lines of the entry */
    uint64_t mlines;     /* lines of the file */
    uint64_t ins_at;     /* the entry's line (from 0) where the Status lines were put */
    uint32_t n_ins;      /* how many: 0, 1 or 2 */
    uint32_t member;     /* the tree's member index */
    uint32_t flags;      /* F_* */
    uint32_t pad;
} mt_rec;

/* What a Maildir file's name says. */
typedef struct mt_info {
    bool maildir;
    bool cur;            /* in cur/ (seen by a mail program), not new/ */
    uint64_t time;       /* the delivery time the name begins with, 0: none */
    const char *flags;   /* the letters after ":2,", "" when none */
} mt_info;

typedef struct mbox_tree_reader {
    bool maildir;        /* the format: maildir, else eml */
    bool ready;          /* the entries are complete: lines can be mapped */
    tc_stream *in;       /* the input, the stream the core gave (for warnings) */
    tc_tree *tree;       /* NULL: the input is one message */
    tc_buf prefix;       /* what goes before a member's name in messages */
    mbox_store *ix;
    uint32_t n;          /* messages */
    const char *tmpdir;
    int fd;              /* the temporary file of the entries */
    uint64_t tend;       /* its length */
    tc_buf wbuf;         /* bytes not yet written to it */
    tc_buf where;        /* a member's name, for a message */
    /* the mailbox stream: entry vr, vin bytes into it */
    tc_stream *inner;
    void *mbox;          /* the mbox reader's state */
    uint32_t vr;
    uint64_t vin, vtotal;
    mt_rec vrec;
    bool vrec_ok;
    tc_post post;        /* a post of the mbox reader's, changed */
} mbox_tree_reader;

static int nomem(tc_stream *s)
{
    return tc_stream_error(s, TC_ERR_NOMEM, 0, 0, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* a[0..an) and b[0..bn) in order, runs of digits compared as numbers
 * ("Q2" before "Q10"), other bytes as unsigned bytes; 0 also when they
 * differ only in leading zeros. */
static int natural_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;
    while (i < an && j < bn) {
        if (is_digit(a[i]) && is_digit(b[j])) {
            while (i < an && a[i] == '0')
                i++;
            while (j < bn && b[j] == '0')
                j++;
            size_t i2 = i, j2 = j;
            while (i2 < an && is_digit(a[i2]))
                i2++;
            while (j2 < bn && is_digit(b[j2]))
                j2++;
            if (i2 - i != j2 - j)
                return i2 - i < j2 - j ? -1 : 1;
            int c = memcmp(a + i, b + j, i2 - i);
            if (c != 0)
                return c;
            i = i2;
            j = j2;
            continue;
        }
        if (a[i] != b[j])
            return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
        i++;
        j++;
    }
    return i < an ? 1 : j < bn ? -1 : 0;
}

static const char *base_name(const char *name)
{
    const char *slash = strrchr(name, '/');
    return slash ? slash + 1 : name;
}

/* Whether the member name is a Maildir message: [FOLDER/]cur/NAME or
 * [FOLDER/]new/NAME, NAME not starting with a dot (the Maildir rule for
 * files a reader leaves alone).  *folder_len: the bytes of FOLDER, 0 for
 * the top. */
static bool maildir_parse(const char *name, size_t *folder_len, const char **base, bool *cur)
{
    const char *b = base_name(name);
    size_t dl = b > name ? (size_t)(b - name) - 1 : 0; /* "FOLDER/cur" */
    if (dl < 3 || (dl > 3 && name[dl - 4] != '/') || *b == '\0' || *b == '.')
        return false;
    if (memcmp(name + dl - 3, "cur", 3) == 0)
        *cur = true;
    else if (memcmp(name + dl - 3, "new", 3) == 0)
        *cur = false;
    else
        return false;
    *folder_len = dl > 3 ? dl - 4 : 0;
    *base = b;
    return true;
}

/* The delivery time a Maildir name begins with ("1612474439.M1P2.host"),
 * 0 when it has none. */
static uint64_t maildir_time(const char *base)
{
    uint64_t t = 0;
    size_t i = 0;
    while (i < 12 && is_digit(base[i]))
        t = t * 10 + (uint64_t)(base[i++] - '0');
    return i > 0 && base[i] == '.' && t <= TREE_MAX_TIME ? t : 0;
}

/* The flags of a Maildir name: the letters after ":2,". */
static const char *maildir_flags(const char *base)
{
    const char *colon = strrchr(base, ':');
    return colon && colon[1] == '2' && colon[2] == ',' ? colon + 3 : "";
}

/* Files of mail programs' own that live in a Maildir beside the mail. */
static bool maildir_own_file(const char *name)
{
    const char *b = base_name(name);
    size_t dl = b > name ? (size_t)(b - name) - 1 : 0;
    static const char *const names[] = {"maildirfolder", "maildirsize", "subscriptions",
                                        "courierimapsubscribed", NULL};
    if (*b == '.' || strncmp(b, "dovecot", 7) == 0 || strncmp(b, "courier", 7) == 0)
        return true;
    if (dl >= 3 && memcmp(name + dl - 3, "tmp", 3) == 0 && (dl == 3 || name[dl - 4] == '/'))
        return true; /* tmp/: mail being delivered, not mail */
    for (size_t i = 0; names[i]; i++)
        if (strcmp(b, names[i]) == 0)
            return true;
    return false;
}

/* A member left out of an eml archive whatever -O eml.members says: a
 * hidden file, macOS's resource forks in a zip. */
static bool eml_hidden(const char *name)
{
    return *base_name(name) == '.' || strncmp(name, "__MACOSX/", 9) == 0;
}

static bool eml_named(const char *name)
{
    size_t n = strlen(name);
    if (n < 4)
        return false;
    const char *e = name + n - 4;
    return e[0] == '.' && (e[1] | 0x20) == 'e' && (e[2] | 0x20) == 'm' && (e[3] | 0x20) == 'l';
}

static mt_info member_info(const mbox_tree_reader *st, const char *name)
{
    mt_info info = {.flags = ""};
    size_t fl;
    const char *base;
    if (st->maildir && maildir_parse(name, &fl, &base, &info.cur)) {
        info.maildir = true;
        info.time = maildir_time(base);
        info.flags = maildir_flags(base);
    }
    return info;
}

/* The archive's order of members a and b (doc/formats.md). */
static int member_cmp(const mbox_tree_reader *st, uint32_t a, uint32_t b)
{
    const char *na = tc_tree_name(st->tree, a), *nb = tc_tree_name(st->tree, b);
    if (st->maildir) {
        size_t fa = 0, fb = 0;
        const char *ba = na, *bb = nb;
        bool cur;
        maildir_parse(na, &fa, &ba, &cur);
        maildir_parse(nb, &fb, &bb, &cur);
        int c = natural_cmp(na, fa, nb, fb);
        if (c != 0)
            return c;
        uint64_t ta = maildir_time(ba), tb = maildir_time(bb);
        if (ta != tb)
            return ta < tb ? -1 : 1;
        c = natural_cmp(ba, strlen(ba), bb, strlen(bb));
        if (c != 0)
            return c;
    } else {
        int c = natural_cmp(na, strlen(na), nb, strlen(nb));
        if (c != 0)
            return c;
    }
    return strcmp(na, nb);
}

/* ------------------------------------------------------------------ */
/* The store                                                           */
/* ------------------------------------------------------------------ */

static uint32_t u32_get(mbox_tree_reader *st, unsigned region, uint64_t i)
{
    uint32_t v;
    mbox_store_read(st->ix, region, i * sizeof v, &v, sizeof v);
    return v;
}

static void u32_put(mbox_tree_reader *st, unsigned region, uint64_t i, uint32_t v)
{
    mbox_store_write(st->ix, region, i * sizeof v, &v, sizeof v);
}

static mt_rec rec_get(mbox_tree_reader *st, uint32_t p)
{
    mt_rec r;
    mbox_store_read(st->ix, R_REC, (uint64_t)p * sizeof r, &r, sizeof r);
    return r;
}

static void rec_put(mbox_tree_reader *st, uint32_t p, const mt_rec *r)
{
    mbox_store_write(st->ix, R_REC, (uint64_t)p * sizeof *r, r, sizeof *r);
}

static int store_check(tc_stream *in, mbox_tree_reader *st)
{
    const char *why = mbox_store_error(st->ix);
    return why ? tc_stream_error(in, st->ix->code, 0, 0, "%s", why) : TC_OK;
}

/* Sort the n member indices of R_ORDER into the archive's order (a
 * bottom-up merge sort through the store: its reads and writes go
 * forward, so its pages are used in turn), then number them in R_POS. */
static void sort_members(mbox_tree_reader *st)
{
    unsigned src = R_ORDER, dst = R_SORT;
    uint64_t n = st->n;
    for (uint64_t w = 1; w < n; w *= 2) {
        for (uint64_t lo = 0; lo < n; lo += 2 * w) {
            uint64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            uint64_t i = lo, j = mid, k = lo;
            uint32_t a = i < mid ? u32_get(st, src, i) : 0, b = j < hi ? u32_get(st, src, j) : 0;
            while (i < mid && j < hi) {
                if (member_cmp(st, a, b) <= 0) {
                    u32_put(st, dst, k++, a);
                    if (++i < mid)
                        a = u32_get(st, src, i);
                } else {
                    u32_put(st, dst, k++, b);
                    if (++j < hi)
                        b = u32_get(st, src, j);
                }
            }
            for (; i < mid; i++)
                u32_put(st, dst, k++, u32_get(st, src, i));
            for (; j < hi; j++)
                u32_put(st, dst, k++, u32_get(st, src, j));
        }
        unsigned t = src;
        src = dst;
        dst = t;
    }
    for (uint64_t p = 0; p < n; p++)
        u32_put(st, R_POS, u32_get(st, src, p), (uint32_t)p + 1);
    mbox_store_drop(st->ix, R_ORDER, 0, n * sizeof(uint32_t));
    mbox_store_drop(st->ix, R_SORT, 0, n * sizeof(uint32_t));
}

/* Step 1: which members are messages, and their order. */
static int choose_members(tc_stream *in, mbox_tree_reader *st)
{
    size_t count = tc_tree_count(st->tree), ignored = 0, empty = 0;
    const char *first_ignored = NULL, *first_empty = NULL;
    const char *members = tc_stream_option(in, "members");
    bool all = members && strcmp(members, "all") == 0;
    for (size_t i = 0; i < count; i++) {
        const char *name = tc_tree_name(st->tree, i);
        bool msg;
        if (st->maildir) {
            size_t fl;
            const char *base;
            bool cur;
            msg = maildir_parse(name, &fl, &base, &cur);
            if (!msg && !maildir_own_file(name) && ignored++ == 0)
                first_ignored = name;
        } else {
            msg = !eml_hidden(name) && (all || eml_named(name));
            if (!msg && !eml_hidden(name) && ignored++ == 0)
                first_ignored = name;
        }
        if (msg && tc_tree_size(st->tree, i) == 0) {
            msg = false;
            if (empty++ == 0)
                first_empty = name;
        }
        if (!msg)
            continue;
        if (st->n == MBOX_NONE - 1)
            return tc_stream_error(in, TC_ERR_DATA, 0, 0, "too many messages in one archive");
        u32_put(st, R_ORDER, st->n++, (uint32_t)i);
    }
    if (ignored && st->maildir && st->n == 0)
        return tc_stream_error(in, TC_ERR_DATA, 0, 0,
                               "no message in a cur/ or new/ folder, but %zu other file%s "
                               "(the first: %s): expected a Maildir", ignored,
                               ignored == 1 ? "" : "s", first_ignored);
    if (ignored)
        tc_stream_warn(in, 0, 0, "%zu file%s %s ignored (the first: %s)%s", ignored,
                       ignored == 1 ? "" : "s",
                       st->maildir ? "outside the cur/ and new/ folders"
                                   : "not named *.eml",
                       first_ignored, st->maildir ? "" : "; -O eml.members=all reads them too");
    if (empty)
        tc_stream_warn(in, 0, 0, "%zu empty file%s ignored: no message (the first: %s)", empty,
                       empty == 1 ? "" : "s", first_empty);
    sort_members(st);
    return store_check(in, st);
}

/* ------------------------------------------------------------------ */
/* The temporary file                                                  */
/* ------------------------------------------------------------------ */

static int temp_open(tc_stream *in, mbox_tree_reader *st)
{
    const char *dir = getenv("TMPDIR");
    st->tmpdir = dir && *dir ? dir : "/tmp";
    tc_buf path = {0};
    if (tc_buf_printf(&path, "%s/threadconv-mail-XXXXXX", st->tmpdir) != TC_OK)
        return nomem(in);
    st->fd = mkstemp(path.data);
    int e = errno;
    if (st->fd >= 0)
        unlink(path.data);
    tc_buf_free(&path);
    /* the environment's fault ($TMPDIR missing or full), not the input's */
    if (st->fd < 0)
        return tc_stream_error(in, TC_ERR_OUTPUT, 0, 0,
                               "cannot create a temporary file in %s (TMPDIR) for the "
                               "messages: %s", st->tmpdir, strerror(e));
    return TC_OK;
}

static int temp_flush(tc_stream *in, mbox_tree_reader *st)
{
    const char *p = st->wbuf.data;
    size_t n = st->wbuf.len;
    while (n > 0) {
        ssize_t w = write(st->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return tc_stream_error(in, TC_ERR_OUTPUT, 0, 0,
                                   "cannot write the temporary file of the messages in %s "
                                   "(TMPDIR): %s", st->tmpdir, strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    tc_buf_reset(&st->wbuf);
    return TC_OK;
}

static int temp_write(tc_stream *in, mbox_tree_reader *st, const char *s, size_t n)
{
    if (tc_buf_append(&st->wbuf, s, n) != TC_OK)
        return nomem(in);
    st->tend += n;
    return st->wbuf.len >= TREE_WRITE_BUF ? temp_flush(in, st) : TC_OK;
}

/* ------------------------------------------------------------------ */
/* Step 2: one message into the mailbox                                */
/* ------------------------------------------------------------------ */

typedef struct synth {
    bool idx_head;    /* in the header block as the mbox index sees it */
    bool load_head;   /* before the first empty line: the mbox reader unquotes nothing there */
    bool seen_field;
    bool has_status, has_xstatus, has_date, marked;
    mt_rec r;
} synth;

static bool name_ieq(const char *s, size_t n, const char *lower)
{
    if (strlen(lower) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) != lower[i])
            return false;
    return true;
}

/* A line of the entry, its newline after it. */
static int emit(tc_stream *in, mbox_tree_reader *st, synth *sy, const char *prefix,
                const char *s, size_t n)
{
    int rc = TC_OK;
    if (prefix)
        rc = temp_write(in, st, prefix, strlen(prefix));
    if (rc == TC_OK)
        rc = temp_write(in, st, s, n);
    if (rc == TC_OK)
        rc = temp_write(in, st, "\n", 1);
    sy->r.clines++;
    return rc;
}

/* head, then the delivery time in asctime form: "From MAILER-DAEMON Thu
 * Feb  4 21:33:59 2021". */
static int emit_from(tc_stream *in, mbox_tree_reader *st, synth *sy, const char *head,
                     size_t head_len, uint64_t t)
{
    static const char *const wd[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t y;
    int mo, d, h, mi, s;
    tc_date_to_fields((tc_date){(int64_t)t, 0, true}, &y, &mo, &d, &h, &mi, &s);
    char date[40];
    int n = snprintf(date, sizeof date, " %s %s %2d %02d:%02d:%02d %04lld",
                     wd[tc_weekday(y, mo, d)], mon[mo - 1], d, h, mi, s, (long long)y);
    int rc = temp_write(in, st, head, head_len);
    return rc == TC_OK ? emit(in, st, sy, NULL, date, (size_t)n) : rc;
}

/* The Maildir flags as Status: and X-Status: lines, those the message
 * has not got (doc/formats.md): S -> R, cur/ -> O; R -> A, F -> F, T -> D. */
static int emit_flags(tc_stream *in, mbox_tree_reader *st, synth *sy, const mt_info *info)
{
    if (!info->maildir)
        return TC_OK;
    char status[3], xstatus[4];
    size_t ns = 0, nx = 0;
    if (strchr(info->flags, 'S'))
        status[ns++] = 'R';
    if (info->cur)
        status[ns++] = 'O';
    if (strchr(info->flags, 'R'))
        xstatus[nx++] = 'A';
    if (strchr(info->flags, 'F'))
        xstatus[nx++] = 'F';
    if (strchr(info->flags, 'T'))
        xstatus[nx++] = 'D';
    int rc = TC_OK;
    sy->r.ins_at = sy->r.clines;
    if (ns && !sy->has_status) {
        rc = emit(in, st, sy, "Status: ", status, ns);
        sy->r.n_ins++;
    }
    if (rc == TC_OK && nx && !sy->has_xstatus) {
        rc = emit(in, st, sy, "X-Status: ", xstatus, nx);
        sy->r.n_ins++;
    }
    return rc;
}

/* Whether the line matches ^>*From : mboxrd quotes it. */
static bool from_quoted(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && s[k] == '>')
        k++;
    return n - k >= 5 && memcmp(s + k, "From ", 5) == 0;
}

/* A line of the message (after its From_ line), without its newline. */
static int message_line(tc_stream *in, mbox_tree_reader *st, synth *sy, const mt_info *info,
                        const char *s, size_t n)
{
    if (sy->idx_head) {
        /* the header block ends at an empty line, or at a line that is no
         * header field (index.c decides so too) */
        bool ends = n == 0;
        if (!ends && !((s[0] == ' ' || s[0] == '\t') && sy->seen_field)) {
            size_t nl = mbox_header_name(s, n);
            ends = nl == 0;
            if (!ends) {
                sy->seen_field = true;
                int kind = mbox_header_kind(s, nl);
                sy->marked |= kind == MBOX_K_XID;
                sy->has_date |= kind == MBOX_K_DATE;
                sy->has_status |= name_ieq(s, nl, "status");
                sy->has_xstatus |= name_ieq(s, nl, "x-status");
            }
        }
        if (ends) {
            sy->idx_head = false;
            int rc = emit_flags(in, st, sy, info);
            if (rc != TC_OK)
                return rc;
        }
    }
    if (sy->load_head && n == 0)
        sy->load_head = false;
    /* Before the first empty line the mbox reader removes no quoting, so
     * only a line it would take for a From_ line is quoted there (and
     * keeps its '>'); after it, every line matching ^>*From . */
    bool quote = sy->load_head ? mbox_from_line(s, n, NULL) != 0 : from_quoted(s, n);
    return emit(in, st, sy, quote ? ">" : NULL, s, n);
}

/* The message read from src (a member, or the input itself) as the entry
 * of place p in the archive.  TC_EOF when src is empty. */
static int add_message(tc_stream *in, mbox_tree_reader *st, tc_stream *src, uint32_t p,
                       uint32_t member, const mt_info *info)
{
    synth sy = {.idx_head = true, .load_head = true};
    sy.r.toff = st->tend;
    sy.r.member = member;
    bool first = true, crlf = false, last_nl = true;
    uint64_t before = tc_stream_tell(src);
    int rc;
    for (;;) {
        const char *s;
        size_t n;
        rc = tc_stream_read_line(src, &s, &n);
        if (rc == TC_EOF)
            break;
        if (rc != TC_OK)
            return rc;
        uint64_t after = tc_stream_tell(src);
        last_nl = after - before > n;
        before = after;
        sy.r.mlines++;
        if (first && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3; /* a UTF-8 byte order mark: not part of the message */
            n -= 3;
        }
        if (first)
            crlf = last_nl && n > 0 && s[n - 1] == '\r';
        if (crlf && last_nl && n > 0 && s[n - 1] == '\r')
            n--;
        if (first) {
            first = false;
            if (n >= 5 && memcmp(s, "From ", 5) == 0) {
                /* the file's own From_ line (a header would be "From:"):
                 * it is the message's, given the delivery time when it
                 * has no date ("From sender@example.org") */
                sy.r.flags |= F_OWN_FROM;
                bool dated = mbox_from_line(s, n, NULL) != 0;
                if (!dated && info->time == 0)
                    sy.r.flags |= F_NO_DATE;
                rc = dated ? emit(in, st, &sy, NULL, s, n)
                           : emit_from(in, st, &sy, s, n, info->time);
                if (rc != TC_OK)
                    return rc;
                continue;
            }
            static const char daemon[] = "From MAILER-DAEMON";
            if (info->time == 0)
                sy.r.flags |= F_NO_DATE;
            if ((rc = emit_from(in, st, &sy, daemon, sizeof daemon - 1, info->time)) != TC_OK)
                return rc;
        }
        if ((rc = message_line(in, st, &sy, info, s, n)) != TC_OK)
            return rc;
    }
    if (first)
        return TC_EOF;
    bool flags_last = false;
    if (sy.idx_head) { /* the file ends in its header block */
        uint64_t lines = sy.r.clines;
        if ((rc = emit_flags(in, st, &sy, info)) != TC_OK)
            return rc;
        flags_last = sy.r.clines != lines;
    }
    /* Every message ends with the blank separator line, which the mbox
     * reader takes for the format's, not the message's (RFC 4155).  A file
     * without a final newline has been given one (emit ends every line). */
    if (sy.marked)
        sy.r.flags |= F_MARKED;
    (void)last_nl;
    (void)flags_last;
    if ((rc = emit(in, st, &sy, NULL, "", 0)) != TC_OK)
        return rc;
    if (sy.has_date)
        sy.r.flags &= ~(uint32_t)F_NO_DATE;
    sy.r.tlen = st->tend - sy.r.toff;
    rec_put(st, p, &sy.r);
    return TC_OK;
}

/* The error of src, a stream of ours, on the input. */
static int pass_stream_error(tc_stream *in, tc_stream *src, int rc)
{
    const tc_error *e = tc_stream_get_error(src);
    if (src == in || e->code == TC_OK)
        return rc;
    return tc_stream_error_at(in, rc, e->source, e->line, e->column, "%s", e->text);
}

/* Step 2 for every message, in the order the tree stores them. */
static int add_members(tc_stream *in, mbox_tree_reader *st)
{
    size_t count = tc_tree_count(st->tree);
    for (size_t k = 0; k < count; k++) {
        size_t i = tc_tree_stored(st->tree, k);
        uint32_t p1 = u32_get(st, R_POS, i);
        if (p1 == 0)
            continue;
        tc_error err;
        tc_stream *m = tc_tree_open_member(st->tree, i, &err);
        if (m == NULL)
            return tc_stream_error_at(in, err.code, err.source, err.line, err.column, "%s",
                                      err.text);
        const char *shown = tc_stream_name(m), *name = tc_tree_name(st->tree, i);
        size_t sl = strlen(shown), nl = strlen(name);
        if (st->prefix.data == NULL && sl >= nl &&
            (tc_buf_append(&st->prefix, shown, sl - nl) != TC_OK ||
             tc_buf_append(&st->prefix, "", 0) != TC_OK)) {
            tc_stream_close(m);
            return nomem(in);
        }
        for (int l = 0; l < TC_LIMIT_COUNT; l++)
            tc_stream_set_limit(m, (tc_limit)l, tc_stream_limit(in, (tc_limit)l));
        mt_info info = member_info(st, name);
        int rc = add_message(in, st, m, p1 - 1, (uint32_t)i, &info);
        if (rc == TC_EOF) /* its size said otherwise: the member is damaged */
            rc = tc_stream_error_at(in, TC_ERR_DATA, shown, 0, 0, "the file is empty");
        rc = pass_stream_error(in, m, rc);
        tc_stream_close(m);
        if (rc == TC_OK)
            rc = store_check(in, st);
        if (rc != TC_OK)
            return rc;
    }
    return TC_OK;
}

/* Step 2 done: each entry's place in the mailbox and its first line. */
static int place_entries(tc_stream *in, mbox_tree_reader *st)
{
    int rc = temp_flush(in, st);
    if (rc != TC_OK)
        return rc;
    uint64_t line = 1;
    for (uint32_t p = 0; p < st->n; p++) {
        mt_rec r = rec_get(st, p);
        r.voff = st->vtotal;
        /* a file without a final newline gets one before the next From_
         * line; the last stays as it was */
        r.vlen = r.tlen - (p + 1 == st->n && (r.flags & F_ADDED_NL) ? 1 : 0);
        r.line0 = line;
        line += r.clines;
        st->vtotal += r.vlen;
        rec_put(st, p, &r);
    }
    st->ready = true;
    return store_check(in, st);
}

/* ------------------------------------------------------------------ */
/* Step 3: the mailbox, to the mbox reader                             */
/* ------------------------------------------------------------------ */

static long mailbox_read(void *user, tc_stream *s, void *buf, size_t len)
{
    mbox_tree_reader *st = user;
    for (;;) {
        if (st->vr >= st->n)
            return 0;
        if (!st->vrec_ok) {
            st->vrec = rec_get(st, st->vr);
            st->vrec_ok = true;
            const char *why = mbox_store_error(st->ix);
            if (why)
                return tc_stream_error(s, st->ix->code, 0, 0, "%s", why);
        }
        if (st->vin < st->vrec.vlen)
            break;
        st->vr++;
        st->vin = 0;
        st->vrec_ok = false;
    }
    uint64_t left = st->vrec.vlen - st->vin;
    size_t want = left < len ? (size_t)left : len;
    ssize_t got;
    do
        got = pread(st->fd, buf, want, (off_t)(st->vrec.toff + st->vin));
    while (got < 0 && errno == EINTR);
    if (got <= 0)
        return tc_stream_error(s, TC_ERR_OUTPUT, 0, 0,
                               "cannot read back the temporary file of the messages in %s "
                               "(TMPDIR): %s", st->tmpdir,
                               got < 0 ? strerror(errno) : "it is shorter than written");
    st->vin += (uint64_t)got;
    return (long)got;
}

/* The entry whose key (voff or line0) is the last at most x. */
static uint32_t entry_at(mbox_tree_reader *st, uint64_t x, bool by_line)
{
    uint32_t lo = 0, hi = st->n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        mt_rec r = rec_get(st, mid);
        if ((by_line ? r.line0 : r.voff) <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static int mailbox_seek(void *user, tc_stream *s, uint64_t offset)
{
    mbox_tree_reader *st = user;
    if (offset >= st->vtotal) {
        st->vr = st->n;
        st->vin = 0;
        st->vrec_ok = false;
    } else {
        st->vr = entry_at(st, offset, false);
        st->vrec = rec_get(st, st->vr);
        st->vrec_ok = true;
        st->vin = offset - st->vrec.voff;
    }
    const char *why = mbox_store_error(st->ix);
    return why ? tc_stream_error(s, st->ix->code, 0, 0, "%s", why) : TC_OK;
}

/* Line `line` of the mailbox, in the file it came from: the message's
 * place in *p, its file's name in st->where, the line there. */
static bool locate(mbox_tree_reader *st, uint64_t line, uint32_t *p, uint64_t *mline)
{
    if (!st->ready || st->n == 0 || line == 0)
        return false;
    *p = entry_at(st, line, true);
    mt_rec r = rec_get(st, *p);
    uint64_t j = line - r.line0; /* the entry's line, from 0 */
    if (r.n_ins && j >= r.ins_at)
        j = j < r.ins_at + r.n_ins ? r.ins_at : j - r.n_ins;
    uint64_t m = j + (r.flags & F_OWN_FROM ? 1 : 0); /* a From_ line we made is line 0 */
    *mline = m < 1 ? 1 : m > r.mlines ? r.mlines : m;
    tc_buf_reset(&st->where);
    if (st->tree == NULL)
        return tc_buf_printf(&st->where, "%s", tc_stream_name(st->in)) == TC_OK;
    return tc_buf_printf(&st->where, "%s%s", st->prefix.data ? st->prefix.data : "",
                         tc_tree_name(st->tree, r.member)) == TC_OK;
}

/* An error or warning of the mbox reader, about the mailbox, as one
 * about the file: its name and line, without "message N: " (the file
 * names the message). */
static const char *translate(mbox_tree_reader *st, const tc_error *e, const char **source,
                             uint64_t *line)
{
    uint32_t p;
    *source = NULL;
    *line = 0;
    if (!locate(st, e->line, &p, line))
        return e->text;
    *source = st->where.data;
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, "message %u: ", p + 1);
    return strncmp(e->text, prefix, (size_t)n) == 0 ? e->text + n : e->text;
}

static void pass_warning(void *user, const tc_error *w)
{
    mbox_tree_reader *st = user;
    const char *source;
    uint64_t line;
    const char *text = translate(st, w, &source, &line);
    tc_stream_warn_at(st->in, source, line, w->column, "%s", text);
}

/* The mbox reader's status rc: its error, if any, passed on. */
static int pass_inner(tc_stream *in, mbox_tree_reader *st, int rc)
{
    if (rc == TC_OK || rc == TC_EOF)
        return rc;
    const tc_error *e = tc_stream_get_error(st->inner);
    if (e->code != TC_OK) {
        const char *source;
        uint64_t line;
        const char *text = translate(st, e, &source, &line);
        tc_stream_error_at(in, e->code, source, line, e->column, "%s", text);
        if (rc == TC_SKIPPED)
            tc_stream_clear_error(st->inner); /* the next message may go wrong too */
    }
    return rc;
}

/* The mbox reader on the mailbox: its stream has the input's limits and
 * no options, so the reader takes its defaults -- the variant mboxrd, which
 * the entries are quoted for, and its default index memory. */
static int open_mailbox(tc_stream *in, mbox_tree_reader *st)
{
    tc_stream_source src = {mailbox_read, mailbox_seek, NULL, st};
    st->inner = tc_stream_open_source(&src, tc_stream_name(in));
    if (st->inner == NULL)
        return nomem(in);
    for (int l = 0; l < TC_LIMIT_COUNT; l++)
        tc_stream_set_limit(st->inner, (tc_limit)l, tc_stream_limit(in, (tc_limit)l));
    /* a line of the file within max-line stays within it quoted ('>') */
    tc_stream_set_limit(st->inner, TC_LIMIT_LINE, tc_stream_limit(in, TC_LIMIT_LINE) + 1);
    tc_stream_set_warning_fn(st->inner, pass_warning, st);
    return pass_inner(in, st, mbox_read_open(st->inner, &st->mbox));
}

int mbox_tree_mailbox(void *state, tc_buf *out)
{
    mbox_tree_reader *st = state;
    uint32_t vr = st->vr;
    uint64_t vin = st->vin;
    bool ok = st->vrec_ok;
    mt_rec rec = st->vrec;
    int rc = mailbox_seek(st, st->inner, 0);
    char buf[4096];
    long n;
    while (rc == TC_OK && (n = mailbox_read(st, st->inner, buf, sizeof buf)) != 0)
        rc = n < 0 ? (int)n : tc_buf_append(out, buf, (size_t)n);
    st->vr = vr;
    st->vin = vin;
    st->vrec_ok = ok;
    st->vrec = rec;
    return rc;
}

/* ------------------------------------------------------------------ */
/* The callbacks                                                       */
/* ------------------------------------------------------------------ */

void mbox_tree_read_close(tc_stream *in, void *state)
{
    mbox_tree_reader *st = state;
    if (st == NULL)
        return;
    if (st->mbox)
        mbox_read_close(st->inner, st->mbox);
    tc_stream_close(st->inner);
    if (st->fd >= 0)
        close(st->fd);
    mbox_store_free(st->ix);
    tc_buf_free(&st->prefix);
    tc_buf_free(&st->wbuf);
    tc_buf_free(&st->where);
    free(st);
    (void)in;
}

static int tree_open(tc_stream *in, void **state, bool maildir)
{
    mbox_tree_reader *st = calloc(1, sizeof *st);
    if (st == NULL)
        return nomem(in);
    st->maildir = maildir;
    st->in = in;
    st->fd = -1;
    st->tree = tc_stream_tree(in);
    int rc = TC_OK;
    if (maildir && st->tree == NULL)
        rc = tc_stream_error(in, TC_ERR_DATA, 0, 0,
                             "a plain file, not a Maildir: expected a folder (or a .zip or "
                             ".tar of one) with cur/ and new/ folders; -f eml reads a file "
                             "that holds one message");
    if (rc == TC_OK && (st->ix = mbox_store_new((size_t)TREE_STORE_KB * 1024)) == NULL)
        rc = nomem(in);
    if (rc == TC_OK && st->tree)
        rc = choose_members(in, st);
    if (rc == TC_OK)
        rc = temp_open(in, st);
    if (rc == TC_OK && st->tree) {
        rc = add_members(in, st);
    } else if (rc == TC_OK) { /* one message: the input itself */
        mt_info info = {.flags = ""};
        st->n = 1;
        rc = add_message(in, st, in, 0, 0, &info);
        if (rc == TC_EOF) {
            st->n = 0;
            rc = TC_OK;
            tc_stream_warn(in, 0, 0, "an empty file: no message");
        }
        if (rc == TC_OK)
            rc = store_check(in, st);
    }
    if (rc == TC_OK)
        rc = place_entries(in, st);
    if (rc == TC_OK)
        rc = open_mailbox(in, st);
    if (rc != TC_OK) {
        mbox_tree_read_close(in, st);
        return rc;
    }
    *state = st;
    return TC_OK;
}

int maildir_read_open(tc_stream *in, void **state)
{
    return tree_open(in, state, true);
}

int eml_read_open(tc_stream *in, void **state)
{
    return tree_open(in, state, false);
}

int mbox_tree_read_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    mbox_tree_reader *st = state;
    return pass_inner(in, st, mbox_read_next_thread(st->inner, st->mbox, thread));
}

int mbox_tree_read_next_post(tc_stream *in, void *state, const tc_post **post)
{
    mbox_tree_reader *st = state;
    int rc = pass_inner(in, st, mbox_read_next_post(st->inner, st->mbox, post));
    if (rc != TC_OK)
        return rc;
    /* The mbox reader gives a message without Date: its From_ line's date;
     * when that is the epoch we wrote for want of a delivery time, the
     * message has no date.  (Its message cur is the post's: reader.h.) */
    const mbox_reader *mr = st->mbox;
    mt_rec r = rec_get(st, mr->cur.index);
    if ((r.flags & F_NO_DATE) && (*post)->date.present && (*post)->date.utc == 0) {
        st->post = **post;
        st->post.date = (tc_date){0, 0, false};
        *post = &st->post;
    }
    return store_check(in, st);
}

/* ------------------------------------------------------------------ */
/* Probes                                                              */
/* ------------------------------------------------------------------ */

/* Sure of a tree with a file in a cur/ or new/ folder named as Maildirs
 * name them (a delivery time "1612474439.", or flags ":2,"); a weak hint
 * for other names there. */
int maildir_read_probe_tree(const tc_tree *tree, const char *name)
{
    (void)name;
    bool any = false;
    for (size_t i = 0; i < tc_tree_count(tree); i++) {
        size_t fl;
        const char *base;
        bool cur;
        if (!maildir_parse(tc_tree_name(tree, i), &fl, &base, &cur))
            continue;
        if (maildir_time(base) > 0 || strstr(base, ":2,"))
            return TC_PROBE_SURE;
        any = true;
    }
    return any ? TC_PROBE_MAYBE : TC_PROBE_NO;
}

/* Likely for a tree of which at least half the files are *.eml. */
int eml_read_probe_tree(const tc_tree *tree, const char *name)
{
    (void)name;
    size_t eml = 0, other = 0;
    for (size_t i = 0; i < tc_tree_count(tree); i++) {
        const char *m = tc_tree_name(tree, i);
        if (eml_hidden(m))
            continue;
        if (eml_named(m))
            eml++;
        else
            other++;
    }
    return eml == 0 ? TC_PROBE_NO : eml >= other ? TC_PROBE_LIKELY : TC_PROBE_MAYBE;
}

/* The header fields that say "mail". */
static bool mail_field(const char *s, size_t n)
{
    static const char *const names[] = {
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "in-reply-to",
        "references", "received", "return-path", "mime-version", "content-type",
        "content-transfer-encoding", "delivered-to", "reply-to", "sender", "x-mailer",
        "user-agent", "dkim-signature", "x-original-to", "envelope-to", NULL};
    for (size_t i = 0; names[i]; i++)
        if (name_ieq(s, n, names[i]))
            return true;
    return false;
}

/* A plain file that starts with a header block (a UTF-8 byte order mark
 * aside) in which two or more fields are mail's is likely one message;
 * with a From_ line in the first 64 KiB it is only a weak hint, so the
 * mbox reader keeps what may be a mailbox.  A From_ line first is the
 * mbox reader's. */
int eml_read_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    const char *p = (const char *)head, *end = p + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    size_t mail = 0;
    bool seen = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break; /* the last line of the head may be cut short: not judged */
        size_t n = (size_t)(nl - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break; /* the header block ends */
        if (!((*p == ' ' || *p == '\t') && seen)) {
            size_t k = mbox_header_name(p, n);
            if (k == 0)
                return TC_PROBE_NO;
            seen = true;
            mail += mail_field(p, k);
        }
        p = nl + 1;
    }
    if (mail < 2)
        return mail ? TC_PROBE_MAYBE : TC_PROBE_NO;
    return mbox_read_probe(head, len, name) > TC_PROBE_NO ? TC_PROBE_MAYBE : TC_PROBE_LIKELY;
}

static const char *const eml_members[] = {"eml", "all", NULL};

const tc_option_decl eml_options[] = {
    {.name = "members", .type = TC_OPT_ENUM, .default_value = "eml",
     .help = "the files of a folder or archive that are messages: eml (names ending in "
             ".eml) or all (every file but hidden ones)",
     .enum_values = eml_members},
    {.name = NULL}};
