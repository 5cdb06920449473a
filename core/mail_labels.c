/*
 * mail_labels.c - charset labels as mail clients read them: the WHATWG
 * Encoding Standard's table of labels ("Names and labels",
 * https://encoding.spec.whatwg.org/#names-and-labels), which browsers and
 * Thunderbird use, so that "gb2312" is read as GBK, "iso-8859-1" and
 * "us-ascii" as windows-1252 and "ks_c_5601-1987" as EUC-KR (which the
 * Standard defines as Windows code page 949).  tc_mail_charset_label (see
 * threadconv/mail.h) and, for core/mail_charset.c, the iconv name each
 * encoding is decoded with.
 *
 * The table is written from the Standard's list (the labels of each
 * encoding, lower case).  The iconv names are glibc's for the same
 * mappings: the Standard's GBK decoder is its gb18030 decoder, its Big5 is
 * Big5-HKSCS, its Shift_JIS is windows-31j, its EUC-KR is CP949.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <threadconv/mail.h>

#include <string.h>

typedef struct encoding {
    const char *name;  /* the Standard's name */
    const char *iconv; /* what iconv decodes it with; NULL: see tc__mail_iconv_name */
    const char *labels; /* its labels, each followed by '\0', the list by another */
} encoding;

/* Labels as one string each: "a\0b\0" (the compiler adds the final '\0'). */
static const encoding encodings[] = {
    {"UTF-8", "UTF-8",
     "unicode-1-1-utf-8\0unicode11utf8\0unicode20utf8\0utf-8\0utf8\0x-unicode20utf8\0"},
    {"IBM866", "IBM866", "866\0cp866\0csibm866\0ibm866\0"},
    {"ISO-8859-2", "ISO-8859-2",
     "csisolatin2\0iso-8859-2\0iso-ir-101\0iso8859-2\0iso88592\0iso_8859-2\0"
     "iso_8859-2:1987\0l2\0latin2\0"},
    {"ISO-8859-3", "ISO-8859-3",
     "csisolatin3\0iso-8859-3\0iso-ir-109\0iso8859-3\0iso88593\0iso_8859-3\0"
     "iso_8859-3:1988\0l3\0latin3\0"},
    {"ISO-8859-4", "ISO-8859-4",
     "csisolatin4\0iso-8859-4\0iso-ir-110\0iso8859-4\0iso88594\0iso_8859-4\0"
     "iso_8859-4:1988\0l4\0latin4\0"},
    {"ISO-8859-5", "ISO-8859-5",
     "csisolatincyrillic\0cyrillic\0iso-8859-5\0iso-ir-144\0iso8859-5\0iso88595\0"
     "iso_8859-5\0iso_8859-5:1988\0"},
    {"ISO-8859-6", "ISO-8859-6",
     "arabic\0asmo-708\0csiso88596e\0csiso88596i\0csisolatinarabic\0ecma-114\0"
     "iso-8859-6\0iso-8859-6-e\0iso-8859-6-i\0iso-ir-127\0iso8859-6\0iso88596\0"
     "iso_8859-6\0iso_8859-6:1987\0"},
    {"ISO-8859-7", "ISO-8859-7",
     "csisolatingreek\0ecma-118\0elot_928\0greek\0greek8\0iso-8859-7\0iso-ir-126\0"
     "iso8859-7\0iso88597\0iso_8859-7\0iso_8859-7:1987\0sun_eu_greek\0"},
    {"ISO-8859-8", "ISO-8859-8",
     "csiso88598e\0csisolatinhebrew\0hebrew\0iso-8859-8\0iso-8859-8-e\0iso-ir-138\0"
     "iso8859-8\0iso88598\0iso_8859-8\0iso_8859-8:1988\0visual\0"},
    {"ISO-8859-8-I", "ISO-8859-8", "csiso88598i\0iso-8859-8-i\0logical\0"},
    {"ISO-8859-10", "ISO-8859-10",
     "csisolatin6\0iso-8859-10\0iso-ir-157\0iso8859-10\0iso885910\0l6\0latin6\0"},
    {"ISO-8859-13", "ISO-8859-13", "iso-8859-13\0iso8859-13\0iso885913\0"},
    {"ISO-8859-14", "ISO-8859-14", "iso-8859-14\0iso8859-14\0iso885914\0"},
    {"ISO-8859-15", "ISO-8859-15",
     "csisolatin9\0iso-8859-15\0iso8859-15\0iso885915\0iso_8859-15\0l9\0"},
    {"ISO-8859-16", "ISO-8859-16", "iso-8859-16\0"},
    {"KOI8-R", "KOI8-R", "cskoi8r\0koi\0koi8\0koi8-r\0koi8_r\0"},
    {"KOI8-U", "KOI8-U", "koi8-ru\0koi8-u\0"},
    {"macintosh", "MACINTOSH", "csmacintosh\0mac\0macintosh\0x-mac-roman\0"},
    {"windows-874", "CP874",
     "dos-874\0iso-8859-11\0iso8859-11\0iso885911\0tis-620\0windows-874\0"},
    {"windows-1250", "CP1250", "cp1250\0windows-1250\0x-cp1250\0"},
    {"windows-1251", "CP1251", "cp1251\0windows-1251\0x-cp1251\0"},
    {"windows-1252", "CP1252",
     "ansi_x3.4-1968\0ascii\0cp1252\0cp819\0csisolatin1\0ibm819\0iso-8859-1\0"
     "iso-ir-100\0iso8859-1\0iso88591\0iso_8859-1\0iso_8859-1:1987\0l1\0latin1\0"
     "us-ascii\0windows-1252\0x-cp1252\0"},
    {"windows-1253", "CP1253", "cp1253\0windows-1253\0x-cp1253\0"},
    {"windows-1254", "CP1254",
     "cp1254\0csisolatin5\0iso-8859-9\0iso-ir-148\0iso8859-9\0iso88599\0iso_8859-9\0"
     "iso_8859-9:1989\0l5\0latin5\0windows-1254\0x-cp1254\0"},
    {"windows-1255", "CP1255", "cp1255\0windows-1255\0x-cp1255\0"},
    {"windows-1256", "CP1256", "cp1256\0windows-1256\0x-cp1256\0"},
    {"windows-1257", "CP1257", "cp1257\0windows-1257\0x-cp1257\0"},
    {"windows-1258", "CP1258", "cp1258\0windows-1258\0x-cp1258\0"},
    {"x-mac-cyrillic", "MAC-CYRILLIC", "x-mac-cyrillic\0x-mac-ukrainian\0"},
    {"GBK", "GB18030",
     "chinese\0csgb2312\0csiso58gb231280\0gb2312\0gb_2312\0gb_2312-80\0gbk\0iso-ir-58\0"
     "x-gbk\0"},
    {"gb18030", "GB18030", "gb18030\0"},
    {"Big5", "BIG5-HKSCS", "big5\0big5-hkscs\0cn-big5\0csbig5\0x-x-big5\0"},
    {"EUC-JP", "EUC-JP", "cseucpkdfmtjapanese\0euc-jp\0x-euc-jp\0"},
    {"ISO-2022-JP", "ISO-2022-JP", "csiso2022jp\0iso-2022-jp\0"},
    {"Shift_JIS", "WINDOWS-31J",
     "csshiftjis\0ms932\0ms_kanji\0shift-jis\0shift_jis\0sjis\0windows-31j\0x-sjis\0"},
    {"EUC-KR", "CP949",
     "cseuckr\0csksc56011987\0euc-kr\0iso-ir-149\0korean\0ks_c_5601-1987\0"
     "ks_c_5601-1989\0ksc5601\0ksc_5601\0windows-949\0"},
    /* The Standard reads these as one U+FFFD, so that a browser never runs
     * text hidden in them; mail text is never run, so iconv decodes them
     * under their own name (tc__mail_iconv_name). */
    {"replacement", NULL,
     "csiso2022kr\0hz-gb-2312\0iso-2022-cn\0iso-2022-cn-ext\0iso-2022-kr\0replacement\0"},
    {"UTF-16BE", "UTF-16BE", "unicodefffe\0utf-16be\0"},
    {"UTF-16LE", "UTF-16LE",
     "csunicode\0iso-10646-ucs-2\0ucs-2\0unicode\0unicodefeff\0utf-16\0utf-16le\0"},
    {"x-user-defined", NULL, "x-user-defined\0"},
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static const encoding *find(const char *label, size_t len)
{
    while (len > 0 && is_blank(*label)) {
        label++;
        len--;
    }
    while (len > 0 && is_blank(label[len - 1]))
        len--;
    if (len == 0 || len > 32)
        return NULL;
    for (size_t e = 0; e < sizeof encodings / sizeof encodings[0]; e++)
        for (const char *l = encodings[e].labels; *l; l += strlen(l) + 1)
            if (tc__mail_ieq(label, len, l))
                return &encodings[e];
    return NULL;
}

const char *tc_mail_charset_label(const char *label, size_t len)
{
    const encoding *e = label ? find(label, len) : NULL;
    return e ? e->name : NULL;
}

const char *tc__mail_iconv_name(const char *label, const char **standard)
{
    size_t n = strlen(label);
    /* most mail says utf-8: no walk through the table for it */
    const encoding *e = tc__mail_ieq(label, n, "utf-8") ? &encodings[0] : find(label, n);
    *standard = e ? e->name : NULL;
    if (e == NULL || e->iconv == NULL)
        return e && strcmp(e->name, "x-user-defined") == 0 ? NULL : label;
    return e->iconv;
}
