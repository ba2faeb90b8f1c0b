"""Channel adapters: each verifies, translates and renders for one platform, and nothing else."""
