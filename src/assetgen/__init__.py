"""assetgen: AI-generated images as a build step, with their lineage intact."""

from __future__ import annotations

__version__ = "0.1.0"
TOOL = f"assetgen {__version__}"
