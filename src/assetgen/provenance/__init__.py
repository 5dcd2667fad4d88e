"""assetgen.provenance."""
