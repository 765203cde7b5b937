"""Spreadsheet ledgers (CSV, XLSX): readers, cell normalisation, profile-driven mapping, error reports, jobs."""
