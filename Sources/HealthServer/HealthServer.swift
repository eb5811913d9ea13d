/// Module `HealthServer`: see the module layout in README.md.
public enum HealthServerModule {}
