/*
 * mbox.c - the "mbox" reader and writer.
 *
 * Writer: one message per post (build.c), mboxrd by default
 * (-O mbox.variant=mboxo|mboxcl2), 8bit or quoted-printable bodies
 * (-O mbox.encoding=quoted-printable).
 *
 * Reader, in two passes so memory does not grow with the size of the
 * messages:
 *   pass 1 (read_open) scans the file once and keeps a small index entry
 *          per message: where it starts and ends, hashes of its
 *          Message-ID, references and subject, and a few flags;
 *          then threads the index with the JWZ algorithm;
 *   pass 2 seeks to each message of each thread in turn, decodes it
 *          (headers, MIME, transfer encodings, charsets) and hands out
 *          one post.
 * Messages our writer wrote (X-Threadconv-* headers) come back exactly.
 * doc/formats.md ("mbox / maildir") states every rule.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "mail.h"

#include <threadconv/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define MAX_REFS 64   /* references kept per message (the newest) */
#define MAX_DEPTH 100 /* MIME nesting */

enum {
    F_OURS = 1,   /* has X-Threadconv headers: exempt from subject grouping */
    F_MARKED = 2, /* X-Threadconv-Id: a post our writer wrote */
    F_START = 4,  /* X-Threadconv-Source: carries the thread header */
    F_STUB = 8,   /* X-Threadconv-Empty-Thread: a thread without posts */
    F_REPLY = 16, /* the subject starts with Re:/Fwd: */
    F_DUP = 32,   /* its Message-ID was already taken */
    F_CL = 64,    /* delimited by a checked Content-Length: not unquoted */
    F_SEP = 128   /* a blank line ends it before the next From_ line */
};

typedef struct msg_ix {
    uint64_t off;     /* the From_ line */
    uint64_t end;     /* end of the message (before the blank separator line) */
    uint64_t line;    /* line number of the From_ line */
    uint64_t msgid;   /* hash of the Message-ID, 0: none */
    uint64_t subj;    /* hash of the subject without Re:/Fwd:, 0: none */
    uint32_t refs;    /* first reference in the pool */
    uint32_t n_refs;
    uint32_t parent;  /* message index of the parent post, NONE */
    uint32_t next;    /* next message of the same thread, NONE */
    uint32_t flags;
} msg_ix;

/* One header of a loaded message or part: name in the raw text, value
 * unfolded into vals. */
typedef struct hdr {
    size_t name, name_len;
    size_t val, val_len;
    uint64_t line; /* 0-based line within the text */
} hdr;

typedef struct hdrs {
    hdr *h;
    size_t n, cap;
    tc_buf vals;
    size_t body; /* offset of the body in the text */
} hdrs;

/* A message read back in pass 2. */
typedef struct loaded {
    uint32_t index;
    tc_buf raw; /* lines after the From_ line, unquoted, joined with "\n" */
    tc_date envelope;
    hdrs hs;
} loaded;

typedef struct mb_reader {
    size_t max;
    bool crlf;
    int unquote; /* 0: never; 1: mboxo, one '>' off "^>From "; 2: mboxrd, "^>+From " */
    msg_ix *msgs;
    size_t n_msgs, cap_msgs;
    uint64_t *refs;
    size_t n_refs, cap_refs;
    uint32_t *threads; /* first message of each thread, in order */
    size_t n_threads;
    uint64_t eof;

    /* pass 2 */
    size_t cur_thread;
    uint32_t next_msg;
    loaded cur, aux;
    hdrs part;
    tc_buf t_title, t_source, t_id, t_url;
    tc_thread thread;
    tc_buf p_id, p_author, p_body, p_parent, p_addr;
    tc_post post;
    tc_buf tmp, tmp2, dec;
    /* the MIME walk of the current message */
    bool have_body;
    unsigned leaf;
    const char *fb_text; /* first text/ part that is not text/plain */
    size_t fb_len;
    char fb_cte[32], fb_charset[64];
} mb_reader;

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static int nomem(tc_stream *s)
{
    return tc_stream_error(s, TC_ERR_NOMEM, 0, 0, "out of memory");
}

static bool starts_ci(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && mb_ieq(s, k, prefix);
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r' ||
                      (*s)[*n - 1] == '\n'))
        (*n)--;
}

/* The length of a header name at s ("Name:"), 0 when the line is not a
 * header field. */
static size_t header_name(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] != ':') {
        unsigned char c = (unsigned char)s[i];
        if (c <= 32 || c >= 127)
            return 0;
        i++;
    }
    return i < n && i > 0 ? i : 0;
}

/* Message-ID tokens: calls fn for each "<...>" (or the whole trimmed value
 * when there is none and all is set). */
static uint64_t id_hash(const char *s, size_t n)
{
    trim(&s, &n);
    return n ? mb_hash(MB_HASH_INIT, s, n) | 1 : 0;
}

/* The next "<...>" token from i: *id NULL when there is none.  Returns the
 * position after it. */
static size_t next_id(const char *s, size_t n, size_t i, const char **id, size_t *idn)
{
    *id = NULL;
    *idn = 0;
    while (i < n && s[i] != '<')
        i++;
    if (i >= n)
        return n;
    size_t k = i + 1;
    while (k < n && s[k] != '>')
        k++;
    if (k >= n)
        return n;
    *id = s + i + 1;
    *idn = k - i - 1;
    return k + 1;
}

/* ------------------------------------------------------------------ */
/* Probe                                                               */
/* ------------------------------------------------------------------ */

static int mbox_probe(const unsigned char *head, size_t len, const char *name)
{
    (void)name;
    const char *p = (const char *)head, *end = p + len;
    bool junk = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        bool blank = true;
        for (size_t i = 0; i < n && blank; i++)
            blank = p[i] == ' ' || p[i] == '\t';
        if (!blank) {
            if (mb_from_line(p, n, NULL)) {
                if (!junk)
                    return TC_PROBE_SURE;
                /* text first, a From_ line later: the header must follow */
                const char *q = nl ? nl + 1 : end;
                const char *nl2 = memchr(q, '\n', (size_t)(end - q));
                size_t n2 = (size_t)((nl2 ? nl2 : end) - q);
                return header_name(q, n2) ? TC_PROBE_LIKELY : TC_PROBE_MAYBE;
            }
            junk = true;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return TC_PROBE_NO;
}

/* ------------------------------------------------------------------ */
/* Pass 1: the index                                                   */
/* ------------------------------------------------------------------ */

typedef struct scan {
    msg_ix *m;          /* the message being scanned, NULL before the first */
    bool in_head;
    tc_buf hdr;          /* the header being collected, unfolded */
    uint64_t hdr_line;
    uint64_t irt;        /* In-Reply-To */
    uint64_t content_length;
    bool have_cl;
    uint64_t last_off;   /* offset of the last line read */
    bool last_blank;
    /* Content-Length checking */
    int cl_state;        /* 0 off, 1 inside, 2 saw the blank line at its end */
    uint64_t cl_end;
    uint64_t body_off, body_line;
} scan;

static int add_ref(tc_stream *in, mb_reader *st, uint64_t h)
{
    msg_ix *m = &st->msgs[st->n_msgs - 1];
    if (m->n_refs > 0 && st->refs[st->n_refs - 1] == h)
        return TC_OK;
    if (m->n_refs == MAX_REFS) { /* keep the newest: drop the oldest */
        memmove(st->refs + m->refs, st->refs + m->refs + 1, (MAX_REFS - 1) * sizeof *st->refs);
        st->refs[st->n_refs - 1] = h;
        return TC_OK;
    }
    if (st->n_refs == st->cap_refs) {
        size_t cap = st->cap_refs ? st->cap_refs * 2 : 1024;
        uint64_t *r = realloc(st->refs, cap * sizeof *r);
        if (r == NULL)
            return nomem(in);
        st->refs = r;
        st->cap_refs = cap;
    }
    st->refs[st->n_refs++] = h;
    m->n_refs++;
    return TC_OK;
}

/* A complete header of the message being scanned. */
static int scan_header1(tc_stream *in, mb_reader *st, scan *sc)
{
    const char *s = sc->hdr.data;
    size_t n = sc->hdr.len;
    size_t nl = header_name(s, n);
    if (nl == 0)
        return TC_OK;
    const char *v = s + nl + 1;
    size_t vn = n - nl - 1;
    msg_ix *m = sc->m;
    if (mb_ieq(s, nl, "Message-ID")) {
        const char *id;
        size_t idn;
        next_id(v, vn, 0, &id, &idn);
        m->msgid = id ? id_hash(id, idn) : id_hash(v, vn);
    } else if (mb_ieq(s, nl, "References")) {
        const char *id;
        size_t idn;
        for (size_t i = next_id(v, vn, 0, &id, &idn); id; i = next_id(v, vn, i, &id, &idn)) {
            uint64_t h = id_hash(id, idn);
            if (h && add_ref(in, st, h) != TC_OK)
                return TC_ERR_NOMEM;
        }
    } else if (mb_ieq(s, nl, "In-Reply-To")) {
        const char *id;
        size_t idn;
        next_id(v, vn, 0, &id, &idn);
        if (id)
            sc->irt = id_hash(id, idn);
    } else if (mb_ieq(s, nl, "Subject")) {
        size_t bad = 0;
        bool unknown = false;
        tc_buf_reset(&st->tmp);
        if (mb_decode_words(&st->tmp, v, vn, &bad, &unknown) != TC_OK)
            return nomem(in);
        const char *p = st->tmp.data;
        size_t pn = st->tmp.len;
        if (mb_strip_reply(&p, &pn) > 0)
            m->flags |= F_REPLY;
        /* hash with runs of whitespace as one space */
        uint64_t h = MB_HASH_INIT;
        bool ws = false;
        for (size_t i = 0; i < pn; i++) {
            char c = p[i];
            if (c == ' ' || c == '\t') {
                ws = true;
                continue;
            }
            if (ws)
                h = mb_hash(h, " ", 1);
            ws = false;
            h = mb_hash(h, &c, 1);
        }
        m->subj = pn ? h | 1 : 0;
    } else if (mb_ieq(s, nl, "Content-Length")) {
        const char *p = v;
        size_t pn = vn;
        trim(&p, &pn);
        uint64_t x = 0;
        size_t i = 0;
        while (i < pn && p[i] >= '0' && p[i] <= '9' && x < (UINT64_MAX - 9) / 10)
            x = x * 10 + (uint64_t)(p[i++] - '0');
        if (i == pn && pn > 0 && !sc->have_cl) {
            sc->have_cl = true;
            sc->content_length = x;
        }
    } else if (mb_ieq(s, nl, MB_H_ID)) {
        m->flags |= F_OURS | F_MARKED;
    } else if (mb_ieq(s, nl, MB_H_SOURCE)) {
        m->flags |= F_OURS | F_START;
    } else if (mb_ieq(s, nl, MB_H_EMPTY)) {
        m->flags |= F_OURS | F_STUB;
    }
    return TC_OK;
}

static int scan_header(tc_stream *in, mb_reader *st, scan *sc)
{
    int rc = scan_header1(in, st, sc);
    tc_buf_reset(&sc->hdr);
    return rc;
}

static int end_headers(tc_stream *in, mb_reader *st, scan *sc)
{
    if (sc->hdr.len > 0 && scan_header(in, st, sc) != TC_OK)
        return TC_ERR_NOMEM;
    sc->in_head = false;
    msg_ix *m = sc->m;
    if (sc->irt && (m->n_refs == 0 || st->refs[st->n_refs - 1] != sc->irt))
        return add_ref(in, st, sc->irt);
    return TC_OK;
}

static int new_message(tc_stream *in, mb_reader *st, scan *sc, uint64_t off, uint64_t line)
{
    if (st->n_msgs == NONE - 1)
        return tc_stream_error(in, TC_ERR_DATA, line, 0, "too many messages in one mbox");
    if (st->n_msgs == st->cap_msgs) {
        size_t cap = st->cap_msgs ? st->cap_msgs * 2 : 256;
        msg_ix *m = realloc(st->msgs, cap * sizeof *m);
        if (m == NULL)
            return nomem(in);
        st->msgs = m;
        st->cap_msgs = cap;
    }
    msg_ix *m = &st->msgs[st->n_msgs++];
    memset(m, 0, sizeof *m);
    m->off = off;
    m->line = line;
    m->refs = (uint32_t)st->n_refs;
    m->parent = m->next = NONE;
    sc->m = m;
    sc->in_head = true;
    sc->irt = 0;
    sc->have_cl = false;
    sc->cl_state = 0;
    sc->last_blank = false;
    tc_buf_reset(&sc->hdr);
    return TC_OK;
}

static void end_message(scan *sc, uint64_t off)
{
    if (sc->m == NULL)
        return;
    if (sc->m->flags & F_CL) {
        sc->m->end = sc->cl_end;
        if (sc->last_blank && sc->last_off == sc->cl_end)
            sc->m->flags |= F_SEP;
    } else {
        sc->m->end = sc->last_blank ? sc->last_off : off;
        if (sc->last_blank)
            sc->m->flags |= F_SEP;
    }
}

static int pass1(tc_stream *in, mb_reader *st)
{
    scan sc;
    memset(&sc, 0, sizeof sc);
    uint64_t junk = 0, junk_line = 0;
    int rc = TC_OK;
    for (;;) {
        uint64_t off = tc_stream_tell(in);
        const char *line;
        size_t len;
        rc = tc_stream_read_line(in, &line, &len);
        if (rc == TC_EOF) {
            rc = TC_OK;
            if (sc.cl_state == 1 && off != sc.cl_end) {
                /* Content-Length runs past the end: not to be trusted */
                sc.m->flags &= ~(uint32_t)F_CL;
                sc.cl_state = 0;
                if ((rc = tc_stream_seek(in, sc.body_off, sc.body_line)) != TC_OK)
                    break;
                continue;
            }
            if (sc.m && sc.in_head && end_headers(in, st, &sc) != TC_OK)
                rc = TC_ERR_NOMEM;
            end_message(&sc, off);
            st->eof = off;
            break;
        }
        if (rc != TC_OK)
            break;
        uint64_t lineno = tc_stream_line(in);
        uint64_t next_off = tc_stream_tell(in);
        size_t n = len;
        bool had_cr = n > 0 && line[n - 1] == '\r';
        if (had_cr)
            n--;

        if (sc.cl_state == 1) {
            if (next_off <= sc.cl_end) {
                sc.last_off = off;
                sc.last_blank = n == 0;
                continue;
            }
            if (off == sc.cl_end && n == 0) {
                sc.cl_state = 2; /* the separator: a From_ line or the end must follow */
                sc.last_off = off;
                sc.last_blank = true;
                continue;
            }
            if (off != sc.cl_end || !mb_from_line(line, n, NULL)) {
                /* the length does not end at a message boundary: scan the
                 * body again, splitting at From_ lines */
                sc.m->flags &= ~(uint32_t)F_CL;
                sc.cl_state = 0;
                if ((rc = tc_stream_seek(in, sc.body_off, sc.body_line)) != TC_OK)
                    break;
                continue;
            }
            sc.cl_state = 0;
        } else if (sc.cl_state == 2) {
            if (!mb_from_line(line, n, NULL)) {
                sc.m->flags &= ~(uint32_t)F_CL;
                sc.cl_state = 0;
                if ((rc = tc_stream_seek(in, sc.body_off, sc.body_line)) != TC_OK)
                    break;
                continue;
            }
            sc.cl_state = 0;
        }

        if (n >= 21 && line[0] == 'F' && mb_from_line(line, n, NULL)) {
            if (st->n_msgs == 0)
                st->crlf = had_cr;
            if (sc.m && sc.in_head && end_headers(in, st, &sc) != TC_OK) {
                rc = TC_ERR_NOMEM;
                break;
            }
            end_message(&sc, off);
            if ((rc = new_message(in, st, &sc, off, lineno)) != TC_OK)
                break;
            continue;
        }
        if (!st->crlf)
            n = len; /* CR is part of the text in an LF file */
        if (sc.m == NULL) {
            bool blank = true;
            for (size_t i = 0; i < n && blank; i++)
                blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
            if (!blank && junk++ == 0)
                junk_line = lineno;
            continue;
        }
        sc.last_off = off;
        sc.last_blank = n == 0;
        if (sc.in_head) {
            if (n == 0) {
                if (end_headers(in, st, &sc) != TC_OK) {
                    rc = TC_ERR_NOMEM;
                    break;
                }
                if (sc.have_cl) {
                    sc.m->flags |= F_CL;
                    sc.cl_state = 1;
                    sc.body_off = next_off;
                    sc.body_line = lineno;
                    sc.cl_end = next_off + sc.content_length;
                }
                continue;
            }
            if ((line[0] == ' ' || line[0] == '\t') && sc.hdr.len > 0) {
                if (sc.hdr.len + n > st->max)
                    return tc_stream_error(in, TC_ERR_DATA, lineno, 0,
                                           "header longer than the max-post limit (%zu bytes)",
                                           st->max);
                if (tc_buf_append(&sc.hdr, line, n) != TC_OK)
                    return nomem(in);
                continue;
            }
            if (header_name(line, n)) {
                if (sc.hdr.len > 0 && scan_header(in, st, &sc) != TC_OK) {
                    rc = TC_ERR_NOMEM;
                    break;
                }
                if (tc_buf_append(&sc.hdr, line, n) != TC_OK)
                    return nomem(in);
                sc.hdr_line = lineno;
                continue;
            }
            /* not a header: the body starts here (a message without headers) */
            if (end_headers(in, st, &sc) != TC_OK) {
                rc = TC_ERR_NOMEM;
                break;
            }
        }
    }
    tc_buf_free(&sc.hdr);
    if (rc != TC_OK)
        return rc;
    /* An empty file is an empty mailbox (mail clients agree): no threads. */
    if (st->n_msgs == 0 && junk)
        return tc_stream_error(in, TC_ERR_DATA, junk_line, 0,
                               "no From_ line found: expected a From_ line like "
                               "\"From sender@example.org Thu Feb  4 21:33:59 2021\"");
    if (junk)
        tc_stream_warn(in, junk_line, 0,
                       "%llu line%s of text before the first From_ line (line %llu) skipped",
                       (unsigned long long)junk, junk == 1 ? "" : "s",
                       (unsigned long long)st->msgs[0].line);
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Threading (JWZ)                                                     */
/* ------------------------------------------------------------------ */

typedef struct ctr {
    uint64_t key;
    uint32_t msg;
    uint32_t parent;
} ctr;

typedef struct jwz {
    ctr *c;
    size_t n, cap;
    uint32_t *table; /* open addressing: container index + 1, 0 empty */
    size_t table_size;
} jwz;

static uint32_t ctr_new(jwz *j, uint64_t key)
{
    if (j->n == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 1024;
        ctr *c = realloc(j->c, cap * sizeof *c);
        if (c == NULL)
            return NONE;
        j->c = c;
        j->cap = cap;
    }
    j->c[j->n].key = key;
    j->c[j->n].msg = NONE;
    j->c[j->n].parent = NONE;
    return (uint32_t)j->n++;
}

static uint32_t ctr_get(jwz *j, uint64_t key)
{
    size_t mask = j->table_size - 1, i = key & mask;
    while (j->table[i]) {
        uint32_t c = j->table[i] - 1;
        if (j->c[c].key == key)
            return c;
        i = (i + 1) & mask;
    }
    uint32_t c = ctr_new(j, key);
    if (c != NONE)
        j->table[i] = c + 1;
    return c;
}

/* Whether a is x or one of x's ancestors (a loop if x became a's child). */
static bool reaches(const jwz *j, uint32_t x, uint32_t a)
{
    for (size_t steps = 0; x != NONE; steps++) {
        if (x == a || steps > 100000)
            return true;
        x = j->c[x].parent;
    }
    return false;
}

typedef struct subj_ent {
    uint64_t subj;
    uint32_t thread, anchor;
} subj_ent;

static int thread_messages(tc_stream *in, mb_reader *st)
{
    jwz j = {0};
    size_t n = st->n_msgs;
    size_t want = (n + st->n_refs) * 2 + 16, ts = 1024;
    while (ts < want)
        ts *= 2;
    j.table = calloc(ts, sizeof *j.table);
    j.table_size = ts;
    uint32_t *mc = malloc(n * sizeof *mc);
    int rc = TC_OK;
    if (j.table == NULL || mc == NULL)
        rc = nomem(in);

    for (size_t m = 0; m < n && rc == TC_OK; m++) {
        msg_ix *x = &st->msgs[m];
        uint32_t prev = NONE;
        for (uint32_t r = 0; r < x->n_refs && rc == TC_OK; r++) {
            uint32_t c = ctr_get(&j, st->refs[x->refs + r]);
            /* a message naming itself among its references (broken
             * mailers; a post that is its own parent) would lose its
             * real parent to the loop: JWZ ignores such a reference.
             * (When another message already has the id, this one gets a
             * container of its own below and the reference is to that
             * other message.) */
            if (c != NONE && x->msgid && st->refs[x->refs + r] == x->msgid &&
                j.c[c].msg == NONE)
                continue;
            if (c == NONE) {
                rc = nomem(in);
                break;
            }
            if (prev != NONE && j.c[c].parent == NONE && !reaches(&j, prev, c))
                j.c[c].parent = prev;
            prev = c;
        }
        if (rc != TC_OK)
            break;
        uint32_t c = x->msgid ? ctr_get(&j, x->msgid) : ctr_new(&j, 0);
        if (c != NONE && j.c[c].msg != NONE) {
            x->flags |= F_DUP;
            c = ctr_new(&j, 0);
        }
        if (c == NONE) {
            rc = nomem(in);
            break;
        }
        j.c[c].msg = (uint32_t)m;
        mc[m] = c;
        /* the message's own references are the authority on its parent:
         * the last one, or when that would make a loop (references that
         * disagree with an earlier message's), the nearest one that does
         * not, so the message stays in its thread */
        j.c[c].parent = NONE;
        for (uint32_t r = x->n_refs; prev != NONE && r-- > 0 && j.c[c].parent == NONE;) {
            uint32_t a = ctr_get(&j, st->refs[x->refs + r]);
            if (a != NONE && !reaches(&j, a, c))
                j.c[c].parent = a;
        }
    }
    free(j.table);
    j.table = NULL;

    /* parents (nearest real ancestor) and roots */
    uint32_t *root = NULL, *tree_thread = NULL, *last = NULL;
    subj_ent *subj = NULL;
    size_t subj_size = 1024;
    while (rc == TC_OK && subj_size < n * 2 + 16)
        subj_size *= 2;
    if (rc == TC_OK) {
        root = malloc(j.n * sizeof *root);
        tree_thread = malloc(j.n * sizeof *tree_thread);
        subj = calloc(subj_size, sizeof *subj);
        if (root == NULL || tree_thread == NULL || subj == NULL)
            rc = nomem(in);
    }
    if (rc == TC_OK) {
        for (size_t c = 0; c < j.n; c++)
            root[c] = tree_thread[c] = NONE;
    }
    for (size_t m = 0; m < n && rc == TC_OK; m++) {
        uint32_t c = mc[m], a = j.c[c].parent;
        while (a != NONE && j.c[a].msg == NONE)
            a = j.c[a].parent;
        st->msgs[m].parent = a == NONE ? NONE : j.c[a].msg;
        /* the root, remembered along the way */
        uint32_t r = c;
        while (j.c[r].parent != NONE && root[r] == NONE)
            r = j.c[r].parent;
        if (root[r] != NONE)
            r = root[r];
        for (uint32_t x = c; x != NONE && root[x] == NONE; x = j.c[x].parent)
            root[x] = r;
    }

    /* threads: trees in order of their first message, trees whose root
     * subjects match joined (not for our own messages) */
    st->threads = malloc((n ? n : 1) * sizeof *st->threads);
    last = malloc((n ? n : 1) * sizeof *last);
    if (rc == TC_OK && (st->threads == NULL || last == NULL))
        rc = nomem(in);
    for (size_t m = 0; m < n && rc == TC_OK; m++) {
        uint32_t r = root[mc[m]];
        if (tree_thread[r] == NONE) {
            uint32_t rep = j.c[r].msg != NONE ? j.c[r].msg : (uint32_t)m;
            msg_ix *x = &st->msgs[rep];
            uint32_t th = NONE;
            subj_ent *e = NULL;
            if (!(x->flags & F_OURS) && x->subj != 0) {
                size_t i = x->subj & (subj_size - 1);
                while (subj[i].subj && subj[i].subj != x->subj)
                    i = (i + 1) & (subj_size - 1);
                e = &subj[i];
                if (e->subj) {
                    th = e->thread;
                    bool rep_reply = x->flags & F_REPLY;
                    bool anchor_reply = st->msgs[e->anchor].flags & F_REPLY;
                    if (rep_reply && !anchor_reply && x->parent == NONE)
                        x->parent = e->anchor;
                    else if (!rep_reply && anchor_reply &&
                             st->msgs[e->anchor].parent == NONE) {
                        st->msgs[e->anchor].parent = rep;
                        e->anchor = rep;
                    }
                }
            }
            if (th == NONE) {
                th = (uint32_t)st->n_threads++;
                st->threads[th] = (uint32_t)m;
                last[th] = NONE;
                if (e) {
                    e->subj = x->subj;
                    e->thread = th;
                    e->anchor = rep;
                }
            }
            tree_thread[r] = th;
        }
        uint32_t th = tree_thread[r];
        if (last[th] != NONE)
            st->msgs[last[th]].next = (uint32_t)m;
        last[th] = (uint32_t)m;
    }
    free(j.c);
    free(mc);
    free(root);
    free(tree_thread);
    free(subj);
    free(last);
    /* the references are not needed any more */
    free(st->refs);
    st->refs = NULL;
    st->n_refs = st->cap_refs = 0;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Pass 2: loading and decoding one message                            */
/* ------------------------------------------------------------------ */

static void hdrs_free(hdrs *h)
{
    free(h->h);
    tc_buf_free(&h->vals);
}

/* Parse the header block at the start of s[0..n). */
static int parse_headers(const char *s, size_t n, hdrs *out)
{
    out->n = 0;
    tc_buf_reset(&out->vals);
    size_t i = 0;
    uint64_t line = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        size_t len = end - i;
        size_t next = nl ? end + 1 : n;
        if (len == 0) {
            i = next;
            break;
        }
        if ((s[i] == ' ' || s[i] == '\t') && out->n > 0) {
            if (tc_buf_append(&out->vals, s + i, len) != TC_OK)
                return TC_ERR_NOMEM;
            out->h[out->n - 1].val_len += len;
        } else {
            size_t nlen = header_name(s + i, len);
            if (nlen == 0)
                break; /* the body starts without a blank line */
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 32;
                hdr *h = realloc(out->h, cap * sizeof *h);
                if (h == NULL)
                    return TC_ERR_NOMEM;
                out->h = h;
                out->cap = cap;
            }
            hdr *h = &out->h[out->n++];
            h->name = i;
            h->name_len = nlen;
            h->val = out->vals.len;
            h->val_len = len - nlen - 1;
            h->line = line;
            if (tc_buf_append(&out->vals, s + i + nlen + 1, len - nlen - 1) != TC_OK)
                return TC_ERR_NOMEM;
        }
        line++;
        i = next;
    }
    out->body = i;
    return tc_buf_append(&out->vals, "", 0);
}

static const hdr *find_hdr(const hdrs *h, const char *text, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (mb_ieq(text + h->h[i].name, h->h[i].name_len, name))
            return &h->h[i];
    return NULL;
}

#define HVAL(hs, h) ((hs)->vals.data + (h)->val)

/* Read message index into l: its lines after the From_ line, unquoted,
 * CR removed in a CRLF file, joined with "\n" (a final newline only when
 * the input had one); only the header block when headers_only. */
static int load(tc_stream *in, mb_reader *st, uint32_t index, loaded *l, bool headers_only)
{
    msg_ix *m = &st->msgs[index];
    int rc = tc_stream_seek(in, m->off, m->line - 1);
    if (rc != TC_OK)
        return rc;
    l->index = index;
    tc_buf_reset(&l->raw);
    const char *line;
    size_t len;
    rc = tc_stream_read_line(in, &line, &len);
    if (rc != TC_OK)
        return rc == TC_EOF ? tc_stream_error(in, TC_ERR_DATA, m->line, 0,
                                              "the input changed while it was read")
                            : rc;
    size_t n = len > 0 && line[len - 1] == '\r' ? len - 1 : len;
    l->envelope.present = false;
    mb_from_line(line, n, &l->envelope);
    int unquote = m->flags & F_CL ? 0 : st->unquote;
    bool in_head = true;
    for (;;) {
        uint64_t off = tc_stream_tell(in);
        if (off >= m->end)
            break;
        rc = tc_stream_read_line(in, &line, &len);
        if (rc == TC_EOF)
            break;
        if (rc != TC_OK)
            return rc;
        bool eol = tc_stream_tell(in) > off + len;
        n = len;
        if (st->crlf && n > 0 && line[n - 1] == '\r')
            n--;
        if (in_head && n == 0)
            in_head = false;
        if (!in_head && unquote && n >= 6 && line[0] == '>') {
            size_t k = 1;
            while (unquote == 2 && k < n && line[k] == '>')
                k++;
            if (n - k >= 5 && memcmp(line + k, "From ", 5) == 0) {
                line++;
                n--;
            }
        }
        if (l->raw.len + n + 1 > st->max)
            return tc_stream_error(in, TC_ERR_DATA, m->line, 0,
                                   "message %u is longer than the max-post limit (%zu bytes)",
                                   index + 1, st->max);
        if (tc_buf_append(&l->raw, line, n) != TC_OK || (eol && tc_buf_putc(&l->raw, '\n')))
            return nomem(in);
        if (headers_only && !in_head)
            break;
    }
    /* The blank line before the next From_ line belongs to the format in
     * our messages; in others it is kept, so no byte of the input is lost
     * (git's mailsplit does the same). */
    if (!headers_only && (m->flags & F_SEP) && !(m->flags & F_MARKED) &&
        tc_buf_putc(&l->raw, '\n') != TC_OK)
        return nomem(in);
    if (tc_buf_append(&l->raw, "", 0) != TC_OK || parse_headers(l->raw.data, l->raw.len,
                                                                &l->hs) != TC_OK)
        return nomem(in);
    return TC_OK;
}

/* Decoded value of header name (unstructured), into out; false if absent. */
static bool get_text(mb_reader *st, const loaded *l, const char *name, tc_buf *out,
                     size_t *bad)
{
    const hdr *h = find_hdr(&l->hs, l->raw.data, name);
    if (h == NULL)
        return false;
    const char *v = HVAL(&l->hs, h);
    size_t vn = h->val_len;
    trim(&v, &vn);
    bool unknown = false;
    tc_buf_reset(out);
    (void)st;
    return mb_decode_words(out, v, vn, bad, &unknown) == TC_OK;
}

/* The post id of a loaded message: ours, its Message-ID, or its number. */
static int post_id(mb_reader *st, const loaded *l, tc_buf *out)
{
    size_t bad = 0;
    if (get_text(st, l, MB_H_ID, out, &bad))
        return TC_OK;
    tc_buf_reset(out);
    const hdr *h = find_hdr(&l->hs, l->raw.data, "Message-ID");
    if (h && !(st->msgs[l->index].flags & F_DUP)) {
        const char *v = HVAL(&l->hs, h), *id;
        size_t vn = h->val_len, idn;
        next_id(v, vn, 0, &id, &idn);
        if (id == NULL) {
            id = v;
            idn = vn;
        }
        trim(&id, &idn);
        bool unknown = false;
        if (idn > 0)
            return mb_to_utf8(out, NULL, id, idn, &bad, &unknown);
    }
    return tc_buf_printf(out, "%u", l->index + 1);
}

static uint64_t hdr_line(const mb_reader *st, const loaded *l, const hdr *h)
{
    return st->msgs[l->index].line + 1 + (h ? h->line : 0);
}

/* ------------------------------------------------------------------ */
/* MIME                                                                */
/* ------------------------------------------------------------------ */

typedef struct entity {
    char type[96];     /* lower case "type/subtype" */
    char charset[64];
    char cte[32];      /* lower case */
    char boundary[200];
    char filename[200];
    bool attachment;
} entity;

/* A header token (a MIME type, a charset name) as printable ASCII: other
 * bytes, which no token holds, become '?' so the copy stays valid UTF-8
 * (it lands in extra fields and messages) however it is cut short. */
static char token_char(char c)
{
    return c > ' ' && c < 0x7F ? c : '?';
}

static void lower_copy(char *dst, size_t size, const char *s, size_t n)
{
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : token_char(s[i]);
    dst[n] = '\0';
}

static void token_copy(char *dst, size_t size, const char *s)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < size; i++)
        dst[i] = token_char(s[i]);
    dst[i] = '\0';
}

static void entity_info(mb_reader *st, const hdrs *hs, const char *text, entity *e,
                        const char *default_type)
{
    memset(e, 0, sizeof *e);
    snprintf(e->type, sizeof e->type, "%s", default_type);
    const hdr *h = find_hdr(hs, text, "Content-Type");
    if (h) {
        const char *v = HVAL(hs, h);
        size_t vn = h->val_len;
        trim(&v, &vn);
        size_t k = 0;
        while (k < vn && v[k] != ';' && v[k] != ' ' && v[k] != '\t')
            k++;
        if (k > 0 && memchr(v, '/', k))
            lower_copy(e->type, sizeof e->type, v, k);
        if (mb_param(v, vn, "charset", &st->tmp2))
            token_copy(e->charset, sizeof e->charset, st->tmp2.data);
        if (mb_param(v, vn, "boundary", &st->tmp2))
            snprintf(e->boundary, sizeof e->boundary, "%s", st->tmp2.data);
        if (mb_param(v, vn, "name", &st->tmp2))
            snprintf(e->filename, sizeof e->filename, "%s", st->tmp2.data);
    }
    h = find_hdr(hs, text, "Content-Transfer-Encoding");
    if (h) {
        const char *v = HVAL(hs, h);
        size_t vn = h->val_len;
        trim(&v, &vn);
        lower_copy(e->cte, sizeof e->cte, v, vn);
    }
    h = find_hdr(hs, text, "Content-Disposition");
    if (h) {
        const char *v = HVAL(hs, h);
        size_t vn = h->val_len;
        trim(&v, &vn);
        e->attachment = starts_ci(v, vn, "attachment");
        if (mb_param(v, vn, "filename", &st->tmp2))
            snprintf(e->filename, sizeof e->filename, "%s", st->tmp2.data);
    }
}

/* Decode a leaf's content (transfer encoding, then charset) into out. */
static int decode_leaf(tc_stream *in, mb_reader *st, const char *s, size_t n, const char *cte,
                       const char *charset, tc_buf *out, const char *what)
{
    const loaded *l = &st->cur;
    uint32_t num = l->index + 1;
    uint64_t line = st->msgs[l->index].line;
    const char *bytes = s;
    size_t len = n;
    size_t bad = 0;
    tc_buf_reset(&st->dec);
    if (strcmp(cte, "quoted-printable") == 0) {
        if (mb_qp_decode(&st->dec, s, n) != TC_OK)
            return nomem(in);
        bytes = st->dec.data;
        len = st->dec.len;
    } else if (strcmp(cte, "base64") == 0) {
        if (mb_b64_decode(&st->dec, s, n, &bad) != TC_OK)
            return nomem(in);
        /* Dropping the characters would lose text without a trace: an
         * error, which --keep-going turns into skipping this message. */
        if (bad)
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "message %u: the %s is declared base64 but %zu character%s "
                                   "%s not base64: expected A-Z a-z 0-9 + / =", num, what, bad,
                                   bad == 1 ? "" : "s", bad == 1 ? "is" : "are");
        bytes = st->dec.data;
        len = st->dec.len;
    }
    bad = 0;
    bool unknown = false;
    tc_buf_reset(out);
    if (mb_to_utf8(out, charset[0] ? charset : NULL, bytes ? bytes : "", len, &bad,
                   &unknown) != TC_OK ||
        tc_buf_append(out, "", 0) != TC_OK)
        return nomem(in);
    /* Guessing at an unknown charset could garble the text: an error. */
    if (unknown)
        return tc_stream_error(in, TC_ERR_DATA, line, 0,
                               "message %u: unknown charset \"%s\" in the %s: expected a "
                               "charset iconv knows (utf-8, iso-8859-1, windows-1252, ...)",
                               num, charset, what);
    if (bad) {
        tc_stream_warn(in, line, 0,
                       "message %u: %zu byte%s of the %s not valid in %s; each read as the "
                       "ISO-8859-1 character of the same value",
                       num, bad, bad == 1 ? "" : "s", what, charset[0] ? charset : "UTF-8");
        tc_buf_reset(&st->tmp2);
        if (tc_buf_printf(&st->tmp2, "%s: %zu byte%s not valid in %s read as ISO-8859-1", what,
                          bad, bad == 1 ? "" : "s", charset[0] ? charset : "UTF-8") != TC_OK ||
            tc_fields_set(&st->post.extras, "mbox.undecodable", st->tmp2.data) != TC_OK)
            return nomem(in);
    }
    return TC_OK;
}

static int walk(tc_stream *in, mb_reader *st, const entity *e, const char *s, size_t n,
                int depth);

/* A leaf: the body when it is the first text/plain part, else named. */
static int leaf(tc_stream *in, mb_reader *st, const entity *e, const char *s, size_t n)
{
    st->leaf++;
    bool plain = strcmp(e->type, "text/plain") == 0 && !e->attachment;
    if (plain && !st->have_body) {
        st->have_body = true;
        return decode_leaf(in, st, s, n, e->cte, e->charset, &st->p_body, "body");
    }
    if (!st->have_body && st->fb_text == NULL && strncmp(e->type, "text/", 5) == 0 &&
        !e->attachment) {
        st->fb_text = s;
        st->fb_len = n;
        snprintf(st->fb_cte, sizeof st->fb_cte, "%s", e->cte);
        snprintf(st->fb_charset, sizeof st->fb_charset, "%s", e->charset);
    }
    char key[32];
    snprintf(key, sizeof key, "mbox.part.%u", st->leaf);
    tc_buf_reset(&st->tmp);
    int rc = tc_buf_append(&st->tmp, e->type, strlen(e->type));
    if (rc == TC_OK && e->filename[0]) {
        size_t bad = 0;
        bool unknown = false;
        tc_buf name = {0};
        rc = mb_decode_words(&name, e->filename, strlen(e->filename), &bad, &unknown);
        if (rc == TC_OK)
            rc = tc_buf_printf(&st->tmp, "; filename=\"%s\"", name.data);
        tc_buf_free(&name);
    }
    if (rc == TC_OK)
        rc = tc_fields_set(&st->post.extras, key, st->tmp.data);
    return rc == TC_OK ? TC_OK : nomem(in);
}

/* Is s[0..n) the line "--boundary" (close: "--boundary--")? */
static int boundary_line(const char *s, size_t n, const char *b, size_t bn)
{
    if (n < bn + 2 || s[0] != '-' || s[1] != '-' || memcmp(s + 2, b, bn) != 0)
        return 0;
    size_t i = bn + 2;
    int kind = 1;
    if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
        kind = 2;
        i += 2;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return i == n ? kind : 0;
}

static int walk(tc_stream *in, mb_reader *st, const entity *e, const char *s, size_t n,
                int depth)
{
    if (strncmp(e->type, "multipart/", 10) != 0 || e->boundary[0] == '\0' ||
        depth >= MAX_DEPTH)
        return leaf(in, st, e, s, n);
    char boundary[200];
    snprintf(boundary, sizeof boundary, "%s", e->boundary);
    size_t bn = strlen(boundary);
    const char *def = strcmp(e->type, "multipart/digest") == 0 ? "message/rfc822" : "text/plain";
    size_t i = 0;
    const char *part = NULL; /* start of the current part */
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        int kind = boundary_line(s + i, end - i, boundary, bn);
        if (kind) {
            if (part) {
                /* the part ends before the newline that precedes the boundary */
                size_t pn = (size_t)(s + i - part);
                if (pn > 0 && part[pn - 1] == '\n')
                    pn--;
                hdrs ph = {0};
                entity pe;
                int rc = parse_headers(part, pn, &ph);
                if (rc == TC_OK) {
                    entity_info(st, &ph, part, &pe, def);
                    rc = walk(in, st, &pe, part + ph.body, pn - ph.body, depth + 1);
                }
                hdrs_free(&ph);
                if (rc != TC_OK)
                    return rc == TC_ERR_NOMEM ? nomem(in) : rc;
            }
            part = nl ? s + end + 1 : s + n;
            if (kind == 2)
                return TC_OK;
        }
        i = nl ? end + 1 : n;
    }
    if (part && part < s + n) { /* no closing boundary: the last part runs to the end */
        hdrs ph = {0};
        entity pe;
        size_t pn = (size_t)(s + n - part);
        int rc = parse_headers(part, pn, &ph);
        if (rc == TC_OK) {
            entity_info(st, &ph, part, &pe, def);
            rc = walk(in, st, &pe, part + ph.body, pn - ph.body, depth + 1);
        }
        hdrs_free(&ph);
        return rc == TC_ERR_NOMEM ? nomem(in) : rc;
    }
    if (part == NULL) /* no boundary at all: keep the text */
        return leaf(in, st, &(entity){.type = "text/plain"}, s, n);
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

static void loaded_free(loaded *l)
{
    tc_buf_free(&l->raw);
    hdrs_free(&l->hs);
}

static void mbox_read_close(tc_stream *in, void *state)
{
    (void)in;
    mb_reader *st = state;
    if (st == NULL)
        return;
    free(st->msgs);
    free(st->refs);
    free(st->threads);
    loaded_free(&st->cur);
    loaded_free(&st->aux);
    hdrs_free(&st->part);
    tc_buf *bufs[] = {&st->t_title, &st->t_source, &st->t_id, &st->t_url, &st->p_id,
                      &st->p_author, &st->p_body, &st->p_parent, &st->p_addr, &st->tmp,
                      &st->tmp2, &st->dec};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        tc_buf_free(bufs[i]);
    tc_fields_free(&st->thread.extras);
    tc_fields_free(&st->post.extras);
    free(st);
}

static int mbox_read_open(tc_stream *in, void **state)
{
    mb_reader *st = calloc(1, sizeof *st);
    if (st == NULL)
        return nomem(in);
    st->max = tc_stream_max_post(in);
    const char *variant = tc_stream_option(in, "variant");
    st->unquote = variant == NULL || strcmp(variant, "mboxrd") == 0 ? 2
                  : strcmp(variant, "mboxo") == 0                  ? 1
                                                                   : 0;
    int rc = tc_stream_make_seekable(in);
    if (rc == TC_OK)
        rc = pass1(in, st);
    if (rc == TC_OK)
        rc = thread_messages(in, st);
    if (rc != TC_OK) {
        mbox_read_close(in, st);
        return rc;
    }
    *state = st;
    return TC_OK;
}

/* Extra fields X-Threadconv-...-KEY of l into fields. */
static int read_extras(tc_stream *in, mb_reader *st, const loaded *l, const char *prefix,
                       tc_fields *fields)
{
    size_t pn = strlen(prefix);
    for (size_t i = 0; i < l->hs.n; i++) {
        const hdr *h = &l->hs.h[i];
        const char *name = l->raw.data + h->name;
        if (h->name_len <= pn || !mb_ieq(name, pn, prefix))
            continue;
        if (!mb_decode_key(&st->tmp, name + pn, h->name_len - pn)) {
            tc_stream_warn(in, hdr_line(st, l, h), 0,
                           "message %u: header %.*s does not name an extra field; ignored",
                           l->index + 1, (int)h->name_len, name);
            continue;
        }
        const char *v = HVAL(&l->hs, h);
        size_t vn = h->val_len, bad = 0;
        bool unknown = false;
        trim(&v, &vn);
        tc_buf_reset(&st->tmp2);
        if (mb_decode_words(&st->tmp2, v, vn, &bad, &unknown) != TC_OK)
            return nomem(in);
        if (tc_is_reserved_key(st->tmp.data) || tc_fields_get(fields, st->tmp.data)) {
            tc_stream_warn(in, hdr_line(st, l, h), 0,
                           "message %u: extra field \"%s\" is reserved or repeated; ignored",
                           l->index + 1, st->tmp.data);
            continue;
        }
        if (tc_fields_set(fields, st->tmp.data, st->tmp2.data) != TC_OK)
            return nomem(in);
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

static int mbox_next_thread(tc_stream *in, void *state, const tc_thread **thread)
{
    mb_reader *st = state;
    if (st->cur_thread >= st->n_threads)
        return TC_EOF;
    uint32_t first = st->threads[st->cur_thread++];
    st->next_msg = first;
    tc_fields_clear(&st->thread.extras);
    uint32_t head = NONE, root = NONE;
    for (uint32_t m = first; m != NONE && head == NONE; m = st->msgs[m].next) {
        if (st->msgs[m].flags & F_START)
            head = m;
        if (root == NONE && st->msgs[m].parent == NONE)
            root = m;
    }
    size_t bad = 0;
    if (head != NONE) {
        int rc = load(in, st, head, &st->aux, true);
        if (rc != TC_OK)
            return rc;
        loaded *l = &st->aux;
        if (!get_text(st, l, MB_H_SOURCE, &st->t_source, &bad))
            return nomem(in);
        if (!get_text(st, l, "Subject", &st->t_title, &bad) && set_buf(&st->t_title, "", 0))
            return nomem(in);
        st->thread.id = get_text(st, l, MB_H_THREAD_ID, &st->t_id, &bad) ? st->t_id.data : NULL;
        st->thread.url =
            get_text(st, l, MB_H_THREAD_URL, &st->t_url, &bad) ? st->t_url.data : NULL;
        if ((rc = read_extras(in, st, l, MB_H_THREAD_EXTRA, &st->thread.extras)) != TC_OK)
            return rc;
    } else {
        if (root == NONE)
            root = first;
        int rc = load(in, st, root, &st->aux, true);
        if (rc != TC_OK)
            return rc;
        if (set_buf(&st->t_source, "mbox", 4) != TC_OK)
            return nomem(in);
        if (get_text(st, &st->aux, "Subject", &st->tmp, &bad)) {
            const char *p = st->tmp.data;
            size_t pn = st->tmp.len;
            mb_strip_reply(&p, &pn);
            if (set_buf(&st->t_title, p, pn) != TC_OK)
                return nomem(in);
        } else if (set_buf(&st->t_title, "", 0) != TC_OK)
            return nomem(in);
        st->thread.id = NULL;
        st->thread.url = NULL;
    }
    if (bad)
        tc_stream_warn(in, st->msgs[head != NONE ? head : root].line, 0,
                       "message %u: %zu byte%s of the thread header not valid in their "
                       "charset; each read as the ISO-8859-1 character of the same value",
                       (head != NONE ? head : root) + 1, bad, bad == 1 ? "" : "s");
    st->thread.title = st->t_title.data;
    st->thread.source = st->t_source.data;
    *thread = &st->thread;
    return TC_OK;
}

static int mbox_next_post(tc_stream *in, void *state, const tc_post **post)
{
    mb_reader *st = state;
    uint32_t m = st->next_msg;
    while (m != NONE && (st->msgs[m].flags & F_STUB))
        m = st->msgs[m].next;
    if (m == NONE) {
        st->next_msg = NONE;
        return TC_EOF;
    }
    st->next_msg = st->msgs[m].next;
    msg_ix *x = &st->msgs[m];
    bool ours = x->flags & F_MARKED;
    int rc;
    tc_fields_clear(&st->post.extras);
    size_t bad = 0;

    /* the parent's id first: loading it uses the stream */
    st->post.parent_id = NULL;
    if (!ours && x->parent != NONE) {
        if ((rc = load(in, st, x->parent, &st->aux, true)) != TC_OK)
            return rc;
        if (post_id(st, &st->aux, &st->p_parent) != TC_OK)
            return nomem(in);
        st->post.parent_id = st->p_parent.data;
    }

    loaded *l = &st->cur;
    if ((rc = load(in, st, m, l, false)) != TC_OK)
        return rc;
    if (post_id(st, l, &st->p_id) != TC_OK)
        return nomem(in);
    if (ours && get_text(st, l, MB_H_PARENT, &st->p_parent, &bad))
        st->post.parent_id = st->p_parent.data;

    /* author */
    tc_buf_reset(&st->p_author);
    const hdr *h = find_hdr(&l->hs, l->raw.data, "From");
    if (h) {
        bool unknown = false;
        if (mb_parse_from(HVAL(&l->hs, h), h->val_len, &st->p_author, &st->p_addr, &bad,
                          &unknown) != TC_OK)
            return nomem(in);
        if (!ours && st->p_author.len == 0 && set_buf(&st->p_author, st->p_addr.data,
                                                      st->p_addr.len) != TC_OK)
            return nomem(in);
        if (!ours && st->p_addr.len > 0 &&
            tc_fields_set(&st->post.extras, "mbox.address", st->p_addr.data) != TC_OK)
            return nomem(in);
    }
    if (set_buf(&st->p_author, st->p_author.data ? st->p_author.data : "",
                st->p_author.len) != TC_OK)
        return nomem(in);

    /* date */
    st->post.date = (tc_date){0, 0, false};
    const hdr *iso = ours ? find_hdr(&l->hs, l->raw.data, MB_H_DATE) : NULL;
    h = find_hdr(&l->hs, l->raw.data, "Date");
    if (iso) {
        const char *v = HVAL(&l->hs, iso);
        size_t vn = iso->val_len;
        trim(&v, &vn);
        if (tc_date_parse_iso(v, vn, &st->post.date) != TC_OK)
            tc_stream_warn(in, hdr_line(st, l, iso), 0,
                           "message %u: %s is not an ISO 8601 date; the post has no date",
                           m + 1, MB_H_DATE);
    } else if (h) {
        const char *v = HVAL(&l->hs, h), *why;
        size_t vn = h->val_len;
        trim(&v, &vn);
        if (mb_parse_rfc5322(v, vn, &st->post.date, &why) != TC_OK) {
            st->post.date = (tc_date){0, 0, false};
            tc_stream_warn(in, hdr_line(st, l, h), 0,
                           "message %u: bad Date header \"%.*s\": %s; the post has no date",
                           m + 1, (int)(vn > 80 ? 80 : vn), v, why);
        }
    } else if (!ours && l->envelope.present) {
        st->post.date = l->envelope; /* the From_ line's date, as UTC */
    }

    /* body */
    entity e;
    entity_info(st, &l->hs, l->raw.data, &e, "text/plain");
    st->have_body = false;
    st->leaf = 0;
    st->fb_text = NULL;
    const char *body = l->raw.data + l->hs.body;
    size_t body_len = l->raw.len - l->hs.body;
    /* A body that cannot be decoded spoils only its own message: the index
     * already points at the next one, so the reader can go on. */
    if ((rc = walk(in, st, &e, body, body_len, 0)) != TC_OK)
        return rc == TC_ERR_DATA ? TC_SKIPPED : rc;
    if (!st->have_body) {
        if (st->fb_text) {
            rc = decode_leaf(in, st, st->fb_text, st->fb_len, st->fb_cte, st->fb_charset,
                             &st->p_body, "body");
            if (rc != TC_OK)
                return rc == TC_ERR_DATA ? TC_SKIPPED : rc;
        } else if (set_buf(&st->p_body, "", 0) != TC_OK)
            return nomem(in);
    }
    if (ours && st->p_body.len > 0 && st->p_body.data[st->p_body.len - 1] == '\n')
        st->p_body.data[--st->p_body.len] = '\0'; /* the newline our writer added */

    if (ours) {
        if ((rc = read_extras(in, st, l, MB_H_EXTRA, &st->post.extras)) != TC_OK)
            return rc;
    } else {
        /* who else it went to */
        static const char *const kept[][2] = {{"To", "mbox.to"}, {"Cc", "mbox.cc"}};
        for (size_t i = 0; i < 2; i++) {
            size_t b = 0;
            if (get_text(st, l, kept[i][0], &st->tmp, &b)) {
                if (tc_fields_set(&st->post.extras, kept[i][1], st->tmp.data) != TC_OK)
                    return nomem(in);
                if (b) {
                    bad += b;
                    tc_buf_reset(&st->tmp2);
                    if (tc_buf_printf(&st->tmp2, "%s header: %zu byte%s not valid in its "
                                      "charset read as ISO-8859-1", kept[i][0], b,
                                      b == 1 ? "" : "s") != TC_OK ||
                        tc_fields_set(&st->post.extras, "mbox.undecodable", st->tmp2.data) !=
                            TC_OK)
                        return nomem(in);
                }
            }
        }
    }
    if (!ours && get_text(st, l, "Subject", &st->tmp, &bad)) {
        /* a subject other than the thread's is kept */
        const char *p = st->tmp.data;
        size_t pn = st->tmp.len;
        mb_strip_reply(&p, &pn);
        if ((pn != strlen(st->thread.title) || memcmp(p, st->thread.title, pn) != 0) &&
            tc_fields_set(&st->post.extras, "mbox.subject", st->tmp.data) != TC_OK)
            return nomem(in);
    }
    if (bad)
        tc_stream_warn(in, x->line, 0,
                       "message %u: %zu byte%s of the headers not valid in their charset; "
                       "each read as the ISO-8859-1 character of the same value",
                       m + 1, bad, bad == 1 ? "" : "s");

    st->post.id = st->p_id.data;
    st->post.author = st->p_author.data;
    st->post.body = st->p_body.data;
    st->post.body_len = st->p_body.len;
    *post = &st->post;
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

typedef struct mb_writer {
    mb_builder b;
    tc_buf out;
} mb_writer;

static int mbox_write_open(tc_stream *out, void **state)
{
    mb_writer *w = calloc(1, sizeof *w);
    if (w == NULL)
        return nomem(out);
    const char *v = tc_stream_option(out, "variant");
    const char *enc = tc_stream_option(out, "encoding");
    int variant = v && strcmp(v, "mboxo") == 0     ? MB_MBOXO
                  : v && strcmp(v, "mboxcl2") == 0 ? MB_MBOXCL2
                                                   : MB_MBOXRD;
    mb_builder_init(&w->b, variant, enc && strcmp(enc, "quoted-printable") == 0);
    *state = w;
    return TC_OK;
}

static int mbox_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread)
{
    mb_writer *w = state;
    if (mb_builder_begin_thread(&w->b, thread) != TC_OK)
        return nomem(out);
    return TC_OK;
}

static int mbox_write_post(tc_stream *out, void *state, const tc_post *post)
{
    mb_writer *w = state;
    tc_buf_reset(&w->out);
    if (mb_builder_post(&w->b, post, &w->out) != TC_OK)
        return nomem(out);
    return tc_stream_write(out, w->out.data, w->out.len);
}

static int mbox_write_end_thread(tc_stream *out, void *state)
{
    mb_writer *w = state;
    tc_buf_reset(&w->out);
    if (mb_builder_end_thread(&w->b, &w->out) != TC_OK)
        return nomem(out);
    return w->out.len ? tc_stream_write(out, w->out.data, w->out.len) : TC_OK;
}

static int mbox_write_finish(tc_stream *out, void *state)
{
    (void)out;
    (void)state;
    return TC_OK;
}

static void mbox_write_close(tc_stream *out, void *state)
{
    (void)out;
    mb_writer *w = state;
    if (w == NULL)
        return;
    mb_builder_free(&w->b);
    tc_buf_free(&w->out);
    free(w);
}

static const char *const variants[] = {"mboxrd", "mboxo", "mboxcl2", NULL};
static const char *const encodings[] = {"8bit", "quoted-printable", NULL};

static const tc_option_decl mbox_options[] = {
    {.name = "variant", .type = TC_OPT_ENUM, .default_value = "mboxrd",
     .help = "mboxrd (quote >*From lines), mboxo (quote From lines), mboxcl2 "
             "(Content-Length, no quoting); the reader unquotes the same way",
     .enum_values = variants},
    {.name = "encoding", .type = TC_OPT_ENUM, .default_value = "8bit",
     .help = "body transfer encoding the writer uses: 8bit or quoted-printable",
     .enum_values = encodings},
    {.name = NULL}};

TC_PLUGIN_DEFINE(.name = "mbox",
                 .description = "Unix mbox (mboxrd, mboxo, mboxcl2), one message per post",
                 .version = "1.0.0", .license = "MIT", .read_probe = mbox_probe,
                 .read_open = mbox_read_open, .read_next_thread = mbox_next_thread,
                 .read_next_post = mbox_next_post, .read_close = mbox_read_close,
                 .write_open = mbox_write_open, .write_begin_thread = mbox_write_begin_thread,
                 .write_post = mbox_write_post, .write_end_thread = mbox_write_end_thread,
                 .write_finish = mbox_write_finish, .write_close = mbox_write_close,
                 .options = mbox_options, .extension = "mbox");
