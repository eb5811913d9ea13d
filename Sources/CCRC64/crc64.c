// CRC-64/XZ (OSS x-oss-hash-crc64ecma): slicing-by-8 tables everywhere, and on x86_64 CPUs with PCLMULQDQ a
// carry-less multiplication folding kernel (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
// Instruction", 2009, bit-reflected variant).
//
// Notation for the reflected domain: a 64-bit register R stands for the polynomial whose x^(63-i) coefficient is bit
// i of R; a 128-bit register loaded little-endian from 16 message bytes stands for the polynomial whose x^(127-i)
// coefficient is bit i, so its low qword L holds the high-degree half: X = L·x^64 + H. The CRC register after a
// message M with initial register I is (I·x^|M| + M)·x^64 mod P, P = x^64 + ECMA-182.

#include "CCRC64.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define KOS_CRC64_X86 1
#include <immintrin.h>
#endif

/// Reflected ECMA-182 polynomial (x^64 term implied).
#define KOS_CRC64_POLY UINT64_C(0xC96C5795D7870F42)

/// Eight 256-entry tables: table[k][b] is the contribution of byte b seen k bytes before the end of an 8-byte word.
static uint64_t table[8][256];
static int use_clmul;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static uint64_t load_le64(const unsigned char *p) {
    uint64_t word;
    memcpy(&word, p, sizeof word);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    return word;
}

/// Table kernel on the inverted register `value` (no init/xorout applied here).
static uint64_t crc64_table(uint64_t value, const unsigned char *p, size_t n) {
    while (n >= 8) {
        uint64_t word = load_le64(p) ^ value;
        value = table[7][word & 0xFF] ^ table[6][(word >> 8) & 0xFF] ^ table[5][(word >> 16) & 0xFF]
            ^ table[4][(word >> 24) & 0xFF] ^ table[3][(word >> 32) & 0xFF] ^ table[2][(word >> 40) & 0xFF]
            ^ table[1][(word >> 48) & 0xFF] ^ table[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        value = table[0][(value ^ *p) & 0xFF] ^ (value >> 8);
        p++;
        n--;
    }
    return value;
}

#ifdef KOS_CRC64_X86

#define KOS_CLMUL __attribute__((target("pclmul,sse4.1")))

// Folding constants. Multiplying two reflected 64-bit registers with PCLMULQDQ yields the product times x^-1 (bit i
// of the 128-bit result holds the x^(126-i) coefficient), so moving a qword forward by n bits uses x^(n-1) mod P.
// Folding a 128-bit lane X = L·x^64 + H forward by D bits: X·x^D ≡ L·(x^(D+63) mod P)·x + H·(x^(D-1) mod P)·x.
// Each pair is { low qword: x^(D+63) mod P, high qword: x^(D-1) mod P }, bit-reflected; generated once with a
// polynomial-arithmetic script and checked against the table kernel by the tests.
#define K_1024_LO UINT64_C(0x8757D71D4FCC1000)  // x^1087 mod P: 8 lanes (128 bytes) forward
#define K_1024_HI UINT64_C(0xD7D86B2AF73DE740)  // x^1023 mod P
#define K_896_LO UINT64_C(0x9E735CB59B4724DA)  // x^959 mod P: lane 0 of 8 onto lane 7
#define K_896_HI UINT64_C(0x947874DE595052CB)  // x^895 mod P
#define K_768_LO UINT64_C(0x2FE3FD2920CE82EC)  // x^831 mod P: lane 1 onto lane 7
#define K_768_HI UINT64_C(0xE4CE2CD55FEA0037)  // x^767 mod P
#define K_640_LO UINT64_C(0x2E30203212CAC325)  // x^703 mod P: lane 2 onto lane 7
#define K_640_HI UINT64_C(0x0E31D519421A63A5)  // x^639 mod P
#define K_512_LO UINT64_C(0x6AE3EFBB9DD441F3)  // x^575 mod P: lane 3 onto lane 7
#define K_512_HI UINT64_C(0x081F6054A7842DF4)  // x^511 mod P
#define K_384_LO UINT64_C(0xB5EA1AF9C013ACA4)  // x^447 mod P: lane 4 onto lane 7
#define K_384_HI UINT64_C(0x69A35D91C3730254)  // x^383 mod P
#define K_256_LO UINT64_C(0x60095B008A9EFA44)  // x^319 mod P: lane 5 onto lane 7
#define K_256_HI UINT64_C(0x3BE653A30FE1AF51)  // x^255 mod P
#define K_128_LO UINT64_C(0xE05DD497CA393AE4)  // x^191 mod P: one lane (16 bytes) forward
#define K_128_HI UINT64_C(0xDABE95AFC7875F40)  // x^127 mod P; also L·x^128 in the final 128 → 64 step
// Barrett reduction constants, each the x^64..x^1 coefficients of a degree-64 polynomial, bit-reflected (bit j holds
// x^(64-j)); with that layout the low qword of a PCLMULQDQ product is the quotient by x^64 directly, and the x^0
// terms are either irrelevant (mu: it only touches degrees below 64) or added explicitly (P: q·1 = q).
#define K_MU UINT64_C(0x9C3E466C172963D5)  // mu = floor(x^128 / P) = 0x1578D29D06CC4F872 (normal form)
#define K_P UINT64_C(0x92D8AF2BAF0E1E85)  // P = x^64 + 0x42F0E1EBA9EA3693 (normal form)

/// X·x^D for a lane X, with `k` = { x^(D+63) mod P, x^(D-1) mod P }.
KOS_CLMUL static inline __m128i fold(__m128i x, __m128i k) {
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

KOS_CLMUL static inline __m128i load_lane(const unsigned char *p) {
    return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/// Folding kernel on the inverted register `value`; needs n >= 16 and returns the inverted register.
KOS_CLMUL static uint64_t crc64_clmul(uint64_t value, const unsigned char *p, size_t n) {
    __m128i acc;
    if (n >= 128) {
        // Eight independent 16-byte lanes, each folded 128 bytes forward per round.
        __m128i x0 = _mm_xor_si128(load_lane(p), _mm_cvtsi64_si128((long long)value));
        __m128i x1 = load_lane(p + 16), x2 = load_lane(p + 32), x3 = load_lane(p + 48);
        __m128i x4 = load_lane(p + 64), x5 = load_lane(p + 80), x6 = load_lane(p + 96), x7 = load_lane(p + 112);
        p += 128;
        n -= 128;
        const __m128i k1024 = _mm_set_epi64x((long long)K_1024_HI, (long long)K_1024_LO);
        while (n >= 128) {
            x0 = _mm_xor_si128(fold(x0, k1024), load_lane(p));
            x1 = _mm_xor_si128(fold(x1, k1024), load_lane(p + 16));
            x2 = _mm_xor_si128(fold(x2, k1024), load_lane(p + 32));
            x3 = _mm_xor_si128(fold(x3, k1024), load_lane(p + 48));
            x4 = _mm_xor_si128(fold(x4, k1024), load_lane(p + 64));
            x5 = _mm_xor_si128(fold(x5, k1024), load_lane(p + 80));
            x6 = _mm_xor_si128(fold(x6, k1024), load_lane(p + 96));
            x7 = _mm_xor_si128(fold(x7, k1024), load_lane(p + 112));
            p += 128;
            n -= 128;
        }
        // Lane i lies (7 - i)·128 bits before lane 7: fold all seven onto it.
        acc = _mm_xor_si128(x7, fold(x0, _mm_set_epi64x((long long)K_896_HI, (long long)K_896_LO)));
        acc = _mm_xor_si128(acc, fold(x1, _mm_set_epi64x((long long)K_768_HI, (long long)K_768_LO)));
        acc = _mm_xor_si128(acc, fold(x2, _mm_set_epi64x((long long)K_640_HI, (long long)K_640_LO)));
        acc = _mm_xor_si128(acc, fold(x3, _mm_set_epi64x((long long)K_512_HI, (long long)K_512_LO)));
        acc = _mm_xor_si128(acc, fold(x4, _mm_set_epi64x((long long)K_384_HI, (long long)K_384_LO)));
        acc = _mm_xor_si128(acc, fold(x5, _mm_set_epi64x((long long)K_256_HI, (long long)K_256_LO)));
        acc = _mm_xor_si128(acc, fold(x6, _mm_set_epi64x((long long)K_128_HI, (long long)K_128_LO)));
    } else {
        acc = _mm_xor_si128(load_lane(p), _mm_cvtsi64_si128((long long)value));
        p += 16;
        n -= 16;
    }
    const __m128i k128 = _mm_set_epi64x((long long)K_128_HI, (long long)K_128_LO);
    while (n >= 16) {
        acc = _mm_xor_si128(fold(acc, k128), load_lane(p));
        p += 16;
        n -= 16;
    }
    // The register is acc·x^64 mod P. With acc = L·x^64 + H: y = L·(x^127 mod P)·x + H·x^64 ≡ acc·x^64, deg y < 128.
    __m128i y = _mm_xor_si128(_mm_clmulepi64_si128(acc, k128, 0x10), _mm_srli_si128(acc, 8));
    // Barrett: y = Yh·x^64 + Yl, q = floor(Yh·mu / x^64), y mod P = Yl + (q·P mod x^64) = Yl + q + (q·(P - 1) mod x^64).
    const __m128i barrett = _mm_set_epi64x((long long)K_P, (long long)K_MU);
    __m128i quotient = _mm_clmulepi64_si128(y, barrett, 0x00);
    uint64_t q = (uint64_t)_mm_cvtsi128_si64(quotient);
    __m128i product = _mm_clmulepi64_si128(quotient, barrett, 0x10);
    value = (uint64_t)_mm_extract_epi64(y, 1) ^ q ^ (uint64_t)_mm_extract_epi64(product, 1);
    // Bytes after the last whole lane.
    return n > 0 ? crc64_table(value, p, n) : value;
}

#endif  // KOS_CRC64_X86

static void crc64_init(void) {
    for (unsigned n = 0; n < 256; n++) {
        uint64_t crc = n;
        for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (crc >> 1) ^ KOS_CRC64_POLY : crc >> 1;
        table[0][n] = crc;
    }
    for (int k = 1; k < 8; k++) {
        for (unsigned n = 0; n < 256; n++) table[k][n] = (table[k - 1][n] >> 8) ^ table[0][table[k - 1][n] & 0xFF];
    }
#ifdef KOS_CRC64_X86
    __builtin_cpu_init();
    use_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
#endif
}

/// Inputs shorter than this take the table kernel: below it the folding set-up and reduction cost more than they save.
#define KOS_CRC64_CLMUL_MIN 64

uint64_t kos_crc64_xz_update(uint64_t crc, const void *data, size_t length) {
    if (length == 0) return crc;
    pthread_once(&init_once, crc64_init);
    const unsigned char *p = data;
    uint64_t value = ~crc;
#ifdef KOS_CRC64_X86
    if (use_clmul && length >= KOS_CRC64_CLMUL_MIN) {
        // Table up to a 16-byte boundary, so no lane load straddles a cache line.
        size_t head = (size_t)(-(uintptr_t)p & 15);
        if (head > 0) {
            value = crc64_table(value, p, head);
            p += head;
            length -= head;
        }
        return ~crc64_clmul(value, p, length);
    }
#endif
    return ~crc64_table(value, p, length);
}

int kos_crc64_xz_is_accelerated(void) {
    pthread_once(&init_once, crc64_init);
    return use_clmul;
}
