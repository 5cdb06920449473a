/*
 * date.c - calendar arithmetic, UK civil time, ISO 8601 and RFC 5322 (mail) dates.
 *
 * Everything here is pure integer arithmetic on the proleptic Gregorian
 * calendar: no libc time zone machinery (TZ, localtime, mktime), no static
 * mutable state, so every function is reentrant and gives the same answer on
 * every machine whatever its locale or zone.
 *
 * Copyright (c) 2026 the threadconv authors.  MIT licence, see LICENSE.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "internal.h"

#include <stdint.h>
#include <string.h>

#define SECS_PER_DAY 86400
#define DAYS_PER_ERA 146097 /* days in 400 Gregorian years */
/* Days from 0000-03-01 (the start of the era the algorithms count in,
 * years beginning on 1 March so the leap day falls at the end) to
 * 1970-01-01. */
#define EPOCH_SHIFT 719468

/* Floor division and the matching non-negative remainder, b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) < 0)
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

static bool is_leap(int64_t year)
{
    return floor_mod(year, 4) == 0 && (floor_mod(year, 100) != 0 || floor_mod(year, 400) == 0);
}

int tc_days_in_month(int64_t year, int month)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && is_leap(year))
        return 29;
    return days[month - 1];
}

/*
 * Count years from March so February (and its leap day) ends the year; then
 * the day of such a "March year" is a fixed linear function of the month,
 * and each 400-year era has exactly DAYS_PER_ERA days.
 */
int64_t tc_days_from_civil(int64_t year, int month, int day)
{
    /* Months outside 1..12 roll into neighbouring years rather than being
     * undefined: month 13 of 2020 is January 2021. */
    if (month < 1 || month > 12) {
        int64_t m0 = (int64_t)month - 1;
        year += floor_div(m0, 12);
        month = (int)floor_mod(m0, 12) + 1;
    }
    int64_t y = year - (month <= 2 ? 1 : 0);
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                             /* 0..399 */
    int64_t mp = month > 2 ? month - 3 : month + 9;          /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)day - 1;     /* day of March year */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;     /* day of era */
    return era * DAYS_PER_ERA + doe - EPOCH_SHIFT;
}

/* Inverse of tc_days_from_civil. */
static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + EPOCH_SHIFT;
    int64_t era = floor_div(z, DAYS_PER_ERA);
    int64_t doe = z - era * DAYS_PER_ERA;                                /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* 0..11 */
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (m <= 2 ? 1 : 0);
    *month = m;
    *day = d;
}

int tc_weekday(int64_t year, int month, int day)
{
    /* 1970-01-01 was a Thursday (4). */
    return (int)floor_mod(tc_days_from_civil(year, month, day) + 4, 7);
}

/* Day number (since 1970) of the last Sunday of month in year. */
static int64_t last_sunday(int64_t year, int month)
{
    int last = tc_days_in_month(year, month);
    int64_t days = tc_days_from_civil(year, month, last);
    return days - floor_mod(days + 4, 7);
}

/* (days, seconds-of-day) pairs compare without multiplying, so nothing
 * overflows even for instants near the ends of int64_t. */
static bool at_or_after(int64_t days, int64_t sod, int64_t ref_days, int64_t ref_sod)
{
    return days > ref_days || (days == ref_days && sod >= ref_sod);
}

/*
 * The rule applied is the one Europe/London has followed since 1996 (the EU
 * summer-time directive): BST from 01:00 UTC on the last Sunday of March to
 * 01:00 UTC on the last Sunday of October.  It is applied to every year,
 * including those before 1996 when the UK changed on other dates; the
 * sources this library reads are recent.
 */
int tc_uk_offset_at(int64_t utc)
{
    int64_t days = floor_div(utc, SECS_PER_DAY);
    int64_t sod = floor_mod(utc, SECS_PER_DAY);
    int64_t year;
    int month, day;
    civil_from_days(days, &year, &month, &day);
    if (at_or_after(days, sod, last_sunday(year, 3), 3600) &&
        !at_or_after(days, sod, last_sunday(year, 10), 3600))
        return 3600;
    return 0;
}

tc_date tc_date_from_fields(int64_t year, int month, int day, int hour,
                            int minute, int second, int offset_min)
{
    tc_date d;
    int64_t days = tc_days_from_civil(year, month, day);
    d.utc = days * SECS_PER_DAY + (int64_t)hour * 3600 + (int64_t)minute * 60 + second -
            (int64_t)offset_min * 60;
    d.offset_min = offset_min;
    d.present = true;
    return d;
}

tc_date tc_date_from_uk_civil(int64_t year, int month, int day, int hour,
                              int minute, int second, int *note)
{
    int64_t days = tc_days_from_civil(year, month, day);
    int64_t sod = (int64_t)hour * 3600 + (int64_t)minute * 60 + second;
    int64_t spring = last_sunday(year, 3);
    int64_t autumn = last_sunday(year, 10);
    int offset = 0;
    int n = 0;

    /* Local wall-clock readings on the change days:
     *   March:   01:00 GMT jumps to 02:00 BST, 01:00-01:59 never occurs;
     *   October: 02:00 BST falls back to 01:00 GMT, 01:00-01:59 occurs twice. */
    if (!at_or_after(days, sod, spring, 3600)) {
        offset = 0;
    } else if (!at_or_after(days, sod, spring, 7200)) {
        offset = 0; /* nonexistent: read as GMT */
        n = 2;
    } else if (!at_or_after(days, sod, autumn, 3600)) {
        offset = 60;
    } else if (!at_or_after(days, sod, autumn, 7200)) {
        offset = 60; /* ambiguous: the first (BST) occurrence */
        n = 1;
    } else {
        offset = 0;
    }
    if (note)
        *note = n;
    return tc_date_from_fields(year, month, day, hour, minute, second, offset);
}

void tc_date_to_fields(tc_date date, int64_t *year, int *month, int *day,
                       int *hour, int *minute, int *second)
{
    int64_t days = floor_div(date.utc, SECS_PER_DAY);
    int64_t sod = floor_mod(date.utc, SECS_PER_DAY) + (int64_t)date.offset_min * 60;
    days += floor_div(sod, SECS_PER_DAY);
    sod = floor_mod(sod, SECS_PER_DAY);
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (year)
        *year = y;
    if (month)
        *month = m;
    if (day)
        *day = d;
    if (hour)
        *hour = (int)(sod / 3600);
    if (minute)
        *minute = (int)(sod / 60 % 60);
    if (second)
        *second = (int)(sod % 60);
}

/* Write v (0..99) as two digits. */
static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* Write v >= 0 with at least min_digits digits. */
static char *put_uint(char *p, uint64_t v, int min_digits)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n < min_digits)
        tmp[n++] = '0';
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/*
 * Years 0000..9999 take four digits.  Others take a sign and at least six
 * digits (the expanded form ECMAScript also uses: "+010000", "-000001"),
 * which tc_date_parse_iso reads back.
 */
size_t tc_date_format_iso(tc_date date, char *out)
{
    int64_t year;
    int month, day, hour, minute, second;
    tc_date_to_fields(date, &year, &month, &day, &hour, &minute, &second);
    char *p = out;
    if (year >= 0 && year <= 9999) {
        p = put_uint(p, (uint64_t)year, 4);
    } else {
        *p++ = year < 0 ? '-' : '+';
        p = put_uint(p, year < 0 ? (uint64_t)0 - (uint64_t)year : (uint64_t)year, 6);
    }
    *p++ = '-';
    p = put2(p, month);
    *p++ = '-';
    p = put2(p, day);
    *p++ = 'T';
    p = put2(p, hour);
    *p++ = ':';
    p = put2(p, minute);
    *p++ = ':';
    p = put2(p, second);
    int off = date.offset_min;
    *p++ = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    p = put2(p, off / 60 % 100);
    *p++ = ':';
    p = put2(p, off % 60);
    *p = '\0';
    return (size_t)(p - out);
}

/* Read exactly n digits at s[*i]; false when they are not all there. */
static bool take_digits(const char *s, size_t len, size_t *i, int n, int64_t *value)
{
    int64_t v = 0;
    if (len - *i < (size_t)n)
        return false;
    for (int k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    *value = v;
    return true;
}

static bool take_char(const char *s, size_t len, size_t *i, char c)
{
    if (*i < len && s[*i] == c) {
        (*i)++;
        return true;
    }
    return false;
}

/*
 * Grammar (RFC 3339 with the expanded years tc_date_format_iso writes):
 *   [+|-]YYYY..  "-" MM "-" DD  ("T"|"t"|" ")  HH ":" MM ":" SS
 *   ["." | "," digits]  ("Z"|"z" | ("+"|"-") HH ":" MM)
 * An unsigned year has exactly four digits; a signed one 4 to 12.  Leap
 * seconds (:60) are refused: UTC seconds since the epoch cannot hold them.
 * "-00:00" (offset unknown, RFC 3339) reads as +00:00.
 */
int tc_date_parse_iso(const char *s, size_t len, tc_date *out)
{
    size_t i = 0;
    int64_t year = 0, month, day, hour, minute, second, oh = 0, om = 0;
    int sign = 1;

    if (s == NULL)
        return TC_ERR_DATA;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        sign = s[i] == '-' ? -1 : 1;
        i++;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 13)
            year = year * 10 + (s[i++] - '0');
        if (i - start < 4 || i - start > 12)
            return TC_ERR_DATA;
        year *= sign;
    } else if (!take_digits(s, len, &i, 4, &year)) {
        return TC_ERR_DATA;
    }
    if (!take_char(s, len, &i, '-') || !take_digits(s, len, &i, 2, &month) ||
        !take_char(s, len, &i, '-') || !take_digits(s, len, &i, 2, &day))
        return TC_ERR_DATA;
    if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return TC_ERR_DATA;
    i++;
    if (!take_digits(s, len, &i, 2, &hour) || !take_char(s, len, &i, ':') ||
        !take_digits(s, len, &i, 2, &minute) || !take_char(s, len, &i, ':') ||
        !take_digits(s, len, &i, 2, &second))
        return TC_ERR_DATA;
    if (i < len && (s[i] == '.' || s[i] == ',')) {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return TC_ERR_DATA;
    }
    int offset_sign = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        offset_sign = s[i] == '-' ? -1 : 1;
        i++;
        if (!take_digits(s, len, &i, 2, &oh) || !take_char(s, len, &i, ':') ||
            !take_digits(s, len, &i, 2, &om))
            return TC_ERR_DATA;
    } else {
        return TC_ERR_DATA;
    }
    if (i != len)
        return TC_ERR_DATA;
    if (month < 1 || month > 12 || day < 1 || day > tc_days_in_month(year, (int)month) ||
        hour > 23 || minute > 59 || second > 59 || oh > 23 || om > 59)
        return TC_ERR_DATA;
    if (out)
        *out = tc_date_from_fields(year, (int)month, (int)day, (int)hour, (int)minute,
                                   (int)second, offset_sign * (int)(oh * 60 + om));
    return TC_OK;
}

/* ------------------------------------------------------------------ */
/* RFC 5322                                                            */
/* ------------------------------------------------------------------ */

static const char day_names[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

size_t tc_date_format_rfc5322(tc_date date, char *out)
{
    int64_t year;
    int month, day, hour, minute, second;
    tc_date_to_fields(date, &year, &month, &day, &hour, &minute, &second);
    char *p = out;
    memcpy(p, day_names[tc_weekday(year, month, day)], 3);
    p += 3;
    *p++ = ',';
    *p++ = ' ';
    p = put2(p, day);
    *p++ = ' ';
    memcpy(p, month_names[month - 1], 3);
    p += 3;
    *p++ = ' ';
    if (year < 0) {
        *p++ = '-';
        p = put_uint(p, (uint64_t)(-year), 4);
    } else {
        p = put_uint(p, (uint64_t)year, 4);
    }
    *p++ = ' ';
    p = put2(p, hour);
    *p++ = ':';
    p = put2(p, minute);
    *p++ = ':';
    p = put2(p, second);
    *p++ = ' ';
    int off = date.offset_min;
    *p++ = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    p = put2(p, off / 60);
    p = put2(p, off % 60);
    *p = '\0';
    return (size_t)(p - out);
}

/* Skip folding white space and (nested) comments.  A comment left open
 * runs to the end of the text: false then, with *i at the end. */
static bool skip_cfws(const char *s, size_t len, size_t *i)
{
    for (;;) {
        while (*i < len && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r' || s[*i] == '\n'))
            (*i)++;
        if (*i >= len || s[*i] != '(')
            return true;
        int depth = 0;
        do {
            if (s[*i] == '\\' && *i + 1 < len)
                (*i)++;
            else if (s[*i] == '(')
                depth++;
            else if (s[*i] == ')')
                depth--;
            (*i)++;
        } while (*i < len && depth > 0);
        if (depth > 0)
            return false;
    }
}

static size_t take_alpha(const char *s, size_t len, size_t i)
{
    size_t n = 0;
    while (i + n < len && ((s[i + n] >= 'a' && s[i + n] <= 'z') || (s[i + n] >= 'A' && s[i + n] <= 'Z')))
        n++;
    return n;
}

static size_t take_number(const char *s, size_t len, size_t *i, int64_t *value, size_t max)
{
    size_t n = 0;
    *value = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9' && n < max) {
        *value = *value * 10 + (s[*i] - '0');
        (*i)++;
        n++;
    }
    return n;
}

/* Offsets of the zone names RFC 5322 section 4.3 keeps (and UTC, which
 * mailers write too), in minutes. */
static bool named_zone(const char *z, size_t n, int *offset)
{
    static const struct { const char *name; int offset; } zones[] = {
        {"UT", 0}, {"GMT", 0}, {"Z", 0}, {"UTC", 0}, {"EST", -300}, {"EDT", -240}, {"CST", -360},
        {"CDT", -300}, {"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420},
    };
    for (size_t k = 0; k < sizeof zones / sizeof *zones; k++) {
        if (strlen(zones[k].name) == n && tc__ascii_ieq(z, zones[k].name, n)) {
            *offset = zones[k].offset;
            return true;
        }
    }
    return false;
}

/* Fail with a reason (when the caller wants one). */
#define REFUSE(text)                                                          \
    do {                                                                      \
        if (why)                                                              \
            *why = (text);                                                    \
        return TC_ERR_DATA;                                                   \
    } while (0)

/* A part of the date is missing or malformed: when a comment left open
 * swallowed it, that is the reason to give. */
#define EXPECTED(text) REFUSE(open_comment ? "unclosed comment: expected ')'" : (text))

/* Comments may sit between any two tokens; one left open swallows the
 * rest, which is an error only when the date is not complete before it. */
#define SKIP_CFWS()                                                           \
    do {                                                                      \
        if (!skip_cfws(s, len, &i))                                           \
            open_comment = true;                                              \
    } while (0)

/* The digit at s[i], if any: a number that goes on is too long. */
#define DIGIT_AT(i) ((i) < len && s[i] >= '0' && s[i] <= '9')

#define EXPECTED_DATE "expected a date like \"Thu, 04 Feb 2021 21:33:59 +0000\""
#define EXPECTED_TIME "expected a time HH:MM[:SS]"

/* Two digits at p as a number, -1 when they are not two digits. */
static int two_digits(const char *p)
{
    unsigned a = (unsigned)((unsigned char)p[0] - '0'), b = (unsigned)((unsigned char)p[1] - '0');
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* Three bytes as one number, letters in lower case: | 0x20 turns 'A'..'Z'
 * into 'a'..'z' and makes no other byte a lower-case letter, so names
 * compare exactly, whatever their case, with one comparison. */
#define NAME3(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
static uint32_t name3(const char *p)
{
    return NAME3((unsigned char)p[0], (unsigned char)p[1], (unsigned char)p[2]) | 0x202020u;
}

/*
 * The form nearly every mailer writes, "Thu, 04 Feb 2021 21:33:59 +0000",
 * read at fixed places: about a third of the instructions of the general
 * reading below, which takes everything else (and every refusal, to give
 * its reason).  It answers as the general reading does, or false.
 */
static bool usual_rfc5322(const char *s, size_t len, tc_date *out, bool *zone_known)
{
    static const uint32_t days[7] = {
        NAME3('s', 'u', 'n'), NAME3('m', 'o', 'n'), NAME3('t', 'u', 'e'), NAME3('w', 'e', 'd'),
        NAME3('t', 'h', 'u'), NAME3('f', 'r', 'i'), NAME3('s', 'a', 't')};
    static const uint32_t months[12] = {
        NAME3('j', 'a', 'n'), NAME3('f', 'e', 'b'), NAME3('m', 'a', 'r'), NAME3('a', 'p', 'r'),
        NAME3('m', 'a', 'y'), NAME3('j', 'u', 'n'), NAME3('j', 'u', 'l'), NAME3('a', 'u', 'g'),
        NAME3('s', 'e', 'p'), NAME3('o', 'c', 't'), NAME3('n', 'o', 'v'), NAME3('d', 'e', 'c')};
    /* what follows the zone is ignored, unless it makes the zone too long */
    if (len < 31 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || s[25] != ' ' || (s[26] != '+' && s[26] != '-') ||
        (len > 31 && s[31] >= '0' && s[31] <= '9'))
        return false;
    uint32_t wd = name3(s), mn = name3(s + 8);
    bool is_day = false;
    int month = 0;
    for (int k = 0; k < 7; k++)
        is_day |= days[k] == wd;
    for (int k = 0; k < 12; k++)
        month = months[k] == mn ? k + 1 : month;
    int day = two_digits(s + 5), century = two_digits(s + 12), yy = two_digits(s + 14);
    int hour = two_digits(s + 17), minute = two_digits(s + 20), second = two_digits(s + 23);
    int zh = two_digits(s + 27), zm = two_digits(s + 29);
    if (!is_day || month == 0 || day < 1 || century < 0 || yy < 0 || hour < 0 || hour > 23 ||
        minute < 0 || minute > 59 || second < 0 || second > 60 || zh < 0 || zh > 23 || zm < 0 ||
        zm > 59 || day > tc_days_in_month(century * 100 + yy, month))
        return false;
    int offset = (s[26] == '-' ? -1 : 1) * (zh * 60 + zm);
    *out = tc_date_from_fields(century * 100 + yy, month, day, hour, minute,
                               second == 60 ? 59 : second, offset);
    *zone_known = offset != 0 || s[26] == '+'; /* "-0000": unknown */
    return true;
}

int tc_date_parse_rfc5322(const char *s, size_t len, tc_date *out, bool *zone_known,
                          const char **why)
{
    size_t i = 0;
    int64_t day, year, hour, minute, second = 0;
    int month = 0, offset = 0;
    bool known = true, open_comment = false;
    if (s == NULL)
        REFUSE(EXPECTED_DATE);
    tc_date usual;
    if (usual_rfc5322(s, len, &usual, &known)) {
        if (out)
            *out = usual;
        if (zone_known)
            *zone_known = known;
        return TC_OK;
    }
    SKIP_CFWS();
    size_t n = take_alpha(s, len, i);
    if (n > 0) { /* a day name, then a comma (which old mailers sometimes left out) */
        bool is_day = false;
        for (int k = 0; k < 7 && n >= 3; k++)
            is_day |= tc__ascii_ieq(s + i, day_names[k], 3);
        if (!is_day)
            REFUSE(EXPECTED_DATE);
        i += n;
        SKIP_CFWS();
        if (i < len && s[i] == ',')
            i++;
        SKIP_CFWS();
    }
    if (take_number(s, len, &i, &day, 2) == 0 || DIGIT_AT(i))
        EXPECTED(EXPECTED_DATE);
    SKIP_CFWS();
    if (i < len && s[i] == '-') /* "4-Feb-2021", seen in the wild */
        i++;
    n = take_alpha(s, len, i);
    for (int k = 0; k < 12 && month == 0 && n == 3; k++)
        if (tc__ascii_ieq(s + i, month_names[k], 3))
            month = k + 1;
    if (month == 0)
        EXPECTED("expected a month name (Jan..Dec)");
    i += n;
    SKIP_CFWS();
    if (i < len && s[i] == '-')
        i++;
    size_t digits = take_number(s, len, &i, &year, 4);
    if (digits < 2 || DIGIT_AT(i))
        EXPECTED("expected a year");
    if (digits == 2) /* obsolete: 00-49 are 2000-2049, 50-99 are 1950-1999 */
        year += year < 50 ? 2000 : 1900;
    else if (digits == 3)
        year += 1900;
    SKIP_CFWS();
    if (take_number(s, len, &i, &hour, 2) == 0 || DIGIT_AT(i))
        EXPECTED(EXPECTED_TIME);
    SKIP_CFWS();
    if (i >= len || s[i++] != ':')
        EXPECTED(EXPECTED_TIME);
    SKIP_CFWS();
    if (take_number(s, len, &i, &minute, 2) != 2 || DIGIT_AT(i))
        EXPECTED(EXPECTED_TIME);
    SKIP_CFWS();
    if (i < len && s[i] == ':') {
        i++;
        SKIP_CFWS();
        if (take_number(s, len, &i, &second, 2) != 2 || DIGIT_AT(i))
            EXPECTED("expected seconds after HH:MM:");
        SKIP_CFWS();
    }
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1;
        i++;
        int64_t hhmm;
        if (take_number(s, len, &i, &hhmm, 4) != 4 || DIGIT_AT(i))
            REFUSE("expected a zone like +0100");
        if (hhmm % 100 > 59 || hhmm / 100 > 23)
            REFUSE("impossible zone offset (hours 00-23, minutes 00-59)");
        offset = sign * (int)(hhmm / 100 * 60 + hhmm % 100);
        if (sign < 0 && hhmm == 0)
            known = false; /* "-0000": the time is UTC, the local zone unknown */
    } else if ((n = take_alpha(s, len, i)) > 0) {
        if (!named_zone(s + i, n, &offset)) {
            offset = 0;     /* military letters and other names: unknown */
            known = false;
        }
    } else {
        known = false; /* no zone at all (or a comment left open where it would be) */
    }
    /* Whatever follows a complete date is not part of it and is ignored:
     * old mailers wrote "-0500 EST" and "MET DST". */
    if (day < 1 || day > tc_days_in_month(year, month))
        REFUSE("impossible date (no such day in that month)");
    if (hour > 23 || minute > 59 || second > 60)
        REFUSE("impossible time (hours 00-23, minutes and seconds 00-59)");
    if (second == 60)
        second = 59; /* a leap second: the model has none; keep the minute as written */
    if (out)
        *out = tc_date_from_fields(year, month, (int)day, (int)hour, (int)minute,
                                   (int)second, offset);
    if (zone_known)
        *zone_known = known;
    return TC_OK;
}
