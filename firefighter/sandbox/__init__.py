"""Offline runs on the emulators: `firefighter demo` and `gameday run --fast`."""
