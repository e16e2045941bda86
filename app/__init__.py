"""The Solara dashboard (to come: the app only, the models live in market/)."""
