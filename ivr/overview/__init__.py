"""What the staff pages show about the line, in plain Python: the Now board, the week's report, charts."""
