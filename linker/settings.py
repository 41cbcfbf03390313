"""The settings of one run: what to do, with which model, how to block, compare and cluster.

``Settings`` round-trips through JSON (``to_dict`` / ``from_dict``), so the command line, the
service and the job worker describe a run the same way and a stored run can be replayed. The
blocking rules and comparisons are chosen from the data when left ``None``; the run's result
carries the settings with what it chose filled in (``linker.runs.RunResult.settings``), and
running those settings again blocks and compares the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from linker.blocking import BlockingOptions, BlockingRule
from linker.compare import Comparison
from linker.errors import ConfigError
from linker.prepare import ENTITY_TYPES, PrepareOptions
from linker.prepare.columns import check_mapping
from linker.specs import known_keys

DEFAULT_THRESHOLD = 0.5
JOBS = ("dedupe", "link")
ENGINES = ("local", "spark")


@dataclass(frozen=True)
class Settings:
    """Everything a run may tune; the defaults are what ``linker`` uses.

    ``model`` is ``auto``, ``unsupervised``, ``trained`` or the path of a model manifest.
    ``mapping`` overrides the guessed column mapping (column -> field, or ``ignore``);
    ``ignore`` lists columns not to compare.
    """

    job: str = "dedupe"  # dedupe (one table or several stacked) or link (across sources)
    entity: str = "person"  # person, company or account: fields, comparisons, blocking keys
    threshold: float = DEFAULT_THRESHOLD
    model: str = "auto"
    id_column: str = "record_id"
    mapping: dict[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    prepare: PrepareOptions = field(default_factory=PrepareOptions)
    blocking: BlockingOptions = field(default_factory=BlockingOptions)
    rules: tuple[BlockingRule, ...] | None = None  # None: chosen from the data
    comparisons: tuple[Comparison, ...] | None = None  # None: those the fields allow
    u_sample_pairs: int = 100_000
    chunk_pairs: int = 200_000
    seed: int = 0
    one_to_one: bool = False  # link: at most one partner per record
    engine: str = "local"

    def __post_init__(self) -> None:
        if self.job not in JOBS:
            raise ConfigError(
                f"unknown job {self.job!r}; expected one of {', '.join(JOBS)}", setting="job"
            )
        if self.entity not in ENTITY_TYPES:
            raise ConfigError(
                f"unknown entity type {self.entity!r}; expected one of {', '.join(ENTITY_TYPES)}",
                setting="entity",
            )
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(
                f"threshold {self.threshold} must be between 0 and 1 (exclusive)",
                setting="threshold",
            )
        if self.engine not in ENGINES:
            raise ConfigError(
                f"unknown engine {self.engine!r}; known: {', '.join(ENGINES)}", setting="engine"
            )
        if self.rules is not None and not self.rules:
            raise ConfigError("blocking rules, when given, must name at least one rule")
        if self.comparisons is not None and not self.comparisons:
            raise ConfigError("comparisons, when given, must name at least one comparison")
        check_mapping(self.mapping, self.entity)

    @property
    def link_only(self) -> bool:
        """Pairs across sources only (a link job), not inside one."""
        return self.job == "link"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values of every setting; ``from_dict`` gives the same settings back."""
        return {
            "job": self.job,
            "entity": self.entity,
            "threshold": self.threshold,
            "model": self.model,
            "id_column": self.id_column,
            "mapping": dict(self.mapping),
            "ignore": list(self.ignore),
            "prepare": self.prepare.to_dict(),
            "blocking": self.blocking.to_dict(),
            "rules": None if self.rules is None else [r.to_dict() for r in self.rules],
            "comparisons": (
                None if self.comparisons is None else [c.to_dict() for c in self.comparisons]
            ),
            "u_sample_pairs": self.u_sample_pairs,
            "chunk_pairs": self.chunk_pairs,
            "seed": self.seed,
            "one_to_one": self.one_to_one,
            "engine": self.engine,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Settings from ``to_dict`` output (or a hand-written subset: missing keys take their
        defaults); an unknown key or a value of the wrong kind is a ``ConfigError``."""
        values = known_keys(data, cls, "settings")
        try:
            if "prepare" in values:
                values["prepare"] = PrepareOptions.from_dict(values["prepare"])
            if "blocking" in values:
                values["blocking"] = BlockingOptions.from_dict(values["blocking"])
            if values.get("rules") is not None:
                values["rules"] = tuple(BlockingRule.from_dict(r) for r in values["rules"])
            if values.get("comparisons") is not None:
                values["comparisons"] = tuple(
                    Comparison.from_dict(c) for c in values["comparisons"]
                )
            if "ignore" in values:
                values["ignore"] = tuple(str(c) for c in values["ignore"])
            if "mapping" in values:
                values["mapping"] = {str(k): str(f) for k, f in dict(values["mapping"]).items()}
            return cls(**values)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"settings: {exc}") from exc

    def with_choices(
        self, rules: list[BlockingRule], comparisons: list[Comparison], model: str
    ) -> Settings:
        """These settings with the run's chosen rules, comparisons and model filled in. When no
        rule could be chosen (no mapped column makes a blocking key: a file of legal forms or
        of bank codes alone), the rules stay unset and a replay chooses again."""
        chosen = tuple(rules) or None
        return replace(self, rules=chosen, comparisons=tuple(comparisons), model=model)
