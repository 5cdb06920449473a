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

jv_type jr_event_type(jp_event ev)
{
    switch (ev) {
    case JP_OBJECT: return JV_OBJECT;
    case JP_ARRAY: return JV_ARRAY;
    case JP_STRING: return JV_STRING;
    case JP_INTEGER: return JV_INTEGER;
    case JP_REAL: return JV_REAL;
    case JP_TRUE: return JV_TRUE;
    case JP_FALSE: return JV_FALSE;
    default: return JV_NULL;
    }
}

int jr_fail(jr_err *e, int code, uint64_t line, const char *fmt, ...)
{
    if (e->code != TC_OK)
        return code; /* the first one is reported */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    e->code = code;
    e->line = line;
    return code;
}

/* ------------------------------------------------------------------ */
/* Reading an object                                                   */
/* ------------------------------------------------------------------ */

void jr_object_clear(jr_object *o)
{
    o->n = 0;
    o->arena.len = 0;
    o->start = o->end = 0;
}

void jr_object_free(jr_object *o)
{
    tc_buf_free(&o->arena);
    free(o->m);
    free(o->fields);
    memset(o, 0, sizeof *o);
}

jr_name jr_name_of(const char *key, size_t len)
{
#define IS(lit) (memcmp(key, lit, sizeof(lit) - 1) == 0)
    switch (len) {
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

/* A new member named key, in o (its value still to be set). */
static jr_member *new_member(jr_object *o, const char *key, size_t len)
{
    if (o->n == o->cap) {
        size_t n = o->cap ? o->cap * 2 : 16;
        jr_member *m = realloc(o->m, n * sizeof *m);
        if (m == NULL)
            return NULL;
        o->m = m;
        o->cap = n;
    }
    jr_member *m = &o->m[o->n];
    m->key = o->arena.len;
    m->key_len = len;
    m->name = jr_name_of(key, len);
    /* the name and its NUL (key is NUL-terminated) */
    if (o->arena.cap - o->arena.len < len + 2 && tc_buf_reserve(&o->arena, len + 1) != TC_OK)
        return NULL;
    memcpy(o->arena.data + o->arena.len, key, len + 1);
    o->arena.len += len + 1;
    return m;
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

int jr_read_member(jp *j, jr_object *o, jr_name capped, size_t cap, jr_name nest,
                   jr_object *inner)
{
    jr_member *m = new_member(o, j->key, j->key_len);
    if (m == NULL)
        return TC_ERR_NOMEM;
    j->sink = &o->arena;
    j->sink_max = m->name == capped && capped != JN_OTHER ? cap : SIZE_MAX;
    jp_event ev = jp_next(j);
    switch (ev) {
    case JP_ERROR:
        return j->err.code;
    case JP_STRING:
        m->val = j->str_off;
        m->val_len = j->str_len;
        break;
    case JP_INTEGER:
        m->integer = j->integer;
        break;
    case JP_OBJECT:
        if (m->name == nest && nest != JN_OTHER) {
            int rc = jr_read_object(j, inner, JN_OTHER, 0, JN_OTHER, NULL);
            if (rc != TC_OK)
                return rc;
        } else if (jp_skip(j) == JP_ERROR) {
            return j->err.code;
        }
        break;
    case JP_ARRAY:
        if (jp_skip(j) == JP_ERROR)
            return j->err.code;
        break;
    default:
        break;
    }
    m->type = jr_event_type(ev);
    o->n++;
    return TC_OK;
}

int jr_read_object(jp *j, jr_object *o, jr_name capped, size_t cap, jr_name nest,
                   jr_object *inner)
{
    jr_object_clear(o);
    o->start = j->tok;
    for (;;) {
        jp_event ev = jp_next(j);
        if (ev == JP_END)
            break;
        if (ev != JP_KEY)
            return j->err.code != TC_OK ? j->err.code : TC_ERR_PLUGIN;
        int rc = jr_read_member(j, o, capped, cap, nest, inner);
        if (rc != TC_OK)
            return rc;
    }
    o->end = jp_offset(j);
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

int jr_thread(jr_object *o, const jr_where *w, uint64_t line, jr_kind kind, tc_thread *t,
              jr_err *err)
{
    unsigned known = BIT(JN_TITLE) | BIT(JN_SOURCE) | BIT(JN_ID) | BIT(JN_URL) |
                     (kind == JR_JSON ? BIT(JN_POSTS) : 0);
    memset(t, 0, sizeof *t);
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

int jr_post(jr_object *o, const jr_where *w, uint64_t line, jr_name skip, size_t max_post,
            tc_post *p, jr_err *err)
{
    unsigned known = BIT(JN_ID) | BIT(JN_AUTHOR) | BIT(JN_DATE) | BIT(JN_BODY) |
                     BIT(JN_PARENT) | (skip != JN_OTHER ? BIT(skip) : 0);
    memset(p, 0, sizeof *p);
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
