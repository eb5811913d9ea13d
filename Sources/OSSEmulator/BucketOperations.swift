import Foundation
import Hummingbird
import OSSSigning

extension ObjectOperations {
    /// Bucket-level requests: GetBucketInfo, GetBucketLocation, ListObjectsV2 and ListObjects (V1).
    func bucketOperation(_ request: IncomingRequest, bucket: String) async throws -> Response {
        switch request.method {
        case "GET":
            if request.target.has("bucketInfo") { return bucketInfo(bucket) }
            if request.target.has("location") {
                var xml = XMLWriter()
                xml.element("LocationConstraint", "oss-\(region)")
                return builder.xml(.ok, xml.text)
            }
            if case .some(.some("2")) = request.target.queryValue("list-type") { return try listV2(request, bucket: bucket) }
            let signed = request.target.query.filter { OSSSignerV1.isSubresource($0.name) }
            guard signed.isEmpty else {
                throw OSSServiceError.notImplemented("bucket sub-resource '\(signed[0].name)'")
            }
            return try listV1(request, bucket: bucket)
        case "HEAD":
            return builder.empty(.ok)
        default:
            throw OSSServiceError.notImplemented("\(request.method) on a bucket")
        }
    }

    private func bucketInfo(_ bucket: String) -> Response {
        let created = store.bucketCreationDate(bucket) ?? Date()
        var xml = XMLWriter()
        xml.group("BucketInfo") { xml in
            xml.group("Bucket") { xml in
                xml.element("AccessMonitor", "Disabled")
                xml.element("CreationDate", ResponseBuilder.listingDate(created))
                xml.element("ExtranetEndpoint", "oss-\(region).aliyuncs.com")
                xml.element("IntranetEndpoint", "oss-\(region)-internal.aliyuncs.com")
                xml.element("Location", "oss-\(region)")
                xml.element("StorageClass", "Standard")
                xml.element("TransferAcceleration", "Disabled")
                xml.element("CrossRegionReplication", "Disabled")
                xml.element("DataRedundancyType", "LRS")
                xml.element("Name", bucket)
                xml.element("ResourceGroupId", "rg-default")
                xml.group("Owner") { xml in
                    xml.element("DisplayName", Self.ownerID)
                    xml.element("ID", Self.ownerID)
                }
                xml.group("AccessControlList") { $0.element("Grant", "private") }
                xml.group("ServerSideEncryptionRule") { $0.element("SSEAlgorithm", "None") }
                xml.group("BucketPolicy") { $0.element("LogBucket", ""); $0.element("LogPrefix", "") }
                xml.element("Versioning", "Disabled")
            }
        }
        return builder.xml(.ok, xml.text)
    }

    static let ownerID = "1000000000000000"

    private struct ListParameters {
        var prefix: String
        var delimiter: String
        var maxKeys: Int
        var urlEncoding: Bool
        var fetchOwner: Bool
    }

    private func listParameters(_ request: IncomingRequest) throws(OSSServiceError) -> ListParameters {
        func value(_ name: String) -> String? {
            if case .some(let item) = request.target.queryValue(name) { return item ?? "" }
            return nil
        }
        var maxKeys = 100
        if let text = value("max-keys") {
            guard let parsed = Int(text), parsed >= 1, parsed <= 1000 else {
                throw .invalidArgument("max-keys", text, message: "Argument max-keys must be an integer between 1 and 1000.", ec: "0016-00000601")
            }
            maxKeys = parsed
        }
        var urlEncoding = false
        if let encoding = value("encoding-type") {
            guard encoding == "url" else {
                throw .invalidArgument("encoding-type", encoding, message: "The encoding-type must be url.", ec: "0016-00000602")
            }
            urlEncoding = true
        }
        let prefix = value("prefix") ?? ""
        guard prefix.utf8.count < 1024 else {
            throw .invalidArgument("prefix", prefix, message: "The prefix must be shorter than 1024 bytes.")
        }
        return ListParameters(
            prefix: prefix, delimiter: value("delimiter") ?? "", maxKeys: maxKeys, urlEncoding: urlEncoding,
            fetchOwner: value("fetch-owner") == "true"
        )
    }

    private func encoded(_ value: String, _ parameters: ListParameters) -> String {
        parameters.urlEncoding ? OSSPercentEncoding.encode(value, keepSlash: true) : value
    }

    private func writeEntries(_ page: ListingPage, into xml: inout XMLWriter, parameters: ListParameters, owner: Bool) {
        for record in page.contents {
            xml.group("Contents") { xml in
                xml.element("Key", encoded(record.key, parameters))
                xml.element("LastModified", ResponseBuilder.listingDate(record.lastModified))
                xml.element("ETag", "\"\(record.etag)\"")
                xml.element("Type", record.type.rawValue)
                xml.element("Size", String(record.length))
                xml.element("StorageClass", record.attributes.storageClass)
                if owner {
                    xml.group("Owner") { xml in
                        xml.element("ID", Self.ownerID)
                        xml.element("DisplayName", Self.ownerID)
                    }
                }
            }
        }
        for prefix in page.commonPrefixes {
            xml.group("CommonPrefixes") { $0.element("Prefix", encoded(prefix, parameters)) }
        }
    }

    /// ListObjectsV2 (`GET /?list-type=2`): continuation tokens, start-after, delimiter, url encoding, KeyCount.
    func listV2(_ request: IncomingRequest, bucket: String) throws -> Response {
        let parameters = try listParameters(request)
        var after: ListingPage.Marker?
        var token: String?
        if case .some(.some(let text)) = request.target.queryValue("continuation-token"), !text.isEmpty {
            guard let marker = ListingPage.Marker(token: text) else {
                throw OSSServiceError.invalidArgument("continuation-token", text, message: "The continuation token is not valid.", ec: "0016-00000603")
            }
            after = marker
            token = text
        }
        var startAfter: String?
        if case .some(.some(let text)) = request.target.queryValue("start-after") {
            if !text.isEmpty { startAfter = text }
            if after == nil, !text.isEmpty { after = ListingPage.Marker(key: text, isCommonPrefix: false) }
        }
        let page = ListingPage.make(
            records: store.list(bucket: bucket), prefix: parameters.prefix, delimiter: parameters.delimiter,
            after: after, maxKeys: parameters.maxKeys
        )
        var xml = XMLWriter()
        xml.group("ListBucketResult") { xml in
            xml.element("Name", bucket)
            xml.element("Prefix", encoded(parameters.prefix, parameters))
            if let startAfter { xml.element("StartAfter", encoded(startAfter, parameters)) }
            if let token { xml.element("ContinuationToken", token) }
            xml.element("MaxKeys", String(parameters.maxKeys))
            if !parameters.delimiter.isEmpty { xml.element("Delimiter", encoded(parameters.delimiter, parameters)) }
            if parameters.urlEncoding { xml.element("EncodingType", "url") }
            xml.element("IsTruncated", page.isTruncated ? "true" : "false")
            if page.isTruncated, let next = page.next { xml.element("NextContinuationToken", next.token) }
            writeEntries(page, into: &xml, parameters: parameters, owner: parameters.fetchOwner)
            xml.element("KeyCount", String(page.contents.count + page.commonPrefixes.count))
        }
        return builder.xml(.ok, xml.text)
    }

    /// ListObjects (V1, `GET /`): marker and NextMarker; owners always listed.
    func listV1(_ request: IncomingRequest, bucket: String) throws -> Response {
        let parameters = try listParameters(request)
        var marker = ""
        if case .some(.some(let text)) = request.target.queryValue("marker") { marker = text }
        // A marker ending in the delimiter resumes after that whole common prefix.
        let isPrefixMarker = !parameters.delimiter.isEmpty && marker.hasSuffix(parameters.delimiter)
            && marker.hasPrefixBytes(parameters.prefix)
        let page = ListingPage.make(
            records: store.list(bucket: bucket), prefix: parameters.prefix, delimiter: parameters.delimiter,
            after: marker.isEmpty ? nil : ListingPage.Marker(key: marker, isCommonPrefix: isPrefixMarker),
            maxKeys: parameters.maxKeys
        )
        var xml = XMLWriter()
        xml.group("ListBucketResult") { xml in
            xml.element("Name", bucket)
            xml.element("Prefix", encoded(parameters.prefix, parameters))
            xml.element("Marker", encoded(marker, parameters))
            xml.element("MaxKeys", String(parameters.maxKeys))
            xml.element("Delimiter", encoded(parameters.delimiter, parameters))
            if parameters.urlEncoding { xml.element("EncodingType", "url") }
            xml.element("IsTruncated", page.isTruncated ? "true" : "false")
            if page.isTruncated, let next = page.next { xml.element("NextMarker", encoded(next.key, parameters)) }
            writeEntries(page, into: &xml, parameters: parameters, owner: true)
        }
        return builder.xml(.ok, xml.text)
    }
}
