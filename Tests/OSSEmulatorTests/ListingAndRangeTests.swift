import Foundation
import Testing
@testable import OSSEmulator

@Suite("ListingPage and ByteRangeRequest")
struct ListingAndRangeTests {
    func records(_ keys: [String]) -> [OSSObjectRecord] {
        keys.map { OSSObjectRecord(key: $0, type: .normal, length: 1, crc64: 0, etag: "E", lastModified: Date(), attributes: .init()) }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    @Test func paginatesWithDelimiterCountingEachPrefixOnce() {
        let all = records(["a/1", "a/2", "a/3", "b", "c/x/1", "c/y", "d"])
        var marker: ListingPage.Marker?
        var pages: [[String]] = []
        repeat {
            let page = ListingPage.make(records: all, prefix: "", delimiter: "/", after: marker, maxKeys: 2)
            pages.append(page.contents.map(\.key) + page.commonPrefixes)
            marker = page.isTruncated ? page.next : nil
            if page.isTruncated {
                // Tokens round-trip.
                #expect(ListingPage.Marker(token: page.next!.token) == page.next)
            }
        } while marker != nil
        // Contents first, then common prefixes, per page.
        #expect(pages == [["b", "a/"], ["d", "c/"]])
    }

    @Test func prefixAndStartAfter() {
        let all = records(["logs/a", "logs/b", "logs/c", "other"])
        let page = ListingPage.make(records: all, prefix: "logs/", delimiter: "", after: .init(key: "logs/a", isCommonPrefix: false), maxKeys: 100)
        #expect(page.contents.map(\.key) == ["logs/b", "logs/c"])
        #expect(!page.isTruncated)
        #expect(page.next == nil)
    }

    @Test func exactlyFullPageIsNotTruncated() {
        let page = ListingPage.make(records: records(["a", "b"]), prefix: "", delimiter: "", after: nil, maxKeys: 2)
        #expect(!page.isTruncated)
        #expect(page.contents.count == 2)
    }

    @Test func rangeParsing() {
        #expect(ByteRangeRequest(header: "bytes=0-9") == .fromTo(0, 9))
        #expect(ByteRangeRequest(header: "bytes=5-") == .from(5))
        #expect(ByteRangeRequest(header: "bytes=-3") == .suffix(3))
        #expect(ByteRangeRequest(header: "bytes=9-1") == nil)
        #expect(ByteRangeRequest(header: "bytes=0-1,3-4") == nil)
        #expect(ByteRangeRequest(header: "items=0-1") == nil)
        #expect(ByteRangeRequest(header: "bytes=-") == nil)
    }

    @Test func rangeResolutionDefaultAndStandard() {
        #expect(ByteRangeRequest.fromTo(2, 4).resolve(size: 10, standard: false) == .partial(2..<5))
        #expect(ByteRangeRequest.fromTo(2, 40).resolve(size: 10, standard: false) == .whole)
        #expect(ByteRangeRequest.fromTo(2, 40).resolve(size: 10, standard: true) == .partial(2..<10))
        #expect(ByteRangeRequest.fromTo(20, 40).resolve(size: 10, standard: false) == .whole)
        #expect(ByteRangeRequest.fromTo(20, 40).resolve(size: 10, standard: true) == .unsatisfiable)
        #expect(ByteRangeRequest.from(10).resolve(size: 10, standard: true) == .unsatisfiable)
        #expect(ByteRangeRequest.suffix(3).resolve(size: 10, standard: false) == .partial(7..<10))
        #expect(ByteRangeRequest.suffix(30).resolve(size: 10, standard: true) == .partial(0..<10))
    }
}
