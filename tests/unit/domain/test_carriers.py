"""operator_name from the SPID, by the data file built from the vendor's Appendix E."""

from __future__ import annotations

from importlib import resources

from postbacks.domain import carriers, decoding, parsing

DATA = resources.files("postbacks.domain").joinpath("data/carriers.csv").read_text("utf-8")


def test_the_data_file_names_its_sources_in_its_header() -> None:
    header = [line for line in DATA.splitlines() if line.startswith("#")]
    assert any("cosmosking2050/API" in line and "APPENDIX_E.md" in line for line in header)
    assert DATA.splitlines()[len(header)] == "spid,country,carrier,source"


def test_every_appendix_e_row_is_in_the_data_file() -> None:
    rows = [line for line in DATA.splitlines() if line.endswith(",appendix_e")]
    assert len(rows) == 542  # the table at the commit named in the header, row for row


def test_known_spids_name_their_carriers() -> None:
    assert carriers.operator_name("0001470") == "AT&T"
    assert carriers.operator_name("0001570") == "T-Mobile"  # the table's "T-MobileÂŽ", repaired
    assert carriers.operator_name("0044170") == "O2"
    assert carriers.operator_name("0001140") == "Alltel-Verizon"  # only in the MM7 operator list
    assert carriers.operator_name(" 31003 ") == "Verizon"


def test_unknown_or_missing_spid_names_nothing() -> None:
    assert carriers.operator_name("0009999") is None
    assert carriers.operator_name("") is None
    assert carriers.operator_name(None) is None


def test_a_spid_listed_twice_joins_its_distinct_names_in_table_order() -> None:
    assert carriers.names_by_spid([("1", "A"), ("2", "B"), ("1", "C"), ("1", "A")]) == {"1": "A / C", "2": "B"}
    assert carriers.operator_name("0262000") == "All Carriers"  # Mayotte and Reunion: the same name


def test_operator_name_sent_by_the_vendor_is_never_replaced() -> None:
    raw = b'{"code":"N201","operator-id":"0001470","operator-name":"AT&T Mobility"}'
    (postback,) = parsing.parse(decoding.payload(raw, "application/json")).postbacks
    assert postback.operator_name == "AT&T Mobility"
