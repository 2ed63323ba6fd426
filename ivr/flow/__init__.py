"""The call-flow language: staff's YAML read into typed steps, checked with precise problems, reviewed and drawn."""
