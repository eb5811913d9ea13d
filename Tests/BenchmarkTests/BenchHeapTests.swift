import CBenchSupport
import Testing

/// The bench harness's allocator set-up applies to `kafka-oss-sink-bench [run] ...` only, never to the sink
/// children it spawns, to the sink itself or to any other process.
@Suite("Bench harness heap")
struct BenchHeapTests {
    static func isHarness(_ arguments: [String]) -> Bool {
        var bytes: [CChar] = []
        for argument in arguments {
            bytes += argument.utf8CString
        }
        return bytes.withUnsafeBufferPointer { kos_bench_harness_arguments($0.baseAddress, $0.count) } != 0
    }

    @Test("the bench binary is the harness; its children, the sink and look-alikes are not")
    func classifiesArguments() {
        #expect(Self.isHarness(["/usr/bin/kafka-oss-sink-bench"]))
        #expect(Self.isHarness([".build-release/release/kafka-oss-sink-bench", "--only", "crc,emulator", "--output", "x.json"]))
        #expect(Self.isHarness(["kafka-oss-sink-bench", "run", "--quick"]))
        #expect(!Self.isHarness(["kafka-oss-sink-bench", "sink-child", "--config", "c.yaml", "--report", "r.json"]))
        #expect(!Self.isHarness(["/x/kafka-oss-sink-bench", "consume-child", "--consumer", "floor", "--topic", "t"]))
        #expect(!Self.isHarness(["kafka-oss-sink-bench", "replay-child", "--config", "c.yaml", "--report", "r.json"]))
        #expect(!Self.isHarness(["kafka-oss-sink-bench", "produce-child", "--topic", "t", "--report", "r.json"]))
        #expect(Self.isHarness(["kafka-oss-sink-bench", "--only", "consume", "--output", "consume-child.json"]))
        #expect(!Self.isHarness(["kafka-oss-sink", "run", "--config", "bench"]))
        #expect(!Self.isHarness(["kafka-oss-sink", "bench"]))
        #expect(!Self.isHarness(["kafka-oss-sink-benchmark"]))
        #expect(!Self.isHarness(["/kafka-oss-sink-bench/kafka-oss-sink"]))
        #expect(!Self.isHarness([]))
    }

    @Test("a test process is not the harness and keeps the sink's allocator settings")
    func testProcessIsNotTheHarness() {
        #expect(kos_is_bench_harness() == 0)
    }

    @Test("pre-faulting touches whole chunks covering the request")
    func prefaultCoversTheRequest() {
        #expect(kos_prefault_heap(10 << 20, 4 << 20) == 12 << 20)
        #expect(kos_prefault_heap(0, 4 << 20) == 0)
    }
}
