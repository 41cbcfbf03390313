"""The ``linker load``, ``resolve``, ``identities export`` and ``models`` commands: linkage
runs through the store from the terminal.

``linker load WORLD_DIR`` stores a generated world (sources, records, relations) and runs a
full linkage of each entity type; ``linker resolve`` runs a linkage (incremental by default);
``linker identities export FILE`` writes every record's identity as CSV; ``linker models list``
and ``linker models activate ID`` show and switch the linkage model versions. The database is
``LINKER_DATABASE_URL``, else the default SQLite file (``linker.store``). Each prints what it
did in a line or two per entity type.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from linker.world_input import ENTITY_TYPES

if TYPE_CHECKING:
    from linker.cli import Console
    from linker.store import Store

STORE_COMMANDS = ("load", "resolve", "identities", "models")
EXPORT_COLUMNS = ("identity_id", "source", "record_id", "status")


def add_store_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the commands on the ``linker`` parser."""
    load = commands.add_parser(
        "load", help="store a generated world (sources, records, relations) and link it"
    )
    load.add_argument("world", type=Path, help="a world directory (linker generate --out)")
    resolve = commands.add_parser(
        "resolve", help="a linkage run through the store: incremental unless --full"
    )
    resolve.add_argument("--entity", choices=ENTITY_TYPES, help="default: every stored type")
    resolve.add_argument("--full", action="store_true", help="re-block and re-cluster every record")
    resolve.add_argument(
        "--refit",
        action="store_true",
        help="fit a new model version on every record (stored inactive unless --activate)",
    )
    resolve.add_argument(
        "--activate", action="store_true", help="with --refit: switch to the new version now"
    )
    identities = commands.add_parser("identities", help="the stored identities")
    actions = identities.add_subparsers(dest="identities_command", required=True)
    export = actions.add_parser(
        "export", help="write identity_id,source,record_id,status for every record as CSV"
    )
    export.add_argument("file", type=Path)
    export.add_argument("--entity", choices=ENTITY_TYPES, help="default: every type")
    models = commands.add_parser("models", help="the linkage model versions")
    model_actions = models.add_subparsers(dest="models_command", required=True)
    listing = model_actions.add_parser("list", help="every version, oldest first")
    listing.add_argument("--entity", choices=ENTITY_TYPES)
    activate = model_actions.add_parser(
        "activate", help="make a version the active one of its entity type"
    )
    activate.add_argument("version", help="a version id, e.g. person-v2")
    for parser in (load, resolve, export, listing, activate):
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument("--debug", action="store_true")


def run_store_command(args: argparse.Namespace, console: Console) -> int:
    """Run one of ``STORE_COMMANDS``; returns the exit status."""
    # Imported here: the file-to-file commands never load SQLAlchemy.
    from linker.store import Store

    store = Store.open()
    try:
        if args.command == "load":
            return _load(store, args, console)
        if args.command == "resolve":
            return _resolve(store, args, console)
        if args.command == "identities":
            return _export(store, args)
        if args.models_command == "list":
            return _list_models(store, args)
        return _activate(store, args)
    finally:
        store.close()


def _load(store: Store, args: argparse.Namespace, console: Console) -> int:
    from linker.linkage import resolve_identities
    from linker.world_load import load_world

    with console.working():
        loaded = load_world(store, args.world, say=console.say)
        print(f"{args.world}: {loaded.describe()}")
        for entity in ENTITY_TYPES:
            print(resolve_identities(store, entity, full=True, say=console.say).describe())
    return 0


def _entities(store: Store, chosen: str | None) -> list[str]:
    """The entity type asked for, or every type some stored source holds."""
    if chosen:
        return [chosen]
    with store.read() as reader:
        stored = {s.entity_type for s in reader.sources()}
    return [e for e in ENTITY_TYPES if e in stored]


def _resolve(store: Store, args: argparse.Namespace, console: Console) -> int:
    from linker.errors import ConfigError
    from linker.linkage import resolve_identities

    if args.activate and not args.refit:
        raise ConfigError("--activate goes with --refit (linker models activate ID otherwise)")
    entities = _entities(store, args.entity)
    if not entities:
        raise ConfigError("the store holds no source yet: linker load or linker ingest first")
    with console.working():
        for entity in entities:
            report = resolve_identities(
                store,
                entity,
                full=args.full,
                refit=args.refit,
                activate=args.activate,
                say=console.say,
            )
            print(report.describe())
            if report.mode == "refit" and report.fitted and not report.activated:
                print(f"activate it with: linker models activate {report.model_version}")
    return 0


def _export(store: Store, args: argparse.Namespace) -> int:
    from linker.io import check_output_paths, write_outputs

    check_output_paths({"identities": args.file})
    rows: list[tuple[str, str, str, str]] = []
    with store.read() as reader:
        for entity in [args.entity] if args.entity else list(ENTITY_TYPES):
            for identity in reader.identities(entity, status="active"):
                rows.extend(
                    (identity.id, source, record_id, identity.status)
                    for source, record_id in identity.members
                )
    frame = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))
    write_outputs({args.file: frame})
    identities = frame["identity_id"].nunique()
    print(f"{args.file}: {len(frame):,} records of {identities:,} identities")
    return 0


def _list_models(store: Store, args: argparse.Namespace) -> int:
    from linker.linkage_model import LinkageModel

    with store.read() as reader:
        versions = reader.model_versions(args.entity)
    if not versions:
        print("no model version yet: linker resolve fits the first")
    for version in versions:
        model = LinkageModel.from_dict(version.manifest)
        fitted = sum(model.fitted_on.values())
        print(
            f"{version.id}  {version.entity_type}  {'active' if version.active else 'inactive'}  "
            f"{model.kind}  t_match {model.t_match:g}  t_review {model.t_review:g}  "
            f"fitted on {fitted:,} records  {version.created_at:%Y-%m-%d %H:%M} UTC"
        )
    return 0


def _activate(store: Store, args: argparse.Namespace) -> int:
    with store.unit_of_work() as uow:
        entity = uow.model_version(args.version).entity_type
        before = uow.active_model_version(entity)
        uow.activate_model_version(args.version)
    was = f" (was {before.id})" if before and before.id != args.version else ""
    print(
        f"{args.version} is the active {entity} model{was}; "
        f"linker resolve --full --entity {entity} re-clusters every record under it"
    )
    return 0
