#!/usr/bin/env python3
"""Writes inputs/demo_io_table.csv and inputs/demo_io_sector_map.csv: a small, made-up but plausible
national input-output table for the 12 sector groups of the demo establishment table, and the
concordance from the demo's sector codes (2-digit prefixes) to its IO sectors.

The table is not an official one. Its technical coefficients follow the usual shape of a
product-by-product table (food products buy from agriculture, motor vehicles from electronics and
chemicals, restaurants from food products and agriculture, everyone from trade and transport; column
sums 0.15-0.6), total output is in billions of an invented currency and employment in persons. No
randomness: rerunning gives the same bytes.

usage: python3 scripts/demo_io_table.py [OUT_DIR]   (default: inputs/)
"""
import os
import sys

SECTORS = [  # (IO code, KSIC division, label, total output, employment, household share of output)
    ("AGR", "01", "Agriculture", 60.0, 3500, 0.25),
    ("FOOD", "10", "Food products", 95.0, 9700, 0.45),
    ("CHEM", "20", "Chemicals", 120.0, 4400, 0.10),
    ("ELEC", "26", "Electronic components and computers", 210.0, 3300, 0.08),
    ("VEH", "30", "Motor vehicles", 150.0, 3050, 0.15),
    ("CONS", "41", "General construction", 130.0, 5400, 0.02),
    ("WHOL", "46", "Wholesale trade", 80.0, 6800, 0.20),
    ("RETL", "47", "Retail trade", 70.0, 10700, 0.60),
    ("TRAN", "49", "Land transport", 55.0, 8800, 0.35),
    ("REST", "56", "Food and beverage services", 50.0, 11200, 0.80),
    ("ICT", "62", "Computer programming", 45.0, 3100, 0.05),
    ("HLTH", "86", "Human health", 75.0, 13100, 0.70),
]
# main input coefficients a[supplier][buyer]; a background of 0.004 elsewhere
MAIN = {
    ("AGR", "AGR"): 0.08, ("AGR", "FOOD"): 0.35, ("AGR", "REST"): 0.06,
    ("FOOD", "FOOD"): 0.08, ("FOOD", "AGR"): 0.04, ("FOOD", "REST"): 0.25, ("FOOD", "RETL"): 0.02,
    ("FOOD", "HLTH"): 0.02,
    ("CHEM", "AGR"): 0.10, ("CHEM", "CHEM"): 0.22, ("CHEM", "VEH"): 0.06, ("CHEM", "CONS"): 0.08,
    ("CHEM", "ELEC"): 0.05, ("CHEM", "HLTH"): 0.10, ("CHEM", "FOOD"): 0.03,
    ("ELEC", "ELEC"): 0.30, ("ELEC", "VEH"): 0.12, ("ELEC", "ICT"): 0.04, ("ELEC", "CONS"): 0.02,
    ("VEH", "VEH"): 0.25, ("VEH", "TRAN"): 0.06, ("VEH", "CONS"): 0.01,
    ("CONS", "CONS"): 0.03, ("CONS", "HLTH"): 0.01, ("CONS", "RETL"): 0.01, ("CONS", "WHOL"): 0.01,
    ("WHOL", "FOOD"): 0.06, ("WHOL", "CHEM"): 0.04, ("WHOL", "ELEC"): 0.03, ("WHOL", "VEH"): 0.04,
    ("WHOL", "CONS"): 0.05, ("WHOL", "RETL"): 0.08, ("WHOL", "REST"): 0.05, ("WHOL", "HLTH"): 0.03,
    ("RETL", "REST"): 0.02, ("RETL", "HLTH"): 0.01,
    ("TRAN", "AGR"): 0.02, ("TRAN", "FOOD"): 0.03, ("TRAN", "CHEM"): 0.03, ("TRAN", "VEH"): 0.02,
    ("TRAN", "CONS"): 0.03, ("TRAN", "WHOL"): 0.08, ("TRAN", "RETL"): 0.04, ("TRAN", "TRAN"): 0.05,
    ("REST", "WHOL"): 0.02, ("REST", "ICT"): 0.01, ("REST", "HLTH"): 0.01,
    ("ICT", "TRAN"): 0.01, ("WHOL", "WHOL"): 0.06, ("RETL", "RETL"): 0.03, ("HLTH", "REST"): 0.01,
    ("ICT", "ELEC"): 0.03, ("ICT", "WHOL"): 0.03, ("ICT", "RETL"): 0.02, ("ICT", "ICT"): 0.12,
    ("ICT", "HLTH"): 0.02, ("ICT", "VEH"): 0.01,
    ("HLTH", "HLTH"): 0.02,
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "inputs")
    codes = [s[0] for s in SECTORS]
    x = {s[0]: s[3] for s in SECTORS}
    z = {}
    for i in codes:
        for j in codes:
            z[i, j] = round(MAIN.get((i, j), 0.004) * x[j], 4)
    for j in codes:
        col = sum(z[i, j] for i in codes) / x[j]
        assert 0.15 < col < 0.8, (j, col)
    with open(os.path.join(out, "demo_io_table.csv"), "w", newline="") as f:
        f.write("label," + ",".join(codes) + ",Households,Total output\n")
        for code, _, _, xo, _, hh in SECTORS:
            f.write(code + "," + ",".join(f"{z[code, j]:.4f}" for j in codes) + f",{hh * xo:.4f},{xo:.4f}\n")
        comp = {s[0]: round(0.45 * (1 - sum(z[i, s[0]] for i in codes) / x[s[0]]) * x[s[0]], 4) for s in SECTORS}
        f.write("Compensation of employees," + ",".join(f"{comp[j]:.4f}" for j in codes) + ",,\n")
        f.write("Total output," + ",".join(f"{x[j]:.4f}" for j in codes) + ",,\n")
        f.write("Employment," + ",".join(str(s[4]) for s in SECTORS) + ",,\n")
    with open(os.path.join(out, "demo_io_sector_map.csv"), "w", newline="") as f:
        f.write("sector,io_sector\n")
        for code, div, _, _, _, _ in SECTORS:
            f.write(f"{div},{code}\n")


if __name__ == "__main__":
    main()
