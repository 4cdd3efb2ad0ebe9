#!/usr/bin/env python3
"""A generated country with planted districts, for the test of the screen (tests/cli/screen.sh).

    plant_country.py OUT.csv EXPECTED.csv [--seed N]

Writes an establishment table (district,sector,employees; one row per establishment; 6-digit NAICS
2017 codes that inputs/categories_naics2017.csv maps) and the planted classes (district,class):

- 80 background districts (B...): about 3,000 employees each over every kind of sector with
  district-specific weights, establishment sizes geometric with mean 12; they are not checked.
- 4 specialised clusters (C...): 70% of 5,000 employees in one manufacturing industry, in large
  plants; the rest a background mix.
- 4 innovation districts (I...): 3,000 employees in micro establishments (1 to 6 employees) spread
  evenly over every knowledge-intensive business service, creative industry, research and university
  sector, housing and real estate, food, drink and leisure: related variety, KIBS above the national
  share, work, living and leisure mixed.
- 4 central business districts (D...): 8,000 employees, 75% in large offices of a few KIBS industries,
  22% banking and insurance, 3% amenities.
- 4 central lifestyle districts (L...): 6,000 employees, 45% large KIBS offices, 45% food, drink,
  retail, recreation and hotels in establishments of 10 to 60 employees.
- 3 thin districts (T...): 20 employees.
"""
import argparse
import random

MANUFACTURING = ["336111", "336390", "332710", "311611", "325211", "331110", "333111", "321113", "334413",
                 "325412"]
KIBS = ["541110", "541211", "541330", "541511", "541512", "541611", "541613", "541990", "551114", "518210",
        "511210"]
CREATIVE = ["512110", "541430", "541810", "711110"]
AMENITIES = ["722511", "722513", "722410", "445110", "448140", "452210", "713940", "721110"]
HOUSING = ["531110", "531210", "531311"]
ANCHORS = ["611310", "541715", "622110"]
OTHER = ["238220", "484121", "561320", "621111", "812112", "423430", "522110", "524210", "111998"]
BACKGROUND = [(MANUFACTURING, 0.12), (KIBS, 0.08), (CREATIVE, 0.02), (AMENITIES, 0.22), (HOUSING, 0.03),
              (ANCHORS, 0.10), (OTHER, 0.43)]


def establishments(rng, district, sector, employees, size):
    """Rows of one district and sector adding up to `employees`, sizes drawn by size()."""
    rows = []
    left = employees
    while left > 0:
        e = min(left, max(1, size()))
        rows.append((district, sector, e))
        left -= e
    return rows


def background_mix(rng, district, total, size):
    rows = []
    for sectors, weight in BACKGROUND:
        w = weight * rng.uniform(0.6, 1.4)
        for s in sectors:
            n = int(round(total * w / len(sectors) * rng.uniform(0.3, 1.7)))
            rows += establishments(rng, district, s, n, size)
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("expected")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    geometric = lambda mean: (lambda: int(rng.expovariate(1.0 / mean)) + 1)
    rows, expected = [], []
    for i in range(80):
        rows += background_mix(rng, "B%03d" % i, 3000, geometric(12))
    for i in range(4):
        d = "C%d" % i
        rows += establishments(rng, d, MANUFACTURING[i * 2], 3500, lambda: rng.randint(200, 800))
        rows += background_mix(rng, d, 1500, geometric(12))
        expected.append((d, "specialised_cluster"))
    for i in range(4):
        d = "I%d" % i
        micro = lambda: rng.randint(1, 6)
        for sectors, share in ((KIBS, 0.30), (CREATIVE, 0.08), (ANCHORS[:2], 0.07), (HOUSING, 0.25),
                               (AMENITIES[:3] + AMENITIES[6:], 0.30)):
            for s in sectors:
                rows += establishments(rng, d, s, int(3000 * share / len(sectors)), micro)
        expected.append((d, "innovation_district"))
    for i in range(4):
        d = "D%d" % i
        for s in KIBS[:3] + KIBS[5:6] + KIBS[8:9]:
            rows += establishments(rng, d, s, int(8000 * 0.75 / 5), lambda: rng.randint(100, 500))
        for s in ("522110", "524210"):
            rows += establishments(rng, d, s, int(8000 * 0.22 / 2), lambda: rng.randint(50, 300))
        rows += establishments(rng, d, "722511", 240, lambda: rng.randint(10, 40))
        expected.append((d, "central_business_district"))
    for i in range(4):
        d = "L%d" % i
        for s in KIBS[:2] + KIBS[5:6]:
            rows += establishments(rng, d, s, int(6000 * 0.45 / 3), lambda: rng.randint(20, 200))
        for s in ("722511", "722410", "448140", "713940", "721110"):
            rows += establishments(rng, d, s, int(6000 * 0.45 / 5), lambda: rng.randint(10, 60))
        rows += establishments(rng, d, "522110", 600, lambda: rng.randint(20, 100))
        expected.append((d, "central_lifestyle_district"))
    for i in range(3):
        d = "T%d" % i
        rows += establishments(rng, d, KIBS[i], 20, lambda: 5)
        expected.append((d, "thin"))
    rng.shuffle(rows)
    with open(a.out, "w") as f:
        f.write("district,sector,employees\n")
        for d, s, e in rows:
            f.write("%s,%s,%d\n" % (d, s, e))
    with open(a.expected, "w") as f:
        f.write("district,class\n")
        for d, c in expected:
            f.write("%s,%s\n" % (d, c))


if __name__ == "__main__":
    main()
