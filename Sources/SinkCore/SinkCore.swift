/// Module `SinkCore`: see the module layout in README.md.
public enum SinkCoreModule {}
