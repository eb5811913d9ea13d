import Foundation
import OSSSigning
import SinkTesting
import Testing

/// Compares our V4 and V1 Authorization headers (and, for cases with unique query names, V4 and V1 presigned
/// signatures) with the official Python SDK (`alibabacloud-oss-v2`) signers on deterministic random requests.
///
/// Runs `Tests/conformance/signing_sdk_sign.py` with `.venv/bin/python` (create it with
/// `bash scripts/setup-venv.sh`). Without the venv the test is skipped locally and fails when `CI=true`.
@Suite("Signing conformance with the official SDK")
struct SDKConformanceTests {
    static let caseCount = 600
    static let seed: UInt64 = 0x0055_5349_474E  // Fixed: the same requests on every run.

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = repositoryRoot.appendingPathComponent(".venv/bin/python")
    static let script = repositoryRoot.appendingPathComponent("Tests/conformance/signing_sdk_sign.py")
    static let venvExists = FileManager.default.isExecutableFile(atPath: python.path)
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"

    @Test(
        "V4 and V1 Authorization equal the SDK's for every generated request",
        .enabled(if: venvExists || isCI, "no .venv: run `bash scripts/setup-venv.sh` to enable")
    )
    func matchesSDK() throws {
        guard Self.venvExists else {
            Issue.record("CI=true but \(Self.python.path) is missing; run `bash scripts/setup-venv.sh` before the tests")
            return
        }
        var rng = SplitMix64(seed: Self.seed)
        let cases = (0..<Self.caseCount).map { _ in ConformanceCase.random(using: &rng) }
        let sdk = try runSDK(cases)
        try #require(sdk.results.count == cases.count, "SDK returned \(sdk.results.count) results for \(cases.count) requests")

        // Our sub-resource list must cover the SDK's (ours adds names from the protocol notes).
        let missing = Set(sdk.sdkV1Subresources).subtracting(OSSSignerV1.subresources)
        #expect(missing.isEmpty, "V1 sub-resources the SDK signs but we do not: \(missing.sorted())")

        var mismatches: [String] = []
        var v4Matches = 0
        var v1Matches = 0
        for (index, (testCase, expected)) in zip(cases, sdk.results).enumerated() {
            let credentials = testCase.credentials
            let date = Date(timeIntervalSince1970: TimeInterval(testCase.time))

            let v4Signer = OSSSignerV4(region: testCase.region, product: testCase.product)
            var v4Request = testCase.request
            v4Signer.sign(&v4Request, credentials: credentials, date: date, additionalHeaders: testCase.additionalHeaders)
            let v4 = v4Request.headers["authorization"] ?? "<none>"
            if v4 == expected.v4 {
                v4Matches += 1
            } else {
                let canonical = v4Signer.canonicalRequest(v4Request, additionalHeaders: testCase.additionalHeaders)
                mismatches.append("""
                    #\(index) V4 \(testCase.summary)
                      ours: \(v4)
                      sdk:  \(expected.v4)
                      our canonical request:
                    \(testCase.masked(canonical))
                      our string to sign: \(v4Signer.stringToSign(canonicalRequest: canonical, date: date).debugDescription)
                      sdk string to sign: \(expected.v4StringToSign.debugDescription)
                    """)
            }

            var v1Request = testCase.request
            OSSSignerV1().sign(&v1Request, credentials: credentials, date: date)
            let v1 = v1Request.headers["authorization"] ?? "<none>"
            if v1 == expected.v1 {
                v1Matches += 1
            } else {
                mismatches.append("""
                    #\(index) V1 \(testCase.summary)
                      ours: \(v1)
                      sdk:  \(expected.v1)
                      our string to sign: \(testCase.masked(OSSSignerV1().stringToSign(v1Request)).debugDescription)
                      sdk string to sign: \(testCase.masked(expected.v1StringToSign).debugDescription)
                    """)
            }
        }
        var presigned = 0
        var presignMatches = 0
        for (index, (testCase, expected)) in zip(cases, sdk.results).enumerated() {
            guard let expires = testCase.presignExpires else { continue }
            presigned += 1
            let date = Date(timeIntervalSince1970: TimeInterval(testCase.time))
            var v4Request = testCase.request
            OSSSignerV4(region: testCase.region, product: testCase.product).presign(
                &v4Request, credentials: testCase.credentials, date: date, expires: expires,
                additionalHeaders: testCase.additionalHeaders
            )
            var v1Request = testCase.request
            OSSSignerV1().presign(&v1Request, credentials: testCase.credentials,
                                  expiration: date.addingTimeInterval(TimeInterval(expires)))
            let v4 = v4Request.query.last { $0.name == "x-oss-signature" }?.value
            let v1 = v1Request.query.last { $0.name == "Signature" }?.value
            if v4 == expected.v4PresignSignature && v1 == expected.v1PresignSignature {
                presignMatches += 1
            } else {
                mismatches.append("""
                    #\(index) presign \(testCase.summary) expires=\(expires)
                      V4 ours: \(v4 ?? "<none>") sdk: \(expected.v4PresignSignature ?? "<none>")
                      V1 ours: \(v1 ?? "<none>") sdk: \(expected.v1PresignSignature ?? "<none>")
                    """)
            }
        }
        #expect(presigned >= 100, "only \(presigned) presigned cases were generated")
        print("signing conformance: \(cases.count) requests, V4 \(v4Matches) equal, V1 \(v1Matches) equal; "
            + "\(presigned) presigned, \(presignMatches) equal in V4 and V1")
        if !mismatches.isEmpty {
            Issue.record("""
                \(mismatches.count) of \(2 * cases.count) signatures differ from the SDK; first ones:
                \(mismatches.prefix(5).joined(separator: "\n"))
                """)
        }
    }

    private func runSDK(_ cases: [ConformanceCase]) throws -> SDKOutput {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("oss-signing-conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("requests.json")
        let output = directory.appendingPathComponent("signatures.json")
        try JSONEncoder().encode(SDKInput(v1Subresources: OSSSignerV1.subresources.sorted(), cases: cases)).write(to: input)

        let process = Process()
        process.executableURL = Self.python
        process.arguments = [Self.script.path, input.path, output.path]
        process.currentDirectoryURL = Self.repositoryRoot
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ConformanceError(message: "\(Self.script.lastPathComponent) exited with \(process.terminationStatus):\n\(errorText)")
        }
        return try JSONDecoder().decode(SDKOutput.self, from: Data(contentsOf: output))
    }
}

struct ConformanceError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

struct SDKInput: Encodable {
    var v1Subresources: [String]
    var cases: [ConformanceCase]

    enum CodingKeys: String, CodingKey {
        case v1Subresources = "v1_subresources"
        case cases
    }
}

struct SDKOutput: Decodable {
    struct Result: Decodable {
        var v4: String
        var v4StringToSign: String
        var v1: String
        var v1StringToSign: String
        var v4PresignSignature: String?
        var v1PresignSignature: String?

        enum CodingKeys: String, CodingKey {
            case v4
            case v4StringToSign = "v4_string_to_sign"
            case v1
            case v1StringToSign = "v1_string_to_sign"
            case v4PresignSignature = "v4_presign_signature"
            case v1PresignSignature = "v1_presign_signature"
        }
    }

    var sdkV1Subresources: [String]
    var results: [Result]

    enum CodingKeys: String, CodingKey {
        case sdkV1Subresources = "sdk_v1_subresources"
        case results
    }
}

/// One generated request, in the JSON shape signing_sdk_sign.py reads.
struct ConformanceCase: Encodable {
    var method: String
    var bucket: String?
    var key: String?
    var query: [[String?]]
    var headers: [[String]]
    var accessKeyId: String
    var accessKeySecret: String
    var securityToken: String?
    var time: Int64
    var region: String
    var product: String
    var additionalHeaders: [String]
    /// Validity of a presigned URL to compare, or nil when the case is not presigned.
    var presignExpires: Int?

    enum CodingKeys: String, CodingKey {
        case method, bucket, key, query, headers, time, region, product
        case presignExpires = "presign_expires"
        case accessKeyId = "access_key_id"
        case accessKeySecret = "access_key_secret"
        case securityToken = "security_token"
        case additionalHeaders = "additional_headers"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(method, forKey: .method)
        try container.encode(bucket, forKey: .bucket)  // Explicit null, as the script expects.
        try container.encode(key, forKey: .key)
        try container.encode(query, forKey: .query)
        try container.encode(headers, forKey: .headers)
        try container.encode(accessKeyId, forKey: .accessKeyId)
        try container.encode(accessKeySecret, forKey: .accessKeySecret)
        try container.encode(securityToken, forKey: .securityToken)
        try container.encode(time, forKey: .time)
        try container.encode(region, forKey: .region)
        try container.encode(product, forKey: .product)
        try container.encode(additionalHeaders, forKey: .additionalHeaders)
        try container.encode(presignExpires, forKey: .presignExpires)
    }

    var credentials: OSSCredentials {
        OSSCredentials(accessKeyId: accessKeyId, accessKeySecret: accessKeySecret, securityToken: securityToken)
    }

    /// Header names keep their generated mixed case: the signers must canonicalise them.
    var request: OSSRequestParts {
        OSSRequestParts(
            method: method,
            bucket: bucket,
            key: key,
            query: query.map { OSSQueryItem(name: $0[0]!, value: $0[1]) },
            headers: Dictionary(uniqueKeysWithValues: headers.map { ($0[0], $0[1]) })
        )
    }

    var summary: String {
        let names = query.map { $0[0]! }
        return "\(method) bucket=\(bucket.debugDescription) key=\(key.debugDescription) query=\(names) "
            + "headers=\(headers.map { $0[0] }) additional=\(additionalHeaders) token=\(securityToken == nil ? "no" : "yes")"
    }

    /// `text` with the security token replaced, so test output never shows it.
    func masked(_ text: String) -> String {
        guard let securityToken, !securityToken.isEmpty else { return text }
        return text.replacingOccurrences(of: securityToken, with: "****")
    }

    // MARK: Generation

    static let keyPieces = [
        "a", "Z", "0", "9", "logs", "2024", "-", "_", ".", "~", " ", "  ", "+", "%", "%2F", "%20", "/", "//", "*",
        "?", "#", "&", "=", "!", "'", "(", ")", ":", "@", "$", ",", ";", "[", "]", "|", "\\", "^", "`", "{", "}",
        "é", "e\u{301}", "ü", "日本語", "中文", "😀", "👨‍👩‍👧", "\u{00A0}", "Ω", "a+b", "x y",
    ]
    static let valuePieces = [
        "v", "1", "value", " ", "+", "%", "%25", "/", "=", "&", "?", "~", "é", "e\u{301}", "😀", "日", "a b", "image/resize,w_100",
        "application/octet-stream", ":", ",", ";",
    ]
    /// Query names: V1 sub-resources (the SDK's and ours), `x-oss-*`, and ordinary parameters that V1 must skip.
    static let subresourceNames = [
        "append", "position", "acl", "uploads", "uploadId", "partNumber", "versionId", "versioning", "tagging",
        "security-token", "response-content-type", "response-content-disposition", "continuation-token", "seal",
        "bucketInfo", "stat", "symlink", "restore", "objectMeta", "resourceGroup", "regionList", "cloudboxes",
    ]
    static let ossQueryNames = ["x-oss-process", "x-oss-traffic-limit", "x-oss-a b", "x-oss-ü"]
    static let plainQueryNames = [
        "prefix", "max-keys", "list-type", "delimiter", "start-after", "encoding-type", "fetch-owner", "Foo Bar",
        "a+b", "%41", "ü", "😀", "|x", "~t", "ACL", "Append", "z", "0",
    ]
    static let otherHeaderNames = [
        "Content-Length", "Host", "Range", "Cache-Control", "Content-Disposition", "Content-Encoding", "Expires",
        "User-Agent", "If-Match",
    ]
    static let ossHeaderNames = [
        "x-oss-meta-author", "X-Oss-Meta-Magic", "X-OSS-STORAGE-CLASS", "x-oss-object-acl", "x-oss-forbid-overwrite",
        "X-Oss-Meta-Zzz", "x-oss-tagging", "x-oss-server-side-encryption", "x-oss-meta-a-b-c",
    ]
    static let additionalPool = [
        "host", "Host", "range", "Content-Length", "content-disposition", "Cache-Control", "date", "expires",
        "x-oss-meta-author", "Content-Type", "content-md5", "absent-header", "if-match", "user-agent",
    ]
    static let headerValueChars = Array("abcXYZ0189 -_.,;:=/+*&%@!()[]{}<>?\"'~")

    static func randomString(_ pieces: [String], maxPieces: Int, using rng: inout SplitMix64) -> String {
        (0..<(1 + rng.below(maxPieces))).map { _ in rng.pick(pieces) }.joined()
    }

    static func headerValue(using rng: inout SplitMix64) -> String {
        // Printable ASCII with inner spaces; no leading or trailing whitespace (HTTP strips it on the wire).
        var value = String((0..<(1 + rng.below(24))).map { _ in rng.pick(headerValueChars) })
        while value.hasPrefix(" ") { value.removeFirst() }
        while value.hasSuffix(" ") { value.removeLast() }
        return value.isEmpty ? "v" : value
    }

    static func alphanumeric(_ count: Int, extra: String = "", using rng: inout SplitMix64) -> String {
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + extra)
        return String((0..<count).map { _ in rng.pick(chars) })
    }

    static func random(using rng: inout SplitMix64) -> ConformanceCase {
        let bucket: String? = rng.chance(8) ? nil : rng.pick(["examplebucket", "bucket-1", "my.bucket", "b0"])
        let key: String? = bucket == nil || rng.chance(15) ? nil : randomString(keyPieces, maxPieces: 10, using: &rng)

        var query: [[String?]] = []
        for _ in 0..<rng.below(7) {
            let name: String
            switch rng.below(10) {
            case 0..<5: name = rng.pick(subresourceNames)
            case 5: name = rng.pick(ossQueryNames)
            default: name = rng.pick(plainQueryNames)
            }
            let value: String?
            switch rng.below(10) {
            case 0..<3: value = nil
            case 3: value = ""
            default: value = randomString(valuePieces, maxPieces: 5, using: &rng)
            }
            query.append([name, value])
        }

        var headers: [String: String] = [:]  // Lower-cased name -> (name as sent, value), one spelling per name.
        var spelled: [String: String] = [:]
        func add(_ name: String, _ value: String) {
            let lower = name.lowercased()
            if let existing = spelled[lower] { headers.removeValue(forKey: existing) }
            spelled[lower] = name
            headers[name] = value
        }
        if rng.chance(70) {
            add(rng.pick(["Content-Type", "content-type", "CONTENT-TYPE"]),
                rng.pick(["application/octet-stream", "text/plain; charset=utf-8", "application/x-ndjson", "image/png", ""]))
        }
        if rng.chance(30) {
            add(rng.pick(["Content-MD5", "content-md5"]), Data(rng.bytes(16)).base64EncodedString())
        }
        for _ in 0..<rng.below(4) { add(rng.pick(ossHeaderNames), headerValue(using: &rng)) }
        for _ in 0..<rng.below(4) { add(rng.pick(otherHeaderNames), headerValue(using: &rng)) }
        if rng.chance(15) {
            // V1 takes x-oss-date into the date slot when present; V4 replaces it.
            let other = Int64(946_684_800 + rng.below(1_000_000_000))
            add(rng.pick(["x-oss-date", "X-Oss-Date"]), OSSDateFormat.rfc1123(Date(timeIntervalSince1970: TimeInterval(other))))
        }
        if rng.chance(5) { add("Expires", "") }  // Empty value: an additional header that must be dropped.

        let additional = rng.chance(40) ? (0..<(1 + rng.below(4))).map { _ in rng.pick(additionalPool) } : []
        let token: String? = rng.chance(30) ? alphanumeric(20 + rng.below(40), extra: "+/=", using: &rng) : nil
        // The SDK presigners keep the query in a dict, so only cases with unique names are presigned.
        let uniqueNames = Set(query.map { $0[0]! }).count == query.count
        let presignExpires = uniqueNames && rng.chance(60) ? 1 + rng.below(604_800) : nil

        return ConformanceCase(
            method: rng.pick(["GET", "PUT", "POST", "HEAD", "DELETE"]),
            bucket: bucket,
            key: key,
            query: query,
            headers: headers.map { [$0.key, $0.value] }.sorted { $0[0] < $1[0] },
            accessKeyId: "LTAI" + alphanumeric(12 + rng.below(12), using: &rng),
            accessKeySecret: alphanumeric(20 + rng.below(20), extra: "+/", using: &rng),
            securityToken: token,
            time: Int64(946_684_800 + rng.below(1_262_304_000)),  // 2000-01-01 ..< 2040-01-01
            region: rng.pick(["cn-hangzhou", "us-west-1", "ap-southeast-1", "eu-central-1"]),
            product: rng.chance(10) ? "oss-cloudbox" : "oss",
            additionalHeaders: additional,
            presignExpires: presignExpires
        )
    }
}
