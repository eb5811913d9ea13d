import Crypto
import Synchronization

/// Remembers the last V4 signing key: the key depends only on the secret, the UTC day, the region and the product,
/// and deriving it is four HMAC-SHA256 computations, which a client would otherwise repeat for every request.
///
/// One entry: a different secret (rotated credentials), day, region or product derives and replaces it. The secret
/// is kept only to compare it with the next one and is never printed.
public final class OSSSigningKeyCache: Sendable {
    private struct Entry {
        let secret: String
        let day: String
        let region: String
        let product: String
        let key: SymmetricKey
    }

    private let last = Mutex<Entry?>(nil)
    private let derived = Atomic<Int>(0)

    public init() {}

    /// Keys derived so far (each miss derives one).
    public var derivedKeys: Int { derived.load(ordering: .relaxed) }

    func key(accessKeySecret: String, day: String, region: String, product: String) -> SymmetricKey {
        if let hit = last.withLock({ entry -> SymmetricKey? in
            guard let entry, entry.day == day, entry.region == region, entry.product == product,
                  entry.secret == accessKeySecret else { return nil }
            return entry.key
        }) {
            return hit
        }
        let key = OSSSignerV4.deriveSigningKey(accessKeySecret: accessKeySecret, day: day, region: region, product: product)
        derived.add(1, ordering: .relaxed)
        last.withLock { $0 = Entry(secret: accessKeySecret, day: day, region: region, product: product, key: key) }
        return key
    }
}
