# ruff: noqa: E501
"""Write the construct models of ``tests/engine/test_constructs.py`` (one per construct).

Each model is a few equations exercising one Vensim construct, with the same
short horizon (0 to 4 by 0.25) so that pysd and the engine run them fast.
Run ``python generate.py`` to rewrite the ``.mdl`` and ``.csv`` files in this
folder; the models are written by hand here, not derived from any other source.
"""

from pathlib import Path

CONTROLS = """INITIAL TIME = 0 ~ Year ~ |
FINAL TIME = 4 ~ Year ~ |
TIME STEP = 0.25 ~ Year [0,?] ~ |
SAVEPER = TIME STEP ~ Year [0,?] ~ |
"""
M = {
    "arithmetic": "a = 3 ~ dmnl [1,5] ~ |\nx = (a + Time) * 2 - a / 4 + a ^ 2 - -Time ~ dmnl ~ |\ny = -2 ^ 2 + -3 ^ a + 2 ^ -a ^ 2 ~ dmnl ~ |",
    "logic": "a = 2 ~ dmnl [0,4] ~ |\nx = IF THEN ELSE(Time > a :AND: Time <= 3 :OR: :NOT: Time <> 1, 1, 0) ~ dmnl ~ |\ny = IF THEN ELSE(Time = 2, 5, IF THEN ELSE(Time >= a, 2, -1)) ~ dmnl ~ |",
    "min_max_abs": "a = 1.5 ~ dmnl [0,3] ~ |\nx = MIN(Time, a) + MAX(Time, a) + ABS(a - Time) ~ dmnl ~ |",
    "exp_ln_log_sqrt_power": "a = 2 ~ dmnl [1,3] ~ |\nx = EXP(Time / 10) + LN(Time + 1) + LOG(Time + 1, a) + SQRT(Time) + POWER(a, Time) ~ dmnl ~ |",
    "trigonometry": "a = 0.5 ~ dmnl [0,1] ~ |\nx = SIN(Time * a) + COS(Time) + TAN(a) + ARCSIN(a) + ARCCOS(a) + ARCTAN(Time) + SINH(a) + COSH(a) + TANH(Time) ~ dmnl ~ |",
    "integer_modulo_quantum": "a = 0.7 ~ dmnl [0.1,2] ~ |\nx = INTEGER(Time / a) + MODULO(Time, a) + QUANTUM(Time, a) ~ dmnl ~ |",
    "xidz_zidz": "a = 1 ~ dmnl [0,2] ~ |\nx = XIDZ(Time, Time - a, -1) + ZIDZ(a, Time - 2) ~ dmnl ~ |",
    "step_ramp": "a = 1 ~ Year [0,3] ~ |\nx = STEP(2, a) + RAMP(0.5, a, 3) ~ dmnl ~ |",
    "pulse_pulse_train": "a = 1 ~ Year [0,2] ~ |\nx = PULSE(a, 1) + PULSE TRAIN(a, 0.5, 1, 4) ~ dmnl ~ |",
    "integ": "r = 0.1 ~ 1/Year [0,0.5] ~ |\nflow = r * Stock ~ 1/Year ~ |\nStock = INTEG(flow, 100) ~ dmnl ~ |",
    "initial": "r = 0.1 ~ 1/Year [0,0.5] ~ |\nStock = INTEG(r * Stock, 100) ~ dmnl ~ |\nx = INITIAL(Stock * 2) + Stock ~ dmnl ~ |",
    "active_initial": "r = 0.3 ~ 1/Year [0,0.5] ~ |\nStock = INTEG(x, 10) ~ dmnl ~ |\nx = ACTIVE INITIAL(Stock * r, 5) ~ dmnl ~ |",
    "smooth": "t = 2 ~ Year [1,3] ~ |\nx = SMOOTH(STEP(10, 1), t) ~ dmnl ~ |\ny = SMOOTHI(Time, t, 3) ~ dmnl ~ |",
    "smooth3": "t = 2 ~ Year [1,3] ~ |\nx = SMOOTH3(STEP(10, 1), t) ~ dmnl ~ |\ny = SMOOTH3I(Time, t, 3) ~ dmnl ~ |",
    "smooth_n": "t = 2 ~ Year [1,3] ~ |\nx = SMOOTH N(STEP(10, 1), t, 1, 4) ~ dmnl ~ |",
    "delay1": "t = 2 ~ Year [1,3] ~ |\nx = DELAY1(STEP(10, 1), t) ~ dmnl ~ |\ny = DELAY1I(Time, t, 3) ~ dmnl ~ |",
    "delay3": "t = 2 ~ Year [1,3] ~ |\nx = DELAY3(STEP(10, 1), t) ~ dmnl ~ |\ny = DELAY3I(Time, t, 3) ~ dmnl ~ |",
    "delay_n": "t = 2 ~ Year [1,3] ~ |\nx = DELAY N(STEP(10, 1), t, 0, 4) ~ dmnl ~ |",
    "delay_fixed": "t = 1 ~ Year [0.5,2] ~ |\nx = DELAY FIXED(Time, t, -1) ~ dmnl ~ |",
    "trend": "t = 2 ~ Year [1,3] ~ |\nx = TREND(Time + 1, t, 0.1) ~ dmnl ~ |",
    "forecast": "t = 2 ~ Year [1,3] ~ |\nx = FORECAST(Time + 1, t, 2) ~ dmnl ~ |",
    "sample_if_true": "a = 1 ~ Year [0,3] ~ |\nx = SAMPLE IF TRUE(Time > a :AND: Time < 3, Time * 2, -1) ~ dmnl ~ |",
    "lookup": "tab([(0,0)-(4,2)],(0,0),(1,0.5),(2,2),(4,1)) ~ dmnl ~ |\na = 1 ~ dmnl [0.5,1.5] ~ |\nx = tab(Time * a) + tab(10) + tab(-1) ~ dmnl ~ |",
    "with_lookup": "a = 1 ~ dmnl [0.5,1.5] ~ |\nx = WITH LOOKUP(Time * a, ([(0,0)-(4,2)],(0,0),(1,0.5),(2,2),(4,1))) ~ dmnl ~ |",
    "game": "a = 1 ~ dmnl [0,2] ~ |\nx = GAME(Time * a) ~ dmnl ~ |",
    "time_and_controls": "x = Time + TIME STEP + SAVEPER + INITIAL TIME + FINAL TIME ~ dmnl ~ |",
    "subscripts_1d": "R: r1, r2, r3 ~~|\nb[R] = 1, 2, 3 ~ dmnl ~ |\na = 2 ~ dmnl [1,3] ~ |\nx[R] = b[R] * a + Time ~ dmnl ~ |\ny = x[r2] ~ dmnl ~ |",
    "subscripts_2d": "R: r1, r2 ~~|\nS: s1, s2, s3 ~~|\nb[R, S] = 1, 2, 3; 4, 5, 6; ~ dmnl ~ |\nx[S, R] = b[R, S] * Time ~ dmnl ~ |",
    "subrange": "R: r1, r2, r3 ~~|\nC: r1, r3 ~~|\nb[R] = 1, 2, 3 ~ dmnl ~ |\nx[C] = b[C] * Time ~ dmnl ~ |",
    "element_wise": "R: r1, r2, r3 ~~|\ny = Time ~ dmnl ~ |\nx[r1] = y ~ dmnl ~ |\nx[r2] = 2 ~ dmnl ~ |\nx[r3] = y + 1 ~ dmnl ~ |",
    "sum_prod_vmin_vmax": "R: r1, r2, r3 ~~|\nb[R] = 1, 2, 3 ~ dmnl ~ |\nx = SUM(b[R!] * Time) + PROD(b[R!]) + VMIN(b[R!] - Time) + VMAX(b[R!]) ~ dmnl ~ |",
    "except": "R: r1, r2, r3 ~~|\nx[R] :EXCEPT: [r2] = Time ~ dmnl ~ |\nx[r2] = -1 ~ dmnl ~ |",
    "range_copy": "R: r1, r2, r3 ~~|\nQ <-> R ~~|\nb[R] = 1, 2, 3 ~ dmnl ~ |\nx[Q] = b[Q] * Time ~ dmnl ~ |",
    "element_wise_stock": "R: r1, r2 ~~|\nStock[r1] = INTEG(1, 0) ~ dmnl ~ |\nStock[r2] = INTEG(Stock[r1], 5) ~ dmnl ~ |",
    "subscript_as_value": "R: r1, r2, r3 ~~|\nS: s1, s2, s3 ~~|\nx[R, S] = IF THEN ELSE(R = S, 1, 0) * R ~ dmnl ~ |\ny[R] = IF THEN ELSE(R = r2, 1, 0) ~ dmnl ~ |",
    "get_direct_constants": "R: r1, r2, r3 ~~|\na = GET DIRECT CONSTANTS('constants.csv', ',', 'B2') ~ dmnl ~ |\nb[R] = GET DIRECT CONSTANTS('constants.csv', ',', 'B3') ~ dmnl ~ |\nx[R] = a * b[R] * Time ~ dmnl ~ |",
    "get_direct_data": "d := GET DIRECT DATA('data.csv', ',', 'A', 'B2') ~ dmnl ~ |\nx = d * 2 ~ dmnl ~ |",
    "get_direct_lookups": "tab = GET DIRECT LOOKUPS('data.csv', ',', 'A', 'B2') ~ dmnl ~ |\nx = tab(Time) ~ dmnl ~ |",
    "non_finite": "a = 2 ~ dmnl [1,3] ~ |\nx = EXP(Time * a * 100) ~ dmnl ~ |\ny = LN(Time - 1) ~ dmnl ~ |",
}
DATA = {
    "constants.csv": "name,v1,v2,v3\na,2.5,0,0\nb,1,2,3\n",
    "data.csv": "time,value\n0,1\n1,3\n2.5,2\n4,6\n",
}
out = Path(__file__).parent
for name, eq in M.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
for name, text in DATA.items():
    (out / name).write_text(text)
MACROS = {
    "macro": ":MACRO: SCALED STOCK(inflow, start)\nSCALED STOCK = INTEG(inflow * helper, start) ~ dmnl ~ |\nhelper = 2 ~ dmnl ~ |\n:END OF MACRO:\n:MACRO: HALF(value)\nHALF = value / 2 ~ dmnl ~ |\n:END OF MACRO:\na = 1 ~ dmnl ~ |\nhelper = 5 ~ dmnl ~ |\ny = SCALED STOCK(a, 3) + helper ~ dmnl ~ |\ny2 = SCALED STOCK(a * 2, 0) ~ dmnl ~ |\nz = HALF(a + Time) ~ dmnl ~ |",
}
for name, eq in MACROS.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
MORE = {
    "allocate_by_priority": "B: b1, b2, b3 ~~|\nrequest[B] = 3, 2, 4 ~ dmnl ~ |\npriority[B] = 1, 3, 2 ~ dmnl ~ |\nsupply = 5 ~ dmnl [0,10] ~ |\nx[B] = ALLOCATE BY PRIORITY(request[B] + Time, priority[B], ELMCOUNT(B), 1, supply + Time) ~ dmnl ~ |",
    "delay_fixed_subscripted": "R: r1, r2 ~~|\nb[R] = 1, 2 ~ dmnl ~ |\nt = 1 ~ Year [0.5,2] ~ |\nx[R] = DELAY FIXED(b[R] * Time, t, b[R]) ~ dmnl ~ |",
    "subscripted_lookup": "R: r1, r2 ~~|\ntab[r1]([(0,0)-(4,2)],(0,0),(4,2)) ~ dmnl ~ |\ntab[r2]([(0,0)-(4,2)],(0,1),(2,0),(4,2)) ~ dmnl ~ |\nb[R] = 1, 0.5 ~ dmnl ~ |\nx[R] = tab[R](Time * b[R]) ~ dmnl ~ |\ny = tab[r2](Time) ~ dmnl ~ |",
    "get_direct_data_subscripted": "R: r1, r2 ~~|\nd[R] := GET DIRECT DATA('data2.csv', ',', 'A', 'B2') ~ dmnl ~ |\nh := GET DIRECT DATA('data.csv', ',', 'A', 'B2') ~~ :HOLD BACKWARD: |\nx[R] = d[R] * 2 + h ~ dmnl ~ |",
    "get_direct_lookups_subscripted": "R: r1, r2 ~~|\ntab[R] = GET DIRECT LOOKUPS('data2.csv', ',', 'A', 'B2') ~ dmnl ~ |\nx[R] = tab[R](Time) ~ dmnl ~ |",
    "elmcount_nested_ranges": "R: r1, r2, S ~~|\nS: s1, s2 ~~|\nx[R] = ELMCOUNT(R) * Time + R ~ dmnl ~ |",
}
for name, eq in MORE.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
(out / "data2.csv").write_text("time,r1,r2\n0,1,10\n1,3,20\n2.5,2,15\n4,6,0\n")
MAPPING = {
    "subscript_mapping": "A: a1, a2, a3 -> B ~~|\nB: b1, b2, b3 ~~|\nAGE: young, adult, old ~~|\nOLDER: adult, old ~~|\nYOUNGER: young, adult -> OLDER ~~|\nv[A] = 1, 2, 3 ~ dmnl ~ |\nx[B] = v[A] * Time ~ dmnl ~ |\npop[AGE] = 10, 20, 30 ~ dmnl ~ |\nmoved[OLDER] = pop[YOUNGER] * Time ~ dmnl ~ |",
}
for name, eq in MAPPING.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
VECTORS = {
    "invert_matrix": "A: a1, a2 ~~|\nB: b1, b2 ~~|\nm[A, B] = 2, 1; 1, 3; ~ dmnl ~ |\nk = 1 ~ dmnl [0.5,2] ~ |\ninverse[A, B] = INVERT MATRIX(m[A, B] * (k + Time), 2) ~ dmnl ~ |",
    "vector_sort_rank_reorder": "A: a1, a2, a3, a4 ~~|\nv[A] = 3, 1, 4, 2 ~ dmnl ~ |\nd = 1 ~ dmnl [-1,1] ~ |\norder[A] = VECTOR SORT ORDER(v[A] * (1 + Time), d) ~ dmnl ~ |\nrank[A] = VECTOR RANK(v[A] - Time, 1) ~ dmnl ~ |\nreordered[A] = VECTOR REORDER(v[A] * Time, order[A]) ~ dmnl ~ |",
}
for name, eq in VECTORS.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
SELECT = {
    "vector_select": "A: a1, a2, a3 ~~|\nsel[A] = 0, 1, 2 ~ dmnl ~ |\nv[A] = 3, 5, 7 ~ dmnl ~ |\nmissing = -1 ~ dmnl ~ |\nsum sel = VECTOR SELECT(sel[A!], v[A!] + Time, missing, 0, 0) ~ dmnl ~ |\nmax sel = VECTOR SELECT(sel[A!], v[A!] * Time, missing, 9, 0) ~ dmnl ~ |\nnone = VECTOR SELECT(sel[A!] * 0, v[A!], missing, 4, 0) ~ dmnl ~ |\nby time = VECTOR SELECT(sel[A!], v[A!], missing, INTEGER(Time) * 2, 0) ~ dmnl ~ |",
}
for name, eq in SELECT.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
ORDERS = {
    "order_set_at_start": "t = 2 ~ Year [1,3] ~ |\norder = 2 + STEP(1, 2) ~ dmnl ~ |\nx = SMOOTH N(STEP(10, 1), t, 1, order) ~ dmnl ~ |\ny = DELAY N(Time, t, 0, order) ~ dmnl ~ |",
}
for name, eq in ORDERS.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
SUBSCRIPT_FILES = {
    "get_direct_subscript": "R: GET DIRECT SUBSCRIPT('names.csv', ',', 'A2', 'A4', '') ~~|\nb[R] = GET DIRECT CONSTANTS('names.csv', ',', 'B2*') ~ dmnl ~ |\nx[R] = b[R] * Time ~ dmnl ~ |",
}
for name, eq in SUBSCRIPT_FILES.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
(out / "names.csv").write_text("region,value\nnorth,1.5\nsouth,2\neast,4\n")
ALLOCATE = {
    "allocate_available": "B: b1, b2, b3 ~~|\nP: ptype, ppriority, pwidth, pextra ~~|\nrequest[B] = 3, 2, 4 ~ dmnl ~ |\nprofile[B, P] = 1, 5, 2, 0; 1, 3, 2, 0; 1, 4, 1, 0; ~ dmnl ~ |\navailable = 5 ~ dmnl [0,10] ~ |\nx[B] = ALLOCATE AVAILABLE(request[B] + Time, profile[B, ptype], available + Time) ~ dmnl ~ |",
}
for name, eq in ALLOCATE.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
MIXED = {
    "get_mixed_definitions": "R: r1, r2, r3 ~~|\nv[r1] := GET DIRECT DATA('data.csv', ',', 'A', 'B2') ~~|\nv[r2] = GET DIRECT CONSTANTS('constants.csv', ',', 'B2') ~~|\nv[r3] = Time * 2 ~ dmnl ~ |\nx[R] = v[R] + 1 ~ dmnl ~ |",
}
for name, eq in MIXED.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
TIME_VALUE = {
    "get_time_value": "R: r1, r2, r3 ~~|\noffset = 2 ~ Year [0,3] ~ |\ng = GET TIME VALUE(0, offset, 0) ~ Year ~ |\nh[R] = GET TIME VALUE(0, (R - 2) / 3, 0) * 2 ~ Year ~ |",
}
for name, eq in TIME_VALUE.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
REPEATED = {
    "repeated_range": "D: d1, d2, d3 ~~|\nm[d1, D] = 1, 2, 3 ~~|\nm[d2, D] = 4, 5, 6 ~~|\nm[d3, D] = Time ~ dmnl ~ |\nk = 2 ~ dmnl [1,3] ~ |\ntrace = m[d1, d1] + m[d2, d2] + m[d3, d3] * k ~ dmnl ~ |\nrow[D] = m[d2, D] * Time ~ dmnl ~ |\ncolumn[D] = m[D, d3] * k ~ dmnl ~ |",
}
for name, eq in REPEATED.items():
    (out / f"{name}.mdl").write_text("{UTF-8}\n" + eq.strip() + "\n" + CONTROLS, encoding="utf-8")
