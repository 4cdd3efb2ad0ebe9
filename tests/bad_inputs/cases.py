"""The catalogue of bad inputs: every case is one regio command on small inputs written here that
must fail with the documented exit code (2 usage, 3 input data, 4 numerical, 5 file system or
output, 6 memory; docs/ERRORS.md) and a message containing `message` (one fragment or a list),
naming the file, line and field where there is one and quoting the offending text. run_case.py
runs them (one ctest test per case, label cli).

A case: name, args (regio's arguments, run in a fresh folder holding `files`, `dirs`, `fifos`,
with `modes` applied), exit, message; as_user: run as user nobody when the tests run as root;
output_exists: the -o path exists before the run (it must still exist after)."""
import gzip

H = "district,sector,employees\n"
OK = H + "01001,11111,1\n01002,22222,2\n01001,22222,3\n"
IO_OK = "label,A,B,x\nA,1,2,10\nB,1,1,10\n"
IO = ["--io-table", "io.csv", "--io-output-col", "x"]


def gz(text):
    return gzip.compress(text.encode(), mtime=0)


def corrupt_gz():
    data = bytearray(gz(H + "".join("%05d,%05d,%d\n" % (i, i % 7, i) for i in range(200))))
    data[30:34] = b"\xff\xff\xff\xff"
    return bytes(data)


def garbage(n, seed):
    """n bytes of a xorshift generator: the same on every Python."""
    out, x = bytearray(), seed
    for _ in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out.append(x & 0xFF)
    return bytes(out)


CASES = []


def case(name, args, exit, message, **extra):
    CASES.append(dict(name=name, args=args, exit=exit, message=message, **extra))


def run_case(name, content, exit, message, args=(), file="in.csv", **extra):
    case(name, ["run", file, "-o", "out.h5"] + list(args), exit, message, files={file: content}, **extra)


# ---- the establishment table: structure -----------------------------------------------------
run_case("empty_file", "", 3, "in.csv: empty file (expected a header row)")
run_case("header_only", H, 3, "in.csv: no data rows after the header line")
run_case("blank_header_line", "\n" + OK, 3, "in.csv:1: the header row is empty (expected column names)")
run_case("binary_garbage", b"\x7fELF\x02\x01\x01\x00" + bytes(56), 3,
         ["in.csv:1: cannot detect the delimiter: the header", "\\x7FELF"])
run_case("binary_random", garbage(300, 7), 3, "in.csv:1: cannot detect the delimiter: the header \"\\xE7\\x07CE")
run_case("binary_after_header", H.encode() + garbage(3000, 11), 3,
         "in.csv:2: column 'sector' (field 2): code \"R\\xFC\\xF53XO")
run_case("nul_in_header", "district,sec\0tor,employees\n01001,11111,1\n", 3,
         "in.csv:1: header field 2 contains a NUL byte (a binary file?)")
run_case("nul_in_code", H + "01001,11111,1\n0100\0002,11111,2\n", 3,
         "in.csv:3: column 'district' (field 1): code \"0100\\x002\" contains a control byte")
run_case("invalid_utf8_code", (H + "01001,11111,1\n01\xff02,11111,2\n").encode("latin-1"), 3, "in.csv:3: column 'district' (field 1): code \"01\\xFF02\" is not valid UTF-8")
run_case("overlong_utf8_quoted_sector", (H + "01001,\"11\xc0\xaf11\",1\n").encode("latin-1"), 3,
         "in.csv:2: column 'sector' (field 2): code \"11\\xC0\\xAF11\" is not valid UTF-8")
run_case("unterminated_quote_at_eof", H + "01001,11111,1\n\"01002,11111,2\n", 3,
         "in.csv:3: unbalanced quotes: a quoted field opened in the row starting on this line is never closed")
run_case("quote_inside_unquoted_field", H + "01001,11111,1\n01\"002,11111,2\n", 3,
         "in.csv:3: field 1: quote inside an unquoted field (quote the whole field and double inner quotes), "
         "at \"01\"\"")
run_case("text_after_closing_quote", H + "01001,\"11111\"x,1\n", 3,
         "in.csv:2: column 'sector' (field 2): unexpected text \"x")
run_case("quote_error_in_header", "district,\"sec\"tor,employees\n01001,11111,1\n", 3,
         "in.csv:1: header row, field 2: unexpected text after a closing quote, at \"district,\"sec\"t\"")
run_case("wrong_delimiter_given", OK, 3,
         "in.csv:1: no column 'district' in the header (delimiter ';'); the columns are: 'district,sector,employees'",
         args=["--delimiter", ";"])
run_case("mixed_delimiters", "district;sector;employees\n01001;11111;1\n01002,11111,2\n", 3,
         "in.csv:3: column 'sector' (field 2): empty code (the row has only 1 field, the header 3: is the "
         "delimiter ';' right?)")
run_case("no_delimiter_in_header", "district sector employees\n01001 11111 1\n", 3,
         "in.csv:1: cannot detect the delimiter: the header \"district sector employees\" contains none of")
run_case("duplicate_column", "district,sector,district,employees\n01001,11111,01002,1\n", 3,
         "in.csv:1: column 'district' appears twice in the header (fields 1 and 3)")
run_case("missing_column", "district,sector,staff\n01001,11111,1\n", 3,
         "in.csv:1: no column 'employees' in the header (delimiter ','); the columns are: 'district', 'sector', "
         "'staff'")
run_case("too_many_fields", H + "01001,11111,1\n01002,11111,2,7\n", 3,
         "in.csv:3: row has 4 fields, the header has 3 (field 4 is \"7\"; delimiter ',')")
run_case("empty_district", H + "01001,11111,1\n,11111,1\n", 3, "in.csv:3: column 'district' (field 1): empty code")
run_case("empty_sector", H + "01001,,1\n", 3, "in.csv:2: column 'sector' (field 2): empty code")
run_case("code_longer_than_64_bytes", H + "%s,11111,1\n" % ("9" * 65), 3,
         "in.csv:2: column 'district' (field 1): code \"" + "9" * 60 + "...\" is longer than 64 bytes")
run_case("joined_district_too_long", "state,county,sector,employees\n%s,%s,11111,1\n" % ("1" * 40, "2" * 40), 3,
         "in.csv:2: district code joined from 2 columns is longer than 64 bytes (column 'county' adds 40)",
         args=["--district-col", "state,county"])
run_case("sector_shorter_than_level", H + "01001,111,1\n", 3,
         "in.csv:2: column 'sector' (field 2): code \"111\" is shorter than the finest sector level (5 characters)",
         args=["--sector-levels", "2,5"])
run_case("bad_row_in_gzip_input", gz(H + "01001,11111,1\n01002,11111,x\n"), 3,
         "in.csv.gz:3: column 'employees' (field 3): \"x\" is not a number", file="in.csv.gz")
run_case("bad_row_after_multiline_quoted_field", "district,name,sector,employees\n01001,\"a\nb\",11111,1\n01002,c,11111,-2\n",
         3, "in.csv:4: column 'employees' (field 4): \"-2\" is negative")

# ---- the establishment table: employees and establishments ----------------------------------
for name, value, why in [("negative", "-1", "is negative"), ("nan", "NaN", "is not a number"),
                         ("inf", "inf", "is not a number"), ("exponent", "1e3", "is not a number"),
                         ("thousands_separator", '"1,234"', "is not a number"),
                         ("four_decimals", "1.2345", "has more than 3 decimal places"),
                         ("beyond_fixed_point_range", "9999999999999999", "is out of range"),
                         ("leading_space", " 1", "is not a number"), ("plus_sign", "+1", "is not a number"),
                         ("hex", "0x10", "is not a number"), ("empty", "", "is empty, expected a number")]:
    shown = value.strip('"')
    run_case("employees_" + name, H + "01001,11111,1\n01002,11111,%s\n" % value, 3,
             "in.csv:3: column 'employees' (field 3): \"%s\" %s" % (shown, why))
# the cell is named, the same message for any thread count (the merge reports it: which row crosses
# the limit depends on the order of the rows)
run_case("employment_sum_overflow", H + "01001,11111,9000000000000000\n01001,11111,9000000000000000\n", 3,
         "the employment or establishments of district 01001 in sector 11111 sum to more than the 64-bit "
         "fixed-point range holds")
run_case("employment_sum_overflow_one_thread", H + "01001,11111,9000000000000000\n01001,11111,9000000000000000\n", 3,
         "the employment or establishments of district 01001 in sector 11111 sum to more than the 64-bit "
         "fixed-point range holds", args=["--threads", "1"])
run_case("national_total_overflow", H + "01001,11111,9000000000000000\n01002,11111,9000000000000000\n", 3,
         "national employment exceeds the 64-bit fixed-point range")
# one district's total over the range, its cells within it: in a row of fewer than 8 sectors, and in
# the first 8 of a row of 9 (the totals are taken 8 cells at a time, then the rest one by one)
run_case("district_total_overflow", H + "01001,11111,5000000000000000\n01001,22222,5000000000000000\n", 3,
         "employment of district 01001 exceeds the 64-bit fixed-point range")
run_case("district_total_overflow_wide_row",
         H + "".join("01002,%d,1\n" % (11111 * k) for k in range(1, 10))
         + "01001,11111,5000000000000000\n01001,22222,5000000000000000\n", 3,
         "employment of district 01001 exceeds the 64-bit fixed-point range")
run_case("all_employment_zero", H + "01001,11111,0\n01002,22222,0.000\n", 3,
         "total employment is zero in all 2 districts: location quotients and variety are undefined")
run_case("all_rows_skipped", H + "01001,11111,x\n01002,22222,y\n", 3,
         "no rows were aggregated (2 data rows read from 1 input file, none used)", args=["--on-bad-row", "skip"])
run_case("establishments_fraction", "district,sector,employees,n\n01001,11111,1,1.5\n", 3,
         "in.csv:2: column 'n' (field 4): \"1.5\" is not a non-negative whole number",
         args=["--establishments-col", "n"])

# ---- gzip -------------------------------------------------------------------------------------
run_case("gzip_truncated", gz(OK * 20)[:40], 3, "in.csv.gz: truncated gzip file (the compressed stream ends early",
         file="in.csv.gz")
run_case("gzip_corrupt", corrupt_gz(), 3, "in.csv.gz: corrupt gzip data near compressed byte", file="in.csv.gz")

# ---- files and the output ---------------------------------------------------------------------
case("input_missing", ["run", "nope.csv", "-o", "out.h5"], 5, "cannot open input 'nope.csv': No such file or directory")
case("input_is_directory", ["run", "adir", "-o", "out.h5"], 5, "input 'adir' is a directory, not a file", dirs=["adir"])
case("input_is_fifo", ["run", "fifo", "-o", "out.h5"], 5, "input 'fifo' is not a regular file", fifos=["fifo"])
case("input_unreadable", ["run", "in.csv", "-o", "out.h5"], 5, "cannot open input 'in.csv': Permission denied",
     files={"in.csv": OK}, modes={"in.csv": 0o000}, as_user=True)
case("output_dir_missing", ["run", "in.csv", "-o", "no/such/out.h5"], 5,
     "cannot write output 'no/such/out.h5': directory 'no/such' does not exist", files={"in.csv": OK})
case("output_dir_read_only", ["run", "in.csv", "-o", "ro/out.h5"], 5,
     "cannot write output 'ro/out.h5': directory 'ro' is not writable", files={"in.csv": OK}, dirs=["ro"],
     modes={"ro": 0o555}, as_user=True)
case("output_is_directory", ["run", "in.csv", "-o", "adir"], 5, "output 'adir' is an existing directory",
     files={"in.csv": OK}, dirs=["adir"], output_exists=True)
case("output_is_the_input", ["run", "in.csv", "-o", "in.csv"], 2, "the output 'in.csv' is the input 'in.csv'",
     files={"in.csv": OK}, output_exists=True)

# ---- options and the configuration file -------------------------------------------------------
case("config_unknown_key", ["run", "--config", "c.ini", "in.csv", "-o", "out.h5"], 2,
     "c.ini:3: colour = blue: unknown option 'colour'", files={"in.csv": OK, "c.ini": "[run]\nthreads = 1\ncolour = blue\n"})
case("config_bad_value", ["run", "--config", "c.ini", "in.csv", "-o", "out.h5"], 2,
     "c.ini:2: on-bad-row = sometimes: expected fail or skip", files={"in.csv": OK, "c.ini": "[run]\non-bad-row = sometimes\n"})
case("config_unknown_section", ["run", "--config", "c.ini", "in.csv", "-o", "out.h5"], 2,
     "c.ini:2: unknown section [runn] (expected [run]", files={"in.csv": OK, "c.ini": "[runn]\nthreads = 1\n"})
case("config_not_ini", ["run", "--config", "c.ini", "in.csv", "-o", "out.h5"], 2,
     "c.ini:2: not an INI line (expected key = value)", files={"in.csv": OK, "c.ini": "[run]\nthreads 1\n"})
case("config_missing", ["run", "--config", "none.ini", "in.csv", "-o", "out.h5"], 2,
     "cannot open config file 'none.ini': No such file or directory", files={"in.csv": OK})
case("config_is_directory", ["run", "--config", "adir", "in.csv", "-o", "out.h5"], 2,
     "config file 'adir' is a directory, not a file", files={"in.csv": OK}, dirs=["adir"])
case("unknown_option", ["run", "in.csv", "-o", "out.h5", "--colour"], 2, "unknown option '--colour'",
     files={"in.csv": OK})
case("option_without_value", ["run", "in.csv", "-o"], 2, "option '-o' needs a value", files={"in.csv": OK})
case("bad_thread_count", ["run", "in.csv", "-o", "out.h5", "--threads", "0"], 2,
     "--threads 0: expected a whole number of threads from 1 to 4096", files={"in.csv": OK})
case("variety_levels_reversed", ["run", "in.csv", "-o", "out.h5", "--variety-levels", "2,5"], 2,
     "the fine level (first) must be longer than the coarse level (second)", files={"in.csv": OK})
case("contradiction_sector_digits_levels", ["run", "in.csv", "-o", "out.h5", "--sector-digits", "3",
                                            "--sector-levels", "2,5"], 2,
     "ask for level 5 but --sector-digits 3 keeps only 3-character codes", files={"in.csv": OK})
case("contradiction_output_row_and_col", ["run", "in.csv", "-o", "out.h5"] + IO + ["--io-output-row", "x"], 2,
     "give exactly one of --io-output-row and --io-output-col", files={"in.csv": OK, "io.csv": IO_OK})
case("contradiction_map_without_table", ["run", "in.csv", "-o", "out.h5", "--io-sector-map", "map.csv"], 2,
     "--io-sector-map needs --io-table", files={"in.csv": OK, "map.csv": "sector,io_sector\n1,A\n"})
case("contradiction_regionalize_without_map", ["run", "in.csv", "-o", "out.h5", "--regionalize", "slq"] + IO, 2,
     "--regionalize needs --io-sector-map", files={"in.csv": OK, "io.csv": IO_OK})
case("contradiction_full_inverse_without_table", ["run", "in.csv", "-o", "out.h5", "--io-full-inverse"], 2,
     "--io-full-inverse needs --io-table", files={"in.csv": OK})
case("column_in_two_roles", ["run", "in.csv", "-o", "out.h5", "--sector-col", "district"], 2,
     "column 'district' is chosen for two roles", files={"in.csv": OK})

# ---- input-output tables ----------------------------------------------------------------------
def io_case(name, table, exit, message, args=("--io-output-col", "x")):
    case(name, ["io", "io.csv", "-o", "out.h5"] + list(args), exit, message, files={"io.csv": table})


io_case("io_not_square", "label,A,B,C,x\nA,1,2,1,10\nC,1,1,1,10\n", 3,
        "io.csv:1: column 'B' (field 3) lies between the sector columns but labels no row in column 'label'")
io_case("io_labels_do_not_match", "label,A,C,x\nA,1,2,10\nB,1,1,10\nC,1,1,10\n", 3,
        "io.csv:3: row 'B' lies between the sector rows but labels no column of the intermediate block")
io_case("io_no_sector_labels", "label,P,Q,x\nA,1,2,10\nB,1,1,10\n", 3,
        "io.csv: no column label of the header is also a row label in column 'label'")
io_case("io_negative_output", "label,A,B,x\nA,1,2,-10\nB,1,1,10\n", 3,
        "io.csv:2: column 'x' (field 4), row 'A': the total output of sector 'A' is -10, expected a number >= 0")
io_case("io_not_a_number", "label,A,B,x\nA,1,abc,10\nB,1,1,10\n", 3,
        "io.csv:2: column 'B' (field 3), row 'A': \"abc\" is not a number")
io_case("io_ragged_row", "label,A,B,x\nA,1,2,10,5\nB,1,1,10\n", 3,
        "io.csv:2: row has 5 fields, the header has 4 (field 5 is \"5\")")
io_case("io_malformed_quote", "label,A,B,x\nA,1,2\"3,10\nB,1,1,10\n", 3,
        "io.csv:2: field 3: quote inside an unquoted field")
io_case("io_duplicate_row_label", "label,A,B,x\nA,1,2,10\nB,1,1,10\nA,1,1,10\n", 3,
        "io.csv: sector 'A' labels more than one row in column 'label'")
io_case("io_missing_output_column", IO_OK, 3, "io.csv:1: no output column 'total' in the header",
        args=("--io-output-col", "total"))
io_case("io_nul_byte", "label,A,B,x\nA,1,2\0 junk,10\nB,1,1,10\n", 3,
        "io.csv:2: field 3 contains a NUL byte (a binary file?)")
io_case("io_empty", "", 3, "io.csv: the IO table is empty")
io_case("io_singular", "label,A,B,x\nA,10,0,10\nB,-5,0,10\n", 4,
        "io.csv: I - A is singular: the pivot of the column of sector 'B' is exactly zero")
io_case("io_not_productive", "label,A,B,x\nA,5,5,10\nB,5,5,10\n", 4,
        "io.csv: the input coefficients of sector 'A' sum to 1 >= 1")

# ---- sector maps (concordances) ---------------------------------------------------------------
def map_case(name, mapping, exit, message):
    case(name, ["run", "in.csv", "-o", "out.h5"] + IO + ["--io-sector-map", "map.csv"], exit, message,
         files={"in.csv": OK, "io.csv": IO_OK, "map.csv": mapping})


map_case("map_leaves_sector_unmapped", "sector,io_sector\n1,A\n", 3,
         "sector '22222' (level full) has employment 5.000 but no entry in the sector map 'map.csv'")
map_case("map_lists_code_twice", "sector,io_sector\n1,A\n2,B\n1,B\n", 3,
         "map.csv:4: sector '1' is listed twice (first on line 2)")
map_case("map_unknown_io_sector", "sector,io_sector\n1,A\n2,Z\n", 3,
         "map.csv:3: IO sector 'Z' (for sector '2') is not in the IO table 'io.csv'")
map_case("map_without_header", "1,A\n2,B\n", 3, "map.csv:1: the sector map needs a header line 'sector,io_sector'")
map_case("map_nul_byte", "sector,io_sector\n1,A\0B\n2,B\n", 3,
         "map.csv:2: byte 4 of the line is a NUL byte (a binary file?)")
map_case("map_one_field", "sector,io_sector\n1,A\n2\n", 3,
         "map.csv:3: expected two non-empty fields 'sector,io_sector' (io_sector '-' excludes the sector), got \"2\"")
map_case("map_empty", "sector,io_sector\n", 3, "the sector map 'map.csv' has no entries")

# ---- category maps (--categories) -------------------------------------------------------------
def categories_case(name, mapping, exit, message, **extra):
    case(name, ["run", "in.csv", "-o", "out.h5", "--categories", "cats.csv"], exit, message,
         files={"in.csv": OK, "cats.csv": mapping}, **extra)


categories_case("categories_code_twice", "sector,category\n111,kibs\n22,retail\n111,creative\n", 3,
                "cats.csv:4: sector '111' is mapped twice (first on line 2)")
categories_case("categories_unknown_use", "sector,category,use\n111,kibs,office\n", 3,
                "cats.csv:2: use 'office': expected work, living, leisure, none or empty")
categories_case("categories_two_uses", "sector,category,use\n111,kibs,work\n222,kibs,leisure\n", 3,
                "cats.csv:3: category 'kibs' has use 'leisure' here but another use on line 2")
categories_case("categories_nul_byte", "sector,category\n11\x001,kibs\n", 3,
                "cats.csv:2: byte 3 of the line is a NUL byte (a binary file?)")
categories_case("categories_without_header", "111,kibs\n", 3,
                "cats.csv:1: the category map needs a header line 'sector,category' or 'sector,category,use'")
categories_case("categories_one_field", "sector,category\n111,kibs\n222\n", 3,
                "cats.csv:3: expected 'sector,category' with non-empty sector and category: '222'")
categories_case("categories_unclosed_quote", "sector,category\n111,\"kibs\n", 3,
                "cats.csv:2: expected 'sector,category' with non-empty sector and category: '111,\"kibs'")
categories_case("categories_empty", "sector,category\n", 3, "cats.csv: the category map has no rows")
case("categories_missing_file", ["run", "in.csv", "-o", "out.h5", "--categories", "nope.csv"], 5,
     "cannot open the category map 'nope.csv': No such file or directory", files={"in.csv": OK})
case("district_area_negative", ["run", "in.csv", "-o", "out.h5", "--district-area", "a.csv"], 3,
     "a.csv:2: expected 'district,area_km2' with an area > 0 in km2: '01001,-3'",
     files={"in.csv": OK, "a.csv": "district,area_km2\n01001,-3\n"})
case("district_area_twice", ["run", "in.csv", "-o", "out.h5", "--district-area", "a.csv"], 3,
     "a.csv:3: district '01001' is listed twice (first on line 2)",
     files={"in.csv": OK, "a.csv": "district,area_km2\n01001,3\n01001,4\n"})
case("screen_config_bad_value", ["run", "--config", "s.ini", "in.csv", "-o", "out.h5"], 2,
     "s.ini:2: [screen] thin-employment = lots: expected a number", files={"in.csv": OK, "s.ini": "[screen]\nthin-employment = lots\n"})
case("screen_config_unknown_key", ["run", "--config", "s.ini", "in.csv", "-o", "out.h5"], 2,
     "s.ini:2: [screen] colour = 1: unknown key in [screen]", files={"in.csv": OK, "s.ini": "[screen]\ncolour = 1\n"})
# not an error, by design (a map lists the categories it is about; the rest is 'other'), but said
categories_case("categories_leave_sectors_unmapped", "sector,category\n111,kibs\n", 0,
                "categories: 1 of 2 sectors (83.3% of employment) match no code of cats.csv and count as 'other' "
                "(the first: 22222)", output_exists=True)
