/*
 * test_xml.c - the xml reader and writer, linked in directly.
 *
 * Archives are built by hand or read from the mumsnet inputs (the seed and
 * conformance files in $THREADCONV_SHARED, the fixtures in
 * $THREADCONV_TESTDATA/mumsnet/) with the mumsnet reader, which is loaded
 * from the build tree through the registry (THREADCONV_PLUGIN_PATH), as a
 * user's program would load it.  Every document the
 * writer produces is validated against the shipped RELAX NG schema
 * (doc/threadconv.rng, found from $THREADCONV_TESTDATA) with libxml2's
 * RELAX NG API, then read back and compared field by field.  Hostile
 * inputs are in $THREADCONV_TESTDATA/xml/ or built here; each must fail
 * with exactly the message, line and column written below.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "testutil.h"

#include "../xml.h"

#include <check.h>
#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const tc_module threadconv_module_xml;
#define XML tu_static_format(&threadconv_module_xml, "xml")

/* ------------------------------------------------------------------ */
/* Building archives by hand                                           */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Writing, validating, reading back                                   */
/* ------------------------------------------------------------------ */

/* Run the xml writer; the output is returned (NUL-terminated, free()). */
static char *write_xml(const tu_archive *a, bool pretty, size_t *len)
{
    tc_buf out = {0};
    tc_error err;
    tc_option_value opt = {.format = "xml", .key = "pretty", .value = "true"};
    int rc = tu_write(XML, a, &opt, pretty ? 1 : 0, &out, &err);
    ck_assert_msg(rc == TC_OK, "xml writer failed (%d): %s", rc, err.text);
    if (out.data == NULL)
        ck_assert_int_eq(tc_buf_append(&out, "", 0), TC_OK);
    if (len)
        *len = out.len;
    return out.data;
}

/* The writer fails on a with this code and message. */
static void write_fails(const tu_archive *a, int code, const char *text)
{
    tc_buf out = {0};
    tc_error err;
    int rc = tu_write(XML, a, NULL, 0, &out, &err);
    ck_assert_int_eq(rc, code);
    ck_assert_int_eq(err.code, code);
    ck_assert_str_eq(err.text, text);
    tc_buf_free(&out);
}

static void collect_rng_error(void *user, xmlErrorPtr e)
{
    tc_buf *b = user;
    tc_buf_printf(b, "line %d: %s", e->line, e->message ? e->message : "?");
}

/* The document validates against doc/threadconv.rng. */
static void validate(const char *doc, size_t len)
{
    char *path = tu_path("THREADCONV_TESTDATA", "../../doc/threadconv.rng");
    tc_buf errors = {0};
    xmlRelaxNGParserCtxtPtr pctx = xmlRelaxNGNewParserCtxt(path);
    ck_assert_ptr_nonnull(pctx);
    xmlRelaxNGSetParserStructuredErrors(pctx, collect_rng_error, &errors);
    xmlRelaxNGPtr schema = xmlRelaxNGParse(pctx);
    ck_assert_msg(schema != NULL, "schema %s does not compile: %s", path,
                  errors.data ? errors.data : "");
    xmlDocPtr d = xmlReadMemory(doc, (int)len, "output.xml", NULL, XML_PARSE_NONET);
    ck_assert_msg(d != NULL, "the writer's output is not well-formed XML");
    xmlRelaxNGValidCtxtPtr vctx = xmlRelaxNGNewValidCtxt(schema);
    ck_assert_ptr_nonnull(vctx);
    xmlRelaxNGSetValidStructuredErrors(vctx, collect_rng_error, &errors);
    int rc = xmlRelaxNGValidateDoc(vctx, d);
    ck_assert_msg(rc == 0, "the writer's output does not validate: %s",
                  errors.data ? errors.data : "");
    xmlRelaxNGFreeValidCtxt(vctx);
    xmlFreeDoc(d);
    xmlRelaxNGFree(schema);
    xmlRelaxNGFreeParserCtxt(pctx);
    tc_buf_free(&errors);
    free(path);
}

static tu_archive *read_xml(const char *doc, size_t len)
{
    return tu_read_memory(XML, doc, len, "in.xml");
}

static void read_ok(const tu_archive *a)
{
    ck_assert_msg(a->rc == TC_OK, "reader failed: %s:%llu:%llu: %s", a->err.source,
                  (unsigned long long)a->err.line, (unsigned long long)a->err.column,
                  a->err.text);
}

/*
 * Write a, validate it, read it back (equal to a), and write that again
 * (byte-identical): in both layouts.
 */
static void round_trip(const tu_archive *a)
{
    for (int pretty = 0; pretty <= 1; pretty++) {
        size_t len, len2;
        char *doc = write_xml(a, pretty, &len);
        validate(doc, len);
        tu_archive *b = read_xml(doc, len);
        read_ok(b);
        tu_archives_equal(a, b);
        char *doc2 = write_xml(b, pretty, &len2);
        ck_assert_uint_eq(len, len2);
        ck_assert_msg(memcmp(doc, doc2, len) == 0, "xml -> xml is not byte-identical");
        free(doc2);
        tu_archive_free(b);
        free(doc);
    }
}

/* The reader fails on doc with this code, line, column and message. */
static void check_error(const tu_archive *a, uint64_t line, uint64_t column, const char *text)
{
    ck_assert_msg(a->rc == TC_ERR_DATA, "reader returned %d, expected an error (%s)", a->rc,
                  text);
    ck_assert_int_eq(a->err.code, TC_ERR_DATA);
    ck_assert_str_eq(a->err.text, text);
    ck_assert_msg(a->err.line == line, "error line %llu, expected %llu (%s)",
                  (unsigned long long)a->err.line, (unsigned long long)line, a->err.text);
    ck_assert_msg(a->err.column == column, "error column %llu, expected %llu (%s)",
                  (unsigned long long)a->err.column, (unsigned long long)column, a->err.text);
}

static void read_fails(const char *doc, uint64_t line, uint64_t column, const char *text)
{
    tu_archive *a = read_xml(doc, strlen(doc));
    check_error(a, line, column, text);
    tu_archive_free(a);
}

static tu_archive *read_data_file(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "xml/%s", name);
    char *path = tu_path("THREADCONV_TESTDATA", rel);
    tu_archive *a = tu_read_file(XML, path);
    free(path);
    return a;
}

/* The mumsnet reader, loaded from the build tree. */
static tc_registry *reg;
static const tc_format *mumsnet(void)
{
    if (reg == NULL) {
        reg = tc_registry_new();
        ck_assert_ptr_nonnull(reg);
        ck_assert_int_eq(tc_registry_add_search_dirs(reg, NULL, 0, true), TC_OK);
    }
    tc_error err;
    const tc_format *p = tc_registry_find(reg, "mumsnet", &err);
    ck_assert_msg(p != NULL, "cannot load the mumsnet plugin (THREADCONV_PLUGIN_PATH): %s",
                  err.text);
    return p;
}

static void unload(void)
{
    tc_registry_free(reg);
    reg = NULL;
}

#define ROOT "<archive xmlns=\"urn:threadconv:xml:1\" version=\"1\">"
#define ROOT_EMPTY "<archive xmlns=\"urn:threadconv:xml:1\" version=\"1\"/>"
#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" ROOT "\n"
#define EXPECTED_ROOT "<archive xmlns=\"urn:threadconv:xml:1\">"

/* ------------------------------------------------------------------ */
/* The writer                                                          */
/* ------------------------------------------------------------------ */

static tu_archive *sample(void)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "Hello & <welcome>", "mbox", "t1", "https://example.org/t?a=1&b=2");
    tu_set_extra(&t->extras, "board", "Chat");
    tu_set_extra(&t->extras, "X-Mailer", "Mutt \"1.5\" <x>");
    tu_post *p = tu_add_post(t, "1", "Ann", tu_at(1612474439, 0), "Hi\n\"there\"", NULL);
    tu_set_extra(&p->extras, "number", "1");
    tu_add_post(t, "2", "Bob", (tc_date){0}, "a\\b", "1");
    /* 2021-06-04T21:33:59+01:00 and a negative half-hour offset */
    tu_add_post(t, "3", "", tu_at(1622838839, 60), "", "1");
    tu_add_post(t, "4", "Cy", tu_at(1622838839, -570), "  spaced  \n\n", NULL);
    tu_add_thread(a, "", "mumsnet", NULL, NULL);
    return a;
}

START_TEST(writes_exact_document)
{
    tu_archive *a = sample();
    size_t len;
    char *doc = write_xml(a, false, &len);
    ck_assert_str_eq(doc,
        HEAD
        "<thread>\n"
        "<title>Hello &amp; &lt;welcome&gt;</title>\n"
        "<source>mbox</source>\n"
        "<id>t1</id>\n"
        "<url>https://example.org/t?a=1&amp;b=2</url>\n"
        "<extra key=\"board\">Chat</extra>\n"
        "<extra key=\"X-Mailer\">Mutt \"1.5\" &lt;x&gt;</extra>\n"
        "<post>\n"
        "<id>1</id>\n"
        "<author>Ann</author>\n"
        "<date>2021-02-04T21:33:59+00:00</date>\n"
        "<body>Hi\n\"there\"</body>\n"
        "<extra key=\"number\">1</extra>\n"
        "</post>\n"
        "<post>\n"
        "<id>2</id>\n"
        "<author>Bob</author>\n"
        "<body>a\\b</body>\n"
        "<parent>1</parent>\n"
        "</post>\n"
        "<post>\n"
        "<id>3</id>\n"
        "<author></author>\n"
        "<date>2021-06-04T21:33:59+01:00</date>\n"
        "<body></body>\n"
        "<parent>1</parent>\n"
        "</post>\n"
        "<post>\n"
        "<id>4</id>\n"
        "<author>Cy</author>\n"
        "<date>2021-06-04T11:03:59-09:30</date>\n"
        "<body>  spaced  \n\n</body>\n"
        "</post>\n"
        "</thread>\n"
        "<thread>\n"
        "<title></title>\n"
        "<source>mumsnet</source>\n"
        "</thread>\n"
        "</archive>\n");
    validate(doc, len);
    free(doc);
    round_trip(a);
    tu_archive_free(a);
}
END_TEST

START_TEST(writes_pretty_document)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "T", "mumsnet", NULL, NULL);
    tu_set_extra(&t->extras, "mumsnet.layout", "classic");
    tu_add_post(t, "1", "Ann", tu_at(1612474439, 0), "line one\n  line two\n", NULL);
    size_t len;
    char *doc = write_xml(a, true, &len);
    ck_assert_str_eq(doc,
        HEAD
        "  <thread>\n"
        "    <title>T</title>\n"
        "    <source>mumsnet</source>\n"
        "    <extra key=\"mumsnet.layout\">classic</extra>\n"
        "    <post>\n"
        "      <id>1</id>\n"
        "      <author>Ann</author>\n"
        "      <date>2021-02-04T21:33:59+00:00</date>\n"
        "      <body xml:space=\"preserve\">line one\n  line two\n</body>\n"
        "    </post>\n"
        "  </thread>\n"
        "</archive>\n");
    validate(doc, len);
    free(doc);
    round_trip(a);
    tu_archive_free(a);
}
END_TEST

START_TEST(writes_empty_archive)
{
    tu_archive *a = tu_archive_new();
    size_t len;
    char *doc = write_xml(a, false, &len);
    ck_assert_str_eq(doc, HEAD "</archive>\n");
    validate(doc, len);
    tu_archive *b = read_xml(doc, len);
    read_ok(b);
    ck_assert_uint_eq(b->n_threads, 0);
    tu_archive_free(b);
    b = read_xml(ROOT_EMPTY "\n<!-- c -->\n", strlen(ROOT_EMPTY) + 12);
    read_ok(b);
    ck_assert_uint_eq(b->n_threads, 0);
    tu_archive_free(b);
    free(doc);
    round_trip(a);
    tu_archive_free(a);
}
END_TEST

/* Every character that needs care, in every text element. */
START_TEST(hostile_text_round_trips)
{
    tc_buf s = {0};
    tc_buf_printf(&s, "<tag> & &amp; ]]> \"double\" 'single' emoji \xF0\x9F\x8E\x84\xF0\x9F\x91\x8D "
                      "RTL \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8"
                      "\xD9\x8A\xD8\xA9 \xE2\x80\x8F\xE2\x80\xAE mark ");
    for (int c = 1; c < 0x20; c++)
        tc_buf_putc(&s, (char)c);
    tc_buf_printf(&s, " CRLF\r\nCR\rDEL\x7F C1:");
    for (int c = 0x80; c < 0xA0; c++) { /* U+0080..U+009F */
        tc_buf_putc(&s, (char)(0xC0 | (c >> 6)));
        tc_buf_putc(&s, (char)(0x80 | (c & 0x3F)));
    }
    tc_buf_printf(&s, " nonchars \xEF\xBF\xBE\xEF\xBF\xBF \xEF\xBF\xBD \xF4\x8F\xBF\xBF end\r");

    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, s.data, s.data, s.data, s.data);
    tu_set_extra(&t->extras, "k\t\n\r \"&<>'\xC3\xA9", s.data);
    tu_post *p = tu_add_post(t, s.data, s.data, tu_at(0, 0), s.data, s.data);
    tu_set_extra(&p->extras, "v", s.data);
    /* the body also holds a NUL */
    tc_buf body = {0};
    tc_buf_append(&body, "\0nul\0", 5);
    tc_buf_append(&body, s.data, s.len);
    tu_add_post_n(t, "2", "x", tu_at(0, 0), body.data, body.len, NULL);

    size_t len;
    char *doc = write_xml(a, false, &len);
    ck_assert_ptr_nonnull(strstr(doc, "<ctrl code=\"01\"/><ctrl code=\"02\"/>"));
    ck_assert_ptr_nonnull(strstr(doc, "<ctrl code=\"08\"/>\t\n<ctrl code=\"0B\"/><ctrl code=\"0C\"/>"
                                      "&#13;<ctrl code=\"0E\"/>"));
    ck_assert_ptr_nonnull(strstr(doc, "<ctrl code=\"1F\"/> CRLF&#13;\nCR&#13;DEL\x7F"));
    ck_assert_ptr_nonnull(strstr(doc, "<ctrl code=\"FFFE\"/><ctrl code=\"FFFF\"/>"));
    ck_assert_ptr_nonnull(strstr(doc, "<body><ctrl code=\"00\"/>nul<ctrl code=\"00\"/>&lt;tag&gt;"
                                      " &amp; &amp;amp; ]]&gt; \"double\" 'single'"));
    ck_assert_ptr_nonnull(strstr(doc, "<extra key=\"k&#9;&#10;&#13; &quot;&amp;&lt;&gt;'\xC3\xA9\">"));
    ck_assert_ptr_null(strstr(doc, "\r"));
    ck_assert_ptr_null(strstr(doc, "CDATA"));
    free(doc);
    round_trip(a);
    tu_archive_free(a);
    tc_buf_free(&s);
    tc_buf_free(&body);
}
END_TEST

/* A body longer than TCXML_TEXT_RUN_MAX (and than libxml2's 10 MB text node
 * limit) is broken by comments, never inside a character, and reads back. */
START_TEST(long_body_round_trips)
{
    size_t n = 12 * 1000 * 1000;
    char *body = malloc(n + 1);
    ck_assert_ptr_nonnull(body);
    static const char piece[] = "abc\xE2\x82\xAC<\xF0\x9F\x98\x80\n"; /* 12 bytes: a b c € < 😀 \n */
    for (size_t i = 0; i < n; i += 12)
        memcpy(body + i, piece, 12);
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "long", "mumsnet", NULL, NULL);
    tu_add_post_n(t, "1", "Ann", tu_at(0, 0), body, n, NULL);
    tu_add_post(t, "2", "Bob", tu_at(0, 0), "short", NULL);
    size_t len;
    char *doc = write_xml(a, false, &len);
    size_t comments = 0;
    for (const char *c = doc; (c = strstr(c, "<!---->")) != NULL; c += 7)
        comments++;
    ck_assert_uint_eq(comments, n / TCXML_TEXT_RUN_MAX);
    validate(doc, len);
    tu_archive *b = read_xml(doc, len);
    read_ok(b);
    tu_archives_equal(a, b);
    tu_archive_free(b);
    free(doc);
    free(body);
    tu_archive_free(a);
}
END_TEST

START_TEST(writer_refuses_what_xml_cannot_hold)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "T", "mumsnet", NULL, NULL);
    tu_add_post(t, "1", "Ann", tu_at(0, 0), "ok", NULL);
    tu_add_post(t, "7", "Bob", tu_at(0, 0), "bad \xC3 byte", NULL);
    /* checked by the session before the writer sees it */
    write_fails(a, TC_ERR_USAGE,
                "thread 1, post 2 (id \"7\"): a post body given to the 'xml' writer that is not "
                "UTF-8 (byte 0xc3 at offset 4); the model holds UTF-8 only");
    tu_archive_free(a);

    a = tu_archive_new();
    t = tu_add_thread(a, "bad \xED\xA0\x80 surrogate", "mumsnet", NULL, NULL);
    write_fails(a, TC_ERR_USAGE,
                "thread 1: a thread title given to the 'xml' writer that is not UTF-8 (byte 0xed "
                "at offset 4); the model holds UTF-8 only");
    tu_archive_free(a);

    a = tu_archive_new();
    t = tu_add_thread(a, "T", "mumsnet", NULL, NULL);
    tu_post *p = tu_add_post(t, "1", "Ann", tu_at(0, 0), "ok", NULL);
    tu_set_extra(&p->extras, "fine", "x");
    tu_set_extra(&p->extras, "bell\x07", "x");
    write_fails(a, TC_ERR_DATA,
                "thread 1, post 1 (id \"1\"): the key of extra field 2 has a character an XML "
                "attribute cannot hold (byte offset 4; expected no control characters other "
                "than tab, LF and CR)");
    tu_archive_free(a);

    a = tu_archive_new();
    t = tu_add_thread(a, "T", "mumsnet", NULL, NULL);
    tu_set_extra(&t->extras, "x\xEF\xBF\xBF", "x");
    write_fails(a, TC_ERR_DATA,
                "thread 1: the key of extra field 1 has a character an XML attribute cannot "
                "hold (byte offset 1; expected no control characters other than tab, LF and CR)");
    tu_archive_free(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Attachments                                                         */
/* ------------------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* An attachment with every field the model has. */
static tc_attachment *attach(tu_post *p, const char *name, const char *type, const void *data,
                             size_t size, const char *ref, const char *cid, const char *disp,
                             const char *note)
{
    tc_attachment *a = tu_add_attachment(p, name, type, data, size, ref);
    a->content_id = dup_or_null(cid);
    a->disposition = dup_or_null(disp);
    a->note = dup_or_null(note);
    return a;
}

static tu_archive *with_attachments(void)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "T", "mbox", NULL, NULL);
    tu_post *p = tu_add_post(t, "1", "Ann", tu_at(1612474439, 0), "see attached", NULL);
    tu_set_extra(&p->extras, "mbox.x", "y");
    attach(p, "a & b.txt", "text/plain", "ABC", 3, NULL, "part1@example.org", "attachment",
           NULL);
    attach(p, "empty.txt", "", "", 0, NULL, NULL, NULL, NULL);
    tc_attachment *r = attach(p, "IMG-1.jpg", "image/jpeg", NULL, 0, "media/IMG-1.jpg", NULL,
                              "inline", "<Media omitted>");
    r->size = 1234;
    r->size_known = true;
    attach(p, "", "", NULL, 0, NULL, NULL, NULL, "file not included");
    unsigned char bytes[58];
    for (int i = 0; i < 58; i++)
        bytes[i] = (unsigned char)(i * 5);
    attach(p, "b.bin", "application/octet-stream", bytes, sizeof bytes, NULL, NULL, NULL, NULL);
    tu_add_post(t, "2", "Bob", tu_at(1612474439, 0), "none", "1");
    return a;
}

START_TEST(writes_attachments)
{
    tu_archive *a = with_attachments();
    size_t len;
    char *doc = write_xml(a, false, &len);
    ck_assert_str_eq(doc,
        HEAD
        "<thread>\n"
        "<title>T</title>\n"
        "<source>mbox</source>\n"
        "<post>\n"
        "<id>1</id>\n"
        "<author>Ann</author>\n"
        "<date>2021-02-04T21:33:59+00:00</date>\n"
        "<body>see attached</body>\n"
        "<extra key=\"mbox.x\">y</extra>\n"
        "<attachment name=\"a &amp; b.txt\" type=\"text/plain\" size=\"3\" "
        "content-id=\"part1@example.org\" disposition=\"attachment\">\nQUJD\n</attachment>\n"
        "<attachment name=\"empty.txt\" size=\"0\" empty=\"true\"/>\n"
        "<attachment name=\"IMG-1.jpg\" type=\"image/jpeg\" size=\"1234\" "
        "ref=\"media/IMG-1.jpg\" disposition=\"inline\" note=\"&lt;Media omitted&gt;\"/>\n"
        "<attachment name=\"\" note=\"file not included\"/>\n"
        "<attachment name=\"b.bin\" type=\"application/octet-stream\" size=\"58\">\n"
        "AAUKDxQZHiMoLTI3PEFGS1BVWl9kaW5zeH2Ch4yRlpugpaqvtLm+w8jN0tfc4ebr8PX6/wQJDhMY\n"
        "HQ==\n"
        "</attachment>\n"
        "</post>\n"
        "<post>\n"
        "<id>2</id>\n"
        "<author>Bob</author>\n"
        "<date>2021-02-04T21:33:59+00:00</date>\n"
        "<body>none</body>\n"
        "<parent>1</parent>\n"
        "</post>\n"
        "</thread>\n"
        "</archive>\n");
    free(doc);
    doc = write_xml(a, true, &len);
    ck_assert_ptr_nonnull(strstr(doc,
        "    <post>\n"
        "      <id>1</id>\n"
        "      <author>Ann</author>\n"
        "      <date>2021-02-04T21:33:59+00:00</date>\n"
        "      <body xml:space=\"preserve\">see attached</body>\n"
        "      <extra key=\"mbox.x\">y</extra>\n"
        "      <attachment name=\"a &amp; b.txt\" type=\"text/plain\" size=\"3\" "
        "content-id=\"part1@example.org\" disposition=\"attachment\">\n"
        "        QUJD\n"
        "      </attachment>\n"
        "      <attachment name=\"empty.txt\" size=\"0\" empty=\"true\"/>\n"));
    free(doc);
    round_trip(a);
    tu_archive_free(a);
}
END_TEST

/* Bytes of every value and sizes around the line length come back whole. */
START_TEST(attachment_bytes_round_trip)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "T", "mbox", NULL, NULL);
    unsigned char bytes[700];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(255 - i * 7);
    static const size_t sizes[] = {1, 2, 3, 4, 56, 57, 58, 113, 114, 115, 700};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char id[8];
        snprintf(id, sizeof id, "%zu", k + 1);
        tu_post *p = tu_add_post(t, id, "Ann", (tc_date){0}, "", NULL);
        attach(p, "f", "", bytes, sizes[k], NULL, NULL, NULL, NULL);
        attach(p, "g", "", bytes + 1, sizes[k] - 1, "also/here", NULL, NULL, NULL);
    }
    round_trip(a);
    tu_archive_free(a);
}
END_TEST

/* Bytes whose base64 is longer than a text run may be: broken by comments. */
START_TEST(long_attachment_round_trips)
{
    size_t n = 9 * 1000 * 1000;
    unsigned char *bytes = malloc(n);
    ck_assert_ptr_nonnull(bytes);
    uint32_t seed = 7;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        bytes[i] = (unsigned char)(seed >> 16);
    }
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "T", "mbox", NULL, NULL);
    tu_post *p = tu_add_post(t, "1", "Ann", (tc_date){0}, "", NULL);
    attach(p, "big.bin", "application/octet-stream", bytes, n, NULL, NULL, NULL, NULL);
    size_t len;
    char *doc = write_xml(a, false, &len);
    size_t comments = 0;
    for (const char *c = doc; (c = strstr(c, "<!---->")) != NULL; c += 7)
        comments++;
    ck_assert_uint_eq(comments, 2); /* 12 million characters in runs of at most 4 MiB */
    validate(doc, len);
    tu_archive *b = read_xml(doc, len);
    read_ok(b);
    tu_archives_equal(a, b);
    tu_archive_free(b);
    free(doc);
    free(bytes);
    tu_archive_free(a);
}
END_TEST

START_TEST(writer_refuses_attachment_attributes_xml_cannot_hold)
{
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "T", "mbox", NULL, NULL);
    tu_post *p = tu_add_post(t, "3", "Ann", tu_at(0, 0), "ok", NULL);
    attach(p, "fine.txt", "", "x", 1, NULL, NULL, NULL, NULL);
    attach(p, "bell\x07.txt", "", "x", 1, NULL, NULL, NULL, NULL);
    write_fails(a, TC_ERR_DATA,
                "thread 1, post 1 (id \"3\"): the name of attachment 2 has a character an XML "
                "attribute cannot hold (byte offset 4; expected no control characters other "
                "than tab, LF and CR)");
    tu_archive_free(a);

    a = tu_archive_new();
    t = tu_add_thread(a, "T", "mbox", NULL, NULL);
    p = tu_add_post(t, "1", "Ann", tu_at(0, 0), "ok", NULL);
    attach(p, "a", "", NULL, 0, NULL, NULL, NULL, "not \xEF\xBF\xBF here");
    write_fails(a, TC_ERR_DATA,
                "thread 1, post 1 (id \"1\"): the note of attachment 1 has a character an XML "
                "attribute cannot hold (byte offset 4; expected no control characters other "
                "than tab, LF and CR)");
    tu_archive_free(a);

    /* tab, LF and CR are written as character references and read back */
    a = tu_archive_new();
    t = tu_add_thread(a, "T", "mbox", NULL, NULL);
    p = tu_add_post(t, "1", "Ann", tu_at(0, 0), "ok", NULL);
    attach(p, "a\tb\nc\rd \"q\" 'a' <&>", "text/plain; charset=\"utf-8\"", NULL, 0,
           "dir/a b.txt", "<id>", "inline", "line 1\nline 2");
    round_trip(a);
    tu_archive_free(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Round trips through the mumsnet reader                              */
/* ------------------------------------------------------------------ */

static void mumsnet_round_trip(const char *path)
{
    tu_archive *a = tu_read_file(mumsnet(), path);
    ck_assert_msg(a->rc == TC_OK, "%s does not read: %s", path, a->err.text);
    ck_assert_uint_eq(a->n_threads, 1);
    round_trip(a);
    tu_archive_free(a);
}

START_TEST(seed_round_trips)
{
    char *path = tu_path("THREADCONV_SHARED", "seeds/000_e8c5bdb5bae043fe.txt");
    tu_archive *a = tu_read_file(mumsnet(), path);
    read_ok(a);
    ck_assert_uint_eq(a->threads[0].n_posts, 20);
    size_t len;
    char *doc = write_xml(a, false, &len);
    static const char start[] = HEAD "<thread>\n<title>Can police (Metropolitan police) use Skype and "
                           "other social media?</title>\n<source>mumsnet</source>\n<extra key="
                           "\"mumsnet.layout\">classic</extra>\n<post>\n<id>1</id>\n<author>"
                           "Daffodil72</author>\n<date>2021-02-04T21:33:59+00:00</date>\n<body>"
                           "Or not? Just wondered.</body>\n</post>\n";
    ck_assert(strncmp(doc, start, sizeof start - 1) == 0);
    ck_assert_int_eq(xml_probe((const unsigned char *)doc, len, "-"), TC_PROBE_SURE);
    free(doc);
    tu_archive_free(a);
    mumsnet_round_trip(path);
    free(path);
    unload();
}
END_TEST

START_TEST(conformance_round_trips)
{
    static const char *const names[] = {"conformance/mumsnet/classic-layout.txt",
                                        "conformance/mumsnet/current-layout.txt"};
    for (size_t i = 0; i < 2; i++) {
        char *path = tu_path("THREADCONV_SHARED", names[i]);
        mumsnet_round_trip(path);
        free(path);
    }
    unload();
}
END_TEST

START_TEST(fixtures_round_trip)
{
    char *dir = tu_path("THREADCONV_TESTDATA", "mumsnet");
    DIR *dh = opendir(dir);
    ck_assert_ptr_nonnull(dh);
    struct dirent *e;
    size_t done = 0;
    while ((e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        tu_archive *a = tu_read_file(mumsnet(), path);
        if (a->rc == TC_OK) {
            round_trip(a);
            done++;
        }
        tu_archive_free(a);
    }
    closedir(dh);
    free(dir);
    ck_assert_uint_ge(done, 5);
    unload();
}
END_TEST

/* ------------------------------------------------------------------ */
/* The reader                                                          */
/* ------------------------------------------------------------------ */

/* What other tools may write: a prefix, comments, PIs, CDATA, empty
 * elements, other layouts, a BOM, single quotes. */
START_TEST(reads_other_spellings)
{
    static const char doc[] =
        "\xEF\xBB\xBF<?xml version='1.0'?>\n<!-- made by hand -->\n<?pi data?>\n"
        "<t:archive version='1' xmlns:t='urn:threadconv:xml:1' xmlns:o='urn:other'>"
        "  <t:thread o:note='ignored'>\n    <t:title/>\n    <t:source>hand</t:source>\n"
        "    <!-- a comment -->\n"
        "    <t:post><t:id>p1</t:id><t:author>A<!-- split -->nn</t:author>"
        "<t:date>2021-02-04T21:33:59Z</t:date>"
        "<t:body><![CDATA[<raw> & ]]>text<?pi?> &#x1F384;&#13;<t:ctrl code='1B'></t:ctrl></t:body>"
        "</t:post>\n"
        "  </t:thread>\n"
        "</t:archive>\n<!-- after -->\n";
    tu_archive *a = read_xml(doc, sizeof doc - 1);
    read_ok(a);
    ck_assert_uint_eq(a->n_threads, 1);
    tu_thread *t = &a->threads[0];
    ck_assert_str_eq(t->title, "");
    ck_assert_str_eq(t->source, "hand");
    ck_assert_uint_eq(t->n_posts, 1);
    ck_assert_str_eq(t->posts[0].id, "p1");
    ck_assert_str_eq(t->posts[0].author, "Ann");
    ck_assert_int_eq(t->posts[0].date.utc, 1612474439);
    ck_assert_str_eq(t->posts[0].body, "<raw> & text \xF0\x9F\x8E\x84\r\x1B");
    ck_assert_int_eq(xml_probe((const unsigned char *)doc, sizeof doc - 1, "-"), TC_PROBE_SURE);
    tu_archive_free(a);
}
END_TEST

/* Threads whose posts are not read are skipped (and still checked). */
START_TEST(streaming_contract)
{
    tu_archive *a = sample();
    size_t len;
    char *doc = write_xml(a, false, &len);
    tc_stream *in = tc_stream_open_memory(doc, len, "in.xml");
    void *state = NULL;
    ck_assert_int_eq(XML->read_open(in, &state), TC_OK);
    const tc_thread *t;
    const tc_post *p;
    ck_assert_int_eq(XML->read_next_thread(in, state, &t), TC_OK);
    ck_assert_str_eq(t->title, "Hello & <welcome>");
    ck_assert_str_eq(t->url, "https://example.org/t?a=1&b=2");
    ck_assert_int_eq(XML->read_next_post(in, state, &p), TC_OK);
    ck_assert_str_eq(p->id, "1");
    ck_assert_str_eq(tc_fields_get(&p->extras, "number"), "1");
    ck_assert_int_eq(XML->read_next_thread(in, state, &t), TC_OK);
    ck_assert_str_eq(t->source, "mumsnet");
    ck_assert_ptr_null(t->id);
    ck_assert_int_eq(XML->read_next_post(in, state, &p), TC_EOF);
    ck_assert_int_eq(XML->read_next_post(in, state, &p), TC_EOF);
    ck_assert_int_eq(XML->read_next_thread(in, state, &t), TC_EOF);
    ck_assert_int_eq(XML->read_next_thread(in, state, &t), TC_EOF);
    XML->read_close(in, state);
    tc_stream_close(in);
    free(doc);
    tu_archive_free(a);
}
END_TEST

#define DOCTYPE_REFUSED \
    "<!DOCTYPE is not allowed: threadconv XML has no document type declaration (a DTD could " \
    "load external entities or expand entities without bound); expected the root element " \
    EXPECTED_ROOT

START_TEST(refuses_xxe)
{
    tu_archive *a = read_data_file("xxe.xml");
    check_error(a, 2, 1, DOCTYPE_REFUSED);
    ck_assert_uint_eq(a->n_threads, 0);
    ck_assert_ptr_null(strstr(a->err.text, "root:"));
    tu_archive_free(a);
    /* a DOCTYPE further down, after comments and a PI, with no XML declaration */
    read_fails("<!-- <!DOCTYPE in a comment is fine -->\n<?pi <!DOCTYPE ?>\n  <!DOCTYPE archive "
               "SYSTEM \"http://example.org/x.dtd\">\n" ROOT "</archive>",
               3, 3, DOCTYPE_REFUSED);
}
END_TEST

START_TEST(refuses_billion_laughs_quickly)
{
    clock_t start = clock();
    tu_archive *a = read_data_file("billion-laughs.xml");
    check_error(a, 2, 1, DOCTYPE_REFUSED);
    tu_archive_free(a);
    ck_assert_msg(clock() - start < CLOCKS_PER_SEC, "took more than a second");
}
END_TEST

START_TEST(refuses_deep_nesting_quickly)
{
    clock_t start = clock();
    tc_buf doc = {0};
    tc_buf_printf(&doc, ROOT);
    for (int i = 0; i < 10000; i++)
        tc_buf_printf(&doc, "<thread>");
    for (int i = 0; i < 10000; i++)
        tc_buf_printf(&doc, "</thread>");
    tc_buf_printf(&doc, "</archive>");
    read_fails(doc.data, 1, 0, "thread 1: expected <title>, found <thread>");

    /* in a body, with a line break before each level */
    tc_buf_reset(&doc);
    tc_buf_printf(&doc, ROOT "\n<thread><title>t</title><source>s</source>\n<post><id>1</id>"
                        "<author>a</author>\n<body>text");
    for (int i = 0; i < 10000; i++)
        tc_buf_printf(&doc, "\n<b>");
    read_fails(doc.data, 5, 0, "thread 1, post 1: expected text, <ctrl/> or </body>, found <b>");
    tc_buf_free(&doc);
    ck_assert_msg(clock() - start < CLOCKS_PER_SEC, "took more than a second");
}
END_TEST

START_TEST(refuses_truncated)
{
    tu_archive *a = read_data_file("truncated.xml");
    check_error(a, 11, 1,
                "the input ends inside <body> (started on line 10): expected the rest of it and "
                "</body>; the file is truncated");
    tu_archive_free(a);
    read_fails(ROOT "<thread><title>x</title><source>s</source>", 1, 93,
               "the input ends inside <thread> (started on line 1): expected the rest of it and "
               "</thread>; the file is truncated");
    read_fails("", 1, 1, "no XML element found: expected the root element " EXPECTED_ROOT);
    read_fails("<?xml version=\"1.0\"?>\n\n", 3, 1,
               "no XML element found: expected the root element " EXPECTED_ROOT);
}
END_TEST

START_TEST(refuses_wrong_root)
{
    tu_archive *a = read_data_file("wrong-root.xml");
    check_error(a, 3, 1,
                "not a threadconv XML archive: expected the root element " EXPECTED_ROOT
                ", found <rss> in no namespace");
    tu_archive_free(a);
    read_fails("\n  <threads xmlns=\"urn:threadconv:xml:1\" version=\"1\"/>", 2, 3,
               "not a threadconv XML archive: expected the root element " EXPECTED_ROOT
               ", found <threads>");
}
END_TEST

START_TEST(refuses_wrong_namespace)
{
    tu_archive *a = read_data_file("wrong-namespace.xml");
    check_error(a, 2, 1,
                "not a threadconv XML archive: expected the root element " EXPECTED_ROOT
                ", found <archive> in namespace \"urn:example:other\"");
    tu_archive_free(a);
    read_fails("<archive version=\"1\"></archive>", 1, 1,
               "not a threadconv XML archive: expected the root element " EXPECTED_ROOT
               ", found <archive> in no namespace");
    /* our root, but a child in no namespace */
    read_fails(ROOT "\n<thread xmlns=\"\"/></archive>", 2, 0,
               "expected <thread> or </archive>, found <thread> in no namespace");
}
END_TEST

START_TEST(refuses_bad_structure)
{
    read_fails("<archive xmlns=\"urn:threadconv:xml:1\" version=\"2\"/>", 1, 1,
               "unsupported version=\"2\" on <archive>: expected version=\"1\" (this reader "
               "reads version 1)");
    read_fails(ROOT_EMPTY "\n<!-- fine -->\njunk", 3, 1,
               "not well-formed XML: Extra content at the end of the document: expected "
               "nothing but comments and white space after </archive>");
    read_fails("<archive xmlns=\"urn:threadconv:xml:1\"/>", 1, 1,
               "<archive> without a version: expected version=\"1\" (this reader reads "
               "version 1)");
    read_fails(ROOT "\n<thread>\n<source>s</source>", 3, 0,
               "thread 1: expected <title>, found <source>");
    read_fails(ROOT "\n<thread>\n<title>t</title>\n</thread></archive>", 2, 0,
               "thread 1: expected <source>, found </thread>");
    read_fails(ROOT "\n<thread><title>t</title><source>s</source>\n<url>u</url>\n<id>i</id>", 4, 0,
               "thread 1: expected <extra>, <post> or </thread>, found <id>");
    read_fails(ROOT "<thread><title>t</title><source>s</source>\n<post>\n<id>1</id>\n"
                    "<body>b</body>", 4, 0, "thread 1, post 1: expected <author>, found <body>");
    read_fails(ROOT "<thread><title>t</title><source>s</source><post><id>1</id><author>a</author>"
                    "\n<date>2021-02-31T10:00:00+00:00</date><body/></post>", 2, 0,
               "thread 1, post 1: <date>2021-02-31T10:00:00+00:00</date>: expected an ISO 8601 "
               "date and time with a UTC offset, like 2021-02-04T21:33:59+00:00");
    read_fails(ROOT "<thread><title>t</title><source>s</source><post><id>1</id><author>a</author>"
                    "<body/><extra key=\"k\">1</extra>\n<extra key=\"k\">2</extra>", 2, 0,
               "thread 1, post 1: <extra key=\"k\"> appears twice: expected each key once");
    read_fails(ROOT "<thread><title>t</title><source>s</source>\n<extra key=\"title\">x</extra>",
               2, 0, "thread 1: <extra key=\"title\">: the key is a name the model reserves, "
                     "expected another one");
    read_fails(ROOT "<thread><title>t</title><source>s</source>\n<extra>x</extra>", 2, 0,
               "thread 1: <extra> without a key: expected <extra key=\"NAME\">");
    read_fails(ROOT "<thread><title>t<ctrl code=\"41\"/></title>", 1, 0,
               "thread 1: <ctrl code=\"41\"> in <title>: expected a code for a character XML "
               "cannot hold: 01-08, 0B, 0C, 0E-1F, FFFE or FFFF");
    read_fails(ROOT "<thread><title>t<ctrl code=\"00\"/></title>", 1, 0,
               "thread 1: <ctrl code=\"00\"> in <title>: expected a code for a character XML "
               "cannot hold: 01-08, 0B, 0C, 0E-1F, FFFE or FFFF");
    read_fails(ROOT "<thread><title>t</title><source>s</source><post><id>1</id><author>a</author>"
                    "<body><ctrl code=\"1b\"/></body>", 1, 0,
               "thread 1, post 1: <ctrl code=\"1b\"> in <body>: expected a code for a character "
               "XML cannot hold: 01-08, 0B, 0C, 0E-1F, FFFE or FFFF (or 00)");
    read_fails(ROOT "<thread><title>t<ctrl code=\"01\">x</ctrl></title>", 1, 0,
               "thread 1: expected an empty <ctrl/> element, found text \"x\"");
    read_fails(ROOT "\nloose text\tand more than twenty-four characters<thread/>", 2, 0,
               "expected <thread> or </archive>, found text \"loose text and more than...\"");
    read_fails(ROOT "<thread/>", 1, 0, "thread 1: empty <thread/>: expected <title> in it");
    read_fails(ROOT "<thread><title>t</title><source>s</source><post/>", 1, 0,
               "thread 1, post 1: empty <post/>: expected <id> in it");
    read_fails(ROOT "<thread><title>&nbsp;</title>", 1, 72,
               "not well-formed XML: Entity 'nbsp' not defined");
    read_fails(ROOT "<thread><title>t</source>", 1, 76,
               "not well-formed XML: Opening and ending tag mismatch: title line 1 and source: "
               "expected </title>");
    read_fails(ROOT "</archive>\njunk", 2, 1,
               "not well-formed XML: Extra content at the end of the document: expected "
               "nothing but comments and white space after </archive>");
    read_fails(ROOT "<thread><title>caf\xC3</title>", 1, 69,
               "invalid UTF-8 (bytes 0xC3 0x3C 0x2F 0x74): expected UTF-8 text (threadconv XML "
               "is always UTF-8)");
    /* UTF-16 is not read, whatever it declares */
    static const char utf16[] = "\xFF\xFE<\0a\0>\0";
    tu_archive *a = read_xml(utf16, sizeof utf16 - 1);
    ck_assert_int_eq(a->rc, TC_ERR_DATA);
    tu_archive_free(a);
}
END_TEST

START_TEST(limits)
{
    /* a post's text over the max-post limit; the limit is 64 MiB, so use
     * many extra fields, which count against it together */
    tu_archive *a = tu_archive_new();
    tu_thread *t = tu_add_thread(a, "T", "mumsnet", NULL, NULL);
    tu_post *p = tu_add_post(t, "1", "Ann", tu_at(0, 0), "", NULL);
    char *big = malloc(9 * 1000 * 1000 + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', 9 * 1000 * 1000);
    big[9 * 1000 * 1000] = '\0';
    for (int i = 0; i < 8; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        tu_set_extra(&p->extras, key, big);
    }
    size_t len;
    char *doc = write_xml(a, false, &len);
    tu_archive *b = read_xml(doc, len);
    check_error(b, 18, 0,
                "thread 1, post 1: the extra fields are longer than the max-post limit "
                "(67108864 bytes)");
    tu_archive_free(b);
    free(doc);
    free(big);
    tu_archive_free(a);
}
END_TEST

/* Text over the max-post limit (set low here), in one run or in several
 * runs broken by comments. */
START_TEST(text_limit)
{
    /* each text between the two halves */
    static const char *const docs[][2] = {
        {ROOT "\n<thread><title>t</title><source>s</source>\n<post><id>1</id><author>a</author>"
              "\n<body>",
         "<!---->\n"},
        {ROOT "\n<thread><title>", ""},
    };
    static const char *const ends[] = {"</body></post></thread></archive>",
                                       "</title><source>s</source></thread></archive>"};
    static const char *const want[] = {
        "thread 1, post 1: the text of <body> is longer than the max-post limit (100 bytes)",
        "thread 1: the text of <title> is longer than the max-post limit (100 bytes)",
    };
    /* libxml2 gives a run of text the line it had reached when it handed
     * over the run's first piece (here: after the line break) */
    static const uint64_t line[] = {5, 2};
    char sixty[61];
    memset(sixty, 'x', 60);
    sixty[60] = '\0';
    for (int i = 0; i < 2; i++) {
        tc_buf doc = {0};
        tc_buf_printf(&doc, "%s%s%s%s%s", docs[i][0], sixty, docs[i][1], sixty, ends[i]);
        tc_stream *in = tc_stream_open_memory(doc.data, doc.len, "in.xml");
        tc_stream_set_limit(in, TC_LIMIT_POST, 100);
        void *state = NULL;
        ck_assert_int_eq(XML->read_open(in, &state), TC_OK);
        const tc_thread *t;
        const tc_post *p;
        int rc = XML->read_next_thread(in, state, &t);
        if (i == 0) {
            ck_assert_int_eq(rc, TC_OK);
            rc = XML->read_next_post(in, state, &p);
        }
        ck_assert_int_eq(rc, TC_ERR_DATA);
        const tc_error *err = tc_stream_get_error(in);
        ck_assert_str_eq(err->text, want[i]);
        ck_assert_uint_eq(err->line, line[i]);
        XML->read_close(in, state);
        tc_stream_close(in);
        tc_buf_free(&doc);
    }
}
END_TEST

/* The posts before a problem are handed out, then the problem: one in the
 * structure, and one libxml2 finds. */
START_TEST(posts_before_a_problem)
{
    static const char *const last[] = {
        "<post><id>41</id>\n<body>b</body></post>\n</thread></archive>\n",
        "<post><id>41</id>\n<author>a</body></post>\n</thread></archive>\n",
    };
    static const char *const want[] = {
        "thread 1, post 41: expected <author>, found <body>",
        "not well-formed XML: Opening and ending tag mismatch: author line 44 and body: "
        "expected </author>",
    };
    static const uint64_t column[] = {0, 17};
    for (int i = 0; i < 2; i++) {
        tc_buf doc = {0};
        tc_buf_printf(&doc, ROOT "\n<thread><title>t</title><source>s</source>\n");
        for (int n = 1; n <= 40; n++)
            tc_buf_printf(&doc, "<post><id>%d</id><author>a</author><body>post %d, with "
                                "some text to make it longer than a line</body></post>\n", n, n);
        tc_buf_printf(&doc, "%s", last[i]);
        tu_archive *a = read_xml(doc.data, doc.len);
        check_error(a, 44, column[i], want[i]);
        ck_assert_uint_eq(a->n_threads, 1);
        ck_assert_uint_eq(a->threads[0].n_posts, 40);
        ck_assert_str_eq(a->threads[0].posts[39].id, "40");
        ck_assert_str_eq(a->threads[0].posts[39].body,
                         "post 40, with some text to make it longer than a line");
        tu_archive_free(a);
        tc_buf_free(&doc);
    }
}
END_TEST

/* The first problem in the document is the one reported, though the input
 * then ends too early or breaks the rules of XML. */
START_TEST(first_problem_is_reported)
{
    read_fails(ROOT "<thread><title>t</title><source>s</source><post><id>1</id><author>a</author>"
                    "\n<date>x</date>",
               2, 0, "thread 1, post 1: <date>x</date>: expected an ISO 8601 date and time with "
                     "a UTC offset, like 2021-02-04T21:33:59+00:00");
    read_fails(ROOT "<thread>\n<source>s</source><title>t</tit>", 2, 0,
               "thread 1: expected <title>, found <source>");
    read_fails("<rss>\n<archive xmlns=\"urn:threadconv:xml:1\" version=\"1\"></rs>", 1, 1,
               "not a threadconv XML archive: expected the root element " EXPECTED_ROOT
               ", found <rss> in no namespace");
}
END_TEST

/* Nothing may stand in a <ctrl>: how each kind of node is named. */
START_TEST(refuses_anything_in_ctrl)
{
    static const struct {
        const char *inside;
        uint64_t line;
        const char *found;
    } cases[] = {
        {"<!-- c -->", 2, "an XML node of type 8"},
        {"<?pi x?>\n", 2, "an XML node of type 7"},
        {"  \n  ", 3, "an XML node of type 14"},
        {"\n<![CDATA[x]]>", 3, "an XML node of type 14"},
        {"<![CDATA[ cdata ]]>", 2, "text \"cdata \""},
        {"\ntext\n", 4, "text \"text \""},
        {"<b/>", 2, "<b>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char doc[256], want[128];
        snprintf(doc, sizeof doc, ROOT "\n<thread><title>t<ctrl code=\"01\">%s</ctrl></title>",
                 cases[i].inside);
        snprintf(want, sizeof want, "thread 1: expected an empty <ctrl/> element, found %s",
                 cases[i].found);
        read_fails(doc, cases[i].line, 0, want);
    }
}
END_TEST

/* Attachments as other tools may write them: base64 in any line length,
 * CDATA, comments, character references, attributes in any order. */
START_TEST(reads_attachments)
{
    static const char doc[] =
        ROOT "<thread><title>t</title><source>s</source><post><id>1</id><author>a</author>"
        "<body/>\n"
        "<attachment size='3' name='a.txt' o:x='y' xmlns:o='urn:other'>  QU<!-- c -->JD  </attachment>\n"
        "<attachment name='b'>\r\n\tQU\r\n\tJD\r\n\tRA==\r\n</attachment>\n"
        "<attachment name='c'><![CDATA[QUJD]]>&#81;Q&#x3D;=</attachment>\n"
        "<attachment name='d' type='' size='0'/>\n"
        "<attachment name='e'>  \n  </attachment>\n"
        "<attachment name='f' empty='true'>\n</attachment>\n"
        "</post></thread></archive>";
    tu_archive *a = read_xml(doc, sizeof doc - 1);
    read_ok(a);
    tu_post *p = &a->threads[0].posts[0];
    ck_assert_uint_eq(p->n_attachments, 6);
    tc_attachment *t = p->attachments;
    ck_assert_str_eq(t[0].name, "a.txt");
    ck_assert_str_eq(t[0].media_type, "");
    ck_assert(t[0].size_known && t[0].size == 3 && memcmp(t[0].data, "ABC", 3) == 0);
    ck_assert_ptr_null(t[0].ref);
    ck_assert(t[1].size_known && t[1].size == 4 && memcmp(t[1].data, "ABCD", 4) == 0);
    ck_assert(t[2].size_known && t[2].size == 4 && memcmp(t[2].data, "ABCA", 4) == 0);
    /* no bytes: a size that is known, or none */
    ck_assert(t[3].data == NULL && t[3].size_known && t[3].size == 0);
    ck_assert(t[4].data == NULL && !t[4].size_known);
    /* the bytes are there, and there are none */
    ck_assert(t[5].data != NULL && t[5].size_known && t[5].size == 0);
    tu_archive_free(a);
}
END_TEST

#define POST_OPEN                                                                              \
    ROOT "<thread><title>t</title><source>s</source><post><id>1</id><author>a</author><body/>\n"

START_TEST(refuses_bad_attachments)
{
    static const char *const bad_base64 =
        "thread 1, post 1: attachment 1: bad base64 \"%s\": expected A-Z, a-z, 0-9, +, / or = "
        "(or white space)";
    char want[256];
    snprintf(want, sizeof want, bad_base64, "!");
    read_fails(POST_OPEN "<attachment name=\"a\">\nQUJD\n  QU!D\n</attachment>", 4, 5, want);
    read_fails(POST_OPEN "<attachment name=\"a\">QU!D</attachment>", 2, 24, want);
    /* after a comment and a character reference, and one that is not ASCII */
    read_fails(POST_OPEN "<attachment name=\"a\">Q<!--\n-->U&#74;D!</attachment>", 3, 11, want);
    snprintf(want, sizeof want, bad_base64, "\xC3\xA9");
    read_fails(POST_OPEN "<attachment name=\"a\">QU\xC3\xA9</attachment>", 2, 24, want);
    /* libxml2 keeps no position in CDATA: the line of the start tag */
    snprintf(want, sizeof want, bad_base64, "*");
    read_fails(POST_OPEN "<attachment name=\"a\">\n<![CDATA[QU*D]]></attachment>", 2, 0, want);
    read_fails(POST_OPEN "<attachment name=\"a\">QR==</attachment>", 2, 24,
               "thread 1, post 1: attachment 1: bad base64 \"=\": the digit before = has bits "
               "that belong to no byte: expected the padded form RFC 4648 writes");
    read_fails(POST_OPEN "<attachment name=\"a\">QQ==\nQQ==</attachment>", 3, 1,
               "thread 1, post 1: attachment 1: bad base64 \"Q\": expected nothing but white "
               "space after the padding =");
    read_fails(POST_OPEN "<attachment name=\"a\">QQ=A</attachment>", 2, 25,
               "thread 1, post 1: attachment 1: bad base64 \"A\": expected a second = to end the "
               "padding");
    read_fails(POST_OPEN "<attachment name=\"a\">Q===</attachment>", 2, 23,
               "thread 1, post 1: attachment 1: bad base64 \"=\": expected at least 2 digits of "
               "the last group before =");
    read_fails(POST_OPEN "<attachment name=\"a\">\nQUJDQU\n</attachment>", 2, 0,
               "thread 1, post 1: attachment 1: the base64 ends early: expected the last group "
               "of 4 characters to be complete (padded with =)");
    read_fails(POST_OPEN "<attachment name=\"a\">QQ=</attachment>", 2, 0,
               "thread 1, post 1: attachment 1: the base64 ends early: expected a second = to "
               "end the padding");
    read_fails(POST_OPEN "<attachment name=\"a\" size=\"4\">QUJD</attachment>", 2, 0,
               "thread 1, post 1: attachment 1: size=\"4\" but its base64 holds 3 bytes: "
               "expected the two to agree");
    read_fails(POST_OPEN "<attachment name=\"a\" size=\"18446744073709551616\"/>", 2, 0,
               "thread 1, post 1: attachment 1: size=\"18446744073709551616\": expected the size "
               "in bytes, a decimal number");
    read_fails(POST_OPEN "<attachment name=\"a\" size=\" 4\"/>", 2, 0,
               "thread 1, post 1: attachment 1: size=\" 4\": expected the size in bytes, a "
               "decimal number");
    read_fails(POST_OPEN "<attachment name=\"a\"/>\n<attachment type=\"text/plain\"/>", 3, 0,
               "thread 1, post 1: attachment 2 without a name: expected <attachment "
               "name=\"FILE\">");
    read_fails(POST_OPEN "<attachment name=\"a\" empty=\"false\"/>", 2, 0,
               "thread 1, post 1: attachment 1: empty=\"false\": expected empty=\"true\" (the "
               "bytes are there and there are none) or no empty attribute");
    read_fails(POST_OPEN "<attachment name=\"a\" empty=\"true\" size=\"3\"/>", 2, 0,
               "thread 1, post 1: attachment 1: empty=\"true\" with size=\"3\": expected "
               "size=\"0\" or no size");
    read_fails(POST_OPEN "<attachment name=\"a\" empty=\"true\">\n QUJD</attachment>", 3, 2,
               "thread 1, post 1: attachment 1: bad base64 \"Q\": expected no base64 in an "
               "attachment that has empty=\"true\"");
    read_fails(POST_OPEN "<attachment name=\"a\">QUJD<ctrl code=\"01\"/></attachment>", 2, 0,
               "thread 1, post 1: expected base64 or </attachment>, found <ctrl>");
    read_fails(POST_OPEN "<attachment name=\"a\"/>\n<extra key=\"k\">v</extra>", 3, 0,
               "thread 1, post 1: expected <attachment> or </post>, found <extra>");
    read_fails(POST_OPEN "<attachment name=\"a\"/>\n<parent>1</parent>", 3, 0,
               "thread 1, post 1: expected <attachment> or </post>, found <parent>");
    read_fails(POST_OPEN "<date>2021-02-04T21:33:59Z</date>", 2, 0,
               "thread 1, post 1: expected <parent>, <extra>, <attachment> or </post>, found "
               "<date>");
    read_fails(ROOT "<thread><title>t</title><source>s</source><attachment name=\"a\"/>", 1, 0,
               "thread 1: expected <id>, <url>, <extra>, <post> or </thread>, found "
               "<attachment>");
}
END_TEST

/* An attachment's bytes count against the max-post limit, all of a post's
 * attachments together. */
START_TEST(attachment_limit)
{
    static const char *const docs[] = {
        POST_OPEN "<attachment name=\"a\">\n"
                  "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n"
                  "NTY3ODk=\n</attachment></post></thread></archive>",
        POST_OPEN "<attachment name=\"a\">QUJD</attachment>\n<attachment name=\"b\">QUJD</attachment>"
                  "</post></thread></archive>",
    };
    /* the line of the attachment's start tag */
    static const uint64_t line[] = {2, 3};
    static const size_t limit[] = {120, 137};
    for (int i = 0; i < 2; i++) {
        tc_stream *in = tc_stream_open_memory(docs[i], strlen(docs[i]), "in.xml");
        tc_stream_set_limit(in, TC_LIMIT_POST, limit[i]);
        void *state = NULL;
        ck_assert_int_eq(XML->read_open(in, &state), TC_OK);
        const tc_thread *t;
        const tc_post *p;
        ck_assert_int_eq(XML->read_next_thread(in, state, &t), TC_OK);
        ck_assert_int_eq(XML->read_next_post(in, state, &p), TC_ERR_DATA);
        const tc_error *err = tc_stream_get_error(in);
        char want[128];
        snprintf(want, sizeof want, "thread 1, post 1: the attachments are longer than the "
                                    "max-post limit (%zu bytes)", limit[i]);
        ck_assert_str_eq(err->text, want);
        ck_assert_uint_eq(err->line, line[i]);
        XML->read_close(in, state);
        tc_stream_close(in);
    }
}
END_TEST

/* Many posts of every size, bodies longer than the reader's buffers and
 * extra fields among them, come back exactly. */
START_TEST(large_archive_round_trips)
{
    static const char *const words[] = {
        "a ", "the ", "caf\xC3\xA9 ", "\xE2\x80\x9Cquoted\xE2\x80\x9D ", "\xF0\x9F\x91\x8D ",
        "& ", "<x> ", "\n", "\r\n", "\t", "\x1B", "]]> ", "\xEF\xBF\xBE", "\xD7\xA9\xD7\x9C ",
    };
    uint32_t seed = 2026;
    tu_archive *a = tu_archive_new();
    for (int ti = 1; ti <= 3; ti++) {
        char title[32];
        snprintf(title, sizeof title, "thread %d", ti);
        tu_thread *t = tu_add_thread(a, title, "mumsnet", ti == 2 ? "t2" : NULL,
                                     ti == 3 ? "https://example.org/?a=1&b=2" : NULL);
        tu_set_extra(&t->extras, "k&<\"'", "v & <w>");
        for (int pi = 1; pi <= 250; pi++) {
            seed = seed * 1103515245u + 12345u;
            size_t want = pi % 40 == 0 ? 70000 + seed % 90000 : (seed >> 8) % 2500;
            tc_buf body = {0};
            ck_assert_int_eq(tc_buf_append(&body, "", 0), TC_OK);
            while (body.len < want) {
                seed = seed * 1103515245u + 12345u;
                tc_buf_printf(&body, "%s", words[(seed >> 16) % (sizeof words / sizeof *words)]);
            }
            if (pi % 9 == 0)
                tc_buf_append(&body, "\0nul", 4);
            char id[16], parent[16];
            snprintf(id, sizeof id, "%d", pi);
            snprintf(parent, sizeof parent, "%d", pi / 2);
            tc_date date = pi % 3 ? tu_at(pi, 60) : (tc_date){0};
            tu_post *p = tu_add_post_n(t, id, pi % 5 ? "Ann" : "", date, body.data, body.len,
                                       pi > 1 ? parent : NULL);
            if (pi % 7 == 0) {
                tu_set_extra(&p->extras, "n&b", id);
                tu_set_extra(&p->extras, "long", body.len < 3000 ? "short" : "long\nvalue");
            }
            tc_buf_free(&body);
        }
    }
    round_trip(a);
    tu_archive_free(a);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Probe and descriptor                                                */
/* ------------------------------------------------------------------ */

static int probe(const char *s)
{
    return xml_probe((const unsigned char *)s, strlen(s), "x");
}

START_TEST(probe_scores)
{
    ck_assert_int_eq(probe(HEAD "</archive>\n"), TC_PROBE_SURE);
    ck_assert_int_eq(probe("<archive version=\"1\" xmlns=\"urn:threadconv:xml:1\">"), TC_PROBE_SURE);
    ck_assert_int_eq(probe("\xEF\xBB\xBF<!-- c --><?pi?>\n<x:archive xmlns:x='urn:threadconv:xml:1'>"),
                     TC_PROBE_SURE);
    /* cut short before the namespace: could still be ours */
    ck_assert_int_eq(probe("<?xml version=\"1.0\"?>\n<archive version=\"1\""), TC_PROBE_MAYBE);
    ck_assert_int_eq(probe("<?xml version=\"1.0\"?>\n<rss version=\"2.0\">"), TC_PROBE_MAYBE);
    ck_assert_int_eq(probe("<archive xmlns=\"urn:example:other\">"), TC_PROBE_MAYBE);
    ck_assert_int_eq(probe("<archive>"), TC_PROBE_MAYBE);
    ck_assert_int_eq(probe("<x:archive xmlns=\"urn:threadconv:xml:1\" xmlns:x=\"urn:o\">"),
                     TC_PROBE_MAYBE);
    ck_assert_int_eq(probe("<!-- unterminated"), TC_PROBE_MAYBE);
    ck_assert_int_eq(probe("<!DOCTYPE html><html>"), TC_PROBE_MAYBE);
    ck_assert_int_eq(probe(""), TC_PROBE_NO);
    ck_assert_int_eq(probe("{\"format\":\"threadconv\"}"), TC_PROBE_NO);
    ck_assert_int_eq(probe("Title\n\nAnn Thu 04-Feb-21 21:33:59\n\nHi\n"), TC_PROBE_NO);
    ck_assert_int_eq(probe("From MAILER-DAEMON Thu Feb  4 21:33:59 2021\n"), TC_PROBE_NO);
}
END_TEST

START_TEST(descriptor)
{
    ck_assert_str_eq(XML->name, "xml");
    ck_assert_str_eq(XML->extension, "xml");
    ck_assert_ptr_nonnull(XML->read_probe);
    ck_assert_ptr_nonnull(XML->read_open);
    ck_assert_ptr_nonnull(XML->write_open);
    ck_assert_str_eq(XML->options[0].name, "pretty");
    ck_assert_ptr_null(XML->options[1].name);
    /* libxml2 checks the input is UTF-8: the core need not check again */
    ck_assert(XML->flags & TC_FORMAT_READS_UTF8);
}
END_TEST

static Suite *xml_suite(void)
{
    Suite *s = suite_create("xml");
    TCase *tc = tcase_create("writer");
    tcase_add_test(tc, writes_exact_document);
    tcase_add_test(tc, writes_pretty_document);
    tcase_add_test(tc, writes_empty_archive);
    tcase_add_test(tc, hostile_text_round_trips);
    tcase_add_test(tc, long_body_round_trips);
    tcase_add_test(tc, writer_refuses_what_xml_cannot_hold);
    tcase_add_test(tc, writes_attachments);
    tcase_add_test(tc, attachment_bytes_round_trip);
    tcase_add_test(tc, long_attachment_round_trips);
    tcase_add_test(tc, writer_refuses_attachment_attributes_xml_cannot_hold);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("round trips");
    tcase_add_test(tc, seed_round_trips);
    tcase_add_test(tc, conformance_round_trips);
    tcase_add_test(tc, fixtures_round_trip);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("reader");
    tcase_add_test(tc, reads_other_spellings);
    tcase_add_test(tc, streaming_contract);
    tcase_add_test(tc, refuses_xxe);
    tcase_add_test(tc, refuses_billion_laughs_quickly);
    tcase_add_test(tc, refuses_deep_nesting_quickly);
    tcase_add_test(tc, refuses_truncated);
    tcase_add_test(tc, refuses_wrong_root);
    tcase_add_test(tc, refuses_wrong_namespace);
    tcase_add_test(tc, refuses_bad_structure);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, text_limit);
    tcase_add_test(tc, posts_before_a_problem);
    tcase_add_test(tc, first_problem_is_reported);
    tcase_add_test(tc, refuses_anything_in_ctrl);
    tcase_add_test(tc, reads_attachments);
    tcase_add_test(tc, refuses_bad_attachments);
    tcase_add_test(tc, attachment_limit);
    tcase_add_test(tc, large_archive_round_trips);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("probe");
    tcase_add_test(tc, probe_scores);
    tcase_add_test(tc, descriptor);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xml_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
