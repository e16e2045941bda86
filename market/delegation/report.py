"""Readable summaries of delegation runs (what ``llm-market delegation run`` prints).

References:
    Cao et al. (2026), Mechanism 1 (B, M, T_R, threshold, u'), Section 3.2 (u_SB, u_FB).
"""

from __future__ import annotations

from market.delegation.horizon import MAX_QUERIES, HorizonPlan, shortfall_advice
from market.delegation.results import DelegationResult


def share(value: float, reference: float) -> str:
    """``value`` as a percentage of ``reference``."""
    return f"{100 * value / reference:.1f}%" if reference else "n/a"


def fmt(value) -> str:
    """A number for the summary (``n/a`` for None)."""
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"


def mechanism_lines(r: DelegationResult, description: str) -> list[str]:
    """The head of the summary: the market, the mechanism and its figures."""
    lines = [f"Delegation market: scenario {r.scenario}, mechanism {r.mechanism}"]
    if description:
        lines.append(f"  ({description})")
    lines.append(
        f"T = {r.T:,} queries, eps = {r.eps:g}, seed {r.seed}; B = {r.B:,} "
        f"queries per provider to explore, M = {r.M:.4g}, L = {r.max_length:,}"
    )
    phases = " | ".join(f"{name} {length:,}" for name, length in r.phases)
    lines.append(f"Phases: {phases}")
    chosen = "none" if r.chosen is None else r.providers[r.chosen - 1].name
    validated = {True: "yes", False: "no (stopped early)", None: "n/a"}[r.validated]
    lines.append(
        f"Chosen provider: {chosen}; u' = {fmt(r.u_prime)}; threshold = "
        f"{fmt(r.threshold)}; T_R = {fmt(r.T_R)}; validated: {validated}"
    )
    lines.append(f"Queries used: {r.queries_used:,} of {r.T:,} ({r.T - r.queries_used:,} unused)")
    lines.append(
        f"User utility: {r.user_utility:,.2f} (u_SB = {r.u_sb:,.2f}: "
        f"{share(r.user_utility, r.u_sb)}; u_FB = {r.u_fb:,.2f}: "
        f"{share(r.user_utility, r.u_fb)})"
    )
    return lines


def provider_lines(r: DelegationResult) -> list[str]:
    """One row per provider: strategy, provider utility, delivered user utility, delegations."""
    width = max(len("provider"), *(len(p.name) for p in r.providers))
    swidth = max(len("strategy"), *(len(p.strategy) for p in r.providers))
    lines = [
        f"{'provider':<{width}}  {'strategy':<{swidth}}  {'provider utility':>16}  "
        f"{'user utility':>14}  {'delegations':>11}"
    ]
    for p in r.providers:
        lines.append(
            f"{p.name:<{width}}  {p.strategy:<{swidth}}  {p.provider_utility:>16,.2f}  "
            f"{p.user_utility:>14,.2f}  {p.delegations:>11,}"
        )
    return lines


def run_summary(result: DelegationResult, description: str = "") -> str:
    """A readable summary of one run; ``description`` says where the mechanism comes from."""
    lines = [*mechanism_lines(result, description), "", *provider_lines(result)]
    if result.data_notes:
        lines += ["", "Data notes:", *(f"  - {note}" for note in result.data_notes)]
    return "\n".join(lines)


def plan_summary(plan: HorizonPlan, scenario: str) -> str:
    """What ``llm-market delegation plan`` prints: B, M, the reserve, T_R and the phases."""
    lines = [
        f"Horizon plan: scenario {scenario}, mechanism {plan.mechanism}, K = {plan.K} providers",
        f"T = {plan.T:,} queries, eps = {plan.eps:g}: B = {plan.B:,} queries per provider to "
        f"explore, M = {plan.M:.4g}, L = {plan.max_length:,}, p_min = {plan.min_price:.4g} per "
        "token",
    ]
    if plan.reserve:
        lines.append("Reserved by T_R beyond exploration (coefficient x B):")
        width = max(len(name) for name, _, _ in plan.reserve)
        lines += [
            f"  {name:<{width}}  {c:>12,.4g} x B = {q:>14,.0f} queries"
            for name, c, q in plan.reserve
        ]
    lines.append(f"T_R (honest exploration) = {plan.T_R:,}")
    lines.append(
        "Expected phase lengths with everyone honest: "
        + " | ".join(f"{name} {q:,.0f}" for name, q in plan.phases)
    )
    if plan.works:
        lines.append(f"This T works (an exploitation phase of {plan.T_R:,} queries).")
        if plan.T > MAX_QUERIES:
            lines.append(f"But a run accepts at most {MAX_QUERIES:,} queries.")
    else:
        lines.append(f"This T leaves no exploitation phase: {shortfall_advice(plan)}.")
    return "\n".join(lines)


def metagame_summary(result) -> str:
    """What ``llm-market delegation metagame`` prints: table source, dynamics, sinks, check."""
    s, table = result.settings, result.table
    source = "from the cache" if s["payoffs_from_cache"] else "computed"
    lines = [
        f"Empirical game: scenario {s['scenario']}, mechanism {s['mechanism']}, T = {s['T']:,}, "
        f"{s['seeds']} seed(s); payoff table of {len(table.profiles)} profiles {source} "
        f"({result.timings['payoff_table_seconds']:.2f} s)",
        f"u_SB = {table.u_sb:,.0f}, u_FB = {table.u_fb:,.0f}; rule {s['rule']}, tolerance "
        f"{s['tolerance']:g}, z {s['z']:g}",
    ]
    ends = [result.dynamics, *(e for e in result.claim_ends if e.start != result.dynamics.start)]
    for end in ends:
        lines.append(
            f"From {'|'.join(end.start)}: {'|'.join(end.end)} after {end.plays} play(s) "
            f"({end.stop_reason}); user utility {end.user_utility:,.0f} = "
            f"{share(end.user_utility, table.u_sb)} of u_SB"
        )
    lines.append(
        f"{len(result.sinks)} sink(s) of the better-response graph "
        f"({result.graph.number_of_edges()} improving moves); dynamics from "
        f"{share(result.cycling_share, 1)} of the starts reach none:"
    )
    for sink in sorted(result.sinks, key=lambda x: -x.basin):
        lines.append(
            f"  {'|'.join(sink.profile)}: basin {share(sink.basin, 1)}, user utility "
            f"{sink.user_utility:,.0f} ({share(sink.user_utility, table.u_sb)} of u_SB)"
        )
    check = result.theorem52
    if check is None:
        lines.append("Theorem 5.2 check: not applicable (no validation check, no u').")
    else:
        lines.append(
            f"Theorem 5.2 check (provider {check.provider}, {len(check.points)} exploitation "
            f"choices against 'ours' by the others): largest gain over 'ours' "
            f"{check.largest_gain:,.0f} ({check.best_model}, {check.best_report}); slack "
            f"{check.slack:,.0f}: {'within' if check.within_slack else 'BEYOND'} the slack"
        )
    return "\n".join(lines)
