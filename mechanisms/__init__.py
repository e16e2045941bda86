"""The rules of each game: mechanisms as peers in registries."""
