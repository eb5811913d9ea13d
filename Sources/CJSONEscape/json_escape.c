// JSON string escaping for the jsonl renderer: UTF-8 validation and the escaped copy, 16 bytes at a time where the
// text is plain ASCII (SSE2 on x86_64, 8-byte words elsewhere), one character at a time around the bytes that need
// work.

#include "CJSONEscape.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define KOS_JSON_SSE2 1
#include <emmintrin.h>
#endif

/// Length of the valid UTF-8 sequence that starts with the non-ASCII byte at `p[i]`, or 0 when it is invalid
/// (overlong forms, surrogates and code points above U+10FFFF included).
static size_t utf8_sequence_length(const uint8_t *p, size_t n, size_t i) {
    uint8_t b0 = p[i];
#define CONT(k) (i + (k) < n && (p[i + (k)] & 0xC0) == 0x80)
#define IN(k, lo, hi) (i + (k) < n && p[i + (k)] >= (lo) && p[i + (k)] <= (hi))
    if (b0 >= 0xC2 && b0 <= 0xDF) return CONT(1) ? 2 : 0;
    if (b0 == 0xE0) return IN(1, 0xA0, 0xBF) && CONT(2) ? 3 : 0;
    if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) return CONT(1) && CONT(2) ? 3 : 0;
    if (b0 == 0xED) return IN(1, 0x80, 0x9F) && CONT(2) ? 3 : 0;
    if (b0 == 0xF0) return IN(1, 0x90, 0xBF) && CONT(2) && CONT(3) ? 4 : 0;
    if (b0 >= 0xF1 && b0 <= 0xF3) return CONT(1) && CONT(2) && CONT(3) ? 4 : 0;
    if (b0 == 0xF4) return IN(1, 0x80, 0x8F) && CONT(2) && CONT(3) ? 4 : 0;
#undef CONT
#undef IN
    return 0;
}

/// Extra bytes the escape of one ASCII byte adds.
static long ascii_extra(uint8_t b) {
    switch (b) {
    case '"': case '\\': case '\b': case '\f': case '\n': case '\r': case '\t':
        return 1;
    default:
        return b < 0x20 ? 5 : 0;
    }
}

long kos_json_escape_measure(const uint8_t *src, size_t n) {
    long extra = 0;
    size_t i = 0;
    while (i < n) {
#if KOS_JSON_SSE2
        if (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
            if (_mm_movemask_epi8(v) == 0) {
                // ASCII: signed comparison is exact below 0x80.
                int controls = _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
                if (controls == 0) {
                    int specials = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
                    extra += __builtin_popcount((unsigned)specials);
                    i += 16;
                    continue;
                }
            }
        }
#endif
        uint8_t b = src[i];
        if (b < 0x80) {
            extra += ascii_extra(b);
            i += 1;
        } else {
            size_t len = utf8_sequence_length(src, n, i);
            if (len == 0) return -1;
            i += len;
        }
    }
    return extra;
}

static const char hex_digits[] = "0123456789abcdef";

/// Writes the escape of the ASCII byte `b` at `dst`; returns the bytes written.
static size_t write_escape(uint8_t b, uint8_t *dst) {
    char second = 0;
    switch (b) {
    case '"': second = '"'; break;
    case '\\': second = '\\'; break;
    case '\b': second = 'b'; break;
    case '\f': second = 'f'; break;
    case '\n': second = 'n'; break;
    case '\r': second = 'r'; break;
    case '\t': second = 't'; break;
    default: break;
    }
    if (second) {
        dst[0] = '\\';
        dst[1] = (uint8_t)second;
        return 2;
    }
    if (b < 0x20) {
        dst[0] = '\\';
        dst[1] = 'u';
        dst[2] = '0';
        dst[3] = '0';
        dst[4] = (uint8_t)hex_digits[b >> 4];
        dst[5] = (uint8_t)hex_digits[b & 0xF];
        return 6;
    }
    dst[0] = b;
    return 1;
}

void kos_json_escape_write(const uint8_t *src, size_t n, uint8_t *dst) {
    size_t i = 0, o = 0;
#if KOS_JSON_SSE2
    const __m128i limit = _mm_set1_epi8(0x1F);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i));
        // Unsigned v <= 0x1F, or a quote, or a backslash (non-ASCII bytes are copied as they are).
        __m128i controls = _mm_cmpeq_epi8(_mm_max_epu8(v, limit), limit);
        int mask = _mm_movemask_epi8(_mm_or_si128(controls, _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                                             _mm_cmpeq_epi8(v, backslash))));
        // A full 16-byte store stays inside dst: o - i is at most the extra bytes written so far.
        _mm_storeu_si128((__m128i *)(dst + o), v);
        if (mask == 0) {
            i += 16;
            o += 16;
            continue;
        }
        unsigned k = (unsigned)__builtin_ctz((unsigned)mask);
        i += k;
        o += k;
        o += write_escape(src[i], dst + o);
        i += 1;
    }
#endif
    while (i < n) {
        uint8_t b = src[i];
        if (b < 0x20 || b == '"' || b == '\\') {
            o += write_escape(b, dst + o);
        } else {
            dst[o++] = b;
        }
        i += 1;
    }
}
