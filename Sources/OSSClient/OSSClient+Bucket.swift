import Foundation
import NIOCore
import NIOHTTP1
import OSSSigning

extension OSSClient {
    /// ListObjectsV2 (`GET /?list-type=2`), one page.
    ///
    /// The client always asks for `encoding-type=url` and decodes `Key`, `Prefix`, `Delimiter`, `StartAfter`,
    /// `ContinuationToken`, `NextContinuationToken` and `CommonPrefixes/Prefix`, so keys with control characters
    /// survive the XML. Pass `nextContinuationToken` from the previous page as `continuationToken`.
    /// - Parameter maxKeys: 1...1000; the server default (100) when nil.
    public func listObjectsV2(
        prefix: String? = nil, delimiter: String? = nil, startAfter: String? = nil, continuationToken: String? = nil,
        maxKeys: Int? = nil
    ) async throws(OSSError) -> OSSListPage {
        var query = [OSSQueryItem(name: "list-type", value: "2")]
        if let continuationToken { query.append(OSSQueryItem(name: "continuation-token", value: continuationToken)) }
        if let delimiter { query.append(OSSQueryItem(name: "delimiter", value: delimiter)) }
        query.append(OSSQueryItem(name: "encoding-type", value: "url"))
        if let maxKeys { query.append(OSSQueryItem(name: "max-keys", value: String(maxKeys))) }
        if let prefix { query.append(OSSQueryItem(name: "prefix", value: prefix)) }
        if let startAfter { query.append(OSSQueryItem(name: "start-after", value: startAfter)) }
        let request = OSSRequest(operation: "ListObjectsV2", method: .GET, key: nil, query: query)
        let response = try await send(request)
        guard let root = XMLNode.parse(response.body.readableBytesView), root.name == "ListBucketResult" else {
            throw OSSError(
                code: .invalidResponse, statusCode: response.status,
                message: "the ListObjectsV2 response from \(endpoint.baseURL) is not a ListBucketResult document; "
                    + "check that oss.endpoint points at OSS",
                requestId: response.headers.first(name: "x-oss-request-id"), context: context(for: request))
        }
        return try Self.parseListPage(root, context: context(for: request))
    }

    /// Pages through every object under `prefix`, calling `body` once per page in key order.
    /// - Returns: the number of objects seen.
    @discardableResult
    public func forEachListPage(
        prefix: String? = nil, delimiter: String? = nil, startAfter: String? = nil, pageSize: Int? = nil,
        _ body: (OSSListPage) async throws(OSSError) -> Void
    ) async throws(OSSError) -> Int {
        var token: String?
        var seen = 0
        repeat {
            let page = try await listObjectsV2(
                prefix: prefix, delimiter: delimiter, startAfter: token == nil ? startAfter : nil, continuationToken: token,
                maxKeys: pageSize)
            seen += page.objects.count
            try await body(page)
            guard page.isTruncated, let next = page.nextContinuationToken, !next.isEmpty, next != token else { break }
            token = next
        } while true
        return seen
    }

    /// Every object (and common prefix, with a delimiter) under `prefix`, across all pages.
    public func listAllObjects(prefix: String? = nil, delimiter: String? = nil, startAfter: String? = nil)
        async throws(OSSError) -> (objects: [OSSObjectSummary], commonPrefixes: [String])
    {
        var objects: [OSSObjectSummary] = []
        var prefixes: [String] = []
        try await forEachListPage(prefix: prefix, delimiter: delimiter, startAfter: startAfter, pageSize: 1000) { page in
            objects.append(contentsOf: page.objects)
            prefixes.append(contentsOf: page.commonPrefixes)
        }
        return (objects, prefixes)
    }

    /// GetBucketInfo (`GET /?bucketInfo`): a cheap probe that the bucket exists and the credentials work.
    public func getBucketInfo() async throws(OSSError) -> OSSBucketInfo {
        let request = OSSRequest(operation: "GetBucketInfo", method: .GET, key: nil, query: [OSSQueryItem(name: "bucketInfo")])
        let response = try await send(request)
        guard let root = XMLNode.parse(response.body.readableBytesView), let bucket = root.child("Bucket") else {
            throw OSSError(
                code: .invalidResponse, statusCode: response.status,
                message: "the GetBucketInfo response is not a BucketInfo document; check that oss.endpoint points at OSS",
                context: context(for: request))
        }
        return OSSBucketInfo(
            name: bucket.string("Name") ?? configuration.bucket, location: bucket.string("Location"),
            creationDate: bucket.string("CreationDate"), extranetEndpoint: bucket.string("ExtranetEndpoint"),
            intranetEndpoint: bucket.string("IntranetEndpoint"), storageClass: bucket.string("StorageClass"),
            versioning: bucket.string("Versioning"), dataRedundancyType: bucket.string("DataRedundancyType"))
    }

    static func parseListPage(_ root: XMLNode, context: OSSError.Context) throws(OSSError) -> OSSListPage {
        let encoded = root.string("EncodingType")?.lowercased() == "url"
        func text(_ value: String?) throws(OSSError) -> String? {
            guard let value else { return nil }
            guard encoded else { return value }
            guard let decoded = OSSPercentEncoding.decode(value, plusAsSpace: true) else {
                throw OSSError(
                    code: .invalidResponse, message: "ListObjectsV2 returned a malformed URL-encoded value '\(value)'",
                    context: context)
            }
            return decoded
        }
        var objects: [OSSObjectSummary] = []
        for entry in root.children("Contents") {
            let lastModified = entry.string("LastModified")
            objects.append(
                OSSObjectSummary(
                    key: try text(entry.string("Key")) ?? "",
                    lastModified: lastModified.flatMap(Self.parseISO8601),
                    lastModifiedText: lastModified,
                    etag: entry.string("ETag"),
                    type: entry.string("Type").map(OSSObjectType.init(rawValue:)),
                    size: entry.string("Size").flatMap { UInt64($0.trimmingSpaces()) } ?? 0,
                    storageClass: entry.string("StorageClass")))
        }
        var prefixes: [String] = []
        for common in root.children("CommonPrefixes") {
            if let prefix = try text(common.string("Prefix")) { prefixes.append(prefix) }
        }
        return OSSListPage(
            bucket: root.string("Name") ?? "",
            prefix: try text(root.string("Prefix")),
            delimiter: try text(root.string("Delimiter")),
            startAfter: try text(root.string("StartAfter")),
            continuationToken: try text(root.string("ContinuationToken")),
            nextContinuationToken: try text(root.string("NextContinuationToken")),
            isTruncated: root.string("IsTruncated")?.lowercased() == "true",
            keyCount: root.string("KeyCount").flatMap { Int($0) },
            maxKeys: root.string("MaxKeys").flatMap { Int($0) },
            objects: objects,
            commonPrefixes: prefixes)
    }

    /// Parses `2020-05-18T05:45:43.000Z` or `2020-05-18T05:45:43Z`.
    static func parseISO8601(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: .iso8601)
    }
}
