"""What management commands draw on a terminal, shared by every command that has long work."""

BAR_WIDTH = 30


class ProgressBar:
    """[#########.....]  54/109  50%, redrawn in place with \\r when the percentage moves."""

    def __init__(self, out, label: str):
        self.out = out
        self.label = label
        self.shown = None

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // total if total else 100
        if percent == self.shown and done != total:
            return
        self.shown = percent
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        width = len(str(total))
        self.out.write(
            f"\r{self.label} [{bar}] {done:>{width}}/{total} {percent:>3}%",
            style_func=str,  # not in the error colour stderr has on a terminal
            ending="\n" if done == total else "",
        )
        self.out.flush()
