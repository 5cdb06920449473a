/*
 * test_mail.c - the library's mail text helpers (threadconv/mail.h).
 *
 * Expected values are literals: the examples of the RFCs themselves
 * (RFC 2045 section 6.7, RFC 2047 section 8, RFC 2231 sections 3-5, RFC
 * 5322 appendix A, and RFC 4648 section 10 for the base64 alphabet RFC
 * 2045 shares) and cases worked out by hand from the rules.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "testutil.h"

#include <threadconv/mail.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- charsets */

static char *utf8(const char *charset, const char *in, size_t len, size_t *bad, bool *unknown)
{
    tc_buf out = {0};
    *bad = 0;
    *unknown = false;
    ck_assert_int_eq(tc_mail_to_utf8(&out, charset, in, len, bad, unknown), TC_OK);
    ck_assert_ptr_nonnull(out.data); /* NUL-terminated, also when empty */
    ck_assert(tc_utf8_valid(out.data, out.len, NULL, NULL));
    return out.data;
}

START_TEST(charsets)
{
    size_t bad;
    bool unknown;
    char *s = utf8("ISO-8859-1", "caf\xE9", 4, &bad, &unknown);
    ck_assert_str_eq(s, "caf\xC3\xA9");
    ck_assert_uint_eq(bad, 0);
    free(s);
    s = utf8("windows-1252", "\x80 5", 3, &bad, &unknown); /* 0x80 is the euro sign */
    ck_assert_str_eq(s, "\xE2\x82\xAC 5");
    free(s);
    s = utf8(NULL, "", 0, &bad, &unknown);
    ck_assert_str_eq(s, "");
    free(s);
    /* ASCII-labelled 8-bit bytes: windows-1252, as mail clients read them
     * (WHATWG: us-ascii is a label of windows-1252); unlabelled ones are
     * UTF-8 when they are, else ISO-8859-1 */
    s = utf8("us-ascii", "caf\xC3\xA9 d\xE9j\xE0", 10, &bad, &unknown);
    ck_assert_str_eq(s, "caf\xC3\x83\xC2\xA9 d\xC3\xA9j\xC3\xA0");
    ck_assert_uint_eq(bad, 0);
    free(s);
    s = utf8(NULL, "caf\xC3\xA9 d\xE9j\xE0", 10, &bad, &unknown);
    ck_assert_str_eq(s, "caf\xC3\xA9 d\xC3\xA9j\xC3\xA0");
    ck_assert_uint_eq(bad, 2);
    free(s);
    /* a NUL becomes U+FFFD; the language suffix of RFC 2231 is ignored */
    s = utf8("utf-8", "a\0b", 3, &bad, &unknown);
    ck_assert_str_eq(s, "a\xEF\xBF\xBD" "b");
    ck_assert_uint_eq(bad, 1);
    free(s);
    s = utf8("iso-8859-1*fr", "\xE9t\xE9", 3, &bad, &unknown);
    ck_assert_str_eq(s, "\xC3\xA9t\xC3\xA9");
    free(s);
    /* a byte the charset does not have, and a charset nobody knows */
    s = utf8("utf-8", "\xFF", 1, &bad, &unknown);
    ck_assert_str_eq(s, "\xC3\xBF");
    ck_assert_uint_eq(bad, 1);
    free(s);
    s = utf8("x-no-such-charset", "abc", 3, &bad, &unknown);
    ck_assert_str_eq(s, "abc");
    ck_assert(unknown);
    free(s);
    /* appended: what the buffer held stays */
    tc_buf out = {0};
    tc_buf_append(&out, "x", 1);
    tc_mail_to_utf8(&out, "iso-8859-1", "\xE9", 1, &bad, &unknown);
    ck_assert_str_eq(out.data, "x\xC3\xA9");
    tc_buf_free(&out);
}
END_TEST

/* The WHATWG Encoding Standard's labels (https://encoding.spec.whatwg.org/
 * #names-and-labels), as browsers and Thunderbird read them. */
START_TEST(charset_labels)
{
    static const char *const names[][2] = {
        {"iso-8859-1", "windows-1252"}, {"Latin1", "windows-1252"}, {"US-ASCII", "windows-1252"},
        {"ascii", "windows-1252"},      {" cp819 ", "windows-1252"}, {"gb2312", "GBK"},
        {"GB_2312-80", "GBK"},          {"x-gbk", "GBK"},           {"ks_c_5601-1987", "EUC-KR"},
        {"windows-949", "EUC-KR"},      {"iso-8859-9", "windows-1254"}, {"tis-620", "windows-874"},
        {"sjis", "Shift_JIS"},          {"utf8", "UTF-8"},          {"unicode-1-1-utf-8", "UTF-8"},
        {"koi8-ru", "KOI8-U"},          {"iso-8859-8-i", "ISO-8859-8-I"}, {"big5", "Big5"},
        {"iso-2022-kr", "replacement"}, {"utf-16", "UTF-16LE"},     {"x-mac-ukrainian", "x-mac-cyrillic"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *got = tc_mail_charset_label(names[i][0], strlen(names[i][0]));
        ck_assert_msg(got && strcmp(got, names[i][1]) == 0, "label %s: %s, expected %s",
                      names[i][0], got ? got : "(none)", names[i][1]);
    }
    ck_assert_ptr_null(tc_mail_charset_label("X-UNKNOWN", 9));
    ck_assert_ptr_null(tc_mail_charset_label("cp850", 5)); /* iconv's, not the Standard's */
    ck_assert_ptr_null(tc_mail_charset_label("", 0));

    size_t bad;
    bool unknown;
    /* iso-8859-1's 0x80-0x9F are windows-1252's quotes, not C1 controls */
    char *s = utf8("iso-8859-1", "\x93quoted\x94 \x96 caf\xE9 \x80", 17, &bad, &unknown);
    ck_assert_str_eq(s, "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x80\x93 caf\xC3\xA9 \xE2\x82\xAC");
    ck_assert_uint_eq(bad, 0);
    ck_assert(!unknown);
    free(s);
    /* the bytes windows-1252 leaves out (0x81, 0x8D, 0x8F, 0x90, 0x9D) are
     * the C1 characters of the same value, as the Standard maps them */
    s = utf8("latin1", "\x81\x9D", 2, &bad, &unknown);
    ck_assert_str_eq(s, "\xC2\x81\xC2\x9D");
    free(s);
    /* gb2312 is read as GBK: a GBK-only character (U+4E02, 0x81 0x40) */
    s = utf8("gb2312", "\xC4\xE3\xBA\xC3\x81\x40", 6, &bad, &unknown);
    ck_assert_str_eq(s, "\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xB8\x82"); /* 你好丂 */
    ck_assert_uint_eq(bad, 0);
    free(s);
    /* ks_c_5601-1987 is EUC-KR, which is code page 949: 똠 (0x8C 0x63) is
     * not in KS X 1001 */
    s = utf8("ks_c_5601-1987", "\xC7\xD1\x8C\x63", 4, &bad, &unknown);
    ck_assert_str_eq(s, "\xED\x95\x9C\xEB\x98\xA0"); /* 한똠 */
    ck_assert_uint_eq(bad, 0);
    ck_assert(!unknown);
    free(s);
    /* utf-16 with a byte-order mark; x-user-defined */
    s = utf8("utf-16", "\xFE\xFF\x00h\x00i", 6, &bad, &unknown);
    ck_assert_str_eq(s, "hi");
    free(s);
    s = utf8("utf-16", "h\x00i\x00", 4, &bad, &unknown);
    ck_assert_str_eq(s, "hi");
    free(s);
    s = utf8("x-user-defined", "a\x80\xFF", 3, &bad, &unknown);
    ck_assert_str_eq(s, "a\xEF\x9E\x80\xEF\x9F\xBF");
    free(s);
    /* a label neither the table nor iconv has: unknown, read as UTF-8 */
    s = utf8("X-UNKNOWN", "caf\xC3\xA9", 5, &bad, &unknown);
    ck_assert_str_eq(s, "caf\xC3\xA9");
    ck_assert(unknown);
    free(s);
    /* one iconv has (not in the table) still decodes */
    s = utf8("cp850", "\x82", 1, &bad, &unknown);
    ck_assert_str_eq(s, "\xC3\xA9");
    ck_assert(!unknown);
    free(s);
}
END_TEST

/* ---------------------------------------------------------------- transfer encodings */

static void qp_is(const char *in, const char *want)
{
    tc_buf d = {0};
    ck_assert_int_eq(tc_mail_qp_decode(&d, in, strlen(in)), TC_OK);
    ck_assert_ptr_nonnull(d.data);
    ck_assert_msg(strcmp(d.data, want) == 0, "QP \"%s\" decoded as \"%s\"", in, d.data);
    tc_buf_free(&d);
}

START_TEST(quoted_printable)
{
    /* RFC 2045 6.7, rule 5's example: soft line breaks join the lines */
    qp_is("Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.",
          "Now's the time for all folk to come to the aid of their country.");
    /* rule 1: =XX; rule 2: literal characters as they are */
    qp_is("=3D =41=42 plain", "= AB plain");
    /* rule 3: blanks at the end of an encoded line are deleted; encoded
     * ones stay */
    qp_is("trailing   \t\nnext", "trailing\nnext");
    qp_is("kept=20\n", "kept \n");
    qp_is("crlf  \r\nx", "crlf\r\nx");
    /* rule 4: line breaks are the text's own */
    qp_is("a\nb\n", "a\nb\n");
    /* what other programs write: soft breaks with blanks before the line
     * end, a lone '=' at the end, "=" not followed by hex */
    tc_buf d = {0};
    const struct {
        const char *in, *out;
    } qp[] = {{"soft=  \nbreak", "softbreak"},
              {"soft=\r\nbreak", "softbreak"},
              {"caf=C3=A9=\n", "caf\xC3\xA9"},
              {"a=ZZb", "a=ZZb"},
              {"end=", "end"},
              {"end=  ", "end"},
              {"x=4", "x=4"},
              {"=3D=3d", "=="},
              {"no equals at all\n", "no equals at all\n"}};
    for (size_t i = 0; i < sizeof qp / sizeof qp[0]; i++) {
        tc_buf_reset(&d);
        ck_assert_int_eq(tc_mail_qp_decode(&d, qp[i].in, strlen(qp[i].in)), TC_OK);
        tc_buf_append(&d, "", 0);
        ck_assert_msg(strcmp(d.data, qp[i].out) == 0, "QP \"%s\" decoded as \"%s\"", qp[i].in,
                      d.data);
    }
    tc_buf_free(&d);
}
END_TEST

START_TEST(base64)
{
    /* RFC 4648 section 10: the alphabet RFC 2045 6.8 uses */
    static const char *const vectors[][2] = {
        {"", ""},         {"Zg==", "f"},       {"Zm8=", "fo"},        {"Zm9v", "foo"},
        {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"}};
    tc_buf d = {0};
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        size_t bad = 0;
        tc_buf_reset(&d);
        ck_assert_int_eq(tc_mail_base64_decode(&d, vectors[i][0], strlen(vectors[i][0]), &bad),
                         TC_OK);
        ck_assert_ptr_nonnull(d.data);
        ck_assert_str_eq(d.data, vectors[i][1]);
        ck_assert_uint_eq(bad, 0);
    }
    /* 6.8: line breaks ignored; other bytes outside the alphabet ignored
     * (and counted) */
    size_t bad = 0;
    tc_buf_reset(&d);
    tc_mail_base64_decode(&d, "Zm9v\r\nYmFy", 10, &bad);
    ck_assert_str_eq(d.data, "foobar");
    ck_assert_uint_eq(bad, 0);
    tc_buf_reset(&d);
    ck_assert_int_eq(tc_mail_base64_decode(&d, "SGVs\nbG8h", 9, &bad), TC_OK);
    ck_assert_str_eq(d.data, "Hello!");
    ck_assert_uint_eq(bad, 0);
    tc_buf_reset(&d);
    tc_mail_base64_decode(&d, "SGV*sbG8=", 9, &bad);
    ck_assert_str_eq(d.data, "Hello");
    ck_assert_uint_eq(bad, 1);
    /* whitespace inside a group of four, the URL alphabet, digits after
     * the padding (not base64: counted), a group cut short */
    const struct {
        const char *in, *out;
        size_t bad;
    } b64[] = {{"SG Vs\r\nbG8h", "Hello!", 0},
               {"-_-_", "\xFB\xFF\xBF", 0},
               {"+/+/", "\xFB\xFF\xBF", 0},
               {"SGk=SGk=", "Hi", 3},
               {"SGVsbA", "Hell", 0},
               {"SGVsbG8gd29ybGQgIQ==", "Hello world !", 0},
               {"", "", 0}};
    for (size_t i = 0; i < sizeof b64 / sizeof b64[0]; i++) {
        tc_buf_reset(&d);
        bad = 0;
        ck_assert_int_eq(tc_mail_base64_decode(&d, b64[i].in, strlen(b64[i].in), &bad), TC_OK);
        tc_buf_append(&d, "", 0);
        ck_assert_msg(strcmp(d.data, b64[i].out) == 0, "base64 \"%s\" decoded wrong", b64[i].in);
        ck_assert_uint_eq(bad, b64[i].bad);
    }
    tc_buf_free(&d);
}
END_TEST

/* ---------------------------------------------------------------- RFC 2047 */

static char *words(const char *s, size_t *bad, bool *unknown)
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

START_TEST(rfc2047_section8_and_more)
{
    size_t bad;
    bool unknown;
    struct {
        const char *in, *out;
    } cases[] = {
        {"=?US-ASCII?Q?Keith_Moore?=", "Keith Moore"},
        {"=?ISO8859-1?Q?Keld_J=F8rn_Simonsen?=", "Keld J\xC3\xB8rn Simonsen"},
        {"=?ISO8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= "
         "=?ISO8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
         "If you can read this you understand the example."},
        {"(=?ISO8859-1?Q?a?=)", "(a)"},
        {"(=?ISO8859-1?Q?a?= b)", "(a b)"},
        {"(=?ISO8859-1?Q?a?= =?ISO8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO8859-1?Q?a?=  =?ISO8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO8859-1?Q?a?=    =?ISO8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO8859-1?Q?a_b?=)", "(a b)"},
        {"(=?ISO8859-1?Q?a?= =?ISO8859-2?Q?_b?=)", "(a b)"},
        {"=?ISO-2022-JP?B?GyRCNUhGIzFRTEAbKEI=?=", "\xE5\x90\x89\xE8\x97\xA4\xE8\x8B\xB1\xE6\x98\x8E"},
        {"plain =?utf-8?b?w6k=?= text", "plain \xC3\xA9 text"},
        /* a character split across two words (broken senders) is joined */
        {"=?utf-8?q?caf=C3?= =?utf-8?q?=A9?=", "caf\xC3\xA9"},
        {"=?utf-8*en?q?x?=", "x"},
        {"not =? a word", "not =? a word"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *d = words(cases[i].in, &bad, &unknown);
        ck_assert_msg(strcmp(d, cases[i].out) == 0, "%s -> \"%s\"", cases[i].in, d);
        ck_assert_uint_eq(bad, 0);
        ck_assert(!unknown);
        free(d);
    }
    /* bytes the charset cannot decode: ISO-8859-1 fallback, counted */
    char *d = words("=?UTF-8?q?Rafa=FF=FF=20Mi?=", &bad, &unknown);
    ck_assert_str_eq(d, "Rafa\xC3\xBF\xC3\xBF Mi");
    ck_assert_uint_eq(bad, 2);
    free(d);
    d = words("=?x-no-such-charset?q?abc?=", &bad, &unknown);
    ck_assert_str_eq(d, "abc");
    ck_assert(unknown);
    free(d);
}
END_TEST


START_TEST(rfc2047_words)
{
    static const char *const cases[][2] = {
        /* RFC 2047 section 8, the From:/To:/CC: examples' phrases */
        {"=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xC3\xA9 Pirard"},
        {"=?ISO-8859-1?Q?Olle_J=E4rnefors?=", "Olle J\xC3\xA4rnefors"},
        /* RFC 2231 section 5: a language in an encoded word */
        {"=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"},
        /* folding white space between adjacent words goes too (6.2) */
        {"=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"},
        /* but not between a word and text */
        {"=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c"},
        /* a character split across two B words (E6 97 | A5) comes out whole */
        {"=?utf-8?b?5pc=?= =?utf-8?b?pQ==?=", "\xE6\x97\xA5"},
        /* Q: "_" is a space, "=XX" a byte, lower-case hex accepted */
        {"=?utf-8?Q?a_b=3d=3D?=", "a b=="},
        /* not complete encoded words: left as they are */
        {"=?utf-8?q?no end", "=?utf-8?q?no end"},
        {"=?utf-8?x?bad encoding?=", "=?utf-8?x?bad encoding?="},
        {"=??q?no charset?=", "=??q?no charset?="},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad;
        char *d = words(cases[i][0], &bad, NULL);
        ck_assert_msg(strcmp(d, cases[i][1]) == 0, "%s -> \"%s\"", cases[i][0], d);
        ck_assert_uint_eq(bad, 0);
        free(d);
    }
}
END_TEST

/* ---------------------------------------------------------------- parameters */

START_TEST(parameters)
{
    /* the first of each name, quoted or not, any case; a name without a
     * value does not count */
    const char *ct = "multipart/mixed; CHARSET; Boundary=\"b \\\"1\\\"\"; charset=utf-8; "
                     "charset=latin1; name=report.txt";
    const char *names[] = {"charset", "boundary", "name", "format", NULL};
    tc_buf outs[4] = {{0}}, d = {0};
    bool found[4], one;
    ck_assert_int_eq(tc_mail_params(ct, strlen(ct), names, outs, found), TC_OK);
    ck_assert(found[0] && found[1] && found[2] && !found[3]);
    ck_assert_str_eq(outs[0].data, "utf-8");
    ck_assert_str_eq(outs[1].data, "b \"1\"");
    ck_assert_str_eq(outs[2].data, "report.txt");
    ck_assert_int_eq(tc_mail_param(ct, strlen(ct), "name", &d, &one), TC_OK);
    ck_assert(one);
    ck_assert_str_eq(d.data, "report.txt");
    ck_assert_int_eq(tc_mail_param("text/plain", 10, "charset", &d, &one), TC_OK);
    ck_assert(!one);
    for (size_t i = 0; i < 4; i++)
        tc_buf_free(&outs[i]);
    tc_buf_free(&d);
}
END_TEST

static void param_is(const char *value, const char *name, const char *want)
{
    tc_buf v = {0};
    bool found;
    ck_assert_int_eq(tc_mail_param(value, strlen(value), name, &v, &found), TC_OK);
    if (want == NULL) {
        ck_assert_msg(!found, "%s found in %s", name, value);
    } else {
        ck_assert_msg(found, "%s not found in %s", name, value);
        ck_assert_msg(strcmp(v.data, want) == 0, "%s of %s is \"%s\"", name, value, v.data);
    }
    tc_buf_free(&v);
}

START_TEST(rfc2231)
{
    /* section 3: continuations */
    param_is("message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n "
             "URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
             "url", "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
    /* section 4: charset and language, %XX */
    param_is("application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
             "title", "This is ***fun***");
    /* section 4.1: both at once, encoded and plain pieces mixed */
    param_is("application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n "
             "title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"",
             "title", "This is even more ***fun*** isn't it!");
    /* pieces in another order: the numbers decide */
    param_is("a; t*2=c; t*0=a; t*1=b", "t", "abc");
    /* a missing piece ends the value */
    param_is("a; t*0=a; t*2=c", "t", "a");
    /* a charset that is not ASCII, converted to UTF-8; no language */
    param_is("attachment; filename*=iso-8859-1''r%E9sum%E9.pdf", "filename",
             "r\xC3\xA9sum\xC3\xA9.pdf");
    param_is("attachment; filename*=UTF-8''%e2%82%ac%20rates.txt", "filename",
             "\xE2\x82\xAC rates.txt");
    /* the RFC 2231 form wins over the plain one mailers add for old readers */
    param_is("attachment; filename=\"fallback.pdf\"; filename*=utf-8''real.pdf", "filename",
             "real.pdf");
    param_is("attachment; filename*=utf-8''real.pdf; filename=\"fallback.pdf\"", "filename",
             "real.pdf");
    /* a '%' that starts no escape stays; without the two quotes the whole
     * value is the text */
    param_is("a; t*=utf-8''100%", "t", "100%");
    param_is("a; t*=plain%21", "t", "plain!");
    /* "t*x" and "t*01" are no pieces of t */
    param_is("a; t*x=1", "t", NULL);
    param_is("a; t*01=1", "t", NULL);
    /* a boundary in the RFC 2231 forms too */
    param_is("multipart/mixed; boundary*0=\"=_a\"; boundary*1*=%20b", "boundary", "=_a b");
    param_is("multipart/mixed; boundary*=us-ascii'en'x%3Dy", "boundary", "x=y");
    /* an unquoted value with blanks in it (senders that do not quote)
     * runs to the next ';', as mail clients read it */
    param_is("text/plain; name=This is a test.txt", "name", "This is a test.txt");
    param_is("text/plain; name=a.txt  ; charset=x", "name", "a.txt");
    param_is("text/plain; name=a.txt\r\n ;charset=x", "name", "a.txt");
}
END_TEST

/* ---------------------------------------------------------------- addresses */

static void address_is(const char *s, const char *name, const char *addr)
{
    tc_buf n = {0}, a = {0};
    size_t bad = 0;
    bool unknown = false;
    ck_assert_int_eq(tc_mail_parse_address(s, strlen(s), &n, &a, &bad, &unknown), TC_OK);
    ck_assert_msg(strcmp(n.data, name) == 0 && strcmp(a.data, addr) == 0,
                  "%s: name \"%s\", address \"%s\"", s, n.data, a.data);
    ck_assert_uint_eq(bad, 0);
    ck_assert(!unknown);
    tc_buf_free(&n);
    tc_buf_free(&a);
}

START_TEST(addresses)
{
    /* RFC 5322 A.1.1-A.1.3 */
    address_is("John Doe <jdoe@machine.example>", "John Doe", "jdoe@machine.example");
    address_is("\"Joe Q. Public\" <john.q.public@example.com>", "Joe Q. Public",
               "john.q.public@example.com");
    address_is("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>", "Mary Smith",
               "mary@x.test");
    address_is("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>", "",
               "boss@nil.test");
    address_is("\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>", "Giant; \"Big\" Box",
               "sysservices@example.net");
    address_is("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;", "Ed Jones",
               "c@a.test");
    address_is("Undisclosed recipients:;", "", "");
    /* A.5: comments and white space */
    address_is("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", "Pete",
               "pete@silly.test");
    address_is("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
               "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end "
               "of the group)",
               "Chris Jones", "c@public.example");
    /* A.6.1 and A.6.3: obsolete forms */
    address_is("Joe Q. Public <john.q.public@example.com>", "Joe Q. Public",
               "john.q.public@example.com");
    address_is("John Doe <jdoe@machine(comment).  example>", "John Doe", "jdoe@machine.example");
    address_is("Mary Smith\r\n  \r\n\t<mary@example.net>", "Mary Smith", "mary@example.net");
    address_is("<@a.test,@b.test:joe@c.test>", "", "joe@c.test"); /* obs-route */
    /* RFC 2047 section 8: encoded words in the phrase */
    address_is("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>",
               "Keld J\xC3\xB8rn Simonsen", "keld@dkuug.dk");
    address_is("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", "Andr\xC3\xA9 Pirard",
               "PIRARD@vm1.ulg.ac.be");
    /* the old "address (Name)" and "<address> (Name)" */
    address_is("jdoe@example.org (John Doe)", "John Doe", "jdoe@example.org");
    address_is("<jdoe@example.org> (John Doe)", "John Doe", "jdoe@example.org");
    address_is("pete(his account)@silly.test", "his account", "pete@silly.test");
    /* a quoted local part stays as written */
    address_is("<\"john q\"@example.com>", "", "\"john q\"@example.com");
    /* no address at all: the text is what names the sender */
    address_is("Mail Delivery System", "", "Mail Delivery System");
    address_is("", "", "");
}
END_TEST

START_TEST(address_bad_bytes)
{
    tc_buf n = {0}, a = {0};
    size_t bad = 0;
    bool unknown = false;
    const char *s = "Ren\xE9 <rene@x.test>";
    ck_assert_int_eq(tc_mail_parse_address(s, strlen(s), &n, &a, &bad, &unknown), TC_OK);
    ck_assert_str_eq(n.data, "Ren\xC3\xA9");
    ck_assert_str_eq(a.data, "rene@x.test");
    ck_assert_uint_eq(bad, 1);
    bad = 0;
    s = "=?x-unknown?q?Bob?= <bob@x.test>";
    ck_assert_int_eq(tc_mail_parse_address(s, strlen(s), &n, &a, &bad, &unknown), TC_OK);
    ck_assert_str_eq(n.data, "Bob");
    ck_assert(unknown);
    tc_buf_free(&n);
    tc_buf_free(&a);
}
END_TEST

static Suite *mail_suite(void)
{
    Suite *s = suite_create("mail");
    TCase *tc = tcase_create("mail");
    tcase_add_test(tc, charsets);
    tcase_add_test(tc, charset_labels);
    tcase_add_test(tc, quoted_printable);
    tcase_add_test(tc, base64);
    tcase_add_test(tc, rfc2047_section8_and_more);
    tcase_add_test(tc, rfc2047_words);
    tcase_add_test(tc, parameters);
    tcase_add_test(tc, rfc2231);
    tcase_add_test(tc, addresses);
    tcase_add_test(tc, address_bad_bytes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mail_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
