import Foundation

/// One page of a bucket listing (ListObjects V1 and V2), computed from the sorted records. Pure.
struct ListingPage: Sendable, Equatable {
    /// Where a listing resumes: strictly after `key`, and past every key under it when it was a common prefix.
    struct Marker: Sendable, Equatable {
        var key: String
        var isCommonPrefix: Bool
    }

    var contents: [OSSObjectRecord] = []
    var commonPrefixes: [String] = []
    var isTruncated = false
    /// Set when truncated: the last item returned.
    var next: Marker?

    /// - Parameters:
    ///   - records: all records of the bucket, sorted by UTF-8 bytes of the key.
    ///   - after: return only keys after this marker.
    static func make(
        records: [OSSObjectRecord],
        prefix: String,
        delimiter: String,
        after: Marker?,
        maxKeys: Int
    ) -> ListingPage {
        var page = ListingPage()
        var count = 0
        var lastPrefix: String?
        for record in records {
            let key = record.key
            if let after {
                if !after.key.utf8.lexicographicallyPrecedes(key.utf8) { continue }
                if after.isCommonPrefix, key.hasPrefixBytes(after.key) { continue }
            }
            guard key.hasPrefixBytes(prefix) else { continue }
            var commonPrefix: String?
            if !delimiter.isEmpty {
                let rest = key.utf8.dropFirst(prefix.utf8.count)
                if let range = Substring(rest).range(of: delimiter) {
                    commonPrefix = prefix + String(Substring(rest)[..<range.upperBound])
                }
            }
            if let commonPrefix, commonPrefix == lastPrefix { continue }
            if count == maxKeys {
                page.isTruncated = true
                return page
            }
            if let commonPrefix {
                page.commonPrefixes.append(commonPrefix)
                lastPrefix = commonPrefix
                page.next = Marker(key: commonPrefix, isCommonPrefix: true)
            } else {
                page.contents.append(record)
                page.next = Marker(key: key, isCommonPrefix: false)
            }
            count += 1
        }
        page.next = nil
        return page
    }
}

extension ListingPage.Marker {
    /// Opaque continuation token: `k` or `p` followed by the hex of the marker's UTF-8 bytes.
    var token: String {
        (isCommonPrefix ? "p" : "k") + key.utf8.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    init?(token: String) {
        guard let kind = token.first, kind == "k" || kind == "p" else { return nil }
        let hex = Array(token.utf8.dropFirst())
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < hex.count {
            guard let byte = UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            index += 2
        }
        guard let key = String(validating: bytes, as: UTF8.self) else { return nil }
        self.init(key: key, isCommonPrefix: kind == "p")
    }
}

extension String {
    /// Byte-wise prefix test (String.hasPrefix compares by characters, which differs for combining marks).
    func hasPrefixBytes(_ prefix: String) -> Bool {
        utf8.starts(with: prefix.utf8)
    }
}
