#ifndef KAFKA_OSS_SINK_CJSONESCAPE_H
#define KAFKA_OSS_SINK_CJSONESCAPE_H

#include <stddef.h>
#include <stdint.h>

/// Checks that `src[0..<n]` is valid UTF-8 and returns how many bytes escaping it as the contents of a JSON string
/// adds (`"` and `\` become two bytes, the other control characters below 0x20 two or six), or -1 when it is not
/// valid UTF-8. Non-ASCII text is copied as it is.
long kos_json_escape_measure(const uint8_t *src, size_t n);

/// Writes the escaped form of `src[0..<n]` (which `kos_json_escape_measure` accepted, reporting `extra`) to
/// `dst[0..<n + extra]`: `\"`, `\\`, `\b \f \n \r \t`, `\u00XX` for other control characters, everything else as it is.
void kos_json_escape_write(const uint8_t *src, size_t n, uint8_t *dst);

#endif
