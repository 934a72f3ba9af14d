"""The durations each plotter reports in its log, from synthetic lines in the plotters' formats."""

from __future__ import annotations

from plotter.plotting.analysis.timings import timings

CHIA = [
    "2026-01-01T10:00:00.000 2.4.4  chia.plotting.create_plots       : INFO     Starting plot 1/1",
    "Starting phase 1/4: Forward Propagation into tmp files... Thu Jan  1 10:00:00 2026",
    "Forward propagation table time: 0.203 seconds. CPU (135.870%) Thu Jan  1 10:00:01 2026",
    "Time for phase 1 = 1188.5 seconds. CPU (134.980%) Thu Jan  1 10:20:00 2026",
    "Time for phase 2 = 600 seconds. CPU (100.270%) Thu Jan  1 10:30:00 2026",
    "Total compress table time: 0.074 seconds. CPU (100.600%) Thu Jan  1 10:30:00 2026",
    "Time for phase 3 = 900.25 seconds. CPU (100.150%) Thu Jan  1 10:45:00 2026",
    "Time for phase 4 = 60 seconds. CPU (100.590%) Thu Jan  1 10:46:00 2026",
    "Total time = 2748.75 seconds. CPU (122.450%) Thu Jan  1 10:46:00 2026",
]


def test_chia_phases_and_total_not_the_table_times() -> None:
    [plot] = timings(CHIA, "chia")
    assert plot.phases == {1: 1188.5, 2: 600.0, 3: 900.25, 4: 60.0}
    assert plot.total == 2748.75


def test_madmax_with_colour_codes_and_carriage_returns() -> None:
    lines = ["[P1] Table 7 took 10.5 sec, found 4294000007 matches", "\x1b[32mPhase 1 took 100.5 sec\x1b[0m\r",
             "Phase 2 took 50 sec", "Phase 3 took 70.25 sec, wrote 21877000000 entries to final plot",
             "Phase 4 took 5 sec, final plot size is 108000000000 bytes",
             "Total plot creation time was 225.75 sec (3.7625 min)"]
    [plot] = timings(lines, "madmax")
    assert plot.phases == {1: 100.5, 2: 50.0, 3: 70.25, 4: 5.0} and plot.total == 225.75


def test_bladebit_cuda_three_phases_and_the_plot_total() -> None:
    lines = ["Completed Phase 1 in 10.50 seconds", "Marked Table 6 in 0.20 seconds.",
             "Completed Phase 2 in 2.00 seconds", "Completed Phase 3 in 8.25 seconds",
             "Completed Plot 1 in 20.75 seconds ( 0.35 minutes )", "Completed writing plot in 25.00 seconds"]
    [plot] = timings(lines, "bladebit")
    assert plot.phases == {1: 10.5, 2: 2.0, 3: 8.25} and plot.phase(4) is None and plot.total == 20.75


def test_two_plots_in_one_log_and_a_third_cut_short() -> None:
    second = [line.replace("1188.5", "1000") for line in CHIA]
    cut = CHIA[:4]
    found = timings(CHIA + second + cut, "chia")
    assert [t.phase(1) for t in found] == [1188.5, 1000.0, 1188.5]
    assert [t.total for t in found] == [2748.75, 2748.75, None]


def test_a_new_plot_begins_when_a_phase_comes_round_again_without_a_total() -> None:
    lines = ["Finished Phase 1 in 3.00 seconds.", "Finished Phase 2 in 4.00 seconds.",
             "Finished Phase 1 in 5.00 seconds."]
    found = timings(lines, "bladebit-disk")
    assert [t.phases for t in found] == [{1: 3.0, 2: 4.0}, {1: 5.0}]


def test_a_log_without_durations_has_no_timings() -> None:
    assert timings(["Starting phase 1/4: Forward Propagation into tmp files..."], "chia") == []
