import Foundation
import Testing
@testable import OSSEmulator

@Suite("AppendDecision: order of the AppendObject checks")
struct AppendDecisionTests {
    func record(_ type: OSSObjectType, length: UInt64) -> OSSObjectRecord {
        OSSObjectRecord(key: "k", type: type, length: length, crc64: 0, etag: "E", lastModified: Date(), attributes: .init())
    }

    @Test func absentKeyAtZeroCreates() {
        #expect(AppendDecision.decide(existing: nil, position: 0, bodyLength: 5, maxObjectSize: 100) == .create)
    }

    @Test func absentKeyAtNonZeroIsMismatchWithNextZero() {
        #expect(AppendDecision.decide(existing: nil, position: 7, bodyLength: 5, maxObjectSize: 100) == .positionMismatch(nextAppendPosition: 0))
    }

    @Test func normalObjectIsNotAppendableEvenAtItsLength() {
        let normal = record(.normal, length: 10)
        #expect(AppendDecision.decide(existing: normal, position: 10, bodyLength: 1, maxObjectSize: 100) == .notAppendable)
        #expect(AppendDecision.decide(existing: normal, position: 3, bodyLength: 1, maxObjectSize: 100) == .notAppendable)
    }

    @Test func appendableChecksPositionAgainstLength() {
        let appendable = record(.appendable, length: 10)
        #expect(AppendDecision.decide(existing: appendable, position: 10, bodyLength: 1, maxObjectSize: 100) == .append)
        #expect(AppendDecision.decide(existing: appendable, position: 0, bodyLength: 1, maxObjectSize: 100) == .positionMismatch(nextAppendPosition: 10))
        #expect(AppendDecision.decide(existing: appendable, position: 11, bodyLength: 1, maxObjectSize: 100) == .positionMismatch(nextAppendPosition: 10))
    }

    @Test func emptyAppendableAcceptsPositionZero() {
        #expect(AppendDecision.decide(existing: record(.appendable, length: 0), position: 0, bodyLength: 3, maxObjectSize: 100) == .append)
    }

    @Test func sizeCapIsCheckedAfterPosition() {
        let appendable = record(.appendable, length: 90)
        #expect(AppendDecision.decide(existing: appendable, position: 90, bodyLength: 10, maxObjectSize: 100) == .append)
        #expect(AppendDecision.decide(existing: appendable, position: 90, bodyLength: 11, maxObjectSize: 100) == .tooLarge(currentLength: 90))
        #expect(AppendDecision.decide(existing: appendable, position: 5, bodyLength: 11, maxObjectSize: 100) == .positionMismatch(nextAppendPosition: 90))
        #expect(AppendDecision.decide(existing: nil, position: 0, bodyLength: 101, maxObjectSize: 100) == .tooLarge(currentLength: 0))
    }
}
