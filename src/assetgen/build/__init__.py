"""assetgen.build."""
