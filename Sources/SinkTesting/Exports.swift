// What tests need from the product's own local stack: the stack, running the sink, waiting on conditions.
@_exported import LocalStack
@_exported import struct OSSEmulator.SplitMix64
