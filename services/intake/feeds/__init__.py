"""Feeds beyond the JSON API: county data as the county already keeps it, turned into `ProjectUpdate` items.

Each feed ends in the same place as a posted batch: items validated one by one, valid ones published
with their stable event ids, invalid ones quarantined with their reasons. `spreadsheet` reads uploaded
CSV/XLSX ledgers through a versioned mapping profile (config/profiles/*.toml).
"""
