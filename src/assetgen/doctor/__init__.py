"""assetgen.doctor."""
