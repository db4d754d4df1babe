"""Numerical checks of GAN theory (the optimal discriminator and the Jensen-Shannon divergence)."""
