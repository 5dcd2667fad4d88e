"""assetgen.cli."""
