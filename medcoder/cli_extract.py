"""Extraction maintenance commands (taxonomy curation), registered on the main ``medcoder`` app."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from medcoder.cli import DbOption, _fail, app, out


@app.command()
def emerging(
    db: DbOption = None,
    top: Annotated[int, typer.Option("--top", help="How many terms to list.", min=1)] = 30,
    min_postings: Annotated[int, typer.Option("--min-postings", help="Only terms asked for by at least this many postings.", min=1)] = 3,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Terms postings ask for that the taxonomy does not know.

    Mines the requirement sentences of the database's postings (TF-IDF
    n-grams) for frequent terms no taxonomy alias matches, with how many
    postings use each and an example sentence, for adding to taxonomy.yaml.
    """
    from analysis.emerging import emerging_terms_db
    from medcoder.db import connect

    if fmt not in ("table", "json"):
        _fail(f"--format {fmt!r}: use table or json")
    try:
        database = connect(db, create=False)
    except FileNotFoundError as exc:
        _fail(str(exc))
    terms = emerging_terms_db(database, top=top, min_postings=min_postings)
    if fmt == "json":
        out.print(json.dumps([t.__dict__ for t in terms], ensure_ascii=False, indent=2), highlight=False, soft_wrap=True)
        return
    if not terms:
        out.print(f"no unknown term is asked for by {min_postings} or more postings")
        return
    table = Table("term", "postings", "score", "example")
    for t in terms:
        table.add_row(t.term, str(t.postings), f"{t.score:.2f}", t.example)
    out.print(table)
