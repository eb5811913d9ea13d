#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered writes to standard error.
public enum StandardError {
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = fputs_unlocked_write(buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    private static func fputs_unlocked_write(_ pointer: UnsafePointer<UInt8>, _ count: Int) -> Int {
        Glibc.write(2, pointer, count)
    }
}
