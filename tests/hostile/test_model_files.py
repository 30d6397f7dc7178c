"""Hostile model files: each refused with a one-line error, under both engines, before any run.

The first group would run code when pysd loads the model (pysd writes
documentation raw into the docstrings of the Python it generates); the test
also asserts that the injected statement did not run.
"""

from __future__ import annotations

import pytest

from .conftest import MODEL, Sandbox

GROWTH = "Growth=\n\t0.1\n\t~\t1/Year [0,1]\n\t~\tGrowth rate of the stock. Group: economic.\n"


def _doc(doc: str) -> str:
    return MODEL.replace("Growth rate of the stock. Group: economic.", doc)


INJECT = 'open("INJECTED", "w").write("pwned")'

#: (id, model text, expected problem); refused by both engines.
CASES = [
    ("doc_closes_docstring", _doc(f'Growth.""" ; {INJECT} ; """'), r'documentation.*Growth.*"""'),
    ("doc_starts_with_quotes", _doc(f'"""\n{INJECT}\n"""'), r'documentation.*"""'),
    ("doc_quotes_via_backslash", _doc(f'a""\\\\""" ; {INJECT} ; """'), r'"""'),
    ("doc_nul", _doc("rate\x00"), r"control character"),
    ("doc_escape_char", _doc("rate\x1b[2J"), r"control character"),
    ("units_control", MODEL.replace("1/Year [0,1]", "1/Ye\x01ar [0,1]"), r"units.*control"),
    ("units_quote", MODEL.replace("1/Year [0,1]", '1/"Year" [0,1]'), r"units|parse"),
    ("name_backslash", MODEL.replace("Growth", "Gro\\wth"), r"parse|name"),
    ("name_quote", MODEL.replace("Growth", '"Gro""wth"'), r"parse|name"),
    ("final_time_huge", MODEL.replace("FINAL TIME  = 10", "FINAL TIME  = 1e9"), r"cap of"),
    ("final_time_inf", MODEL.replace("FINAL TIME  = 10", "FINAL TIME  = 1e400"), r"FINAL TIME"),
    ("final_before_initial", MODEL.replace("FINAL TIME  = 10", "FINAL TIME  = -5"), r"before"),
    ("time_step_zero", MODEL.replace("TIME STEP  = 1\n", "TIME STEP  = 0\n"), r"TIME STEP"),
    ("time_step_negative", MODEL.replace("TIME STEP  = 1\n", "TIME STEP  = -1\n"), r"TIME STEP"),
    ("time_step_past_horizon", MODEL.replace("TIME STEP  = 1\n", "TIME STEP  = 100\n"), "horizon"),
    ("saveper_zero", MODEL.replace("SAVEPER  = TIME STEP", "SAVEPER  = 0"), r"SAVEPER"),
    ("range_inverted", MODEL.replace("1/Year [0,1]", "1/Year [1,0]"), r"empty range \[1, 0\]"),
    ("default_outside_range", MODEL.replace("1/Year [0,1]", "1/Year [0,0.05]"), r"outside"),
    (
        "algebraic_loop",
        MODEL.replace(
            GROWTH,
            "Growth=\n\tOther\n\t~\t1/Year\n\t~\tx\n\t|\n\nOther=\n\tGrowth\n\t~\t1/Year\n\t~\ty\n",
        ),
        r"loop",
    ),
    ("unknown_function", MODEL.replace("\t0.1\n", "\tFROBNICATE(0.1)\n"), r"(?i)frobnicate"),
    ("division_by_zero", MODEL.replace("\t0.1\n", "\t1/0\n"), r"division by zero|non-finite"),
    (
        "stock_overflows",
        MODEL.replace("\t0.1\n", "\t900\n")
        .replace("1/Year [0,1]", "1/Year")
        .replace("FINAL TIME  = 10", "FINAL TIME  = 200"),
        r"non-finite|overflow",
    ),
    (
        "duplicate_definition",
        MODEL + "\nGrowth=\n\t0.2\n\t~\t1/Year\n\t~\tagain\n\t|\n",
        r"(?i)twice|pysd cannot simulate",
    ),
    (
        "random_without_seed",
        MODEL.replace("\t0.1\n", "\tRANDOM UNIFORM(0, 1, 1)\n"),
        r"RANDOM|unsupported",
    ),
    ("garbage", "\x00\x01\x02 = = ~ | |", r"parse"),
    ("not_utf8", "Stock = INTEG(1, \xff\xfe)", r"parse|decode"),
    ("equation_only", "Stock = = =\n|\n", r"parse"),
]


@pytest.mark.parametrize("engine", ["pysd", "batch"])
@pytest.mark.parametrize(("text", "problem"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_model_is_refused(sandbox: Sandbox, capsys, engine, text, problem) -> None:
    model = sandbox.write("hostile.mdl", text)
    sandbox.refuses(sandbox.run_args("--engine", engine, model=model), problem, capsys)
    assert not (sandbox.root / "INJECTED").exists()
    assert not sandbox.out.exists()  # refused before anything was written


@pytest.mark.parametrize(
    ("name", "problem"),
    [("missing.mdl", "not found"), ("folder.mdl", "not a file"), ("model.txt", r"\.mdl")],
)
def test_model_path_that_is_not_a_model(sandbox: Sandbox, capsys, name, problem) -> None:
    if name == "folder.mdl":
        (sandbox.root / name).mkdir()
    elif name == "model.txt":
        sandbox.write(name, MODEL)
    sandbox.refuses(sandbox.run_args(model=sandbox.root / name), problem, capsys)


def test_the_injection_runs_under_plain_pysd(tmp_path, monkeypatch) -> None:
    """The reproducer is real: plain pysd runs the injected statement (so the refusal matters)."""
    import warnings

    import pysd

    monkeypatch.chdir(tmp_path)
    model = tmp_path / "raw.mdl"
    model.write_text(_doc(f'Growth.""" ; {INJECT} ; """'), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the injected code leaves its file open
        pysd.read_vensim(str(model)).run()
    assert (tmp_path / "INJECTED").read_text() == "pwned"


def test_quoted_vensim_name_is_accepted(tmp_path) -> None:
    """A quoted Vensim name ("$ growth") is valid: its delimiting quotes are not refused."""
    from gvc_upgrading import load_model

    model = tmp_path / "quoted.mdl"
    model.write_text(MODEL.replace("Growth", '"$ growth"'), encoding="utf-8")
    run = load_model(model).run(check_bounds=False)
    assert run.sizes["time"] > 1
