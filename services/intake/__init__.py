"""intake: the county-facing front door; validates partial project updates and publishes them to JetStream."""
