"""Cases (督办单): an escalation opens a case that people work, up the ladder L1 → L5, until it closes."""
