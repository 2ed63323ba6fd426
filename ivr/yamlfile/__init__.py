"""YAML files with line numbers: the toolkit the call flows and the roster are both read with."""
