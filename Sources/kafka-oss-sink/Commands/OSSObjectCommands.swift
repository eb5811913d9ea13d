import ArgumentParser
import Foundation
import NIOCore
import OSSClient
import OSSSigning
import SinkApp

struct OSSListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List objects under a prefix: last-modified, type, size and key, one per line.")

    @OptionGroup var options: OSSConfigOption

    @Argument(help: "Key prefix (empty lists the whole bucket).")
    var prefix: String = ""

    @Option(help: "Group keys by this delimiter (e.g. /); groups print as PRE lines.")
    var delimiter: String?

    func run() async throws {
        try await OSSCommandContext.run(config: options.config) { context in
            var objects = 0
            var bytes: UInt64 = 0
            try await context.client.forEachListPage(
                prefix: prefix.isEmpty ? nil : prefix, delimiter: delimiter, pageSize: 1000
            ) { page in
                var lines = ""
                for common in page.commonPrefixes {
                    lines += "\("".padding(toLength: 24, withPad: " ", startingAt: 0))  \("PRE".padding(toLength: 10, withPad: " ", startingAt: 0))  \(String(repeating: " ", count: 12))  \(common)\n"
                }
                for object in page.objects {
                    objects += 1
                    bytes += object.size
                    let modified = (object.lastModifiedText ?? "-").padding(toLength: 24, withPad: " ", startingAt: 0)
                    let type = (object.type?.rawValue ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
                    let size = String(object.size)
                    lines += "\(modified)  \(type)  \(String(repeating: " ", count: max(0, 12 - size.count)))\(size)  \(object.key)\n"
                }
                writeOutput(Array(lines.utf8))
            }
            StandardError.write("\(objects) object\(objects == 1 ? "" : "s"), \(bytes) bytes under \(context.url(prefix))\n")
        }
    }
}

struct OSSHeadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Print an object's metadata: type, size, next append position, CRC-64, ETag, dates, class, restore state, sealed time, user metadata, tags.")

    @OptionGroup var options: OSSConfigOption

    @Argument(help: "Object key.")
    var key: String

    func run() async throws {
        try await OSSCommandContext.run(config: options.config) { context in
            let metadata = try await context.client.headObject(key: key)
            var lines: [(String, String)] = [
                ("key", context.url(key)),
                ("type", metadata.objectType?.rawValue ?? "-"),
                ("size", String(metadata.contentLength)),
                ("next-append-position", metadata.nextAppendPosition.map(String.init) ?? "-"),
                ("crc64ecma", metadata.crc64.map(String.init) ?? "-"),
                ("etag", metadata.etag ?? "-"),
                ("last-modified", metadata.headers["last-modified"] ?? "-"),
                ("content-type", metadata.contentType ?? "-"),
                ("storage-class", metadata.storageClass ?? "-"),
            ]
            for (name, value) in metadata.userMetadata.sorted(by: { $0.key < $1.key }) {
                lines.append(("meta." + name, value))
            }
            let shown: Set<String> = [
                "x-oss-object-type", "x-oss-next-append-position", "x-oss-hash-crc64ecma", "x-oss-storage-class",
            ]
            for (name, value) in metadata.headers.sorted(by: { $0.key < $1.key })
            where name.hasPrefix("x-oss-") && !name.hasPrefix("x-oss-meta-") && !shown.contains(name) {
                lines.append((String(name.dropFirst(6)), value))
            }
            for header in ["content-encoding", "cache-control", "content-disposition", "expires"] {
                if let value = metadata.headers[header] { lines.append((header, value)) }
            }
            // Tags (the sink's segment.* tags describe finished segments); a policy without
            // oss:GetObjectTagging still shows the rest.
            do {
                for tag in try await context.client.getObjectTagging(key: key) { lines.append(("tag." + tag.key, tag.value)) }
            } catch {
                lines.append(("tags", "unavailable: \((error as? OSSError)?.code.rawValue ?? "\(error)")"))
            }
            print(lines.map { "\($0.0): \($0.1)" }.joined(separator: "\n"))
        }
    }
}

struct OSSCatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat",
        abstract: "Write an object (or a byte range of it) to standard output.")

    @OptionGroup var options: OSSConfigOption

    @Argument(help: "Object key.")
    var key: String

    @Option(help: "Byte range a-b (inclusive), a- (from a to the end) or -n (last n bytes; write --range=-n).")
    var range: String?

    /// Bytes fetched per GET, so large objects stream instead of being held in memory.
    static let chunkSize: UInt64 = 8 << 20

    func run() async throws {
        let requested: OSSByteRange?
        if let range {
            guard let parsed = OSSByteRange(parsing: range) else {
                throw ValidationError("--range must be a-b, a- or -n with a <= b (got '\(range)')")
            }
            requested = parsed
        } else {
            requested = nil
        }
        try await OSSCommandContext.run(config: options.config) { context in
            let size = try await context.client.headObject(key: key).contentLength
            var first: UInt64 = 0
            var last: UInt64 = size == 0 ? 0 : size - 1
            switch requested {
            case .bounded(let a, let b)?:
                first = a
                last = min(b, last)
            case .from(let a)?:
                first = a
            case .suffix(let count)?:
                first = size > count ? size - count : 0
            case nil:
                break
            }
            guard size > 0 else { return }
            guard first < size else {
                throw OSSCommandError(
                    "range \(requested?.description ?? "") starts beyond the end of \(context.url(key)) (\(size) bytes)")
            }
            var offset = first
            while offset <= last {
                let end = min(last, offset + Self.chunkSize - 1)
                let part = try await context.client.getObject(key: key, range: .bounded(first: offset, last: end))
                writeOutput(part.body.readableBytesView)
                guard part.body.readableBytes > 0 else { break }
                offset += UInt64(part.body.readableBytes)
            }
        }
    }
}

struct OSSAppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append a file (or standard input) to an appendable object at a position; prints the next position and CRC-64.",
        discussion: """
            Position 0 creates the object with the storage class, ACL, metadata and tags of the oss: section. \
            The result is verified against the CRC-64 the client computes; a lost response is resolved by HEAD, \
            so the bytes land exactly once.
            """)

    @OptionGroup var options: OSSConfigOption

    @Argument(help: "Object key.")
    var key: String

    @Option(help: "Append position: the object's current length (0 to create it).")
    var position: UInt64

    @Argument(help: "File to append, or - for standard input.")
    var file: String

    @Option(help: "Content-Type when the object is created.")
    var contentType: String = "application/octet-stream"

    func run() async throws {
        try await OSSCommandContext.run(config: options.config) { context in
            let bytes = try readInput(file)
            var previousCRC: UInt64 = 0
            if position > 0 {
                let metadata = try await context.client.headObject(key: key)
                guard let crc = metadata.crc64 else {
                    throw OSSCommandError("\(context.url(key)) reports no CRC-64, so the append cannot be verified")
                }
                previousCRC = crc
            }
            var create = context.createOptions
            create.contentType = contentType
            let outcome = await context.client.appendExactlyOnce(
                key: key, position: position, data: ByteBuffer(bytes: bytes), previousCRC: previousCRC, create: create)
            switch outcome {
            case .appended(let result), .landedEarlier(let result):
                print("next-position: \(result.nextPosition)")
                print("crc64ecma: \(result.crc64)")
            case .fenced(let next, let error):
                throw OSSCommandError(
                    "position \(position) is not the length of \(context.url(key))"
                        + (next.map { " (its length is \($0); append with --position \($0))" } ?? "")
                        + "; OSS said \(error.code): \(error.message)")
            case .notAppendable(let error), .sealed(let error), .integrityMismatch(let error), .configurationError(let error),
                .unresolved(let error, _):
                throw error
            }
        }
    }
}

struct OSSPutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Upload a file (or standard input) as a normal object, replacing any object with that key.")

    @OptionGroup var options: OSSConfigOption

    @Argument(help: "Object key.")
    var key: String

    @Argument(help: "File to upload, or - for standard input.")
    var file: String

    @Option(help: "Content-Type of the object.")
    var contentType: String = "application/octet-stream"

    func run() async throws {
        try await OSSCommandContext.run(config: options.config) { context in
            var create = context.createOptions
            create.contentType = contentType
            let result = try await context.client.putObject(key: key, bytes: try readInput(file), options: create)
            print("etag: \(result.etag ?? "-")")
            print("crc64ecma: \(result.crc64)")
        }
    }
}

struct OSSRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Delete an object (succeeds whether or not it exists).")

    @OptionGroup var options: OSSConfigOption

    @Argument(help: "Object key.")
    var key: String

    func run() async throws {
        try await OSSCommandContext.run(config: options.config) { context in
            try await context.client.deleteObject(key: key)
            StandardError.write("deleted \(context.url(key))\n")
        }
    }
}
