#ifndef KMSAUDIT_CSQLITESETUP_H
#define KMSAUDIT_CSQLITESETUP_H

/* Process-wide SQLite settings only sqlite3_config can make; it is variadic, which Swift cannot
   call. Turns SQLite's memory statistics off: with them on (Debian's build), every allocation
   SQLite makes takes a global mutex. Must run before SQLite initialises; returns non-zero
   (and changes nothing) after. */
int kmsaudit_sqlite_disable_memstatus(void);

#endif
