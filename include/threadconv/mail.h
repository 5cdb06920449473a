/*
 * mail.h - mail text helpers for readers of mail and of formats that
 * borrow from it (exports with MIME parts, encoded subjects, address
 * lists): charsets to UTF-8, quoted-printable and base64 (RFC 2045),
 * encoded words (RFC 2047), MIME parameters (RFC 2045, RFC 2231) and
 * addresses (RFC 5322).
 *
 * Conventions, stated once for the whole header:
 *   - Every name starts with tc_mail_.
 *   - Input is a pointer and a length: no NUL needed, never kept.
 *   - Results are appended to a tc_buf the caller owns (zero-initialised or
 *     reused; free it with tc_buf_free) and the buffer is NUL-terminated
 *     afterwards, also when nothing was appended.  Nothing else is
 *     allocated for the caller.
 *   - Decoding is lenient, as real mail needs: no input is refused.  Bytes
 *     that cannot be decoded are replaced as tc_mail_to_utf8 says and
 *     counted in *n_bad (added to, never reset: the caller sets it to 0);
 *     a charset iconv does not know sets *unknown (never cleared).  The
 *     caller decides whether to warn or refuse.
 *   - Functions return TC_OK, or TC_ERR_NOMEM when memory ran out (the
 *     buffers then hold a partial result).
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef THREADCONV_MAIL_H
#define THREADCONV_MAIL_H

#include <threadconv/threadconv.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Convert in[0..len), text in charset, to UTF-8 appended to out (an RFC
 * 2231 language suffix "utf-8*en" is ignored).  The label is read as mail
 * clients and browsers read it, through the WHATWG Encoding Standard's
 * table of labels (tc_mail_charset_label): "iso-8859-1", "latin1" and
 * "us-ascii" are windows-1252, "gb2312" is GBK, "ks_c_5601-1987" is
 * EUC-KR (code page 949), "utf-16" reads a byte-order mark; a label the
 * table does not have is given to iconv as it is (so "cp850" and "utf-7"
 * still decode), and so are the Standard's "replacement" labels
 * (iso-2022-kr, hz-gb-2312, ...).  NULL and "" take the bytes as UTF-8.
 * A byte that cannot be decoded becomes the ISO-8859-1 character of the
 * same value (U+0080..U+00FF), a NUL becomes U+FFFD; each counts in
 * *n_bad.  A charset neither the table nor iconv knows sets *unknown and
 * the bytes are read as UTF-8 with the same fallback.  The result is
 * always valid UTF-8 without NUL.
 */
int tc_mail_to_utf8(tc_buf *out, const char *charset, const char *in, size_t len,
                    size_t *n_bad, bool *unknown);

/*
 * The same for a body, which may hold U+0000 (tc_post.body, body_len): a
 * NUL byte of the input, or one the charset decodes to (NUL is 0x00 in
 * every ASCII-compatible charset; iconv decodes UTF-16's 00 00 to it too),
 * is kept as U+0000 and not counted in *n_bad; everything else as
 * tc_mail_to_utf8.  The result is valid UTF-8 that may hold NUL bytes
 * (tc_utf8_valid_text): out->len, not strlen, says how long it is.
 */
int tc_mail_to_utf8_text(tc_buf *out, const char *charset, const char *in, size_t len,
                         size_t *n_bad, bool *unknown);

/*
 * The encoding a charset label names in the WHATWG Encoding Standard's
 * table ("Names and labels"): its name there ("windows-1252", "GBK",
 * "EUC-KR", "UTF-8", "replacement", ...), or NULL when the table does not
 * have the label.  Case does not matter; blanks around it are ignored.
 */
const char *tc_mail_charset_label(const char *label, size_t len);

/*
 * Decode a quoted-printable body (RFC 2045 section 6.7): "=XX" (either
 * case) is the byte XX, "=" at the end of a line (blanks may follow it) is
 * a soft line break and joins the lines, blanks at the end of a line are
 * deleted (rule 3: transports add them).  An "=" that starts neither is
 * kept as it is (the robustness the RFC's note on rule 1 suggests).
 * Appends the bytes, not checked as UTF-8.
 */
int tc_mail_qp_decode(tc_buf *out, const char *s, size_t len);

/*
 * Decode base64 (RFC 2045 section 6.8; the URL alphabet's "-" and "_" are
 * read as "+" and "/").  White space is skipped and padding is optional
 * ("SGVsbA" is "Hell").  Any other byte, and any digit after the padding,
 * is skipped and counted in *n_bad.  Appends the bytes, not checked as
 * UTF-8.
 */
int tc_mail_base64_decode(tc_buf *out, const char *s, size_t len, size_t *n_bad);

/*
 * Decode a header's unstructured text (a Subject, a comment, a display
 * name) with RFC 2047 encoded words "=?charset?Q?text?=" and
 * "=?charset?B?text?=" in it, appended as UTF-8.  Blanks between two
 * adjacent encoded words are dropped (section 6.2); adjacent words in the
 * same charset are decoded as one, so a character split across them
 * (broken senders) comes out whole.  Text outside encoded words is taken
 * as UTF-8 (raw 8-bit headers), with tc_mail_to_utf8's fallback.  Nothing
 * that is not a complete encoded word is decoded ("=? a" stays).
 */
int tc_mail_decode_words(tc_buf *out, const char *s, size_t len, size_t *n_bad,
                         bool *unknown);

/*
 * Parameters of a MIME header value ("text/plain; charset=utf-8",
 * "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf").  names is a
 * NULL-terminated list; for each names[k] (any case), found[k] says
 * whether the value has that parameter, and when it has, values[k] is
 * reset and holds its value: a quoted string unquoted, a token as it is
 * (bytes, not checked as UTF-8), or, in the RFC 2231 forms
 * (NAME*=charset'lang'%XX..., continuations NAME*0, NAME*1*, ... in any
 * order), the pieces joined, percent-decoded and converted to UTF-8 as
 * tc_mail_to_utf8 does.  An RFC 2231 value wins over a plain one of the
 * same name; otherwise the first one does.  A name without "=value" does
 * not count.
 */
int tc_mail_params(const char *s, size_t len, const char *const *names, tc_buf *values,
                   bool *found);

/* tc_mail_params for one name: *found says whether it is there. */
int tc_mail_param(const char *s, size_t len, const char *name, tc_buf *value, bool *found);

/*
 * The first mailbox of an address header's value (From:, To:, Reply-To:),
 * RFC 5322 section 3.4 with the obsolete forms of section 4.4: name (reset
 * first) gets its display name decoded (quoted strings unquoted, encoded
 * words decoded, words joined by one space), or, when there is none, the
 * text of a comment after the address ("pete@x.test (Pete)"); addr (reset
 * first) gets the address with comments and folding white space removed
 * ("<pete(his account)@silly.test>" is pete@silly.test) and a source route
 * dropped.  Groups ("Friends: ann@x.test, bob@y.test;") are looked into:
 * their first member is the first mailbox.  Either may come back empty
 * (an empty group, text that holds no address).
 */
int tc_mail_parse_address(const char *s, size_t len, tc_buf *name, tc_buf *addr,
                          size_t *n_bad, bool *unknown);

#ifdef __cplusplus
}
#endif

#endif /* THREADCONV_MAIL_H */
