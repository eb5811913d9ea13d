/// Module `SinkConfig`: the YAML configuration.
public enum SinkConfigModule {}
