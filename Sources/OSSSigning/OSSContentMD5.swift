import Crypto
import Foundation

/// The `Content-MD5` header value: the base64 MD5 digest of a request body (OSS checks it when present; V1
/// signs it).
public enum OSSContentMD5 {
    public static func of<Bytes: Collection>(_ body: Bytes) -> String where Bytes.Element == UInt8 {
        Data(Insecure.MD5.hash(data: Array(body))).base64EncodedString()
    }
}
