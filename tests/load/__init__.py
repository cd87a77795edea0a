"""Helpers shared by the tests that run a storm, a rollout or a flapping Slack, and by the
benches under bench/ that run big ones (the benches import these; no test imports a bench)."""
