"""The monthly bulletin (每月通报): pure figures, Chinese documents, generation and delivery."""
