"""What the staff pages show and who may see it, in plain Python (no Flask): the views only render."""
