public import OSSSigning
import Foundation

/// A parsed endpoint and the addressing style derived from it; builds request URLs.
public struct OSSEndpoint: Sendable, Hashable {
    /// `http` or `https`.
    public var scheme: String
    /// Host without brackets (an IPv6 literal is stored bare).
    public var host: String
    public var port: Int?
    /// True when requests use `scheme://host/bucket/key`; false for `scheme://bucket.host/key`.
    public var pathStyle: Bool

    /// Parses `endpoint` (`https://oss-cn-hangzhou.aliyuncs.com`, `http://127.0.0.1:9000`, or a bare host taken as
    /// https). Path style is used when `pathStyle` is true or the host is an IP address literal.
    public init(parsing endpoint: String, pathStyle: Bool) throws(OSSError) {
        var rest = Substring(endpoint.trimmingSpaces())
        func invalid(_ why: String) -> OSSError {
            OSSError(
                code: .invalidConfiguration,
                message: "oss.endpoint '\(endpoint)' is not a valid endpoint URL (\(why)); "
                    + "write it as https://oss-<region>.aliyuncs.com or http://127.0.0.1:<port> for a local emulator"
            )
        }
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        } else {
            scheme = "https"
        }
        guard scheme == "http" || scheme == "https" else { throw invalid("scheme must be http or https") }
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[slash...]
            guard path.allSatisfy({ $0 == "/" }) else { throw invalid("it must not contain a path") }
            rest = rest[..<slash]
        }
        guard !rest.contains("@"), !rest.contains("?") else { throw invalid("it must not contain user info or a query") }
        var hostPart = rest
        var portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unterminated IPv6 literal") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { throw invalid("bad port") }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw invalid("missing host") }
        host = hostPart.lowercased()
        if let portPart {
            guard let number = Int(portPart), (1...65535).contains(number) else { throw invalid("bad port") }
            port = number
        }
        self.pathStyle = pathStyle || Self.isIPAddress(host)
    }

    /// `scheme://host[:port]` as configured.
    public var baseURL: String { "\(scheme)://\(authority(bucket: nil))" }

    /// The request URL for `bucket`/`key` with `query` (decoded items, encoded here in order).
    /// - Parameters:
    ///   - bucket: nil for service-level requests.
    ///   - key: nil for bucket-level requests.
    public func url(bucket: String?, key: String?, query: [OSSQueryItem] = []) -> String {
        var url = "\(scheme)://\(authority(bucket: pathStyle ? nil : bucket))/"
        if pathStyle, let bucket {
            url += bucket + "/"
        }
        if let key {
            url += OSSPercentEncoding.encode(key, keepSlash: true)
        }
        if !query.isEmpty {
            url += "?" + Self.encodeQuery(query)
        }
        return url
    }

    /// `name` or `name=value` pairs joined by `&`, RFC 3986 encoded (`/` encoded too).
    public static func encodeQuery(_ query: [OSSQueryItem]) -> String {
        query.map { item in
            let name = OSSPercentEncoding.encode(item.name, keepSlash: false)
            guard let value = item.value else { return name }
            return name + "=" + OSSPercentEncoding.encode(value, keepSlash: false)
        }.joined(separator: "&")
    }

    private func authority(bucket: String?) -> String {
        var hostText = host.contains(":") ? "[\(host)]" : host
        if let bucket { hostText = bucket + "." + hostText }
        if let port { hostText += ":\(port)" }
        return hostText
    }

    /// True for an IPv4 dotted quad or an IPv6 literal.
    public static func isIPAddress(_ host: String) -> Bool {
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" } }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                && (Int(part) ?? 256) <= 255
        }
    }

    /// The V4 signing region implied by an Alibaba Cloud endpoint host (`oss-cn-hangzhou.aliyuncs.com`,
    /// `oss-cn-hangzhou-internal.aliyuncs.com`, `cn-hangzhou.oss.aliyuncs.com`), or nil.
    public var impliedRegion: String? {
        guard host.hasSuffix(".aliyuncs.com") else { return nil }
        let first = host.split(separator: ".").first.map(String.init) ?? ""
        if first.hasPrefix("oss-") {
            var region = String(first.dropFirst(4))
            if region.hasSuffix("-internal") { region = String(region.dropLast(9)) }
            if region == "accelerate" || region == "accelerate-overseas" { return nil }
            return region.isEmpty ? nil : region
        }
        if host.hasSuffix(".oss.aliyuncs.com"), !first.isEmpty { return first }
        return nil
    }
}
