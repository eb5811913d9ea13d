public import Foundation

/// A private CA and a server certificate it signed for `localhost` and `127.0.0.1`, made with the openssl CLI
/// (P-256 keys, valid for two days) in a directory of the test's: what an internal OSS endpoint or a
/// TLS-inspecting proxy would present.
public struct TestCertificates: Sendable {
    /// The CA certificate (PEM): what `oss.ca_file` names.
    public let caFile: String
    /// The server's certificate (PEM), then the CA's: what the emulator's `--tls-cert` names.
    public let certificateChainFile: String
    /// The server's private key (PEM): what `--tls-key` names.
    public let keyFile: String

    /// Makes the files under `directory` (created when missing), named with `prefix`.
    /// - Throws: ``TestCertificatesError`` with openssl's output when a step fails (openssl is installed by
    ///   scripts/install-deps.sh).
    public static func make(in directory: URL, prefix: String = "test", commonName: String = "kafka-oss-sink test CA")
        throws -> TestCertificates
    {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ name: String) -> String { directory.appendingPathComponent("\(prefix)-\(name)").path }
        let extensions = path("server.ext")
        try """
            subjectAltName=DNS:localhost,IP:127.0.0.1
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth

            """.write(toFile: extensions, atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2",
                     "-subj", "/CN=\(commonName)",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try openssl(["req"] + ec + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"])
        try openssl(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                     "-CAcreateserial", "-out", path("server.pem"), "-days", "2", "-extfile", extensions])
        let chain = try String(contentsOfFile: path("server.pem"), encoding: .utf8)
            + String(contentsOfFile: path("ca.pem"), encoding: .utf8)
        try chain.write(toFile: path("chain.pem"), atomically: true, encoding: .utf8)
        return TestCertificates(caFile: path("ca.pem"), certificateChainFile: path("chain.pem"), keyFile: path("server.key"))
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestCertificatesError(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus)): \(text)")
        }
    }
}

public struct TestCertificatesError: Error, CustomStringConvertible {
    public var description: String
}
