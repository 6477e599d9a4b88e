"""Admin → Import a file: an invoice or usage export of any vendor (CSV, JSON, NDJSON, or a
FOCUS file) becomes spend, through ``warehouse.file_imports`` — the service `aispend import`
calls.

Uploading only checks the file (a dry run): the page shows what each column was taken for and
what would be imported, or every bad row with its row number and column, and nothing is
written. "Import" writes it, in one transaction, and launches a refresh of the dashboard
through Dagster. Past imports are listed, and one can be removed with every fact it wrote.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from dashboard import launch_panel
from dashboard.admin_page import admin_page, attempt, plain
from dashboard.admin_tables import (
    detected_frame,
    import_problems_frame,
    imports_frame,
    invoices_frame,
)
from dashboard.formatting import usd
from pipelines.launch import MARTS
from warehouse import file_imports
from warehouse.actors import PermissionDenied
from warehouse.file_imports import ImportRejected, ImportResult

ROUND_KEY = "aispend_import_round"  # a new uploader after each import: the next file starts clean
TYPES = ["csv", "tsv", "txt", "json", "ndjson", "jsonl"]

ctx, actor = admin_page(
    "Import a file",
    "An invoice or a usage export of any vendor, or a FOCUS file. The file is checked first: "
    "nothing is written until you press Import, and a file with any bad row is refused whole.",
)


@contextmanager
def saved(upload) -> Iterator[Path]:
    """The upload as a file under its own name, in a private folder removed afterwards."""
    name = Path(upload.name).name or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="aispend-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(upload.getvalue())
        yield path


def summary(result: ImportResult, verb: str) -> str:
    span = f", {result.period[0]} … {result.period[1]}" if result.period else ""
    return (
        f"{verb} {result.rows:,} rows of {result.filename} as {result.facts:,} daily facts, "
        f"{usd(result.billed_cost_micros)} billed{span}."
    )


def preview(upload, vendor: str | None) -> None:
    """Check the file (nothing written) and offer the import when it is good."""
    with saved(upload) as path:
        try:
            result = file_imports.import_file(
                ctx.engine, ctx.tenant, actor, path, vendor=vendor, dry_run=True
            )
        except ImportRejected as exc:
            st.error(plain(str(exc).splitlines()[0].rstrip(":") + "."))
            st.table(import_problems_frame(exc.problems).set_index("Row"))
            more = str(exc).splitlines()[-1].strip()
            if more.startswith("…"):
                st.caption(plain(f"Only the first problems are listed: {more}."))
            return
        except (PermissionDenied, ValueError) as exc:
            st.error(plain(str(exc)))
            return
        st.write(plain(f"Detected: {result.detected.describe()}"))
        if result.detected.roles:
            st.dataframe(
                detected_frame(result.detected.roles, result.detected.sniffed), hide_index=True
            )
        if result.already is not None:
            earlier = result.already
            st.info(
                plain(
                    f"This file was already imported as import #{earlier['id']} "
                    f"({earlier['filename']}, {earlier['facts']:,} facts): nothing to do."
                )
            )
            return
        st.success(plain(summary(result, "Ready to import")))
        if result.invoices:
            st.dataframe(invoices_frame(result.invoices.values()), hide_index=True)
        if st.button("Import", type="primary", key="import_confirm"):
            ok, written = attempt(
                file_imports.import_file, ctx.engine, ctx.tenant, actor, path, vendor=vendor
            )
            if ok and written is not None:
                st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
                message = summary(written, "Imported")
                launch_panel.refresh(ctx, actor, message)


st.header("Upload")
round_ = st.session_state.get(ROUND_KEY, 0)
upload = st.file_uploader("Invoice or usage export", type=TYPES, key=f"import_file_{round_}")
vendor = st.text_input(
    "Vendor of every row (when the file names none)",
    placeholder="e.g. GitHub",
    key=f"import_vendor_{round_}",
)
if upload is not None:
    preview(upload, vendor.strip() or None)
launch_panel.status(ctx, MARTS)

st.header("Past imports")
imports = file_imports.list_imports(ctx.engine, ctx.tenant, actor)
if not imports:
    st.info("No file imported yet.")
else:
    st.dataframe(imports_frame(imports), hide_index=True)
    by_id = {i["id"]: i for i in imports}
    with st.expander("Remove an import"):
        import_id = st.selectbox(
            "Import",
            list(by_id),
            format_func=lambda i: (
                f"#{i} · {by_id[i]['filename']} · {usd(by_id[i]['billed_cost_micros'])}"
            ),
            key="remove_import",
        )
        confirmed = st.checkbox(
            f"Yes, remove import #{import_id} and its {by_id[import_id]['facts']:,} facts",
            key=f"remove_import_confirm_{import_id}",
        )
        if st.button("Remove import", disabled=not confirmed):
            ok, removed = attempt(
                file_imports.delete_import, ctx.engine, ctx.tenant, actor, import_id
            )
            if ok:
                message = f"Removed import #{import_id} and its {removed:,} facts."
                launch_panel.refresh(ctx, actor, message)
