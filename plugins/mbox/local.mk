# plugins/mbox/local.mk - build rules for the mbox plugin and its tests,
# included by the top-level Makefile.am (paths are relative to the top).
