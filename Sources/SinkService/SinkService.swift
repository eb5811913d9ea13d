/// Module `SinkService`: see the module layout in README.md.
public enum SinkServiceModule {}
