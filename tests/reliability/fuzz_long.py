"""The long fuzz run of decode + parse: `python -m tests.reliability.fuzz_long [--minutes N]`.

Two engines, the same property as the CI tests (only a refusal may come out; accepted postbacks survive the
queue):

- `atheris` (default when installed: `pip install atheris`): coverage-guided, libFuzzer mutating the vendor's
  examples and the hostile corpus, with a dictionary of XML/JSON tokens. A failing input is written to
  `--artifacts` (crash-<sha1>); replay it with `--engine atheris --replay FILE`.
- `hypothesis`: the property tests of test_fuzz_decode_parse.py with every example count multiplied by `--scale`.

Not part of the CI suite; nothing here talks to AWS.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT / "layers" / "postbacks", ROOT / "tools", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def _have_atheris() -> bool:
    try:
        import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def run_hypothesis(scale: int, select: str | None) -> int:
    import pytest

    os.environ["POSTBACKS_FUZZ_SCALE"] = str(scale)
    arguments = [str(Path(__file__).with_name("test_fuzz_decode_parse.py")), "-q", "-p", "no:randomly"]
    if select:
        arguments += ["-k", select]
    return int(pytest.main(arguments))


def run_atheris(minutes: float, runs: int | None, artifacts: Path, replay: list[str]) -> int:
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

    with atheris.instrument_imports(include=["postbacks", "defusedxml"]):
        from postbacks.domain import codes, decoding, models, parsing, timestamps  # noqa: F401

    from tests.reliability.fuzzing import CONTENT_TYPES, HOSTILE_BYTES, SEED_BYTES, TOKENS, api_gateway_body, check
    from tests.reliability.fuzzing import decode_and_parse as pipeline

    def one_input(data: bytes) -> None:
        # Byte 0 picks the Content-Type, bit 0 of byte 1 forces base64; the rest is the body.
        content_type = CONTENT_TYPES[data[0] % len(CONTENT_TYPES)] if data else None
        force_base64 = len(data) > 1 and bool(data[1] & 1)
        check(pipeline(*api_gateway_body(data[2:], force_base64=force_base64), content_type))

    artifacts.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="postbacks-fuzz-"))
    corpus = work / "corpus"
    corpus.mkdir()
    # Two header bytes (Content-Type index, base64 flag) in front of each example, as one_input reads them.
    for number, example in enumerate(SEED_BYTES + HOSTILE_BYTES):
        (corpus / f"{number:03d}").write_bytes(b"\x02\x00" + example)
    dictionary = work / "tokens.dict"
    dictionary.write_text("".join(f'"{_escape(token)}"\n' for token in TOKENS))
    flags = [
        sys.argv[0],
        f"-dict={dictionary}",
        f"-artifact_prefix={artifacts}/",
        "-max_len=8192",
        f"-max_total_time={int(minutes * 60)}",
    ]
    if runs is not None:
        flags.append(f"-runs={runs}")
    flags += replay or [str(corpus)]
    print(f"fuzz: atheris, corpus {corpus}, failing inputs to {artifacts}/", flush=True)
    atheris.Setup(flags, one_input)
    atheris.Fuzz()
    return 0


def _escape(token: bytes) -> str:
    # libFuzzer dictionaries: printable ASCII as is, the rest (and quotes, backslashes) as \xNN.
    return "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\x{b:02X}" for b in token)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--engine", choices=["atheris", "hypothesis"], default="atheris" if _have_atheris() else "hypothesis"
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="atheris: how long to run (default 10)")
    parser.add_argument("--runs", type=int, help="atheris: stop after this many inputs")
    parser.add_argument("--artifacts", type=Path, default=Path(tempfile.gettempdir()) / "postbacks-fuzz-artifacts")
    parser.add_argument("--replay", nargs="*", default=[], metavar="FILE", help="atheris: run these inputs only")
    parser.add_argument("--scale", type=int, default=50, help="hypothesis: multiply every example count (default 50)")
    parser.add_argument("-k", dest="select", help="hypothesis: pytest -k expression, e.g. 'not ingest'")
    args = parser.parse_args()
    if args.engine == "hypothesis":
        return run_hypothesis(args.scale, args.select)
    return run_atheris(args.minutes, args.runs, args.artifacts, args.replay)


if __name__ == "__main__":
    sys.exit(main())
