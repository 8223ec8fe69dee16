"""Qt widgets, models and the main window of the scgui app (draws; never opens a stream)."""
