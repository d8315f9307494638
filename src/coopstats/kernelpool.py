"""Warm Jupyter kernels that execute parameterized notebooks exactly as papermill does.

A plain ``papermill`` loop starts a new kernel for every notebook and pays the kernel start
and the heavy imports (pandas, matplotlib, statsmodels, the coopstats modules) each time.
:class:`WarmKernel` starts one kernel, imports the modules listed under ``preload`` in
``runs.yaml`` once, and before every notebook restores a clean interpreter state with
:mod:`coopstats._kernel_guest` (fresh namespace, working directory, environment, matplotlib
and pandas settings, …). The notebook itself is executed through papermill's own machinery
(:func:`papermill.execute_notebook` with a small engine that hands papermill's nbclient the
warm kernel), so parameter injection, the ``injected-parameters`` cell, papermill metadata and
error markers are the same as with the ``papermill`` command line.

Each :class:`WarmKernel` belongs to one worker thread of :mod:`coopstats.batch`; all its
asynchronous calls run on that thread's event loop.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import copy
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from jupyter_core.utils import run_sync

ENGINE_NAME = "coopstats-warm-kernel"
GUEST_MODULE = "_coopstats_guest"
_ENGINE_REGISTERED = False
# nbclient's own messages ("Kernel died while waiting…") would break the progress bar; the
# run's log and summary report the same failure.
_QUIET = logging.getLogger("coopstats.kernelpool.nbclient")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


class KernelSetupError(RuntimeError):
    """The kernel could not be started, warmed or reset."""


@dataclass(frozen=True)
class PoolOptions:
    """How kernels are started and notebooks executed."""

    kernel_name: str = "python3"
    preload: tuple[str, ...] = ()
    cell_timeout: int | None = 600
    startup_timeout: int = 60
    isolation: str = "warm"  # "warm": reuse with reset; "fresh": new kernel for every run


class WarmKernel:
    """One Jupyter kernel, warmed with the preload imports, reused run after run."""

    def __init__(self, options: PoolOptions, log: IO[str] | None = None) -> None:
        self.options = options
        self.log = log
        self.km: Any = None
        self.kc: Any = None
        self.preload_failures: dict[str, str] = {}
        self.runs = 0

    @property
    def pid(self) -> int | None:
        """Process id of the kernel (``None`` before start)."""
        provisioner = getattr(self.km, "provisioner", None)
        return getattr(provisioner, "pid", None)

    def start(self) -> None:
        """Start the kernel, import the preload modules and take the state snapshot."""
        try:
            run_sync(self._start)()
        except Exception as exc:
            self.shutdown()
            raise KernelSetupError(f"could not start kernel: {type(exc).__name__}: {exc}") from exc

    async def _start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        self.km = AsyncKernelManager(kernel_name=self.options.kernel_name)
        launch: dict[str, Any] = {}
        if self.log is not None:
            launch = {"stdout": self.log, "stderr": self.log}
        await self.km.start_kernel(
            extra_arguments=["--HistoryManager.hist_file=:memory:"], **launch
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=self.options.startup_timeout)
        source = (Path(__file__).with_name("_kernel_guest.py")).read_text(encoding="utf-8")
        bootstrap = (
            "import sys as __s, types as __t\n"
            f"__m = __t.ModuleType({GUEST_MODULE!r})\n"
            f"exec(compile({source!r}, '<coopstats-kernel-guest>', 'exec'), __m.__dict__)\n"
            f"__s.modules[{GUEST_MODULE!r}] = __m\n"
            "del __s, __t, __m\n"
        )
        await self._run(bootstrap)
        # warm() runs inside a cell (like restore()), so IPython's builtins are in place
        result = await self._run(
            f"__coopstats_preload = __import__({GUEST_MODULE!r}).warm("
            f"{list(self.options.preload)!r})",
            expression="__coopstats_preload",
            timeout=max(self.options.startup_timeout, 300),
        )
        self.preload_failures = ast.literal_eval(result) if result else {}

    async def _run(self, code: str, expression: str | None = None, timeout: float = 120) -> str:
        """Execute ``code`` silently; return ``expression``'s repr; raise on any error."""
        expressions = {"result": expression} if expression else {}
        msg_id = self.kc.execute(
            code, silent=True, store_history=False, allow_stdin=False, user_expressions=expressions
        )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise KernelSetupError(f"no reply from the kernel within {timeout:.0f} s")
            try:
                reply = await self.kc.get_shell_msg(timeout=min(remaining, 1.0))
            except Exception:  # noqa: BLE001 - queue.Empty: check that the kernel lives
                if not await self.km.is_alive():
                    raise KernelSetupError("the kernel died") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            content = reply["content"]
            if content.get("status") != "ok":
                raise KernelSetupError(f"{content.get('ename')}: {content.get('evalue')}")
            if not expression:
                return ""
            value = content.get("user_expressions", {}).get("result", {})
            if value.get("status") != "ok":
                raise KernelSetupError(f"{value.get('ename')}: {value.get('evalue')}")
            return value.get("data", {}).get("text/plain", "")

    def reset(self, cwd: Path) -> None:
        """Restore the snapshot state and change into ``cwd`` (the notebook's folder)."""
        try:
            run_sync(self._run)(f"__import__({GUEST_MODULE!r}).restore({str(cwd)!r})")
        except KernelSetupError:
            raise
        except Exception as exc:
            raise KernelSetupError(f"reset failed: {type(exc).__name__}: {exc}") from exc

    def execute(
        self, spec_notebook: Path, output: Path, parameters: dict, metadata: dict
    ) -> tuple[Any, Any]:
        """Execute a notebook with papermill on this kernel, writing it to ``output``.

        Returns ``(notebook, None)`` on success and ``(partial notebook or None, exception)``
        on failure; papermill has then written the notebook with its error marker when the
        failure was an exception inside a cell.
        """
        import papermill as pm

        register_engine()
        sink: list[Any] = []
        self.runs += 1
        try:
            nb = pm.execute_notebook(
                str(spec_notebook),
                str(output),
                parameters=parameters,
                engine_name=ENGINE_NAME,
                request_save_on_cell_execute=False,
                progress_bar=False,
                log_output=False,
                start_timeout=self.options.startup_timeout,
                execution_timeout=self.options.cell_timeout,
                warm_kernel=self,
                nb_sink=sink,
                coopstats_metadata=metadata,
            )
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            partial = sink[0].nb if sink else None
            return partial, exc
        return nb, None

    def interrupt(self) -> None:
        """Send SIGINT to the kernel process (safe from any thread)."""
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        """Send SIGKILL to the kernel process (safe from any thread)."""
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        pid = self.pid
        if pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)

    def shutdown(self) -> None:
        """Stop the kernel (immediately: its results are already written)."""
        if self.km is None:
            return
        try:
            run_sync(self._shutdown)()
        except Exception:  # noqa: BLE001 - best effort; the kernel also exits with its parent
            self.kill()
        self.km = self.kc = None

    async def _shutdown(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km.has_kernel:
            await self.km.shutdown_kernel(now=True)


def register_engine() -> None:
    """Register papermill's engine for warm kernels (idempotent; call from one thread)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    global _ENGINE_REGISTERED
    if _ENGINE_REGISTERED:
        return

    class _WarmClient(PapermillNotebookClient):
        """papermill's nbclient, bound to an already running kernel and client."""

        def __init__(self, nb_man: Any, kernel: WarmKernel, **kw: Any) -> None:
            super().__init__(nb_man, km=kernel.km, **kw)
            self.kc = kernel.kc  # nbclient neither starts nor stops a client it was given

    class _WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs: Any,
        ) -> Any:
            kernel: WarmKernel = kwargs.pop("warm_kernel")
            kwargs.pop("nb_sink").append(nb_man)
            extra = dict(kwargs.pop("coopstats_metadata", {}))
            final = extra.pop("output_path", None)
            if final:  # papermill recorded the temporary file; record the real output
                nb_man.nb.metadata.papermill["output_path"] = final
            nb_man.nb.metadata["coopstats"] = extra
            kwargs.pop("input_path", None)
            client = _WarmClient(
                nb_man,
                kernel,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=_QUIET,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            return client.execute()

    papermill_engines.register(ENGINE_NAME, _WarmEngine)
    _ENGINE_REGISTERED = True


def mark_failure(nb: Any, message: str) -> Any:
    """Put a visible error banner at the top of a partially executed notebook."""
    import nbformat

    nb = copy.deepcopy(nb)
    banner = nbformat.v4.new_markdown_cell(
        f'<span style="color:red; font-size:1.5em;">coopstats: {message}</span>'
    )
    banner.metadata["tags"] = ["coopstats-error"]
    nb.cells.insert(0, banner)
    nb.metadata.setdefault("coopstats", {})["error"] = message
    return nb
