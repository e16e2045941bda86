"""An independent, deliberately plain reference of the delegation mechanisms, query by query.

Written from the paper (Mechanism 1, Theorem 5.2, Tables 1-2) and ``docs/delegation-variant.md``
(the artifact variant), sharing nothing with the vectorised engine but the response table and
the seed streams (the first child of the root seed draws the query ids, the second the
mechanism's coins). Slow on purpose: one Python loop iteration per query.
"""

import math

import numpy as np

from market.delegation.scenarios import get_scenario

PHASE_TABLE = {
    "ours": ("honest", "sb", "worst", "worst"),
    "honest": ("honest",) * 4,
    "dishonest-model": ("honest", "worstmodel", "worst", "worst"),
    "dishonest-length": ("honest", "worstlength", "worst", "worst"),
    "dishonest-all": ("worst",) * 4,
    "ours-honest-length": ("honest", "sbtrue", "worst", "worst"),
}
PH = ["exploration", "exploitation", "blind-trust-1", "blind-trust-2"]


def reference(scen_name, strategies, T, eps, seed, mechanism, scen=None):
    scen = (scen or get_scenario(scen_name)).replace(T=T, eps=eps, mechanism=mechanism)
    art = mechanism == "second-best-artifact"
    tab = scen.table()
    L = int(scen.max_length or tab.length.max())
    lengths_all = np.minimum(tab.length, L)
    R = float(scen.reward_bound)
    eta = float(scen.eta)
    provs = []
    for spec in scen.providers:
        rows = [list(tab.models).index(m) for m in spec.models]
        costs = [scen.prices[m] / 1e6 for m in spec.models]
        mur = [float(tab.reward[r].mean()) for r in rows]
        mul = [float(lengths_all[r].mean()) for r in rows]
        if art:
            score = [R * a - c * b for a, b, c in zip(mur, mul, costs, strict=True)]
            tm = int(np.argmax(score))
            price = costs[tm]
        else:
            price = max(costs)
            cands = [m for m in range(len(costs)) if costs[m] == price]
            tm = max(cands, key=lambda m: (mur[m] - price * mul[m], -m))
        cheap = int(np.argmin(costs))
        provs.append(
            dict(rows=rows, costs=costs, mur=mur, mul=mul, tm=tm, price=price, cheap=cheap)
        )
    K = len(provs)
    Q = tab.reward.shape[1]
    ss = np.random.SeedSequence(seed).spawn(3)
    qrng = np.random.default_rng(ss[0])
    mrng = np.random.default_rng(ss[1])
    ids = (qrng.integers(0, T, size=T) % Q) if art else qrng.integers(0, Q, size=T)
    B = math.floor(T ** (2 * eps))
    M = T ** (-eps) * math.log(K * T)
    used = 0
    tot = [dict(r=0.0, rep=0, cost=0.0, n=0) for _ in range(K)]
    phase_len = {p: 0 for p in PH}
    uprime = None
    chosen = None

    def action(i, phase):
        P = provs[i]
        beh = PHASE_TABLE[strategies[i]][PH.index(phase)]
        if beh in ("sb", "sbtrue"):
            if phase != "exploitation" or i != chosen or uprime is None:
                beh = "worst"
            elif art:
                # the authors' simulator: start at the truthful model, no padding, profit 0;
                # walk the menu by descending R mu_r - c mu_l; switch on a strictly larger
                # expected profit; "sbtrue" scores (p - c) mu_l, "sb" the padded profit
                order = sorted(
                    range(len(P["costs"])),
                    key=lambda m: -(R * P["mur"][m] - P["costs"][m] * P["mul"][m]),
                )
                pick, pick_profit, pick_add = P["tm"], 0.0, 0
                for m in order:
                    r_, l_, c_ = P["mur"][m], P["mul"][m], P["costs"][m]
                    if r_ - c_ * l_ < uprime:
                        continue
                    add = max(0, int((r_ * R - uprime) / P["price"] - l_))
                    if beh == "sbtrue":
                        prof = (P["price"] - c_) * l_
                    else:
                        prof = P["price"] * min(l_ + add, L) - c_ * l_
                    if prof > pick_profit:
                        pick, pick_profit, pick_add = m, prof, add
                if beh == "sbtrue":
                    return pick, lambda t: t
                return pick, lambda t, a=pick_add: min(t + a, L)
            else:
                best = None
                for m in range(len(P["costs"])):
                    r_, l_, c_ = P["mur"][m], P["mul"][m], P["costs"][m]
                    if r_ - P["price"] * l_ < uprime:
                        continue
                    lp = math.floor(min(L, (r_ - uprime) / P["price"]))
                    if lp < l_:
                        continue
                    prof = P["price"] * lp - c_ * l_
                    cand = (prof, -c_, m, lp)
                    if best is None or cand[:2] > best[:2]:
                        best = cand
                if best is None:
                    beh = "worst"
                else:
                    m, lp = best[2], best[3]
                    if beh == "sbtrue":
                        return m, lambda t: t
                    return m, lambda t, a=lp: max(t, a)
        if beh == "honest":
            return P["tm"], lambda t: t
        if beh == "worst":
            return P["cheap"], lambda t: L
        if beh == "worstmodel":
            return P["cheap"], lambda t: t
        if beh == "worstlength":
            return P["tm"], lambda t: L
        raise ValueError(beh)

    def one(i, phase, m, rep):
        nonlocal used
        P = provs[i]
        q = ids[used]
        row = P["rows"][m]
        r = float(tab.reward[row, q])
        true_len = int(lengths_all[row, q])
        lr = int(rep(true_len))
        assert true_len <= lr <= L
        t = tot[i]
        t["r"] += r
        t["rep"] += lr
        t["cost"] += P["costs"][m] * true_len
        t["n"] += 1
        used += 1
        phase_len[phase] += 1
        return r, lr

    # exploration
    expl = []
    for i in range(K):
        m, rep = action(i, "exploration")
        sr = 0.0
        sl = 0
        for _ in range(B):
            if used >= T:
                break
            r, lr = one(i, "exploration", m, rep)
            sr += r
            sl += lr
        expl.append((sr / B, sl / B))
    u = [v - provs[i]["price"] * tau for i, (v, tau) in enumerate(expl)]
    mx = max(u)
    best = [i for i in range(K) if u[i] == mx]
    chosen = best[0] if len(best) == 1 else int(mrng.choice(best))
    uprime = max(u[i] for i in range(K) if i != chosen)
    pc = provs[chosen]["price"]
    thr = uprime - (R + pc * L) * M / 3.0
    if art:
        d1 = None
        stats = {}
        for P in provs:
            for row, a, b in zip(P["rows"], P["mur"], P["mul"], strict=True):
                stats[row] = (a, b)
        d1 = (
            -math.log(min(a for a, _ in stats.values()))
            + math.log(max(b for _, b in stats.values()))
            + max(b for _, b in stats.values()) / L
            + 1
        )
        marg = [math.log(v) - math.log(tau) - tau / L for v, tau in expl]
        d3 = sum(marg[i] for i in range(K) if i != chosen)
        TR = max(0, int(T - ((d1 + 3) * K + math.log(R) + d3) * B))
    else:
        deltas = [2 * v / (provs[i]["price"] * L) - 2 * tau / L for i, (v, tau) in enumerate(expl)]
        TR = max(
            0,
            math.floor(
                T
                - (
                    5 * K
                    + 2 * R / (min(P["price"] for P in provs) * L)
                    + sum(deltas[i] for i in range(K) if i != chosen)
                )
                * B
                - K
            ),
        )
    # exploitation
    m, rep = action(chosen, "exploitation")
    validated = True
    sr = 0.0
    sl = 0
    if art:
        j = 0
        nb = TR // B
        for _batch in range(nb):
            for _ in range(B):
                if used >= T:
                    break
                r, lr = one(chosen, "exploitation", m, rep)
                sr += r
                sl += lr
                j += 1
            # the authors' first check follows the second batch (j = 2B)
            if _batch >= 1 and (sr - pc * sl) / j < thr:
                validated = False
                break
        if validated:
            for _ in range(TR - nb * B):
                if used >= T:
                    break
                r, lr = one(chosen, "exploitation", m, rep)
                sr += r
                sl += lr
                j += 1
    else:
        for j in range(1, TR + 1):
            if used >= T:
                break
            r, lr = one(chosen, "exploitation", m, rep)
            sr += r
            sl += lr
            if j > B and (sr - pc * sl) / j < thr:
                validated = False
                break
    # blind trust I
    order = ([chosen] if validated else []) + [i for i in range(K) if i != chosen]
    for i in order:
        m, rep = action(i, "blind-trust-1")
        for _ in range(B):
            if used >= T:
                break
            one(i, "blind-trust-1", m, rep)
    # blind trust II
    quotas = []
    for i in range(K):
        if art:
            d = d1 + marg[i]
            if d > 0:
                x = B * d
                quotas.append((i, math.floor(x) + int(mrng.random() < x - math.floor(x))))
        else:
            d = deltas[i] + 3
            if d >= 0:
                x = B * d
                quotas.append((i, math.floor(x) + int(mrng.random() < x - math.floor(x))))
    for i, q in quotas:
        m, rep = action(i, "blind-trust-2")
        for _ in range(q):
            if used >= T:
                break
            one(i, "blind-trust-2", m, rep)
    res = dict(
        used=used,
        phases=phase_len,
        validated=validated,
        TR=TR,
        thr=thr,
        uprime=uprime,
        chosen=chosen,
        B=B,
        prov=[
            (
                eta * (provs[i]["price"] * t["rep"] - t["cost"]),
                t["r"] - provs[i]["price"] * t["rep"],
                t["n"],
            )
            for i, t in enumerate(tot)
        ],
    )
    res["user"] = sum(p[1] for p in res["prov"])
    return res
