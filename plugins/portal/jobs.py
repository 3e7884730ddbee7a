"""A bounded pool of audit worker processes (:mod:`.worker`) for the server.

``workers`` processes audit at most ``workers`` uploads at once; up to ``queue`` more
wait their turn (beyond: :class:`Busy`, the upload is refused with a French page). A job
that exceeds ``timeout`` seconds, or whose request is abandoned, has its worker killed
and replaced; its upload folder is then removed by the caller.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import worker as worker_module


class Busy(Exception):
    """Too many uploads waiting already."""


class JobFailed(Exception):
    """The audit did not give a result; ``str(exc)`` is a French message."""


@dataclass
class _Worker:
    process: Any
    conn: Any
    ready: bool = False


@dataclass
class Job:
    """One audit: its settings and a cancel flag set when the request goes away."""

    spec: dict[str, Any]
    cancelled: threading.Event = field(default_factory=threading.Event)


class AuditPool:
    def __init__(self, workers: int, timeout: float, queue: int, memory_mb: int = 0) -> None:
        self.size = max(1, workers)
        self.timeout = timeout
        self.queue_max = max(0, queue)
        self.options = {"memory_mb": memory_mb}
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: "asyncio.Queue[_Worker] | None" = None
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self.waiting = 0
        self.running = 0
        self._closed = False

    # -- life ---------------------------------------------------------------------------
    async def start(self) -> None:
        self._idle = asyncio.Queue()
        for _ in range(self.size):
            self._idle.put_nowait(self._spawn())

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=worker_module.main, args=(child, self.options), daemon=True,
                                 name="scolint-portail-analyse")
        proc.start()
        child.close()
        w = _Worker(proc, parent)
        with self._lock:
            self._all.append(w)
        return w

    def _kill(self, w: _Worker) -> None:
        try:
            w.process.kill()
            w.process.join(5)
        finally:
            w.conn.close()
            with self._lock:
                if w in self._all:
                    self._all.remove(w)

    async def stop(self) -> None:
        self._closed = True
        for w in list(self._all):
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in list(self._all):
            await asyncio.to_thread(w.process.join, 5)
            if w.process.is_alive():
                self._kill(w)
            else:
                w.conn.close()
        self._all.clear()

    # -- jobs ---------------------------------------------------------------------------
    async def run(self, job: Job, step: Callable[[str], None]) -> dict[str, Any]:
        """The worker's payload for ``job``; :class:`JobFailed` (French message) otherwise."""
        assert self._idle is not None, "pool not started"
        if self.waiting >= self.queue_max + self.size:
            raise Busy
        self.waiting += 1
        try:
            if self._idle.empty():
                step(f"En attente : {self.running} analyse(s) en cours, {self.waiting - 1} envoi(s) avant le vôtre")
            w = await self._idle.get()
        finally:
            self.waiting -= 1
        self.running += 1
        loop = asyncio.get_running_loop()
        healthy = False
        try:
            payload, healthy = await asyncio.to_thread(self._drive, w, job,
                                                       lambda text: loop.call_soon_threadsafe(step, text))
            if "error" in payload:
                raise JobFailed(payload["error"])
            return payload
        finally:
            self.running -= 1
            if not healthy:
                await asyncio.to_thread(self._kill, w)
                w = self._spawn()
            if not self._closed:
                self._idle.put_nowait(w)

    def _drive(self, w: _Worker, job: Job, step: Callable[[str], None]) -> tuple[dict[str, Any], bool]:
        """Send ``job`` to ``w`` and wait (thread side); ``(payload, worker still usable)``."""
        # The worker may still be loading its rules: its "pret" comes first.
        try:
            if not w.ready:
                while not job.cancelled.is_set():
                    if w.conn.poll(0.2):
                        if w.conn.recv()[0] == "pret":
                            w.ready = True
                            break
            if job.cancelled.is_set():
                raise JobFailed("envoi abandonné")
            w.conn.send(job.spec)
            deadline = time.monotonic() + self.timeout
            while True:
                if job.cancelled.is_set():
                    raise JobFailed("envoi abandonné")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise JobFailed(f"l'analyse a dépassé la durée maximale de {self.timeout:g} s : envoyez moins de "
                                    "fichiers à la fois ou prévenez l'équipe académique")
                if not w.conn.poll(min(0.2, left)):
                    continue
                kind, *rest = w.conn.recv()
                if kind == "etape":
                    step(rest[0])
                elif kind == "fini":
                    return rest[0], True
                elif kind == "erreur":
                    # a MemoryError may leave the worker in a poor state: replace it
                    return {"error": rest[0]}, False
        except (EOFError, OSError, BrokenPipeError):
            raise JobFailed("le processus d'analyse s'est arrêté (fichiers trop gros pour la mémoire ?) : "
                            "réessayez ou prévenez l'équipe académique") from None
