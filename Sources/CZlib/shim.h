#ifndef KMSAUDIT_CZLIB_SHIM_H
#define KMSAUDIT_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 and deflateInit2 are C macros, which Swift cannot call: wrap them. */
static inline int kmsaudit_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2_(strm, windowBits, ZLIB_VERSION, (int)sizeof(z_stream));
}
static inline int kmsaudit_deflateInit2(z_streamp strm, int level, int windowBits) {
    return deflateInit2_(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                         ZLIB_VERSION, (int)sizeof(z_stream));
}
#endif
