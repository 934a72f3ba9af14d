"""The real chia CLI fixture works: its root is initialised and its ``plots create`` refuses what it refuses."""

from __future__ import annotations

import pytest

from tests.chiacli import ChiaRoot


@pytest.mark.slow
def test_chia_root_is_initialised(chia_root: ChiaRoot) -> None:
    assert (chia_root.root / "config" / "config.yaml").is_file()
    done = chia_root.run("version")
    assert done.returncode == 0 and done.stdout.startswith("2.7.5"), done.stdout
