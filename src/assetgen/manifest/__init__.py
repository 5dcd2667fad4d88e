"""assetgen.manifest."""
