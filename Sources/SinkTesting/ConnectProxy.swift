import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP proxy on 127.0.0.1 that only tunnels (`CONNECT host:port`), like the egress proxies in front
/// of OSS: it answers `200 Connection Established` and relays bytes both ways. It records every CONNECT target
/// and the `Proxy-Authorization` header, so a test can prove its traffic went through it.
///
/// Blocking sockets on threads of its own, so it never competes with the cooperative pool of the test.
public final class ConnectProxy: Sendable {
    public let port: Int
    private let listener: Int32
    private let seen = Mutex<(targets: [String], authorizations: [String])>(([], []))
    private let stopped = Mutex(false)

    /// Binds a free loopback port and starts accepting.
    public init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ConnectProxyError(description: "socket failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            close(listener)
            throw ConnectProxyError(description: "bind/listen failed: errno \(errno)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: actual.sin_port))
        self.listener = listener
        let proxy = self
        Thread { proxy.acceptLoop() }.start()
    }

    /// `host:port` of every CONNECT so far, in order.
    public var targets: [String] { seen.withLock { $0.targets } }
    /// The `Proxy-Authorization` values received.
    public var authorizations: [String] { seen.withLock { $0.authorizations } }

    /// Stops accepting (tunnels already open end with their connections).
    public func stop() {
        guard !stopped.withLock({ value in defer { value = true }; return value }) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private func acceptLoop() {
        while !stopped.withLock({ $0 }) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread { [self] in self.serve(client) }.start()
        }
    }

    private func serve(_ client: Int32) {
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while !head.ends(with: [13, 10, 13, 10]) {
            guard recv(client, &byte, 1, 0) == 1, head.count < 16_384 else { close(client); return }
            head.append(byte)
        }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let request = lines[0].split(separator: " ")
        guard request.count >= 2, request[0] == "CONNECT" else {
            reply(client, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            close(client)
            return
        }
        let target = String(request[1])
        let authorization = lines.first { $0.lowercased().hasPrefix("proxy-authorization:") }
            .map { String($0.dropFirst("proxy-authorization:".count)).trimmingCharacters(in: .whitespaces) }
        seen.withLock {
            $0.targets.append(target)
            if let authorization { $0.authorizations.append(authorization) }
        }
        guard let colon = target.lastIndex(of: ":"), let targetPort = UInt16(target[target.index(after: colon)...]) else {
            reply(client, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
            close(client)
            return
        }
        let host = String(target[..<colon]) == "localhost" ? "127.0.0.1" : String(target[..<colon])
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(targetPort.bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            reply(client, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n")
            close(client)
            close(upstream)
            return
        }
        reply(client, "HTTP/1.1 200 Connection Established\r\n\r\n")
        let done = Mutex(0)
        for (from, to) in [(client, upstream), (upstream, client)] {
            Thread {
                var buffer = [UInt8](repeating: 0, count: 16_384)
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    var sent = 0
                    while sent < n {
                        let m = buffer.withUnsafeBytes { send(to, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                        if m <= 0 { break }
                        sent += m
                    }
                    if sent < n { break }
                }
                shutdown(to, Int32(SHUT_WR))
                let finished = done.withLock { count -> Bool in
                    count += 1
                    return count == 2
                }
                if finished {
                    close(client)
                    close(upstream)
                }
            }.start()
        }
    }

    private func reply(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

public struct ConnectProxyError: Error, CustomStringConvertible {
    public var description: String
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
