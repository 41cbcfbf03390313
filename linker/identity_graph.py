"""Why an identity holds together, and which identities its relations lead to.

``why``: the scored pairs stored between the members of an identity under the active linkage
model version of its entity type (a linkage run stores the pairs of the match and review
bands: ``linker.linkage``), and the groups those pairs connect. Match-band pairs are what
clusters records; one group means the stored pairs hold every member together. A member
alone in a group has no stored match with the others: it came by a manual merge, by a run
under another (or no) model version, or by a pair below ``t_match`` that the clustering
joined through others. Runs store no explanation of a pair (score and band only), so each
pair's ``explanation`` is None until they do.

``network``: identities linked to one through relations (holds an account, directs a
company, transfers, shares a phone, family), breadth first up to ``depth`` hops. Each
relation joins two records; the identity of each end is its node. A relation whose other end
is in no identity (a record not resolved yet, or not stored) is counted, not followed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from linker.store import Identity, Reader, Relation, ScoredPair

__all__ = ["MAX_DEPTH", "MAX_NODES", "Edge", "Network", "Why", "network", "why"]

RecordRef = tuple[str, str]
MAX_DEPTH = 3
MAX_NODES = 500  # a network stops growing here (``truncated``): a hub account links thousands


@dataclass(frozen=True)
class Why:
    """The pairs among an identity's members and the groups the match-band ones connect."""

    identity: Identity
    model_version: str | None  # the version whose pairs these are; None: no version yet
    pairs: list[ScoredPair]  # best score first
    groups: list[list[RecordRef]]  # largest first; one group: the pairs hold it together


def why(reader: Reader, identity: Identity) -> Why:
    """The stored pairs holding ``identity`` (an active one) together."""
    version = reader.active_model_version(identity.entity_type)
    members = set(identity.members)
    pairs: list[ScoredPair] = []
    if version is not None and members:
        found = reader.pairs_of(version.id, sorted(members))
        pairs = [p for p in found if p.left in members and p.right in members]
        pairs.sort(key=lambda p: (-p.score, p.left, p.right))
    groups = _groups(sorted(members), [(p.left, p.right) for p in pairs if p.band == "match"])
    return Why(identity, None if version is None else version.id, pairs, groups)


@dataclass(frozen=True)
class Edge:
    """A relation between two identities (``source`` and ``relation_id`` name it)."""

    from_identity: str
    to_identity: str
    source: str
    relation: Relation


@dataclass
class Network:
    """The identities within ``depth`` hops, each with its hop count, and their relations."""

    root: str
    depth: int
    nodes: dict[str, tuple[Identity, int]] = field(default_factory=dict)  # id -> (it, hops)
    edges: list[Edge] = field(default_factory=list)
    unresolved: int = 0  # relations whose other end is in no identity
    truncated: bool = False  # MAX_NODES reached: some identities left out


def network(reader: Reader, identity: Identity, depth: int = 1) -> Network:
    """The identities linked to ``identity`` (an active one) within ``depth`` hops (1 to 3)."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be 1 to {MAX_DEPTH}, got {depth}")
    graph = Network(identity.id, depth)
    graph.nodes[identity.id] = (identity, 0)
    frontier = [identity]
    seen_relations: set[tuple[str, str]] = set()
    unresolved: set[tuple[str, str]] = set()
    for hop in range(1, depth + 1):
        refs = sorted({m for x in frontier for m in x.members})
        found = [
            (source, relation)
            for source, relation in reader.relations_of(refs)
            if (source, relation.relation_id) not in seen_relations
        ]
        ends = {end for _, r in found for end in (r.from_record, r.to_record)}
        owner = reader.identities_of_records(sorted(ends))
        added: list[Identity] = []
        for source, relation in found:
            start, end = owner.get(relation.from_record), owner.get(relation.to_record)
            if start is None or end is None:
                unresolved.add((source, relation.relation_id))
                continue
            seen_relations.add((source, relation.relation_id))
            for other in (start, end):
                if other in graph.nodes:
                    continue
                if len(graph.nodes) >= MAX_NODES:
                    graph.truncated = True
                    continue
                linked = reader.identity(other)
                graph.nodes[other] = (linked, hop)
                added.append(linked)
            if start in graph.nodes and end in graph.nodes and start != end:
                graph.edges.append(Edge(start, end, source, relation))
        frontier = added
        if not frontier:
            break
    graph.unresolved = len(unresolved - seen_relations)
    graph.edges.sort(key=lambda e: (e.source, e.relation.relation_id))
    return graph


def _groups(
    members: list[RecordRef], links: Iterable[tuple[RecordRef, RecordRef]]
) -> list[list[RecordRef]]:
    """Connected components of ``members`` under ``links`` (union-find), largest first."""
    parent = {m: m for m in members}

    def root(x: RecordRef) -> RecordRef:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    grouped: dict[RecordRef, list[RecordRef]] = {}
    for m in members:
        grouped.setdefault(root(m), []).append(m)
    return sorted(grouped.values(), key=lambda g: (-len(g), g[0]))
