"""How far an import has read, drawn on the command line."""

import time


class Progress:
    """A text progress bar on a stream (stderr): redrawn in place on a terminal, a line per
    tenth otherwise."""

    def __init__(self, total: int, *, stream=None, label: str = "rows"):
        self.total = max(total, 1)
        self.stream = stream
        self.label = label
        self.done = 0
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.last_tenth = -1
        self.tty = bool(stream) and hasattr(stream, "isatty") and stream.isatty()

    def advance(self, n: int) -> None:
        self.done += n
        if self.stream is None:
            return
        now = time.monotonic()
        tenth = min(10, self.done * 10 // self.total)
        if self.tty and now - self.last_draw >= 0.2:
            self.stream.write("\r" + self._bar())
            self.stream.flush()
            self.last_draw = now
        elif not self.tty and tenth != self.last_tenth:
            self.stream.write(self._bar() + "\n")
            self.last_tenth = tenth

    def _bar(self) -> str:
        share = min(self.done / self.total, 1.0)
        filled = int(share * 30)
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        return (
            f"[{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} "
            f"{self.done}/{self.total} {self.label} {rate:,.0f}/s"
        )

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write(("\r" if self.tty else "") + self._bar() + "\n")
            self.stream.flush()
