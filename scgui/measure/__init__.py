"""Measurements on audio data: levels, spectra (and later test signals, routing, latency).

Pure NumPy, no Qt, no sound server: everything here takes ``frames x channels`` float32
blocks (or one channel of them) and returns numbers, so the GUI, the CLI and the tests share
one implementation and can check it with synthetic signals.
"""
