"""Execute one notebook with a Jupyter kernel and write it (and optionally HTML) back.

Called by tools/notebooks.ts with Debian's Python (/usr/bin/python3, which has nbclient 0.7 and
nbconvert 6.5):

    /usr/bin/python3 tools/nbexec.py IN.ipynb OUT.ipynb [--html OUT.html] [--kernel deno]
                                     [--cell-timeout S] [--quiet-period S]

Why not `jupyter nbconvert --execute`: the Deno kernel sometimes reports `idle` before its last
outputs, and nbclient stops reading a cell's IOPub messages at `idle`, so outputs get lost (see
/work/shared/STACK-NOTES.md). QuietClient keeps reading each cell's messages until none has
arrived for a quiet period.

Exit status: 0 on success; 1 when a cell raised (stderr names the cell number and the error);
2 on bad usage or a kernel that would not start.
"""

import argparse
import asyncio
import os
import sys
from queue import Empty

import nbformat
from jupyter_client.kernelspec import NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import (
    CellExecutionComplete,
    CellExecutionError,
    CellTimeoutError,
    DeadKernelError,
)
from nbclient.util import ensure_async


class CellFailed(Exception):
    """A cell raised, timed out or killed the kernel; the message names the cell (1-based)."""

    def __init__(self, cell_number: int, source: str, error: Exception):
        first_line = next((line for line in source.splitlines() if line.strip()), "")
        if isinstance(error, CellExecutionError):
            what = f"{error.ename}: {error.evalue}\n{error}"
        else:
            what = f"{type(error).__name__}: {error}"
        super().__init__(f"cell {cell_number} ({first_line!r}) failed: {what}")


class QuietClient(NotebookClient):
    """nbclient that drains a cell's late IOPub messages until a quiet period has passed."""

    def __init__(self, nb, quiet_period: float, **kw):
        super().__init__(nb, **kw)
        self.quiet_period = quiet_period

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.quiet_period))
            except Empty:
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                pass  # a repeated idle: keep draining until the channel is quiet

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
            raise CellFailed(cell_index + 1, cell.source, err) from err


def render_html(nb, path: str) -> None:
    from traitlets.config import Config
    from nbconvert import HTMLExporter

    # Static images first: a figure bundle that also carries HTML or JavaScript must still appear
    # as a picture in the HTML (and on GitHub), without a kernel or a network.
    config = Config()
    config.NbConvertBase.display_data_priority = [
        "image/png",
        "image/jpeg",
        "image/svg+xml",
        "text/html",
        "text/markdown",
        "text/latex",
        "text/plain",
    ]
    body, _ = HTMLExporter(config=config).from_notebook_node(nb)
    with open(path, "w", encoding="utf-8") as f:
        f.write(body)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--html")
    p.add_argument("--kernel", default="deno")
    p.add_argument("--cell-timeout", type=int, default=1200)
    p.add_argument("--quiet-period", type=float, default=0.3)
    a = p.parse_args()

    nb = nbformat.read(a.input, as_version=4)
    cwd = os.path.dirname(os.path.abspath(a.input))  # the kernel works in the notebook's folder
    client = QuietClient(
        nb,
        quiet_period=a.quiet_period,
        kernel_name=a.kernel,
        timeout=a.cell_timeout,
        record_timing=False,  # keeps committed notebooks free of per-run timestamps
        resources={"metadata": {"path": cwd}},
    )
    try:
        client.execute()
    except CellFailed as err:
        print(f"{a.input}: {err}", file=sys.stderr)
        return 1
    except NoSuchKernel:
        print(f"{a.input}: no Jupyter kernel {a.kernel!r}; run `deno task setup`", file=sys.stderr)
        return 2
    except (RuntimeError, asyncio.TimeoutError) as err:
        print(f"{a.input}: kernel {a.kernel!r} failed: {err}", file=sys.stderr)
        return 2
    nbformat.write(nb, a.output)
    if a.html:
        render_html(nb, a.html)
    return 0


if __name__ == "__main__":
    sys.exit(main())
