"""Chart records of each game page."""
