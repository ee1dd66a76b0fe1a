"""The brand's colours, defined once: black with gold (docs/assets/logo.svg, brand.css use the same)."""

from __future__ import annotations

GOLD = "#D4A843"
BLACK = "#000000"
