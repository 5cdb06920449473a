/*
 * internal.h - what the core's files share and plugins never see: the
 * stream structure, the option store, and the registry's entries.
 */
#ifndef TC_INTERNAL_H
#define TC_INTERNAL_H

#include <threadconv/convert.h>

#include <stdio.h>

/* Bytes the core lets a probe look at. */
#define TC_PEEK_SIZE 65536
/* Default caps (limits, reported by name when hit). */
#define TC_DEFAULT_MAX_POST ((size_t)64 * 1024 * 1024)
#define TC_DEFAULT_MAX_LINE ((size_t)64 * 1024 * 1024)
#define TC_DEFAULT_MAX_DEPTH ((size_t)1000)

typedef enum tc_stream_kind {
    TC_STREAM_INPUT_FD,
    TC_STREAM_INPUT_MEMORY,
    TC_STREAM_INPUT_SOURCE, /* bytes pulled from a tc__source (tree members) */
    TC_STREAM_OUTPUT_FD,
    TC_STREAM_OUTPUT_BUFFER
} tc_stream_kind;

/* Where a TC_STREAM_INPUT_SOURCE stream's bytes come from (tree members,
 * tc_stream_open_source): see tc_stream_source in convert.h. */
typedef tc_stream_source tc__source;

/* A resolved option: declared key and the value in force. */
typedef struct tc_option_slot {
    const char *key;
    const char *value; /* borrowed from the declaration or the caller */
} tc_option_slot;

struct tc_stream {
    tc_stream_kind kind;
    char *name;             /* for messages; "<stdin>" for "-" */
    int fd;                 /* input or output fd, -1 for memory */
    bool owns_fd;
    tc__source src;         /* TC_STREAM_INPUT_SOURCE */

    /* Input: buf[pos..end) is unread; memory inputs point buf at the data. */
    unsigned char *buf;
    size_t cap, pos, end;
    uint64_t base;          /* input offset of buf[0] */
    uint64_t spool_base;    /* input offset of byte 0 of fd (a spool starts late) */
    bool eof;
    uint64_t line;
    size_t max_line;        /* limits[TC_LIMIT_LINE], read on the hot path */
    size_t limits[TC_LIMIT_COUNT];

    /* Output */
    tc_buf *out_buf;        /* TC_STREAM_OUTPUT_BUFFER target */
    unsigned char *wbuf;    /* TC_STREAM_OUTPUT_FD write-behind buffer */
    size_t wlen;
    uint64_t bytes_written;

    tc_error error;
    tc_warning_fn warn;
    void *warn_user;
    void (*temp_files)(void *user, const char *dir, const char *prefix);
    void *temp_files_user;

    const tc_format *format; /* the format reading or writing it (for messages, options) */
    tc_tree *tree;          /* a tree input (TC_FORMAT_READS_TREE), or NULL */
    tc_option_slot *options;
    size_t n_options;
};

/* Fill the read buffer so at least want bytes are unread (or EOF). */
int tc__stream_fill(tc_stream *s, size_t want);
/* Copy of the first bytes for probing without consuming them. */
int tc__stream_peek(tc_stream *s, const unsigned char **head, size_t *len);
/* An input stream reading from src (copied); name is for messages.  New;
 * NULL on ENOMEM, when src->close has not been called. */
tc_stream *tc__stream_open_source(const tc__source *src, const char *name);

/* Set err (any of the fields may be 0/NULL); returns code. */
int tc__error_set(tc_error *err, int code, const char *source, uint64_t line,
                  uint64_t column, const char *fmt, ...) TC_PRINTF(6, 7);
int tc__error_vset(tc_error *err, int code, const char *source, uint64_t line,
                   uint64_t column, const char *fmt, va_list ap) TC_PRINTF(6, 0);

/* A callback's status, checked against what the ABI defines there (session.c). */
int tc__plugin_status(int rc, bool eof_allowed, tc_stream *s, const char *callback,
                      tc_error *err);
/* The model's contract on a thread or post (session.c); from_reader: a
 * reader returned it (errors are TC_ERR_PLUGIN), else a writer's caller gave
 * it (TC_ERR_USAGE). */
int tc__check_thread(const tc_thread *t, const tc_format *format, bool from_reader,
                     const tc_stream *s, const char *where, tc_error *err);
int tc__check_post(const tc_post *p, const tc_format *format, bool from_reader,
                   const tc_stream *s, const char *where, tc_error *err);

/* a[0..n) and b[0..n) are equal but for the case of ASCII letters. */
static inline bool tc__ascii_ieq(const char *a, const char *b, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        char x = a[k], y = b[k];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

/* The stream's file name as given to it. */
const char *tc__display_name(const char *path);

/* An output being written (output.c). */
typedef struct tc__output {
    int fd;
    char *final_path;  /* NULL: standard output or a device written in place */
    char *temp_path;   /* the temporary file renamed onto final_path; NULL
                        * while it is unnamed (O_TMPFILE) */
    char *temp_dir;    /* where it gets its name: "DIR/" or "" */
    bool unnamed;      /* an O_TMPFILE file, named only when complete */
} tc__output;

/* Open path for writing: a new temporary file beside it (or in temp_dir
 * when not NULL), or the device or standard output ("-" or NULL) itself. */
int tc__output_open(const char *path, const char *temp_dir, tc__output *out, tc_error *err);
/* Finish: on success sync and rename into place -- or, when deferred is not
 * NULL, leave the closed temporary file for tc_commit_outputs and store its
 * path (the caller's to free) in *deferred; on failure remove every trace.
 * err may be NULL. */
int tc__output_close(tc__output *out, bool success, char **deferred, const char *shown,
                     tc_error *err);

/* Mail text (core/mail_*.c; public part in threadconv/mail.h). */
/* ASCII case-insensitive equality of a[0..alen) and the string b. */
bool tc__mail_ieq(const char *a, size_t alen, const char *b);
/* The value of a hex digit (either case), -1 for another byte. */
int tc__mail_hex(char c);
/* An RFC 2047 encoded word's parts, pointing into the text. */
typedef struct tc__mail_word {
    const char *charset, *text;
    size_t charset_len, text_len;
    char encoding; /* 'b' or 'q' */
} tc__mail_word;
/* The length of the encoded word at s[0..n), 0 when there is none there. */
size_t tc__mail_encoded_word(const char *s, size_t n, tc__mail_word *w);
/* Whether s[0..n) holds "=?", the start of an encoded word. */
bool tc__mail_has_word(const char *s, size_t n);
/* The iconv name to decode the charset label with (core/mail_labels.c):
 * the WHATWG encoding's when the label is in its table (*standard its
 * name), else the label itself (*standard NULL; also for the Standard's
 * "replacement" labels); NULL for x-user-defined, decoded by hand. */
const char *tc__mail_iconv_name(const char *label, const char **standard);

#endif
