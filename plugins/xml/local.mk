# plugins/xml/local.mk - build rules for the xml plugin and its tests,
# included by the top-level Makefile.am (paths are relative to the top).
