/// Module `OSSEmulator`: see the module layout in README.md.
public enum OSSEmulatorModule {}
