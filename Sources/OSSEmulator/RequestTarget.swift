import OSSSigning

/// Bucket, key and query of a request, decoded from the request target and the Host header
/// (oss-protocol.md §4): virtual-hosted when the first label of the host names an existing bucket and the host
/// is not an IP literal, otherwise path-style (`/<bucket>/<key>`).
struct RequestTarget: Sendable, Equatable {
    var bucket: String?
    /// Decoded key; nil for bucket- and service-level requests.
    var key: String?
    /// Decoded query items in wire order (`+` decodes to a space).
    var query: [OSSQueryItem]
    /// The raw path as received (before decoding).
    var rawPath: String

    func queryValue(_ name: String) -> String?? {
        guard let item = query.first(where: { $0.name == name }) else { return nil }
        return .some(item.value)
    }

    func has(_ name: String) -> Bool { query.contains { $0.name == name } }

    enum ParseError: Error, Equatable {
        case malformedPercentEncoding(String)
    }

    /// Parses `target` (path plus optional query) as received; `host` is the Host header (may carry a port).
    static func parse(target: String, host: String?, bucketExists: (String) -> Bool) throws(ParseError) -> RequestTarget {
        let rawPath: Substring
        let rawQuery: Substring?
        if let mark = target.firstIndex(of: "?") {
            rawPath = target[..<mark]
            rawQuery = target[target.index(after: mark)...]
        } else {
            rawPath = Substring(target)
            rawQuery = nil
        }
        guard let path = OSSPercentEncoding.decode(String(rawPath)) else {
            throw .malformedPercentEncoding(String(rawPath))
        }
        var query: [OSSQueryItem] = []
        if let rawQuery {
            for part in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
                let name: Substring
                let value: Substring?
                if let equals = part.firstIndex(of: "=") {
                    name = part[..<equals]
                    value = part[part.index(after: equals)...]
                } else {
                    name = part
                    value = nil
                }
                guard let decodedName = OSSPercentEncoding.decode(String(name), plusAsSpace: true) else {
                    throw .malformedPercentEncoding(String(name))
                }
                var decodedValue: String?
                if let value {
                    guard let decoded = OSSPercentEncoding.decode(String(value), plusAsSpace: true) else {
                        throw .malformedPercentEncoding(String(value))
                    }
                    decodedValue = decoded
                }
                query.append(OSSQueryItem(name: decodedName, value: decodedValue))
            }
        }

        var relative = Substring(path)
        if relative.hasPrefix("/") { relative = relative.dropFirst() }
        if let bucket = virtualHostedBucket(host: host, bucketExists: bucketExists) {
            return RequestTarget(bucket: bucket, key: relative.isEmpty ? nil : String(relative), query: query, rawPath: String(rawPath))
        }
        if relative.isEmpty {
            return RequestTarget(bucket: nil, key: nil, query: query, rawPath: String(rawPath))
        }
        if let slash = relative.firstIndex(of: "/") {
            let key = relative[relative.index(after: slash)...]
            return RequestTarget(
                bucket: String(relative[..<slash]), key: key.isEmpty ? nil : String(key), query: query, rawPath: String(rawPath)
            )
        }
        return RequestTarget(bucket: String(relative), key: nil, query: query, rawPath: String(rawPath))
    }

    /// The bucket named by the first label of `host` when the request is virtual-hosted.
    static func virtualHostedBucket(host: String?, bucketExists: (String) -> Bool) -> String? {
        guard var host, !host.isEmpty, !host.hasPrefix("[") else { return nil }
        if let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        guard let dot = host.firstIndex(of: ".") else { return nil }
        if host.allSatisfy({ $0.isNumber || $0 == "." }) { return nil }
        let label = String(host[..<dot])
        return bucketExists(label) ? label : nil
    }
}
