"""Kept for compatibility: the emulators now live in `firefighter.emulators`."""
