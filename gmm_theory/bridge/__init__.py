"""Bridge: the same class-quota allocator on CNNs trained in JAX on real datasets."""
