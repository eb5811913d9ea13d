import Hummingbird
import NIOCore
import Testing
@testable import OSSEmulator

/// `RequestHandler.collectBody`: a request body in one buffer, allocated once at the declared length.
@Suite struct BodyCollectionTests {
    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let chunks: [[UInt8]]
        struct AsyncIterator: AsyncIteratorProtocol {
            var rest: [[UInt8]]
            mutating func next() async -> ByteBuffer? {
                rest.isEmpty ? nil : ByteBuffer(bytes: rest.removeFirst())
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks) }
    }

    func body(_ chunks: [[UInt8]]) -> RequestBody { RequestBody(asyncSequence: Chunks(chunks: chunks)) }

    @Test(arguments: [[1], [3, 5, 7], [1000, 1, 24_000, 40_000], [0, 9, 0]])
    func chunksAreJoinedInOrder(sizes: [Int]) async throws {
        var next: UInt8 = 0
        let chunks = sizes.map { n in (0..<n).map { _ in defer { next &+= 1 }; return next } }
        let all = chunks.flatMap { $0 }
        for declared in [all.count, nil] as [Int?] {
            let collected = try #require(try await RequestHandler.collectBody(body(chunks), declaredLength: declared, limit: 1 << 20))
            #expect(Array(collected.readableBytesView) == all)
        }
    }

    @Test func anEmptyBodyIsAnEmptyBuffer() async throws {
        let collected = try await RequestHandler.collectBody(body([]), declaredLength: 0, limit: 10)
        #expect(collected?.readableBytes == 0)
    }

    @Test func bodiesOverTheLimitAreRefused() async throws {
        // Declared too long: refused before reading.
        #expect(try await RequestHandler.collectBody(body([[1, 2, 3]]), declaredLength: 11, limit: 10) == nil)
        // Longer than the limit without (or despite) a declared length.
        let long = [[UInt8](repeating: 0, count: 6), [UInt8](repeating: 0, count: 6)]
        #expect(try await RequestHandler.collectBody(body(long), declaredLength: nil, limit: 10) == nil)
        #expect(try await RequestHandler.collectBody(body(long), declaredLength: 8, limit: 10) == nil)
        #expect(try await RequestHandler.collectBody(body([[UInt8](repeating: 0, count: 11)]), declaredLength: nil, limit: 10) == nil)
    }
}
