"""北京时间 as officers read it (kernel/clock.py): stored UTC moments and epoch seconds shown at UTC+8."""
import datetime as dt

from kernel.clock import beijing_text, beijing_today, epoch_text


def test_a_stored_utc_moment_reads_in_beijing_time():
    assert beijing_text("2026-11-20T17:30:00Z") == "2026-11-21 01:30"  # past midnight in Quzhou: the next day
    assert beijing_text("2026-11-20T17:30:00+00:00", label=True) == "2026-11-21 01:30 北京时间"
    assert beijing_text("2026-11-20T17:30:00") == "2026-11-21 01:30"  # no offset stored: UTC
    assert beijing_text(None) == "—" and beijing_text("", missing="") == "" and beijing_text("下周一") == "下周一"


def test_epoch_seconds_and_today():
    assert epoch_text(0) == "1970-01-01 08:00 北京时间" and epoch_text(float("nan")) == "—"
    def quzhou_date():
        return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=8)).date()

    before = quzhou_date()
    today = beijing_today()
    assert today in (before, quzhou_date())
