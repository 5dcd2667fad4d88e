"""Commands beyond build and plan, registered on the same click group."""

from __future__ import annotations
