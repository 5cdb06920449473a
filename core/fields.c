/* fields.c - ordered extra fields with unique, non-reserved keys. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/threadconv.h>

#include <stdlib.h>
#include <string.h>

/*
 * Names the model uses itself, in the thread, the post, and the documents
 * the writers produce (the json envelope, the jsonl "thread" object).  An
 * extra field with one of these keys would collide with a model field when a
 * writer stores extras beside them.
 */
static const char *const reserved_keys[] = {
    "attachments", "author", "body", "date", "format", "id", "parent", "posts",
    "source", "thread", "threads", "title", "url", "version", NULL
};

bool tc_is_reserved_key(const char *key)
{
    for (const char *const *r = reserved_keys; *r; r++)
        if (strcmp(*r, key) == 0)
            return true;
    return false;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

int tc_fields_setn(tc_fields *fields, const char *key, const char *value,
                   size_t value_len)
{
    if (key == NULL || *key == '\0' || tc_is_reserved_key(key))
        return TC_ERR_USAGE;
    char *v = dup_n(value, value_len);
    if (v == NULL)
        return TC_ERR_NOMEM;
    for (size_t i = 0; i < fields->count; i++) {
        if (strcmp(fields->items[i].key, key) == 0) {
            free((char *)fields->items[i].value);
            fields->items[i].value = v;
            return TC_OK;
        }
    }
    if (fields->count == fields->capacity) {
        size_t cap = fields->capacity ? fields->capacity * 2 : 8;
        tc_field *items = realloc(fields->items, cap * sizeof *items);
        if (items == NULL) {
            free(v);
            return TC_ERR_NOMEM;
        }
        fields->items = items;
        fields->capacity = cap;
    }
    char *k = dup_n(key, strlen(key));
    if (k == NULL) {
        free(v);
        return TC_ERR_NOMEM;
    }
    fields->items[fields->count].key = k;
    fields->items[fields->count].value = v;
    fields->count++;
    return TC_OK;
}

int tc_fields_set(tc_fields *fields, const char *key, const char *value)
{
    return tc_fields_setn(fields, key, value, strlen(value));
}

const char *tc_fields_get(const tc_fields *fields, const char *key)
{
    for (size_t i = 0; i < fields->count; i++)
        if (strcmp(fields->items[i].key, key) == 0)
            return fields->items[i].value;
    return NULL;
}

void tc_fields_clear(tc_fields *fields)
{
    for (size_t i = 0; i < fields->count; i++) {
        free((char *)fields->items[i].key);
        free((char *)fields->items[i].value);
    }
    fields->count = 0;
}

void tc_fields_free(tc_fields *fields)
{
    tc_fields_clear(fields);
    free(fields->items);
    fields->items = NULL;
    fields->capacity = 0;
}
