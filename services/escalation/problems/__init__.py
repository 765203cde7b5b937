"""The problem list (问题清单), meetings that decide, and their assignments (交办事项): issue #11."""
