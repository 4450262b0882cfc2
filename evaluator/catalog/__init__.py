"""The constraint catalog: documented limits per target platform, as YAML data, with its loader."""
