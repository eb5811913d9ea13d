public import Hummingbird
public import NIOCore

/// Request context of the emulator: Hummingbird's core storage plus the connection, so a fault can drop it.
public struct EmulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
