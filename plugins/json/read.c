/* read.c - parsed JSON to the model, for the json and jsonl readers; see read.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "read.h"

#include <string.h>

const char *jr_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "something else";
}

/* "path.key", or "key" alone when path is "" (a jsonl line's own members). */
#define DOT(path) (path), (*(path) ? "." : "")

static int missing(tc_stream *in, const char *path, uint64_t line, const char *key,
                   const char *what)
{
    return tc_stream_error(in, TC_ERR_DATA, line, 0,
                           "%s%s%s: missing; expected %s (a required member)", DOT(path), key,
                           what);
}

static int wrong_type(tc_stream *in, const char *path, uint64_t line, const char *key,
                      const char *what, const json_t *found)
{
    return tc_stream_error(in, TC_ERR_DATA, line, 0, "%s%s%s: expected %s, found %s",
                           DOT(path), key, what, jr_type_name(found));
}

/* A string member: required or optional; *out NULL when absent. */
static int get_string(tc_stream *in, json_t *obj, const char *path, uint64_t line,
                      const char *key, bool required, const char **out, size_t *len)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (len)
        *len = 0;
    if (v == NULL)
        return required ? missing(in, path, line, key, "a string") : TC_OK;
    if (!json_is_string(v))
        return wrong_type(in, path, line, key, "a string", v);
    *out = json_string_value(v);
    if (len)
        *len = json_string_length(v);
    return TC_OK;
}

/* Every member whose name is not in known[] becomes an extra field. */
static int get_extras(tc_stream *in, json_t *obj, const char *path, uint64_t line,
                      const char *const *known, tc_fields *extras)
{
    const char *key;
    json_t *v;
    tc_fields_clear(extras);
    json_object_foreach(obj, key, v) {
        bool is_known = false;
        for (const char *const *k = known; *k && !is_known; k++)
            is_known = strcmp(*k, key) == 0;
        if (is_known)
            continue;
        if (*key == '\0')
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s: a member with an empty name; extra fields need a name",
                                   *path ? path : "the line");
        if (tc_is_reserved_key(key))
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s%s%s: \"%s\" is a name the format reserves and is not a "
                                   "member of this object", DOT(path), key, key);
        if (!json_is_string(v))
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s%s%s: expected a string (an extra field), found %s",
                                   DOT(path), key, jr_type_name(v));
        if (tc_fields_setn(extras, key, json_string_value(v), json_string_length(v)) != TC_OK)
            return tc_stream_error(in, TC_ERR_NOMEM, line, 0, "out of memory");
    }
    return TC_OK;
}

int jr_thread(tc_stream *in, json_t *obj, const char *path, uint64_t line, jr_kind kind,
              tc_thread *t)
{
    static const char *const known_json[] = {"title", "source", "id", "url", "posts", NULL};
    static const char *const known_jsonl[] = {"title", "source", "id", "url", NULL};
    if (!json_is_object(obj))
        return tc_stream_error(in, TC_ERR_DATA, line, 0, "%s: expected an object, found %s",
                               path, jr_type_name(obj));
    int rc = get_string(in, obj, path, line, "title", true, &t->title, NULL);
    if (rc == TC_OK)
        rc = get_string(in, obj, path, line, "source", true, &t->source, NULL);
    json_t *id = json_object_get(obj, "id");
    if (rc == TC_OK && kind == JR_JSONL && id != NULL && !json_is_string(id)) {
        /* The jsonl writer's position of a thread without an id of its own:
         * a number, so it is never taken for an id. */
        if (!json_is_integer(id) || json_integer_value(id) < 1)
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s.id: expected a string (the thread's id) or a whole "
                                   "number from 1 (its position), found %s",
                                   path, jr_type_name(id));
        t->id = NULL;
    } else if (rc == TC_OK) {
        rc = get_string(in, obj, path, line, "id", false, &t->id, NULL);
    }
    if (rc == TC_OK)
        rc = get_string(in, obj, path, line, "url", false, &t->url, NULL);
    if (rc == TC_OK)
        rc = get_extras(in, obj, path, line, kind == JR_JSON ? known_json : known_jsonl,
                        &t->extras);
    return rc;
}

int jr_post(tc_stream *in, json_t *obj, const char *path, uint64_t line, const char *skip,
            tc_post *p)
{
    const char *known[] = {"id", "author", "date", "body", "parent", skip, NULL};
    if (!json_is_object(obj))
        return tc_stream_error(in, TC_ERR_DATA, line, 0, "%s: expected an object, found %s",
                               *path ? path : "the line", jr_type_name(obj));
    int rc = get_string(in, obj, path, line, "id", true, &p->id, NULL);
    if (rc == TC_OK)
        rc = get_string(in, obj, path, line, "author", true, &p->author, NULL);
    if (rc != TC_OK)
        return rc;
    json_t *d = json_object_get(obj, "date");
    if (d == NULL)
        return missing(in, path, line, "date", "an ISO 8601 date or null");
    memset(&p->date, 0, sizeof p->date);
    if (json_is_string(d)) {
        if (tc_date_parse_iso(json_string_value(d), json_string_length(d), &p->date) != TC_OK)
            return tc_stream_error(in, TC_ERR_DATA, line, 0,
                                   "%s%sdate: expected an ISO 8601 date and time with a UTC "
                                   "offset (2021-02-04T21:33:59+00:00), found \"%.80s\"",
                                   DOT(path), json_string_value(d));
    } else if (!json_is_null(d)) {
        return wrong_type(in, path, line, "date", "an ISO 8601 date or null", d);
    }
    rc = get_string(in, obj, path, line, "body", true, &p->body, &p->body_len);
    /* The json reader holds the whole document, but a post still may not
     * be larger than the limit every reader enforces. */
    if (rc == TC_OK && p->body_len > tc_stream_max_post(in))
        return tc_stream_error(in, TC_ERR_DATA, line, 0,
                               "%s%sbody: %zu bytes, longer than the max-post limit (%zu bytes); "
                               "raise it with --limit max-post=SIZE",
                               DOT(path), p->body_len, tc_stream_max_post(in));
    if (rc == TC_OK)
        rc = get_string(in, obj, path, line, "parent", false, &p->parent_id, NULL);
    if (rc == TC_OK)
        rc = get_extras(in, obj, path, line, known, &p->extras);
    return rc;
}
