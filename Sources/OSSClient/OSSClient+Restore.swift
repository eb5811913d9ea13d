import NIOHTTP1
import OSSSigning

/// What RestoreObject answered.
public enum OSSRestoreStatus: Sendable, Hashable {
    /// 202: a restore started; the object can be read once it finished (`x-oss-restore: ongoing-request="false"`).
    case started
    /// 409 `RestoreAlreadyInProgress`: a restore started earlier has not finished yet.
    case inProgress
    /// 200: a restored copy exists already; its expiry moved to `days` from now.
    case restored
}

extension OSSClient {
    /// RestoreObject (`POST /key?restore`): asks OSS for a readable copy of an object in Archive, Cold Archive or Deep
    /// Cold Archive storage, kept `days` days (1-7 for Archive, 1-365 for the colder classes). GET answers 403
    /// `InvalidObjectState` until the restore finished: about a minute for Archive, hours for the colder classes
    /// (their default tier, Standard). Retrieval is billed per GB.
    ///
    /// - Throws: ``OSSError`` with code `OperationNotSupported` (400: the object is not in cold storage), `NoSuchKey`,
    ///   or `AccessDenied` (the RAM policy lacks `oss:RestoreObject`).
    public func restoreObject(key: String, days: Int = 1) async throws(OSSError) -> OSSRestoreStatus {
        let body = Array("<RestoreRequest><Days>\(days)</Days></RestoreRequest>".utf8)
        let request = OSSRequest(
            operation: "RestoreObject", method: .POST, key: key, query: [OSSQueryItem(name: "restore")],
            headers: ["content-type": "application/xml", "content-md5": OSSContentMD5.of(body)], body: .bytes(body))
        do {
            let response = try await send(request)
            return response.status == 202 ? .started : .restored
        } catch {
            if error.code == .restoreAlreadyInProgress { return .inProgress }
            throw error
        }
    }
}
