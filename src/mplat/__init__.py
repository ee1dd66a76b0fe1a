"""mplat: marimo notebooks as a branded, offline-capable WebAssembly gallery."""

__version__ = "0.1.0"
