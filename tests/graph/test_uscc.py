import pytest

from graph.uscc import USCCError, is_valid_uscc, make_uscc, org_code_check_char, validate_uscc


@pytest.mark.parametrize("code", ["91330100799655058B", "9144030071526726XG", "91110000802100433B"])
def test_published_codes_validate(code):
    assert validate_uscc(code) == code


def test_lowercase_and_spaces_are_normalised():
    assert validate_uscc(" 9144030071526726xg ") == "9144030071526726XG"


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("91330100799655058C", "第18位应为 B"),
        ("9133010079965505", "18位"),
        ("91330100799655O58B", "非法字符"),
        ("913301007996550X8B", "组织机构代码"),
        ("91AB0100799655058B", "行政区划"),
    ],
)
def test_bad_codes_say_what_is_wrong(code, fragment):
    with pytest.raises(USCCError) as e:
        validate_uscc(code)
    assert fragment in str(e.value)


@pytest.mark.parametrize("body, check", [("79965505", "8"), ("71526726", "X"), ("80210043", "3")])
def test_org_code_check_char_of_published_codes(body, check):
    # the organisation codes inside the published USCCs above, including one whose check character is X
    assert org_code_check_char(body) == check


def test_make_uscc_round_trips():
    code = make_uscc("9", "1", "330800", "MA2A0001")
    assert len(code) == 18 and is_valid_uscc(code)
    assert not is_valid_uscc(code[:-1] + ("0" if code[-1] != "0" else "1"))
