"""Print a profile written by bench/cprofile/sitecustomize.py: show.py FILE [sort key] [lines] [per-event divisor]."""
import marshal
import sys
import pstats


class _Loaded:
    def __init__(self, stats: dict) -> None:
        self.stats = stats

    def create_stats(self) -> None:
        pass


def main() -> None:
    path = sys.argv[1]
    key = sys.argv[2] if len(sys.argv) > 2 else "tottime"
    lines = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    with open(path, "rb") as handle:
        stats = pstats.Stats(_Loaded(marshal.load(handle)))
    stats.sort_stats(key).print_stats(lines)


if __name__ == "__main__":
    main()
