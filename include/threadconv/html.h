/*
 * html.h - the readable text of an HTML fragment, for readers of formats
 * whose post bodies are HTML (Discourse "cooked", Stack Exchange "Body",
 * Reddit "body_html").
 *
 * The fragment is parsed by libxml2's HTML parser in SAX mode: no tree is
 * built, nothing is fetched from the network, no DTD is read, and libxml2
 * never prints.  The text is appended to a tc_buf the caller owns; on any
 * failure nothing is appended.  No global state: threads may convert at once
 * (the library initialises libxml2 when it is loaded, as libxml2 asks).
 *
 * It is a library of its own, libthreadconv_html (link -lthreadconv_html
 * after pkg-config's flags for threadconv; in tree, a module's fragment adds
 * core/libthreadconv_html.la), so that programs and modules that read no
 * HTML do not load libxml2.
 *
 * The text, rule by rule:
 *
 *  Blocks  p, div, headings, blockquote, pre, ul/ol, dl, table, hr and the
 *          other block elements (section, aside, figure ...) are separated
 *          by one blank line.  <br> ends a line (two make a blank line).
 *          The text never starts or ends with a line break.
 *  Spaces  Outside <pre>, runs of space, tab, CR, LF and FF read as one
 *          space, and none starts or ends a line, as a browser shows them.
 *          Inline <code> is text like any other.
 *  Heads   h1..h6 are a paragraph that starts with "# " .. "###### ".
 *  Links   <a href=URL>text</a> reads "text <URL>"; just "text" when the
 *          text is exactly URL (or URL is "mailto:" and the text); "<URL>"
 *          when the link has no text.  URL is kept as written (relative,
 *          mailto: ...), except that spaces and controls around it and
 *          tabs and line breaks inside it are dropped, as URL parsers do.
 *          An <a> without an href (or with an empty one) is its text.
 *  Images  <img> reads as its alt text (an empty alt: nothing; Discourse
 *          emoji carry alt=":smile:"); without alt, "[image <src>]", or
 *          "[image]" without src either.
 *  Lists   One item to a line, "- " in ul (and menu, dir), "N. " in ol,
 *          counted from its start attribute (default 1; <li value=N> sets
 *          N; reversed and type are ignored).  Items of one list are never
 *          separated by a blank line.  A line after the first in an item
 *          is indented by two spaces, a nested list by two more per level.
 *          In dl, dt and dd are lines, dd indented by two spaces.  An item
 *          with no text shows nothing.
 *  Quotes  Each line inside blockquote starts "> ", blank lines inside it
 *          read ">", nested quotes "> > ".  Quotes, items and dd show their
 *          prefix up to 8 levels deep; deeper ones add no more (an item's
 *          marker still starts its first line).
 *  Code    <pre> (and listing, xmp) becomes a fenced block: a line "```",
 *          the text byte for byte, a line "```" (fences one longer than
 *          the longest run of backticks in the text when that run is three
 *          or more).  The line break right after <pre> is dropped, as HTML
 *          says.  Inside <pre>, markup gives only its text: <br> is a line
 *          break, <img> its alt, links no URL.  Inside quotes and lists
 *          each line has their prefix (an empty line the prefix without
 *          trailing spaces).  An empty pre gives nothing.
 *  Tables  Each row is a line, its cells separated by " | " (th as td);
 *          line and paragraph breaks inside a cell read as spaces; a
 *          caption is a paragraph of its own.
 *  Rules   <hr> is a paragraph "---".
 *  Dropped head, title, script, style, template, comments, processing
 *          instructions and the doctype.  Any other element is its text.
 *  Chars   HTML 4 entities (libxml2's table) and &apos; are decoded; a name
 *          it does not know (&check;) or one without its ";" stays as
 *          written.  Numeric references are decoded; &#128;..&#159; as the
 *          windows-1252 characters HTML maps them to (&#146; is U+2019).
 *          What libxml2 would silently drop reads as U+FFFD instead: NUL
 *          bytes, C0 controls other than tab, LF, CR and FF, U+FFFE and
 *          U+FFFF, raw or as references, and references to surrogates or
 *          beyond U+10FFFF.  FF (raw or &#12;) reads as a space.  "&#" with
 *          no digits stays as written.  A byte-order mark at the start is
 *          dropped; an encoding declared in the HTML (<meta charset>) is
 *          ignored: the input is UTF-8.
 *
 * The result is valid UTF-8 without NUL and at most 16 times as long as the
 * input: only line prefixes make it longer than its HTML, at worst a <pre>
 * of empty lines inside quotes 8 deep.
 */
#ifndef THREADCONV_HTML_H
#define THREADCONV_HTML_H

#include <threadconv/threadconv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Nesting tc_html_to_text allows: the default of the max-depth limit. */
#define TC_HTML_MAX_DEPTH 1000

/*
 * Append the readable text of html[0..len) (UTF-8, NUL bytes allowed) to
 * out.  Returns TC_OK, TC_ERR_NOMEM, or TC_ERR_DATA when html is not valid
 * UTF-8 or nests elements deeper than TC_HTML_MAX_DEPTH.  Nothing is
 * appended on failure; on success out->data is a string even when the
 * text is empty.
 */
int tc_html_to_text(const char *html, size_t len, tc_buf *out);

/*
 * The same with the nesting limit given (a reader passes
 * tc_stream_limit(s, TC_LIMIT_DEPTH); 0 means TC_HTML_MAX_DEPTH).  html,
 * head and body do not count.  The limit is there because libxml2 looks
 * through all open elements for each end tag it cannot match.  On failure,
 * *why (when why is not NULL) is set to a static text saying why, e.g. "the
 * HTML is not valid UTF-8" or "elements nest deeper than the max-depth
 * limit"; on success to NULL.
 */
int tc_html_to_text_ex(const char *html, size_t len, size_t max_depth, tc_buf *out,
                       const char **why);

#ifdef __cplusplus
}
#endif

#endif /* THREADCONV_HTML_H */
