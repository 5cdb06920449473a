/* formats.h - the callbacks of the json module's two formats, json (json.c)
 * and jsonl (jsonl.c), which module.c lists in the module's descriptor. */
#ifndef JSON_FORMATS_H
#define JSON_FORMATS_H

#include <threadconv/plugin.h>

int json_probe(const unsigned char *head, size_t len, const char *name);
int json_read_open(tc_stream *in, void **state);
int json_read_next_thread(tc_stream *in, void *state, const tc_thread **thread);
int json_read_next_post(tc_stream *in, void *state, const tc_post **post);
void json_read_close(tc_stream *in, void *state);
int json_write_open(tc_stream *out, void **state);
int json_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread);
int json_write_post(tc_stream *out, void *state, const tc_post *post);
int json_write_end_thread(tc_stream *out, void *state);
int json_write_finish(tc_stream *out, void *state);
void json_write_close(tc_stream *out, void *state);
extern const tc_option_decl json_options[];

int jsonl_probe(const unsigned char *head, size_t len, const char *name);
int jsonl_read_open(tc_stream *in, void **state);
int jsonl_read_next_thread(tc_stream *in, void *state, const tc_thread **thread);
int jsonl_read_next_post(tc_stream *in, void *state, const tc_post **post);
void jsonl_read_close(tc_stream *in, void *state);
int jsonl_write_open(tc_stream *out, void **state);
int jsonl_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread);
int jsonl_write_post(tc_stream *out, void *state, const tc_post *post);
int jsonl_write_end_thread(tc_stream *out, void *state);
int jsonl_write_finish(tc_stream *out, void *state);
void jsonl_write_close(tc_stream *out, void *state);

#endif
