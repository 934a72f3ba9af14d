"""Tables stay aligned whatever the cells hold; one decimal convention for sizes everywhere."""

from __future__ import annotations

import io

from common.notify.base import SendMode
from common.notify.render import render
from common.status.summary import summarize
from common.ui.tables import text_table, write_table
from common.units import short_size, size
from nas.monitor.report import daily_notice
from tests.nas.status_data import STATUS


def test_long_device_names_widen_their_column() -> None:
    lines = text_table([["NAME", "DEVICE", "FREE"], ["drive1", "/dev/sda", "1.0T"],
                        ["drive10", "/dev/nvme0n1", "18.0T"], ["drive2", "/dev/loop10", "9"]], right={2})
    assert [line.index("/dev") for line in lines[1:]] == [9, 9, 9]
    assert len({len(line) for line in lines}) == 1  # the right-aligned last column ends in one place


def test_a_pipe_gets_plain_text_and_a_terminal_a_drawn_table() -> None:
    rows = [["NAME", "FREE"], ["drive1", "1.0T"]]
    plain, drawn = io.StringIO(), io.StringIO()
    write_table(rows, plain, right={1})
    write_table(rows, drawn, right={1}, terminal=True)
    assert plain.getvalue() == "NAME    FREE\ndrive1  1.0T\n"
    assert "─" in drawn.getvalue() and "drive1" in drawn.getvalue()


def test_sizes_are_decimal_everywhere() -> None:
    assert (size(18e12), size(4_700_000), short_size(4_400_000)) == ("18.0 TB", "4.7 MB", "4.4M")


def test_the_mail_drive_table_stays_aligned_with_long_device_names() -> None:
    status = {**STATUS, "drives": [{**d, "device": dev} for d, dev in
                                   zip(STATUS["drives"], ["/dev/nvme0n1", "/dev/loop10"], strict=False)]}
    text = render(daily_notice(summarize(status)), SendMode.ONCE, "nas01").text
    table = [line for line in text.splitlines()
             if ("Device" in line and "Serial" in line) or ("ZR5A" in line and "/dev/" in line)]  # header, rows
    assert len(table) == 3
    assert len({line.index("Device") if "Device" in line else line.index("/dev/") for line in table}) == 1
    assert len({line.index("Serial") if "Serial" in line else line.index("ZR5A") for line in table}) == 1
