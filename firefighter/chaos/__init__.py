"""Chaos experiments' results in (LitmusChaos, Chaos Mesh, a generic JSON), and the gate."""
