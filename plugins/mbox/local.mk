# plugins/mbox/local.mk - build rules for the mbox plugin and its tests,
# included by the top-level Makefile.am (paths are relative to the top).

# mail.h, build.c and decode.c: what the mbox and maildir plugins share;
# MBOX_READER: the mbox reader (reader.h names each file's job).
MBOX_SHARED = plugins/mbox/mail.h plugins/mbox/build.c plugins/mbox/decode.c
MBOX_READER = plugins/mbox/reader.h plugins/mbox/header.c plugins/mbox/index.c \
	plugins/mbox/read.c plugins/mbox/mime.c plugins/mbox/store.c plugins/mbox/store.h

pkglib_LTLIBRARIES += plugins/mbox/mbox.la plugins/mbox/maildir.la

plugins_mbox_mbox_la_SOURCES = plugins/mbox/mbox.c $(MBOX_READER) $(MBOX_SHARED)
plugins_mbox_mbox_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_mbox_mbox_la_LIBADD = core/libthreadconv.la

plugins_mbox_maildir_la_SOURCES = plugins/mbox/maildir.c $(MBOX_SHARED)
plugins_mbox_maildir_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_mbox_maildir_la_LIBADD = core/libthreadconv.la

check_PROGRAMS += tests/test_mbox
tests_test_mbox_SOURCES = tests/test_mbox.c tests/testutil.c tests/testutil.h \
	plugins/mbox/mbox.c $(MBOX_READER) $(MBOX_SHARED)
# MBOX_WEAK_HASH: the reader's hashes of ids and subjects take four values
# only, so every threading test also shows that equal hashes never join
# different ids or subjects (index.c, str_hash)
tests_test_mbox_CFLAGS = $(TEST_CFLAGS) -DMBOX_WEAK_HASH
tests_test_mbox_LDADD = $(TEST_LIBS)

TESTS += tests/mbox.sh
EXTRA_DIST += tests/mbox.sh tests/mbox_check.py tests/mbox_gen.py tests/mbox.supp
