import Foundation
import Hummingbird
import OSSSigning

/// Verifies V4 and V1 header signatures (oss-protocol.md §3) against the emulator's credentials.
///
/// The canonical request is rebuilt from the request as received: decoded bucket, key and query, and the
/// received header values. Failures carry the server's StringToSign (and CanonicalRequest for V4), as OSS does.
struct RequestAuthenticator: Sendable {
    /// Access key id → credentials (a non-nil `securityToken` means the pair only works with that STS token).
    let credentials: [String: OSSCredentials]
    let maxClockSkew: TimeInterval
    /// V4 signing keys are derived once per secret and day, as a client does.
    let signingKeys = OSSSigningKeyCache()

    init(credentials: [OSSCredentials], maxClockSkew: TimeInterval) {
        var byID: [String: OSSCredentials] = [:]
        for credential in credentials { byID[credential.accessKeyId] = credential }
        self.credentials = byID
        self.maxClockSkew = maxClockSkew
    }

    /// Returns nil when the request is authentic, else the error to send.
    func verify(_ request: OSSRequestParts, now: Date) -> OSSServiceError? {
        guard let header = request.headers["authorization"], !header.isEmpty else {
            if request.query.contains(where: { $0.name == "x-oss-signature" }) { return verifyPresignedV4(request, now: now) }
            if request.query.contains(where: { $0.name == "Signature" }) { return verifyPresignedV1(request, now: now) }
            return .accessDenied("You have no right to access this object because of bucket acl.", ec: "0003-00000001")
        }
        let authorization: OSSAuthorization
        do {
            authorization = try OSSAuthorization.parse(header)
        } catch {
            return .invalidAuthorization(error.message)
        }
        switch authorization {
        case .v4(let accessKeyID, let day, let region, let product, let additionalHeaders, let signature):
            guard let rawDate = request.headers["x-oss-date"] else {
                return .accessDenied("V4 signature requires the x-oss-date header.", ec: "0002-00000503")
            }
            guard let date = OSSDateFormat.parseISO8601Basic(rawDate) else {
                return .accessDenied("x-oss-date '\(rawDate)' is not in ISO 8601 basic format (yyyyMMddTHHmmssZ).", ec: "0002-00000502")
            }
            if let skew = skewError(date: date, raw: rawDate, now: now) { return skew }
            guard rawDate.hasPrefix(day) else {
                return .accessDenied("The date \(day) in the credential scope does not match x-oss-date \(rawDate).", ec: "0002-00000212")
            }
            let credential: OSSCredentials
            switch lookup(accessKeyID, request: request) {
            case .failure(let error): return error
            case .success(let found): credential = found
            }
            let signer = OSSSignerV4(region: region, product: product)
            let canonical = signer.canonicalRequest(request, additionalHeaders: additionalHeaders)
            let stringToSign = signer.stringToSign(canonicalRequest: canonical, date: date)
            let expected = signer.signature(stringToSign: stringToSign, accessKeySecret: credential.accessKeySecret, date: date,
                                            keyCache: signingKeys)
            guard expected == signature.lowercased() else {
                return signatureMismatch(
                    accessKeyID: accessKeyID, provided: signature, stringToSign: stringToSign,
                    extra: [.init("CanonicalRequest", canonical)], ec: "0002-00000228"
                )
            }
            return nil
        case .v1(let accessKeyID, let signature):
            let rawDate = request.headers["x-oss-date"].flatMap { $0.isEmpty ? nil : $0 } ?? request.headers["date"]
            guard let rawDate else {
                return .accessDenied("The request has neither a Date nor an x-oss-date header.", ec: "0002-00000503")
            }
            guard let date = OSSDateFormat.parseRFC1123(rawDate) else {
                return .accessDenied("Date '\(rawDate)' is not an RFC 1123 GMT date.", ec: "0002-00000503")
            }
            if let skew = skewError(date: date, raw: rawDate, now: now) { return skew }
            let credential: OSSCredentials
            switch lookup(accessKeyID, request: request) {
            case .failure(let error): return error
            case .success(let found): credential = found
            }
            let signer = OSSSignerV1()
            let stringToSign = signer.stringToSign(request)
            let expected = signer.signature(stringToSign: stringToSign, accessKeySecret: credential.accessKeySecret)
            guard expected == signature else {
                return signatureMismatch(accessKeyID: accessKeyID, provided: signature, stringToSign: stringToSign, extra: [], ec: "0002-00000040")
            }
            return nil
        }
    }

    private func lookup(
        _ accessKeyID: String,
        request: OSSRequestParts,
        token: String? = nil
    ) -> Result<OSSCredentials, OSSServiceError> {
        guard let credential = credentials[accessKeyID] else { return .failure(.invalidAccessKeyId(accessKeyID)) }
        if let expected = credential.securityToken, (token ?? request.headers["x-oss-security-token"]) != expected {
            return .failure(.invalidSecurityToken())
        }
        return .success(credential)
    }

    private func queryValue(_ request: OSSRequestParts, _ name: String) -> String? {
        request.query.first { $0.name == name }?.value
    }

    /// Presigned V4 URL: `x-oss-credential`, `x-oss-date`, `x-oss-expires`, optional `x-oss-additional-headers`
    /// and `x-oss-security-token`, and `x-oss-signature` over every other query parameter.
    private func verifyPresignedV4(_ request: OSSRequestParts, now: Date) -> OSSServiceError? {
        guard queryValue(request, "x-oss-signature-version") == OSSSignerV4.algorithm,
              let credential = queryValue(request, "x-oss-credential"),
              let rawDate = queryValue(request, "x-oss-date"),
              let rawExpires = queryValue(request, "x-oss-expires"),
              let signature = queryValue(request, "x-oss-signature")
        else {
            return .invalidAuthorization("a presigned V4 URL needs x-oss-signature-version=OSS4-HMAC-SHA256, x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature")
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aliyun_v4_request", let date = OSSDateFormat.parseISO8601Basic(rawDate),
              rawDate.hasPrefix(scope[1]), let expires = Int(rawExpires), expires > 0
        else {
            return .invalidAuthorization("x-oss-credential '\(credential)' or x-oss-date/x-oss-expires is malformed")
        }
        guard now <= date.addingTimeInterval(TimeInterval(expires)) else {
            return .accessDenied("Request has expired.", ec: "0002-00000069")
        }
        let found: OSSCredentials
        switch lookup(scope[0], request: request, token: queryValue(request, "x-oss-security-token")) {
        case .failure(let error): return error
        case .success(let value): found = value
        }
        var signed = request
        signed.query.removeAll { $0.name == "x-oss-signature" }
        let additional = queryValue(request, "x-oss-additional-headers").map { $0.split(separator: ";").map(String.init) } ?? []
        let signer = OSSSignerV4(region: scope[2], product: scope[3])
        let canonical = signer.canonicalRequest(signed, additionalHeaders: additional)
        let stringToSign = signer.stringToSign(canonicalRequest: canonical, date: date)
        guard signer.signature(stringToSign: stringToSign, accessKeySecret: found.accessKeySecret, date: date) == signature.lowercased() else {
            return signatureMismatch(
                accessKeyID: scope[0], provided: signature, stringToSign: stringToSign,
                extra: [.init("CanonicalRequest", canonical)], ec: "0002-00000228"
            )
        }
        return nil
    }

    /// Presigned V1 URL: `OSSAccessKeyId`, `Expires` (Unix seconds, in the StringToSign's date slot), `Signature`.
    private func verifyPresignedV1(_ request: OSSRequestParts, now: Date) -> OSSServiceError? {
        guard let accessKeyID = queryValue(request, "OSSAccessKeyId"), let rawExpires = queryValue(request, "Expires"),
              let expires = Int64(rawExpires), let signature = queryValue(request, "Signature")
        else {
            return .invalidAuthorization("a presigned V1 URL needs OSSAccessKeyId, Expires and Signature")
        }
        guard now.timeIntervalSince1970 <= TimeInterval(expires) else {
            return .accessDenied("Request has expired.", ec: "0002-00000069")
        }
        let found: OSSCredentials
        switch lookup(accessKeyID, request: request, token: queryValue(request, "security-token")) {
        case .failure(let error): return error
        case .success(let value): found = value
        }
        let signer = OSSSignerV1()
        let stringToSign = signer.stringToSign(request, date: rawExpires)
        guard signer.signature(stringToSign: stringToSign, accessKeySecret: found.accessKeySecret) == signature else {
            return signatureMismatch(accessKeyID: accessKeyID, provided: signature, stringToSign: stringToSign, extra: [], ec: "0002-00000040")
        }
        return nil
    }

    private func skewError(date: Date, raw: String, now: Date) -> OSSServiceError? {
        guard abs(date.timeIntervalSince(now)) > maxClockSkew else { return nil }
        return .requestTimeTooSkewed(requestTime: raw, serverTime: OSSDateFormat.rfc1123(now))
    }

    private func signatureMismatch(
        accessKeyID: String,
        provided: String,
        stringToSign: String,
        extra: [OSSServiceError.Field],
        ec: String
    ) -> OSSServiceError {
        let bytes = stringToSign.utf8.map { byte -> String in
            let hex = String(byte, radix: 16, uppercase: true)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: " ")
        return OSSServiceError(
            status: .forbidden,
            code: "SignatureDoesNotMatch",
            message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            ec: ec,
            fields: [
                .init("SignatureProvided", provided),
                .init("StringToSign", stringToSign),
                .init("StringToSignBytes", bytes),
            ] + extra + [.init("OSSAccessKeyId", accessKeyID)]
        )
    }
}
