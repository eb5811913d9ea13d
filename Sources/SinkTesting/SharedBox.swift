import Synchronization

/// A value shared between a test and the closures it hands to a running sink.
public final class SharedBox<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    public init(_ value: Value) { self.value = Mutex(value) }

    public func withLock<T: Sendable>(_ body: (inout Value) throws -> T) rethrows -> T {
        try value.withLock { try body(&$0) }
    }

    /// The current value.
    public var current: Value { value.withLock { $0 } }

    /// Replaces the value.
    public func set(_ newValue: Value) { value.withLock { $0 = newValue } }
}
