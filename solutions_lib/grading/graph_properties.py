"""Property check of ``reverse_schedule`` (week 6; verifier only).

Many orders are correct, so a student's schedule is not compared with the reference's: it must
hold every node reachable from the output exactly once, nothing else, and each node after all of
its children (the nodes computed from it). The output of the ``schedule`` driver
(:mod:`checker.graph_drivers`) is a list of node indices of the case's graph.
"""
from __future__ import annotations

import numbers


def _reachable(nodes):
    out = len(nodes) - 1
    seen, stack = set(), [out]
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(int(p) for p, _ in nodes[i][1])
    return seen


def schedule_failure(case, out):
    """``(why, mistake key or None)`` if ``out`` is not a reverse schedule of the case's graph, else ``None``."""
    nodes = case["args"][0]
    if not isinstance(out, (list, tuple)) or not all(isinstance(i, numbers.Integral) for i in out):
        return "reverse_schedule must return a list of the graph's nodes", None
    reach = _reachable(nodes)
    if -1 in out:
        return "the schedule contains something that is not a node of the graph (return the nodes themselves)", None
    counts = {i: out.count(i) for i in set(out)}
    twice = sorted(i for i, c in counts.items() if c > 1)
    if twice:
        return (f"node {twice[0]} appears {counts[twice[0]]} times in the schedule; "
                "each node must be scheduled exactly once"), "node_visited_twice"
    missing = sorted(reach - set(out))
    if missing:
        return f"{len(missing)} reachable node(s) are missing from the schedule, e.g. node {missing[0]}", None
    extra = sorted(set(out) - reach)
    if extra:
        return f"node {extra[0]} is not reachable from the output (not one of its ancestors) but is scheduled", None
    pos = {i: k for k, i in enumerate(out)}
    for i in out:
        for p, _ in nodes[i][1]:
            p = int(p)
            if pos[p] < pos[i]:
                return (f"node {p} is scheduled at position {pos[p]}, before its child node {i} (position "
                        f"{pos[i]}); every child must come before its parents"), "parents_before_children"
    return None
