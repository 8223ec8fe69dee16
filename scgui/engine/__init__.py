"""The engine between the window and the sound-card library.

It runs the work that must not wait for the GUI: the audio worker that owns the streams, the
recording writer thread that puts audio on disk, and the controller that turns UI intents
into worker commands. No widget code lives here.
"""
