/// The outcome of checking an AppendObject request against the object's published state
/// (oss-protocol.md §1.3 steps 4, 6 and 7, in that order, with the sealed check right after the
/// not-appendable one: a sealed object can never grow, so its position is not looked at).
///
/// Pure: no I/O, so the order of the checks is tested directly.
enum AppendDecision: Sendable, Equatable {
    /// The key is absent and `position == 0`: create an appendable object from this body.
    case create
    /// The object is appendable and `position == length`: append the body.
    case append
    /// The object exists and is not appendable (wins over the position check).
    case notAppendable
    /// The object is appendable but sealed (SealAppendObject): no append is accepted, at any position.
    case sealed
    /// `position` differs from the current length (0 when the key is absent).
    case positionMismatch(nextAppendPosition: UInt64)
    /// The object would grow beyond `maxObjectSize`.
    case tooLarge(currentLength: UInt64)

    static func decide(
        existing: OSSObjectRecord?,
        position: UInt64,
        bodyLength: UInt64,
        maxObjectSize: UInt64
    ) -> AppendDecision {
        guard let existing else {
            guard position == 0 else { return .positionMismatch(nextAppendPosition: 0) }
            guard bodyLength <= maxObjectSize else { return .tooLarge(currentLength: 0) }
            return .create
        }
        guard existing.type == .appendable else { return .notAppendable }
        guard existing.sealedTime == nil else { return .sealed }
        guard position == existing.length else { return .positionMismatch(nextAppendPosition: existing.length) }
        let (sum, overflow) = existing.length.addingReportingOverflow(bodyLength)
        guard !overflow, sum <= maxObjectSize else { return .tooLarge(currentLength: existing.length) }
        return .append
    }
}
