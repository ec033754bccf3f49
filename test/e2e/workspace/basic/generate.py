# Utilities for sequences.


