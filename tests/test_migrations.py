"""Migrations build the schema from nothing on both backends, agree with the models, load
the places of Denmark, and can be undone."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command, op
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session

from app.db.engines import create_db_engine
from app.db.migrate import alembic_config, migration_safeguards, schema_state
from app.models import RaterKind, Rating, metadata
from tests.conftest import migrate, settings_for
from tests.factories import make_review


def test_upgrade_from_empty_matches_the_models(empty_database_url: str) -> None:
    engine = create_db_engine(settings_for(empty_database_url))
    try:
        assert not schema_state(engine).ok
        migrate(empty_database_url)
        assert schema_state(engine).ok
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_regions_and_municipalities_are_loaded(empty_database_url: str) -> None:
    migrate(empty_database_url)
    engine = create_db_engine(settings_for(empty_database_url))
    try:
        with engine.connect() as connection:
            regions = dict(connection.execute(sa.text("SELECT code, name FROM region")).all())
            count = connection.execute(sa.text("SELECT count(*) FROM municipality")).scalar()
            kbh = connection.execute(
                sa.text("SELECT name, region_code FROM municipality WHERE code = 101")
            ).one()
    finally:
        engine.dispose()
    assert regions == {
        1081: "Region Nordjylland",
        1082: "Region Midtjylland",
        1083: "Region Syddanmark",
        1084: "Region Hovedstaden",
        1085: "Region Sjælland",
    }
    assert count == 98
    assert tuple(kbh) == ("København", 1084)


def test_downgrade_to_nothing_and_up_again(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_db_engine(settings_for(empty_database_url))
    try:
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        command.upgrade(config, "head")
        assert schema_state(engine).ok
    finally:
        engine.dispose()


def test_migration_files_follow_the_naming_rule() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    for revision in scripts.walk_revisions():
        name = revision.path.rsplit("/", 1)[-1]
        assert name[:10].count("-") == 2 and name[10] == "_", name


@pytest.mark.parametrize("table", ["user_account", "rating", "review", "scale_version"])
def test_constraints_have_explicit_names(database_url: str, table: str) -> None:
    engine = create_db_engine(settings_for(database_url))
    try:
        inspector = sa.inspect(engine)
        names = [fk["name"] for fk in inspector.get_foreign_keys(table)]
        names += [uq["name"] for uq in inspector.get_unique_constraints(table)]
    finally:
        engine.dispose()
    assert all(name and (name.startswith(("fk_", "uq_"))) for name in names), names


def test_a_batch_rebuild_on_sqlite_keeps_child_rows(tmp_path: Path) -> None:
    """SQLite rebuilds a table by dropping it; with foreign keys on, the drop would cascade
    into ratings. The migration safeguards switch them off for the run."""
    url = f"sqlite:///{tmp_path / 'batch.db'}"
    migrate(url)
    engine = create_db_engine(settings_for(url))
    try:
        with Session(engine) as session:
            review_id = _review_with_rating(session)
            session.commit()
        with engine.connect() as connection, migration_safeguards(connection):
            context = MigrationContext.configure(connection, opts={"render_as_batch": True})
            with (
                connection.begin(),
                Operations.context(context),
                op.batch_alter_table("review", recreate="always") as batch,
            ):
                batch.add_column(sa.Column("scratch", sa.Integer(), nullable=True))
        with engine.connect() as connection:
            ratings = connection.execute(
                sa.text("SELECT count(*) FROM rating WHERE review_id = :id"), {"id": review_id}
            ).scalar()
    finally:
        engine.dispose()
    assert ratings == 1


def _review_with_rating(session: Session) -> int:
    review = make_review(session)
    session.add(
        Rating(
            review_id=review.id or 0,
            item_key="caseload-size",
            rater_kind=RaterKind.CONSENSUS,
            score=4,
        )
    )
    return review.id or 0


def test_a_database_migrated_by_newer_code_is_named_as_such(empty_database_url: str) -> None:
    migrate(empty_database_url)
    engine = create_db_engine(settings_for(empty_database_url))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff9999'"))
        state = schema_state(engine)
    finally:
        engine.dispose()
    assert not state.ok
    assert "at migration ffff9999, which this version of IPS Fidelity does not know" in (
        state.message
    )


def test_old_orphans_do_not_block_an_upgrade_but_are_not_blamed_on_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'orphans.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0001")
    engine = create_db_engine(settings_for(url))
    try:
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA foreign_keys=OFF")
            driver.execute(
                "INSERT INTO municipality (code, name, region_code) VALUES (9, 'X', 4242)"
            )
            driver.execute("PRAGMA foreign_keys=ON")
        command.upgrade(config, "head")
        assert schema_state(engine).ok
    finally:
        engine.dispose()
