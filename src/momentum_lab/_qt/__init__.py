"""Everything that imports Qt lives under this package (the engine never does)."""
