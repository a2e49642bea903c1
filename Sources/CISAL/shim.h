#ifndef KMSAUDIT_CISAL_SHIM_H
#define KMSAUDIT_CISAL_SHIM_H
/* Intel ISA-L's inflate (Debian: libisal-dev): the same DEFLATE streams as zlib, decoded about
   twice as fast on these machines (2.3 GB/s against 1.0 GB/s on CloudTrail JSON). */
#include <isa-l/igzip_lib.h>
#endif
