"""assetgen.verify."""
