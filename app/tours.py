"""Guided tours: one click sets a page's every setting, and a few sentences say what to watch.

A tour is a link: the page's path and its settings as URL parameters, plus ``tour=<name>`` so
the page shows the tour's text above its controls.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.urlstate import page_url


@dataclass(frozen=True)
class Tour:
    """A guided tour.

    Attributes:
        name: URL name.
        title: card title.
        page: the page's path.
        settings: the page's URL parameters.
        text: what to watch (Markdown).
    """

    name: str
    title: str
    page: str
    settings: dict[str, str]
    text: str

    @property
    def url(self) -> str:
        """The link that opens the page with the tour's settings."""
        return page_url(self.page, {**self.settings, "tour": self.name})


CHEATER = "dishonest-length,ours,honest"

TOURS = (
    Tour(
        "naive-platform",
        "A cheating provider against a naive platform",
        "delegation",
        {"preset": "cao2026-paper", "strategies": CHEATER, "mechanism": "explore-then-commit"},
        "Provider 1 bills the largest length L for every answer once it is trusted. The "
        "platform explores each provider for B queries, then hands every remaining query to "
        "the one that looked best, and never checks again. Press **Play** and watch provider "
        "1's utility climb while the user's utility falls below the second-best pace line: "
        "nothing stops the cheat. (The naive platform is a textbook explore-then-commit rule, "
        "not from the paper.)",
    ),
    Tour(
        "second-best",
        "The same provider against the second-best mechanism",
        "delegation",
        {"preset": "cao2026-paper", "strategies": CHEATER, "mechanism": "second-best"},
        "The same cheating provider, now under Mechanism 1 as printed. In exploitation the "
        "mechanism compares the running mean user utility with its threshold after every "
        "query past B: the inflated bills fail the check at once, the phase stops "
        "(**validated: no**), and the blind-trust phases end the run with most queries unused. "
        "Compare provider 1's utility with the naive platform's tour.",
    ),
    Tour(
        "providers-learn-second-best",
        "Providers learn to play the second-best strategy",
        "metagame",
        {"preset": "cao2026", "T": "1000000", "seeds": "2", "start": "honest,honest,honest"},
        "Three providers start honest and switch to their best response between plays of the "
        "mechanism (the scenario's own: the authors' variant of Mechanism 1, reconstructed). "
        "The payoff table at T = 1,000,000 takes a few seconds the first time. Press "
        "**Play**: provider 1, chosen by exploration, moves to **ours** and then nobody can "
        "improve (Theorem 5.2). Every red-ringed sink has provider 1 playing ours, and the "
        "user gets close to u_SB. Set T to 200,000 and the sinks move to dishonest-length.",
    ),
    Tour(
        "providers-learn-to-cheat",
        "Under a naive platform, providers learn to cheat",
        "metagame",
        {"preset": "cao2026", "mechanism": "explore-then-commit", "T": "200000", "seeds": "2"},
        "The same learning providers under a naive explore-then-commit platform (a textbook "
        "rule, not from the paper) that never checks after exploring. Press **Play**: "
        "providers 2 and 3 switch to dishonest-all (a cheaper model, inflated bills), nobody "
        "can improve from there, and the user's utility falls to a fraction of u_SB.",
    ),
    Tour(
        "competition-wastes-compute",
        "Why competition wastes compute",
        "ttc",
        {"preset": "intro-example", "beta": "inf", "mechanism": "pay-for-compute"},
        "The two-provider example of the paper's introduction, with perfectly rational users. "
        "Each step one provider revises its compute level. Provider 1 moves to high compute to "
        "win the users, and the market settles at an equilibrium whose welfare is 0.8 against "
        "the best possible 1.15 (price of anarchy 1.44): watch the inefficiency line.",
    ),
    Tour(
        "auction-fixes-it",
        "The auction fixes it",
        "ttc",
        {"preset": "intro-example", "beta": "inf", "mechanism": "second-price-auction"},
        "The same providers in the reverse second-price auction (Section 4): each bids its "
        "welfare-maximising level at cost (truthful bidding is dominant, Theorem 5). The "
        "winner serves at low compute and welfare reaches its maximum, 1.15: the inefficiency "
        "line stays at 1. The table compares the market with the auction (the paper's Table 2).",
    ),
    Tour(
        "truthful-bidding-pays",
        "Truthful bidding pays under ROSA",
        "rosa",
        {"T": "2000", "batch": "50", "provider": "4", "bidding": "inflate", "factor": "1.5"},
        "P4 inflates its bid by half. Press **Play**: unflagged by ROSA in this run, it is "
        "paid its inflated bid on every round it serves and ends above zero, while the "
        "truthful providers earn exactly zero. But one run is one draw of ROSA's coins: press"
        " **Compute** under *Utility against bid*. Averaged over 50 draws, P4's expected "
        "utility peaks at its true cost (up to the noise the page reports) and falls as the "
        "bid rises. Then switch the mechanism to **pay-as-bid** and compute again: inflating "
        "pays. (ROSA is reconstructed.)",
    ),
)


def tour_named(name: str | None) -> Tour | None:
    """The tour called ``name`` (None for no or an unknown name)."""
    return next((t for t in TOURS if t.name == name), None)
