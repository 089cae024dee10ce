"""Settings and default data (taxonomy, every Vietnamese reply); imports nothing of ours."""
