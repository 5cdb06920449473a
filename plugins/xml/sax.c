/*
 * sax.c - the "xml" reader's SAX handlers (see reader.h): they check the
 * structure as the elements come, element by element, and build the items
 * of the archive into the queue (queue.c): the text elements, the <ctrl/>
 * elements in them, extra fields.  What an attachment holds is
 * attachment.c's.  (The text elements stay here, beside the handlers that
 * call them per element, so that the compiler can inline them: as a file
 * of their own they cost xml -> json 0.13% more instructions.)
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "reader.h"

#include <libxml/xmlreader.h> /* node type numbers, for messages */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const xr_el_names[XR_EL_COUNT] = {
    "archive", "thread", "title", "source", "id", "url", "extra", "post", "author",
    "date", "body", "parent", "ctrl", "attachment",
};

const char *const xr_at_names[XR_AT_COUNT] = {"version", "key", "code", "name", "type", "ref",
                                              "content-id", "disposition", "note", "size",
                                              "empty"};

/* What may come next in the element-only containers, for messages. */
static const char *const thread_head_expect[] = {
    "<id>, <url>, <extra>, <post> or </thread>",
    "<url>, <extra>, <post> or </thread>",
    "<extra>, <post> or </thread>",
};
static const char *const post_tail_expect[] = {"<parent>, <extra>, <attachment> or </post>",
                                               "<extra>, <attachment> or </post>",
                                               "<attachment> or </post>"};


/* ------------------------------------------------------------------ */
/* Names, attributes and what messages show                            */
/* ------------------------------------------------------------------ */

/* Which element of ours an element is. */
static int classify(const xr *x, const xmlChar *local, const xmlChar *uri)
{
    /* the most frequent first */
    static const unsigned char order[XR_EL_COUNT] = {
        XR_EL_POST, XR_EL_ID, XR_EL_AUTHOR, XR_EL_DATE, XR_EL_BODY, XR_EL_THREAD,
        XR_EL_TITLE, XR_EL_SOURCE, XR_EL_EXTRA, XR_EL_URL, XR_EL_PARENT, XR_EL_ATTACHMENT,
        XR_EL_CTRL, XR_EL_ARCHIVE,
    };
    if (uri != x->ns && (uri == NULL || strcmp((const char *)uri, TCXML_NS) != 0))
        return XR_EL_FOREIGN;
    for (int i = 0; i < XR_EL_COUNT; i++)
        if (local == x->el[order[i]])
            return order[i];
    /* not interned by this dictionary (not expected): compare the text */
    for (int i = 0; i < XR_EL_COUNT; i++)
        if (strcmp((const char *)local, xr_el_names[i]) == 0)
            return i;
    return XR_EL_OTHER;
}

/*
 * The value of attribute `which` (in no namespace) of the element whose
 * SAX2 attributes are attrs[0 .. 5 * nb): NULL when it has none.  Borrowed
 * until the next call.  Without XML_PARSE_NOENT, libxml2 hands an '&' in an
 * attribute value on as "&#38;" for the tree builder to decode: decoded here.
 */
const char *xr_attribute(xr *x, int nb, const xmlChar **attrs, int which)
{
    for (int i = 0; i < nb; i++) {
        const xmlChar *const *a = attrs + 5 * i;
        if (a[2] != NULL ||
            (a[0] != x->at[which] && strcmp((const char *)a[0], xr_at_names[which]) != 0))
            continue;
        const char *v = (const char *)a[3], *end = (const char *)a[4];
        tc_buf_reset(&x->attr);
        bool ok = tc_buf_append(&x->attr, "", 0) == TC_OK;
        while (ok && v < end) {
            const char *amp = memchr(v, '&', (size_t)(end - v));
            if (amp == NULL) {
                ok = tc_buf_append(&x->attr, v, (size_t)(end - v)) == TC_OK;
                break;
            }
            ok = tc_buf_append(&x->attr, v, (size_t)(amp - v)) == TC_OK &&
                 tc_buf_putc(&x->attr, '&') == TC_OK;
            v = end - amp >= 5 && memcmp(amp, "&#38;", 5) == 0 ? amp + 5 : amp + 1;
        }
        if (!ok) {
            xr_nomem(x);
            return NULL;
        }
        return x->attr.data;
    }
    return NULL;
}

/* An element as messages show it: <title>, <rss> in no namespace. */
static void describe_element(const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                             int el, char *out, size_t size)
{
    if (el != XR_EL_FOREIGN)
        snprintf(out, size, "<%s>", (const char *)local);
    else if (uri == NULL && prefix != NULL) /* a prefix no declaration binds */
        snprintf(out, size, "<%s:%s> in no namespace", (const char *)prefix,
                 (const char *)local);
    else if (uri == NULL)
        snprintf(out, size, "<%s> in no namespace", (const char *)local);
    else
        snprintf(out, size, "<%s> in namespace \"%.100s\"", (const char *)local,
                 (const char *)uri);
}

/* The run of character data as messages show it: text "the first 24
 * characters after any white space...", controls as spaces. */
static void describe_run(const xr *x, char *out, size_t size)
{
    const char *v = x->run_head;
    char shown[120];
    size_t n = 0, k = 0, chars = 0;
    while (v[n] && chars < 24) {
        shown[k++] = (unsigned char)v[n] < 0x20 ? ' ' : v[n];
        n++;
        while ((v[n] & 0xC0) == 0x80)
            shown[k++] = v[n++];
        chars++;
    }
    shown[k] = '\0';
    bool more = v[n] != '\0' || x->run_rest > x->run_head_len;
    snprintf(out, size, "text \"%s%s\"", shown, more ? "..." : "");
}

/* ------------------------------------------------------------------ */
/* The structure                                                       */
/* ------------------------------------------------------------------ */

/* In an element-only container: whether messages name the post, and what
 * may come next. */
static bool container(const xr *x, bool *in_post, const char **what)
{
    switch (x->st) {
    case XR_ST_ARCHIVE: *in_post = false; *what = "<thread> or </archive>"; return true;
    case XR_ST_T_TITLE: *in_post = false; *what = "<title>"; return true;
    case XR_ST_T_SOURCE: *in_post = false; *what = "<source>"; return true;
    case XR_ST_T_HEAD: *in_post = false; *what = thread_head_expect[x->stage]; return true;
    case XR_ST_T_POSTS: *in_post = false; *what = "<post> or </thread>"; return true;
    case XR_ST_P_ID: *in_post = true; *what = "<id>"; return true;
    case XR_ST_P_AUTHOR: *in_post = true; *what = "<author>"; return true;
    case XR_ST_P_DATE: *in_post = true; *what = "<date> or <body>"; return true;
    case XR_ST_P_BODY: *in_post = true; *what = "<body>"; return true;
    case XR_ST_P_TAIL: *in_post = true; *what = post_tail_expect[x->stage]; return true;
    default: return false;
    }
}

static bool end_run(xr *x);

/* The run of character data, if any, ended: false when that was a problem.
 * The common case, text in a text element within the limit, without a
 * call. */
static inline bool run_ends(xr *x)
{
    if (x->run == XR_RUN_NONE)
        return true;
    if (x->st == XR_ST_TEXT && !x->t_over) {
        x->run = XR_RUN_NONE;
        return true;
    }
    return end_run(x);
}

/*
 * The run of character data ended (markup follows).  In a text element
 * that checks its length against the max-post limit; elsewhere only white
 * space may stand.  Returns false when that was a problem.
 */
static bool end_run(xr *x)
{
    enum xr_run type = x->run;
    x->run = XR_RUN_NONE;
    /* libxml2 keeps no line for CDATA: messages give the parent's */
    uint64_t line = type == XR_RUN_TEXT ? x->run_line : xr_top_line(x);
    bool in_post;
    const char *what;
    char found[200];
    if (x->st == XR_ST_ATTACH)
        return true; /* checked piece by piece */
    if (x->st == XR_ST_TEXT) {
        if (!x->t_over)
            return true;
        xr_bad(x, x->t_in_post, line,
               "the text of <%s> is longer than the max-post limit (%zu bytes)", x->t_name,
               x->max);
        return false;
    }
    if (x->st == XR_ST_CTRL) {
        if (type == XR_RUN_TEXT && x->run_blank)
            snprintf(found, sizeof found, "an XML node of type %d",
                     XML_READER_TYPE_SIGNIFICANT_WHITESPACE);
        else
            describe_run(x, found, sizeof found);
        xr_unexpected(x, x->t_in_post, line, "an empty <ctrl/> element", found);
        return false;
    }
    if (!container(x, &in_post, &what) || (type == XR_RUN_TEXT && x->run_blank))
        return true;
    describe_run(x, found, sizeof found);
    xr_unexpected(x, in_post, line, what, found);
    return false;
}

/* The run would pass XR_RUN_MAX bytes: refused where libxml2's tree
 * builder refuses it, at the position of the parser then. */
static void run_too_long(xr *x)
{
    const xmlParserInput *in = x->ctxt->input;
    xr_fail(x, TC_ERR_DATA, xr_cur_line(x), in != NULL && in->col > 0 ? (uint64_t)in->col : 0,
         "a run of text longer than 10000000 bytes, libxml2's limit: expected longer text "
         "broken by comments, as threadconv writes it");
}

/* Character data of the given type. */
static void char_data(xr *x, enum xr_run type, const xmlChar *s, size_t len)
{
    if (x->st == XR_ST_STOP || len == 0)
        return;
    if (x->run != type) {
        if (!run_ends(x))
            return;
        x->run = type;
        x->run_line = xr_cur_line(x);
        x->run_len = 0;
        x->run_blank = true;
        x->run_head_len = 0;
        x->run_head[0] = '\0';
        x->run_rest = 0;
    }
    if (len > XR_RUN_MAX - x->run_len) {
        run_too_long(x);
        return;
    }
    x->run_len += len;
    if (x->st == XR_ST_ATTACH) {
        xr_att_text(x, type, s, len);
        return;
    }
    if (x->st == XR_ST_TEXT) {
        if (x->t_over)
            return;
        if (len > x->max - x->t_len) {
            x->t_over = true; /* refused when the run ends */
        } else if (!xr_put(x, s, len)) {
            xr_nomem(x);
        } else {
            x->t_len += len;
        }
        return;
    }
    /* elsewhere: note how it begins, for a message */
    size_t i = 0;
    if (x->run_blank) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
            i++;
        if (i == len)
            return;
        x->run_blank = false;
    }
    size_t room = sizeof x->run_head - 1 - x->run_head_len;
    size_t n = len - i < room ? len - i : room;
    memcpy(x->run_head + x->run_head_len, s + i, n);
    x->run_head_len += n;
    x->run_head[x->run_head_len] = '\0';
    x->run_rest += len - i;
}

/* Start a text element: its text goes to the item's string `slot`. */
static void begin_text(xr *x, int el, uint64_t line, int slot, bool in_post, bool nul,
                       enum xr_st ret, int ret_stage)
{
    xr_push(x, line);
    x->t_slot = slot;
    x->t_name = xr_el_names[el];
    x->t_in_post = in_post;
    x->t_nul = nul;
    x->t_ret = ret;
    x->t_ret_stage = ret_stage;
    x->t_start = x->arena.len - x->p.base;
    x->t_len = 0;
    x->t_over = false;
    x->st = XR_ST_TEXT;
}

/* The end tag of the text element. */
static void end_text(xr *x)
{
    uint64_t line = xr_top_line(x);
    x->depth--;
    if (!xr_put(x, "", 1)) {
        xr_nomem(x);
        return;
    }
    const char *b = x->arena.data + x->p.base;
    const char *text = b + x->t_start;
    switch (x->t_slot) {
    case XR_T_DATE:
        if (tc_date_parse_iso(text, x->t_len, &x->p.date) != TC_OK) {
            xr_bad(x, true, line,
                   "<date>%.60s</date>: expected an ISO 8601 date and time with a UTC offset, "
                   "like 2021-02-04T21:33:59+00:00",
                   text);
            return;
        }
        break;
    case XR_T_EXTRA: {
        size_t cost = strlen(b + x->t_key) + x->t_len + 64;
        if (x->extras_bytes + cost > x->max) {
            xr_bad(x, x->t_in_post, line,
                   "the extra fields are longer than the max-post limit (%zu bytes)", x->max);
            return;
        }
        x->extras_bytes += cost;
        if (!xr_add_extra(x, x->t_key, x->t_start, x->t_len))
            return;
        break;
    }
    default:
        x->p.s[x->t_slot] = x->t_start;
        if (x->t_nul)
            x->p.body_len = x->t_len;
        break;
    }
    x->st = x->t_ret;
    x->stage = x->t_ret_stage;
}

/* <extra key="..."> in a thread or post. */
static void begin_extra(xr *x, uint64_t line, bool in_post, int nb, const xmlChar **attrs,
                        enum xr_st ret, int ret_stage)
{
    const char *key = xr_attribute(x, nb, attrs, XR_AT_KEY);
    if (x->st == XR_ST_STOP)
        return;
    if (key == NULL || *key == '\0') {
        xr_bad(x, in_post, line, "<extra> without a key: expected <extra key=\"NAME\">");
    } else if (tc_is_reserved_key(key)) {
        xr_bad(x, in_post, line,
               "<extra key=\"%s\">: the key is a name the model reserves, expected another one",
               key);
    } else if (xr_has_extra(x, key)) {
        xr_bad(x, in_post, line, "<extra key=\"%.200s\"> appears twice: expected each key once",
               key);
    } else {
        size_t at = x->arena.len - x->p.base;
        if (!xr_put(x, key, strlen(key) + 1)) {
            xr_nomem(x);
            return;
        }
        begin_text(x, XR_EL_EXTRA, line, XR_T_EXTRA, in_post, false, ret, ret_stage);
        x->t_key = at;
    }
}

/* The value of a ctrl element's code attribute, or -1 when it is not one
 * the format writes. */
static long ctrl_code(const char *code)
{
    if (code == NULL)
        return -1;
    size_t n = strlen(code);
    if (n != 2 && n != 4)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = code[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    if (!xml_needs_ctrl((unsigned long)v) || (n == 4) != (v > 0xFF))
        return -1;
    return v;
}

/* <ctrl code="XX"/> in a text element: the character it stands for. */
static void ctrl(xr *x, uint64_t line, int nb, const xmlChar **attrs)
{
    const char *code = xr_attribute(x, nb, attrs, XR_AT_CODE);
    if (x->st == XR_ST_STOP)
        return;
    long v = ctrl_code(code);
    if (v < 0 || (v == 0 && !x->t_nul)) {
        xr_bad(x, x->t_in_post, line,
               "<ctrl code=\"%.20s\"> in <%s>: expected a code for a character XML cannot hold: "
               "01-08, 0B, 0C, 0E-1F, FFFE or FFFF%s",
               code ? code : "", x->t_name, x->t_nul ? " (or 00)" : "");
        return;
    }
    char utf8[3];
    size_t n = 1;
    if (v > 0xFF) {
        utf8[0] = (char)0xEF;
        utf8[1] = (char)0xBF;
        utf8[2] = (char)(v == 0xFFFE ? 0xBE : 0xBF);
        n = 3;
    } else {
        utf8[0] = (char)v;
    }
    if (n > x->max || x->t_len > x->max - n) {
        xr_bad(x, x->t_in_post, line,
               "the text of <%s> is longer than the max-post limit (%zu bytes)", x->t_name,
               x->max);
        return;
    }
    if (!xr_put(x, utf8, n)) {
        xr_nomem(x);
        return;
    }
    x->t_len += n;
    xr_push(x, line);
    x->st = XR_ST_CTRL;
}

/* <post> in a thread. */
static void begin_post(xr *x, uint64_t line, bool empty)
{
    x->n_posts++;
    xr_push(x, line);
    xr_begin_item(x, XR_K_POST);
    if (empty) {
        xr_bad(x, true, line, "empty <post/>: expected <id> in it");
        return;
    }
    x->st = XR_ST_P_ID;
}

/* The root element. */
static void root(xr *x, int el, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                 int nb, const xmlChar **attrs, uint64_t line)
{
    uint64_t rline = x->root_line ? x->root_line : line, rcol = x->root_col;
    if (el != XR_EL_ARCHIVE) {
        char found[200];
        describe_element(local, prefix, uri, el, found, sizeof found);
        xr_fail(x, TC_ERR_DATA, rline, rcol,
                "not a threadconv XML archive: expected the root element " XR_ROOT_SHAPE
                ", found %s", found);
        return;
    }
    const char *version = xr_attribute(x, nb, attrs, XR_AT_VERSION);
    if (x->st == XR_ST_STOP)
        return;
    if (version == NULL || strcmp(version, TCXML_VERSION) != 0) {
        xr_fail(x, TC_ERR_DATA, rline, rcol,
                "%s%.20s%s: expected version=\"" TCXML_VERSION "\" (this reader reads version "
                TCXML_VERSION ")",
                version ? "unsupported version=\"" : "<archive> without a version",
                version ? version : "", version ? "\" on <archive>" : "");
        return;
    }
    xr_push(x, line);
    x->st = XR_ST_ARCHIVE;
}

static void on_start(void *user, const xmlChar *local, const xmlChar *prefix,
                     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                     int nb_attributes, int nb_defaulted, const xmlChar **attrs)
{
    xr *x = user;
    (void)nb_namespaces;
    (void)namespaces;
    (void)nb_defaulted;
    if (x->st == XR_ST_STOP || !run_ends(x))
        return;
    uint64_t line = xr_cur_line(x);
    int el = classify(x, local, uri);
    /* libxml2 calls this before it steps over the "/>" of an empty element */
    const xmlChar *at = x->ctxt->input->cur;
    bool empty = at != NULL && at[0] == '/' && at[1] == '>';
    bool in_post;
    const char *what;
    char found[200];

    switch (x->st) {
    case XR_ST_PROLOG:
        root(x, el, local, prefix, uri, nb_attributes, attrs, line);
        return;
    case XR_ST_ARCHIVE:
        if (el != XR_EL_THREAD)
            break;
        x->n_threads++;
        x->n_posts = 0;
        xr_push(x, line);
        xr_begin_item(x, XR_K_THREAD);
        if (empty)
            xr_bad(x, false, line, "empty <thread/>: expected <title> in it");
        else
            x->st = XR_ST_T_TITLE;
        return;
    case XR_ST_T_TITLE:
        if (el != XR_EL_TITLE)
            break;
        begin_text(x, el, line, XR_S_TITLE, false, false, XR_ST_T_SOURCE, 0);
        return;
    case XR_ST_T_SOURCE:
        if (el != XR_EL_SOURCE)
            break;
        begin_text(x, el, line, XR_S_SOURCE, false, false, XR_ST_T_HEAD, 0);
        return;
    case XR_ST_T_HEAD:
        if (el == XR_EL_POST) {
            if (xr_commit(x))
                begin_post(x, line, empty);
        } else if (x->stage == 0 && el == XR_EL_ID) {
            begin_text(x, el, line, XR_S_TID, false, false, XR_ST_T_HEAD, 1);
        } else if (x->stage <= 1 && el == XR_EL_URL) {
            begin_text(x, el, line, XR_S_URL, false, false, XR_ST_T_HEAD, 2);
        } else if (el == XR_EL_EXTRA) {
            begin_extra(x, line, false, nb_attributes, attrs, XR_ST_T_HEAD, 2);
        } else {
            break;
        }
        return;
    case XR_ST_T_POSTS:
        if (el != XR_EL_POST)
            break;
        begin_post(x, line, empty);
        return;
    case XR_ST_P_ID:
        if (el != XR_EL_ID)
            break;
        begin_text(x, el, line, XR_S_PID, true, false, XR_ST_P_AUTHOR, 0);
        return;
    case XR_ST_P_AUTHOR:
        if (el != XR_EL_AUTHOR)
            break;
        begin_text(x, el, line, XR_S_AUTHOR, true, false, XR_ST_P_DATE, 0);
        return;
    case XR_ST_P_DATE:
        if (el == XR_EL_DATE)
            begin_text(x, el, line, XR_T_DATE, true, false, XR_ST_P_BODY, 0);
        else if (el == XR_EL_BODY)
            begin_text(x, el, line, XR_S_BODY, true, true, XR_ST_P_TAIL, 0);
        else
            break;
        return;
    case XR_ST_P_BODY:
        if (el != XR_EL_BODY)
            break;
        begin_text(x, el, line, XR_S_BODY, true, true, XR_ST_P_TAIL, 0);
        return;
    case XR_ST_P_TAIL:
        if (x->stage == 0 && el == XR_EL_PARENT)
            begin_text(x, el, line, XR_S_PARENT, true, false, XR_ST_P_TAIL, 1);
        else if (x->stage <= 1 && el == XR_EL_EXTRA)
            begin_extra(x, line, true, nb_attributes, attrs, XR_ST_P_TAIL, 1);
        else if (el == XR_EL_ATTACHMENT)
            xr_begin_attachment(x, line, nb_attributes, attrs);
        else
            break;
        return;
    case XR_ST_TEXT: {
        if (el == XR_EL_CTRL) {
            ctrl(x, line, nb_attributes, attrs);
            return;
        }
        char expect[64];
        snprintf(expect, sizeof expect, "text, <ctrl/> or </%s>", x->t_name);
        describe_element(local, prefix, uri, el, found, sizeof found);
        xr_unexpected(x, x->t_in_post, line, expect, found);
        return;
    }
    case XR_ST_CTRL:
        describe_element(local, prefix, uri, el, found, sizeof found);
        xr_unexpected(x, x->t_in_post, line, "an empty <ctrl/> element", found);
        return;
    case XR_ST_ATTACH:
        describe_element(local, prefix, uri, el, found, sizeof found);
        xr_unexpected(x, true, line, "base64 or </attachment>", found);
        return;
    default: /* libxml2 allows one root only */
        return;
    }
    /* an element out of place in a container */
    if (container(x, &in_post, &what)) {
        describe_element(local, prefix, uri, el, found, sizeof found);
        xr_unexpected(x, in_post, line, what, found);
    }
}

static void on_end(void *user, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    xr *x = user;
    (void)prefix;
    (void)uri;
    if (x->st == XR_ST_STOP || !run_ends(x) || x->depth == 0)
        return;
    uint64_t line = xr_top_line(x);
    bool in_post;
    const char *what;
    char found[200];
    switch (x->st) {
    case XR_ST_ARCHIVE:
        x->depth--;
        if (xr_mark(x, XR_K_END_ARCHIVE))
            x->st = XR_ST_EPILOG;
        return;
    case XR_ST_T_HEAD:
        if (!xr_commit(x))
            return;
        /* fall through */
    case XR_ST_T_POSTS:
        x->depth--;
        if (xr_mark(x, XR_K_END_THREAD))
            x->st = XR_ST_ARCHIVE;
        return;
    case XR_ST_P_TAIL:
        x->depth--;
        if (xr_commit(x))
            x->st = XR_ST_T_POSTS;
        return;
    case XR_ST_TEXT:
        end_text(x);
        return;
    case XR_ST_CTRL:
        x->depth--;
        x->st = XR_ST_TEXT;
        return;
    case XR_ST_ATTACH:
        xr_end_attachment(x);
        return;
    default:
        /* an end tag where a child was expected */
        if (container(x, &in_post, &what)) {
            snprintf(found, sizeof found, "</%s>", (const char *)local);
            xr_unexpected(x, in_post, line, what, found);
        }
        return;
    }
}

static void on_characters(void *user, const xmlChar *s, int len)
{
    xr *x = user;
    size_t n = len > 0 ? (size_t)len : 0;
    /* the common case first: more of a text element's text */
    if (x->st == XR_ST_TEXT && x->run == XR_RUN_TEXT && !x->t_over &&
        n <= XR_RUN_MAX - x->run_len && n <= x->max - x->t_len) {
        if (!xr_put(x, s, n)) {
            xr_nomem(x);
            return;
        }
        x->run_len += n;
        x->t_len += n;
        return;
    }
    char_data(x, XR_RUN_TEXT, s, n);
}

static void on_cdata(void *user, const xmlChar *s, int len)
{
    char_data(user, XR_RUN_CDATA, s, len > 0 ? (size_t)len : 0);
}

/* A comment or processing instruction: skipped, but nothing may stand in
 * a <ctrl>. */
static void other_node(xr *x, int type)
{
    if (x->st == XR_ST_STOP || !run_ends(x))
        return;
    if (x->st == XR_ST_CTRL) {
        char found[48];
        snprintf(found, sizeof found, "an XML node of type %d", type);
        xr_unexpected(x, x->t_in_post, xr_cur_line(x), "an empty <ctrl/> element", found);
    } else if (x->st == XR_ST_ATTACH) {
        xr_att_after_node(x);
    }
}

static void on_comment(void *user, const xmlChar *value)
{
    (void)value;
    other_node(user, XML_READER_TYPE_COMMENT);
}

static void on_pi(void *user, const xmlChar *target, const xmlChar *data)
{
    (void)target;
    (void)data;
    other_node(user, XML_READER_TYPE_PROCESSING_INSTRUCTION);
}

/* ------------------------------------------------------------------ */
/* The handler, and the names it compares                              */
/* ------------------------------------------------------------------ */

xmlSAXHandler *xr_sax_handler(void)
{
    static xmlSAXHandler sax = {
        .initialized = XML_SAX2_MAGIC,
        .startElementNs = on_start,
        .endElementNs = on_end,
        .characters = on_characters,
        .ignorableWhitespace = on_characters, /* the same: libxml2 then never drops blanks */
        .cdataBlock = on_cdata,
        .comment = on_comment,
        .processingInstruction = on_pi,
        .serror = xr_on_xml_error,
    };
    return &sax;
}

void xr_intern_names(xr *x)
{
    xmlDictPtr dict = x->ctxt->dict;
    x->ns = xmlDictLookup(dict, BAD_CAST TCXML_NS, -1);
    for (int i = 0; i < XR_EL_COUNT; i++)
        x->el[i] = xmlDictLookup(dict, BAD_CAST xr_el_names[i], -1);
    for (int i = 0; i < XR_AT_COUNT; i++)
        x->at[i] = xmlDictLookup(dict, BAD_CAST xr_at_names[i], -1);
}
