/*
 * read.h - turning parsed JSON (jansson) into the model, shared by the json
 * and jsonl readers: a thread object and a post object are checked member by
 * member and handed out as a tc_thread / tc_post whose strings are borrowed
 * from the jansson values (valid while those values live).
 *
 * Errors name the member by its JSON path ("threads[0].posts[3].author", or
 * "thread.title" in a jsonl line) and say what was expected and what was
 * found.  jansson keeps no position for values, so the line is the jsonl
 * line, or 0 (unknown) for a json document.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_JSON_READ_H
#define TC_JSON_READ_H

#include <threadconv/threadconv.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* What the json/jsonl thread object may hold besides the shared members. */
typedef enum jr_kind {
    JR_JSON = 0,  /* a thread of a json document: "posts" is handled by the caller */
    JR_JSONL = 1  /* the "thread" object of a jsonl line: "id" may be a position (a number) */
} jr_kind;

/* "a string", "null", "a number", ... for messages. */
const char *jr_type_name(const json_t *v);

/*
 * Fill t from the thread object obj (title, source, id, url, extra fields
 * into t->extras, which is cleared first).  path is the object's JSON path
 * for messages, line the input line (0: unknown).  Returns TC_OK or
 * TC_ERR_DATA / TC_ERR_NOMEM with the error set on in.
 */
int jr_thread(tc_stream *in, json_t *obj, const char *path, uint64_t line, jr_kind kind,
              tc_thread *t);

/*
 * Fill p from the post object obj (id, author, date, body, parent, extra
 * fields into p->extras, cleared first).  skip names a member that is not
 * the post's (jsonl's "thread"), or NULL.
 */
int jr_post(tc_stream *in, json_t *obj, const char *path, uint64_t line, const char *skip,
            tc_post *p);

#endif
