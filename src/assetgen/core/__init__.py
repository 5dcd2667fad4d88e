"""assetgen.core."""
