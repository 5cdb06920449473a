/* utf8.c - strict UTF-8 validation (RFC 3629) with the position of the
 * first bad byte, for error messages that name a column. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <threadconv/threadconv.h>

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Length of the valid sequence at s[0..len), or 0 when it is not valid. */
static size_t sequence_length(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    if (c >= 0x01 && c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return len >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0; /* NUL, stray continuation byte, 0xC0/0xC1, 0xF5.. */
}

#if defined(__SSE2__)
/*
 * The fast check, 64 bytes at a time with SSE2 (every x86-64 has it): true
 * when s[0..len) is valid UTF-8 without NUL; false when it is not, and the
 * scalar loop below then finds where.  Bit i of each 64-bit mask is byte i
 * of the block.  Structure: a byte is a continuation (10xxxxxx) exactly
 * when a lead 1 to 3 bytes before it asks for one (C0.. asks for the next
 * byte, E0.. for the next two, F0.. for the next three), counted with masks
 * of the top bits of each byte.  The leads that need more than their top
 * bits (C0 C1 and F5.. never occur; E0 ED F0 F4 limit the byte after them)
 * are rare in text and are checked one by one.
 */
static inline uint64_t top_bits(__m128i a, __m128i b, __m128i c, __m128i d)
{
    return (uint64_t)(uint16_t)_mm_movemask_epi8(a) |
           (uint64_t)(uint16_t)_mm_movemask_epi8(b) << 16 |
           (uint64_t)(uint16_t)_mm_movemask_epi8(c) << 32 |
           (uint64_t)(uint16_t)_mm_movemask_epi8(d) << 48;
}

static inline __m128i special_leads(__m128i v)
{
    __m128i c0 = _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xFE)),
                                _mm_set1_epi8((char)0xC0));
    return _mm_or_si128(c0, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xE0)),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xED))));
}

static bool valid_fast(const unsigned char *s, size_t len)
{
    unsigned char tail[64];
    uint64_t carry = 0; /* continuations the previous block's leads still ask for */
    for (size_t i = 0; i < len; i += 64) {
        const unsigned char *p = s + i;
        if (len - i < 64) {
            memset(tail, ' ', sizeof tail); /* ASCII: an unfinished lead fails */
            memcpy(tail, p, len - i);
            p = tail;
        }
        __m128i v0 = _mm_loadu_si128((const __m128i *)p);
        __m128i v1 = _mm_loadu_si128((const __m128i *)(p + 16));
        __m128i v2 = _mm_loadu_si128((const __m128i *)(p + 32));
        __m128i v3 = _mm_loadu_si128((const __m128i *)(p + 48));
        __m128i z = _mm_setzero_si128();
        __m128i nul = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v0, z), _mm_cmpeq_epi8(v1, z)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v2, z), _mm_cmpeq_epi8(v3, z)));
        if (_mm_movemask_epi8(nul) != 0)
            return false;
        uint64_t b7 = top_bits(v0, v1, v2, v3);
        if (b7 == 0) { /* all ASCII */
            if (carry != 0)
                return false;
            continue;
        }
        v0 = _mm_add_epi8(v0, v0), v1 = _mm_add_epi8(v1, v1);
        v2 = _mm_add_epi8(v2, v2), v3 = _mm_add_epi8(v3, v3);
        uint64_t b6 = top_bits(v0, v1, v2, v3);
        v0 = _mm_add_epi8(v0, v0), v1 = _mm_add_epi8(v1, v1);
        v2 = _mm_add_epi8(v2, v2), v3 = _mm_add_epi8(v3, v3);
        uint64_t b5 = top_bits(v0, v1, v2, v3);
        v0 = _mm_add_epi8(v0, v0), v1 = _mm_add_epi8(v1, v1);
        v2 = _mm_add_epi8(v2, v2), v3 = _mm_add_epi8(v3, v3);
        uint64_t b4 = top_bits(v0, v1, v2, v3);
        uint64_t cont = b7 & ~b6;
        uint64_t lead2 = b7 & b6;    /* C0..FF */
        uint64_t lead3 = lead2 & b5; /* E0..FF */
        uint64_t lead4 = lead3 & b4; /* F0..FF */
        uint64_t need = lead2 << 1 | lead3 << 2 | lead4 << 3 | carry;
        if (need != cont)
            return false;
        carry = lead2 >> 63 | lead3 >> 62 | lead4 >> 61;
        /* the rare leads, one by one (reloaded: v0..v3 were shifted) */
        uint64_t sp = lead4 |
                      top_bits(special_leads(_mm_loadu_si128((const __m128i *)p)),
                               special_leads(_mm_loadu_si128((const __m128i *)(p + 16))),
                               special_leads(_mm_loadu_si128((const __m128i *)(p + 32))),
                               special_leads(_mm_loadu_si128((const __m128i *)(p + 48))));
        while (sp != 0) {
            size_t j = i + (size_t)__builtin_ctzll(sp);
            sp &= sp - 1;
            unsigned char c = s[j], next = j + 1 < len ? s[j + 1] : 0;
            if (c == 0xC0 || c == 0xC1 || c >= 0xF5 || (c == 0xE0 && next < 0xA0) ||
                (c == 0xED && next >= 0xA0) || (c == 0xF0 && next < 0x90) ||
                (c == 0xF4 && next >= 0x90))
                return false;
        }
    }
    return carry == 0;
}
#endif

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX2_CHECK 1
/*
 * With AVX2, 32 bytes at a time by table lookups on nibbles: each error a
 * pair of neighbouring bytes can show is one bit, and the tables give, for
 * the high and the low nibble of the first byte and the high nibble of the
 * second, the errors that nibble allows; a pair is in error when all three
 * allow the same bit.  Only "a continuation after a continuation" is not an
 * error by itself: it must happen exactly where a 3- or 4-byte lead two or
 * three bytes back asks for it.
 */
enum {
    E_SHORT = 1 << 0,     /* a lead followed by no continuation */
    E_LONG = 1 << 1,      /* ASCII followed by a continuation */
    E_OVER3 = 1 << 2,     /* E0 80..9F */
    E_LARGE = 1 << 3,     /* F4 90..BF, F5..FF 90..BF */
    E_SURR = 1 << 4,      /* ED A0..BF */
    E_OVER2 = 1 << 5,     /* C0 or C1, then a continuation */
    E_OVER4_1000 = 1 << 6, /* F0 80..8F, F5..FF 80..8F */
    E_CONT2 = 1 << 7      /* a continuation after a continuation */
};

/* a 16-byte table in both lanes, for _mm256_shuffle_epi8 */
#define NIBBLE_TABLE(t) _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(t)))

__attribute__((target("avx2"))) static bool valid_avx2(const unsigned char *s, size_t len)
{
    /* first byte, high nibble */
    static const uint8_t hi1[16] = {
        E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG,
        E_CONT2, E_CONT2, E_CONT2, E_CONT2,
        E_SHORT | E_OVER2, E_SHORT,
        E_SHORT | E_OVER3 | E_SURR,
        E_SHORT | E_LARGE | E_OVER4_1000};
    /* first byte, low nibble */
    static const uint8_t lo1[16] = {
        E_SHORT | E_LONG | E_CONT2 | E_OVER2 | E_OVER3 | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_OVER2,
        E_SHORT | E_LONG | E_CONT2, E_SHORT | E_LONG | E_CONT2,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000 | E_SURR,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000,
        E_SHORT | E_LONG | E_CONT2 | E_LARGE | E_OVER4_1000};
    /* second byte, high nibble */
    static const uint8_t hi2[16] = {
        E_SHORT, E_SHORT, E_SHORT, E_SHORT, E_SHORT, E_SHORT, E_SHORT, E_SHORT,
        E_LONG | E_CONT2 | E_OVER2 | E_OVER3 | E_OVER4_1000,
        E_LONG | E_CONT2 | E_OVER2 | E_OVER3 | E_LARGE,
        E_LONG | E_CONT2 | E_OVER2 | E_SURR | E_LARGE,
        E_LONG | E_CONT2 | E_OVER2 | E_SURR | E_LARGE,
        E_SHORT, E_SHORT, E_SHORT, E_SHORT};
    const __m256i t_hi1 = NIBBLE_TABLE(hi1), t_lo1 = NIBBLE_TABLE(lo1);
    const __m256i t_hi2 = NIBBLE_TABLE(hi2);
    const __m256i nib = _mm256_set1_epi8(0x0F);
    const __m256i zero = _mm256_setzero_si256();
    __m256i prev = zero; /* the block before: NUL bytes, as if at a start */
    __m256i err = zero;
    unsigned char tail[32];
    size_t i = 0;
    for (;;) {
        __m256i in;
        bool last = len - i < 32;
        if (last) {
            /* the rest, padded with spaces: an unfinished character at the
             * end is then followed by ASCII and fails */
            memset(tail, ' ', sizeof tail);
            memcpy(tail, s + i, len - i);
            in = _mm256_loadu_si256((const __m256i *)tail);
        } else {
            in = _mm256_loadu_si256((const __m256i *)(s + i));
        }
        err = _mm256_or_si256(err, _mm256_cmpeq_epi8(in, zero));
        /* the bytes 1, 2 and 3 before each byte of in */
        __m256i mid = _mm256_permute2x128_si256(prev, in, 0x21);
        __m256i p1 = _mm256_alignr_epi8(in, mid, 15);
        __m256i p2 = _mm256_alignr_epi8(in, mid, 14);
        __m256i p3 = _mm256_alignr_epi8(in, mid, 13);
        __m256i e = _mm256_and_si256(
            _mm256_and_si256(
                _mm256_shuffle_epi8(t_hi1, _mm256_and_si256(_mm256_srli_epi16(p1, 4), nib)),
                _mm256_shuffle_epi8(t_lo1, _mm256_and_si256(p1, nib))),
            _mm256_shuffle_epi8(t_hi2, _mm256_and_si256(_mm256_srli_epi16(in, 4), nib)));
        /* where a continuation after a continuation is asked for: 2 bytes
         * after E0..FF or 3 bytes after F0..FF */
        __m256i want = _mm256_or_si256(_mm256_subs_epu8(p2, _mm256_set1_epi8((char)0xDF)),
                                       _mm256_subs_epu8(p3, _mm256_set1_epi8((char)0xEF)));
        want = _mm256_and_si256(_mm256_cmpgt_epi8(want, zero), _mm256_set1_epi8((char)0x80));
        err = _mm256_or_si256(err, _mm256_xor_si256(e, want));
        if (last)
            break;
        prev = in;
        i += 32;
    }
    return _mm256_testz_si256(err, err);
}
#endif

bool tc_utf8_valid(const char *str, size_t len, size_t *bad_offset,
                   size_t *bad_column)
{
    const unsigned char *s = (const unsigned char *)str;
    /* Valid text is the common case: check it fast, and only when it is
     * not, walk it again to find the first bad byte and its column. */
#if defined(HAVE_AVX2_CHECK)
    if (len >= 16 && __builtin_cpu_supports("avx2")) {
        if (valid_avx2(s, len))
            return true;
    } else
#endif
#if defined(__SSE2__)
    if (len >= 16 && valid_fast(s, len))
        return true;
#endif
    size_t i = 0;
    size_t column = 1;
    while (i < len) {
        /* ASCII runs are the common case: check eight bytes at a time. */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            /* high bit set, or a zero byte (NUL), leaves the fast path */
            if ((w & 0x8080808080808080ull) ||
                ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
                break;
            i += 8;
            column += 8;
        }
        if (i >= len)
            break;
        size_t n = sequence_length(s + i, len - i);
        if (n == 0) {
            if (bad_offset)
                *bad_offset = i;
            if (bad_column)
                *bad_column = column;
            return false;
        }
        i += n;
        column++;
    }
    return true;
}

bool tc_utf8_valid_text(const char *str, size_t len, size_t *bad_offset)
{
    /* tc_utf8_valid stops at a NUL like at any bad byte; a NUL is a
     * character here, so step over it and go on from the byte after. */
    size_t start = 0, offset = 0;
    while (!tc_utf8_valid(str + start, len - start, &offset, NULL)) {
        offset += start;
        if (str[offset] != '\0') {
            if (bad_offset)
                *bad_offset = offset;
            return false;
        }
        start = offset + 1;
    }
    return true;
}
