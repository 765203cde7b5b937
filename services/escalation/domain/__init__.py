"""Pure escalation rules: facts and a Beijing date in, findings and ladder decisions out."""
