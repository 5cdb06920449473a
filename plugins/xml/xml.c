/*
 * xml.c - the "xml" plugin's descriptor: a reader and a writer of the
 * threadconv XML document (see xml.h, doc/formats.md and the RELAX NG
 * schema doc/threadconv.rng), both streamed on libxml2.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "xml.h"

#include <libxml/parser.h>

/*
 * libxml2 allocates some global tables once (encoding handlers, thread
 * keys); unless it frees them they are lost when it is unloaded.  The core
 * keeps every module loaded until the program ends (RTLD_NODELETE), so
 * this runs at exit, when no other copy of the module and no other user of
 * libxml2 in the process (the SDK's HTML helper) can still need them.
 */
#if defined(__GNUC__)
static void xml_plugin_unload(void) __attribute__((destructor));
static void xml_plugin_unload(void)
{
    xmlCleanupParser();
}
#endif

static const tc_option_decl xml_options[] = {
    {.name = "pretty", .type = TC_OPT_BOOL, .default_value = "false",
     .help = "indent elements by two spaces per level (text is never touched)"},
    {.name = NULL}
};

TC_MODULE_DEFINE(xml,
    .description = "threadconv's XML format",
    .version = "2.0.0",
    .license = "MIT",
    TC_MODULE_FORMATS({
        .name = "xml",
        .description = "threadconv XML document (namespace " TCXML_NS ", RELAX NG schema threadconv.rng)",
        .read_probe = xml_probe,
        .read_open = xml_read_open,
        .read_next_thread = xml_read_next_thread,
        .read_next_post = xml_read_next_post,
        .read_close = xml_read_close,
        .write_open = xml_write_open,
        .write_begin_thread = xml_write_begin_thread,
        .write_post = xml_write_post,
        .write_end_thread = xml_write_end_thread,
        .write_finish = xml_write_finish,
        .write_close = xml_write_close,
        .options = xml_options,
        .extension = "xml",
        /* libxml2 checks every byte of the input as UTF-8 (and as an XML
         * character) and the reader refuses what it refuses; the characters
         * <ctrl/> stands for are valid UTF-8 too (NUL only in a body). */
        .flags = TC_FORMAT_READS_UTF8 | TC_FORMAT_WRITES_ATTACHMENTS}));
