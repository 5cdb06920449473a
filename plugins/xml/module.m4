dnl plugins/xml/module.m4 - the xml module's configure checks: libxml2.
dnl Without it the module is left out of the build, with a message.
PKG_CHECK_MODULES([LIBXML2], [libxml-2.0 >= 2.9], [tc_module_xml=yes],
  [tc_module_xml=no
   AC_MSG_WARN([libxml2 >= 2.9 not found: the xml module is not built (apt-get install libxml2-dev)])])
AM_CONDITIONAL([MODULE_XML], [test "$tc_module_xml" = yes])
