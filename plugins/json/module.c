/* module.c - the json module's descriptor: the json and jsonl formats,
 * which share the streaming emitter (emit.c) and the checks of what is read
 * (read.c). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "formats.h"

TC_MODULE_DEFINE(json,
    .description = "threadconv's own JSON formats: one document, or one line per post",
    .version = "2.0.0",
    .license = "MIT",
    TC_MODULE_FORMATS(
        {.name = "json",
         .description = "threadconv JSON document (one per archive)",
         .read_probe = json_probe,
         .read_open = json_read_open,
         .read_next_thread = json_read_next_thread,
         .read_next_post = json_read_next_post,
         .read_close = json_read_close,
         .write_open = json_write_open,
         .write_begin_thread = json_write_begin_thread,
         .write_post = json_write_post,
         .write_end_thread = json_write_end_thread,
         .write_finish = json_write_finish,
         .write_close = json_write_close,
         /* the parser refuses what is not UTF-8; attachments are base64 members */
         .flags = TC_FORMAT_READS_UTF8 | TC_FORMAT_WRITES_ATTACHMENTS,
         .options = json_options,
         .extension = "json"},
        {.name = "jsonl",
         .description = "JSON Lines, one self-contained object per post",
         .read_probe = jsonl_probe,
         .read_open = jsonl_read_open,
         .read_next_thread = jsonl_read_next_thread,
         .read_next_post = jsonl_read_next_post,
         .read_close = jsonl_read_close,
         .write_open = jsonl_write_open,
         .write_begin_thread = jsonl_write_begin_thread,
         .write_post = jsonl_write_post,
         .write_end_thread = jsonl_write_end_thread,
         .write_finish = jsonl_write_finish,
         .write_close = jsonl_write_close,
         .flags = TC_FORMAT_READS_UTF8 | TC_FORMAT_WRITES_ATTACHMENTS,
         .extension = "jsonl"}));
