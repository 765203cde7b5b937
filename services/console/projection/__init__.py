"""The read model's writers: one module per stream, each applying a batch in one transaction."""
