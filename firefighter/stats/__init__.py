"""Metrics and the weekly digest."""
