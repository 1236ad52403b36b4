"""The library's version, in a module of its own: the package, the engine and the sweeps' task
keys read it without importing one another (``tests/test_layout.py``)."""

__version__ = "0.1.0.dev0"
