/*
 * test_mailtree.c - the maildir and eml readers (tree.c), linked in: the
 * mailbox they hand the mbox reader, byte for byte (From_ lines from the
 * delivery time, the Maildir flags as Status:/X-Status:, quoting, CRLF,
 * the order of the files); errors and warnings naming the file and its
 * line; skipped messages with --keep-going.  End to end (the command,
 * zips, Python's mailbox and email as judges, the mail corpus) in
 * maildir.sh.
 *
 * Inputs: the case folder plugins/mbox/tests/cases/maildir/cur-new-subfolders/
 * and small inputs built here.  Expected values are literals worked out by
 * reading the inputs by hand (doc/formats.md states the rules).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "testutil.h"

#include "../tree.h"

#include <threadconv/tree.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern const tc_module threadconv_module_mbox;

/* ---------------------------------------------------------------- helpers */

static char *new_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    tc_buf b = {0};
    ck_assert_int_eq(tc_buf_printf(&b, "%s/tc-mailtree-XXXXXX", tmp && *tmp ? tmp : "/tmp"),
                     TC_OK);
    ck_assert_ptr_nonnull(mkdtemp(b.data));
    return b.data;
}

static void remove_dir(char *dir)
{
    tc_buf cmd = {0};
    tc_buf_printf(&cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd.data), 0);
    tc_buf_free(&cmd);
    free(dir);
}

/* dir/name with the folders above it, holding text. */
static void put(const char *dir, const char *name, const char *text)
{
    tc_buf path = {0};
    tc_buf_printf(&path, "%s/%s", dir, name);
    for (char *s = strchr(path.data + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        ck_assert_msg(mkdir(path.data, 0755) == 0 || errno == EEXIST, "mkdir %s", path.data);
        *s = '/';
    }
    FILE *f = fopen(path.data, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
    tc_buf_free(&path);
}

typedef struct opened {
    tc_tree *tree;
    tc_stream *in;
    void *state;
    int rc;
    char warnings[4096];
} opened;

static void keep_warning(void *user, const tc_error *w)
{
    opened *o = user;
    char line[1400];
    tc_error_format(w, line, sizeof line);
    size_t n = strlen(o->warnings);
    snprintf(o->warnings + n, sizeof o->warnings - n, "%s\n", line);
}

/* The max-post limit the next open_reader gives its stream (0: the
 * default): a message over it is the one error a message's content can
 * still be (doc/formats.md, "Bad messages"). */
static size_t test_max_post;

/* The reader (maildir or not: eml) opened on path, a tree or a file, with
 * the callbacks themselves: what the mailbox holds is what is tested. */
static void open_reader(opened *o, const char *path, bool maildir, const char *members)
{
    memset(o, 0, sizeof *o);
    tc_error err;
    int rc = tc_tree_open(path, &o->tree, &err);
    ck_assert_msg(rc == TC_OK || rc == TC_EOF, "%s: %s", path, err.text);
    o->in = o->tree ? tc_stream_open_tree(o->tree, path) : tc_stream_open_input(path, &err);
    ck_assert_ptr_nonnull(o->in);
    tc_stream_set_warning_fn(o->in, keep_warning, o);
    if (test_max_post)
        tc_stream_set_limit(o->in, TC_LIMIT_POST, test_max_post);
    const tc_format *f = tu_static_format(&threadconv_module_mbox, maildir ? "maildir" : "eml");
    tc_option_value v = {"eml", "members", members};
    ck_assert_int_eq(tc_stream_set_options(o->in, f, &v, members ? 1 : 0, &err), TC_OK);
    o->rc = maildir ? maildir_read_open(o->in, &o->state) : eml_read_open(o->in, &o->state);
}

static void close_reader(opened *o)
{
    if (o->rc == TC_OK)
        mbox_tree_read_close(o->in, o->state);
    tc_stream_close(o->in);
    tc_tree_close(o->tree);
}

static void mailbox_is(opened *o, const char *want)
{
    ck_assert_msg(o->rc == TC_OK, "open: %s", tc_stream_get_error(o->in)->text);
    tc_buf got = {0};
    ck_assert_int_eq(mbox_tree_mailbox(o->state, &got), TC_OK);
    ck_assert_msg(got.len == strlen(want) && memcmp(got.data, want, got.len) == 0,
                  "the mailbox is\n%.*s\n---- expected\n%s", (int)got.len,
                  got.data ? got.data : "", want);
    tc_buf_free(&got);
}

/* The posts read, one a thread, have these bodies in this order (NULL
 * ends the list; at most three). */
static void bodies_are(opened *o, const char *a, const char *b, const char *c)
{
    ck_assert_msg(o->rc == TC_OK, "open: %s", tc_stream_get_error(o->in)->text);
    const char *want[] = {a, b, c, NULL};
    const tc_thread *t;
    const tc_post *p;
    for (int i = 0; want[i]; i++) {
        ck_assert_int_eq(mbox_tree_read_next_thread(o->in, o->state, &t), TC_OK);
        ck_assert_int_eq(mbox_tree_read_next_post(o->in, o->state, &p), TC_OK);
        ck_assert_msg(p->body_len == strlen(want[i]) && memcmp(p->body, want[i], p->body_len) == 0,
                      "post %d: body \"%.*s\", expected \"%s\"", i + 1, (int)p->body_len, p->body,
                      want[i]);
        ck_assert_int_eq(mbox_tree_read_next_post(o->in, o->state, &p), TC_EOF);
    }
    ck_assert_int_eq(mbox_tree_read_next_thread(o->in, o->state, &t), TC_EOF);
}

static const char *error_of(opened *o)
{
    static char text[1400];
    return tc_error_format(tc_stream_get_error(o->in), text, sizeof text);
}

/* ------------------------------------------------------------ the mailbox */

/* The case folder's Maildir, file by file, in the order doc/formats.md
 * gives: the top folder before .Sub.Folder; in it by the delivery time
 * the names begin with, new/ and cur/ alike (1612474000 in new/ first),
 * then by name with numbers as numbers (Q2 before Q10).  dovecot-uidlist,
 * notes.txt, cur/.hidden and tmp/ are not messages. */
static const char case_mailbox[] =
    /* new/1612474000.M9P1.host:2,S -- seen: Status: R (not O: in new/);
     * the message has an X-Status already: none added */
    "From MAILER-DAEMON Thu Feb  4 21:26:40 2021\n"
    "From: Dee <dee@example.org>\n"
    "X-Status: F\n"
    "Subject: early\n"
    "Status: R\n"
    "\n"
    "body\n"
    "\n"
    /* cur/1612474439.M1P1.host:2,FRS -- flagged, replied, seen, in cur/;
     * body lines matching ^>*From get one more '>' */
    "From MAILER-DAEMON Thu Feb  4 21:33:59 2021\n"
    "From: Ann <ann@example.org>\n"
    "Subject: hello\n"
    "Message-ID: <1@x>\n"
    "Date: Thu, 04 Feb 2021 22:33:59 +0100\n"
    "Status: RO\n"
    "X-Status: AF\n"
    "\n"
    "first\n"
    ">From the start\n"
    ">>From quoted\n"
    "\n"
    /* new/1612474500.M2P1.host -- CRLF (its first line ends so): LF, the
     * lone CR kept; no flags, in new/: nothing added */
    "From MAILER-DAEMON Thu Feb  4 21:35:00 2021\n"
    "From: Bob <bob@example.org>\n"
    "Subject: Re: hello\n"
    "Message-ID: <2@x>\n"
    "In-Reply-To: <1@x>\n"
    "\n"
    "reply\n"
    "with a lone\rCR\n"
    "\n"
    /* cur/1612474600.M5P1Q2.host:2, -- no final newline: one before the
     * next From_ line */
    "From MAILER-DAEMON Thu Feb  4 21:36:40 2021\n"
    "From: q@example.org\n"
    "Subject: q\n"
    "Message-ID: <q2@x>\n"
    "Status: O\n"
    "\n"
    "two\n"
    "\n"
    /* cur/1612474600.M5P1Q10.host:2, */
    "From MAILER-DAEMON Thu Feb  4 21:36:40 2021\n"
    "From: q@example.org\n"
    "Subject: Re: q\n"
    "Message-ID: <q10@x>\n"
    "References: <q2@x>\n"
    "Status: O\n"
    "\n"
    "ten\n"
    "\n"
    /* cur/1612474700.M7P1.host:2,S -- headers only, no final newline: the
     * Status line after them */
    "From MAILER-DAEMON Thu Feb  4 21:38:20 2021\n"
    "Subject: only headers\n"
    "From: h@example.org\n"
    "Status: RO\n"
    "\n"
    /* cur/1612474800.M8P1.host:2, -- our writer's message (X-Threadconv-Id):
     * the blank line that ends it in an mbox, which the reader removes */
    "From MAILER-DAEMON Thu Feb  4 21:40:00 2021\n"
    "From: <author@mbox.threadconv.invalid>\n"
    "Subject: ours\n"
    "Message-ID: <x1@mbox.threadconv.invalid>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "X-Threadconv-Id: 8\n"
    "X-Threadconv-Source: testsrc\n"
    "Status: O\n"
    "\n"
    "ours\n"
    "\n"
    "\n"
    /* cur/1612474900.M10P1.host -- its own From_ line is kept */
    "From someone@example.org Mon Jan  4 10:00:00 2021\n"
    "From: Own <own@example.org>\n"
    "Subject: own\n"
    "Message-ID: <own@x>\n"
    "Status: O\n"
    "\n"
    "body\n"
    ">From here\n"
    "\n"
    /* .Sub.Folder/cur/1612470000.M3P1.host:2,T -- trashed: X-Status: D; it
     * has a Status: none added; the last: no final newline, as the file */
    "From MAILER-DAEMON Thu Feb  4 20:20:00 2021\n"
    "From: Cy <cy@example.org>\n"
    "Subject: sub\n"
    "Status: O\n"
    "Message-ID: <3@x>\n"
    "X-Status: D\n"
    "\n"
    "in a subfolder\n"
    "\n";

START_TEST(a_maildir_is_one_mailbox_in_order)
{
    char *path = tu_path("THREADCONV_SRCDIR", "plugins/mbox/tests/cases/maildir/cur-new-subfolders/input");
    opened o;
    open_reader(&o, path, true, NULL);
    mailbox_is(&o, case_mailbox);
    tc_buf want = {0};
    tc_buf_printf(&want, "%s: 1 file outside the cur/ and new/ folders ignored (the first: "
                         "notes.txt)\n", path);
    ck_assert_str_eq(o.warnings, want.data);
    tc_buf_free(&want);
    close_reader(&o);
    free(path);
}
END_TEST

/* eml: one file is one message; its first line decides CRLF; a byte order
 * mark goes; before the first empty line only a line that would be taken
 * for a From_ line is quoted (the mbox reader unquotes nothing there). */
START_TEST(an_eml_file_is_one_message)
{
    char *dir = new_dir();
    put(dir, "a.eml",
        "\xEF\xBB\xBF" "Subject: bom\r\nFrom x Thu Feb  4 21:33:59 2021\r\nFrom: a@b\r\n\r\n"
        "From a line\r\n>From one\r\n>>>From three\r\nFrom\r\n last\r\n");
    put(dir, "b.eml", "Subject: no newline\n\nend");
    tc_buf path = {0};
    tc_buf_printf(&path, "%s/a.eml", dir);
    opened o;
    open_reader(&o, path.data, false, NULL);
    mailbox_is(&o, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
                   "Subject: bom\n"
                   ">From x Thu Feb  4 21:33:59 2021\n"
                   "From: a@b\n"
                   "\n"
                   ">From a line\n"
                   ">>From one\n"
                   ">>>>From three\n"
                   "From\n"
                   " last\n"
                   "\n");
    close_reader(&o);
    /* a file without a final newline is given one (the mailbox needs
     * it before the blank separator line) */
    tc_buf_reset(&path);
    tc_buf_printf(&path, "%s/b.eml", dir);
    open_reader(&o, path.data, false, NULL);
    mailbox_is(&o, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: no newline\n\nend\n\n");
    close_reader(&o);
    /* the folder: both, in name order, each ended by the blank separator
     * line */
    open_reader(&o, dir, false, NULL);
    mailbox_is(&o, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
                   "Subject: bom\n"
                   ">From x Thu Feb  4 21:33:59 2021\n"
                   "From: a@b\n"
                   "\n"
                   ">From a line\n"
                   ">>From one\n"
                   ">>>>From three\n"
                   "From\n"
                   " last\n"
                   "\n"
                   "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: no newline\n\nend\n\n");
    close_reader(&o);
    tc_buf_free(&path);
    remove_dir(dir);
}
END_TEST

/* Which files of a folder are messages: *.eml (any case) by default,
 * every file but hidden ones and macOS's __MACOSX/ with members=all; names
 * in order with numbers as numbers; empty files are no messages. */
START_TEST(eml_folders_take_eml_files)
{
    char *dir = new_dir();
    put(dir, "10.eml", "Subject: ten\n\n10\n");
    put(dir, "9.EML", "Subject: nine\n\n9\n");
    put(dir, "notes.txt", "Subject: notes\n\nn\n");
    put(dir, ".hidden.eml", "Subject: hidden\n\nh\n");
    put(dir, "__MACOSX/._10.eml", "junk\n");
    put(dir, "empty.eml", "");
    opened o;
    open_reader(&o, dir, false, NULL);
    mailbox_is(&o, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: nine\n\n9\n\n"
                   "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: ten\n\n10\n\n");
    bodies_are(&o, "9\n", "10\n", NULL);
    tc_buf want = {0};
    tc_buf_printf(&want, "%s: 1 file not named *.eml ignored (the first: notes.txt); "
                         "-O eml.members=all reads them too\n"
                         "%s: 1 empty file ignored: no message (the first: empty.eml)\n",
                  dir, dir);
    ck_assert_str_eq(o.warnings, want.data);
    close_reader(&o);
    open_reader(&o, dir, false, "all");
    mailbox_is(&o, "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: nine\n\n9\n\n"
                   "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: ten\n\n10\n\n"
                   "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: notes\n\nn\n\n");
    bodies_are(&o, "9\n", "10\n", "n\n");
    close_reader(&o);
    tc_buf_free(&want);
    remove_dir(dir);
}
END_TEST

/* ---------------------------------------------------- errors and warnings */

/* What the mbox reader says of a message is said of its file, at the
 * file's line: a bad Date on line 3 of the file (line 3 of the mailbox's
 * message after the From_ line made for it, line 3 with its own), the
 * message over the max-post limit (100 bytes here). */
START_TEST(errors_name_the_file_and_its_line)
{
    char *dir = new_dir();
    put(dir, "cur/1612474439.A.host:2,S",
        "From: a@b\nSubject: one\nDate: Thu, 31 Feb 2021 10:00:00 +0000\n\nfine\n");
    put(dir, "cur/1612474440.B.host:2,S",
        "From x@y Thu Feb  4 21:33:59 2021\nFrom: c@d\nDate: someday\nSubject: two\n\nok\n");
    put(dir, "new/1612474441.C.host",
        "From: e@f\nSubject: three\n\nthis message is longer than the 100 bytes the "
        "max-post limit is set to for this test, so it is refused\n");
    opened o;
    test_max_post = 100;
    open_reader(&o, dir, true, NULL);
    test_max_post = 0;
    ck_assert_int_eq(o.rc, TC_OK);
    const tc_thread *t;
    const tc_post *p;
    ck_assert_int_eq(mbox_tree_read_next_thread(o.in, o.state, &t), TC_OK);
    ck_assert_int_eq(mbox_tree_read_next_post(o.in, o.state, &p), TC_OK);
    ck_assert_int_eq(mbox_tree_read_next_post(o.in, o.state, &p), TC_EOF);
    ck_assert_int_eq(mbox_tree_read_next_thread(o.in, o.state, &t), TC_OK);
    ck_assert_int_eq(mbox_tree_read_next_post(o.in, o.state, &p), TC_OK);
    ck_assert_int_eq(mbox_tree_read_next_post(o.in, o.state, &p), TC_EOF);
    ck_assert_int_eq(mbox_tree_read_next_thread(o.in, o.state, &t), TC_OK);
    ck_assert_int_eq(mbox_tree_read_next_post(o.in, o.state, &p), TC_SKIPPED);
    tc_buf want = {0};
    tc_buf_printf(&want, "%s/new/1612474441.C.host:1: message 3 is longer than the max-post "
                         "limit (100 bytes)", dir);
    ck_assert_str_eq(error_of(&o), want.data);
    /* the warnings: each line as FILE:LINE: bad Date header "VALUE": WHY
     * (WHY is the date parser's) */
    tc_buf_reset(&want);
    tc_buf_printf(&want, "%s/cur/1612474439.A.host:2,S:3: bad Date header \"Thu, 31 Feb 2021 "
                         "10:00:00 +0000\": ", dir);
    ck_assert_msg(strncmp(o.warnings, want.data, want.len) == 0, "warnings:\n%s\nexpected:\n%s",
                  o.warnings, want.data);
    const char *second = strchr(o.warnings, '\n');
    ck_assert_ptr_nonnull(second);
    tc_buf_reset(&want);
    tc_buf_printf(&want, "%s/cur/1612474440.B.host:2,S:3: bad Date header \"someday\": ", dir);
    ck_assert_msg(strncmp(second + 1, want.data, want.len) == 0, "warnings:\n%s\nexpected:\n%s",
                  o.warnings, want.data);
    ck_assert_ptr_nonnull(strchr(second + 1, '\n'));
    ck_assert_str_eq(strchr(second + 1, '\n'), "\n"); /* no more */
    close_reader(&o);
    tc_buf_free(&want);
    remove_dir(dir);
}
END_TEST

/* Two bad messages (over the max-post limit, 60 bytes here), each skipped
 * with its own file named: the error of the first is forgotten before the
 * second. */
START_TEST(each_skipped_message_is_named)
{
    char *dir = new_dir();
    put(dir, "1.eml", "Subject: a\n\nthe first message over the limit of sixty bytes: skipped\n");
    put(dir, "2.eml", "Subject: a\n\nthe second message over the limit of sixty bytes, also\n");
    put(dir, "3.eml", "Subject: a\n\nfine\n");
    opened o;
    test_max_post = 60;
    open_reader(&o, dir, false, NULL);
    test_max_post = 0;
    ck_assert_int_eq(o.rc, TC_OK);
    const tc_thread *t;
    const tc_post *p;
    ck_assert_int_eq(mbox_tree_read_next_thread(o.in, o.state, &t), TC_OK);
    for (int i = 1; i <= 2; i++) {
        ck_assert_int_eq(mbox_tree_read_next_post(o.in, o.state, &p), TC_SKIPPED);
        char want[1024];
        snprintf(want, sizeof want, "%s/%d.eml:1: message %d is longer than the max-post "
                                    "limit (60 bytes)", dir, i, i);
        ck_assert_str_eq(error_of(&o), want);
        tc_stream_clear_error(o.in); /* as the checked session does with --keep-going */
    }
    ck_assert_int_eq(mbox_tree_read_next_post(o.in, o.state, &p), TC_OK);
    ck_assert(p->body_len == 5 && memcmp(p->body, "fine\n", 5) == 0);
    close_reader(&o);
    remove_dir(dir);
}
END_TEST

/* A Maildir is a tree; a file is refused, saying what reads one. */
START_TEST(a_file_is_no_maildir)
{
    char *dir = new_dir();
    put(dir, "m.eml", "Subject: a\n\nb\n");
    tc_buf path = {0};
    tc_buf_printf(&path, "%s/m.eml", dir);
    opened o;
    open_reader(&o, path.data, true, NULL);
    ck_assert_int_eq(o.rc, TC_ERR_DATA);
    tc_buf want = {0};
    tc_buf_printf(&want, "%s: a plain file, not a Maildir: expected a folder (or a .zip or "
                         ".tar of one) with cur/ and new/ folders; -f eml reads a file that "
                         "holds one message", path.data);
    ck_assert_str_eq(error_of(&o), want.data);
    close_reader(&o);
    /* a folder without one message in cur/ or new/, but with files */
    put(dir, "x/notes.txt", "hello\n");
    tc_buf_reset(&path);
    tc_buf_printf(&path, "%s/x", dir);
    open_reader(&o, path.data, true, NULL);
    ck_assert_int_eq(o.rc, TC_ERR_DATA);
    tc_buf_reset(&want);
    tc_buf_printf(&want, "%s: no message in a cur/ or new/ folder, but 1 other file (the "
                         "first: notes.txt): expected a Maildir", path.data);
    ck_assert_str_eq(error_of(&o), want.data);
    close_reader(&o);
    tc_buf_free(&want);
    tc_buf_free(&path);
    remove_dir(dir);
}
END_TEST

/* ------------------------------------------------------------------ probes */

START_TEST(probes)
{
    const char *eml = "Received: from x\nFrom: a@b\nSubject: s\n\nbody\n";
    ck_assert_int_eq(eml_read_probe((const unsigned char *)eml, strlen(eml), "m"),
                     TC_PROBE_LIKELY);
    const char *bom = "\xEF\xBB\xBF" "From: a@b\r\nDate: Thu, 04 Feb 2021 21:33:59 +0000\r\n\r\n";
    ck_assert_int_eq(eml_read_probe((const unsigned char *)bom, strlen(bom), "m"),
                     TC_PROBE_LIKELY);
    /* a From_ line first: the mbox reader's */
    const char *mbox = "From a@b Thu Feb  4 21:33:59 2021\nFrom: a@b\nSubject: s\n\nx\n";
    ck_assert_int_eq(eml_read_probe((const unsigned char *)mbox, strlen(mbox), "m"),
                     TC_PROBE_NO);
    /* a From_ line later, before a header: perhaps a mailbox after junk */
    const char *later = "From: a@b\nSubject: s\n\nx\nFrom c@d Thu Feb  4 21:33:59 2021\n"
                        "Subject: t\n\ny\n";
    ck_assert_int_eq(eml_read_probe((const unsigned char *)later, strlen(later), "m"),
                     TC_PROBE_MAYBE);
    /* one field of mail's, or text that only looks like a field */
    const char *title = "AIBU: to ask a question\n\nsome text\n";
    ck_assert_int_eq(eml_read_probe((const unsigned char *)title, strlen(title), "m"),
                     TC_PROBE_NO);
    const char *one = "Subject: s\n\nx\n";
    ck_assert_int_eq(eml_read_probe((const unsigned char *)one, strlen(one), "m"),
                     TC_PROBE_MAYBE);
    const char *text = "Subject: s\nnot a field\n\nx\n";
    ck_assert_int_eq(eml_read_probe((const unsigned char *)text, strlen(text), "m"),
                     TC_PROBE_NO);

    char *dir = new_dir();
    put(dir, "md/cur/1612474439.M1P1.host:2,S", "Subject: a\n\nb\n");
    put(dir, "md/new/1612474440.M1P1.host", "Subject: a\n\nb\n");
    put(dir, "nm/cur/01:2,", "Subject: a\n\nb\n");
    put(dir, "odd/new/file", "Subject: a\n\nb\n");
    put(dir, "emls/1.eml", "Subject: a\n\nb\n");
    put(dir, "emls/2.eml", "Subject: a\n\nb\n");
    put(dir, "emls/notes.txt", "x\n");
    put(dir, "few/1.eml", "Subject: a\n\nb\n");
    put(dir, "few/a.txt", "x\n");
    put(dir, "few/b.txt", "x\n");
    static const struct {
        const char *tree;
        int maildir, eml;
    } want[] = {{"md", TC_PROBE_SURE, TC_PROBE_NO},    {"nm", TC_PROBE_SURE, TC_PROBE_NO},
                {"odd", TC_PROBE_MAYBE, TC_PROBE_NO},  {"emls", TC_PROBE_NO, TC_PROBE_LIKELY},
                {"few", TC_PROBE_NO, TC_PROBE_MAYBE}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        tc_buf path = {0};
        tc_buf_printf(&path, "%s/%s", dir, want[i].tree);
        tc_tree *t;
        tc_error err;
        ck_assert_int_eq(tc_tree_open(path.data, &t, &err), TC_OK);
        ck_assert_msg(maildir_read_probe_tree(t, path.data) == want[i].maildir, "maildir %s",
                      want[i].tree);
        ck_assert_msg(eml_read_probe_tree(t, path.data) == want[i].eml, "eml %s",
                      want[i].tree);
        tc_tree_close(t);
        tc_buf_free(&path);
    }
    remove_dir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mailtree");
    TCase *tc = tcase_create("readers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_maildir_is_one_mailbox_in_order);
    tcase_add_test(tc, an_eml_file_is_one_message);
    tcase_add_test(tc, eml_folders_take_eml_files);
    tcase_add_test(tc, errors_name_the_file_and_its_line);
    tcase_add_test(tc, each_skipped_message_is_named);
    tcase_add_test(tc, a_file_is_no_maildir);
    tcase_add_test(tc, probes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
