"""County simulator: realistic feeds for N counties and M projects, with problems planted in known numbers."""
