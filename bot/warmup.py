"""Start-up warm-up: what the first merchant after a start (a deploy, a crash) would otherwise wait for.

In a background thread, so the first reply is not held up: the documents (every template compiled,
the glyphs of every template's characters converted for PDFs, the DOCX blanks, one small PDF and
DOCX through every code path; about 1 s of CPU) and the OCR model when OCR is on (about 1 s, ~330 MB).
The webhook's `GET /healthz` says "warming" until it is done. A merchant who asks for documents
meanwhile is served at once; what is not warm yet is prepared for them as before (the work is
guarded by the same locks, never done twice).
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("bot.warmup")


class WarmUp:
    def __init__(self, *, ocr: bool = True) -> None:
        self.ocr = ocr
        self.seconds: dict[str, float] = {}  # step → seconds it took
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def warming(self) -> bool:
        return not self._done.is_set()

    def start(self) -> WarmUp:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="warm-up", daemon=True)
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def run(self) -> None:
        steps = [("documents", _documents)]
        if self.ocr:
            steps.append(("ocr", _ocr))
        try:
            for name, step in steps:
                start = time.perf_counter()
                try:
                    step()
                except Exception as exc:  # a failed warm-up only means the first user waits as before
                    log.warning("warm-up of %s failed: %s", name, type(exc).__name__)
                self.seconds[name] = round(time.perf_counter() - start, 3)
            log.info("warmed up", extra={"seconds": self.seconds})
        finally:
            self._done.set()


def _documents() -> None:
    from bot.documents import warm

    warm()


def _ocr() -> None:
    from bot.ocr import warm_up

    warm_up()
