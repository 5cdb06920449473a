/*
 * xml.h - shared declarations of the "xml" module's reader (reader.h lists
 * its files), writer (writer.c), base64 (base64.h) and descriptor (xml.c).
 *
 * Names: libxml2 owns xml* and XML_*, so the module's functions are xml_*
 * (the callbacks: xml_read_open, ...), its macros TCXML_*, and what the
 * reader's files share xr_* / XR_* (the writer's private ones xw / XW_*).
 *
 * The document (doc/formats.md describes it; doc/threadconv.rng is its
 * RELAX NG schema):
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <archive xmlns="urn:threadconv:xml:1" version="1">
 *   <thread>
 *   <title>...</title>
 *   <source>mumsnet</source>
 *   <id>...</id>                      optional
 *   <url>...</url>                    optional
 *   <extra key="KEY">VALUE</extra>    zero or more
 *   <post>                            zero or more
 *   <id>1</id>
 *   <author>...</author>
 *   <date>2021-02-04T21:33:59+00:00</date>   left out when the post has none
 *   <body>...</body>
 *   <parent>...</parent>              optional
 *   <extra key="KEY">VALUE</extra>    zero or more
 *   <attachment name="..." type="..." size="..." ref="..." content-id="..."
 *               disposition="..." note="...">     zero or more; attributes
 *   BASE64                            but name left out when absent;
 *   </attachment>                     base64 when the bytes are there
 *   </post>
 *   </thread>
 *   </archive>
 *
 * Text elements hold their text byte for byte.  A character XML 1.0 cannot
 * hold (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE, U+FFFF) is
 * written as an empty <ctrl code="1B"/> element in its place; CR is written
 * as the character reference &#13; so that parsers do not turn it into LF.
 * An attachment's bytes are base64 (base64.h), 76 characters to a line; an
 * empty element says they are not there, unless it has empty="true" (and
 * size="0"): there, and none.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifndef TC_XML_H
#define TC_XML_H

#include <threadconv/plugin.h>

#include <stdbool.h>
#include <stddef.h>

/* The namespace of every element, and the version attribute's value. */
#define TCXML_NS "urn:threadconv:xml:1"
#define TCXML_VERSION "1"

/*
 * A text run longer than this is broken by an empty comment <!----> when
 * written, so that no text node exceeds libxml2's limit of 10,000,000 bytes
 * (lifting it needs XML_PARSE_HUGE, which also lifts the depth and entity
 * limits).  Readers ignore comments, so the text is unchanged.
 */
#define TCXML_TEXT_RUN_MAX ((size_t)4 * 1024 * 1024)

/*
 * Whether code point c must be written as <ctrl code="..."/>: the
 * characters XML 1.0 cannot hold.
 */
static inline bool xml_needs_ctrl(unsigned long c)
{
    return (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D) || c == 0xFFFE || c == 0xFFFF;
}

/* Reader (reader.c). */
int xml_probe(const unsigned char *head, size_t len, const char *name);
int xml_read_open(tc_stream *in, void **state);
int xml_read_next_thread(tc_stream *in, void *state, const tc_thread **thread);
int xml_read_next_post(tc_stream *in, void *state, const tc_post **post);
void xml_read_close(tc_stream *in, void *state);

/* Writer (writer.c). */
int xml_write_open(tc_stream *out, void **state);
int xml_write_begin_thread(tc_stream *out, void *state, const tc_thread *thread);
int xml_write_post(tc_stream *out, void *state, const tc_post *post);
int xml_write_end_thread(tc_stream *out, void *state);
int xml_write_finish(tc_stream *out, void *state);
void xml_write_close(tc_stream *out, void *state);

#endif
