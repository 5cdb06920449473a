/*
 * test_date.c - calendar arithmetic, UK civil time and ISO 8601 dates.
 *
 * Expected values are literals worked out independently of the code under
 * test (by hand from the calendar, cross-checked against Python's datetime
 * and zoneinfo Europe/London when the tests were written).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- calendar */

START_TEST(days_from_civil_known)
{
    ck_assert_int_eq(tc_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(tc_days_from_civil(1969, 12, 31), -1);
    ck_assert_int_eq(tc_days_from_civil(2000, 3, 1), 11017);
    ck_assert_int_eq(tc_days_from_civil(2021, 2, 4), 18662);
    ck_assert_int_eq(tc_days_from_civil(1600, 1, 1), -135140);
    ck_assert_int_eq(tc_days_from_civil(2400, 2, 29), 157113);
    ck_assert_int_eq(tc_days_from_civil(1, 1, 1), -719162);
    ck_assert_int_eq(tc_days_from_civil(9999, 12, 31), 2932896);
}
END_TEST

START_TEST(days_in_month_and_leap_years)
{
    ck_assert_int_eq(tc_days_in_month(2024, 2), 29); /* 2024-02-29 exists */
    ck_assert_int_eq(tc_days_in_month(2023, 2), 28); /* 2023-02-29 does not */
    ck_assert_int_eq(tc_days_in_month(2000, 2), 29); /* divisible by 400 */
    ck_assert_int_eq(tc_days_in_month(2100, 2), 28); /* divisible by 100 only */
    ck_assert_int_eq(tc_days_in_month(1900, 2), 28);
    ck_assert_int_eq(tc_days_in_month(0, 2), 29);
    ck_assert_int_eq(tc_days_in_month(-4, 2), 29);
    ck_assert_int_eq(tc_days_in_month(-1, 2), 28);
    ck_assert_int_eq(tc_days_in_month(2023, 1), 31);
    ck_assert_int_eq(tc_days_in_month(2023, 4), 30);
    ck_assert_int_eq(tc_days_in_month(2023, 9), 30);
    ck_assert_int_eq(tc_days_in_month(2023, 12), 31);
    ck_assert_int_eq(tc_days_in_month(2023, 0), 0);
    ck_assert_int_eq(tc_days_in_month(2023, 13), 0);
    ck_assert_int_eq(tc_days_in_month(2023, -1), 0);
}
END_TEST

START_TEST(weekdays)
{
    ck_assert_int_eq(tc_weekday(1970, 1, 1), 4);   /* Thursday */
    ck_assert_int_eq(tc_weekday(2021, 2, 4), 4);   /* Thu 04-Feb-21 */
    ck_assert_int_eq(tc_weekday(2021, 2, 5), 5);   /* Fri */
    ck_assert_int_eq(tc_weekday(2021, 2, 14), 0);  /* Sun */
    ck_assert_int_eq(tc_weekday(2000, 3, 1), 3);   /* Wednesday */
    ck_assert_int_eq(tc_weekday(2000, 1, 1), 6);   /* Saturday */
    ck_assert_int_eq(tc_weekday(2024, 2, 29), 4);  /* Thursday */
    ck_assert_int_eq(tc_weekday(2025, 10, 26), 0); /* Sunday, clocks went back */
    ck_assert_int_eq(tc_weekday(2025, 10, 27), 1); /* Monday */
    ck_assert_int_eq(tc_weekday(1969, 12, 31), 3);
    ck_assert_int_eq(tc_weekday(1600, 1, 1), 6);
    ck_assert_int_eq(tc_weekday(1, 1, 1), 1);
}
END_TEST

/* Every day from 1600 to 2400: consecutive day numbers, weekdays cycling,
 * and tc_date_to_fields undoing tc_date_from_fields. */
START_TEST(calendar_consistency)
{
    int64_t expect = tc_days_from_civil(1600, 1, 1);
    int wd = tc_weekday(1600, 1, 1);
    for (int64_t y = 1600; y <= 2400; y++) {
        for (int m = 1; m <= 12; m++) {
            int dim = tc_days_in_month(y, m);
            for (int d = 1; d <= dim; d++) {
                /* plain comparisons: a Check assertion per day is slow */
                tc_date t = tc_date_from_fields(y, m, d, 13, 7, 9, -90);
                int64_t yy;
                int mm, dd, h, mi, s;
                tc_date_to_fields(t, &yy, &mm, &dd, &h, &mi, &s);
                if (tc_days_from_civil(y, m, d) != expect || tc_weekday(y, m, d) != wd ||
                    yy != y || mm != m || dd != d || h != 13 || mi != 7 || s != 9)
                    ck_abort_msg("%d-%02d-%02d: day %lld (expected %lld), weekday %d "
                                 "(expected %d), fields back %lld-%02d-%02d %02d:%02d:%02d",
                                 (int)y, m, d, (long long)tc_days_from_civil(y, m, d),
                                 (long long)expect, tc_weekday(y, m, d), wd, (long long)yy,
                                 mm, dd, h, mi, s);
                expect++;
                wd = (wd + 1) % 7;
            }
        }
    }
}
END_TEST

/* ---------------------------------------------------------------- fields */

START_TEST(from_and_to_fields)
{
    tc_date d = tc_date_from_fields(2021, 2, 4, 21, 33, 59, 0);
    ck_assert(d.present);
    ck_assert_int_eq(d.utc, 1612474439);
    ck_assert_int_eq(d.offset_min, 0);

    d = tc_date_from_fields(2021, 6, 4, 21, 33, 59, -330);
    ck_assert_int_eq(d.utc, 1622862239);
    ck_assert_int_eq(d.offset_min, -330);

    d = tc_date_from_fields(1970, 1, 1, 0, 0, 0, 0);
    ck_assert_int_eq(d.utc, 0);
    d = tc_date_from_fields(1970, 1, 1, 0, 0, 0, 60);
    ck_assert_int_eq(d.utc, -3600);

    /* Before the epoch the local fields still come back exactly. */
    tc_date e = {.utc = -1, .offset_min = 0, .present = true};
    int64_t y;
    int mo, da, h, mi, s;
    tc_date_to_fields(e, &y, &mo, &da, &h, &mi, &s);
    ck_assert_int_eq(y, 1969);
    ck_assert_int_eq(mo, 12);
    ck_assert_int_eq(da, 31);
    ck_assert_int_eq(h, 23);
    ck_assert_int_eq(mi, 59);
    ck_assert_int_eq(s, 59);

    /* The offset moves the wall clock across midnight and the year end. */
    tc_date f = {.utc = 1704067199, .offset_min = 60, .present = true}; /* 2023-12-31T23:59:59Z */
    tc_date_to_fields(f, &y, &mo, &da, &h, &mi, &s);
    ck_assert_int_eq(y, 2024);
    ck_assert_int_eq(mo, 1);
    ck_assert_int_eq(da, 1);
    ck_assert_int_eq(h, 0);
    ck_assert_int_eq(mi, 59);
    ck_assert_int_eq(s, 59);

    /* NULL out-pointers are allowed. */
    tc_date_to_fields(f, NULL, NULL, &da, NULL, NULL, NULL);
    ck_assert_int_eq(da, 1);
}
END_TEST

/* ---------------------------------------------------------------- UK time */

static void check_uk(int64_t y, int mo, int d, int h, int mi, int s, int64_t utc,
                     int offset_min, int note)
{
    int n = -1;
    tc_date t = tc_date_from_uk_civil(y, mo, d, h, mi, s, &n);
    ck_assert_msg(t.present, "date not present");
    ck_assert_msg(t.utc == utc && t.offset_min == offset_min && n == note,
                  "%04d-%02d-%02d %02d:%02d:%02d: got utc %lld offset %d note %d, "
                  "expected utc %lld offset %d note %d",
                  (int)y, mo, d, h, mi, s, (long long)t.utc, t.offset_min, n,
                  (long long)utc, offset_min, note);
}

START_TEST(uk_spring_2021)
{
    /* Last Sunday of March 2021 was the 28th. */
    check_uk(2021, 3, 28, 0, 59, 59, 1616893199, 0, 0);  /* still GMT */
    check_uk(2021, 3, 28, 1, 30, 0, 1616895000, 0, 2);   /* never shown: GMT, note 2 */
    check_uk(2021, 3, 28, 1, 0, 0, 1616893200, 0, 2);
    check_uk(2021, 3, 28, 1, 59, 59, 1616896799, 0, 2);
    check_uk(2021, 3, 28, 2, 0, 0, 1616893200, 60, 0);   /* BST */
    check_uk(2021, 3, 27, 12, 0, 0, 1616846400, 0, 0);   /* day before */
    check_uk(2021, 2, 4, 21, 33, 59, 1612474439, 0, 0);  /* winter */
}
END_TEST

START_TEST(uk_autumn_2025)
{
    /* Last Sunday of October 2025 was the 26th. */
    check_uk(2025, 10, 26, 0, 30, 0, 1761435000, 60, 0);  /* BST */
    check_uk(2025, 10, 26, 1, 30, 0, 1761438600, 60, 1);  /* shown twice: first (BST), note 1 */
    check_uk(2025, 10, 26, 1, 0, 0, 1761436800, 60, 1);
    check_uk(2025, 10, 26, 1, 59, 59, 1761440399, 60, 1);
    check_uk(2025, 10, 26, 2, 0, 0, 1761444000, 0, 0);    /* GMT again */
    check_uk(2025, 10, 26, 2, 30, 0, 1761445800, 0, 0);
    check_uk(2025, 10, 27, 8, 0, 0, 1761552000, 0, 0);
    /* Spring 2025: the 30th. */
    check_uk(2025, 3, 30, 2, 30, 0, 1743298200, 60, 0);
    check_uk(2025, 3, 30, 0, 30, 0, 1743294600, 0, 0);
}
END_TEST

START_TEST(uk_other_years)
{
    /* 2019: 31 March, 27 October. */
    check_uk(2019, 3, 31, 2, 0, 0, 1553994000, 60, 0);
    check_uk(2019, 3, 31, 0, 59, 59, 1553993999, 0, 0);
    check_uk(2019, 10, 27, 2, 0, 0, 1572141600, 0, 0);
    check_uk(2019, 10, 27, 0, 59, 59, 1572134399, 60, 0);
    /* 2023: 26 March, 29 October. */
    check_uk(2023, 3, 26, 0, 59, 59, 1679792399, 0, 0);
    check_uk(2023, 3, 26, 1, 15, 0, 1679793300, 0, 2);
    check_uk(2023, 10, 29, 0, 59, 59, 1698537599, 60, 0);
    check_uk(2023, 10, 29, 1, 15, 0, 1698538500, 60, 1);
    /* 2024: 31 March, 27 October; a midsummer date and a leap day. */
    check_uk(2024, 7, 15, 12, 0, 0, 1721041200, 60, 0);
    check_uk(2024, 2, 29, 23, 59, 59, 1709251199, 0, 0);
    check_uk(2024, 3, 31, 2, 0, 0, 1711846800, 60, 0);
    check_uk(2024, 10, 27, 2, 0, 0, 1729994400, 0, 0);
    /* 2016: 27 March, 30 October. */
    check_uk(2016, 3, 27, 2, 0, 0, 1459040400, 60, 0);
    check_uk(2016, 10, 30, 1, 30, 0, 1477787400, 60, 1);

    /* note may be NULL */
    tc_date t = tc_date_from_uk_civil(2024, 7, 15, 12, 0, 0, NULL);
    ck_assert_int_eq(t.offset_min, 60);
}
END_TEST

START_TEST(uk_offset_at_transitions)
{
    ck_assert_int_eq(tc_uk_offset_at(1616893199), 0);    /* 2021-03-28T00:59:59Z */
    ck_assert_int_eq(tc_uk_offset_at(1616893200), 3600); /* 2021-03-28T01:00:00Z */
    ck_assert_int_eq(tc_uk_offset_at(1635641999), 3600); /* 2021-10-31T00:59:59Z */
    ck_assert_int_eq(tc_uk_offset_at(1635642000), 0);    /* 2021-10-31T01:00:00Z */
    ck_assert_int_eq(tc_uk_offset_at(1711846799), 0);    /* 2024-03-31T00:59:59Z */
    ck_assert_int_eq(tc_uk_offset_at(1711846800), 3600);
    ck_assert_int_eq(tc_uk_offset_at(1729990799), 3600); /* 2024-10-27T00:59:59Z */
    ck_assert_int_eq(tc_uk_offset_at(1729990800), 0);
    ck_assert_int_eq(tc_uk_offset_at(0), 0);             /* rule applied to 1970 too */
    ck_assert_int_eq(tc_uk_offset_at(1612474439), 0);
    ck_assert_int_eq(tc_uk_offset_at(1721041200), 3600);
    /* The ends of the range do not overflow. */
    (void)tc_uk_offset_at(INT64_MAX);
    (void)tc_uk_offset_at(INT64_MIN);
}
END_TEST

/* ---------------------------------------------------------------- ISO 8601 */

static void check_format(tc_date d, const char *expect)
{
    char out[TC_ISO_DATE_SIZE];
    memset(out, 'x', sizeof out);
    size_t n = tc_date_format_iso(d, out);
    ck_assert_str_eq(out, expect);
    ck_assert_uint_eq(n, strlen(expect));
}

START_TEST(format_iso)
{
    check_format((tc_date){.utc = 1612474439, .offset_min = 0, .present = true},
                 "2021-02-04T21:33:59+00:00");
    check_format((tc_date){.utc = 1622862239, .offset_min = -330, .present = true},
                 "2021-06-04T21:33:59-05:30");
    check_format((tc_date){.utc = 1761435000, .offset_min = 60, .present = true},
                 "2025-10-26T00:30:00+01:00");
    check_format((tc_date){.utc = 0, .offset_min = 0, .present = true},
                 "1970-01-01T00:00:00+00:00");
    check_format((tc_date){.utc = -1, .offset_min = 0, .present = true},
                 "1969-12-31T23:59:59+00:00");
    check_format((tc_date){.utc = 0, .offset_min = 1439, .present = true},
                 "1970-01-01T23:59:00+23:59");
    check_format((tc_date){.utc = 0, .offset_min = -1439, .present = true},
                 "1969-12-31T00:01:00-23:59");
    check_format((tc_date){.utc = 0, .offset_min = -45, .present = true},
                 "1969-12-31T23:15:00-00:45");
    /* year 0 and the expanded years */
    check_format((tc_date){.utc = -62167219200, .offset_min = 0, .present = true},
                 "0000-01-01T00:00:00+00:00");
    check_format((tc_date){.utc = -62167219201, .offset_min = 0, .present = true},
                 "-000001-12-31T23:59:59+00:00");
    check_format((tc_date){.utc = 253402300799, .offset_min = 0, .present = true},
                 "9999-12-31T23:59:59+00:00");
    check_format((tc_date){.utc = 253402300800, .offset_min = 0, .present = true},
                 "+010000-01-01T00:00:00+00:00");
    /* the extremes fit the buffer */
    char out[TC_ISO_DATE_SIZE];
    ck_assert_uint_lt(tc_date_format_iso((tc_date){.utc = INT64_MAX, .offset_min = 1439,
                                                   .present = true}, out), TC_ISO_DATE_SIZE);
    ck_assert_uint_lt(tc_date_format_iso((tc_date){.utc = INT64_MIN, .offset_min = -1439,
                                                   .present = true}, out), TC_ISO_DATE_SIZE);
}
END_TEST

static tc_date parse_ok(const char *s)
{
    tc_date d = {0};
    int rc = tc_date_parse_iso(s, strlen(s), &d);
    ck_assert_msg(rc == TC_OK, "\"%s\" was refused", s);
    ck_assert(d.present);
    return d;
}

START_TEST(parse_iso_valid)
{
    tc_date d = parse_ok("2021-02-04T21:33:59+00:00");
    ck_assert_int_eq(d.utc, 1612474439);
    ck_assert_int_eq(d.offset_min, 0);

    d = parse_ok("2021-02-04T21:33:59Z");
    ck_assert_int_eq(d.utc, 1612474439);
    ck_assert_int_eq(d.offset_min, 0);
    d = parse_ok("2021-02-04t21:33:59z");
    ck_assert_int_eq(d.utc, 1612474439);
    d = parse_ok("2021-02-04 21:33:59Z");
    ck_assert_int_eq(d.utc, 1612474439);
    d = parse_ok("2021-02-04T21:33:59.987654Z"); /* fraction dropped */
    ck_assert_int_eq(d.utc, 1612474439);
    d = parse_ok("2021-02-04T21:33:59,5+00:00");
    ck_assert_int_eq(d.utc, 1612474439);

    d = parse_ok("2021-06-04T21:33:59-05:30");
    ck_assert_int_eq(d.utc, 1622862239);
    ck_assert_int_eq(d.offset_min, -330);
    d = parse_ok("2025-10-26T00:30:00+01:00");
    ck_assert_int_eq(d.utc, 1761435000);
    ck_assert_int_eq(d.offset_min, 60);
    d = parse_ok("2021-02-04T21:33:59-00:00");
    ck_assert_int_eq(d.offset_min, 0);

    d = parse_ok("2024-02-29T23:59:59Z");
    ck_assert_int_eq(d.utc, 1709251199);
    d = parse_ok("2000-02-29T00:00:00Z");
    d = parse_ok("+010000-01-01T00:00:00+00:00");
    ck_assert_int_eq(d.utc, 253402300800);
    d = parse_ok("-000001-12-31T23:59:59+00:00");
    ck_assert_int_eq(d.utc, -62167219201);

    /* Only len bytes are read. */
    const char *longer = "2021-02-04T21:33:59+00:00 and more";
    ck_assert_int_eq(tc_date_parse_iso(longer, 25, &d), TC_OK);
    ck_assert_int_eq(d.utc, 1612474439);
}
END_TEST

START_TEST(parse_iso_round_trip)
{
    static const char *const samples[] = {
        "2021-02-04T21:33:59+00:00", "2021-06-04T21:33:59-05:30",
        "2025-10-26T01:30:00+01:00", "1969-12-31T23:59:59+00:00",
        "0000-01-01T00:00:00+00:00", "9999-12-31T23:59:59+14:00",
        "2024-02-29T12:00:00+05:45", "+010000-01-01T00:00:00+00:00",
        "-000001-12-31T23:59:59-01:00",
    };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        tc_date d = parse_ok(samples[i]);
        char out[TC_ISO_DATE_SIZE];
        tc_date_format_iso(d, out);
        ck_assert_str_eq(out, samples[i]);
    }
    /* and from dates: every 7777 seconds over some years, a few offsets */
    for (int64_t t = 1500000000; t < 1800000000; t += 7777 * 97) {
        for (int off = -720; off <= 840; off += 195) {
            tc_date d = {.utc = t, .offset_min = off, .present = true}, back;
            char out[TC_ISO_DATE_SIZE];
            size_t n = tc_date_format_iso(d, out);
            ck_assert_int_eq(tc_date_parse_iso(out, n, &back), TC_OK);
            ck_assert_int_eq(back.utc, t);
            ck_assert_int_eq(back.offset_min, off);
        }
    }
}
END_TEST

START_TEST(parse_iso_rejects)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "2021",
        "2021-02-04",
        "2021-02-04T21:33:59",          /* no zone */
        "2021-02-04T21:33Z",            /* no seconds */
        "2021-02-04T21:33:59+0000",     /* offset without colon */
        "2021-02-04T21:33:59+00",
        "2021-02-04T21:33:59+24:00",    /* offset hour */
        "2021-02-04T21:33:59+01:60",    /* offset minute */
        "2021-02-04T21:33:59Zjunk",
        "2021-02-04T21:33:59Z ",
        " 2021-02-04T21:33:59Z",
        "2021-02-04X21:33:59Z",
        "2021-2-04T21:33:59Z",
        "21-02-04T21:33:59Z",
        "20210204T213359Z",
        "2021-02-04T21:33:59.Z",        /* fraction without digits */
        "2021-02-30T00:00:00Z",         /* impossible dates and times */
        "2021-02-29T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2100-02-29T00:00:00Z",
        "2021-04-31T00:00:00Z",
        "2021-00-10T00:00:00Z",
        "2021-13-01T00:00:00Z",
        "2021-01-00T00:00:00Z",
        "2021-01-32T00:00:00Z",
        "2021-02-04T24:00:00Z",
        "2021-02-04T23:60:00Z",
        "2021-02-04T23:59:60Z",
        "2021-02-04T2a:00:00Z",
        "+21-02-04T21:33:59Z",          /* signed years need 4+ digits */
        "+1234567890123-01-01T00:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tc_date d = {0};
        ck_assert_msg(tc_date_parse_iso(bad[i], strlen(bad[i]), &d) == TC_ERR_DATA,
                      "\"%s\" was accepted", bad[i]);
    }
    /* A NUL inside the given length is not part of a date. */
    ck_assert_int_eq(tc_date_parse_iso("2021-02-04T21:33:59Z\0", 21, NULL), TC_ERR_DATA);
    /* len shorter than the date cuts it */
    ck_assert_int_eq(tc_date_parse_iso("2021-02-04T21:33:59Z", 19, NULL), TC_ERR_DATA);
    ck_assert_int_eq(tc_date_parse_iso(NULL, 0, NULL), TC_ERR_DATA);
}
END_TEST

static void expect_rfc(const char *text, const char *iso, bool known)
{
    tc_date d;
    bool zone_known = !known;
    char out[TC_ISO_DATE_SIZE];
    ck_assert_msg(tc_date_parse_rfc5322(text, strlen(text), &d, &zone_known, NULL) == TC_OK,
                  "rejected: %s", text);
    tc_date_format_iso(d, out);
    ck_assert_msg(strcmp(out, iso) == 0, "%s: got %s, expected %s", text, out, iso);
    ck_assert_msg(zone_known == known, "%s: zone_known %d", text, zone_known);
}

START_TEST(rfc5322_format)
{
    char out[TC_RFC5322_DATE_SIZE];
    tc_date d = tc_date_from_fields(2021, 2, 4, 21, 33, 59, 0);
    ck_assert_uint_eq(tc_date_format_rfc5322(d, out), 31);
    ck_assert_str_eq(out, "Thu, 04 Feb 2021 21:33:59 +0000");
    d = tc_date_from_fields(2021, 7, 12, 18, 5, 0, 60);
    tc_date_format_rfc5322(d, out);
    ck_assert_str_eq(out, "Mon, 12 Jul 2021 18:05:00 +0100");
    d = tc_date_from_fields(1999, 12, 31, 23, 59, 59, -330);
    tc_date_format_rfc5322(d, out);
    ck_assert_str_eq(out, "Fri, 31 Dec 1999 23:59:59 -0530");
}
END_TEST

START_TEST(rfc5322_parse_current_and_obsolete)
{
    expect_rfc("Thu, 04 Feb 2021 21:33:59 +0000", "2021-02-04T21:33:59+00:00", true);
    expect_rfc("Mon, 12 Jul 2021 18:05:00 +0100", "2021-07-12T18:05:00+01:00", true);
    expect_rfc("4 Feb 2021 21:33 -0530", "2021-02-04T21:33:00-05:30", true);
    /* obsolete forms (RFC 5322 section 4.3) */
    expect_rfc("Thu, 4 Feb 21 21:33:59 GMT", "2021-02-04T21:33:59+00:00", true);
    expect_rfc("Wed, 9 Feb 00 22:02:01 EST", "2000-02-09T22:02:01-05:00", true);
    expect_rfc("Fri, 31 Mar 99 17:01:17 PDT", "1999-03-31T17:01:17-07:00", true);
    expect_rfc("Fri, 31 Mar 099 17:01:17 +0000", "1999-03-31T17:01:17+00:00", true);
    expect_rfc(" Thu (a comment (nested)) ,\r\n 04 Feb\t2021 21 : 33 : 59 +0000 (UTC) ",
               "2021-02-04T21:33:59+00:00", true);
    expect_rfc("Thu 04 Feb 2021 21:33:59 +0000", "2021-02-04T21:33:59+00:00", true);
    /* unknown zones: the time is UTC, and the caller is told */
    expect_rfc("Thu, 04 Feb 2021 21:33:59 -0000", "2021-02-04T21:33:59+00:00", false);
    expect_rfc("Thu, 04 Feb 2021 21:33:59 MET", "2021-02-04T21:33:59+00:00", false);
    expect_rfc("Thu, 04 Feb 2021 21:33:59 A", "2021-02-04T21:33:59+00:00", false);
    expect_rfc("Thu, 04 Feb 2021 21:33:59", "2021-02-04T21:33:59+00:00", false);
    /* forms seen in real mailboxes */
    expect_rfc("Thu, 4-Feb-2021 21:33:59 +0000", "2021-02-04T21:33:59+00:00", true);
    expect_rfc("Thu, 04 Feb 2021 21:33:59 UTC", "2021-02-04T21:33:59+00:00", true);
    expect_rfc("Thu, 21 Jul 2005 09:10:36 -0400 EDT", "2005-07-21T09:10:36-04:00", true);
    expect_rfc("Tue, 8 Jul 2000 10:27 MET DST", "2000-07-08T10:27:00+00:00", false);
    expect_rfc("Sat, 31 Dec 2016 23:59:60 +0000", "2016-12-31T23:59:59+00:00", true);
    expect_rfc("Mon, 1 Jan 101 12:00:00 EST", "2001-01-01T12:00:00-05:00", true);
    /* what the mbox reader met in real mailboxes (its tests, before it used
     * this parser) */
    expect_rfc("Fri, 9 Jun 2006 00:44:16 -0700", "2006-06-09T00:44:16-07:00", true);
    expect_rfc("Wed,  1 Jun 2016 22:00:54 +0200", "2016-06-01T22:00:54+02:00", true);
    expect_rfc("Thu, 21 Jul 2005 09:10:36 -0400 (EDT)", "2005-07-21T09:10:36-04:00", true);
    expect_rfc("4 Feb 2021 21:33 -0000", "2021-02-04T21:33:00+00:00", false);
    expect_rfc("Fri, 9 Jun 06 00:44:16 PDT", "2006-06-09T00:44:16-07:00", true);
    expect_rfc("(comment) Thu , 04 Feb 2021 21 : 33 : 59 +0530", "2021-02-04T21:33:59+05:30", true);
    expect_rfc("Thu, 04 Feb 2021 21:33:59 *0000", "2021-02-04T21:33:59+00:00", false);
    /* a comment left open after a complete date swallows only the zone */
    expect_rfc("Thu, 04 Feb 2021 21:33:59 (EDT", "2021-02-04T21:33:59+00:00", false);
    expect_rfc("Thu, 04 Feb 2021 21:33 (unclosed", "2021-02-04T21:33:00+00:00", false);
    expect_rfc("Thu, 04 Feb 2021 21:33:59 +0100 (CET", "2021-02-04T21:33:59+01:00", true);
    /* the usual form, which is read at fixed places (see below) */
    expect_rfc("Mon, 29 Feb 2016 23:59:59 -1130", "2016-02-29T23:59:59-11:30", true);
    expect_rfc("sun, 01 jan 2012 00:00:00 +2359", "2012-01-01T00:00:00+23:59", true);
    expect_rfc("SUN, 01 JAN 2012 00:00:00 +0000", "2012-01-01T00:00:00+00:00", true);
    expect_rfc("Sat, 31 Dec 2016 23:59:60 -0000", "2016-12-31T23:59:59+00:00", false);
    expect_rfc("Thu, 04 Feb 2021 21:33:59 +0000 (UTC)", "2021-02-04T21:33:59+00:00", true);
    expect_rfc("Thu, 04 Feb 2021 21:33:59 -0800x", "2021-02-04T21:33:59-08:00", true);
}
END_TEST

START_TEST(rfc5322_rejects)
{
    /* each with the reason a user is shown */
    static const struct { const char *text, *why; } bad[] = {
        {"", "expected a date like \"Thu, 04 Feb 2021 21:33:59 +0000\""},
        {"yesterday", "expected a date like \"Thu, 04 Feb 2021 21:33:59 +0000\""},
        {"Blursday, 04 Feb 2021 21:33:59 +0000",
         "expected a date like \"Thu, 04 Feb 2021 21:33:59 +0000\""},
        {"2021-02-04T21:33:59Z", "expected a date like \"Thu, 04 Feb 2021 21:33:59 +0000\""},
        {"Thu, 31 Feb 2021 21:33:59 +0000", "impossible date (no such day in that month)"},
        {"Thu, 04 Foo 2021 21:33:59 +0000", "expected a month name (Jan..Dec)"},
        {"Thu, 04 February 2021 21:33:59 +0000", "expected a month name (Jan..Dec)"},
        {"Thu, 04 Feb 2021 24:00:00 +0000",
         "impossible time (hours 00-23, minutes and seconds 00-59)"},
        {"Thu, 04 Feb 2021 21:60:00 +0000",
         "impossible time (hours 00-23, minutes and seconds 00-59)"},
        {"Thu, 04 Feb 2021 21:33:61 +0000",
         "impossible time (hours 00-23, minutes and seconds 00-59)"},
        {"Thu, 04 Feb 2021 21:33:59 +2400", "impossible zone offset (hours 00-23, minutes 00-59)"},
        {"Thu, 04 Feb 2021 21:33:59 +0099", "impossible zone offset (hours 00-23, minutes 00-59)"},
        {"Thu, 04 Feb 2021 21:33:59 +01", "expected a zone like +0100"},
        {"Thu, 04 Feb 2021 21:33:59 +01000", "expected a zone like +0100"},
        {"Thu, 04 Feb 2021 (unclosed 21:33:59 +0000", "unclosed comment: expected ')'"},
        {"Thu, 04 Feb 2 21:33:59 +0000", "expected a year"},
        {"Thu, 04 Feb 20210 21:33:59 +0000", "expected a year"},
        {"Thu, 04 Feb 2021 21:33:5 +0000", "expected seconds after HH:MM:"},
        {"Thu, 04 Feb 2021 noon", "expected a time HH:MM[:SS]"},
        /* numbers that go on are not what was expected */
        {"Thu, 004 Feb 2021 21:33:59 +0000",
         "expected a date like \"Thu, 04 Feb 2021 21:33:59 +0000\""},
        {"Thu, 04 Feb 2021 213:33:59 +0000", "expected a time HH:MM[:SS]"},
        {"Thu, 04 Feb 2021 21:335 +0000", "expected a time HH:MM[:SS]"},
        {"Thu, 04 Feb 2021 21:33:590 +0000", "expected seconds after HH:MM:"},
        /* a comment left open before the date is complete */
        {"(Thu, 04 Feb 2021 21:33:59 +0000", "unclosed comment: expected ')'"},
        {"Thu, 04 Feb 2021 21:(33:59 +0000", "unclosed comment: expected ')'"},
        /* ... but a complete date is checked as usual */
        {"Thu, 31 Feb 2021 21:33:59 (x", "impossible date (no such day in that month)"},
        {"Thu, 04 Feb 2021 21:61:00 (x", "impossible time (hours 00-23, minutes and seconds 00-59)"},
        /* shaped like the usual form, refused by the general reading */
        {"Mon, 29 Feb 2015 10:00:00 +0000", "impossible date (no such day in that month)"},
        {"Mon, 00 Feb 2015 10:00:00 +0000", "impossible date (no such day in that month)"},
        {"Thx, 04 Feb 2021 21:33:59 +0000",
         "expected a date like \"Thu, 04 Feb 2021 21:33:59 +0000\""},
        {"Thu, 04 Fex 2021 21:33:59 +0000", "expected a month name (Jan..Dec)"},
        {"Thu, 04 Feb 2021 21:33:5x +0000", "expected seconds after HH:MM:"},
        {"Thu, 04 Feb 2021 21:33:59 +00001", "expected a zone like +0100"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        tc_date d;
        const char *why = NULL;
        ck_assert_msg(tc_date_parse_rfc5322(bad[k].text, strlen(bad[k].text), &d, NULL, &why) ==
                          TC_ERR_DATA, "accepted: %s", bad[k].text);
        ck_assert_msg(why && strcmp(why, bad[k].why) == 0, "%s: reason \"%s\", expected \"%s\"",
                      bad[k].text, why ? why : "(none)", bad[k].why);
    }
}
END_TEST

/* The usual form ("Thu, 04 Feb 2021 21:33:59 +0000") is read at fixed
 * places, the rest by the general reading; a leading space sends the same
 * text to the general reading, which must answer alike: date, zone and
 * reason. */
static void same_as_general(const char *text)
{
    char spaced[64];
    size_t n = strlen(text);
    ck_assert_uint_lt(n + 1, sizeof spaced);
    spaced[0] = ' ';
    memcpy(spaced + 1, text, n + 1);
    tc_date a = {0}, b = {0};
    bool ka = true, kb = true;
    const char *wa = NULL, *wb = NULL;
    int ra = tc_date_parse_rfc5322(text, n, &a, &ka, &wa);
    int rb = tc_date_parse_rfc5322(spaced, n + 1, &b, &kb, &wb);
    ck_assert_msg(ra == rb, "%s: %d, general reading %d", text, ra, rb);
    if (ra == TC_OK)
        ck_assert_msg(a.utc == b.utc && a.offset_min == b.offset_min && ka == kb, "%s", text);
    else
        ck_assert_msg(strcmp(wa, wb) == 0, "%s: \"%s\", general reading \"%s\"", text, wa, wb);
}

START_TEST(rfc5322_usual_form)
{
    static const char *const texts[] = {
        "Thu, 04 Feb 2021 21:33:59 +0000", "Mon, 29 Feb 2016 23:59:59 -1130",
        "sun, 01 jan 2012 00:00:00 +2359", "Sat, 31 Dec 2016 23:59:60 -0000",
        "Fri, 31 Dec 9999 23:59:59 -0001", "Thu, 01 Jan 0000 00:00:00 +0000",
        "Thu, 04 Feb 2021 21:33:59 +0000 (UTC)", "Thu, 04 Feb 2021 21:33:59 -0500 EST",
        "Thu, 04 Feb 2021 21:33:59 +00001", "Mon, 29 Feb 2015 10:00:00 +0000",
        "Mon, 00 Feb 2015 10:00:00 +0000", "Thu, 32 Jan 2021 21:33:59 +0000",
        "Thu, 04 Feb 2021 24:00:00 +0000", "Thu, 04 Feb 2021 21:60:00 +0000",
        "Thu, 04 Feb 2021 21:33:61 +0000", "Thu, 04 Feb 2021 21:33:59 +2400",
        "Thu, 04 Feb 2021 21:33:59 +0060", "Thx, 04 Feb 2021 21:33:59 +0000",
        "Thu, 04 Fex 2021 21:33:59 +0000", "Thu, 04 Feb 2021 21:33:5x +0000",
        "Thu, 04 Feb 2O21 21:33:59 +0000", "Thu, 04 Feb 2021 21:33:59 *0000",
        "T@u, 04 Feb 2021 21:33:59 +0000", "Thu, 04 F\xc5" "b 2021 21:33:59 +0000",
        "Thu, 4  Feb 2021 21:33:59 +0000", "Thu, 04 Feb 2021 21:33:59 +000",
    };
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++)
        same_as_general(texts[k]);
    /* and every instant, in a few offsets, as tc_date_format_rfc5322 writes it */
    char text[TC_RFC5322_DATE_SIZE];
    for (int64_t t = -86400LL * 365 * 70; t < 86400LL * 365 * 80; t += 86400LL * 31 + 7919) {
        tc_date d = {.utc = t, .offset_min = (int)(t % 1439), .present = true};
        tc_date_format_rfc5322(d, text);
        same_as_general(text);
        text[26] = '-';
        memcpy(text + 27, "0000", 4);
        same_as_general(text);
    }
}
END_TEST

START_TEST(rfc5322_round_trip)
{
    char text[TC_RFC5322_DATE_SIZE];
    static const int offsets[] = {0, 60, -300, 330, 765, -720};
    for (int64_t t = -86400LL * 365 * 30; t < 86400LL * 365 * 60; t += 86400LL * 97 + 3613) {
        for (size_t k = 0; k < sizeof offsets / sizeof *offsets; k++) {
            tc_date d = {.utc = t, .offset_min = offsets[k], .present = true}, back;
            size_t n = tc_date_format_rfc5322(d, text);
            bool known;
            ck_assert_int_eq(tc_date_parse_rfc5322(text, n, &back, &known, NULL), TC_OK);
            ck_assert(known);
            ck_assert_msg(back.utc == d.utc && back.offset_min == d.offset_min, "%s", text);
        }
    }
}
END_TEST

static Suite *date_suite(void)
{
    Suite *s = suite_create("date");
    TCase *tc = tcase_create("calendar");
    tcase_add_test(tc, days_from_civil_known);
    tcase_add_test(tc, days_in_month_and_leap_years);
    tcase_add_test(tc, weekdays);
    tcase_add_test(tc, calendar_consistency);
    tcase_add_test(tc, from_and_to_fields);
    tcase_add_test(tc, rfc5322_format);
    tcase_add_test(tc, rfc5322_parse_current_and_obsolete);
    tcase_add_test(tc, rfc5322_rejects);
    tcase_add_test(tc, rfc5322_usual_form);
    tcase_add_test(tc, rfc5322_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("uk");
    tcase_add_test(tc, uk_spring_2021);
    tcase_add_test(tc, uk_autumn_2025);
    tcase_add_test(tc, uk_other_years);
    tcase_add_test(tc, uk_offset_at_transitions);
    suite_add_tcase(s, tc);

    tc = tcase_create("iso");
    tcase_add_test(tc, format_iso);
    tcase_add_test(tc, parse_iso_valid);
    tcase_add_test(tc, parse_iso_round_trip);
    tcase_add_test(tc, parse_iso_rejects);
    suite_add_tcase(s, tc);
    return s;
}


int main(void)
{
    SRunner *sr = srunner_create(date_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
