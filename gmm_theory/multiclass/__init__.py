"""Beyond the paper: K-class Gaussian mixtures in d dimensions (THEORY.md section 2)."""
