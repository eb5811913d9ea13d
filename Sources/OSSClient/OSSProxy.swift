import Foundation

/// An HTTP proxy that OSS requests go through (`CONNECT host:port`, then TLS to OSS inside the tunnel).
public struct OSSProxy: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Basic credentials for the proxy (`http://user:password@host:port`).
    public var username: String?
    public var password: String?

    public init(host: String, port: Int, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    /// Parses `http://[user:password@]host:port` (the scheme may be left out; the port defaults to 80).
    ///
    /// - Parameter origin: what to name in the error (`oss.proxy`, `HTTPS_PROXY`).
    /// - Throws: ``OSSError`` `.invalidConfiguration` naming `origin` and the expected form.
    public init(parsing text: String, origin: String) throws(OSSError) {
        func invalid(_ why: String) -> OSSError {
            OSSError(code: .invalidConfiguration,
                     message: "\(origin) '\(Self.withoutPassword(text))' is not a proxy URL (\(why)); write it as http://host:port")
        }
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if let range = rest.range(of: "://") {
            let scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "http" else { throw invalid("only http:// proxies are supported, found \(scheme)://") }
            rest = rest[range.upperBound...]
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/") else { throw invalid("it must not contain a path") }
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            username = parts[0].removingPercentEncoding ?? String(parts[0])
            password = parts.count > 1 ? (parts[1].removingPercentEncoding ?? String(parts[1])) : nil
        }
        var hostPart = rest
        var portNumber = 80
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else { throw invalid("bad port") }
                portNumber = number
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else { throw invalid("bad port") }
            portNumber = number
        }
        guard !hostPart.isEmpty else { throw invalid("missing host") }
        host = hostPart.lowercased()
        port = portNumber
    }

    /// `http://host:port` (credentials never shown).
    public var description: String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The proxy for requests to `endpoint`.
    ///
    /// - `configured` (`oss.proxy`) wins when set; `none` (or an empty value) means no proxy, whatever the
    ///   environment says.
    /// - Otherwise the environment, as curl reads it: `https_proxy`/`HTTPS_PROXY` for an https endpoint,
    ///   `http_proxy`/`HTTP_PROXY` for http, unless `no_proxy`/`NO_PROXY` lists the endpoint's host.
    /// - Throws: ``OSSError`` `.invalidConfiguration` for a proxy URL that cannot be used.
    public static func resolve(
        configured: String?, endpoint: OSSEndpoint, environment: [String: String]
    ) throws(OSSError) -> OSSProxy? {
        if let configured {
            let trimmed = configured.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.lowercased() == "none" { return nil }
            return try OSSProxy(parsing: trimmed, origin: "oss.proxy")
        }
        let names = endpoint.scheme == "https" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"]
        guard let name = names.first(where: { !(environment[$0] ?? "").isEmpty }), let value = environment[name] else {
            return nil
        }
        let noProxy = environment["no_proxy"] ?? environment["NO_PROXY"] ?? ""
        if bypasses(host: endpoint.host, port: endpoint.port, noProxy: noProxy) { return nil }
        return try OSSProxy(parsing: value, origin: name)
    }

    /// Whether `no_proxy` lists `host`: `*` lists every host; an entry matches the host itself and its
    /// subdomains (`example.com` and `.example.com` both match `oss.example.com`); an entry with `:port`
    /// matches that port only.
    public static func bypasses(host: String, port: Int?, noProxy: String) -> Bool {
        let host = host.lowercased()
        for raw in noProxy.split(separator: ",") {
            var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry.isEmpty { continue }
            if entry == "*" { return true }
            if let colon = entry.lastIndex(of: ":"), !entry.contains("]"), entry.filter({ $0 == ":" }).count == 1 {
                let entryPort = Int(entry[entry.index(after: colon)...])
                if let entryPort, let port, entryPort != port { continue }
                entry = String(entry[..<colon])
            }
            if entry.hasPrefix("[") && entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
            if entry.hasPrefix("*.") { entry.removeFirst() }
            let domain = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            if host == domain || host.hasSuffix("." + domain) { return true }
        }
        return false
    }

    private static func withoutPassword(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.range(of: "://")?.upperBound ?? text.startIndex
        return String(text[..<start]) + "***@" + String(text[text.index(after: at)...])
    }
}
