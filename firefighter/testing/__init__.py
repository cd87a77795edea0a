"""Kept for compatibility: the README once promised `firefighter.testing`; use
`firefighter.emulators`."""
