"""`python -m vaultkit` runs the same CLI as the console script."""

from vaultkit.cli import main

main()
