"""What every game of llm-market stands on: errors, registries, seeds, values, output, CLI.

Nothing here imports a game: ``mechanisms/``, ``agents/`` and ``market/<game>/`` import this
package, never the other way round.
"""
