"""cgoguard: memory-safety analysis for Go code that calls C through cgo.

The package is a library; :mod:`cgoguard.cli` only wires its pieces to the command line.
"""

__version__ = "0.1.0"
