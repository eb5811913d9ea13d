/// Module `OSSClient`: see the module layout in README.md.
public enum OSSClientModule {}
