"""The Jira adapter: follow-ups become Jira issues, and their status comes back."""
