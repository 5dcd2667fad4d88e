"""assetgen.images."""
