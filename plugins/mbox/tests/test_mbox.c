/*
 * test_mbox.c - the mbox reader and writer and their shared mail code,
 * linked in directly.  The library's mail text decoders have their own
 * test, tests/test_mail.c.  The seed through the CLI (mumsnet -> mbox -> json),
 * Python's mailbox module, mutt, mblaze and the maildir writer are tested
 * end to end in mbox.sh.
 *
 * Inputs: the corpus mboxes in $THREADCONV_SHARED/corpus/mbox (read at run
 * time, never copied) and small inputs built here.  Expected values are
 * literals worked out by reading the inputs by hand.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "testutil.h"

#include "../reader.h"
#include "../writer.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const tc_module threadconv_module_mbox;
#define THE_FORMAT tu_static_format(&threadconv_module_mbox, "mbox")
#define PLUGIN (THE_FORMAT)

/* ---------------------------------------------------------------- helpers */

static void reader_ok(const tu_archive *a)
{
    ck_assert_msg(a->rc == TC_OK, "reader failed: %s:%llu:%llu: %s", a->err.source,
                  (unsigned long long)a->err.line, (unsigned long long)a->err.column,
                  a->err.text);
}

static tu_archive *read_str(const char *text)
{
    return tu_read_memory(PLUGIN, text, strlen(text), "test.mbox");
}

static tu_archive *read_corpus(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "corpus/mbox/%s", name);
    char *path = tu_path("THREADCONV_SHARED", rel);
    tu_archive *a = tu_read_file(PLUGIN, path);
    free(path);
    reader_ok(a);
    return a;
}

static size_t n_posts(const tu_archive *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_threads; i++)
        n += a->threads[i].n_posts;
    return n;
}

static const char *extra(const tc_fields *f, const char *key)
{
    const char *v = tc_fields_get(f, key);
    return v ? v : "(absent)";
}

/* Write archive with the given options; the output (new). */
static char *write_archive(const tu_archive *a, const tc_option_value *opts, size_t n_opts)
{
    tc_buf out = {0};
    tc_error err;
    int rc = tu_write(PLUGIN, a, opts, n_opts, &out, &err);
    ck_assert_msg(rc == TC_OK, "writer failed: %s", err.text);
    if (out.data == NULL)
        tc_buf_append(&out, "", 0);
    return out.data;
}

/* Read text with options set on the stream; bodies of all posts joined by
 * "|" (new). */
static char *bodies_with_option(const char *text, const char *key, const char *value)
{
    tc_stream *in = tc_stream_open_memory(text, strlen(text), "opt.mbox");
    tc_option_value v = {"mbox", key, value};
    tc_error err;
    ck_assert_int_eq(tc_stream_set_options(in, PLUGIN, &v, 1, &err), TC_OK);
    void *st;
    ck_assert_int_eq(PLUGIN->read_open(in, &st), TC_OK);
    tc_buf out = {0};
    const tc_thread *t;
    while (PLUGIN->read_next_thread(in, st, &t) == TC_OK) {
        const tc_post *p;
        while (PLUGIN->read_next_post(in, st, &p) == TC_OK) {
            if (out.len)
                tc_buf_putc(&out, '|');
            tc_buf_append(&out, p->body, p->body_len);
        }
    }
    PLUGIN->read_close(in, st);
    tc_stream_close(in);
    tc_buf_append(&out, "", 0);
    return out.data;
}

/* ---------------------------------------------------------------- quoting */

static tu_archive *one_post_archive(const char *body)
{
    tu_archive *a = calloc(1, sizeof *a);
    a->threads = calloc(1, sizeof *a->threads);
    a->n_threads = 1;
    tu_thread *t = &a->threads[0];
    t->title = strdup("T");
    t->source = strdup("test");
    t->posts = calloc(1, sizeof *t->posts);
    t->n_posts = 1;
    tu_post *p = &t->posts[0];
    p->id = strdup("1");
    p->author = strdup("Ann");
    p->body = strdup(body);
    p->body_len = strlen(body);
    a->warnings = strdup("");
    return a;
}

#define QUOTE_BODY "From here\n>From there\n>>From x\n From y\nFromage\n>From\nFrom"

START_TEST(quoting_writer)
{
    tu_archive *a = one_post_archive(QUOTE_BODY);
    char *rd = write_archive(a, NULL, 0);
    ck_assert_ptr_nonnull(strstr(rd, "\n\n>From here\n>>From there\n>>>From x\n From y\nFromage\n"
                                     ">From\nFrom\n\n"));
    tc_option_value o = {"mbox", "variant", "mboxo"};
    char *mo = write_archive(a, &o, 1);
    ck_assert_ptr_nonnull(strstr(mo, "\n\n>From here\n>From there\n>>From x\n From y\nFromage\n"
                                     ">From\nFrom\n\n"));
    tc_option_value c = {"mbox", "variant", "mboxcl2"};
    char *cl = write_archive(a, &c, 1);
    /* no quoting; the length counts the body and the newline added to it */
    ck_assert_ptr_nonnull(strstr(cl, "Content-Length: 58\n"));
    ck_assert_ptr_nonnull(strstr(cl, "\n\n" QUOTE_BODY "\n\n"));
    free(rd);
    free(mo);
    free(cl);
    tu_archive_free(a);
}
END_TEST

static const char quoted_in[] =
    "From a@b Mon Sep 17 00:00:00 2001\n"
    "Subject: q\n"
    "\n"
    ">From one\n"
    ">>From two\n"
    "> From three\n"
    ">Fromage\n"
    "From not a separator: no date\n";

START_TEST(quoting_reader)
{
    tu_archive *a = read_str(quoted_in);
    reader_ok(a);
    ck_assert_uint_eq(n_posts(a), 1);
    ck_assert_str_eq(a->threads[0].posts[0].body,
                     "From one\n>From two\n> From three\n>Fromage\nFrom not a separator: no date\n");
    tu_archive_free(a);
    char *o = bodies_with_option(quoted_in, "variant", "mboxo");
    ck_assert_str_eq(o, "From one\n>>From two\n> From three\n>Fromage\n"
                        "From not a separator: no date\n");
    free(o);
    o = bodies_with_option(quoted_in, "variant", "mboxcl2");
    ck_assert_str_eq(o, ">From one\n>>From two\n> From three\n>Fromage\n"
                        "From not a separator: no date\n");
    free(o);
}
END_TEST

/* ---------------------------------------------------------------- dates */

START_TEST(date_format)
{
    char out[40];
    tc_date d = tc_date_from_fields(2021, 2, 4, 21, 33, 59, 0);
    ck_assert(mbox_format_rfc5322(d, out));
    ck_assert_str_eq(out, "Thu, 04 Feb 2021 21:33:59 +0000");
    mbox_format_asctime(d, out);
    ck_assert_str_eq(out, "Thu Feb  4 21:33:59 2021");
    ck_assert_uint_eq(strlen(out), 24);
    d = tc_date_from_fields(2021, 6, 4, 21, 33, 59, 60);
    ck_assert(mbox_format_rfc5322(d, out));
    ck_assert_str_eq(out, "Fri, 04 Jun 2021 21:33:59 +0100");
    mbox_format_asctime(d, out); /* UTC */
    ck_assert_str_eq(out, "Fri Jun  4 20:33:59 2021");
    d = tc_date_from_fields(1999, 12, 31, 23, 59, 0, -(5 * 60 + 30));
    ck_assert(mbox_format_rfc5322(d, out));
    ck_assert_str_eq(out, "Fri, 31 Dec 1999 23:59:00 -0530");
    d = tc_date_from_fields(1850, 1, 1, 0, 0, 0, 0);
    ck_assert(!mbox_format_rfc5322(d, out)); /* RFC 5322 years start at 1900 */
    tc_date none = {0, 0, false};
    mbox_format_asctime(none, out);
    ck_assert_str_eq(out, "Thu Jan  1 00:00:00 1970");
}
END_TEST

/* Date: headers are read by the library (tc_date_parse_rfc5322; its own
 * cases are in test_date.c): what the reader makes of its answers. */
START_TEST(date_headers)
{
    tu_archive *a = read_str(
        "From a@b Mon Sep 17 00:00:00 2001\nDate: Thu, 04 Feb 2021 21:33:59 +0530\n\n1\n\n"
        "From a@b Mon Sep 17 00:00:00 2001\nDate: Sat, 31 Dec 2016 23:59:60 -0000\n\n2\n\n"
        "From a@b Mon Sep 17 00:00:00 2001\nDate: Tue, 8 Jul 2000 10:27 MET DST\n\n3\n\n"
        "From a@b Mon Sep 17 00:00:00 2001\nDate:  (c) 4 Feb 21 21:33 (EDT\n\n4\n\n"
        "From a@b Mon Sep 17 00:00:00 2001\nDate: Thu, 04 Feb 2021 21:335 +0000\n\n5\n\n"
        "From a@b Mon Sep 17 00:00:00 2001\nSubject: no Date header\n\n6\n");
    reader_ok(a);
    ck_assert_uint_eq(a->n_threads, 6);
    static const char *const iso[] = {
        "2021-02-04T21:33:59+05:30",
        "2016-12-31T23:59:59+00:00", /* a zone that is not known: UTC */
        "2000-07-08T10:27:00+00:00",
        "2021-02-04T21:33:00+00:00",
        "2001-09-17T00:00:00+00:00", /* refused: the From_ line's, and a warning */
        "2001-09-17T00:00:00+00:00", /* the From_ line's */
    };
    for (size_t i = 0; i < 6; i++) {
        ck_assert_uint_eq(a->threads[i].n_posts, 1);
        tc_date d = a->threads[i].posts[0].date;
        char out[TC_ISO_DATE_SIZE];
        ck_assert_msg(d.present == (iso[i] != NULL), "message %zu", i + 1);
        if (iso[i])
            ck_assert_str_eq(tu_iso(d, out), iso[i]);
    }
    ck_assert_str_eq(a->warnings, "test.mbox:22: message 5: bad Date header \"Thu, 04 Feb 2021 "
                                  "21:335 +0000\": expected a time HH:MM[:SS]; the From_ line's "
                                  "date is used instead, 2001-09-17T00:00:00+00:00 (UTC)\n");
    tu_archive_free(a);
}
END_TEST

static void from_line(const char *s, bool valid, const char *iso)
{
    tc_date d = {0, 0, false};
    size_t at = mbox_from_line(s, strlen(s), &d);
    ck_assert_msg((at != 0) == valid, "\"%s\" %s a From_ line", s, valid ? "is" : "is not");
    if (iso) {
        char out[TC_ISO_DATE_SIZE];
        tc_date_format_iso(d, out);
        ck_assert_str_eq(out, iso);
    }
}

START_TEST(from_lines)
{
    from_line("From mboxrd Mon Sep 17 00:00:00 2001", true, "2001-09-17T00:00:00+00:00");
    from_line("From MAILER-DAEMON Thu Feb  4 21:33:59 2021", true, "2021-02-04T21:33:59+00:00");
    from_line("From x@y Wed Feb  9 22:02 MET 2000", true, "2000-02-09T22:02:00+00:00");
    from_line("From x@y Thu Sep 13 12:30:05 2001 -0400", true, NULL);
    from_line("From x@y Sat Sep  1 20:58 EDT 2001", true, NULL);
    from_line("From  Mon Jun 01 10:00:00 2009", true, NULL);
    from_line("From not mangled but this line should have been escaped", false, NULL);
    from_line("From time to time", false, NULL);
    from_line("From x@y Mon Feb 30 10:00:00 2009", false, NULL);
    from_line("From: x@y Mon Feb 3 10:00:00 2009", false, NULL);
    /* the usual 24-character date is read at fixed places: the same
     * answers as the general reading */
    from_line("From a b c Sat Feb 29 23:59:60 2020", true, "2020-02-29T23:59:59+00:00");
    from_line("From x@y sun mar  1 00:00:00 2015 remote from z", true,
              "2015-03-01T00:00:00+00:00");
    from_line("From x@y Thu Feb 29 10:00:00 2021", false, NULL);
    from_line("From x@y Thu Feb 04 24:00:00 2021", false, NULL);
    from_line("From x@y Thu Feb  4 21:60:00 2021", false, NULL);
    from_line("From x@y Thu Feb  0 21:00:00 2021", false, NULL);
    from_line("From x@y Thu Feb  4 21:33:59 20211", false, NULL);
    from_line("From x@y Thu Feb  4 21:33:59 2021x", true, "2021-02-04T21:33:59+00:00");
    from_line("From x@y Thu Feb 4 21:33:59 2021", true, "2021-02-04T21:33:59+00:00");
}
END_TEST

/* ---------------------------------------------------------------- RFC 2047 */

static char *decode(const char *s, size_t *bad, bool *unknown)
{
    tc_buf out = {0};
    size_t b = 0;
    bool u = false;
    ck_assert_int_eq(tc_mail_decode_words(&out, s, strlen(s), &b, &u), TC_OK);
    if (bad)
        *bad = b;
    if (unknown)
        *unknown = u;
    return out.data;
}

/* Encode value as Subject, check the lines and each word, decode it back. */
static void encode_roundtrip(const char *value)
{
    tc_buf h = {0};
    size_t n = strlen(value);
    ck_assert_int_eq(mbox_put_unstructured(&h, "Subject", value, n), TC_OK);
    ck_assert_ptr_nonnull(h.data);
    ck_assert_int_eq(h.data[h.len - 1], '\n');
    /* every line at most 78 characters, continuation lines start with a space */
    size_t start = 0;
    for (size_t i = 0; i < h.len; i++)
        if (h.data[i] == '\n') {
            ck_assert_msg(i - start <= 78, "line of %zu: %.*s", i - start, (int)(i - start),
                          h.data + start);
            if (start > 0)
                ck_assert_int_eq(h.data[start], ' ');
            start = i + 1;
        }
    /* each encoded word alone is whole UTF-8: no character is split */
    for (char *p = strstr(h.data, "=?"), *e; p; p = strstr(e + 2, "=?")) {
        e = strstr(p + 10, "?=");
        ck_assert_ptr_nonnull(e);
        ck_assert_msg((size_t)(e + 2 - p) <= 75, "word too long in\n%s", h.data);
        char word[128];
        snprintf(word, sizeof word, "%.*s", (int)(e + 2 - p), p);
        char *w = decode(word, NULL, NULL);
        ck_assert_msg(tc_utf8_valid(w, strlen(w), NULL, NULL), "word %s splits a character",
                      word);
        free(w);
    }
    /* unfold and decode: exactly the value */
    tc_buf unfolded = {0};
    for (size_t i = 9; i + 1 < h.len; i++)
        if (h.data[i] != '\n')
            tc_buf_putc(&unfolded, h.data[i]);
    tc_buf_append(&unfolded, "", 0);
    const char *v = unfolded.data;
    while (*v == ' ')
        v++;
    char *back = decode(v, NULL, NULL);
    ck_assert_msg(strcmp(back, value) == 0, "\"%s\" came back as \"%s\" from\n%s", value, back,
                  h.data);
    free(back);
    tc_buf_free(&unfolded);
    tc_buf_free(&h);
}

START_TEST(rfc2047_encode)
{
    /* a long non-ASCII subject: words fold between characters */
    encode_roundtrip("Ünïcödé sübject — “quotes”, déjà vu, naïve café, שלום עולם, 日本語のテキスト, "
                     "emoji 👍🎄 and more ÄÖÜ äöü ß to make it long enough to fold several times");
    encode_roundtrip("日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語日本語");
    encode_roundtrip("Re: Can police (Metropolitan police) use Skype and other social media?");
    encode_roundtrip("  leading and trailing spaces  ");
    encode_roundtrip("double  space\ttab\nnewline");
    encode_roundtrip("=?utf-8?q?not_a_word?= looks encoded");
    encode_roundtrip("a_b=c?d");
    encode_roundtrip("averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword");
    encode_roundtrip("x");
    /* plain text stays plain */
    tc_buf h = {0};
    mbox_put_unstructured(&h, "Subject", "Hello world", 11);
    ck_assert_str_eq(h.data, "Subject: Hello world\n");
    tc_buf_reset(&h);
    mbox_put_unstructured(&h, "Subject", "caf\xC3\xA9", 5);
    ck_assert_str_eq(h.data, "Subject: =?utf-8?q?caf=C3=A9?=\n");
    tc_buf_free(&h);
}
END_TEST

START_TEST(key_encoding)
{
    tc_buf h = {0}, k = {0};
    mbox_encode_key(&h, "X-P-", "mumsnet.op");
    ck_assert_str_eq(h.data, "X-P-mumsnet.op");
    tc_buf_reset(&h);
    mbox_encode_key(&h, "", "Key with_Spaces:\xC3\xA9");
    ck_assert_str_eq(h.data, "_4Bey_20with_5F_53paces_3A_C3_A9");
    ck_assert(mbox_decode_key(&k, h.data, h.len));
    ck_assert_str_eq(k.data, "Key with_Spaces:\xC3\xA9");
    /* header names are case-insensitive: an upper-cased name still decodes */
    ck_assert(mbox_decode_key(&k, "MUMSNET.OP", 10));
    ck_assert_str_eq(k.data, "mumsnet.op");
    ck_assert(!mbox_decode_key(&k, "bad_Z1", 6));
    ck_assert(!mbox_decode_key(&k, "", 0));
    tc_buf_free(&h);
    tc_buf_free(&k);
}
END_TEST

START_TEST(qp_encode)
{
    const char *samples[] = {
        "plain\n",
        "trailing spaces   \nand tab\t\n",
        "From the start\n.dot\n",
        "no final newline",
        "a = sign and \xC3\xA9 and \r CR\r\n",
        "a very long line that goes on and on and on and on and on and on and on and on and on "
        "and on and on and on\n",
        "",
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        tc_buf e = {0}, d = {0};
        ck_assert_int_eq(mbox_qp_encode(&e, samples[i], strlen(samples[i])), TC_OK);
        tc_buf_append(&e, "", 0);
        size_t start = 0;
        for (size_t k = 0; k < e.len; k++)
            if (e.data[k] == '\n') {
                ck_assert_uint_le(k - start, 76);
                ck_assert(k == start || (e.data[k - 1] != ' ' && e.data[k - 1] != '\t'));
                ck_assert(strncmp(e.data + start, "From ", 5) != 0);
                start = k + 1;
            }
        ck_assert_int_eq(tc_mail_qp_decode(&d, e.data, e.len), TC_OK);
        tc_buf_append(&d, "", 0);
        ck_assert_msg(strcmp(d.data, samples[i]) == 0, "QP of \"%s\" came back as \"%s\"",
                      samples[i], d.data);
        tc_buf_free(&e);
        tc_buf_free(&d);
    }
}
END_TEST

/* ---------------------------------------------------------------- threading */

#define MSG(id, extra, subject, body)                                                      \
    "From x@y Mon Sep 17 00:00:00 2001\nMessage-ID: <" id ">\n" extra "Subject: " subject  \
    "\n\n" body "\n\n"

START_TEST(threading_out_of_order)
{
    /* a reply before its parent, a grandchild through References only */
    tu_archive *a = read_str(MSG("c@x", "References: <a@x> <b@x>\n", "Re: Re: topic", "c")
                                 MSG("b@x", "In-Reply-To: <a@x>\n", "Re: topic", "b")
                                 MSG("other@x", "", "unrelated", "o")
                                 MSG("a@x", "", "topic", "a"));
    reader_ok(a);
    ck_assert_uint_eq(a->n_threads, 2);
    tu_thread *t = &a->threads[0];
    ck_assert_str_eq(t->title, "topic");
    ck_assert_str_eq(t->source, "mbox");
    ck_assert_uint_eq(t->n_posts, 3);
    /* file order within the thread; parents from the references */
    ck_assert_str_eq(t->posts[0].id, "c@x");
    ck_assert_str_eq(t->posts[0].parent_id, "b@x");
    ck_assert_str_eq(t->posts[1].id, "b@x");
    ck_assert_str_eq(t->posts[1].parent_id, "a@x");
    ck_assert_str_eq(t->posts[2].id, "a@x");
    ck_assert_ptr_null(t->posts[2].parent_id);
    ck_assert_str_eq(t->posts[2].body, "a\n"); /* the blank line is the separator */
    /* the subject is kept only when the writer would not write it so: the
     * title on a thread's first post, "Re: " and the title on the others */
    ck_assert_str_eq(extra(&t->posts[0].extras, "mbox.subject"), "Re: Re: topic");
    ck_assert_str_eq(extra(&t->posts[1].extras, "mbox.subject"), "(absent)");
    ck_assert_str_eq(extra(&t->posts[2].extras, "mbox.subject"), "topic");
    ck_assert_str_eq(extra(&a->threads[1].posts[0].extras, "mbox.subject"), "(absent)");
    ck_assert_str_eq(a->threads[1].title, "unrelated");
    tu_archive_free(a);
}
END_TEST

START_TEST(threading_missing_parents_and_subjects)
{
    /* two replies to a message that is not in the file: one thread, no
     * parents; a "Re:" without references joins its subject's thread */
    tu_archive *a = read_str(MSG("r1@x", "In-Reply-To: <gone@x>\n", "Re: lost", "1")
                                 MSG("r2@x", "References: <gone@x>\n", "Re: lost", "2")
                                 MSG("s@x", "", "Subject fallback", "s")
                                 MSG("t@x", "", "Re: Subject fallback", "t")
                                 MSG("e1@x", "", "", "e1")
                                 MSG("e2@x", "", "", "e2"));
    reader_ok(a);
    ck_assert_uint_eq(a->n_threads, 4);
    ck_assert_str_eq(a->threads[0].title, "lost");
    ck_assert_uint_eq(a->threads[0].n_posts, 2);
    ck_assert_ptr_null(a->threads[0].posts[0].parent_id);
    ck_assert_ptr_null(a->threads[0].posts[1].parent_id);
    ck_assert_str_eq(a->threads[1].title, "Subject fallback");
    ck_assert_uint_eq(a->threads[1].n_posts, 2);
    ck_assert_str_eq(a->threads[1].posts[1].parent_id, "s@x");
    /* empty subjects are never grouped */
    ck_assert_uint_eq(a->threads[2].n_posts, 1);
    ck_assert_uint_eq(a->threads[3].n_posts, 1);
    tu_archive_free(a);
}
END_TEST

START_TEST(threading_loops_and_duplicates)
{
    /* a and b claim each other as parent; a duplicate Message-ID */
    tu_archive *a = read_str(MSG("a@x", "In-Reply-To: <b@x>\n", "loop", "a")
                                 MSG("b@x", "In-Reply-To: <a@x>\n", "Re: loop", "b")
                                 MSG("a@x", "", "copy", "dup")
                                 MSG("self@x", "References: <self@x>\n", "self", "s"));
    reader_ok(a);
    ck_assert_uint_eq(a->n_threads, 3);
    tu_thread *t = &a->threads[0];
    ck_assert_uint_eq(t->n_posts, 2);
    /* exactly one of them is the other's parent: no cycle */
    ck_assert((t->posts[0].parent_id == NULL) != (t->posts[1].parent_id == NULL));
    ck_assert_str_eq(a->threads[1].posts[0].id, "3"); /* the duplicate gets its number */
    ck_assert_ptr_null(a->threads[2].posts[0].parent_id);
    tu_archive_free(a);
}
END_TEST

/* ---------------------------------------------------------------- the index */

/* Read text with -O mbox.index-memory=kib (NULL: the default), into an
 * archive, as tu_read_memory does. */
static tu_archive *read_indexed(const char *text, size_t len, const char *kib)
{
    tc_stream *in = tc_stream_open_memory(text, len, "index.mbox");
    ck_assert_ptr_nonnull(in);
    if (kib) {
        tc_option_value v = {"mbox", "index-memory", kib};
        tc_error err;
        ck_assert_int_eq(tc_stream_set_options(in, PLUGIN, &v, 1, &err), TC_OK);
    }
    tu_archive *a = tu_archive_new();
    void *st = NULL;
    int rc = PLUGIN->read_open(in, &st);
    if (rc == TC_OK) {
        const tc_thread *t;
        while ((rc = PLUGIN->read_next_thread(in, st, &t)) == TC_OK) {
            tu_thread *tt = tu_add_thread(a, t->title, t->source, t->id, t->url);
            for (size_t i = 0; i < t->extras.count; i++)
                tu_set_extra(&tt->extras, t->extras.items[i].key, t->extras.items[i].value);
            const tc_post *p;
            while ((rc = PLUGIN->read_next_post(in, st, &p)) == TC_OK) {
                tu_post *tp = tu_add_post_n(tt, p->id, p->author, p->date, p->body,
                                            p->body_len, p->parent_id);
                for (size_t i = 0; i < p->extras.count; i++)
                    tu_set_extra(&tp->extras, p->extras.items[i].key, p->extras.items[i].value);
            }
            if (rc != TC_EOF)
                break;
        }
        if (rc == TC_EOF)
            rc = TC_OK;
        PLUGIN->read_close(in, st);
    }
    a->rc = rc;
    a->err = *tc_stream_get_error(in);
    tc_stream_close(in);
    return a;
}

/* The reader promises the core UTF-8 (TC_FORMAT_READS_UTF8): check it. */
static void utf8_ok(const char *s, size_t len, const char *what)
{
    ck_assert_msg(s == NULL || tc_utf8_valid(s, len, NULL, NULL), "%s is not UTF-8", what);
}

static void fields_utf8(const tc_fields *f)
{
    for (size_t i = 0; i < f->count; i++) {
        utf8_ok(f->items[i].key, strlen(f->items[i].key), "an extra key");
        utf8_ok(f->items[i].value, strlen(f->items[i].value), "an extra value");
    }
}

static void all_utf8(const tu_archive *a)
{
    for (size_t i = 0; i < a->n_threads; i++) {
        const tu_thread *t = &a->threads[i];
        utf8_ok(t->title, strlen(t->title), "a title");
        utf8_ok(t->source, strlen(t->source), "a source");
        utf8_ok(t->id, t->id ? strlen(t->id) : 0, "a thread id");
        utf8_ok(t->url, t->url ? strlen(t->url) : 0, "a thread url");
        fields_utf8(&t->extras);
        for (size_t j = 0; j < t->n_posts; j++) {
            const tu_post *p = &t->posts[j];
            utf8_ok(p->id, strlen(p->id), "a post id");
            utf8_ok(p->author, strlen(p->author), "an author");
            utf8_ok(p->body, p->body_len, "a body");
            utf8_ok(p->parent_id, p->parent_id ? strlen(p->parent_id) : 0, "a parent id");
            fields_utf8(&p->extras);
        }
    }
}

/*
 * A mailbox of n messages where every threading rule is at work: replies
 * to recent and to old messages, References chains, In-Reply-To alone,
 * parents missing from the file, replies before their parents, duplicate
 * Message-IDs, messages without one, self references, references that
 * disagree (loops), unlinked trees that share a subject, Re: prefixes.
 * Deterministic.  (free())
 */
static char *tangled_mailbox(unsigned n, size_t *len)
{
    tc_buf b = {0};
    uint32_t x = 2463534242u;
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        unsigned kind = x % 16, old = i ? (x >> 4) % i : 0;
        unsigned near = i > 8 ? i - 1 - (x >> 8) % 8 : old;
        ck_assert_int_eq(tc_buf_printf(&b, "From a@b Mon Sep 17 00:00:00 2001\n"), TC_OK);
        if (kind == 1 && i > 0)
            tc_buf_printf(&b, "Message-ID: <%u@x>\n", old); /* a duplicate */
        else if (kind != 2)
            tc_buf_printf(&b, "Message-ID: <%u@x>\n", i);
        switch (kind) {
        case 3: case 4: case 5:
            tc_buf_printf(&b, "References: <%u@x> <%u@x>\n", old, near);
            break;
        case 6: case 7:
            tc_buf_printf(&b, "In-Reply-To: <%u@x>\n", near);
            break;
        case 8:
            tc_buf_printf(&b, "In-Reply-To: <gone%u@x>\n", old % 50);
            break;
        case 9:
            tc_buf_printf(&b, "References: <%u@x>\n", i + 3); /* a later message */
            break;
        case 10:
            tc_buf_printf(&b, "References: <%u@x> <%u@x>\n", near, i); /* itself */
            break;
        case 11:
            tc_buf_printf(&b, "References: <%u@x> <%u@x>\n <%u@x>\n", i + 1, near, i + 2);
            break;
        }
        unsigned topic = (x >> 12) % (n / 6 + 1);
        tc_buf_printf(&b, "Subject: %s topic  %u\n\nmessage %u\n\n",
                      (x >> 20) % 3 == 0 ? "Re:" : (x >> 20) % 3 == 1 ? "RE: Fwd:" : "", topic, i);
    }
    ck_assert_ptr_nonnull(b.data);
    *len = b.len;
    return b.data;
}

START_TEST(index_in_a_file)
{
    /* An index that does not fit in index-memory goes to a temporary file
     * through the page cache: the archive is the same, whatever part of it
     * was written out and read back.  (This test program is built with
     * MBOX_WEAK_HASH: ids and subjects share hashes all the time, so it
     * also shows that strings, not hashes, decide.) */
    size_t len;
    char *text = tangled_mailbox(3000, &len);
    tu_archive *in_memory = read_indexed(text, len, NULL);
    reader_ok(in_memory);
    all_utf8(in_memory);
    /* every message once; parents are posts of the same thread; no loops */
    ck_assert_uint_eq(n_posts(in_memory), 3000);
    ck_assert_uint_gt(in_memory->n_threads, 50);
    for (size_t i = 0; i < in_memory->n_threads; i++) {
        const tu_thread *t = &in_memory->threads[i];
        for (size_t j = 0; j < t->n_posts; j++) {
            const char *parent = t->posts[j].parent_id;
            for (size_t steps = 0; parent; steps++) {
                ck_assert_uint_le(steps, t->n_posts);
                const tu_post *q = NULL;
                for (size_t k = 0; k < t->n_posts && q == NULL; k++)
                    if (strcmp(t->posts[k].id, parent) == 0)
                        q = &t->posts[k];
                ck_assert_msg(q != NULL, "parent %s is not in thread %zu", parent, i + 1);
                parent = q->parent_id;
            }
        }
    }
    for (size_t k = 0; k < 3; k++) {
        const char *kib[] = {"16", "40", "200"};
        tu_archive *spilled = read_indexed(text, len, kib[k]);
        tu_archives_equal(in_memory, spilled);
        tu_archive_free(spilled);
    }
    tu_archive_free(in_memory);
    free(text);

    /* the corpus too, and our own messages */
    const char *names[] = {"git-rfc2047-samples.mbox",
                           "git-sample-mixed-charsets.mbox",
                           "mailbox-perl-imagemagick-list.mbox",
                           "patchwork-crlf-pull-request.mbox",
                           "tika-complex-thread.mbox",
                           "patchwork-invalid-utf8-headers.mbox"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "corpus/mbox/%s", names[i]);
        char *path = tu_path("THREADCONV_SHARED", rel);
        size_t n;
        char *data = tu_slurp(path, &n);
        tu_archive *a = read_indexed(data, n, NULL), *b = read_indexed(data, n, "16");
        reader_ok(a);
        all_utf8(a);
        tu_archives_equal(a, b);
        tu_archive_free(a);
        tu_archive_free(b);
        free(data);
        free(path);
    }
}
END_TEST

START_TEST(equal_hashes)
{
    /* With MBOX_WEAK_HASH every id and subject here has one of four
     * hashes: none of them may join what the strings keep apart. */
    tu_archive *a = read_str(MSG("a@x", "", "alpha", "1")
                                 MSG("b@x", "", "beta", "2")
                                 MSG("c@x", "In-Reply-To: <b@x>\n", "Re: beta", "3")
                                 MSG("d@x", "In-Reply-To: <a@x>\n", "Re: alpha", "4")
                                 MSG("e@x", "References: <zz@x>\n", "Re: gamma", "5")
                                 MSG("f@x", "References: <yy@x>\n", "Re: delta", "6")
                                 MSG("g@x", "", "Re: alpha", "7")
                                 MSG("h@x", "", "ALPHA", "8"));
    reader_ok(a);
    ck_assert_uint_eq(a->n_threads, 5);
    ck_assert_str_eq(a->threads[0].title, "alpha");
    ck_assert_uint_eq(a->threads[0].n_posts, 3); /* a, d, g (same subject, no references) */
    ck_assert_str_eq(a->threads[0].posts[1].id, "d@x");
    ck_assert_str_eq(a->threads[0].posts[1].parent_id, "a@x");
    ck_assert_str_eq(a->threads[0].posts[2].id, "g@x");
    ck_assert_str_eq(a->threads[0].posts[2].parent_id, "a@x");
    ck_assert_str_eq(a->threads[1].title, "beta");
    ck_assert_uint_eq(a->threads[1].n_posts, 2);
    ck_assert_str_eq(a->threads[1].posts[1].parent_id, "b@x");
    ck_assert_str_eq(a->threads[2].title, "gamma");
    ck_assert_uint_eq(a->threads[2].n_posts, 1);
    ck_assert_str_eq(a->threads[3].title, "delta");
    ck_assert_uint_eq(a->threads[3].n_posts, 1);
    ck_assert_str_eq(a->threads[4].title, "ALPHA"); /* subjects match exactly, case too */
    tu_archive_free(a);
}
END_TEST

/* ---------------------------------------------------------------- Content-Length */

/* Separators without a date (Netscape's and Thunderbird's "From - ",
 * "From 1844...@xxx"): a message starts there when a header block follows
 * (one field messages have after a blank line, two without one); body
 * text that starts "From " stays text. */
START_TEST(separators_without_dates)
{
    tu_archive *a = read_str("\xEF\xBB\xBF" "From - \nFrom: a@x\nSubject: one\n\nbody one\n"
                             "From - \nMessage-ID: <2@x>\nDate: Thu, 13 Jun 1996 23:25:49 -0700\n"
                             "Subject: two\n\nFrom Russia with love\nYear: 1963\n\n"
                             "From Russia with love\n\nthe end\n\n"
                             "From 1844347792267117879@xxx\nMIME-Version: 1.0\nSubject: three\n\n"
                             "three\n\n"
                             "From - Mon Jun  3 12:50:27 1996\nSubject: four\n\nfour\n");
    reader_ok(a);
    ck_assert_uint_eq(n_posts(a), 4);
    ck_assert_str_eq(a->n_warnings ? a->warnings : "", ""); /* the BOM is no text */
    ck_assert_str_eq(a->threads[0].title, "one");
    ck_assert_str_eq(a->threads[0].posts[0].body, "body one\n");
    ck_assert_str_eq(a->threads[0].posts[0].author, "a@x");
    ck_assert_str_eq(a->threads[1].title, "two");
    ck_assert_str_eq(a->threads[1].posts[0].body,
                     "From Russia with love\nYear: 1963\n\nFrom Russia with love\n\nthe end\n");
    ck_assert_str_eq(a->threads[2].title, "three");
    ck_assert_str_eq(a->threads[3].title, "four");
    char iso[TC_ISO_DATE_SIZE];
    ck_assert_str_eq(tu_iso(a->threads[3].posts[0].date, iso), "1996-06-03T12:50:27+00:00");
    ck_assert(!a->threads[0].posts[0].date.present); /* no Date:, no date on the From_ line */
    tu_archive_free(a);

    /* one field after it and no blank line before: text, with a warning */
    a = read_str("From - \nSubject: one\n\ntext\nFrom someone\nSubject: quoted\n");
    reader_ok(a);
    ck_assert_uint_eq(n_posts(a), 1);
    ck_assert_str_eq(a->threads[0].posts[0].body, "text\nFrom someone\nSubject: quoted\n");
    ck_assert_str_eq(a->warnings, "test.mbox:5: a From_ line without a date and a header field "
                                  "after it, but no blank line before it: read as text of "
                                  "message 1, not as the start of another\n");
    tu_archive_free(a);
    /* the probe knows them */
    const char *ns = "From - \r\nReturn-Path: <>\r\n";
    ck_assert_int_eq(PLUGIN->read_probe((const unsigned char *)ns, strlen(ns), "-"),
                     TC_PROBE_SURE);
    const char *txt = "From here to eternity\nand more\n";
    ck_assert_int_eq(PLUGIN->read_probe((const unsigned char *)txt, strlen(txt), "-"),
                     TC_PROBE_NO);
}
END_TEST

START_TEST(content_length)
{
    /* mboxcl2: the length covers a body with unquoted From_ lines */
    tu_archive *a = read_str("From a@b Mon Sep 17 00:00:00 2001\n"
                             "Subject: one\nContent-Length: 46\n\n"
                             "From x@y Mon Sep 17 00:00:00 2001\n>From kept\n\n\n"
                             "From a@b Mon Sep 17 00:00:00 2001\n"
                             "Subject: two\nContent-Length: 3\n\nok\n");
    reader_ok(a);
    ck_assert_uint_eq(n_posts(a), 2);
    ck_assert_str_eq(a->threads[0].posts[0].body,
                     "From x@y Mon Sep 17 00:00:00 2001\n>From kept\n\n");
    ck_assert_str_eq(a->threads[1].posts[0].body, "ok\n");
    tu_archive_free(a);

    /* a wrong length is not trusted: the From_ lines split the messages */
    a = read_str("From a@b Mon Sep 17 00:00:00 2001\nSubject: one\nContent-Length: 5\n\n"
                 "first body\n\nFrom a@b Mon Sep 17 00:00:00 2001\nSubject: two\n"
                 "Content-Length: 999\n\nsecond\n");
    reader_ok(a);
    ck_assert_uint_eq(n_posts(a), 2);
    ck_assert_str_eq(a->threads[0].posts[0].body, "first body\n");
    ck_assert_str_eq(a->threads[1].posts[0].body, "second\n");
    tu_archive_free(a);
}
END_TEST

/* ---------------------------------------------------------------- the corpus */

static char *shared_text(const char *rel)
{
    char *path = tu_path("THREADCONV_SHARED", rel);
    char *text = tu_slurp(path, NULL);
    free(path);
    return text;
}

START_TEST(corpus_git_sample_mboxrd)
{
    tu_archive *a = read_corpus("git-sample.mboxrd");
    ck_assert_uint_eq(a->n_threads, 2);
    ck_assert_uint_eq(n_posts(a), 2);
    for (int i = 0; i < 2; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "corpus/mbox/git-sample.mboxrd.expected-body-%d.txt", i + 1);
        char *want = shared_text(rel);
        /* git's mailsplit keeps the separator, the blank line before the
         * next From_ line (and at the end); RFC 4155, mutt and Python's
         * mailbox do not, and neither does the reader: git's body less
         * that line */
        size_t wn = strlen(want);
        ck_assert(wn >= 2 && want[wn - 1] == '\n' && want[wn - 2] == '\n');
        want[wn - 1] = '\0';
        ck_assert_str_eq(a->threads[i].posts[0].body, want);
        ck_assert_str_eq(a->threads[i].posts[0].author, "mboxrd writer");
        free(want);
    }
    ck_assert_str_eq(a->threads[0].title, "[PATCH] a commit with escaped From lines");
    ck_assert_str_eq(a->n_warnings ? a->warnings : "", "");
    tu_archive_free(a);
}
END_TEST

START_TEST(corpus_small_files)
{
    char iso[TC_ISO_DATE_SIZE];
    tu_archive *a = read_corpus("git-quoted-from.mbox");
    ck_assert_uint_eq(n_posts(a), 1);
    ck_assert_str_eq(a->threads[0].posts[0].body,
                     "From the depths of history, we are stuck with the\nflaky mbox format.\n\n"
                     "---\npatch\n");
    ck_assert_str_eq(tu_iso(a->threads[0].posts[0].date, iso), "2008-05-25T00:38:18-07:00");
    tu_archive_free(a);

    a = read_corpus("git-rfc2047-samples.mbox");
    ck_assert_uint_eq(n_posts(a), 11);
    ck_assert_uint_eq(a->n_threads, 7); /* the same subjects are grouped */
    ck_assert_str_eq(a->threads[0].title, "If you can read this you understand the example.");
    ck_assert_str_eq(a->threads[0].posts[0].author, "Keith Moore");
    ck_assert_str_eq(extra(&a->threads[0].posts[0].extras, "mbox.to"),
                     "Keld J\xC3\xB8rn Simonsen <keld@dkuug.dk>");
    ck_assert_str_eq(a->threads[1].posts[0].author, "Olle J\xC3\xA4rnefors");
    ck_assert_str_eq(a->threads[2].posts[0].author, "Patrik F\xC3\xA4ltstr\xC3\xB6m");
    ck_assert_str_eq(a->threads[2].title, "RFC-HDR care and feeding");
    /* the name in a comment, Hebrew (ISO8859-8) */
    ck_assert_str_eq(a->threads[3].posts[0].author, "Nathaniel Borenstein");
    ck_assert_str_eq(a->threads[4].title, "(a)");
    ck_assert_str_eq(a->threads[5].title, "(a b)");
    ck_assert_uint_eq(a->threads[5].n_posts, 3);
    ck_assert_str_eq(a->threads[6].title, "(ab)");
    ck_assert_uint_eq(a->threads[6].n_posts, 3);
    ck_assert_str_eq(a->threads[0].posts[0].body, ""); /* headers only */
    tu_archive_free(a);

    a = read_corpus("tika-simple-no-trailing-newline.mbox");
    ck_assert_uint_eq(a->n_threads, 2);
    ck_assert_str_eq(a->threads[0].posts[0].body, "Test content 1\n");
    ck_assert_str_eq(a->threads[1].posts[0].body, "Test content 2");
    ck_assert_str_eq(a->threads[0].posts[0].author, "");
    ck_assert_str_eq(tu_iso(a->threads[0].posts[0].date, iso), "2009-06-01T10:00:00+00:00");
    tu_archive_free(a);

    a = read_corpus("tika-complex-thread.mbox");
    ck_assert_uint_eq(a->n_threads, 1);
    tu_thread *t = &a->threads[0];
    ck_assert_uint_eq(t->n_posts, 3);
    ck_assert_str_eq(t->title, "question about when shuffle/sort start working");
    ck_assert_ptr_null(t->posts[0].parent_id);
    ck_assert_str_eq(t->posts[1].parent_id, t->posts[0].id);
    ck_assert_str_eq(t->posts[2].parent_id, t->posts[1].id);
    tu_archive_free(a);

    a = read_corpus("patchwork-multipart-comment-reply.mbox");
    ck_assert_uint_eq(n_posts(a), 1);
    t = &a->threads[0];
    ck_assert_ptr_null(t->posts[0].parent_id); /* its parent is not in the file */
    ck_assert_uint_eq(t->posts[0].n_attachments, 1); /* the HTML alternative */
    ck_assert_str_eq(t->posts[0].attachments[0].media_type, "text/html");
    ck_assert_str_eq(extra(&t->posts[0].extras, "mbox.alternative"), "1");
    ck_assert_ptr_null(strstr(t->posts[0].body, "<html"));
    ck_assert_str_eq(t->posts[0].body, "Yup, this looks sensible to me. Replying from Outlook's "
                                       "awful HTML editor to get\na sample comment to test "
                                       "with.\n\nStephen\n\n");
    tu_archive_free(a);

    a = read_corpus("patchwork-crlf-pull-request.mbox");
    ck_assert_uint_eq(n_posts(a), 1);
    ck_assert_ptr_null(strchr(a->threads[0].posts[0].body, '\r'));
    ck_assert_str_eq(a->threads[0].title, "[git pull] Please pull powerpc.git next branch");
    tu_archive_free(a);

    a = read_corpus("patchwork-invalid-utf8-headers.mbox");
    ck_assert_uint_eq(n_posts(a), 1);
    t = &a->threads[0];
    ck_assert_str_eq(t->posts[0].author, "Rafa\xC5\x82 Mi\xC5\x82""ecki");
    ck_assert_ptr_nonnull(strstr(extra(&t->posts[0].extras, "mbox.cc"),
                                 "Rafa\xC3\xBF\xC3\xBF Mi\xC3\xBF\xC3\xBF""ecki <zajec5@gmail.com>"));
    ck_assert_str_eq(extra(&t->posts[0].extras, "mbox.undecodable"),
                     "Cc header: 4 bytes not valid in its charset read as ISO-8859-1");
    ck_assert_uint_eq(a->n_warnings, 1);
    ck_assert_ptr_nonnull(strstr(a->warnings, "message 1:"));
    tu_archive_free(a);
}
END_TEST

START_TEST(corpus_mixed_charsets)
{
    tu_archive *a = read_corpus("git-sample-mixed-charsets.mbox");
    ck_assert_uint_eq(n_posts(a), 18);
    ck_assert_uint_eq(a->n_threads, 14);
    ck_assert_str_eq(a->n_warnings ? a->warnings : "", ""); /* leading blank lines are not junk */
    /* "A (zzz) U Thor <...> (Comment)" */
    ck_assert_str_eq(a->threads[0].posts[0].author, "A U Thor");
    /* two "[PATCH] another patch" and their "re:" replies */
    tu_thread *t = &a->threads[1];
    ck_assert_str_eq(t->title, "[PATCH] another patch");
    ck_assert_uint_eq(t->n_posts, 4);
    ck_assert_str_eq(t->posts[1].parent_id, t->posts[0].id);
    ck_assert_str_eq(t->posts[0].id, "2");
    t = &a->threads[2];
    ck_assert_str_eq(t->posts[0].author, "YOSHIFUJI Hideaki / \xE5\x90\x89\xE8\x97\xA4\xE8\x8B\xB1"
                                         "\xE6\x98\x8E");
    ck_assert_str_eq(t->posts[0].id, "20050721.091036.01119516.yoshfuji@linux-ipv6.org");
    /* an ISO8859-1 quoted-printable body */
    ck_assert_str_eq(a->threads[3].posts[0].author, "David K\xC3\xA5gedal");
    ck_assert_ptr_nonnull(strstr(a->threads[3].posts[0].body, "K\xC3\xA5gedal"));
    /* a folded subject of three UTF-8 B words */
    ck_assert_str_eq(a->threads[7].title,
                     "[Navy-patches] [PATCH]\t\xD0\x98\xD0\xB7\xD0\xBC\xD0\xB5\xD0\xBD\xD1\x91"
                     "\xD0\xBD \xD1\x81\xD0\xBF\xD0\xB8\xD1\x81\xD0\xBE\xD0\xBA \xD0\xBF\xD0\xB0"
                     "\xD0\xBA\xD0\xB5\xD1\x82\xD0\xBE\xD0\xB2 \xD0\xBD\xD0\xB5\xD0\xBE\xD0\xB1"
                     "\xD1\x85\xD0\xBE\xD0\xB4\xD0\xB8\xD0\xBC\xD1\x8B\xD1\x85 \xD0\xB4\xD0\xBB"
                     "\xD1\x8F \xD1\x81\xD0\xB1\xD0\xBE\xD1\x80\xD0\xBA\xD0\xB8");
    ck_assert_str_eq(a->threads[8].posts[0].author, "A U Thor"); /* <addr> (A U Thor) */
    tu_archive_free(a);
}
END_TEST

START_TEST(corpus_imagemagick_and_crlf_twin)
{
    tu_archive *a = read_corpus("mailbox-perl-imagemagick-list.mbox");
    ck_assert_uint_eq(n_posts(a), 45);
    ck_assert_uint_eq(a->n_threads, 22);
    ck_assert_str_eq(a->threads[0].title, "File Conversion From HTML to PS and TIFF");
    ck_assert_uint_eq(a->threads[0].n_posts, 3);
    ck_assert_str_eq(a->threads[1].title, "Transparency question");
    ck_assert_uint_eq(a->threads[1].n_posts, 5);
    /* the LF file and its CRLF twin read the same */
    size_t len;
    char *lf = shared_text("corpus/mbox/mailbox-perl-imagemagick-list.mbox");
    len = strlen(lf);
    char *crlf = malloc(2 * len + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (lf[i] == '\n')
            crlf[k++] = '\r';
        crlf[k++] = lf[i];
    }
    crlf[k] = '\0';
    tu_archive *b = tu_read_memory(PLUGIN, crlf, k, "twin.mbox");
    reader_ok(b);
    tu_archives_equal(a, b);
    tu_archive_free(a);
    tu_archive_free(b);
    free(lf);
    free(crlf);
}
END_TEST

/* ---------------------------------------------------------------- round trip */

static void add_post(tu_thread *t, const char *id, const char *author, tc_date date,
                     const char *body, size_t body_len, const char *parent)
{
    t->posts = realloc(t->posts, (t->n_posts + 1) * sizeof *t->posts);
    tu_post *p = &t->posts[t->n_posts++];
    memset(p, 0, sizeof *p);
    p->id = strdup(id);
    p->author = strdup(author);
    p->date = date;
    p->body = malloc(body_len + 1);
    memcpy(p->body, body, body_len);
    p->body[body_len] = '\0';
    p->body_len = body_len;
    p->parent_id = parent ? strdup(parent) : NULL;
}

static tu_thread *add_thread(tu_archive *a, const char *title, const char *source)
{
    a->threads = realloc(a->threads, (a->n_threads + 1) * sizeof *a->threads);
    tu_thread *t = &a->threads[a->n_threads++];
    memset(t, 0, sizeof *t);
    t->title = strdup(title);
    t->source = strdup(source);
    return t;
}

#define B(s) s, sizeof(s) - 1

static tu_archive *tricky_archive(bool with_gt_from)
{
    tu_archive *a = calloc(1, sizeof *a);
    a->warnings = strdup("");
    tc_date none = {0, 0, false};
    tc_date d1 = tc_date_from_fields(2021, 2, 4, 21, 33, 59, 0);
    tc_date d2 = tc_date_from_fields(2021, 6, 4, 21, 33, 59, 330);
    tc_date d3 = tc_date_from_fields(2020, 1, 1, 0, 0, 0, -480);
    tc_date old = tc_date_from_fields(1850, 3, 1, 12, 0, 0, 0);

    tu_thread *t = add_thread(a, "Caf\xC3\xA9 \xE2\x80\x9C" "chat\xE2\x80\x9D and a rather long title "
                                 "that has to be folded when written", "mumsnet");
    tc_fields_set(&t->extras, "mumsnet.layout", "classic");
    tc_fields_set(&t->extras, "mumsnet.preamble", "line one\nline two  \n\tthree");
    tc_fields_set(&t->extras, "Odd Key_\xC3\xA9", "v");
    add_post(t, "1", "Daffodil72", d1, B("Or not? Just wondered."), NULL);
    tc_fields_set(&t->posts[0].extras, "mumsnet.op", "true");
    add_post(t, "2", "", d2, B(""), NULL);
    add_post(t, "3", "\xC3\x9Cn\xC3\xAF\x63ode User", none, B("trailing   \n\n\nblank lines\n"),
             NULL);
    add_post(t, "4", "Ann \"the\" O'Neil, Jr.", d3, B("ends with two newlines\n\n"), NULL);
    add_post(t, "5", "  spaced  name ", old, B("CR\r in a line\r\nand CRLF\r\n"), NULL);
    if (with_gt_from)
        add_post(t, "6", "x", d1, B("From start\n>From quoted\n>>From twice\nFrom"), NULL);
    else
        add_post(t, "6", "x", d1, B("From start\nFrom\n From"), NULL);
    add_post(t, "7", "=?utf-8?q?fake?=", d1, B(".\n..\n=3D\n"), NULL);

    /* a tree with real parents (including one outside the thread) */
    t = add_thread(a, "Re: a title that looks like a reply", "reddit");
    t->id = strdup("t3_abc");
    t->url = strdup("https://example.org/r/abc?x=1&y=2");
    add_post(t, "t1_a", "alice", d1, B("root"), NULL);
    add_post(t, "t1_b", "bob", d1, B("child"), "t1_a");
    add_post(t, "t1_c", "carol", d1, B("grandchild"), "t1_b");
    add_post(t, "id with spaces/\xC3\xA9", "dave", d1, B("orphan"), "t1_missing");
    add_post(t, "t1_e", "erin", d1, B("second root"), NULL);
    tc_fields_set(&t->posts[4].extras, "score", "42");

    /* a thread without posts, and two threads alike */
    add_thread(a, "", "jsonl");
    t = add_thread(a, "same", "mumsnet");
    add_post(t, "1", "a", d1, B("same"), NULL);
    t = add_thread(a, "same", "mumsnet");
    add_post(t, "1", "a", d1, B("same"), NULL);
    return a;
}

static void roundtrip(const tu_archive *a, const tc_option_value *opts, size_t n)
{
    char *text = write_archive(a, opts, n);
    tu_archive *b = tu_read_memory(PLUGIN, text, strlen(text), "roundtrip.mbox");
    reader_ok(b);
    ck_assert_msg(b->n_warnings == 0, "warnings: %s", b->warnings);
    tu_archives_equal(a, b);
    /* deterministic: the same input writes the same bytes */
    char *again = write_archive(a, opts, n);
    ck_assert_str_eq(text, again);
    /* no header line over 78 characters */
    const char *p = text;
    bool head = false;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (strncmp(p, "From ", 5) == 0)
            head = true;
        else if (len == 0)
            head = false;
        else if (head)
            ck_assert_msg(len <= 78, "header line of %zu: %.*s", len, (int)len, p);
        p += len + (nl ? 1 : 0);
    }
    free(text);
    free(again);
    tu_archive_free(b);
}

START_TEST(roundtrip_variants)
{
    tu_archive *a = tricky_archive(true);
    roundtrip(a, NULL, 0);
    tc_option_value cl = {"mbox", "variant", "mboxcl2"};
    roundtrip(a, &cl, 1);
    tc_option_value qp[2] = {{"mbox", "encoding", "quoted-printable"},
                             {"mbox", "variant", "mboxrd"}};
    roundtrip(a, qp, 2);
    tc_option_value qpcl[2] = {{"mbox", "encoding", "quoted-printable"},
                               {"mbox", "variant", "mboxcl2"}};
    roundtrip(a, qpcl, 2);
    tu_archive_free(a);
    /* mboxo cannot tell ">From" written by the author from a quoted "From":
     * exact only without such lines */
    a = tricky_archive(false);
    tc_option_value o = {"mbox", "variant", "mboxo"};
    char *text = write_archive(a, &o, 1);
    tu_archive *b = tu_read_memory(PLUGIN, text, strlen(text), "o.mbox");
    reader_ok(b);
    tu_archives_equal(a, b);
    free(text);
    tu_archive_free(b);
    tu_archive_free(a);
}
END_TEST

START_TEST(writer_headers)
{
    tu_archive *a = tricky_archive(true);
    char *text = write_archive(a, NULL, 0);
    /* the first message of the first thread, header by header */
    ck_assert_ptr_nonnull(strstr(text, "From daffodil72@mumsnet.threadconv.invalid Thu Feb  4 "
                                       "21:33:59 2021\nFrom: Daffodil72 "
                                       "<daffodil72@mumsnet.threadconv.invalid>\n"
                                       "Date: Thu, 04 Feb 2021 21:33:59 +0000\nSubject:"));
    ck_assert_ptr_nonnull(strstr(text, "\nDate: Fri, 04 Jun 2021 21:33:59 +0530\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nFrom: \"Ann \\\"the\\\" O'Neil, Jr.\"\n <"));
    ck_assert_ptr_nonnull(strstr(text, "\nMIME-Version: 1.0\nContent-Type: text/plain; "
                                       "charset=utf-8\nContent-Transfer-Encoding: 8bit\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nX-Threadconv-Extra-mumsnet.op: true\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nX-Threadconv-Source: mumsnet\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nX-Threadconv-Thread-Extra-_4Fdd_20_4Bey_5F_C3_A9: v\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nX-Threadconv-Date: 1850-03-01T12:00:00+00:00\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nX-Threadconv-Empty-Thread: yes\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nX-Threadconv-Parent: t1_b\n"));
    /* the post without a date has no Date: header; its From_ line has the epoch */
    const char *p3 = strstr(text, "\nX-Threadconv-Id: 3\n");
    ck_assert_ptr_nonnull(p3);
    const char *m3 = text;
    for (const char *q = strstr(text, "\nFrom "); q && q < p3; q = strstr(q + 1, "\nFrom "))
        m3 = q + 1;
    ck_assert_ptr_nonnull(strstr(m3, "Thu Jan  1 00:00:00 1970\n"));
    ck_assert(strstr(m3, "\nDate:") == NULL || strstr(m3, "\nDate:") > p3);
    /* every Message-ID has an @; replies name the first post and the chain */
    int msgids = 0;
    for (const char *q = strstr(text, "\nMessage-ID: <"); q; q = strstr(q + 1, "\nMessage-ID: <")) {
        const char *e = strchr(q + 1, '\n');
        ck_assert_ptr_nonnull(memchr(q, '@', (size_t)(e - q)));
        msgids++;
    }
    ck_assert_int_eq(msgids, 7 + 5 + 1 + 1 + 1);
    const char *c = strstr(text, "\nX-Threadconv-Id: t1_c\n");
    ck_assert_ptr_nonnull(c);
    const char *refs = strstr(text, "<t1_c.");
    ck_assert_ptr_nonnull(refs);
    const char *r = strstr(refs, "\nReferences: <t1_a.");
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(strstr(r, "\n <t1_b.") ? strstr(r, "\n <t1_b.") : strstr(r, " <t1_b."));
    /* two alike threads get different Message-IDs */
    const char *s1 = strstr(text, "Subject: same\n");
    const char *s2 = s1 ? strstr(s1 + 1, "Subject: same\n") : NULL;
    ck_assert_ptr_nonnull(s2);
    const char *id1 = strstr(s1, "Message-ID: "), *id2 = strstr(s2, "Message-ID: ");
    ck_assert(strncmp(id1, id2, 40) != 0);
    free(text);
    tu_archive_free(a);
}
END_TEST

/* ---------------------------------------------------------------- inputs */

START_TEST(junk_and_errors)
{
    tu_archive *a = read_str("some junk\nmore junk\n\nFrom a@b Mon Sep 17 00:00:00 2001\n"
                             "Subject: s\n\nbody\n");
    reader_ok(a);
    ck_assert_uint_eq(n_posts(a), 1);
    ck_assert_str_eq(a->warnings, "test.mbox:1: 2 lines of text before the first From_ line "
                                  "(line 4) skipped\n");
    tu_archive_free(a);

    /* An empty file is an empty mailbox, as mail clients see it. */
    a = read_str("");
    reader_ok(a);
    ck_assert_uint_eq(a->n_threads, 0);
    tu_archive_free(a);
    a = read_str("\nnot mail\nFrom time to time\n");
    ck_assert_int_eq(a->rc, TC_ERR_DATA);
    ck_assert_uint_eq(a->err.line, 2);
    ck_assert_str_eq(a->err.text, "no From_ line found: expected a From_ line like "
                                  "\"From sender@example.org Thu Feb  4 21:33:59 2021\"");
    tu_archive_free(a);
}
END_TEST

START_TEST(bodies_and_warnings)
{
    tu_archive *a = read_str(
        "From a@b Mon Sep 17 00:00:00 2001\nSubject: b64\nDate: Thu, 31 Feb 2021 10:00:00 +0000\n"
        "Content-Type: text/plain; charset=iso-8859-15\nContent-Transfer-Encoding: base64\n\n"
        "pCBldXJv\n\n"
        "From a@b Mon Sep 17 00:00:00 2001\nSubject: utf-8 charset\n"
        "Content-Type: text/plain; charset=UTF-8\n\ncaf\xC3\xA9\n\n"
        "From a@b Mon Sep 17 00:00:00 2001\nSubject: qp latin1\n"
        "Content-Type: text/plain; charset=\"ISO-8859-1\"\nContent-Transfer-Encoding: "
        "quoted-printable\n\nd=E9j=E0 vu=\n soft\n\n"
        "From a@b Mon Sep 17 00:00:00 2001\nSubject: multipart\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed;\n boundary=\"XX\"\n\npreamble\n--XX\n"
        "Content-Type: multipart/alternative; boundary=YY\n\n--YY\n"
        "Content-Type: text/plain; charset=utf-8\n\nthe text\n--YY\n"
        "Content-Type: text/html\n\n<p>the text</p>\n--YY--\n--XX\n"
        "Content-Type: application/pdf; name=\"=?utf-8?q?r=C3=A9sum=C3=A9.pdf?=\"\n"
        "Content-Disposition: attachment\nContent-Transfer-Encoding: base64\n\nJVBERg==\n"
        "--XX--\nepilogue\n\n"
        "From a@b Mon Sep 17 00:00:00 2001\nSubject: html only\n"
        "Content-Type: text/html; charset=utf-8\n\n<b>bold</b>\n");
    reader_ok(a);
    ck_assert_uint_eq(a->n_threads, 5);
    char iso[TC_ISO_DATE_SIZE];
    tu_post *p = &a->threads[0].posts[0];
    ck_assert_str_eq(p->body, "\xE2\x82\xAC euro"); /* 0xA4 is the euro sign in -15 */
    ck_assert_str_eq(tu_iso(p->date, iso), "2001-09-17T00:00:00+00:00"); /* the From_ line's */
    /* the blank line before the next From_ line is the separator */
    p = &a->threads[1].posts[0];
    ck_assert_str_eq(p->body, "caf\xC3\xA9\n");
    p = &a->threads[2].posts[0];
    ck_assert_str_eq(p->body, "d\xC3\xA9j\xC3\xA0 vu soft\n");
    /* the text/plain part is the body; the HTML alternative and the PDF
     * are attachments, transfer-decoded */
    p = &a->threads[3].posts[0];
    ck_assert_str_eq(p->body, "the text");
    ck_assert_uint_eq(p->n_attachments, 2);
    tc_attachment *at = &p->attachments[0];
    ck_assert_str_eq(at->name, "");
    ck_assert_str_eq(at->media_type, "text/html");
    ck_assert_uint_eq(at->size, 15);
    ck_assert_mem_eq(at->data, "<p>the text</p>", 15);
    ck_assert_ptr_null(at->disposition);
    ck_assert_ptr_null(at->content_id);
    at = &p->attachments[1];
    ck_assert_str_eq(at->name, "r\xC3\xA9sum\xC3\xA9.pdf");
    ck_assert_str_eq(at->media_type, "application/pdf");
    ck_assert_uint_eq(at->size, 4);
    ck_assert_mem_eq(at->data, "%PDF", 4);
    ck_assert_str_eq(at->disposition, "attachment");
    ck_assert_str_eq(extra(&p->extras, "mbox.alternative"), "1");
    ck_assert_str_eq(extra(&p->extras, "mbox.related"), "(absent)");
    ck_assert_str_eq(extra(&p->extras, "mbox.part.2"), "(absent)");
    ck_assert_str_eq(extra(&p->extras, "mbox.headers"), "(absent)"); /* all carried */
    /* HTML only: the body is its text, the HTML kept as an attachment */
    p = &a->threads[4].posts[0];
    ck_assert_str_eq(p->body, "bold");
    ck_assert_uint_eq(p->n_attachments, 1);
    ck_assert_str_eq(p->attachments[0].media_type, "text/html");
    ck_assert_uint_eq(p->attachments[0].size, 12);
    ck_assert_mem_eq(p->attachments[0].data, "<b>bold</b>\n", 12);
    ck_assert_str_eq(extra(&p->extras, "mbox.alternative"), "1");
    ck_assert_str_eq(a->warnings,
                     "test.mbox:3: message 1: bad Date header \"Thu, 31 Feb 2021 10:00:00 +0000\": "
                     "impossible date (no such day in that month); the From_ line's date is used "
                     "instead, 2001-09-17T00:00:00+00:00 (UTC)\n");
    tu_archive_free(a);
}
END_TEST

/* What the model does not carry of others' mail, kept for the writers:
 * every other header field raw (folded lines, order, Status: too; 8-bit
 * bytes UTF-8 when valid, else windows-1252), In-Reply-To and References
 * as they were. */
START_TEST(others_headers_kept)
{
    tu_archive *a = read_str(
        "From a@b Mon Sep 17 00:00:00 2001\n"
        "Received: from x.test\n\tby y.test; Mon, 17 Sep 2001 00:00:00 +0000\n"
        "From: Ann <ann@x.test>\nTo: Bob <bob@y.test>,\n Cy <cy@z.test>\n"
        "Subject: hello\nMessage-ID: <1@x.test>\nIn-Reply-To: <0@x.test> (his)\n"
        "References: <a@x.test>\n <0@x.test>\nX-Mailer: caf\xE9 \x93mail\x94\n"
        "X-Utf8: caf\xC3\xA9\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\nStatus: RO\nX-Status: A\n\nbody\n");
    reader_ok(a);
    tu_post *p = &a->threads[0].posts[0];
    ck_assert_str_eq(extra(&p->extras, "mbox.headers"),
                     "Received: from x.test\n\tby y.test; Mon, 17 Sep 2001 00:00:00 +0000\n"
                     "To: Bob <bob@y.test>,\n Cy <cy@z.test>\n"
                     "X-Mailer: caf\xC3\xA9 \xE2\x80\x9Cmail\xE2\x80\x9D\n"
                     "X-Utf8: caf\xC3\xA9\nStatus: RO\nX-Status: A\n");
    ck_assert_str_eq(extra(&p->extras, "mbox.in-reply-to"), "<0@x.test> (his)");
    ck_assert_str_eq(extra(&p->extras, "mbox.references"), "<a@x.test> <0@x.test>");
    ck_assert_str_eq(extra(&p->extras, "mbox.to"), "Bob <bob@y.test>, Cy <cy@z.test>");
    ck_assert_str_eq(extra(&p->extras, "mbox.subject"), "(absent)"); /* it is the title */
    ck_assert_str_eq(p->body, "body\n");
    /* the order of the extra fields */
    const char *keys[] = {"mbox.address", "mbox.to", "mbox.in-reply-to", "mbox.references",
                          "mbox.headers"};
    ck_assert_uint_eq(p->extras.count, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(p->extras.items[i].key, keys[i]);
    tu_archive_free(a);
}
END_TEST

/* MIME structures real mail has: RFC 2231 boundaries and names, an empty
 * multipart first (Outlook Express), a nested multipart that reuses its
 * parent's boundary, message/rfc822 kept whole, multipart/related with
 * the HTML alternative, Content-ID and disposition. */
START_TEST(mime_structures)
{
    tu_archive *a = read_str(
        /* 1: an empty multipart/alternative first: the text after it is the body */
        "From a@b Mon Sep 17 00:00:00 2001\nSubject: 1\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed;\n\tboundary*0=\"=_A\"; boundary*1*=%20x\n\n"
        "--=_A x\nContent-Type: multipart/alternative; boundary=\"=_B\"\n\n\n"
        "--=_A x\nContent-Type: text/plain\n\nthe text\n--=_A x--\n\n"
        /* 2: alternative(plain, related(html, image)), then a forwarded message */
        "From a@b Mon Sep 17 00:00:00 2001\nSubject: 2\n"
        "Content-Type: multipart/mixed; boundary=M\n\n--M\n"
        "Content-Type: multipart/alternative; boundary=A\n\n--A\n"
        "Content-Type: text/plain\n\nplain\n--A\n"
        "Content-Type: multipart/related; boundary=R\n\n--R\n"
        "Content-Type: text/html\n\n<img src=cid:i1>\n--R\n"
        "Content-Type: image/png\nContent-ID: <i1@x>\nContent-Disposition: inline\n"
        "Content-Transfer-Encoding: base64\n\niVBORw==\n--R--\n--A--\n--M\n"
        "Content-Type: message/rfc822\n\nSubject: inner\n\ninner text\n--M\n"
        "Content-Type: application/octet-stream\nContent-Disposition: attachment;\n"
        " filename*=utf-8''r%C3%A9sum%C3%A9.pdf\n\n%PDF\n--M--\n\n"
        /* 3: a nested multipart with its parent's boundary keeps every part */
        "From a@b Mon Sep 17 00:00:00 2001\nSubject: 3\n"
        "Content-Type: multipart/mixed; boundary=S\n\n--S\n"
        "Content-Type: multipart/alternative; boundary=S\n\n--S\n"
        "Content-Type: text/plain\n\nplain\n--S\nContent-Type: text/html\n\n<p>h</p>\n"
        "--S--\n--S\nContent-Type: image/gif; name=x.gif\n\nGIF\n--S--\n");
    reader_ok(a);
    ck_assert_uint_eq(a->n_threads, 3);
    tu_post *p = &a->threads[0].posts[0];
    ck_assert_str_eq(p->body, "the text");
    ck_assert_uint_eq(p->n_attachments, 0);

    p = &a->threads[1].posts[0];
    ck_assert_str_eq(p->body, "plain");
    ck_assert_uint_eq(p->n_attachments, 4);
    ck_assert_str_eq(p->attachments[0].media_type, "text/html");
    ck_assert_str_eq(p->attachments[1].media_type, "image/png");
    ck_assert_str_eq(p->attachments[1].content_id, "i1@x");
    ck_assert_str_eq(p->attachments[1].disposition, "inline");
    ck_assert_uint_eq(p->attachments[1].size, 4);
    ck_assert_mem_eq(p->attachments[1].data, "\x89PNG", 4);
    ck_assert_str_eq(p->attachments[2].media_type, "message/rfc822");
    ck_assert_uint_eq(p->attachments[2].size, 26);
    ck_assert_mem_eq(p->attachments[2].data, "Subject: inner\n\ninner text", 26);
    ck_assert_str_eq(p->attachments[3].name, "r\xC3\xA9sum\xC3\xA9.pdf");
    ck_assert_str_eq(p->attachments[3].disposition, "attachment");
    ck_assert_str_eq(extra(&p->extras, "mbox.alternative"), "1");
    ck_assert_str_eq(extra(&p->extras, "mbox.related"), "2");

    p = &a->threads[2].posts[0];
    ck_assert_str_eq(p->body, "plain");
    ck_assert_uint_eq(p->n_attachments, 2);
    ck_assert_str_eq(p->attachments[0].media_type, "text/html");
    ck_assert_str_eq(p->attachments[1].name, "x.gif");
    ck_assert_str_eq(extra(&p->extras, "mbox.alternative"), "1");
    ck_assert_str_eq(a->n_warnings ? a->warnings : "", "");
    tu_archive_free(a);
}
END_TEST

/* Nothing in a body stops the archive: characters outside the base64
 * alphabet are ignored (RFC 2045 section 6.8) and an unknown charset is
 * read as UTF-8 with the fallback, each with a warning naming the
 * message, the label kept in mbox.charset. */
START_TEST(undecodable_bodies_are_warnings)
{
    tu_archive *a = read_str("From a@b Mon Sep 17 00:00:00 2001\nSubject: b64\n"
                             "Content-Type: text/plain; charset=iso-8859-15\n"
                             "Content-Transfer-Encoding: base64\n\npCBl*dXJv\n*\n\n"
                             "From a@b Mon Sep 17 00:00:00 2001\nSubject: fine\n\nok\n\n"
                             "From a@b Mon Sep 17 00:00:00 2001\nSubject: bad charset\n"
                             "Content-Type: text/plain; charset=x-unknown\n\ncaf\xC3\xA9 \xE9\n");
    reader_ok(a);
    ck_assert_uint_eq(n_posts(a), 3);
    tu_post *p = &a->threads[0].posts[0];
    ck_assert_str_eq(p->body, "\xE2\x82\xAC euro");
    p = &a->threads[2].posts[0];
    ck_assert_str_eq(p->body, "caf\xC3\xA9 \xC3\xA9\n");
    ck_assert_str_eq(extra(&p->extras, "mbox.charset"), "x-unknown");
    ck_assert_str_eq(extra(&p->extras, "mbox.undecodable"),
                     "body: 1 byte not valid in x-unknown read as ISO-8859-1");
    ck_assert_str_eq(a->warnings,
                     "test.mbox:1: message 1: the body is declared base64 but 2 characters are "
                     "not base64; ignored, as RFC 2045 section 6.8 says\n"
                     "test.mbox:14: message 3: unknown charset \"x-unknown\" in the body; read "
                     "as UTF-8, the label kept in mbox.charset\n"
                     "test.mbox:14: message 3: 1 byte of the body not valid in x-unknown; each read "
                     "as the ISO-8859-1 character of the same value\n");
    /* the labels mail clients use (WHATWG): gb2312 is GBK, ks_c_5601-1987
     * is EUC-KR (CP949), iso-8859-1's 0x93/0x94 are quotes */
    tu_archive_free(a);
    a = read_str("From a@b Mon Sep 17 00:00:00 2001\nSubject: 1\n"
                 "Content-Type: text/plain; charset=gb2312\n\n\xC4\xE3\x81\x40\n\n"
                 "From a@b Mon Sep 17 00:00:00 2001\nSubject: 2\n"
                 "Content-Type: text/plain; charset=ks_c_5601-1987\n\n\xC7\xD1\x8C\x63\n\n"
                 "From a@b Mon Sep 17 00:00:00 2001\nSubject: 3\n"
                 "Content-Type: text/plain; charset=iso-8859-1\n\n\x93q\x94\n");
    reader_ok(a);
    ck_assert_str_eq(a->threads[0].posts[0].body, "\xE4\xBD\xA0\xE4\xB8\x82\n");
    ck_assert_str_eq(a->threads[1].posts[0].body, "\xED\x95\x9C\xEB\x98\xA0\n");
    ck_assert_str_eq(a->threads[2].posts[0].body, "\xE2\x80\x9Cq\xE2\x80\x9D\n");
    ck_assert_str_eq(a->n_warnings ? a->warnings : "", "");
    tu_archive_free(a);
}
END_TEST

START_TEST(probe_scores)
{
    const char *mbox = "From a@b Mon Sep 17 00:00:00 2001\nSubject: x\n\nbody\n";
    ck_assert_int_eq(PLUGIN->read_probe((const unsigned char *)mbox, strlen(mbox), "-"),
                     TC_PROBE_SURE);
    const char *lead = "\n   \n\t\nFrom a@b Mon Sep 17 00:00:00 2001\r\nSubject: x\r\n";
    ck_assert_int_eq(PLUGIN->read_probe((const unsigned char *)lead, strlen(lead), "-"),
                     TC_PROBE_SURE);
    const char *junk = "junk\nFrom a@b Mon Sep 17 00:00:00 2001\nSubject: x\n";
    ck_assert_int_eq(PLUGIN->read_probe((const unsigned char *)junk, strlen(junk), "-"),
                     TC_PROBE_LIKELY);
    const char *mn = "From here to eternity\n\nDaffodil72 Thu 04-Feb-21 21:33:59\n\nHi\n";
    ck_assert_int_eq(PLUGIN->read_probe((const unsigned char *)mn, strlen(mn), "-"),
                     TC_PROBE_NO);
    const char *json = "{\"format\":\"threadconv\"}";
    ck_assert_int_eq(PLUGIN->read_probe((const unsigned char *)json, strlen(json), "-"),
                     TC_PROBE_NO);
}
END_TEST

static Suite *mbox_suite(void)
{
    Suite *s = suite_create("mbox");
    TCase *tc = tcase_create("mail");
    tcase_add_test(tc, quoting_writer);
    tcase_add_test(tc, quoting_reader);
    tcase_add_test(tc, date_format);
    tcase_add_test(tc, date_headers);
    tcase_add_test(tc, from_lines);
    tcase_add_test(tc, rfc2047_encode);
    tcase_add_test(tc, key_encoding);
    tcase_add_test(tc, qp_encode);
    suite_add_tcase(s, tc);

    tc = tcase_create("threading");
    tcase_add_test(tc, threading_out_of_order);
    tcase_add_test(tc, threading_missing_parents_and_subjects);
    tcase_add_test(tc, threading_loops_and_duplicates);
    tcase_add_test(tc, content_length);
    tcase_add_test(tc, separators_without_dates);
    tcase_add_test(tc, equal_hashes);
    tcase_add_test(tc, index_in_a_file);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("corpus");
    tcase_add_test(tc, corpus_git_sample_mboxrd);
    tcase_add_test(tc, corpus_small_files);
    tcase_add_test(tc, corpus_mixed_charsets);
    tcase_add_test(tc, corpus_imagemagick_and_crlf_twin);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("roundtrip");
    tcase_add_test(tc, roundtrip_variants);
    tcase_add_test(tc, writer_headers);
    suite_add_tcase(s, tc);

    tc = tcase_create("inputs");
    tcase_add_test(tc, junk_and_errors);
    tcase_add_test(tc, bodies_and_warnings);
    tcase_add_test(tc, undecodable_bodies_are_warnings);
    tcase_add_test(tc, others_headers_kept);
    tcase_add_test(tc, mime_structures);
    tcase_add_test(tc, probe_scores);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mbox_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
