import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request as the scripted server saw it.
struct RecordedRequest: Sendable {
    var method: String
    /// Request target as sent (path and query, still percent-encoded).
    var uri: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// Client port of the connection the request arrived on (same port = same keep-alive connection).
    var remotePort: Int?

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
    var query: String { uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "" }
}

/// What the scripted server does with a request.
enum ScriptedReply: Sendable {
    case response(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
    /// Close the connection without answering.
    case dropConnection
    /// Wait, then reply.
    indirect case delayed(Duration, ScriptedReply)

    static func xml(_ status: Int, _ xml: String, headers: [(String, String)] = []) -> ScriptedReply {
        .response(status: status, headers: [("Content-Type", "application/xml")] + headers, body: Array(xml.utf8))
    }

    static func ok(headers: [(String, String)] = [], body: [UInt8] = []) -> ScriptedReply {
        .response(status: 200, headers: headers, body: body)
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (port 0) that answers with a script and records every request.
final class ScriptedServer: Sendable {
    typealias Handler = @Sendable (RecordedRequest) async -> ScriptedReply

    private let channel: any Channel
    private let recorded = Mutex<[RecordedRequest]>([])
    let port: Int

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [RecordedRequest] { recorded.withLock { $0 } }

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start(_ handler: @escaping Handler) async throws -> ScriptedServer {
        let box = NIOLockedValueBox<ScriptedServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(
                        ScriptedHandler(handler: handler, record: { request in box.withLockedValue { $0?.record(request) } }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = ScriptedServer(channel: channel, port: channel.localAddress?.port ?? 0)
        box.withLockedValue { $0 = server }
        return server
    }

    /// A server that answers from a list, one reply per request, repeating the last.
    static func sequence(_ replies: [ScriptedReply]) async throws -> ScriptedServer {
        let index = Mutex(0)
        return try await start { _ in
            let position = index.withLock { value -> Int in
                defer { value += 1 }
                return value
            }
            return replies[min(position, replies.count - 1)]
        }
    }

    private func record(_ request: RecordedRequest) {
        recorded.withLock { $0.append(request) }
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class ScriptedHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let handler: ScriptedServer.Handler
    let record: @Sendable (RecordedRequest) -> Void
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(handler: @escaping ScriptedServer.Handler, record: @escaping @Sendable (RecordedRequest) -> Void) {
        self.handler = handler
        self.record = record
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let request = RecordedRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body,
                remotePort: context.channel.remoteAddress?.port)
            record(request)
            let isHead = head.method == .HEAD
            let keepAlive = head.isKeepAlive
            let handler = self.handler
            let loop = context.eventLoop
            let boundContext = NIOLoopBound(context, eventLoop: loop)
            let boundSelf = NIOLoopBound(self, eventLoop: loop)
            loop.makeFutureWithTask { await handler(request) }.whenSuccess { reply in
                Task {
                    let resolved = await Self.resolve(reply)
                    loop.execute {
                        boundSelf.value.write(resolved, context: boundContext.value, isHead: isHead, keepAlive: keepAlive)
                    }
                }
            }
        }
    }

    private static func resolve(_ reply: ScriptedReply) async -> ScriptedReply {
        var reply = reply
        while case .delayed(let duration, let next) = reply {
            try? await Task.sleep(for: duration)
            reply = next
        }
        return reply
    }

    private func write(_ reply: ScriptedReply, context: ChannelHandlerContext, isHead: Bool, keepAlive: Bool) {
        switch reply {
        case .dropConnection, .delayed:
            context.close(promise: nil)
        case .response(let status, let headers, let body):
            var responseHeaders = HTTPHeaders(headers)
            if !responseHeaders.contains(name: "content-length") {
                responseHeaders.add(name: "Content-Length", value: String(body.count))
            }
            if !responseHeaders.contains(name: "date") {
                responseHeaders.add(name: "Date", value: "Sat, 16 Dec 2023 16:20:57 GMT")
            }
            let head = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: responseHeaders)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if !isHead, !body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { bound.value.close(promise: nil) }
            }
        }
    }
}
