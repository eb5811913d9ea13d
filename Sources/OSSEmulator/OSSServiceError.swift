public import Hummingbird

/// An OSS error response: HTTP status, `Code`, `Message`, the fine-grained `EC`, and extra XML fields or
/// headers (oss-protocol.md §1.6).
public struct OSSServiceError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var ec: String
    /// Extra `<Name>value</Name>` elements after `HostId`, in order (e.g. `Key`, `StringToSign`).
    public var fields: [Field]
    /// Extra response headers (e.g. `x-oss-next-append-position`).
    public var headers: [Field]

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        status: HTTPResponse.Status,
        code: String,
        message: String,
        ec: String,
        fields: [Field] = [],
        headers: [Field] = []
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.ec = ec
        self.fields = fields
        self.headers = headers
    }

    /// The XML body with `RequestId`, `HostId`, `EC` and `RecommendDoc`.
    func xml(requestID: String, hostID: String) -> String {
        var writer = XMLWriter()
        writer.group("Error") { xml in
            xml.element("Code", code)
            xml.element("Message", message)
            xml.element("RequestId", requestID)
            xml.element("HostId", hostID)
            for field in fields { xml.element(field.name, field.value) }
            // Errors whose EC is not documented are sent without one.
            if !ec.isEmpty {
                xml.element("EC", ec)
                xml.element("RecommendDoc", "https://api.aliyun.com/troubleshoot?q=\(ec)")
            }
        }
        return writer.text
    }
}

extension OSSServiceError {
    static func noSuchBucket(_ bucket: String) -> Self {
        .init(status: .notFound, code: "NoSuchBucket", message: "The specified bucket does not exist.",
              ec: "0015-00000101", fields: [.init("BucketName", bucket)])
    }

    static func noSuchKey(_ key: String) -> Self {
        .init(status: .notFound, code: "NoSuchKey", message: "The specified key does not exist.",
              ec: "0026-00000001", fields: [.init("Key", key)])
    }

    static func invalidObjectState() -> Self {
        .init(status: .forbidden, code: "InvalidObjectState", message: "The operation is not valid for the object's state",
              ec: "")
    }

    static func restoreAlreadyInProgress() -> Self {
        .init(status: .conflict, code: "RestoreAlreadyInProgress", message: "The restore operation is in progress.",
              ec: "0016-00000701")
    }

    static func operationNotSupported(_ message: String) -> Self {
        .init(status: .badRequest, code: "OperationNotSupported", message: message, ec: "")
    }

    static func objectNotAppendable() -> Self {
        .init(status: .conflict, code: "ObjectNotAppendable", message: "The object is not appendable",
              ec: "0026-00000017")
    }

    /// An append to a sealed object. The code is the one the official Python SDK's (skipped) integration test
    /// expects; the 409 status and this message and EC are the emulator's (OSS documents none of them).
    static func appendToSealedObject() -> Self {
        .init(status: .conflict, code: "AppendSealedObjectNotAllowed",
              message: "The object is sealed and does not accept appends.", ec: "0026-00000000")
    }

    /// SealAppendObject on a Normal object (the SealAppendObject doc's error table).
    static func sealNotAppendable() -> Self {
        .init(status: .conflict, code: "AppendSealedObjectNotAllowed",
              message: "The SealAppendObject operation is performed on a non-Appendable Object.", ec: "0026-00000000")
    }

    /// SealAppendObject while the feature is not enabled for the account (what the Go and Java SDK tests saw).
    static func sealNotSupported() -> Self {
        .init(status: .badRequest, code: "OperationNotSupported", message: "SealAppendable is not supported.",
              ec: "0016-00000513")
    }

    static func positionNotEqualToLength(next: UInt64) -> Self {
        .init(status: .conflict, code: "PositionNotEqualToLength", message: "Position is not equal to file length",
              ec: "0026-00000016", headers: [.init("x-oss-next-append-position", String(next))])
    }

    static func missingArgument(_ name: String) -> Self {
        .init(status: .badRequest, code: "MissingArgument", message: "Missing Some Required Arguments.",
              ec: "0016-00000501", fields: [.init("ArgumentName", name)])
    }

    static func invalidArgument(_ name: String, _ value: String, message: String, ec: String = "0016-00000502") -> Self {
        .init(status: .badRequest, code: "InvalidArgument", message: message, ec: ec,
              fields: [.init("ArgumentName", name), .init("ArgumentValue", value)])
    }

    static func invalidObjectName(_ message: String) -> Self {
        .init(status: .badRequest, code: "InvalidObjectName", message: message, ec: "0016-00000005")
    }

    static func invalidDigest() -> Self {
        .init(status: .badRequest, code: "InvalidDigest", message: "The Content-MD5 you specified was invalid.",
              ec: "0016-00000201")
    }

    static func entityTooLarge(limit: UInt64) -> Self {
        .init(status: .badRequest, code: "InvalidArgument",
              message: "The object would exceed the maximum allowed size of \(limit) bytes.", ec: "0016-00000210")
    }

    static func invalidRange() -> Self {
        .init(status: .init(code: 416), code: "InvalidRange", message: "The requested range cannot be satisfied",
              ec: "0003-00000104")
    }

    static func accessDenied(_ message: String, ec: String = "0003-00000001") -> Self {
        .init(status: .forbidden, code: "AccessDenied", message: message, ec: ec)
    }

    static func invalidAccessKeyId(_ accessKeyID: String) -> Self {
        .init(status: .forbidden, code: "InvalidAccessKeyId", message: "The OSS Access Key Id you provided does not exist in our records.",
              ec: "0002-00000902", fields: [.init("OSSAccessKeyId", accessKeyID)])
    }

    static func invalidSecurityToken() -> Self {
        .init(status: .forbidden, code: "InvalidSecurityToken", message: "The security token you provided is invalid.",
              ec: "0002-00000907")
    }

    static func requestTimeTooSkewed(requestTime: String, serverTime: String) -> Self {
        .init(status: .forbidden, code: "RequestTimeTooSkewed",
              message: "The difference between the request time and the current time is too large.",
              ec: "0002-00000504",
              fields: [.init("RequestTime", requestTime), .init("ServerTime", serverTime), .init("MaxAllowedSkewMilliseconds", "900000")])
    }

    static func invalidAuthorization(_ message: String) -> Self {
        .init(status: .badRequest, code: "InvalidArgument", message: "Authorization header is invalid: \(message)",
              ec: "0002-00000209")
    }

    static func notImplemented(_ what: String) -> Self {
        .init(status: .notImplemented, code: "NotImplemented", message: "The OSS emulator does not implement \(what).",
              ec: "0005-00000001")
    }

    static func internalError(_ message: String) -> Self {
        .init(status: .internalServerError, code: "InternalError", message: message, ec: "0000-00000001")
    }
}
