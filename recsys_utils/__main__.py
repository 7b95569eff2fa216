"""``python -m recsys_utils COMMAND``: fetch, check-setup, workshop, data-pack, explorer.

Each command's own ``--help`` says more.
"""

from __future__ import annotations

import sys

COMMANDS = {
    "fetch": "download a dataset if it is not here, then load and verify it",
    "check-setup": "check this laptop for a workshop and print what is missing",
    "workshop": "write student and teacher copies of the notebooks and WORKSHOP.md",
    "data-pack": "write one archive of the project, its wheels and the data, for offline rooms",
    "explorer": "write the offline explorer page",
}

#: What a correct copy of each dataset holds after loading: users, artists, play counts.
EXPECTED_SHAPE = {"lastfm-2k": (1_892, 17_632, 92_834)}


def fetch(argv: list[str]) -> int:
    """Download (if needed), load and verify a dataset; 0 when it is correct."""
    import argparse

    from .datasets import SOURCES, load_dataset, locate
    from .download import DatasetUnavailableError

    parser = argparse.ArgumentParser(prog="python -m recsys_utils fetch", description=COMMANDS["fetch"])
    parser.add_argument("dataset", choices=sorted(SOURCES))
    parser.add_argument("--data-dir", help="where to look first and download to (default: RECSYS_DATA_DIR, "
                                           "else the user cache folder)")
    args = parser.parse_args(argv)
    try:
        folder = locate(args.dataset, args.data_dir)
    except DatasetUnavailableError as error:
        print(f"NOT FETCHED: {error}")
        return 1
    data = load_dataset(args.dataset, args.data_dir, use_cache=False)
    print(f"{data!r}\nfrom {folder}")
    expected = EXPECTED_SHAPE.get(args.dataset)
    found = (data.n_users, data.n_artists, data.nnz)
    if expected is not None and found != expected:
        print(f"NOT VERIFIED: expected {expected[0]:,} users, {expected[1]:,} artists and {expected[2]:,} play "
              f"counts, found {found[0]:,}, {found[1]:,} and {found[2]:,}. Delete the files and fetch again.")
        return 1
    report = data.report
    if report is not None and report.is_official is False:
        print(f"NOT VERIFIED: {report.summary()}")
        return 1
    print("verified: " + ("the published MD5 and every line accounted for" if report is not None and report.is_official
                          else "the published numbers of users, artists and play counts"))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        width = max(map(len, COMMANDS))
        print("usage: python -m recsys_utils COMMAND [options]\n\ncommands:")
        for command, text in COMMANDS.items():
            print(f"  {command:<{width}}  {text}")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    command, rest = argv[0], argv[1:]
    if command == "fetch":
        return fetch(rest)
    if command == "check-setup":
        from .setup_check import main as check_setup

        return check_setup()
    if command == "workshop":
        from .workshop import main as workshop

        workshop(rest)
        return 0
    if command == "data-pack":
        from .data_pack import main as data_pack

        data_pack(rest)
        return 0
    from .explorer_page import main as explorer

    explorer(rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
