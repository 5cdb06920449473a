# plugins/xml/local.mk - build rules for the xml plugin and its tests,
# included by the top-level Makefile.am (paths are relative to the top).

XML_PLUGIN_SOURCES = plugins/xml/xml.h plugins/xml/xml.c plugins/xml/reader.c \
	plugins/xml/writer.c

pkglib_LTLIBRARIES += plugins/xml/xml.la
plugins_xml_xml_la_SOURCES = $(XML_PLUGIN_SOURCES)
plugins_xml_xml_la_CFLAGS = $(AM_CFLAGS) $(LIBXML2_CFLAGS)
plugins_xml_xml_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_xml_xml_la_LIBADD = core/libthreadconv.la $(LIBXML2_LIBS)

# The RELAX NG schema every document the writer writes validates against.
dist_pkgdata_DATA += doc/threadconv.rng

# The plugin is unit-tested by linking its sources directly; the mumsnet
# reader it round-trips through is loaded from the build tree by dlopen.
check_PROGRAMS += tests/test_xml
tests_test_xml_SOURCES = tests/test_xml.c tests/testutil.c tests/testutil.h \
	$(XML_PLUGIN_SOURCES)
tests_test_xml_CFLAGS = $(TEST_CFLAGS) $(LIBXML2_CFLAGS)
tests_test_xml_LDADD = $(TEST_LIBS) $(LIBXML2_LIBS)

TESTS += tests/xml.sh
EXTRA_DIST += tests/xml.sh
