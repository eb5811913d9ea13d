import OSSChecksum
import Foundation
import Testing
@testable import SinkCore

@Suite struct CRC64Tests {
    @Test func checkValuesFromTheProtocolDocument() {
        #expect(CRC64.checksum(Array("123456789".utf8)) == 11_051_210_869_376_104_954)
        #expect(CRC64.checksum(Array("abc".utf8)) == 3_231_342_946_509_354_535)
        #expect(CRC64.checksum(Array("test".utf8)) == 18_020_588_380_933_092_773)
        #expect(CRC64.checksum(Array("hi oss,append object".utf8)) == 2_313_496_259_928_504_459)
        #expect(CRC64.checksum(Array("This is a test of the emergency broadcast system.".utf8)) == 0x27DB_187F_C15B_BC72)
        #expect(CRC64.checksum([UInt8]()) == 0)
    }

    @Test func continuesAcrossChunks() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            #expect(CRC64.update(CRC64.checksum(data[..<split]), data[split...]) == CRC64.checksum(data))
        }
    }
}

@Suite struct CommitMetadataTests {
    @Test func roundTripsAwkwardKeys() {
        for key in ["events/0/2024/01/01/events+0+00000000000000000042.jsonl", "a b=c%d", "é/中/😀", "x~1.jsonl.gz",
                    "k=v pos=1 crc=2", "100%"] {
            let m = CommitMetadata(key: key, position: 123_456, crc64: .max)
            #expect(CommitMetadata.parse(m.encoded) == m)
            #expect(m.encoded.split(separator: " ").count == 4)
        }
    }

    @Test func version2CarriesTheSegmentAndTheFinishedOnes() throws {
        let finished = [
            SegmentDescription(key: "t/0/t+0+0 a,b.jsonl", length: 400, crc64: .max, firstOffset: 0, lastOffset: 9, recordCount: 10),
            SegmentDescription(key: "t/0/t+0+10.jsonl", length: 300, crc64: 7, firstOffset: nil, lastOffset: 19, recordCount: nil),
        ]
        let m = CommitMetadata(key: "t/0/t+0+20.jsonl", position: 100, crc64: 5, firstOffset: 20, recordCount: 4,
                               openedAtMs: 1_700_000_000_000, closed: true, finishing: finished)
        #expect(m.encoded == "v2 key=t/0/t+0+20.jsonl pos=100 crc=5 first=20 n=4 t=1700000000000 closed "
            + "fin=t/0/t+0+0%20a%2Cb.jsonl,400,18446744073709551615,0,9,10 fin=t/0/t+0+10.jsonl,300,7,,19,")
        #expect(CommitMetadata.parse(m.encoded) == m)
        #expect(CommitMetadata.parse("v2 key=a pos=1 crc=2") == CommitMetadata(key: "a", position: 1, crc64: 2))
    }

    @Test func finishedSegmentsThatDoNotFitAreLeftOut() {
        let long = String(repeating: "k", count: 900)
        let finished = (0..<8).map {
            SegmentDescription(key: "\(long)\($0)", length: 1, crc64: 1, firstOffset: 0, lastOffset: 0, recordCount: 1)
        }
        let m = CommitMetadata(key: "a", position: 1, crc64: 2, firstOffset: 0, finishing: finished)
        let (text, included) = m.encode()
        #expect(included == 4 && text.utf8.count <= CommitMetadata.maxEncodedBytes)
        #expect(CommitMetadata.parse(text)?.finishing == Array(finished.prefix(4)))
    }

    @Test func encodingIsStable() {
        #expect(CommitMetadata(key: "t/0/t+0+5 x=y.jsonl", position: 10, crc64: 99).encoded
                == "v1 key=t/0/t+0+5%20x%3Dy.jsonl pos=10 crc=99")
    }

    @Test(arguments: [
        nil, "", "v1", "v3 key=a pos=1 crc=2", "v2 key=a pos=1 crc=2 n=1 first=0", "v2 key=a pos=1 crc=2 first=1 first=2",
        "v2 key=a pos=1 crc=2 closed closed", "v2 key=a pos=1 crc=2 fin=b,1,2,3", "v2 key=a pos=1 crc=2 fin=b,1,2,x,4,5",
        "v2 key=a pos=1 crc=2 fin=b,1,2,3,4,5 closed", "v2 key=a pos=1 crc=2 other=1", "v1 key=a pos=1 crc=2 closed",
        "v1 key=a pos=1", "v1 key=a pos=1 crc=2 extra=3", "v1 key= pos=1 crc=2",
        "v1 key=a pos=-1 crc=2", "v1 key=a pos=1 crc=x", "v1 key=a%2 pos=1 crc=2", "v1 key=a%ZZ pos=1 crc=2",
        "v1  key=a pos=1 crc=2", "v1 pos=1 key=a crc=2", "v1 key=a pos=1 crc=18446744073709551616",
        "v1 key=a b pos=1 crc=2", "v1 key=%FF pos=1 crc=2", "garbage from another tool",
    ] as [String?])
    func malformedMetadataMeansNoMetadata(text: String?) {
        #expect(CommitMetadata.parse(text) == nil)
    }
}

@Suite struct CompressionTests {
    let plain1 = Array(String(repeating: "first line of records\n", count: 200).utf8)
    let plain2 = Array("second append\n".utf8)

    @Test(arguments: [SinkSettings.Compression.gzip(level: 6), .zstd(level: 3)])
    func concatenatedUnitsDecodeToTheConcatenatedInput(c: SinkSettings.Compression) throws {
        let object = AppendCompression.compress(plain1, c) + AppendCompression.compress(plain2, c)
            + AppendCompression.compress([], c)
        #expect(try AppendCompression.decompress(object, c) == plain1 + plain2)
        #expect(AppendCompression.compress(plain1, c).count < plain1.count)
    }

    @Test(arguments: [SinkSettings.Compression.gzip(level: 1), .zstd(level: 1)])
    func truncatedOrGarbageTailsAreReported(c: SinkSettings.Compression) {
        let one = AppendCompression.compress(plain1, c)
        let two = AppendCompression.compress(plain2, c)
        do {
            _ = try AppendCompression.decompress(one + two.dropLast(3), c)
            Issue.record("a truncated unit must not decode")
        } catch {
            #expect(error.decoded.starts(with: plain1))
        }
        #expect(throws: TailDecodingError.self) { try AppendCompression.decompress(one + Array("garbage!".utf8), c) }
    }

    @Test(arguments: [("gzip", SinkSettings.Compression.gzip(level: 6), "/usr/bin/zcat"),
                      ("zstd", .zstd(level: 3), "/usr/bin/zstdcat")])
    func systemToolsReadTheWholeObject(name: String, c: SinkSettings.Compression, tool: String) throws {
        guard FileManager.default.isExecutableFile(atPath: tool) else { return }
        let object = AppendCompression.compress(plain1, c) + AppendCompression.compress(plain2, c)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sinkcore-\(UUID().uuidString).\(name)")
        try Data(object).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [path.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect([UInt8](output) == plain1 + plain2)
    }

    @Test func noneIsIdentity() throws {
        #expect(AppendCompression.compress(plain2, .none) == plain2)
        #expect(try AppendCompression.decompress(plain2, .none) == plain2)
    }
}
