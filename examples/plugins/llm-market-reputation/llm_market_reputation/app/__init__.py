"""The reputation market's dashboard page (``page``) and its adapter to the game (``game``)."""
