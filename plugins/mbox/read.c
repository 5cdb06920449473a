/*
 * read.c - pass 2 of the mbox reader: with the index built (index.c), it
 * goes to each message of each thread in turn, through a small cache of
 * input blocks (a thread's messages, and the first messages of
 * neighbouring threads, are mostly near each other), loads it (unquoted,
 * CR removed in a CRLF file), and makes it a post: id, parent, author,
 * date, body (mime.c) and extra fields, or the thread header from the
 * thread's first message.  Also the reader's open and close.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Loading a message                                                  */
/* ------------------------------------------------------------------ */

/* The end of message m: the next From_ line (or the end of the input),
 * less the blank line before it. */
static uint64_t msg_end(mbox_reader *st, uint32_t m, const mbox_msg *x)
{
    uint64_t next = st->eof;
    if (m + 1 < st->n_msgs)
        mbox_store_read(st->ix, MBOX_R_MSG, (uint64_t)(m + 1) * sizeof *x, &next, sizeof next);
    return next - x->sep;
}

/* Bytes [off, off + len) of the input into dst, through the block cache:
 * messages of one thread, and the first messages of neighbouring threads,
 * are mostly near each other, so most come without a seek, and the input
 * is read in whole blocks. */
static int read_at(tc_stream *in, mbox_reader *st, uint64_t off, char *dst, size_t len)
{
    while (len > 0) {
        uint64_t bo = st->start + ((off - st->start) & ~(uint64_t)(MBOX_BLOCK - 1));
        struct mbox_block *b = NULL, *lru = &st->blocks[0];
        for (int i = 0; i < MBOX_N_BLOCKS && b == NULL; i++) {
            if (st->blocks[i].off == bo)
                b = &st->blocks[i];
            else if (st->blocks[i].used < lru->used)
                lru = &st->blocks[i];
        }
        if (b == NULL) {
            b = lru;
            if (b->data == NULL && (b->data = malloc(MBOX_BLOCK)) == NULL)
                return mbox_nomem(in);
            b->off = UINT64_MAX;
            int rc = tc_stream_tell(in) == bo ? TC_OK : tc_stream_seek(in, bo, 0);
            if (rc != TC_OK)
                return rc;
            size_t got = 0;
            while (got < MBOX_BLOCK) {
                long k = tc_stream_read(in, b->data + got, MBOX_BLOCK - got);
                if (k < 0)
                    return (int)k;
                if (k == 0)
                    break;
                got += (size_t)k;
            }
            b->off = bo;
            b->len = got;
        }
        b->used = ++st->clock;
        size_t at = (size_t)(off - bo);
        if (at >= b->len)
            return tc_stream_error(in, TC_ERR_DATA, 0, 0, "the input changed while it was read");
        size_t k = b->len - at < len ? b->len - at : len;
        memcpy(dst, b->data + at, k);
        dst += k;
        off += k;
        len -= k;
    }
    return TC_OK;
}

/*
 * Read message index into l: raw holds its From_ line (from_len bytes, for
 * the envelope date), then from l->base its text: the lines after the From_ line,
 * unquoted, CR removed in a CRLF file, joined with "\n" (a final newline
 * only when the input had one); only the header block when headers_only.
 * The bytes are read in large pieces and the lines fixed up in place.
 */
static int load(tc_stream *in, mbox_reader *st, uint32_t index, mbox_loaded *l, bool headers_only)
{
    mbox_msg m = mbox_msg_get(st, index);
    uint64_t end = msg_end(st, index, &m);
    int rc = mbox_index_check(in, st);
    if (rc != TC_OK)
        return rc;
    uint64_t pos = m.off;
    l->index = MBOX_NONE; /* until it is complete */
    l->flags = m.flags;
    l->line = m.line;
    tc_buf *b = &l->raw;
    tc_buf_reset(b);
    uint64_t left = end - m.off;
    size_t piece = headers_only ? 16384 : 1 << 20;
    int unquote = m.flags & MBOX_F_CL ? 0 : st->unquote;
    bool from_line = true, in_head = true, done = false;
    size_t r = 0, w = 0; /* lines before r are done; the text written ends at w */
    l->base = 0;
    while (!done) {
        if (left > 0) {
            size_t want = left < piece ? (size_t)left : piece;
            if (tc_buf_reserve(b, want + 1) != TC_OK)
                return mbox_nomem(in);
            if ((rc = read_at(in, st, pos, b->data + b->len, want)) != TC_OK)
                return rc;
            pos += want;
            b->len += want;
            left -= want;
        }
        while (r < b->len) {
            if (!in_head && !st->crlf) {
                /* the body of an LF file: only a line that starts with
                 * '>' can change, so the lines before the next such line
                 * stay as they are, in one piece */
                size_t lim = b->len, g;
                while (left > 0 && lim > r && b->data[lim - 1] != '\n')
                    lim--; /* complete lines only */
                for (g = r; unquote && g < lim;) {
                    const char *gt = memchr(b->data + g, '>', lim - g);
                    g = gt ? (size_t)(gt - b->data) : lim;
                    if (g == lim || g == r || b->data[g - 1] == '\n')
                        break;
                    g++;
                }
                if (!unquote)
                    g = lim;
                if (g > r) {
                    if (w != r)
                        memmove(b->data + w, b->data + r, g - r);
                    w += g - r;
                    r = g;
                    /* the last line decides (see below): it is the longest */
                    if (w - l->base + (b->data[w - 1] == '\n' ? 0 : 1) > st->max)
                        return tc_stream_error(in, TC_ERR_DATA, m.line, 0,
                                               "message %u is longer than the max-post limit "
                                               "(%zu bytes)", index + 1, st->max);
                    continue;
                }
            }
            char *p = b->data + r;
            char *nl = memchr(p, '\n', b->len - r);
            if (nl == NULL && left > 0)
                break; /* the rest of the line is still to be read */
            size_t len = nl ? (size_t)(nl - p) : b->len - r;
            size_t next = r + len + (nl != NULL);
            if (from_line) {
                l->from_len = len > 0 && p[len - 1] == '\r' ? len - 1 : len;
                from_line = false;
                r = w = l->base = next;
                continue;
            }
            size_t n = len;
            if (st->crlf && n > 0 && p[n - 1] == '\r')
                n--;
            if (in_head && n == 0)
                in_head = false;
            if (!in_head && unquote && n >= 6 && p[0] == '>') {
                size_t k = 1;
                while (unquote == 2 && k < n && p[k] == '>')
                    k++;
                if (n - k >= 5 && memcmp(p + k, "From ", 5) == 0) {
                    p++;
                    n--;
                }
            }
            if (w - l->base + n + 1 > st->max)
                return tc_stream_error(in, TC_ERR_DATA, m.line, 0,
                                       "message %u is longer than the max-post limit (%zu bytes)",
                                       index + 1, st->max);
            if (b->data + w != p)
                memmove(b->data + w, p, n);
            w += n;
            if (nl)
                b->data[w++] = '\n';
            r = next;
            if (headers_only && !in_head) {
                done = true;
                break;
            }
        }
        if (left == 0 && r == b->len)
            done = true;
        if (!done && r > w) { /* close the gap before reading on */
            memmove(b->data + w, b->data + r, b->len - r);
            b->len = w + (b->len - r);
            r = w;
        }
    }
    /* The blank line before the next From_ line is the separator, not
     * part of the message (RFC 4155; mutt and Python's mailbox read it so):
     * msg_end left it out. */
    b->len = w;
    if (tc_buf_append(b, "", 0) != TC_OK ||
        mbox_parse_headers(MBOX_TEXT(l), MBOX_TEXT_LEN(l), &l->hs) != TC_OK)
        return mbox_nomem(in);
    l->full = !headers_only;
    l->index = index;
    return TC_OK;
}

/* Decoded value of the header of that kind (unstructured), into out;
 * false if absent. */
static bool get_text(const mbox_loaded *l, int kind, tc_buf *out, size_t *bad)
{
    const mbox_hdr *h = mbox_find_hdr(&l->hs, kind);
    if (h == NULL)
        return false;
    const char *v = MBOX_HVAL(&l->hs, h);
    size_t vn = h->val_len;
    mbox_trim(&v, &vn);
    bool unknown = false;
    tc_buf_reset(out);
    return tc_mail_decode_words(out, v, vn, bad, &unknown) == TC_OK;
}

/* The post id of a loaded message: ours, its Message-ID, or its number. */
static int post_id(const mbox_loaded *l, tc_buf *out)
{
    size_t bad = 0;
    if (get_text(l, MBOX_K_XID, out, &bad))
        return TC_OK;
    tc_buf_reset(out);
    const mbox_hdr *h = mbox_find_hdr(&l->hs, MBOX_K_MSGID);
    if (h && !(l->flags & MBOX_F_DUP)) {
        const char *v = MBOX_HVAL(&l->hs, h), *id;
        size_t vn = h->val_len, idn;
        mbox_next_id(v, vn, 0, &id, &idn);
        if (id == NULL) {
            id = v;
            idn = vn;
        }
        mbox_trim(&id, &idn);
        bool unknown = false;
        if (idn > 0)
            return tc_mail_to_utf8(out, NULL, id, idn, &bad, &unknown);
    }
    return tc_buf_printf(out, "%u", l->index + 1);
}

/* The post id of message m without reading it, when the index knows it:
 * the Message-ID kept for threading (one Message-ID header, not ours).
 * TC_EOF when the message must be read. */
static int indexed_post_id(mbox_reader *st, uint32_t m, tc_buf *out)
{
    mbox_msg x = mbox_msg_get(st, m);
    if (x.flags & (MBOX_F_MARKED | MBOX_F_MANY_ID))
        return TC_EOF;
    tc_buf_reset(out);
    mbox_ctr c = mbox_ctr_get(st, x.ctr);
    if ((x.flags & MBOX_F_DUP) || c.id == 0)
        return tc_buf_printf(out, "%u", m + 1);
    uint32_t len;
    mbox_store_read(st->ix, MBOX_R_IDS, c.id - 1, &len, sizeof len);
    tc_buf_reset(&st->tmp2);
    if (tc_buf_reserve(&st->tmp2, len) != TC_OK)
        return TC_ERR_NOMEM;
    mbox_store_read(st->ix, MBOX_R_IDS, c.id - 1 + sizeof len, st->tmp2.data, len);
    size_t bad = 0;
    bool unknown = false;
    return tc_mail_to_utf8(out, NULL, st->tmp2.data, len, &bad, &unknown);
}

static uint64_t hdr_line(const mbox_loaded *l, const mbox_hdr *h)
{
    return l->line + 1 + (h ? h->line : 0);
}

/* ------------------------------------------------------------------ */
/* The reader's callbacks                                             */
/* ------------------------------------------------------------------ */

static void loaded_free(mbox_loaded *l)
{
    tc_buf_free(&l->raw);
    mbox_hdrs_free(&l->hs);
}

void mbox_read_close(tc_stream *in, void *state)
{
    (void)in;
    mbox_reader *st = state;
    if (st == NULL)
        return;
    mbox_store_free(st->ix);
    for (int i = 0; i < MBOX_N_BLOCKS; i++)
        free(st->blocks[i].data);
    loaded_free(&st->cur);
    loaded_free(&st->aux);
    mbox_mime_free(st);
    tc_buf *bufs[] = {&st->t_title, &st->t_source, &st->t_id, &st->t_url, &st->p_id,
                      &st->p_author, &st->p_body, &st->p_parent, &st->p_addr, &st->tmp,
                      &st->tmp2, &st->dec};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        tc_buf_free(bufs[i]);
    for (size_t i = 0; i < 3; i++)
        tc_buf_free(&st->param[i]);
    tc_fields_free(&st->thread.extras);
    tc_fields_free(&st->post.extras);
    free(st);
}

int mbox_read_open(tc_stream *in, void **state)
{
    mbox_reader *st = calloc(1, sizeof *st);
    if (st == NULL)
        return mbox_nomem(in);
    st->max = tc_stream_max_post(in);
    st->cur.index = st->aux.index = MBOX_NONE;
    /* -O mbox.index-memory: KiB of index in memory, at least 16 */
    const char *im = tc_stream_option(in, "index-memory");
    long kb = strtol(im ? im : MBOX_INDEX_KB, NULL, 10);
    st->ix = mbox_store_new((size_t)(kb < 16 ? 16 : kb) * 1024);
    if (st->ix == NULL) {
        free(st);
        return mbox_nomem(in);
    }
    const char *variant = tc_stream_option(in, "variant");
    st->unquote = variant == NULL || strcmp(variant, "mboxrd") == 0 ? 2
                  : strcmp(variant, "mboxo") == 0                  ? 1
                                                                   : 0;
    for (int i = 0; i < MBOX_N_BLOCKS; i++)
        st->blocks[i].off = UINT64_MAX;
    int rc = tc_stream_make_seekable(in);
    st->start = tc_stream_tell(in);
    if (rc == TC_OK)
        rc = mbox_index_build(in, st);
    if (rc != TC_OK) {
        mbox_read_close(in, st);
        return rc;
    }
    *state = st;
    return TC_OK;
}

/* Extra fields X-Threadconv-...-KEY (headers of kind, prefix) of l into fields. */
static int read_extras(tc_stream *in, mbox_reader *st, const mbox_loaded *l, int kind,
                       const char *prefix, tc_fields *fields)
{
    size_t pn = strlen(prefix);
    for (size_t i = 0; i < l->hs.n; i++) {
        const mbox_hdr *h = &l->hs.h[i];
        if (h->kind != kind)
            continue;
        const char *name = MBOX_TEXT(l) + h->name;
        if (!mbox_decode_key(&st->tmp, name + pn, h->name_len - pn)) {
            tc_stream_warn(in, hdr_line(l, h), 0,
                           "message %u: header %.*s does not name an extra field; ignored",
                           l->index + 1, (int)h->name_len, name);
            continue;
        }
        const char *v = MBOX_HVAL(&l->hs, h);
        size_t vn = h->val_len, bad = 0;
        bool unknown = false;
        mbox_trim(&v, &vn);
        tc_buf_reset(&st->tmp2);
        if (tc_mail_decode_words(&st->tmp2, v, vn, &bad, &unknown) != TC_OK)
            return mbox_nomem(in);
        if (tc_is_reserved_key(st->tmp.data) || tc_fields_get(fields, st->tmp.data)) {
            tc_stream_warn(in, hdr_line(l, h), 0,
                           "message %u: extra field \"%s\" is reserved or repeated; ignored",
                           l->index + 1, st->tmp.data);
            continue;
        }
        if (tc_fields_set(fields, st->tmp.data, st->tmp2.data) != TC_OK)
            return mbox_nomem(in);
    }
    return TC_OK;
}

static int set_buf(tc_buf *b, const char *s, size_t n)
{
    if (b->data && s >= b->data && s <= b->data + b->cap) { /* itself */
        memmove(b->data, s, n);
        b->len = n;
        b->data[n] = '\0';
        return TC_OK;
    }
    tc_buf_reset(b);
    if (tc_buf_append(b, s, n) != TC_OK || tc_buf_append(b, "", 0) != TC_OK)
        return TC_ERR_NOMEM;
    return TC_OK;
}

int mbox_read_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    mbox_reader *st = state;
    if (st->cur_thread >= st->n_threads)
        return TC_EOF;
    uint32_t first, last;
    mbox_thread_get(st, st->cur_thread++, &first, &last);
    st->next_msg = first;
    st->posts_out = 0;
    tc_fields_clear(&st->thread.extras);
    uint32_t head = MBOX_NONE, root = MBOX_NONE;
    for (uint32_t m = first; m != MBOX_NONE && head == MBOX_NONE;) {
        mbox_msg x = mbox_msg_get(st, m);
        if (x.flags & MBOX_F_START)
            head = m;
        if (root == MBOX_NONE && x.parent == MBOX_NONE)
            root = m;
        m = x.next;
    }
    if (head == MBOX_NONE && root == MBOX_NONE)
        root = first;
    uint32_t from = head != MBOX_NONE ? head : root;
    /* The thread's first message is most often the one that tells its
     * title: read it whole, for the first post too (when no message can
     * be too long for max-post, so any error comes where it used to). */
    mbox_loaded *l = &st->aux;
    mbox_msg x = mbox_msg_get(st, from);
    int rc;
    if (from == first && msg_end(st, from, &x) - x.off < st->max) {
        l = &st->cur;
        rc = load(in, st, from, l, false);
    } else {
        rc = load(in, st, from, l, true);
    }
    if (rc != TC_OK)
        return rc;
    size_t bad = 0;
    if (head != MBOX_NONE) {
        if (!get_text(l, MBOX_K_XSOURCE, &st->t_source, &bad))
            return mbox_nomem(in);
        if (!get_text(l, MBOX_K_SUBJECT, &st->t_title, &bad) && set_buf(&st->t_title, "", 0))
            return mbox_nomem(in);
        st->thread.id = get_text(l, MBOX_K_XTHREAD_ID, &st->t_id, &bad) ? st->t_id.data : NULL;
        st->thread.url = get_text(l, MBOX_K_XTHREAD_URL, &st->t_url, &bad) ? st->t_url.data : NULL;
        if ((rc = read_extras(in, st, l, MBOX_K_XTHREAD_EXTRA, MBOX_H_THREAD_EXTRA,
                              &st->thread.extras)) != TC_OK)
            return rc;
    } else {
        if (set_buf(&st->t_source, "mbox", 4) != TC_OK)
            return mbox_nomem(in);
        if (get_text(l, MBOX_K_SUBJECT, &st->tmp, &bad)) {
            const char *p = st->tmp.data;
            size_t pn = st->tmp.len;
            mbox_strip_reply(&p, &pn);
            if (set_buf(&st->t_title, p, pn) != TC_OK)
                return mbox_nomem(in);
        } else if (set_buf(&st->t_title, "", 0) != TC_OK)
            return mbox_nomem(in);
        st->thread.id = NULL;
        st->thread.url = NULL;
    }
    if (bad)
        tc_stream_warn(in, l->line, 0,
                       "message %u: %zu byte%s of the thread header not valid in their "
                       "charset; each read as the ISO-8859-1 character of the same value",
                       from + 1, bad, bad == 1 ? "" : "s");
    st->thread.title = st->t_title.data;
    st->thread.source = st->t_source.data;
    *thread = &st->thread;
    return TC_OK;
}

/* The next message of the current thread that is a post (a thread's stub
 * is not): its index in *m and its entry in *x; TC_EOF after the last. */
static int next_message(tc_stream *in, mbox_reader *st, uint32_t *m, mbox_msg *x)
{
    uint32_t k = st->next_msg;
    for (;;) {
        if (k == MBOX_NONE) {
            st->next_msg = MBOX_NONE;
            int rc = mbox_index_check(in, st);
            return rc != TC_OK ? rc : TC_EOF;
        }
        *x = mbox_msg_get(st, k);
        if (!(x->flags & MBOX_F_STUB))
            break;
        k = x->next;
    }
    st->next_msg = x->next;
    *m = k;
    return TC_OK;
}

/* The id of others' message x's parent into st->p_parent, before the
 * message itself is loaded: when the index does not know it, loading the
 * parent uses the stream. */
static int others_parent(tc_stream *in, mbox_reader *st, const mbox_msg *x)
{
    int rc = indexed_post_id(st, x->parent, &st->p_parent);
    if (rc == TC_EOF) {
        if ((rc = load(in, st, x->parent, &st->aux, true)) != TC_OK)
            return rc;
        rc = post_id(&st->aux, &st->p_parent);
    }
    if (rc != TC_OK)
        return mbox_nomem(in);
    st->post.parent_id = st->p_parent.data;
    return TC_OK;
}

/* The author from the From: header; for others' mail the address when
 * there is no name, and the address as mbox.address. */
static int post_author(tc_stream *in, mbox_reader *st, const mbox_loaded *l, bool ours,
                       size_t *bad)
{
    tc_buf_reset(&st->p_author);
    const mbox_hdr *h = mbox_find_hdr(&l->hs, MBOX_K_FROM);
    if (h) {
        bool unknown = false;
        if (tc_mail_parse_address(MBOX_HVAL(&l->hs, h), h->val_len, &st->p_author,
                                  &st->p_addr, bad, &unknown) != TC_OK)
            return mbox_nomem(in);
        if (!ours && st->p_author.len == 0 && set_buf(&st->p_author, st->p_addr.data,
                                                      st->p_addr.len) != TC_OK)
            return mbox_nomem(in);
        if (!ours && st->p_addr.len > 0 &&
            tc_fields_set(&st->post.extras, MBOX_X_ADDRESS, st->p_addr.data) != TC_OK)
            return mbox_nomem(in);
    }
    if (set_buf(&st->p_author, st->p_author.data ? st->p_author.data : "",
                st->p_author.len) != TC_OK)
        return mbox_nomem(in);
    return TC_OK;
}

/* The date of message m (l): ours from X-Threadconv-Date when Date:
 * could not hold it, else Date:, else for others' mail the From_ line's.
 * A date that cannot be read is a warning, and no date. */
static void post_date(tc_stream *in, mbox_reader *st, const mbox_loaded *l, uint32_t m,
                      bool ours)
{
    st->post.date = (tc_date){0, 0, false};
    const mbox_hdr *iso = ours ? mbox_find_hdr(&l->hs, MBOX_K_XDATE) : NULL;
    const mbox_hdr *h = mbox_find_hdr(&l->hs, MBOX_K_DATE);
    if (iso) {
        const char *v = MBOX_HVAL(&l->hs, iso);
        size_t vn = iso->val_len;
        mbox_trim(&v, &vn);
        if (tc_date_parse_iso(v, vn, &st->post.date) != TC_OK)
            tc_stream_warn(in, hdr_line(l, iso), 0,
                           "message %u: %s is not an ISO 8601 date; the post has no date",
                           m + 1, MBOX_H_DATE);
    } else if (h) {
        const char *v = MBOX_HVAL(&l->hs, h), *why;
        size_t vn = h->val_len;
        mbox_trim(&v, &vn);
        /* an unknown zone ("-0000", "MET") leaves the time in UTC: +00:00 */
        if (tc_date_parse_rfc5322(v, vn, &st->post.date, NULL, &why) != TC_OK) {
            /* others' mail: the From_ line's date, when it has one */
            st->post.date = (tc_date){0, 0, false};
            if (!ours)
                mbox_from_line(l->raw.data, l->from_len, &st->post.date);
            char d[TC_ISO_DATE_SIZE];
            if (st->post.date.present)
                tc_date_format_iso(st->post.date, d);
            tc_stream_warn(in, hdr_line(l, h), 0,
                           "message %u: bad Date header \"%.*s\": %s; %s%s%s", m + 1,
                           (int)(vn > 80 ? 80 : vn), v, why,
                           st->post.date.present ? "the From_ line's date is used instead, "
                                                 : "the post has no date",
                           st->post.date.present ? d : "", st->post.date.present ? " (UTC)" : "");
        }
    } else if (!ours) {
        tc_date envelope = {0, 0, false};
        mbox_from_line(l->raw.data, l->from_len, &envelope);
        if (envelope.present)
            st->post.date = envelope; /* the From_ line's date, as UTC */
    }
}

/* Raw header bytes s[0..n) appended as UTF-8: as they are when they are
 * UTF-8, else read as windows-1252 (mail clients' reading of 8-bit
 * headers that are not). */
static int raw_utf8(tc_buf *out, const char *s, size_t n)
{
    if (tc_utf8_valid(s, n, NULL, NULL))
        return tc_buf_append(out, s, n);
    size_t bad = 0;
    bool unknown = false;
    return tc_mail_to_utf8(out, "windows-1252", s, n, &bad, &unknown);
}

/* Whether header h is one the model carries (or the mbox format's own):
 * not kept in mbox.headers. */
static bool carried(const mbox_loaded *l, const mbox_hdr *h)
{
    switch (h->kind) {
    case MBOX_K_FROM: case MBOX_K_DATE: case MBOX_K_SUBJECT: case MBOX_K_MSGID:
    case MBOX_K_REFS: case MBOX_K_IRT: case MBOX_K_CTYPE: case MBOX_K_CTE: case MBOX_K_CLEN:
        return true;
    case MBOX_K_OTHER:
        return h->name_len == 12 && strncasecmp(MBOX_TEXT(l) + h->name, "mime-version", 12) == 0;
    case MBOX_K_TO: case MBOX_K_CC: case MBOX_K_CDISP: case MBOX_K_CID:
        return false;
    default: /* X-Threadconv-... */
        return true;
    }
}

/* mbox.headers: every field the model does not carry, as in the source
 * (folded lines kept, LF line ends, in order), into out. */
static int other_headers(const mbox_loaded *l, tc_buf *out)
{
    tc_buf_reset(out);
    const char *text = MBOX_TEXT(l);
    size_t end = l->hs.body;
    for (size_t i = 0; i < l->hs.n; i++) {
        const mbox_hdr *h = &l->hs.h[i];
        if (carried(l, h))
            continue;
        /* its first line and the continuation lines after it */
        size_t a = h->name, b = a;
        do {
            const char *nl = memchr(text + b, '\n', end - b);
            b = nl ? (size_t)(nl - text) + 1 : end;
        } while (b < end && (text[b] == ' ' || text[b] == '\t'));
        if (raw_utf8(out, text + a, b - a) != TC_OK ||
            (text[b - 1] != '\n' && tc_buf_putc(out, '\n') != TC_OK))
            return TC_ERR_NOMEM;
    }
    return tc_buf_append(out, "", 0);
}

/* The value of the header of that kind, unfolded and trimmed, as UTF-8
 * (raw_utf8), into out; false if absent. */
static bool raw_value(const mbox_loaded *l, int kind, tc_buf *out, int *rc)
{
    const mbox_hdr *h = mbox_find_hdr(&l->hs, kind);
    if (h == NULL)
        return false;
    const char *v = MBOX_HVAL(&l->hs, h);
    size_t vn = h->val_len;
    mbox_trim(&v, &vn);
    tc_buf_reset(out);
    *rc = raw_utf8(out, v, vn) == TC_OK && tc_buf_append(out, "", 0) == TC_OK ? TC_OK
                                                                             : TC_ERR_NOMEM;
    return true;
}

/* The extra fields of others' mail (doc/formats.md, "Reading"): who else
 * it went to (To, Cc, decoded), the Subject when the writer would not
 * write it so by itself (the title on a thread's first post, "Re: " and
 * the title on the others), In-Reply-To and References as they were, and
 * every other header field. */
static int others_extras(tc_stream *in, mbox_reader *st, const mbox_loaded *l, size_t *bad)
{
    static const struct {
        int kind;
        const char *name, *key;
    } kept[] = {{MBOX_K_TO, "To", MBOX_X_TO}, {MBOX_K_CC, "Cc", MBOX_X_CC}};
    for (size_t i = 0; i < 2; i++) {
        size_t b = 0;
        if (!get_text(l, kept[i].kind, &st->tmp, &b))
            continue;
        if (tc_fields_set(&st->post.extras, kept[i].key, st->tmp.data) != TC_OK)
            return mbox_nomem(in);
        if (b) {
            *bad += b;
            tc_buf_reset(&st->tmp2);
            if (tc_buf_printf(&st->tmp2, "%s header: %zu byte%s not valid in its "
                              "charset read as ISO-8859-1", kept[i].name, b,
                              b == 1 ? "" : "s") != TC_OK ||
                mbox_undecodable_note(st, st->tmp2.data) != TC_OK)
                return mbox_nomem(in);
        }
    }
    if (get_text(l, MBOX_K_SUBJECT, &st->tmp, bad)) {
        const char *title = st->thread.title;
        size_t tn = strlen(title);
        bool same = st->posts_out == 0
                        ? st->tmp.len == tn && memcmp(st->tmp.data, title, tn) == 0
                        : st->tmp.len == tn + 4 && memcmp(st->tmp.data, "Re: ", 4) == 0 &&
                              memcmp(st->tmp.data + 4, title, tn) == 0;
        if (!same && tc_fields_set(&st->post.extras, MBOX_X_SUBJECT, st->tmp.data) != TC_OK)
            return mbox_nomem(in);
    }
    int rc = TC_OK;
    if (raw_value(l, MBOX_K_IRT, &st->tmp, &rc) && (rc != TC_OK ||
        tc_fields_set(&st->post.extras, MBOX_X_IN_REPLY_TO, st->tmp.data) != TC_OK))
        return mbox_nomem(in);
    if (raw_value(l, MBOX_K_REFS, &st->tmp, &rc) && (rc != TC_OK ||
        tc_fields_set(&st->post.extras, MBOX_X_REFERENCES, st->tmp.data) != TC_OK))
        return mbox_nomem(in);
    if (other_headers(l, &st->tmp) != TC_OK)
        return mbox_nomem(in);
    if (st->tmp.len > 0 && tc_fields_set(&st->post.extras, MBOX_X_HEADERS, st->tmp.data) != TC_OK)
        return mbox_nomem(in);
    return TC_OK;
}

/* The extra fields the MIME walk made (mime.c), after the others. */
static int walk_extras(tc_stream *in, mbox_reader *st)
{
    const struct {
        const tc_buf *b;
        const char *key;
    } made[] = {{&st->x_alt, MBOX_X_ALTERNATIVE}, {&st->x_rel, MBOX_X_RELATED},
                {&st->x_charset, MBOX_X_CHARSET}, {&st->x_undec, MBOX_X_UNDECODABLE}};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
        if (made[i].b->len > 0 &&
            tc_fields_set(&st->post.extras, made[i].key, made[i].b->data) != TC_OK)
            return mbox_nomem(in);
    return TC_OK;
}

int mbox_read_next_post(tc_stream *in, void *state, const tc_post **post)
{
    mbox_reader *st = state;
    uint32_t m;
    mbox_msg x;
    int rc = next_message(in, st, &m, &x);
    if (rc != TC_OK)
        return rc;
    bool ours = x.flags & MBOX_F_MARKED;
    tc_fields_clear(&st->post.extras);
    size_t bad = 0;

    st->post.parent_id = NULL;
    if (!ours && x.parent != MBOX_NONE && (rc = others_parent(in, st, &x)) != TC_OK)
        return rc;
    mbox_loaded *l = &st->cur;
    /* a message over the max-post limit spoils only itself: the index
     * already points at the next one, so with --keep-going it is skipped */
    if ((l->index != m || !l->full) && (rc = load(in, st, m, l, false)) != TC_OK)
        return rc == TC_ERR_DATA ? TC_SKIPPED : rc;
    if (post_id(l, &st->p_id) != TC_OK)
        return mbox_nomem(in);
    if (ours && get_text(l, MBOX_K_XPARENT, &st->p_parent, &bad))
        st->post.parent_id = st->p_parent.data;
    if ((rc = post_author(in, st, l, ours, &bad)) != TC_OK)
        return rc;
    post_date(in, st, l, m, ours);

    /* body and attachments: nothing there stops the conversion, but the
     * text made from an HTML body over max-post spoils its message */
    if ((rc = mbox_mime_body(in, st, l)) != TC_OK)
        return rc == TC_ERR_DATA ? TC_SKIPPED : rc;
    if (ours && st->p_body.len > 0 && st->p_body.data[st->p_body.len - 1] == '\n')
        st->p_body.data[--st->p_body.len] = '\0'; /* the newline our writer added */

    rc = ours ? read_extras(in, st, l, MBOX_K_XEXTRA, MBOX_H_EXTRA, &st->post.extras)
              : others_extras(in, st, l, &bad);
    if (rc == TC_OK)
        rc = walk_extras(in, st);
    if (rc != TC_OK)
        return rc;
    if (bad)
        tc_stream_warn(in, x.line, 0,
                       "message %u: %zu byte%s of the headers not valid in their charset; "
                       "each read as the ISO-8859-1 character of the same value",
                       m + 1, bad, bad == 1 ? "" : "s");

    st->post.id = st->p_id.data;
    st->post.author = st->p_author.data;
    st->post.body = st->p_body.data;
    st->post.body_len = st->p_body.len;
    st->posts_out++;
    *post = &st->post;
    return TC_OK;
}
