"""Modal screens: help, open a file, jump to a node."""
