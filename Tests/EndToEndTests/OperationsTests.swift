import Foundation
import HealthServer
import KafkaBridge
import Logging
import OSSEmulator
import SinkCore
import SinkTesting
import Testing

/// What operators see while the sink runs against the mock cluster and the OSS emulator: metrics over HTTP,
/// readiness through an OSS configuration error, oversized records, and records that expired in Kafka.
@Suite(.serialized) struct OperationsTests {
    @Test func metricsCountAppendsRolloversAndFencingDuringARun() async throws {
        let stack = try await TestStack(partitions: 1, name: "ops-metrics")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(
            sink: "  rollover:\n    max_object_bytes: 64KiB", batchMaxBytes: "16KiB")
        let observed = ObservedSink()
        let topicLabels = ["topic": stack.topic]
        let partitionLabels = ["topic": stack.topic, "partition": "0"]

        let wave1 = try await stack.produce(values: smallValues(1500, wave: 1), partition: 0)
        let wave2Values = smallValues(300, wave: 2)
        let all = SharedBox<[SinkRecord]>(wave1)
        let foreign = Array("FOREIGN WRITER BYTES\n".utf8)
        let foreignAt = SharedBox<(key: String, position: Int)?>(nil)

        let server = observed.healthServer()
        try await stack.withSink(configuration, logger: observed.logger, reporter: observed.reporter, services: [server]) { _ in
            let port = try await server.listeningPort()
            let wave1Bytes = rendered(wave1).count
            #expect(await eventually {
                let committed = (try? await stack.committedOffsets(partitions: 1)[0]) ?? nil
                return await stack.archivedByteCount() >= wave1Bytes && committed == 1500
            })

            // One real scrape over HTTP while the sink runs.
            let scrape = try await httpGet(port: port, path: "/metrics")
            #expect(scrape.status == 200)
            let text = scrape.body
            #expect(PrometheusText.sum(text, "kafka_oss_sink_records_appended_total", partitionLabels) == 1500)
            #expect(PrometheusText.sum(text, "kafka_oss_sink_appended_bytes_total", partitionLabels) == Double(wave1Bytes))
            #expect(PrometheusText.sum(text, "kafka_oss_sink_records_consumed_total", partitionLabels) == 1500)
            // 1500 records of ~140 rendered bytes in 64 KiB objects: at least two size rollovers.
            let sizeRollovers = PrometheusText.sum(
                text, "kafka_oss_sink_rollovers_total", partitionLabels.merging(["reason": "size"]) { $1 })
            #expect(sizeRollovers >= 2)
            #expect(PrometheusText.sum(text, "kafka_oss_sink_appends_total", topicLabels.merging(["outcome": "ok"]) { $1 }) >= 10)
            #expect(PrometheusText.sum(text, "kafka_oss_sink_appends_total", topicLabels.merging(["outcome": "fenced"]) { $1 }) == 0)
            #expect(PrometheusText.sum(text, "kafka_oss_sink_commits_total", ["outcome": "ok"]) >= 1)
            #expect(PrometheusText.sum(text, "kafka_oss_sink_ready") == 1)
            #expect(text.contains("# TYPE kafka_oss_sink_append_duration_seconds histogram"))
            #expect(try await httpGet(port: port, path: "/readyz").status == 200)

            // Another writer appends to the open object between two waves: the next append is fenced.
            let open = try #require(try await stack.objects().last)
            _ = try await stack.emulator.foreignAppend(bucket: stack.bucket, key: open.record.key, bytes: foreign)
            foreignAt.withLock { $0 = (open.record.key, open.bytes.count) }
            let wave2 = try await stack.produce(values: wave2Values, partition: 0, startOffset: 1500)
            all.withLock { $0 += wave2 }
            #expect(await eventually {
                let committed = (try? await stack.committedOffsets(partitions: 1)[0]) ?? nil
                return committed == 1800
            })
            let after = try await httpGet(port: port, path: "/metrics").body
            #expect(PrometheusText.sum(after, "kafka_oss_sink_appends_total", topicLabels.merging(["outcome": "fenced"]) { $1 }) >= 1)
            #expect(PrometheusText.sum(after, "kafka_oss_sink_records_appended_total", partitionLabels) == 1800)
        }

        // Every record once, in order, once the foreign bytes are taken out of the object they went to.
        let (foreignKey, foreignPosition) = try #require(foreignAt.withLock { $0 })
        var archived: [UInt8] = []
        for object in try await stack.objects() {
            var bytes = object.bytes
            if object.record.key == foreignKey {
                #expect(Array(bytes[foreignPosition..<foreignPosition + foreign.count]) == foreign)
                bytes.removeSubrange(foreignPosition..<foreignPosition + foreign.count)
            }
            archived += bytes
        }
        #expect(archived == rendered(all.current))
    }

    @Test func readinessFlipsOnAnOSSConfigurationErrorAndBackWhenFixed() async throws {
        let stack = try await TestStack(partitions: 1, name: "ops-ready")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(batchMaxBytes: "16KiB")
        let observed = ObservedSink()
        let wave1 = try await stack.produce(values: smallValues(200, wave: 1), partition: 0)
        let all = SharedBox<[SinkRecord]>(wave1)

        let server = observed.healthServer()
        try await stack.withSink(configuration, logger: observed.logger, reporter: observed.reporter, services: [server]) { _ in
            let port = try await server.listeningPort()
            let wave1Bytes = rendered(wave1).count
            #expect(await eventually {
                let committed = (try? await stack.committedOffsets(partitions: 1)[0]) ?? nil
                return await stack.archivedByteCount() >= wave1Bytes && committed == 200
            })
            #expect(await eventually { observed.health.readiness == .ready })
            #expect(try await httpGet(port: port, path: "/readyz").status == 200)

            // The bucket policy starts denying appends: not ready, with the reason, and nothing committed.
            stack.emulator.faults.failNext(
                1_000_000, status: 403, code: "AccessDenied", message: "You have no right to access this object.",
                match: OSSFaultMatch(method: "POST"))
            let wave2 = try await stack.produce(values: smallValues(200, wave: 2), partition: 0, startOffset: 200)
            all.withLock { $0 += wave2 }
            #expect(await eventually {
                if case .notReady = observed.health.readiness { return true }
                return false
            })
            let readyz = try await httpGet(port: port, path: "/readyz")
            #expect(readyz.status == 503)
            #expect(readyz.body.contains("configuration error"))
            #expect(readyz.body.contains("AccessDenied"))
            #expect(observed.health.snapshot().configError != nil)
            #expect(observed.value("kafka_oss_sink_config_error") == 1)
            #expect(observed.value("kafka_oss_sink_ready") == 0)
            // Stays so while the fault lasts: the sink tries again (every 10 s) and is refused, no bytes land and the
            // committed offset does not move.
            let refused = stack.emulator.faults.injected.failed
            #expect(await eventually { stack.emulator.faults.injected.failed > refused })
            #expect(try await stack.committedOffsets(partitions: 1)[0] == 200)
            #expect(await stack.archivedByteCount() == wave1Bytes)
            #expect(try await httpGet(port: port, path: "/readyz").status == 503)
            #expect(observed.value("kafka_oss_sink_records_appended_total", ["topic": stack.topic]) == 200)

            // The policy is fixed: ready again, and the held records land and are committed.
            stack.emulator.faults.reset()
            #expect(await eventually {
                let committed = (try? await stack.committedOffsets(partitions: 1)[0]) ?? nil
                return committed == 400 && observed.health.readiness == .ready
            })
            #expect(try await httpGet(port: port, path: "/readyz").status == 200)
            #expect(observed.value("kafka_oss_sink_config_error") == 0)
        }

        let archived = try await stack.objects().flatMap(\.bytes)
        #expect(archived == rendered(all.current))
        #expect(try await stack.committedOffsets(partitions: 1)[0] == 400)
        #expect(observed.value("kafka_oss_sink_records_appended_total", ["topic": stack.topic]) == 400)
    }

    @Test func aRecordLargerThanTheBatchLimitIsArchivedAloneInItsAppend() async throws {
        let stack = try await TestStack(partitions: 1, name: "ops-large")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(batchMaxBytes: "16KiB")
        let observed = ObservedSink(level: .trace)
        let large = Array("{\"blob\":\"\(String(repeating: "L", count: 100 * 1024))\"}".utf8)
        let values = smallValues(40, wave: 1) + [large] + smallValues(40, wave: 2)
        let records = try await stack.produce(values: values, partition: 0)
        let total = rendered(records).count

        try await stack.withSink(configuration, logger: observed.logger, reporter: observed.reporter) { _ in
            let done = await eventually {
                let committed = (try? await stack.committedOffsets(partitions: 1)[0]) ?? nil
                return await stack.archivedByteCount() >= total && committed == Int64(values.count)
            }
            #expect(done)
        }

        let objects = try await stack.objects()
        #expect(objects.flatMap(\.bytes) == rendered(records))
        // The append log lines (trace) give each append's position and size: one append holds exactly the
        // large record's rendered bytes, and no append other than it exceeds the batch limit.
        let appends = observed.logs.lines.filter { $0.message == "append" && $0.metadata["outcome"] == "ok" }
        let start = rendered(Array(records[..<40])).count
        let largeBytes = rendered([records[40]]).count
        #expect(largeBytes > 100 * 1024)
        #expect(objects.count == 1)
        #expect(appends.contains { $0.metadata["position"] == "\(start)" && $0.metadata["bytes"] == "\(largeBytes)" })
        #expect(appends.filter { Int($0.metadata["bytes"] ?? "") ?? 0 > 16 * 1024 }.count == 1)
        #expect(appends.reduce(0) { $0 + (Int($1.metadata["bytes"] ?? "") ?? 0) } == total)
        #expect(observed.value("kafka_oss_sink_records_appended_total", ["topic": stack.topic]) == Double(values.count))
    }

    @Test func recordsExpiredBeforeArchiveAreCountedAndLogged() async throws {
        let stack = try await TestStack(partitions: 1, name: "ops-expired")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(batchMaxBytes: "1MiB")
        let first = try await stack.produce(values: smallValues(100, wave: 1), partition: 0)
        let firstRun = ObservedSink()
        try await stack.withSink(configuration, logger: firstRun.logger, reporter: firstRun.reporter) { _ in
            let done = await eventually {
                let committed = (try? await stack.committedOffsets(partitions: 1)[0]) ?? nil
                return await stack.archivedByteCount() >= rendered(first).count && committed == 100
            }
            #expect(done)
        }
        #expect(try await stack.committedOffsets(partitions: 1)[0] == 100)

        // While the sink is stopped, the partition receives more than the mock cluster keeps (a few MB of
        // uncompressed message sets per partition): the oldest records after the commit are deleted.
        var later: [SinkRecord] = []
        let filler = String(repeating: "z", count: 10 * 1024)
        while later.count < 4000, try await stack.watermarks(partition: 0).low <= 100 {
            let values = (0..<100).map { Array("{\"n\":\(later.count + $0),\"fill\":\"\(filler)\"}".utf8) }
            later += try await stack.produce(values: values, partition: 0, startOffset: 100 + Int64(later.count),
                                             compression: .none)
        }
        let (low, high) = try await stack.watermarks(partition: 0)
        try #require(low > 100, "the mock cluster kept every record after \(later.count) records of 10 KiB")
        #expect(high == 100 + Int64(later.count))
        let available = later.filter { $0.offset >= low }

        let secondRun = ObservedSink()
        try await stack.withSink(configuration, logger: secondRun.logger, reporter: secondRun.reporter) { _ in
            let done = await eventually(timeout: .seconds(60)) {
                let committed = (try? await stack.committedOffsets(partitions: 1)[0]) ?? nil
                return committed == high
            }
            #expect(done)
        }

        // Reported loudly: one counted event and one error line naming the committed and the first offset.
        #expect(secondRun.value("kafka_oss_sink_records_expired_before_archive_total",
                                ["topic": stack.topic, "partition": "0"]) == 1)
        let lines = secondRun.logs.lines.filter { $0.message.hasPrefix("records expired in Kafka before they were archived") }
        #expect(lines.count == 1)
        #expect(lines.first?.level == .error)
        #expect(lines.first?.metadata["expected_offset"] == "100")
        #expect(lines.first?.metadata["first_offset"] == "\(low)")
        #expect(firstRun.value("kafka_oss_sink_records_expired_before_archive_total") == 0)
        // Everything still available is archived once, after the records of the first run.
        #expect(try await stack.objects().flatMap(\.bytes) == rendered(first + available))
        #expect(secondRun.value("kafka_oss_sink_records_appended_total", ["topic": stack.topic]) == Double(available.count))
    }
}
