/// Module `OSSSigning`: see the module layout in README.md.
public enum OSSSigningModule {}
