/// CRC-64/XZ (`x-oss-hash-crc64ecma`) lives in its own dependency-free module so that pure code
/// (SinkCore) can use it without the signing stack; OSSSigning users get it through this module.
@_exported public import OSSChecksum
