/*
 * test_html.c - tc_html_to_text: the rules of html.h one case at a time,
 * hostile inputs, and the real HTML bodies of the shared corpus.
 *
 * Every expected text in the table below was worked out by hand from the
 * rules in include/threadconv/html.h and the input, never copied from what
 * the function printed.  The corpus test ($THREADCONV_SHARED/corpus/foreign:
 * Discourse "cooked", Stack Exchange "Body", Reddit "body_html") asserts
 * properties every body's text must have, judged against libxml2's tree of
 * the same body: valid UTF-8, no tag left, every link's URL kept, the words
 * of every paragraph kept in order.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "prng.h"
#include "testutil.h"

#include <threadconv/html.h>

#include <check.h>
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* s[0..n) with C escapes, for messages (new, free()). */
static char *show(const char *s, size_t n)
{
    tc_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            tc_buf_append(&b, "\\n", 2);
        else if (c == '\t')
            tc_buf_append(&b, "\\t", 2);
        else if (c == '\\')
            tc_buf_append(&b, "\\\\", 2);
        else if (c < 0x20 || c == 0x7F)
            tc_buf_printf(&b, "\\x%02x", c);
        else
            tc_buf_putc(&b, (char)c);
    }
    tc_buf_append(&b, "", 0);
    return b.data;
}

/* ---------------------------------------------------------------- the rules */

typedef struct html_case {
    const char *name;
    const char *html;
    size_t len; /* 0: strlen(html) */
    const char *want;
} html_case;

#define WITH_NUL(s) s, sizeof s - 1

static const html_case cases[] = {
    /* blocks, breaks and spaces */
    {"paragraphs", "<p>one</p><p>two</p>", 0, "one\n\ntwo"},
    {"divs and loose text", "<div>a</div><div>b</div>text", 0, "a\n\nb\n\ntext"},
    {"nested blocks give one blank line",
     "<div><div><p>a</p></div></div><section><p>b</p></section>", 0, "a\n\nb"},
    {"text around a block", "a<div>b</div>c", 0, "a\n\nb\n\nc"},
    {"spaces collapse", "<p>  a \n\t b  </p>", 0, "a b"},
    {"space between inline elements", "<b>bold</b> <i>it</i>", 0, "bold it"},
    {"no space between inline elements", "<b>bo</b><i>ld</i>", 0, "bold"},
    {"br", "line one<br>line two", 0, "line one\nline two"},
    {"two br make a blank line", "a<br><br>b", 0, "a\n\nb"},
    {"br at the end of a block adds nothing", "<p>a<br></p><p>b</p>", 0, "a\n\nb"},
    {"no space starts a line", "a<br>   b", 0, "a\nb"},
    {"no leading or trailing breaks", "\n\n<p>\n a \n</p>\n\n<br><br>", 0, "a"},
    {"empty input", "", 0, ""},
    {"only spaces", "   \n ", 0, ""},
    {"inline code is text", "<p>use <code>x  =  1</code> here</p>", 0, "use x = 1 here"},
    {"unclosed tags", "<p>a <b>bold <i>both</p><p>next", 0, "a bold both\n\nnext"},
    {"unclosed at the end", "<div><blockquote><p>open", 0, "> open"},
    {"stray end tags", "</div></p>a</b></li>b", 0, "ab"},
    {"unclosed items and paragraphs", "<ul><li>a<li>b</ul><p>c<p>d", 0, "- a\n- b\n\nc\n\nd"},

    /* headings and rules */
    {"headings", "<h1>Title</h1><p>x</p><h3>Sub <em>part</em></h3>", 0,
     "# Title\n\nx\n\n### Sub part"},
    {"h6", "<h6>small</h6>", 0, "###### small"},
    {"an empty heading leaves no marker", "<h2></h2><p>x</p>", 0, "x"},
    {"hr", "<p>a</p><hr><p>b</p>", 0, "a\n\n---\n\nb"},
    {"hr alone", "<hr>", 0, "---"},
    {"hr in a quote", "<blockquote>a<hr>b</blockquote>", 0, "> a\n>\n> ---\n>\n> b"},

    /* links */
    {"link", "<a href=\"https://example.com/a\">the site</a>", 0,
     "the site <https://example.com/a>"},
    {"link whose text is its url", "see <a href=\"https://example.com/\">https://example.com/</a>.",
     0, "see https://example.com/."},
    {"relative link", "<a href=\"/t/topic/12\">topic</a>", 0, "topic </t/topic/12>"},
    {"mailto links",
     "<a href=\"mailto:a@example.org\">write</a> or "
     "<a href=\"mailto:b@example.org\">b@example.org</a>",
     0, "write <mailto:a@example.org> or b@example.org"},
    {"link without text", "x <a href=\"u.html\"></a> y", 0, "x <u.html> y"},
    {"anchor without href", "<a name=\"top\">anchor</a>", 0, "anchor"},
    {"empty href", "<a href=\"  \">t</a> <a href>u</a>", 0, "t u"},
    {"url: entities decoded, spaces around and line breaks inside dropped",
     "<a href=\" https://e.com/?a=1&amp;b=2\n&amp;c\n\">q</a>", 0, "q <https://e.com/?a=1&b=2&c>"},
    {"link around an image", "<a href=\"full.png\"><img src=\"thumb.png\" alt=\"diagram\"></a>", 0,
     "diagram <full.png>"},
    {"punctuation after a link", "<a href=\"/x\">word</a>.", 0, "word </x>."},
    {"spaces inside a link", "<a href=\"/x\"> word </a>next", 0, "word </x> next"},
    {"a link inside a link ends it", "<a href=\"/1\">one <a href=\"/2\">two</a></a>", 0,
     "one </1> two </2>"},
    {"mention and hashtag (Discourse)",
     "<p><a class=\"mention\" href=\"/u/elliot\">@Elliot</a> see "
     "<a class=\"hashtag\" href=\"/c/meta/5\">#<span>meta</span></a></p>",
     0, "@Elliot </u/elliot> see #meta </c/meta/5>"},

    /* images */
    {"emoji image", "<p>hi <img src=\"/images/emoji/smile.png\" title=\":smile:\" class=\"emoji\" "
                    "alt=\":smile:\"> there</p>",
     0, "hi :smile: there"},
    {"image without alt", "<img src=\"/a.png\">", 0, "[image </a.png>]"},
    {"image with an empty alt", "a<img src=\"x.png\" alt=\"\">b<img alt src=y.png>c", 0, "abc"},
    {"image with nothing", "<img>", 0, "[image]"},

    /* lists */
    {"ul", "<ul><li>one</li><li>two</li></ul>", 0, "- one\n- two"},
    {"ol from start", "<ol start=\"3\"><li>c</li><li>d</li></ol>", 0, "3. c\n4. d"},
    {"ol with a negative start", "<ol start=\" -1\"><li>a<li>b<li>c</ol>", 0,
     "-1. a\n0. b\n1. c"},
    {"li value", "<ol><li>a<li value=\"10\">b<li>c</ol>", 0, "1. a\n10. b\n11. c"},
    {"bad start is 1", "<ol start=\"x\"><li>a</ol>", 0, "1. a"},
    {"nested list", "<ul><li>a<ul><li>b</li><li>c</li></ul></li><li>d</li></ul>", 0,
     "- a\n  - b\n  - c\n- d"},
    {"three levels", "<ul><li>x<ol><li>y<ul><li>z</li></ul></li></ol></li></ul>", 0,
     "- x\n  1. y\n    - z"},
    {"text after a nested list", "<ol><li>a<ul><li>b</li></ul>c</li><li>d</li></ol>", 0,
     "1. a\n  - b\n  c\n2. d"},
    {"items of paragraphs", "<ul><li><p>one</p></li><li><p>two</p><p>more</p></li></ul>", 0,
     "- one\n- two\n\n  more"},
    {"list between paragraphs", "<p>intro</p><ul><li>a</li></ul><p>after</p>", 0,
     "intro\n\n- a\n\nafter"},
    {"br in an item", "<ul><li>first line<br>second</li></ul>", 0, "- first line\n  second"},
    {"an item without text", "<ol><li>a</li><li></li><li>c</li></ol>", 0, "1. a\n3. c"},
    {"definition list", "<dl><dt>Term</dt><dd>Meaning</dd><dt>Two</dt><dd>More</dd></dl>", 0,
     "Term\n  Meaning\nTwo\n  More"},
    {"list in a quote", "<blockquote><ul><li>a</li><li>b</li></ul></blockquote>", 0,
     "> - a\n> - b"},
    {"quote in an item", "<ul><li>x<blockquote>q</blockquote></li></ul>", 0, "- x\n\n  > q"},

    /* quotes */
    {"quote", "<blockquote><p>a</p><p>b</p></blockquote>", 0, "> a\n>\n> b"},
    {"nested quotes",
     "<p>x</p><blockquote><p>a</p><blockquote><p>b</p></blockquote><p>c</p></blockquote>"
     "<p>y</p>",
     0,
     "x\n\n> a\n>\n> > b\n>\n> c\n\ny"},
    {"br in a quote", "<blockquote>l1<br>l2<br><br>l4</blockquote>", 0, "> l1\n> l2\n>\n> l4"},
    {"two quotes in a row", "<blockquote>a</blockquote><blockquote>b</blockquote>", 0,
     "> a\n\n> b"},
    {"Discourse quote",
     "<aside class=\"quote no-group\" data-username=\"Elliot\"><div class=\"title\">\n"
     "<div class=\"quote-controls\"></div>\n<img alt=\"\" width=\"24\" src=\"/a.png\" "
     "class=\"avatar\"> Elliot:</div>\n<blockquote>\n<p>I find it.</p>\n</blockquote>\n</aside>\n"
     "<p>reply</p>",
     0, "Elliot:\n\n> I find it.\n\nreply"},

    /* code */
    {"pre code", "<pre><code>int x;\n  y();\n</code></pre>", 0, "```\nint x;\n  y();\n```"},
    {"the line break after <pre> is dropped", "<pre>\nfirst\n\n  third</pre>", 0,
     "```\nfirst\n\n  third\n```"},
    {"only one line break is dropped", "<pre>\n\nx</pre>", 0, "```\n\nx\n```"},
    {"a line break after <pre><code> is kept", "<pre><code>\nx</code></pre>", 0, "```\n\nx\n```"},
    {"pre between paragraphs", "<p>before</p><pre>a   b</pre><p>after</p>", 0,
     "before\n\n```\na   b\n```\n\nafter"},
    {"tabs and CR kept", "<pre>a\tb\r\nc  </pre>", 0, "```\na\tb\r\nc  \n```"},
    {"a longer fence", "<pre>x ```` y</pre>", 0, "`````\nx ```` y\n`````"},
    {"markup in pre gives its text",
     "<pre><b>bold</b> <a href=\"/u\">link</a><br>&lt;tag&gt; <img alt=\"pic\"></pre>", 0,
     "```\nbold link\n<tag> pic\n```"},
    {"pre in a quote", "<blockquote><pre>a\n\nb\n</pre></blockquote>", 0,
     "> ```\n> a\n>\n> b\n> ```"},
    {"pre in an item", "<ul><li>x<pre>code\n</pre></li></ul>", 0, "- x\n\n  ```\n  code\n  ```"},
    {"empty pre", "<p>a</p><pre></pre><p>b</p>", 0, "a\n\nb"},
    {"xmp is pre", "<xmp>a  b</xmp>", 0, "```\na  b\n```"},

    /* tables */
    {"table", "<table><tr><th>Name</th><th>Qty</th></tr><tr><td>apple</td><td>3</td></tr></table>",
     0, "Name | Qty\napple | 3"},
    {"breaks in cells are spaces",
     "<table><tr><td><p>a</p><p>b</p></td><td>c<br>d</td></tr></table><p>after</p>", 0,
     "a b | c d\n\nafter"},
    {"empty cell", "<table><tr><td>a</td><td></td><td>c</td></tr></table>", 0, "a | | c"},
    {"caption, thead, tbody",
     "<table><caption>Prices</caption><thead><tr><th>x</th></tr></thead>"
     "<tbody><tr><td>1</td></tr></tbody></table>",
     0, "Prices\n\nx\n1"},
    {"unclosed cells and rows", "<table><tr><td>a<td>b<tr><td>c</table>", 0, "a | b\nc"},

    /* dropped */
    {"head, script, style, template, comments",
     "<head><title>T</title><style>p{color:red}</style></head><script>alert(1)</script>"
     "<!-- note --><p>kept</p><template><p>no</p></template>",
     0, "kept"},
    {"script text is not markup", "<p>a<script>var s = '<p>no</p>';</script>b</p>", 0, "ab"},
    {"doctype and processing instruction", "<!DOCTYPE html><?php echo 1 ?><p>x</p>", 0, "x"},

    /* characters */
    {"entities",
     "<p>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &eacute; &hellip; &nbsp;f</p>", 0,
     "a & b <c> \"d\" 'e' \xc3\xa9 \xe2\x80\xa6 \xc2\xa0" "f"},
    {"numeric references", "&#65;&#x42;&#x1F600;&#233;&#X41", 0,
     "AB\xf0\x9f\x98\x80\xc3\xa9" "A"},
    {"windows-1252 references", "don&#146;t &#150; &#128;5 &#x81;", 0,
     "don\xe2\x80\x99t \xe2\x80\x93 \xe2\x82\xac" "5 \xc2\x81"},
    {"references libxml2 would drop", "a&#0;b&#xD800;c&#x110000;d&#1;e&#12;f&#xFFFF;g", 0,
     "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd" "d\xef\xbf\xbd" "e f\xef\xbf\xbd" "g"},
    {"a bad reference in an attribute", "<a href=\"/a&#0;b\">t</a>", 0, "t </a\xef\xbf\xbd" "b>"},
    {"&# without digits", "&#; &#x; &#xyz;", 0, "&#; &#x; &#xyz;"},
    {"unknown names stay", "&check; &amp", 0, "&check; &amp"},
    {"raw controls", "a\x01" "b\x0c" "c\xef\xbf\xbe" "d", 0,
     "a\xef\xbf\xbd" "b c\xef\xbf\xbd" "d"},
    {"NUL bytes", WITH_NUL("a\0b<a href=\"x\0y\">t</a>"), "a\xef\xbf\xbd" "bt <x\xef\xbf\xbd" "y>"},
    {"only NUL", WITH_NUL("\0"), "\xef\xbf\xbd"},
    {"a declared charset is ignored", "<meta charset=\"iso-8859-1\"><p>caf\xc3\xa9</p>", 0,
     "caf\xc3\xa9"},
    {"byte-order mark", "\xef\xbb\xbf<p>x</p>", 0, "x"},
};

START_TEST(rules)
{
    const html_case *c = &cases[_i];
    size_t len = c->len ? c->len : strlen(c->html);
    tc_buf out = {0};
    /* appends: what the buffer held stays */
    ck_assert_int_eq(tc_buf_append(&out, "PRE|", 4), TC_OK);
    int rc = tc_html_to_text(c->html, len, &out);
    ck_assert_msg(rc == TC_OK, "%s: rc %d", c->name, rc);
    ck_assert_mem_eq(out.data, "PRE|", 4);
    ck_assert_uint_eq(strlen(out.data), out.len); /* a string, no NUL inside */
    const char *got = out.data + 4;
    size_t got_len = out.len - 4;
    if (got_len != strlen(c->want) || memcmp(got, c->want, got_len) != 0) {
        char *g = show(got, got_len), *w = show(c->want, strlen(c->want));
        ck_abort_msg("%s:\n  got  \"%s\"\n  want \"%s\"", c->name, g, w);
    }
    tc_buf_free(&out);
}
END_TEST

/* The empty result is still a string. */
START_TEST(empty_result_is_a_string)
{
    tc_buf out = {0};
    ck_assert_int_eq(tc_html_to_text("<p></p>", 7, &out), TC_OK);
    ck_assert_ptr_nonnull(out.data);
    ck_assert_str_eq(out.data, "");
    tc_buf_free(&out);
    ck_assert_int_eq(tc_html_to_text(NULL, 0, &out), TC_OK);
    ck_assert_str_eq(out.data, "");
    const char *why = "unset";
    ck_assert_int_eq(tc_html_to_text_ex("<p>x</p>", 8, 0, &out, &why), TC_OK);
    ck_assert_str_eq(out.data, "x");
    ck_assert_ptr_null(why);
    tc_buf_free(&out);
}
END_TEST

/* Deeper than 8 levels a quote adds no prefix, an item only its marker. */
START_TEST(deep_prefixes_stop_at_eight)
{
    tc_buf in = {0}, out = {0}, want = {0};
    for (int i = 0; i < 20; i++)
        tc_buf_append(&in, "<blockquote>", 12);
    tc_buf_append(&in, "x<br>y", 6);
    for (int i = 0; i < 8; i++)
        tc_buf_append(&want, "> ", 2);
    tc_buf_append(&want, "x\n", 2);
    for (int i = 0; i < 8; i++)
        tc_buf_append(&want, "> ", 2);
    tc_buf_append(&want, "y", 1);
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    ck_assert_str_eq(out.data, want.data);

    /* items L1..L12, each in the one before: level k is indented by
     * min(k - 1, 8) times two spaces */
    tc_buf_reset(&in);
    tc_buf_reset(&out);
    tc_buf_reset(&want);
    for (int k = 1; k <= 12; k++) {
        tc_buf_printf(&in, "<ul><li>L%d", k);
        if (k > 1)
            tc_buf_putc(&want, '\n');
        for (int j = 0; j < (k - 1 < 8 ? k - 1 : 8); j++)
            tc_buf_append(&want, "  ", 2);
        tc_buf_printf(&want, "- L%d", k);
    }
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    if (strcmp(out.data, want.data) != 0)
        ck_abort_msg("got \"%s\"\nwant \"%s\"", show(out.data, out.len), show(want.data, want.len));
    tc_buf_free(&in);
    tc_buf_free(&out);
    tc_buf_free(&want);
}
END_TEST

/* ---------------------------------------------------------------- hostile input */

static tc_buf repeat(const char *head, const char *piece, size_t n, const char *tail)
{
    tc_buf b = {0};
    size_t pl = strlen(piece);
    ck_assert_int_eq(tc_buf_append(&b, head, strlen(head)), TC_OK);
    ck_assert_int_eq(tc_buf_reserve(&b, pl * n + strlen(tail)), TC_OK);
    for (size_t i = 0; i < n; i++)
        tc_buf_append(&b, piece, pl);
    tc_buf_append(&b, tail, strlen(tail));
    return b;
}

/* A failure appends nothing and says why. */
static void expect_refused(const char *in, size_t len, size_t max_depth, const char *why_part)
{
    tc_buf out = {0};
    tc_buf_append(&out, "keep", 4);
    const char *why = NULL;
    ck_assert_int_eq(tc_html_to_text_ex(in, len, max_depth, &out, &why), TC_ERR_DATA);
    ck_assert_uint_eq(out.len, 4);
    ck_assert_str_eq(out.data, "keep");
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, why_part) != NULL, "why: %s", why);
    tc_buf_free(&out);
}

START_TEST(deep_nesting_is_refused)
{
    /* (libxml2 lets h1..h6 nest in each other, too) */
    static const char *const pieces[] = {"<div>", "<b>", "<blockquote>", "<span>",
                                         "<ul><li>", "<table><tr><td>", "<h6>x"};
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
        tc_buf in = repeat("", pieces[i], 100000, "x");
        expect_refused(in.data, in.len, 0, "max-depth");
        tc_buf_free(&in);
    }
}
END_TEST

START_TEST(nesting_up_to_the_limit)
{
    tc_buf out = {0};
    tc_buf in = repeat("", "<div>", TC_HTML_MAX_DEPTH, "x");
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    ck_assert_str_eq(out.data, "x");
    tc_buf_free(&in);
    in = repeat("", "<div>", TC_HTML_MAX_DEPTH + 1, "x");
    expect_refused(in.data, in.len, 0, "max-depth");
    tc_buf_free(&in);

    /* a limit of its own; html, head and body do not count */
    tc_buf_reset(&out);
    const char *three = "<html><head></head><body><div><p><b>x</b></p></div></body></html>";
    ck_assert_int_eq(tc_html_to_text_ex(three, strlen(three), 3, &out, NULL), TC_OK);
    ck_assert_str_eq(out.data, "x");
    expect_refused(three, strlen(three), 2, "max-depth");
    tc_buf_free(&out);
}
END_TEST

/* Many unclosed elements that do not nest: accepted, in linear time. */
START_TEST(many_unclosed_elements)
{
    tc_buf out = {0};
    tc_buf in = repeat("", "<p>x", 100000, "");
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    ck_assert_uint_eq(out.len, 100000 + 2 * 99999); /* x, blank line, x ... */
    tc_buf_free(&in);

    tc_buf_reset(&out);
    in = repeat("<ul>", "<li>x", 100000, "");
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    ck_assert_uint_eq(out.len, 3 * 100000 + 99999); /* "- x" lines */
    tc_buf_free(&in);

    /* an <a> ends the one before it: "<y>" for each, "x <y>" for the last */
    tc_buf_reset(&out);
    in = repeat("", "<a href=y>", 100000, "x");
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    ck_assert_uint_eq(out.len, 3 * 99999 + 5);
    ck_assert_str_eq(out.data + out.len - 8, "<y>x <y>");
    tc_buf_free(&in);

    /* deep as allowed, then stray end tags: libxml2 looks for each in its
     * stack of open elements; the limit keeps that linear */
    tc_buf_reset(&out);
    in = repeat("", "<div>", TC_HTML_MAX_DEPTH, "x");
    for (int i = 0; i < 100000; i++)
        tc_buf_append(&in, "</span>", 7);
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    ck_assert_str_eq(out.data, "x");
    tc_buf_free(&in);
    tc_buf_free(&out);
}
END_TEST

START_TEST(huge_attributes_and_text)
{
    const size_t big = 10 * 1024 * 1024;
    tc_buf in = repeat("<a href=\"", "a", big, "\">t</a>");
    tc_buf out = {0};
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    ck_assert_uint_eq(out.len, big + 4); /* "t <" URL ">" */
    ck_assert_mem_eq(out.data, "t <aaa", 6);
    ck_assert_int_eq(out.data[out.len - 1], '>');
    tc_buf_free(&in);

    tc_buf_reset(&out);
    in = repeat("<span data-x=\"", "\xc3\xa9", big / 2, "\">y</span>");
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    ck_assert_str_eq(out.data, "y");
    tc_buf_free(&in);

    tc_buf_reset(&out);
    in = repeat("<p>", "w", big, "</p>");
    ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
    ck_assert_uint_eq(out.len, big);
    tc_buf_free(&in);
    tc_buf_free(&out);
}
END_TEST

START_TEST(invalid_utf8_is_refused)
{
    static const char *const bad[] = {
        "\xff",                      /* never in UTF-8 */
        "<p>caf\xe9</p>",            /* latin-1 */
        "a\xc3",                     /* cut short */
        "\xc0\xaf",                  /* overlong */
        "\xed\xa0\x80",              /* a surrogate */
        "\xf4\x90\x80\x80",          /* above U+10FFFF */
        "<a href=\"\x80\">t</a>",    /* in an attribute */
        "<script>\xfe</script>",     /* even where the text is dropped */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_refused(bad[i], strlen(bad[i]), 0, "not valid UTF-8");
    /* after a NUL too */
    expect_refused("a\0\xff", 3, 0, "not valid UTF-8");
}
END_TEST

/* libxml2 must never print: everything it says about the input it says to
 * tc_html_to_text, which keeps quiet. */
START_TEST(libxml2_never_prints)
{
    static const char *const noisy[] = {
        "<p>a</i></b></p></div>", "<a href=x href=y>t</a>", "&#0;&#xD800;&bogus &amp",
        "<unknown-tag>x</unknown-tag><svg><text>y</svg>", "<p <b>x", "<!-- unclosed",
        "<table><p>x</table>", "<?xml version=\"1.0\"?><html><html><body><body>",
        "\x01\x02", "<![CDATA[x]]>", "<img src=\"a\"b c=>", "</", "<", "&#99999999999;"};
    fflush(stderr);
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    int saved = dup(2);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fileno(tmp), 2), 0);
    int rcs = 0;
    for (size_t i = 0; i < sizeof noisy / sizeof *noisy; i++) {
        tc_buf out = {0};
        rcs |= tc_html_to_text(noisy[i], strlen(noisy[i]), &out);
        tc_buf_free(&out);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ck_assert_int_eq(rcs, TC_OK);
    ck_assert_int_eq(fseek(tmp, 0, SEEK_END), 0);
    long printed = ftell(tmp);
    fclose(tmp);
    ck_assert_msg(printed == 0, "libxml2 printed %ld bytes to stderr", printed);
}
END_TEST

/* What makes the text longer than its HTML is line prefixes; at worst a
 * <pre> of empty lines in quotes 8 deep: 16 bytes per byte. */
START_TEST(output_is_bounded)
{
    struct {
        const char *head, *piece, *tail;
    } worst[] = {
        {"<blockquote><blockquote><blockquote><blockquote><blockquote><blockquote>"
         "<blockquote><blockquote><pre>x",
         "\n", "y</pre>"},
        {"<blockquote><blockquote><blockquote><blockquote><blockquote><blockquote>"
         "<blockquote><blockquote>x",
         "<br>", "y"},
        {"<blockquote><blockquote><blockquote><blockquote><blockquote><blockquote>"
         "<blockquote><blockquote>",
         "<p>x", ""},
        {"<blockquote><blockquote><blockquote><blockquote><blockquote><blockquote>"
         "<blockquote><blockquote>",
         "<hr>", ""},
        {"<ul><li><ul><li><ul><li><ul><li><ul><li><ul><li><ul><li><ol start=-999999999>",
         "<li>x", ""},
        {"<blockquote><blockquote><blockquote><blockquote><blockquote><blockquote>"
         "<blockquote><blockquote>",
         "<h6>x</h6>", ""},
        {"", "\x01", ""},
        {"", "<img>", ""},
        {"<pre>", "`", "</pre>"},
    };
    for (size_t i = 0; i < sizeof worst / sizeof *worst; i++) {
        tc_buf in = repeat(worst[i].head, worst[i].piece, 100000, worst[i].tail);
        tc_buf out = {0};
        ck_assert_int_eq(tc_html_to_text(in.data, in.len, &out), TC_OK);
        ck_assert_msg(out.len <= 16 * in.len, "case %zu: %zu bytes of text from %zu of HTML", i,
                      out.len, in.len);
        ck_assert(tc_utf8_valid(out.data, out.len, NULL, NULL));
        tc_buf_free(&in);
        tc_buf_free(&out);
    }
}
END_TEST

/* Tag soup from pieces: always TC_OK, UTF-8 without NUL, no break at either
 * end, bounded, the same on a second run. */
START_TEST(tag_soup)
{
    static const char *const pieces[] = {
        "<p>", "</p>", "<div>", "</div>", "<br>", "<b>", "</b>", "<i>", "</i>",
        "<a href=\"/x\">", "<a href='http://e.com/?a=1&amp;b=2'>", "<a>", "</a>", "<ul>", "</ul>",
        "<ol start=\"-3\">", "</ol>", "<li>", "</li>", "<blockquote>", "</blockquote>", "<pre>",
        "</pre>", "<code>", "</code>", "<table>", "<tr>", "<td>", "<th>", "</td>", "</tr>",
        "</table>", "<h2>", "</h2>", "<hr>", "<img src=\"a.png\">", "<img alt=\":smile:\">",
        "<script>x<y</script>", "<style>p{}</style>", "<!-- c -->", "<!--", "-->", "&amp;", "&lt;",
        "&#0;", "&#x1F600;", "&#146;", "&#;", "&bogus;", "word", "two words", " ", "\n", "\t",
        "\r\n", "\xc3\xa9", "\xe2\x80\xa6", "```", "<", ">", "\"", "'", "=", "<dl><dt>t<dd>d",
        "</dd></dl>", "<caption>c</caption>", "<head><title>t</title></head>", "<?pi x?>",
        "<!DOCTYPE html>", "<![CDATA[x]]>", "\x01", "<svg><use href=\"#i\"></use></svg>",
        "<textarea>", "</textarea>", "<xmp>", "</xmp>", "<html>", "<body>", "</body>", "<td>|",
        "<li value=9>", "<h1>", "<template>", "</template>", "<p align=center", "</span>"};
    const size_t n_pieces = sizeof pieces / sizeof *pieces;
    prng_state = 0x9E3779B97F4A7C15ull;
    for (int doc = 0; doc < 3000; doc++) {
        tc_buf in = {0}, a = {0}, b = {0};
        size_t n = 1 + below(60);
        for (size_t k = 0; k < n; k++) {
            const char *p = pieces[below(n_pieces)];
            tc_buf_append(&in, p, strlen(p));
            if (below(40) == 0)
                tc_buf_putc(&in, '\0');
        }
        ck_assert_int_eq(tc_buf_append(&in, "", 0), TC_OK);
        ck_assert_int_eq(tc_html_to_text(in.data, in.len, &a), TC_OK);
        ck_assert_int_eq(tc_html_to_text(in.data, in.len, &b), TC_OK);
        char *shown = show(in.data, in.len);
        ck_assert_msg(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "not repeatable: %s",
                      shown);
        ck_assert_msg(tc_utf8_valid(a.data, a.len, NULL, NULL), "not UTF-8: %s", shown);
        ck_assert_msg(a.len == 0 || (a.data[0] != '\n' && a.data[a.len - 1] != '\n'),
                      "a break at an end: %s -> %s", shown, show(a.data, a.len));
        ck_assert_msg(a.len <= 16 * in.len, "%zu bytes from %zu: %s", a.len, in.len, shown);
        free(shown);
        tc_buf_free(&in);
        tc_buf_free(&a);
        tc_buf_free(&b);
    }
}
END_TEST

/* ---------------------------------------------------------------- the corpus */

typedef struct body {
    char name[160];
    char *html;
    size_t len;
} body;

typedef struct bodies {
    body *items;
    size_t n, cap;
} bodies;

static void add_body(bodies *bs, const char *file, size_t index, const char *html, size_t len)
{
    if (bs->n == bs->cap) {
        bs->cap = bs->cap ? bs->cap * 2 : 64;
        bs->items = realloc(bs->items, bs->cap * sizeof *bs->items);
        ck_assert_ptr_nonnull(bs->items);
    }
    body *b = &bs->items[bs->n++];
    snprintf(b->name, sizeof b->name, "%s #%zu", file, index);
    b->html = malloc(len + 1);
    ck_assert_ptr_nonnull(b->html);
    memcpy(b->html, html, len);
    b->html[len] = '\0';
    b->len = len;
}

/* Reddit escapes body_html (&lt;p&gt;) unless asked for raw_json=1. */
static char *reddit_unescape(const char *s, size_t *len)
{
    static const struct {
        const char *from, *to;
    } map[] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
    tc_buf b = {0};
    while (*s) {
        size_t k = 0;
        for (; k < sizeof map / sizeof *map; k++)
            if (strncmp(s, map[k].from, strlen(map[k].from)) == 0)
                break;
        if (k < sizeof map / sizeof *map) {
            tc_buf_append(&b, map[k].to, 1);
            s += strlen(map[k].from);
        } else {
            tc_buf_putc(&b, *s++);
        }
    }
    tc_buf_append(&b, "", 0);
    *len = b.len;
    return b.data;
}

/* Every string value of key anywhere in v. */
static void json_collect(bodies *bs, const char *file, const json_t *v, const char *key)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (strcmp(k, key) == 0 && json_is_string(x)) {
                const char *s = json_string_value(x);
                size_t len = json_string_length(x);
                if (strcmp(key, "body_html") == 0 && strstr(s, "&lt;") != NULL && !strchr(s, '<')) {
                    char *u = reddit_unescape(s, &len);
                    add_body(bs, file, bs->n, u, len);
                    free(u);
                } else {
                    add_body(bs, file, bs->n, s, len);
                }
            } else {
                json_collect(bs, file, x, key);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach((json_t *)v, i, x)
            json_collect(bs, file, x, key);
    }
}

static json_t *load_json(const char *rel)
{
    char *path = tu_path("THREADCONV_SHARED", rel);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    ck_assert_msg(root != NULL, "%s: %s", path, err.text);
    free(path);
    return root;
}

static void quiet_xml(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

static void se_collect(bodies *bs, const char *rel)
{
    char *path = tu_path("THREADCONV_SHARED", rel);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    ck_assert_msg(doc != NULL, "%s: not XML", path);
    size_t before = bs->n;
    for (xmlNodePtr row = xmlDocGetRootElement(doc)->children; row; row = row->next) {
        if (row->type != XML_ELEMENT_NODE || strcmp((const char *)row->name, "row") != 0)
            continue;
        xmlChar *b = xmlGetProp(row, BAD_CAST "Body");
        if (b != NULL) {
            add_body(bs, rel, bs->n - before, (const char *)b, strlen((const char *)b));
            xmlFree(b);
        }
    }
    ck_assert_msg(bs->n > before, "%s: no Body", path);
    xmlFreeDoc(doc);
    free(path);
}

/* What the test knows of a body from libxml2's tree of it. */
typedef struct oracle {
    tc_buf text;  /* all its text, for tags written as text (&lt;br&gt;) */
    char **hrefs; /* the URL of every <a href> outside <pre> */
    size_t n_hrefs;
    tc_buf *paras; /* the text of each <p> outside <pre> */
    size_t n_paras;
} oracle;

static bool named(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && xmlStrcasecmp(n->name, BAD_CAST name) == 0;
}

/* The text of n, as the rules say inline content reads: text, alt or
 * "[image <src>]" for images, a space for <br>. */
static void inline_text(xmlNodePtr n, tc_buf *to)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            tc_buf_append(to, c->content, strlen((const char *)c->content));
        } else if (named(c, "img")) {
            xmlChar *alt = xmlGetProp(c, BAD_CAST "alt"), *src = xmlGetProp(c, BAD_CAST "src");
            if (alt)
                tc_buf_append(to, alt, strlen((const char *)alt));
            else if (src)
                tc_buf_printf(to, "[image <%s>]", (const char *)src);
            else
                tc_buf_append(to, "[image]", 7);
            xmlFree(alt);
            xmlFree(src);
        } else if (named(c, "br")) {
            tc_buf_putc(to, ' ');
        } else if (c->type == XML_ELEMENT_NODE && !named(c, "script") && !named(c, "style")) {
            inline_text(c, to);
        }
    }
}

static void trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n > 0 && (unsigned char)s[n - 1] <= ' ')
        s[--n] = '\0';
    while ((unsigned char)s[i] <= ' ' && s[i])
        i++;
    memmove(s, s + i, n - i + 1);
}

static void walk(xmlNodePtr n, oracle *o, bool in_pre)
{
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE) {
            tc_buf_append(&o->text, c->content, strlen((const char *)c->content));
            continue;
        }
        if (c->type != XML_ELEMENT_NODE || named(c, "script") || named(c, "style") ||
            named(c, "head"))
            continue;
        bool pre = in_pre || named(c, "pre");
        if (named(c, "a") && !pre) {
            xmlChar *href = xmlGetProp(c, BAD_CAST "href");
            if (href != NULL) {
                char *h = strdup((const char *)href);
                trim(h);
                o->hrefs = realloc(o->hrefs, (o->n_hrefs + 1) * sizeof *o->hrefs);
                o->hrefs[o->n_hrefs++] = h;
                xmlFree(href);
            }
        }
        if (named(c, "p") && !pre) {
            o->paras = realloc(o->paras, (o->n_paras + 1) * sizeof *o->paras);
            tc_buf *p = &o->paras[o->n_paras++];
            memset(p, 0, sizeof *p);
            inline_text(c, p);
            tc_buf_append(p, "", 0);
        }
        walk(c, o, pre);
    }
}

static void oracle_free(oracle *o)
{
    tc_buf_free(&o->text);
    for (size_t i = 0; i < o->n_hrefs; i++)
        free(o->hrefs[i]);
    free(o->hrefs);
    for (size_t i = 0; i < o->n_paras; i++)
        tc_buf_free(&o->paras[i]);
    free(o->paras);
}

/* Words: split on HTML's spaces, without the quote markers ">". */
static size_t words(char *s, char ***out)
{
    size_t n = 0, cap = 0;
    char **w = NULL;
    for (char *tok = strtok(s, " \t\n\r\f"); tok; tok = strtok(NULL, " \t\n\r\f")) {
        if (strcmp(tok, ">") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            w = realloc(w, cap * sizeof *w);
        }
        w[n++] = tok;
    }
    *out = w;
    return n;
}

/* Is needle[0..nn) a run of hay? */
static bool contiguous(char **hay, size_t nh, char **needle, size_t nn)
{
    for (size_t i = 0; i + nn <= nh; i++) {
        size_t k = 0;
        while (k < nn && strcmp(hay[i + k], needle[k]) == 0)
            k++;
        if (k == nn)
            return true;
    }
    return nn == 0;
}

typedef struct tally {
    size_t bodies, hrefs, paras, tags;
} tally;

static void check_body(const body *b, const regex_t *tag, tally *t)
{
    tc_buf out = {0};
    const char *why = NULL;
    int rc = tc_html_to_text_ex(b->html, b->len, 0, &out, &why);
    ck_assert_msg(rc == TC_OK, "%s: rc %d (%s)", b->name, rc, why ? why : "");
    size_t bad;
    ck_assert_msg(tc_utf8_valid(out.data, out.len, &bad, NULL), "%s: not UTF-8 at byte %zu",
                  b->name, bad);

    oracle o = {0};
    htmlDocPtr doc = htmlReadMemory(b->html, (int)b->len, NULL, "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                        HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC);
    ck_assert_msg(doc != NULL, "%s: libxml2 made no tree", b->name);
    walk((xmlNodePtr)doc, &o, false);
    tc_buf_append(&o.text, "", 0);
    xmlFreeDoc(doc);

    /* every URL is in the text */
    for (size_t i = 0; i < o.n_hrefs; i++) {
        if (o.hrefs[i][0] == '\0')
            continue;
        ck_assert_msg(strstr(out.data, o.hrefs[i]) != NULL, "%s: URL %s missing from:\n%s",
                      b->name, o.hrefs[i], out.data);
        t->hrefs++;
    }

    /* without the URLs written "<URL>", nothing tag-shaped is left that the
     * body does not have as text */
    char *plain = strdup(out.data);
    for (size_t i = 0; i < o.n_hrefs; i++) {
        size_t hl = strlen(o.hrefs[i]);
        if (hl == 0)
            continue;
        char *w = malloc(hl + 4);
        snprintf(w, hl + 4, " <%s>", o.hrefs[i]); /* after the link's text */
        for (int pass = 0; pass < 2; pass++) {  /* then alone (no text) */
            const char *x = w + pass;
            size_t xl = strlen(x);
            for (char *p; (p = strstr(plain, x)) != NULL;)
                memmove(p, p + xl, strlen(p + xl) + 1);
        }
        free(w);
    }
    regmatch_t m;
    for (const char *p = plain; regexec(tag, p, 1, &m, 0) == 0; p += m.rm_eo) {
        char *found = strndup(p + m.rm_so, (size_t)(m.rm_eo - m.rm_so));
        ck_assert_msg(strstr(o.text.data, found) != NULL, "%s: tag %s left in:\n%s", b->name,
                      found, out.data);
        free(found);
        t->tags++;
    }

    /* the words of each paragraph, in order and together */
    char **tw;
    size_t ntw = words(plain, &tw);
    for (size_t i = 0; i < o.n_paras; i++) {
        char **pw;
        char *para = strdup(o.paras[i].data);
        size_t npw = words(para, &pw);
        ck_assert_msg(contiguous(tw, ntw, pw, npw), "%s: paragraph \"%s\" not in:\n%s", b->name,
                      o.paras[i].data, out.data);
        free(pw);
        free(para);
        t->paras++;
    }
    free(tw);
    free(plain);
    oracle_free(&o);
    tc_buf_free(&out);
    t->bodies++;
}

START_TEST(corpus_bodies)
{
    /* unset: tu_path fails the test, saying THREADCONV_SHARED is needed */
    tu_env_dir("THREADCONV_SHARED");
    xmlSetStructuredErrorFunc(NULL, quiet_xml); /* the tree parses below */
    bodies bs = {0};
    static const char *const discourse[] = {
        "corpus/foreign/discourse-topic2144-posts.json",
        "corpus/foreign/discourse/discourse_api/topic.json",
        "corpus/foreign/discourse/discourse_api/topic_posts.json",
        "corpus/foreign/discourse/discourse_api/post.json",
        "corpus/foreign/discourse/discourse_api/posts_latest.json"};
    for (size_t i = 0; i < sizeof discourse / sizeof *discourse; i++) {
        json_t *root = load_json(discourse[i]);
        json_collect(&bs, discourse[i], root, "cooked");
        json_decref(root);
    }
    size_t n_discourse = bs.n;
    se_collect(&bs, "corpus/foreign/stackexchange-meta.beer-Posts.xml");
    se_collect(&bs, "corpus/foreign/stackexchange/seekoff-blender-meta/Posts.xml");
    size_t n_se = bs.n - n_discourse;
    static const char *const reddit[] = {
        "corpus/foreign/reddit/graw-thread-json/ThreadWithRedditVideoPreview.json",
        "corpus/foreign/reddit/graw-thread-json/ThreadRemovedByCategoryModerator.json",
        "corpus/foreign/reddit/graw-thread-json/inbox.json"};
    for (size_t i = 0; i < sizeof reddit / sizeof *reddit; i++) {
        json_t *root = load_json(reddit[i]);
        json_collect(&bs, reddit[i], root, "body_html");
        json_decref(root);
    }
    /* the cassette holds each response as a JSON string to decode again */
    const char *praw = "corpus/foreign/reddit-praw-cassette-deleted-comment.json";
    json_t *cassette = load_json(praw);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(cassette, "interactions"), i, it) {
        const char *s = json_string_value(
            json_object_get(json_object_get(json_object_get(it, "response"), "body"), "string"));
        json_t *inner = s ? json_loads(s, 0, NULL) : NULL;
        if (inner != NULL) {
            json_collect(&bs, praw, inner, "body_html");
            json_decref(inner);
        }
    }
    json_decref(cassette);
    size_t n_reddit = bs.n - n_discourse - n_se;
    /* what SOURCES.md says the files hold */
    ck_assert_uint_eq(n_discourse, 14);
    ck_assert_uint_eq(n_se, 82);
    ck_assert_uint_eq(n_reddit, 50);

    regex_t tag;
    ck_assert_int_eq(regcomp(&tag, "</?[A-Za-z][A-Za-z0-9-]*([[:space:]/][^<>]*)?>", REG_EXTENDED),
                     0);
    tally t = {0};
    for (size_t k = 0; k < bs.n; k++)
        check_body(&bs.items[k], &tag, &t);
    regfree(&tag);
    ck_assert_uint_eq(t.bodies, bs.n);
    ck_assert_uint_gt(t.hrefs, 50);
    ck_assert_uint_gt(t.paras, 300);
    for (size_t k = 0; k < bs.n; k++)
        free(bs.items[k].html);
    free(bs.items);
}
END_TEST

static Suite *html_suite(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("rules");
    tcase_add_loop_test(tc, rules, 0, (int)(sizeof cases / sizeof *cases));
    tcase_add_test(tc, empty_result_is_a_string);
    tcase_add_test(tc, deep_prefixes_stop_at_eight);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostile");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, deep_nesting_is_refused);
    tcase_add_test(tc, nesting_up_to_the_limit);
    tcase_add_test(tc, many_unclosed_elements);
    tcase_add_test(tc, huge_attributes_and_text);
    tcase_add_test(tc, invalid_utf8_is_refused);
    tcase_add_test(tc, libxml2_never_prints);
    tcase_add_test(tc, output_is_bounded);
    tcase_add_test(tc, tag_soup);
    suite_add_tcase(s, tc);

    tc = tcase_create("corpus");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, corpus_bodies);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(html_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
