#ifndef KOS_CCRC64_H
#define KOS_CCRC64_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Continues the CRC-64/XZ `crc` (reflected ECMA-182 polynomial 0xC96C5795D7870F42, init and xorout all ones) over
/// `length` bytes at `data`, and returns the new CRC.
///
/// `kos_crc64_xz_update(0, data, length)` is the CRC of those bytes, and a running CRC is continued by passing it back
/// in: `update(update(0, a), b) == update(0, a‖b)`. A zero `length` returns `crc` unchanged (`data` may then be
/// NULL). Any alignment of `data` is accepted. Thread-safe; the first call builds the lookup tables and picks the
/// kernel (PCLMULQDQ folding on x86_64 CPUs that have it, slicing-by-8 tables otherwise).
uint64_t kos_crc64_xz_update(uint64_t crc, const void *data, size_t length);

/// 1 when `kos_crc64_xz_update` uses the carry-less multiplication kernel on this CPU, 0 when it uses tables only.
int kos_crc64_xz_is_accelerated(void);

#ifdef __cplusplus
}
#endif

#endif
