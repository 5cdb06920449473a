/*
 * read.h - turning JSON objects into the model, shared by the json and jsonl
 * readers.  An object is read with the SDK's pull parser (threadconv/json.h) into a flat
 * list of members: each member's name, the type of its value, and the
 * value itself when it is a string (decoded) or a whole number; an object
 * or array inside is read and checked but only its type is kept.  Then a
 * thread object or a post object is checked member by member and handed out
 * as a tc_thread / tc_post whose strings point into the object's memory
 * (valid until the object is read again or cleared).
 *
 * Errors name the member by its JSON path ("threads[0].posts[3].author", or
 * "thread.title" in a jsonl line) and say what was expected and what was
 * found.  They are kept in a jr_err, not set on the stream: the json reader
 * reports them only once it knows the rest of the document is well formed
 * (jansson checked the whole document before looking at any member).  The
 * line is the jsonl line, or 0 (not given) in a json document.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_JSON_READ_H
#define TC_JSON_READ_H

#include <threadconv/threadconv.h>

#include <threadconv/json.h>

#include <stdbool.h>
#include <stdint.h>

/* The type of a JSON value. */
typedef enum jv_type {
    JV_OBJECT = 1,
    JV_ARRAY,
    JV_STRING,
    JV_INTEGER,
    JV_REAL,
    JV_TRUE,
    JV_FALSE,
    JV_NULL
} jv_type;

/* The member names the formats use (tc_is_reserved_key's), recognised once
 * when a member is read so that looking one up is a comparison of numbers. */
typedef enum jr_name {
    JN_OTHER = 0, /* an extra field's */
    JN_ATTACHMENTS,
    JN_AUTHOR,
    JN_BODY,
    JN_DATE,
    JN_FORMAT,
    JN_ID,
    JN_PARENT,
    JN_POSTS,
    JN_SOURCE,
    JN_THREAD,
    JN_THREADS,
    JN_TITLE,
    JN_URL,
    JN_VERSION
} jr_name;

/* The jr_name of a member name. */
jr_name jr_name_of(const char *key, size_t len);

/* One member of an object read with jr_read_object. */
typedef struct jr_member {
    size_t key, key_len;   /* the name: offset in the object's arena, length */
    size_t val, val_len;   /* JV_STRING: offset in the arena, decoded length */
    int64_t integer;       /* JV_INTEGER */
    jv_type type;
    jr_name name;
} jr_member;

/* What is wrong with an attachment's "data", found while it was read (and
 * reported by jr_post, which knows the object's path). */
typedef enum jr_data_problem {
    JD_OK = 0,
    JD_CHAR,   /* a character that is not base64, or '=' before the end */
    JD_LENGTH, /* a length that is not a multiple of 4 */
    JD_LIMIT   /* more bytes than the max-post limit leaves */
} jr_data_problem;

/* One element of a post's "attachments" array, as read. */
typedef struct jr_att {
    size_t first, n;       /* its members: the object's am[first..first+n) */
    jv_type type;          /* JV_OBJECT, or what the element was instead */
    jr_data_problem problem;
    uint64_t line, column; /* where the problem is (the bad character, or the string) */
    size_t at;             /* JD_CHAR: its index in characters; JD_LIMIT: the text's length */
    char bad[5];           /* JD_CHAR: the character (UTF-8) */
} jr_att;

/* An object's members, in document order. */
typedef struct jr_object {
    tc_buf arena;          /* names and string values, each NUL-terminated */
    jr_member *m;
    size_t n, cap;
    tc_field *fields;      /* the extra fields handed out (into the arena) */
    size_t fields_cap;
    uint64_t start, end;   /* input offsets of its '{' and just after its '}' */
    /* A post's "attachments" (see jr_read_member): the elements, their
     * members (strings in the arena, "data" decoded there in place), the
     * attachments handed out, and the bytes decoded so far. */
    jr_att *att;
    size_t n_att, cap_att;
    jr_member *am;
    size_t n_am, cap_am;
    tc_attachment *attachments;
    size_t attachments_cap;
    size_t att_bytes;
    /* Its members but the capped one's value and attachments' "data" (see
     * jr_read_member): the bytes they count (names, string values and
     * TC_JSON_NAME_COST a member or attachment), at most the cap together.
     * over: one did not fit, the first named by over_key (its name, or
     * "attachments[2].name") and over_head ("100000000 bytes", "member
     * 16385 of the object"), in attachment over_att - 1 or, when over_att
     * is 0, among the object's own members; the cap over_cap.  From then on
     * the object keeps no more members but those with a name the formats
     * use (each can come only once). */
    size_t other_bytes;
    bool over;
    size_t over_cap, over_att;
    char over_key[80], over_head[48];
    /* nul: the first of those strings that holds U+0000 (\u0000, allowed
     * in a body only), named by nul_key, at nul_line:nul_column, in
     * attachment nul_att - 1 or among the object's own members (0). */
    bool nul;
    size_t nul_att;
    char nul_key[80];
    uint64_t nul_line, nul_column;
} jr_object;

/* The first error found in the members (a data error or out of memory). */
typedef struct jr_err {
    int code;              /* TC_OK while there is none */
    uint64_t line;
    uint64_t column;       /* 0 but for an attachment's bad base64 */
    char text[1024];       /* as long as a tc_error's text */
} jr_err;

/* What the json/jsonl thread object may hold besides the shared members. */
typedef enum jr_kind {
    JR_JSON = 0,  /* a thread of a json document: "posts" is read by the caller */
    JR_JSONL = 1  /* the "thread" object of a jsonl line: "id" may be a position (a number) */
} jr_kind;

/* "a string", "null", "a number", ... for messages. */
const char *jr_type_name(jv_type type);
/* The type of the value tc_json_next announced with ev (TC_JSON_STRING, TC_JSON_OBJECT, ...). */
jv_type jr_event_type(tc_json_event ev);

void jr_object_clear(jr_object *o);
void jr_object_free(jr_object *o);
/* The member called name, or NULL. */
const jr_member *jr_get(const jr_object *o, jr_name name);
static inline const char *jr_text(const jr_object *o, size_t off)
{
    return o->arena.data + off;
}

/*
 * After tc_json_next returned TC_JSON_KEY: add that member to o, reading its value.
 * cap is the max-post limit.  A string value of a member called capped
 * keeps at most cap bytes (val_len still counts them all); the rest of the
 * object -- every member's name, the other string values (a title, an extra
 * field, an attachment's name), and TC_JSON_NAME_COST bytes for each member
 * and each attachment, about what keeping one takes -- keeps at most cap
 * bytes together: the first member that does not fit is named in o->over
 * for jr_thread and jr_post to refuse, and after it only members with a
 * name the formats use are kept (the others are read over, not kept), so no
 * object holds more than about twice the limit however many or long its
 * members are.  A string other than the capped one that holds U+0000 is
 * noted in o->nul (with its line and column) for them to refuse too.  When
 * nest is not JN_OTHER, a member called nest whose value is an object is
 * read into *inner (cleared first) the same way, start and end set.  A post's object is read with capped
 * JN_BODY: its "attachments" member, when an array, is then read too, each
 * element's members kept in o->am and each "data" decoded from base64 in
 * place, the bytes of all of them together kept up to cap (what is wrong
 * with a "data" is kept in its jr_att for jr_post to report).  Returns
 * TC_OK, or the parser's error code (the error is in j->err), or
 * TC_ERR_NOMEM.
 */
int jr_read_member(tc_json *j, jr_object *o, jr_name capped, size_t cap, jr_name nest,
                   jr_object *inner);

/* Add a member called key[0..key_len) whose value is of type (not kept). */
int jr_add_member(jr_object *o, const char *key, size_t key_len, jv_type type);

/* After tc_json_next returned TC_JSON_OBJECT: read all of it into o (cleared first). */
int jr_read_object(tc_json *j, jr_object *o, jr_name capped, size_t cap, jr_name nest,
                   jr_object *inner);

/*
 * Where an object is, for messages: "threads[T]" or "threads[T].posts[P]"
 * (thread >= 0), else text ("thread" for a jsonl line's thread object, ""
 * for its post members).  Made into text only for a message.
 */
typedef struct jr_where {
    const char *text;
    long long thread, post; /* -1: not used */
} jr_where;

/*
 * The parser stopped at a member name that would take the names of the
 * open objects past j->names_max (j->err.limit), the max-post limit
 * max_post: the message, with the line and column where the name starts.
 * Returns TC_OK or the code of a failed read.
 */
int jr_names_error(tc_json *j, size_t max_post, char *out, size_t size, uint64_t *line,
                   uint64_t *column);

/* Record an error in e unless it holds one already.  Returns code. */
int jr_fail(jr_err *e, int code, uint64_t line, const char *fmt, ...) TC_PRINTF(4, 5);

/*
 * Fill t from the thread object o (title, source, id, url; the other members
 * as extra fields, which must be strings).  Members more than the max-post
 * limit together (o->over) are refused first, then a U+0000 (o->nul).  where is the object's JSON path
 * for messages, line the input line (0: unknown).  Returns TC_OK or the
 * code recorded in err.
 */
int jr_thread(jr_object *o, const jr_where *where, uint64_t line, jr_kind kind, tc_thread *t,
              jr_err *err);

/*
 * Fill p from the post object o (id, author, date, body, parent, extra
 * fields, attachments).  skip names a member that is not the post's
 * (jsonl's "thread"), or is JN_OTHER.  A body longer than max_post bytes is
 * an error (it was read capped, see jr_read_member), and so are
 * attachments whose bytes together are more than max_post.  line is the
 * input line (jsonl), or 0: an attachment's bad base64 then names the line
 * where it was read.
 */
int jr_post(jr_object *o, const jr_where *where, uint64_t line, jr_name skip, size_t max_post,
            tc_post *p, jr_err *err);

/* Whether two objects are equal as JSON values (the same members with the
 * same values, in any order), for objects whose values are strings and
 * whole numbers (a checked thread object); any other value is unequal. */
bool jr_equal(const jr_object *a, const jr_object *b);

#endif
