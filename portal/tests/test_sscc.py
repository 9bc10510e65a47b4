"""SSCC-18: check digit computed and verified, with reasons a supplier can act on."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.sscc import SSCCError, check_digit, sscc_human, sscc_make, sscc_verify

# The worked example of GS1 General Specifications §7.9 (company prefix 0614141, serial 123456789).
GS1_EXAMPLE = "106141411234567897"


def test_check_digit_of_the_gs1_example():
    assert check_digit("10614141123456789") == 7


def test_make_builds_the_gs1_example():
    assert sscc_make(extension=1, company_prefix="0614141", serial=123456789) == GS1_EXAMPLE


def test_make_pads_the_serial_to_fill_18_digits():
    code = sscc_make(extension=0, company_prefix="0614141000", serial=42)
    assert code == "006141410000000425"
    assert sscc_verify(code) == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("106141411234567890", "ends in check digit 0; for these digits it must be 7"),
        ("10614141123456789", "has 17 digits; an SSCC has 18"),
        ("1061414112345678970", "has 19 digits; an SSCC has 18"),
        ("10614141123456789X", "must be digits only"),
        ("", "must be digits only"),
    ],
)
def test_verify_says_what_is_wrong(code, message):
    with pytest.raises(SSCCError) as error:
        sscc_verify(code)
    assert message in str(error.value)


def test_verify_accepts_the_printed_form():
    assert sscc_verify("(00) 1 0614141 123456789 7") == GS1_EXAMPLE
    assert sscc_human(GS1_EXAMPLE) == "(00) 1 0614141 123456789 7"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"extension": 10, "company_prefix": "0614141", "serial": 1}, "extension digit"),
        ({"extension": 0, "company_prefix": "06141", "serial": 1}, "7 to 10 digits"),
        ({"extension": 0, "company_prefix": "0614141", "serial": 10**9}, "does not fit in 9 digits"),
    ],
)
def test_make_refuses_what_cannot_be_an_sscc(kwargs, message):
    with pytest.raises(SSCCError, match=message):
        sscc_make(**kwargs)


@given(st.integers(0, 9), st.integers(0, 10**9 - 1), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(extension, serial, position, delta):
    code = sscc_make(extension=extension, company_prefix="0614141", serial=serial)
    wrong = code[:position] + str((int(code[position]) + delta) % 10) + code[position + 1 :]
    with pytest.raises(SSCCError):
        sscc_verify(wrong)
