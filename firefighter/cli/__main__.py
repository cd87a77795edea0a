"""`python -m firefighter.cli`: the demo starts `serve` this way, with the same interpreter."""

from firefighter.cli import main

main()
