/* read.c - JSON objects to the model, for the json and jsonl readers; see read.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *jr_type_name(jv_type type)
{
    switch (type) {
    case JV_OBJECT: return "an object";
    case JV_ARRAY: return "an array";
    case JV_STRING: return "a string";
    case JV_INTEGER:
    case JV_REAL: return "a number";
    case JV_TRUE: return "true";
    case JV_FALSE: return "false";
    case JV_NULL: return "null";
    }
    return "something else";
}

jv_type jr_event_type(tc_json_event ev)
{
    switch (ev) {
    case TC_JSON_OBJECT: return JV_OBJECT;
    case TC_JSON_ARRAY: return JV_ARRAY;
    case TC_JSON_STRING: return JV_STRING;
    case TC_JSON_INTEGER: return JV_INTEGER;
    case TC_JSON_REAL: return JV_REAL;
    case TC_JSON_TRUE: return JV_TRUE;
    case TC_JSON_FALSE: return JV_FALSE;
    default: return JV_NULL;
    }
}

static int vfail(jr_err *e, int code, uint64_t line, uint64_t column, const char *fmt,
                 va_list ap)
{
    if (e->code != TC_OK)
        return code; /* the first one is reported */
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    e->code = code;
    e->line = line;
    e->column = column;
    return code;
}

int jr_fail(jr_err *e, int code, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, code, line, 0, fmt, ap);
    va_end(ap);
    return code;
}

/* A data error with a column too. */
static int fail_at(jr_err *e, uint64_t line, uint64_t column, const char *fmt, ...)
    TC_PRINTF(4, 5);
static int fail_at(jr_err *e, uint64_t line, uint64_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, TC_ERR_DATA, line, column, fmt, ap);
    va_end(ap);
    return TC_ERR_DATA;
}

/* ------------------------------------------------------------------ */
/* Reading an object                                                   */
/* ------------------------------------------------------------------ */

void jr_object_clear(jr_object *o)
{
    o->n = 0;
    o->arena.len = 0;
    o->start = o->end = 0;
    o->n_att = o->n_am = 0;
    o->att_bytes = 0;
    o->other_bytes = 0;
    o->over = false;
    o->nul = false;
}

void jr_object_free(jr_object *o)
{
    tc_buf_free(&o->arena);
    free(o->m);
    free(o->fields);
    free(o->att);
    free(o->am);
    free(o->attachments);
    memset(o, 0, sizeof *o);
}

jr_name jr_name_of(const char *key, size_t len)
{
#define IS(lit) (memcmp(key, lit, sizeof(lit) - 1) == 0)
    switch (len) {
    case 11: return IS("attachments") ? JN_ATTACHMENTS : JN_OTHER;
    case 2: return IS("id") ? JN_ID : JN_OTHER;
    case 3: return IS("url") ? JN_URL : JN_OTHER;
    case 4: return IS("body") ? JN_BODY : IS("date") ? JN_DATE : JN_OTHER;
    case 5: return IS("posts") ? JN_POSTS : IS("title") ? JN_TITLE : JN_OTHER;
    case 6:
        return IS("author") ? JN_AUTHOR : IS("format") ? JN_FORMAT : IS("parent") ? JN_PARENT
             : IS("source") ? JN_SOURCE : IS("thread") ? JN_THREAD : JN_OTHER;
    case 7:
        return IS("threads") ? JN_THREADS : IS("version") ? JN_VERSION : JN_OTHER;
    default: return JN_OTHER;
    }
#undef IS
}

const jr_member *jr_get(const jr_object *o, jr_name name)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->m[i].name == name)
            return &o->m[i];
    return NULL;
}

/* items (n used of *cap, each size bytes) with room for one more: the same
 * memory, or more of it (*cap updated), or NULL when there is none. */
static void *grow(void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(items, c * size);
    if (p != NULL)
        *cap = c;
    return p;
}

/* A new member named key at m[n] (its value still to be set), the name
 * kept in the arena. */
static jr_member *push_member(jr_member **m, size_t n, size_t *cap, tc_buf *arena,
                              const char *key, size_t len)
{
    jr_member *more = grow(*m, n, cap, sizeof **m);
    if (more == NULL)
        return NULL;
    *m = more;
    jr_member *x = &more[n];
    x->key = arena->len;
    x->key_len = len;
    x->name = jr_name_of(key, len);
    /* the name and its NUL (key is NUL-terminated) */
    if (arena->cap - arena->len < len + 2 && tc_buf_reserve(arena, len + 1) != TC_OK)
        return NULL;
    memcpy(arena->data + arena->len, key, len + 1);
    arena->len += len + 1;
    return x;
}

/* A new member named key, in o (its value still to be set). */
static jr_member *new_member(jr_object *o, const char *key, size_t len)
{
    return push_member(&o->m, o->n, &o->cap, &o->arena, key, len);
}

/* What o's other strings may still keep of the cap (see jr_read_member). */
static size_t other_room(const jr_object *o, size_t cap)
{
    return cap > o->other_bytes ? cap - o->other_bytes : 0;
}

/* The first member of o that does not fit (see jr_read_member): in
 * attachment att - 1 (0: one of o's own), named key, head saying what. */
static void set_over(jr_object *o, size_t cap, size_t att, const char *key, const char *fmt,
                     ...) TC_PRINTF(5, 6);
static void set_over(jr_object *o, size_t cap, size_t att, const char *key, const char *fmt, ...)
{
    if (o->over)
        return;
    o->over = true;
    o->over_cap = cap;
    o->over_att = att;
    snprintf(o->over_key, sizeof o->over_key, "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->over_head, sizeof o->over_head, fmt, ap);
    va_end(ap);
}

/* Count one more member (or attachment) of name_len bytes: false when it
 * does not fit in what is left of the cap (which is then used up). */
static bool count_member(jr_object *o, size_t cap, size_t name_len)
{
    size_t room = other_room(o, cap);
    if (name_len > room || room - name_len < TC_JSON_NAME_COST) {
        o->other_bytes = cap;
        return false;
    }
    o->other_bytes += name_len + TC_JSON_NAME_COST;
    return true;
}

/* A string value of o's members was read (of member key, in attachment
 * att - 1 or, att 0, among o's own; the sink's room was room): counted, and
 * the first that did not fit kept for the error. */
static void other_read(const tc_json *j, jr_object *o, size_t cap, size_t room, size_t att,
                       const char *key)
{
    o->other_bytes += j->str_len < room ? j->str_len : room;
    if (j->str_capped || j->str_len > room)
        set_over(o, cap, att, key, "%zu byte%s", j->str_len, j->str_len == 1 ? "" : "s");
}

/* The string value just read holds U+0000 (of member key, in attachment
 * att - 1 or among o's own): kept for the error, with where it starts. */
static int note_nul(tc_json *j, jr_object *o, size_t att, const char *key)
{
    if (o->nul)
        return TC_OK;
    o->nul = true;
    o->nul_att = att;
    snprintf(o->nul_key, sizeof o->nul_key, "%s", key);
    return tc_json_position(j, j->tok, &o->nul_line, &o->nul_column);
}

/* Read over the value after a member's name, keeping nothing. */
static int skip_member_value(tc_json *j)
{
    tc_json_event ev = tc_json_next(j);
    if (ev == TC_JSON_ERROR)
        return j->err.code;
    if ((ev == TC_JSON_OBJECT || ev == TC_JSON_ARRAY) && tc_json_skip(j) == TC_JSON_ERROR)
        return j->err.code;
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Attachments                                                         */
/* ------------------------------------------------------------------ */

/* An attachment's members, in the order the writer writes them. */
enum { AK_NAME, AK_TYPE, AK_SIZE, AK_REF, AK_CONTENT_ID, AK_DISPOSITION, AK_NOTE, AK_DATA,
       AK_COUNT };
static const char *const att_keys[AK_COUNT] = {"name", "type", "size", "ref", "content_id",
                                               "disposition", "note", "data"};

static int att_key(const char *key, size_t len)
{
    for (int k = 0; k < AK_COUNT; k++)
        if (strlen(att_keys[k]) == len && memcmp(att_keys[k], key, len) == 0)
            return k;
    return -1;
}

/* The value of a base64 character (RFC 4648, section 4), or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Characters of base64 that can hold at most n bytes more (a whole group). */
static size_t b64_room(size_t n)
{
    size_t groups = n / 3 + 1;
    return groups > SIZE_MAX / 4 ? SIZE_MAX : groups * 4;
}

/*
 * Decode padded base64 s[0..len) in place into *out bytes.  Returns JD_OK,
 * JD_CHAR with *bad the index of the first byte that is not base64 (or a
 * '=' that is not padding at the end), or JD_LENGTH.
 */
static jr_data_problem b64_decode(unsigned char *s, size_t len, size_t *out, size_t *bad)
{
    for (size_t i = 0; i < len; i++) {
        if (b64_value(s[i]) >= 0)
            continue;
        if (s[i] == '=' && (i == len - 1 || (i == len - 2 && s[len - 1] == '=')))
            continue;
        *bad = i;
        return JD_CHAR;
    }
    if (len % 4 != 0)
        return JD_LENGTH;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (size_t k = 0; k < 4; k++) {
            int x = b64_value(s[i + k]);
            pad += x < 0;
            v = v << 6 | (unsigned)(x < 0 ? 0 : x);
        }
        s[o++] = (unsigned char)(v >> 16);
        if (pad < 2)
            s[o++] = (unsigned char)(v >> 8);
        if (pad < 1)
            s[o++] = (unsigned char)v;
    }
    *out = o;
    return JD_OK;
}

/* Note what is wrong with a "data" string m of attachment a, and where:
 * the character at index bad of the string (when it has no escapes, whose
 * lengths would shift it), else the string's opening quote. */
static int data_problem(tc_json *j, jr_object *o, jr_att *a, const jr_member *m,
                        jr_data_problem problem, size_t bad)
{
    uint64_t raw = tc_json_offset(j) - j->tok;
    uint64_t off = j->tok;
    a->problem = problem;
    if (problem == JD_CHAR) {
        const unsigned char *s = (const unsigned char *)jr_text(o, m->val);
        size_t n = 1;
        while (bad + n < m->val_len && n < 4 && (s[bad + n] & 0xC0) == 0x80)
            n++;
        memcpy(a->bad, s + bad, n);
        a->bad[n] = '\0';
        a->at = 0;
        for (size_t i = 0; i < bad; i++)
            a->at += (s[i] & 0xC0) != 0x80;
        if (raw == m->val_len + 2)
            off += 1 + bad;
    } else {
        a->at = m->val_len;
    }
    return tc_json_position(j, off, &a->line, &a->column);
}

/* After TC_JSON_ARRAY of a post's "attachments": its elements into o. */
static int read_attachments(tc_json *j, jr_object *o, size_t cap)
{
    char key[80];
    for (;;) {
        tc_json_event ev = tc_json_next(j);
        if (ev == TC_JSON_END)
            return TC_OK;
        if (ev == TC_JSON_ERROR)
            return j->err.code;
        if (!o->over && !count_member(o, cap, 0)) {
            snprintf(key, sizeof key, "attachments[%zu]", o->n_att);
            set_over(o, cap, o->n_att + 1, key, "attachment %zu", o->n_att + 1);
        }
        if (o->over) { /* the post is refused: the rest is read over */
            if ((ev == TC_JSON_OBJECT || ev == TC_JSON_ARRAY) && tc_json_skip(j) == TC_JSON_ERROR)
                return j->err.code;
            continue;
        }
        jr_att *more = grow(o->att, o->n_att, &o->cap_att, sizeof *o->att);
        if (more == NULL)
            return TC_ERR_NOMEM;
        o->att = more;
        jr_att *a = &o->att[o->n_att++];
        memset(a, 0, sizeof *a);
        a->first = o->n_am;
        a->type = jr_event_type(ev);
        if (ev == TC_JSON_ARRAY && tc_json_skip(j) == TC_JSON_ERROR)
            return j->err.code;
        if (ev != TC_JSON_OBJECT)
            continue;
        for (;;) {
            ev = tc_json_next(j);
            if (ev == TC_JSON_END)
                break;
            if (ev != TC_JSON_KEY)
                return j->err.code != TC_OK ? j->err.code : TC_ERR_PLUGIN;
            snprintf(key, sizeof key, "attachments[%zu].%.32s", o->n_att - 1, j->key);
            if (!o->over && !count_member(o, cap, j->key_len))
                set_over(o, cap, o->n_att, key, "member %zu of the attachment", a->n + 1);
            if (o->over) {
                int rc = skip_member_value(j);
                if (rc != TC_OK)
                    return rc;
                continue;
            }
            jr_member *m = push_member(&o->am, o->n_am, &o->cap_am, &o->arena, j->key,
                                       j->key_len);
            if (m == NULL)
                return TC_ERR_NOMEM;
            bool data = att_key(j->key, j->key_len) == AK_DATA;
            size_t left = cap > o->att_bytes ? cap - o->att_bytes : 0;
            size_t room = other_room(o, cap);
            j->sink = &o->arena;
            j->sink_max = data ? b64_room(left) : room;
            ev = tc_json_next(j);
            if (ev == TC_JSON_ERROR)
                return j->err.code;
            if ((ev == TC_JSON_OBJECT || ev == TC_JSON_ARRAY) && tc_json_skip(j) == TC_JSON_ERROR)
                return j->err.code;
            m->type = jr_event_type(ev);
            m->integer = ev == TC_JSON_INTEGER ? j->integer : 0;
            if (ev == TC_JSON_STRING) {
                m->val = j->str_off;
                m->val_len = j->str_len;
                if (!data) {
                    other_read(j, o, cap, room, o->n_att, key);
                    /* (in "data" a NUL is no base64: b64_decode says so) */
                    int rc = j->str_nul ? note_nul(j, o, o->n_att, key) : TC_OK;
                    if (rc != TC_OK)
                        return rc;
                }
            }
            o->n_am++;
            a->n++;
            if (!data || ev != TC_JSON_STRING || a->problem != JD_OK)
                continue;
            int rc = TC_OK;
            size_t n = 0, bad = 0;
            jr_data_problem problem = JD_LIMIT;
            if (!j->str_capped)
                problem = b64_decode((unsigned char *)o->arena.data + m->val, m->val_len, &n,
                                     &bad);
            if (problem == JD_OK && n > left)
                problem = JD_LIMIT;
            if (problem != JD_OK) {
                rc = data_problem(j, o, a, m, problem, bad);
                /* the post is refused: keep no more text for the others */
                n = left;
            }
            m->val_len = n;
            o->att_bytes += n;
            if (rc != TC_OK)
                return rc;
        }
    }
}

int jr_add_member(jr_object *o, const char *key, size_t key_len, jv_type type)
{
    jr_member *m = new_member(o, key, key_len);
    if (m == NULL)
        return TC_ERR_NOMEM;
    m->type = type;
    o->n++;
    return TC_OK;
}

int jr_read_member(tc_json *j, jr_object *o, jr_name capped, size_t cap, jr_name nest,
                   jr_object *inner)
{
    char key[80];
    snprintf(key, sizeof key, "%.64s", j->key);
    if (!o->over && !count_member(o, cap, j->key_len))
        set_over(o, cap, 0, key, "member %zu of the object", o->n + 1);
    /* Once over, the object is refused: only the members the formats name
     * are kept (at most one each), the others read over. */
    if (o->over && jr_name_of(j->key, j->key_len) == JN_OTHER)
        return skip_member_value(j);
    jr_member *m = new_member(o, j->key, j->key_len);
    if (m == NULL)
        return TC_ERR_NOMEM;
    bool own_cap = m->name == capped && capped != JN_OTHER;
    size_t room = other_room(o, cap);
    j->sink = &o->arena;
    j->sink_max = own_cap ? cap : room;
    tc_json_event ev = tc_json_next(j);
    switch (ev) {
    case TC_JSON_ERROR:
        return j->err.code;
    case TC_JSON_STRING:
        m->val = j->str_off;
        m->val_len = j->str_len;
        if (!own_cap) {
            other_read(j, o, cap, room, 0, key);
            int rc = j->str_nul ? note_nul(j, o, 0, key) : TC_OK;
            if (rc != TC_OK)
                return rc;
        }
        break;
    case TC_JSON_INTEGER:
        m->integer = j->integer;
        break;
    case TC_JSON_OBJECT:
        if (m->name == nest && nest != JN_OTHER) {
            int rc = jr_read_object(j, inner, JN_OTHER, cap, JN_OTHER, NULL);
            if (rc != TC_OK)
                return rc;
        } else if (tc_json_skip(j) == TC_JSON_ERROR) {
            return j->err.code;
        }
        break;
    case TC_JSON_ARRAY:
        if (m->name == JN_ATTACHMENTS && capped == JN_BODY) {
            int rc = read_attachments(j, o, cap);
            if (rc != TC_OK)
                return rc;
        } else if (tc_json_skip(j) == TC_JSON_ERROR) {
            return j->err.code;
        }
        break;
    default:
        break;
    }
    m->type = jr_event_type(ev);
    o->n++;
    return TC_OK;
}

int jr_read_object(tc_json *j, jr_object *o, jr_name capped, size_t cap, jr_name nest,
                   jr_object *inner)
{
    jr_object_clear(o);
    o->start = j->tok;
    for (;;) {
        tc_json_event ev = tc_json_next(j);
        if (ev == TC_JSON_END)
            break;
        if (ev != TC_JSON_KEY)
            return j->err.code != TC_OK ? j->err.code : TC_ERR_PLUGIN;
        int rc = jr_read_member(j, o, capped, cap, nest, inner);
        if (rc != TC_OK)
            return rc;
    }
    o->end = tc_json_offset(j);
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* Checking a thread or a post                                         */
/* ------------------------------------------------------------------ */

/* The path of an object, as text (in buf). */
static const char *path_of(const jr_where *w, char *buf, size_t size)
{
    if (w->thread < 0)
        return w->text;
    if (w->post < 0)
        snprintf(buf, size, "threads[%lld]", w->thread);
    else
        snprintf(buf, size, "threads[%lld].posts[%lld]", w->thread, w->post);
    return buf;
}

/* "path.key", or "key" alone when path is "" (a jsonl line's own members). */
#define DOT(path) (path), (*(path) ? "." : "")
#define PATH(w) char path_buf_[64]; const char *path = path_of((w), path_buf_, sizeof path_buf_)

static int missing(jr_err *err, const jr_where *w, uint64_t line, const char *key,
                   const char *what)
{
    PATH(w);
    return jr_fail(err, TC_ERR_DATA, line, "%s%s%s: missing; expected %s (a required member)",
                   DOT(path), key, what);
}

static int wrong_type(jr_err *err, const jr_where *w, uint64_t line, const char *key,
                      const char *what, jv_type found)
{
    PATH(w);
    return jr_fail(err, TC_ERR_DATA, line, "%s%s%s: expected %s, found %s", DOT(path), key, what,
                   jr_type_name(found));
}

/* A string member: required or optional; *out NULL when absent. */
static int get_string(const jr_object *o, const jr_where *w, uint64_t line, jr_name name,
                      const char *key, bool required, const char **out, size_t *len,
                      jr_err *err)
{
    const jr_member *m = jr_get(o, name);
    *out = NULL;
    if (len)
        *len = 0;
    if (m == NULL)
        return required ? missing(err, w, line, key, "a string") : TC_OK;
    if (m->type != JV_STRING)
        return wrong_type(err, w, line, key, "a string", m->type);
    *out = jr_text(o, m->val);
    if (len)
        *len = m->val_len;
    return TC_OK;
}

/* Every member whose name is not in known (bits 1 << jr_name) becomes an
 * extra field: the list points into the object (names are unique: the
 * parser saw to it). */
static int get_extras(jr_object *o, const jr_where *w, uint64_t line, unsigned known,
                      tc_fields *extras, jr_err *err)
{
    size_t count = 0;
    memset(extras, 0, sizeof *extras);
    for (size_t i = 0; i < o->n; i++) {
        const jr_member *m = &o->m[i];
        if (m->name != JN_OTHER && (known & 1u << m->name))
            continue;
        const char *key = jr_text(o, m->key);
        if (*key == '\0') {
            PATH(w);
            return jr_fail(err, TC_ERR_DATA, line,
                           "%s: a member with an empty name; extra fields need a name",
                           *path ? path : "the line");
        }
        if (m->name != JN_OTHER || tc_is_reserved_key(key)) {
            PATH(w);
            return jr_fail(err, TC_ERR_DATA, line,
                           "%s%s%s: \"%s\" is a name the format reserves and is not a "
                           "member of this object", DOT(path), key, key);
        }
        if (m->type != JV_STRING) {
            PATH(w);
            return jr_fail(err, TC_ERR_DATA, line,
                           "%s%s%s: expected a string (an extra field), found %s", DOT(path),
                           key, jr_type_name(m->type));
        }
        if (count == o->fields_cap) {
            size_t n = o->fields_cap ? o->fields_cap * 2 : 8;
            tc_field *f = realloc(o->fields, n * sizeof *f);
            if (f == NULL)
                return jr_fail(err, TC_ERR_NOMEM, line, "out of memory");
            o->fields = f;
            o->fields_cap = n;
        }
        o->fields[count].key = key;
        o->fields[count].value = jr_text(o, m->val);
        count++;
    }
    extras->items = count ? o->fields : NULL;
    extras->count = count;
    return TC_OK;
}

#define BIT(name) (1u << (name))

/* The object's members other than a body came to more than the max-post
 * limit: the first that did not fit is refused. */
static int too_long(const jr_object *o, const jr_where *w, uint64_t line, jr_err *err)
{
    PATH(w);
    return jr_fail(err, TC_ERR_DATA, line,
                   "%s%s%s: %s; a thread's or post's members other than a body (their names, "
                   "string values and %d bytes for each) may come to the max-post limit "
                   "(%zu bytes) together; raise it with --limit max-post=SIZE",
                   DOT(path), o->over_key, o->over_head, TC_JSON_NAME_COST, o->over_cap);
}

/* A string other than a body holds U+0000: refused where it starts. */
static int nul_error(const jr_object *o, const jr_where *w, uint64_t line, jr_err *err)
{
    PATH(w);
    return fail_at(err, line ? line : o->nul_line, o->nul_column,
                   "%s%s%s: \\u0000 (U+0000) is allowed only in a post's body; no other "
                   "string of the model (title, id, author, parent, extra field, attachment) "
                   "can hold it", DOT(path), o->nul_key);
}

int jr_names_error(tc_json *j, size_t max_post, char *out, size_t size, uint64_t *line,
                   uint64_t *column)
{
    int rc = tc_json_position(j, j->err.tok, line, column);
    snprintf(out, size,
             "%s: the member names of the objects open at one time (each counted %d bytes "
             "more than its length) may come to the max-post limit (%zu bytes) together; "
             "raise it with --limit max-post=SIZE",
             j->err.text, TC_JSON_NAME_COST, max_post);
    return rc;
}

int jr_thread(jr_object *o, const jr_where *w, uint64_t line, jr_kind kind, tc_thread *t,
              jr_err *err)
{
    unsigned known = BIT(JN_TITLE) | BIT(JN_SOURCE) | BIT(JN_ID) | BIT(JN_URL) |
                     (kind == JR_JSON ? BIT(JN_POSTS) : 0);
    memset(t, 0, sizeof *t);
    if (o->over)
        return too_long(o, w, line, err);
    if (o->nul)
        return nul_error(o, w, line, err);
    int rc = get_string(o, w, line, JN_TITLE, "title", true, &t->title, NULL, err);
    if (rc == TC_OK)
        rc = get_string(o, w, line, JN_SOURCE, "source", true, &t->source, NULL, err);
    const jr_member *id = jr_get(o, JN_ID);
    if (rc == TC_OK && kind == JR_JSONL && id != NULL && id->type != JV_STRING) {
        /* The jsonl writer's position of a thread without an id of its own:
         * a number, so it is never taken for an id. */
        if (id->type != JV_INTEGER || id->integer < 1) {
            PATH(w);
            return jr_fail(err, TC_ERR_DATA, line,
                           "%s.id: expected a string (the thread's id) or a whole "
                           "number from 1 (its position), found %s",
                           path, jr_type_name(id->type));
        }
        t->id = NULL;
    } else if (rc == TC_OK) {
        rc = get_string(o, w, line, JN_ID, "id", false, &t->id, NULL, err);
    }
    if (rc == TC_OK)
        rc = get_string(o, w, line, JN_URL, "url", false, &t->url, NULL, err);
    if (rc == TC_OK)
        rc = get_extras(o, w, line, known, &t->extras, err);
    return rc;
}

/* What is wrong with attachment i's "data" (a->problem), as an error. */
static int bad_data(jr_err *err, const jr_where *w, uint64_t line, size_t i, const jr_att *a,
                    size_t max_post)
{
    PATH(w);
    line = line ? line : a->line;
    if (a->problem == JD_LIMIT)
        return fail_at(err, line, a->column,
                       "%s%sattachments[%zu].data: the attachments' bytes come to more than "
                       "the max-post limit (%zu bytes); raise it with --limit max-post=SIZE",
                       DOT(path), i, max_post);
    if (a->problem == JD_LENGTH)
        return fail_at(err, line, a->column,
                       "%s%sattachments[%zu].data: not base64 (RFC 4648): %zu characters, "
                       "not a multiple of 4 (is the '=' padding missing?)", DOT(path), i, a->at);
    char shown[16];
    unsigned char c = (unsigned char)a->bad[0];
    if (c < 0x20 || c == 0x7F)
        snprintf(shown, sizeof shown, "U+%04X", c);
    else
        snprintf(shown, sizeof shown, "'%s'", a->bad);
    return fail_at(err, line, a->column,
                   "%s%sattachments[%zu].data: not base64 (RFC 4648): %s at character %zu",
                   DOT(path), i, shown, a->at + 1);
}

/* The post's "attachments", when it has them, into p. */
static int get_attachments(jr_object *o, const jr_where *w, uint64_t line, size_t max_post,
                           tc_post *p, jr_err *err)
{
    const jr_member *list = jr_get(o, JN_ATTACHMENTS);
    if (list == NULL)
        return TC_OK;
    if (list->type != JV_ARRAY)
        return wrong_type(err, w, line, "attachments", "an array of attachments", list->type);
    if (o->n_att == 0)
        return TC_OK;
    if (o->attachments_cap < o->n_att) {
        tc_attachment *t = realloc(o->attachments, o->n_att * sizeof *t);
        if (t == NULL)
            return jr_fail(err, TC_ERR_NOMEM, line, "out of memory");
        o->attachments = t;
        o->attachments_cap = o->n_att;
    }
    for (size_t i = 0; i < o->n_att; i++) {
        const jr_att *a = &o->att[i];
        /* past the limit in this one: what follows it was not kept */
        if (o->over && o->over_att == i + 1)
            return too_long(o, w, line, err);
        char key[96];
        snprintf(key, sizeof key, "attachments[%zu]", i);
        if (a->type != JV_OBJECT)
            return wrong_type(err, w, line, key, "an attachment object", a->type);
        tc_attachment *t = &o->attachments[i];
        memset(t, 0, sizeof *t);
        const jr_member *size = NULL, *data = NULL;
        const char **strings[AK_COUNT] = {
            [AK_NAME] = &t->name, [AK_TYPE] = &t->media_type, [AK_REF] = &t->ref,
            [AK_CONTENT_ID] = &t->content_id, [AK_DISPOSITION] = &t->disposition,
            [AK_NOTE] = &t->note};
        for (size_t k = 0; k < a->n; k++) {
            const jr_member *m = &o->am[a->first + k];
            const char *name = jr_text(o, m->key);
            int which = att_key(name, m->key_len);
            snprintf(key, sizeof key, "attachments[%zu].%.32s", i, name);
            if (which < 0) {
                PATH(w);
                return jr_fail(err, TC_ERR_DATA, line,
                               "%s%s%s: unknown member of an attachment; expected only "
                               "\"name\", \"type\", \"size\", \"data\", \"ref\", "
                               "\"content_id\", \"disposition\" and \"note\"",
                               DOT(path), key);
            }
            if (which == AK_SIZE) {
                if (m->type != JV_INTEGER || m->integer < 0) {
                    PATH(w);
                    char found[32];
                    if (m->type == JV_INTEGER)
                        snprintf(found, sizeof found, "%lld", (long long)m->integer);
                    return jr_fail(err, TC_ERR_DATA, line,
                                   "%s%s%s: expected a whole number of bytes (0 or more), "
                                   "found %s", DOT(path), key,
                                   m->type == JV_INTEGER ? found : jr_type_name(m->type));
                }
                size = m;
                continue;
            }
            if (m->type != JV_STRING)
                return wrong_type(err, w, line, key, which == AK_DATA ? "a base64 string"
                                                                     : "a string", m->type);
            if (which == AK_DATA)
                data = m;
            else
                *strings[which] = jr_text(o, m->val);
        }
        snprintf(key, sizeof key, "attachments[%zu].%s", i,
                 t->name == NULL ? "name" : "type");
        if (t->name == NULL || t->media_type == NULL)
            return missing(err, w, line, key, "a string");
        if (data != NULL) {
            if (a->problem != JD_OK)
                return bad_data(err, w, line, i, a, max_post);
            t->data = (const unsigned char *)jr_text(o, data->val);
            t->size = data->val_len;
            t->size_known = true;
        }
        if (size != NULL) {
            if (data != NULL && (uint64_t)size->integer != data->val_len) {
                PATH(w);
                return jr_fail(err, TC_ERR_DATA, line,
                               "%s%sattachments[%zu].size: %lld, but its data holds %zu bytes",
                               DOT(path), i, (long long)size->integer, data->val_len);
            }
            t->size = (uint64_t)size->integer;
            t->size_known = true;
        }
    }
    p->attachments = o->attachments;
    p->n_attachments = o->n_att;
    return TC_OK;
}

int jr_post(jr_object *o, const jr_where *w, uint64_t line, jr_name skip, size_t max_post,
            tc_post *p, jr_err *err)
{
    unsigned known = BIT(JN_ID) | BIT(JN_AUTHOR) | BIT(JN_DATE) | BIT(JN_BODY) |
                     BIT(JN_PARENT) | BIT(JN_ATTACHMENTS) | (skip != JN_OTHER ? BIT(skip) : 0);
    memset(p, 0, sizeof *p);
    /* (an attachment's member is refused with that attachment's other
     * problems, in get_attachments) */
    if (o->over && o->over_att == 0)
        return too_long(o, w, line, err);
    if (o->nul)
        return nul_error(o, w, line, err);
    int rc = get_string(o, w, line, JN_ID, "id", true, &p->id, NULL, err);
    if (rc == TC_OK)
        rc = get_string(o, w, line, JN_AUTHOR, "author", true, &p->author, NULL, err);
    if (rc != TC_OK)
        return rc;
    const jr_member *d = jr_get(o, JN_DATE);
    if (d == NULL)
        return missing(err, w, line, "date", "an ISO 8601 date or null");
    if (d->type == JV_STRING) {
        if (tc_date_parse_iso(jr_text(o, d->val), d->val_len, &p->date) != TC_OK) {
            PATH(w);
            return jr_fail(err, TC_ERR_DATA, line,
                           "%s%sdate: expected an ISO 8601 date and time with a UTC "
                           "offset (2021-02-04T21:33:59+00:00), found \"%.80s\"",
                           DOT(path), jr_text(o, d->val));
        }
    } else if (d->type != JV_NULL) {
        return wrong_type(err, w, line, "date", "an ISO 8601 date or null", d->type);
    }
    rc = get_string(o, w, line, JN_BODY, "body", true, &p->body, &p->body_len, err);
    /* Every reader enforces the max-post limit; the parser kept no more of
     * the body than that, but counted all of it. */
    if (rc == TC_OK && p->body_len > max_post) {
        PATH(w);
        return jr_fail(err, TC_ERR_DATA, line,
                       "%s%sbody: %zu bytes, longer than the max-post limit (%zu bytes); "
                       "raise it with --limit max-post=SIZE",
                       DOT(path), p->body_len, max_post);
    }
    if (rc == TC_OK)
        rc = get_string(o, w, line, JN_PARENT, "parent", false, &p->parent_id, NULL, err);
    if (rc == TC_OK)
        rc = get_extras(o, w, line, known, &p->extras, err);
    if (rc == TC_OK)
        rc = get_attachments(o, w, line, max_post, p, err);
    /* over in an attachment that was not kept (read over: the count) */
    if (rc == TC_OK && o->over)
        rc = too_long(o, w, line, err);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Equality (jansson's json_equal, for checked thread objects)         */
/* ------------------------------------------------------------------ */

static bool member_equal(const jr_object *a, const jr_member *x, const jr_object *b,
                         const jr_member *y)
{
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case JV_STRING:
        return x->val_len == y->val_len &&
               memcmp(jr_text(a, x->val), jr_text(b, y->val), x->val_len) == 0;
    case JV_INTEGER:
        return x->integer == y->integer;
    case JV_TRUE:
    case JV_FALSE:
    case JV_NULL:
        return true;
    default:
        return false; /* not kept: never in a checked thread object */
    }
}

typedef struct keyed {
    const char *key;
    size_t len;
    const jr_member *m;
} keyed;

static int keyed_cmp(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->key, b->key, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

static keyed *sorted_members(const jr_object *o)
{
    keyed *k = malloc(o->n * sizeof *k);
    if (k == NULL)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        k[i] = (keyed){jr_text(o, o->m[i].key), o->m[i].key_len, &o->m[i]};
    qsort(k, o->n, sizeof *k, keyed_cmp);
    return k;
}

bool jr_equal(const jr_object *a, const jr_object *b)
{
    if (a->n != b->n)
        return false;
    size_t i = 0;
    /* in the same order: the usual case (the writer repeats the object) */
    for (; i < a->n; i++) {
        const jr_member *x = &a->m[i], *y = &b->m[i];
        if (x->key_len != y->key_len ||
            memcmp(jr_text(a, x->key), jr_text(b, y->key), x->key_len) != 0)
            break;
        if (!member_equal(a, x, b, y))
            return false;
    }
    if (i == a->n)
        return true;
    if (a->n <= 32) {
        for (i = 0; i < a->n; i++) {
            const jr_member *x = &a->m[i], *y = NULL;
            for (size_t k = 0; k < b->n && y == NULL; k++)
                if (b->m[k].key_len == x->key_len &&
                    memcmp(jr_text(b, b->m[k].key), jr_text(a, x->key), x->key_len) == 0)
                    y = &b->m[k];
            if (y == NULL || !member_equal(a, x, b, y))
                return false;
        }
        return true;
    }
    /* many members in another order: sorted by name (names are unique) */
    keyed *ka = sorted_members(a), *kb = sorted_members(b);
    bool equal = ka != NULL && kb != NULL;
    for (i = 0; equal && i < a->n; i++)
        equal = keyed_cmp(&ka[i], &kb[i]) == 0 && member_equal(a, ka[i].m, b, kb[i].m);
    free(ka);
    free(kb);
    return equal;
}
